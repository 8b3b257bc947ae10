//! A plan to the exam date (pure): the objectives to work on, the reviews due per day, and when to sit the
//! full mocks (docs/readiness.md, "A plan to the exam date"), and the plan as an iCalendar file.

use std::collections::BTreeMap;
use time::{Date, Duration};

/// The last full mock: this many days before the exam.
pub const LAST_MOCK_DAYS_BEFORE: i64 = 3;
/// The last two mocks (and any two mocks): at least this many days apart.
pub const MIN_DAYS_BETWEEN_MOCKS: i64 = 2;
/// Earlier mocks: at most one a week.
pub const EARLIER_MOCK_EVERY_DAYS: i64 = 7;
/// Reviews a candidate can be expected to do in a day; an earlier mock waits until the reviews due since the
/// mock before it fit at this pace.
pub const REVIEWS_PER_DAY: usize = 30;

/// An objective of the blueprint, with the candidate's accuracy on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveStanding {
    /// The objective's id in the blueprint.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its domain's id.
    pub domain: String,
    /// The objective's share of the exam: its domain's weight (midpoint of the range, in percent) divided
    /// among the domain's objectives.
    pub weight: f64,
    /// Fraction of the points earned on it, from every finished attempt; None when never seen.
    pub accuracy: Option<f64>,
    /// Its Microsoft Learn pages.
    pub learn: Vec<String>,
}

impl ObjectiveStanding {
    /// Weakness × weight: an unseen objective counts as fully weak.
    pub fn priority(&self) -> f64 {
        (1.0 - self.accuracy.unwrap_or(0.0)).max(0.0) * self.weight
    }
}

/// The objectives in order of weakness × weight, highest first (ties by id, so the order is stable), leaving
/// out those already mastered (accuracy 100 %).
pub fn objectives_to_work_on(mut objectives: Vec<ObjectiveStanding>) -> Vec<ObjectiveStanding> {
    objectives.retain(|o| o.priority() > 0.0);
    objectives.sort_by(|a, b| {
        b.priority()
            .total_cmp(&a.priority())
            .then_with(|| a.id.cmp(&b.id))
    });
    objectives
}

/// Reviews due per day from `today` to the day before the exam, from the cards due per day (`(day, count)`):
/// an overdue card counts today.
pub fn reviews_per_day(today: Date, exam: Date, due: &[(Date, i64)]) -> BTreeMap<Date, usize> {
    let mut days = BTreeMap::new();
    let mut d = today;
    while d < exam {
        days.insert(d, 0);
        d += Duration::days(1);
    }
    for &(due, count) in due {
        let day = due.max(today);
        if let Some(n) = days.get_mut(&day) {
            *n += usize::try_from(count).unwrap_or(0);
        }
    }
    days
}

/// The full mocks to sit from `today` to the exam, in order. The rule (docs/readiness.md):
/// 1. the last one [`LAST_MOCK_DAYS_BEFORE`] days before the exam, the one before it
///    [`MIN_DAYS_BETWEEN_MOCKS`] days earlier;
/// 2. earlier ones from today, at most one every [`EARLIER_MOCK_EVERY_DAYS`] days, each at least
///    [`MIN_DAYS_BETWEEN_MOCKS`] days after the mock before it (the last one taken included), and not before
///    the reviews due from the mock before it (or today) up to its day fit at [`REVIEWS_PER_DAY`] a day; the
///    last earlier one at least [`MIN_DAYS_BETWEEN_MOCKS`] days before the second-to-last;
/// 3. nothing before today or closer than [`MIN_DAYS_BETWEEN_MOCKS`] days after the last mock taken.
pub fn mock_dates(
    today: Date,
    exam: Date,
    last_taken: Option<Date>,
    reviews: &BTreeMap<Date, usize>,
) -> Vec<Date> {
    let gap = Duration::days(MIN_DAYS_BETWEEN_MOCKS);
    let first_allowed = match last_taken {
        Some(t) => today.max(t + gap),
        None => today,
    };
    let last = exam - Duration::days(LAST_MOCK_DAYS_BEFORE);
    let second_last = last - gap;
    let mut out = Vec::new();
    // Earlier mocks.
    let mut prev = last_taken;
    let mut d = first_allowed;
    while d + gap <= second_last {
        let since = prev.unwrap_or(today).max(today);
        let due: usize = reviews.range(since..=d).map(|(_, n)| n).sum();
        let days = usize::try_from((d - since).whole_days() + 1).unwrap_or(1);
        if due > REVIEWS_PER_DAY * days {
            d += Duration::days(1);
            continue;
        }
        out.push(d);
        prev = Some(d);
        d += Duration::days(EARLIER_MOCK_EVERY_DAYS);
    }
    for m in [second_last, last] {
        if m >= first_allowed && out.last().is_none_or(|&p| m >= p + gap) {
            out.push(m);
        }
    }
    out
}

/// One planned mock, for the calendar.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PlannedMock {
    /// The day to sit it.
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    /// Stable across downloads: the mock's place counted back from the exam (1 = the last mock), with the
    /// candidate and the exam, so importing the file again updates its events instead of adding new ones.
    pub uid: String,
}

/// The planned mocks with their stable UIDs (`owner` identifies the candidate, e.g. their account id).
pub fn planned_mocks(dates: &[Date], exam_code: &str, owner: &str) -> Vec<PlannedMock> {
    let n = dates.len();
    dates
        .iter()
        .enumerate()
        .map(|(i, &date)| PlannedMock {
            date,
            uid: format!(
                "mock-{}-{}-{}@ai102-practice",
                n - i,
                exam_code.to_ascii_lowercase(),
                owner
            ),
        })
        .collect()
}

fn naive(d: Date) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(d.year(), u32::from(u8::from(d.month())), u32::from(d.day()))
        .unwrap_or_default()
}

/// The plan as an iCalendar file: one all-day event per planned mock, and one for the exam itself.
pub fn ics(
    exam_code: &str,
    exam_title: &str,
    exam_date: Date,
    mocks: &[PlannedMock],
    owner: &str,
) -> String {
    use icalendar::{Calendar, Component, EventLike};
    let mut cal = Calendar::new();
    cal.name(&format!("{exam_code} study plan"));
    for m in mocks {
        cal.push(
            icalendar::Event::new()
                .uid(&m.uid)
                .summary(&format!("Full mock exam for {exam_code}"))
                .description(&format!(
                    "A full-length timed mock of {exam_code} ({exam_title}), from your study plan."
                ))
                .all_day(naive(m.date))
                .done(),
        );
    }
    cal.push(
        icalendar::Event::new()
            .uid(&format!(
                "exam-{}-{}@ai102-practice",
                exam_code.to_ascii_lowercase(),
                owner
            ))
            .summary(&format!("{exam_code} exam"))
            .all_day(naive(exam_date))
            .done(),
    );
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn none_due(today: Date, exam: Date) -> BTreeMap<Date, usize> {
        reviews_per_day(today, exam, &[])
    }

    #[test]
    fn the_last_two_mocks_sit_three_and_five_days_before_the_exam() {
        let today = date!(2026 - 12 - 04);
        let exam = date!(2026 - 12 - 20);
        let m = mock_dates(today, exam, None, &none_due(today, exam));
        assert_eq!(
            m,
            vec![
                date!(2026 - 12 - 04),
                date!(2026 - 12 - 11),
                date!(2026 - 12 - 15),
                date!(2026 - 12 - 17)
            ]
        );
        // Every two mocks at least two days apart, the last at least three days before the exam.
        assert!(m.windows(2).all(|w| (w[1] - w[0]).whole_days() >= 2));
        assert!((exam - *m.last().unwrap()).whole_days() >= 3);
    }

    #[test]
    fn a_mock_taken_yesterday_pushes_the_next_two_days_on() {
        let today = date!(2026 - 12 - 04);
        let exam = date!(2026 - 12 - 20);
        let m = mock_dates(
            today,
            exam,
            Some(date!(2026 - 12 - 03)),
            &none_due(today, exam),
        );
        assert_eq!(m[0], date!(2026 - 12 - 05));
    }

    #[test]
    fn reviews_due_hold_an_earlier_mock_back_until_they_fit() {
        let today = date!(2026 - 12 - 04);
        let exam = date!(2026 - 12 - 31);
        // 100 reviews due today: at 30 a day they fit in four days (120 ≥ 100), so no mock before the 7th.
        let reviews = reviews_per_day(today, exam, &[(today, 100)]);
        let m = mock_dates(today, exam, Some(date!(2026 - 12 - 01)), &reviews);
        assert_eq!(m[0], date!(2026 - 12 - 07));
        assert_eq!(*m.last().unwrap(), date!(2026 - 12 - 28));
    }

    #[test]
    fn close_to_the_exam_only_what_fits_is_planned() {
        let today = date!(2026 - 12 - 04);
        // Four days left: the last mock (3 days before) is tomorrow; the one before would be in the past.
        let exam = date!(2026 - 12 - 08);
        assert_eq!(
            mock_dates(today, exam, None, &none_due(today, exam)),
            vec![date!(2026 - 12 - 05)]
        );
        // Two days left: no mock at all.
        let exam = date!(2026 - 12 - 06);
        assert!(mock_dates(today, exam, None, &none_due(today, exam)).is_empty());
    }

    #[test]
    fn overdue_reviews_count_today_and_the_days_stop_before_the_exam() {
        let today = date!(2026 - 12 - 04);
        let exam = date!(2026 - 12 - 07);
        let r = reviews_per_day(
            today,
            exam,
            &[
                (date!(2026 - 11 - 30), 1),
                (today, 1),
                (date!(2026 - 12 - 06), 1),
                (exam, 1),
            ],
        );
        assert_eq!(r.len(), 3);
        assert_eq!(r[&today], 2);
        assert_eq!(r[&date!(2026 - 12 - 06)], 1);
    }

    #[test]
    fn objectives_are_ordered_by_weakness_times_weight() {
        let o = |id: &str, weight: f64, accuracy: Option<f64>| ObjectiveStanding {
            id: id.into(),
            title: id.into(),
            domain: "d".into(),
            weight,
            accuracy,
            learn: vec![],
        };
        let got = objectives_to_work_on(vec![
            o("a", 5.0, Some(0.9)),
            o("b", 2.0, None),
            o("c", 5.0, Some(0.4)),
            o("d", 8.0, Some(1.0)),
        ]);
        let ids: Vec<&str> = got.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["c", "b", "a"]);
    }

    #[test]
    fn uids_are_counted_back_from_the_exam() {
        let m = planned_mocks(
            &[date!(2026 - 12 - 11), date!(2026 - 12 - 15)],
            "AI-103",
            "u1",
        );
        assert_eq!(m[1].uid, "mock-1-ai-103-u1@ai102-practice");
        assert_eq!(m[0].uid, "mock-2-ai-103-u1@ai102-practice");
    }
}
