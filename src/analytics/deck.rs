//! The review deck's scheduling (pure): how sure a candidate said they were, the FSRS rating an answer earns,
//! and when the card is due next.
//!
//! The scheduler is rs-fsrs 1.2.1 (pinned), which implements **FSRS-5** (19 weights) with its default
//! parameters: desired retention 0.9, maximum interval 36,500 days, no fuzz. We use its long-term scheduler
//! (`enable_short_term: false`): intervals are whole days, since a candidate reviews once a day, not
//! minutes apart as in a flashcard app's learning steps.

use rs_fsrs::{Parameters, FSRS};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How sure the candidate said they were, before the key was shown (practice and review sessions only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// "Not sure" in a practice set.
    Guessed,
    /// Fairly sure.
    FairlySure,
    /// Certain.
    Certain,
}

impl Confidence {
    /// Every level, from the least sure.
    pub const ALL: [Confidence; 3] = [
        Confidence::Guessed,
        Confidence::FairlySure,
        Confidence::Certain,
    ];

    /// The stored and posted name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Guessed => "guessed",
            Confidence::FairlySure => "fairly_sure",
            Confidence::Certain => "certain",
        }
    }

    /// Reads a stored or posted name.
    pub fn parse(s: &str) -> Option<Confidence> {
        Confidence::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The words on the page.
    pub fn label(self) -> &'static str {
        match self {
            Confidence::Guessed => "Guessed (not sure)",
            Confidence::FairlySure => "Fairly sure",
            Confidence::Certain => "Certain",
        }
    }
}

/// The FSRS rating of one review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// Forgotten: wrong, or under half of the points.
    Again,
    /// Recalled with difficulty.
    Hard,
    /// Recalled.
    Good,
    /// Recalled with ease.
    Easy,
}

impl Rating {
    fn fsrs(self) -> rs_fsrs::Rating {
        match self {
            Rating::Again => rs_fsrs::Rating::Again,
            Rating::Hard => rs_fsrs::Rating::Hard,
            Rating::Good => rs_fsrs::Rating::Good,
            Rating::Easy => rs_fsrs::Rating::Easy,
        }
    }
}

/// The rating an answer earns (docs/readiness.md):
/// - Again: wrong, or under half of the points;
/// - Hard: half or more of the points without all of them, or right but guessed;
/// - Good: right and fairly sure (also right with nothing said, in a plain practice set);
/// - Easy: right and certain.
pub fn rating(earned: f64, max: f64, confidence: Option<Confidence>) -> Rating {
    let right = max > 0.0 && earned >= max - 1e-9;
    if !right {
        return if max > 0.0 && earned >= max / 2.0 - 1e-9 {
            Rating::Hard
        } else {
            Rating::Again
        };
    }
    match confidence {
        Some(Confidence::Guessed) => Rating::Hard,
        Some(Confidence::Certain) => Rating::Easy,
        Some(Confidence::FairlySure) | None => Rating::Good,
    }
}

/// Whether an answer in practice puts an item that is not in the deck into it: answered wrongly or partly,
/// or right but guessed ("not sure").
pub fn joins(rating: Rating) -> bool {
    matches!(rating, Rating::Again | Rating::Hard)
}

/// A card's FSRS memory state, as stored in `review_deck`.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// When the card is due next.
    pub due: OffsetDateTime,
    /// FSRS stability (days).
    pub stability: f64,
    /// FSRS difficulty (1–10).
    pub difficulty: f64,
    /// Days between the last two reviews.
    pub elapsed_days: i64,
    /// Days from the last review to `due`.
    pub scheduled_days: i64,
    /// Reviews so far.
    pub reps: i32,
    /// Times forgotten after being learnt.
    pub lapses: i32,
    /// 0 new, 1 learning, 2 review, 3 relearning.
    pub state: i16,
    /// The last review, if any.
    pub last_review: Option<OffsetDateTime>,
}

impl Card {
    /// A card never reviewed, due now.
    pub fn new(now: OffsetDateTime) -> Card {
        Card {
            due: now,
            stability: 0.0,
            difficulty: 0.0,
            elapsed_days: 0,
            scheduled_days: 0,
            reps: 0,
            lapses: 0,
            state: 0,
            last_review: None,
        }
    }
}

fn scheduler() -> FSRS {
    FSRS::new(Parameters {
        enable_short_term: false,
        enable_fuzz: false,
        ..Parameters::default()
    })
}

fn to_chrono(t: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    let nanos = t.unix_timestamp_nanos();
    let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).unwrap_or(0);
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, sub).unwrap_or_default()
}

fn from_chrono(t: chrono::DateTime<chrono::Utc>) -> OffsetDateTime {
    let nanos = i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos());
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn state_of(n: i16) -> rs_fsrs::State {
    match n {
        1 => rs_fsrs::State::Learning,
        2 => rs_fsrs::State::Review,
        3 => rs_fsrs::State::Relearning,
        _ => rs_fsrs::State::New,
    }
}

/// The card after a review with `rating` at `now`.
pub fn review(card: &Card, rating: Rating, now: OffsetDateTime) -> Card {
    let c = rs_fsrs::Card {
        due: to_chrono(card.due),
        stability: card.stability,
        difficulty: card.difficulty,
        elapsed_days: card.elapsed_days,
        scheduled_days: card.scheduled_days,
        reps: card.reps,
        lapses: card.lapses,
        state: state_of(card.state),
        last_review: to_chrono(card.last_review.unwrap_or(now)),
    };
    let next = scheduler().next(c, to_chrono(now), rating.fsrs()).card;
    Card {
        due: from_chrono(next.due),
        stability: next.stability,
        difficulty: next.difficulty,
        elapsed_days: next.elapsed_days,
        scheduled_days: next.scheduled_days,
        reps: next.reps,
        lapses: next.lapses,
        state: next.state as i16,
        last_review: Some(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    #[test]
    fn ratings_follow_points_and_confidence() {
        use Confidence::*;
        assert_eq!(rating(0.0, 1.0, Some(Certain)), Rating::Again);
        assert_eq!(rating(0.4, 1.0, None), Rating::Again);
        assert_eq!(rating(1.0, 2.0, Some(Certain)), Rating::Hard);
        assert_eq!(rating(1.5, 2.0, None), Rating::Hard);
        assert_eq!(rating(2.0, 2.0, Some(Guessed)), Rating::Hard);
        assert_eq!(rating(2.0, 2.0, Some(FairlySure)), Rating::Good);
        assert_eq!(rating(2.0, 2.0, None), Rating::Good);
        assert_eq!(rating(2.0, 2.0, Some(Certain)), Rating::Easy);
        assert!(joins(Rating::Again) && joins(Rating::Hard));
        assert!(!joins(Rating::Good) && !joins(Rating::Easy));
        for c in Confidence::ALL {
            assert_eq!(Confidence::parse(c.as_str()), Some(c));
        }
        assert_eq!(Confidence::parse("sure"), None);
    }

    /// A fixed sequence of ratings, each review on the day the card falls due, and the intervals FSRS-5's
    /// default parameters give (rs-fsrs 1.2.1, long-term scheduler, no fuzz). A new version of the crate or
    /// of its weights changes these numbers: read its notes before updating them.
    #[test]
    fn fsrs5_default_intervals_for_a_fixed_sequence() {
        let start = time::macros::datetime!(2026-12-01 09:00 UTC);
        let mut card = Card::new(start);
        let mut now = start;
        let mut intervals = Vec::new();
        for r in [
            Rating::Good,
            Rating::Good,
            Rating::Again,
            Rating::Hard,
            Rating::Good,
            Rating::Easy,
        ] {
            card = review(&card, r, now);
            let days = (card.due - now).whole_days();
            assert_eq!(days, card.scheduled_days, "{r:?}");
            intervals.push(days);
            now = card.due;
        }
        assert_eq!(intervals, vec![3, 11, 2, 3, 7, 32]);
        assert_eq!(card.reps, 6);
        assert_eq!(card.lapses, 1);
        assert_eq!(card.state, 2);
        // The first review of a new card: w[2] = 3.1262 days for Good, w[3] = 15.4722 for Easy; Again a day, and
        // Hard one day more than Again (the long-term scheduler keeps Again < Hard < Good < Easy).
        let first = |r| (review(&Card::new(start), r, start).due - start).whole_days();
        assert_eq!(
            [Rating::Again, Rating::Hard, Rating::Good, Rating::Easy].map(first),
            [1, 2, 3, 15]
        );
        // A review long overdue still schedules forward from the review, never into the past.
        let late = now + Duration::days(100);
        assert!(review(&card, Rating::Good, late).due > late);
    }
}
