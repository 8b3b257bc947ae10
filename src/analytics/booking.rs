//! The booking rule (pure): "at least 80 % on two consecutive full-length practice exams", no weak domain in
//! the last of them, and the readiness estimate at the pass mark (docs/readiness.md). It says when a
//! candidate meets the rule; it never says they will pass.

use time::OffsetDateTime;

/// A full-length mock: a timed exam-mode attempt of at least this many scored items.
pub const FULL_LENGTH_ITEMS: usize = 40;
/// Each of the two mocks: at least this raw percentage.
pub const PAIR_PERCENT: f64 = 80.0;
/// No domain of the last mock below this percentage.
pub const DOMAIN_PERCENT: f64 = 70.0;

/// A finished attempt of one exam, as the rule reads it.
#[derive(Debug, Clone)]
pub struct FinishedAttempt {
    /// The form's title.
    pub title: String,
    /// When it ended (submitted, or its time ran out).
    pub ended_at: OffsetDateTime,
    /// An exam-mode (timed mock) attempt; practice sets never count.
    pub exam_mode: bool,
    /// Scored items (trial items left out).
    pub scored_items: usize,
    /// Items with an answer.
    pub answered: usize,
    /// Raw points earned on the scored items.
    pub raw: f64,
    /// The scored items' points.
    pub max: f64,
    /// Fraction of each domain's points earned, by domain id.
    pub domains: Vec<(String, f64)>,
    /// Scored items the candidate had never been shown before this attempt.
    pub new_items: usize,
}

impl FinishedAttempt {
    /// Raw points as a percentage of the maximum.
    pub fn percent(&self) -> f64 {
        if self.max > 0.0 {
            self.raw / self.max * 100.0
        } else {
            0.0
        }
    }

    /// Counts toward the rule: a full-length timed mock with at least one answer (an abandoned mock with no
    /// answer neither counts nor breaks the pair; one that ran out of time with answers counts).
    pub fn counts(&self) -> bool {
        self.exam_mode && self.scored_items >= FULL_LENGTH_ITEMS && self.answered > 0
    }
}

/// One of the two mocks the rule looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct CountedMock {
    /// The form's title.
    pub title: String,
    /// When it ended.
    pub ended_at: OffsetDateTime,
    /// Raw percentage.
    pub percent: f64,
    /// Scored items.
    pub scored_items: usize,
    /// Scored items new to the candidate.
    pub new_items: usize,
    /// Fewer than half of its items were new to the candidate: the score may reflect memory.
    pub may_reflect_memory: bool,
}

/// The rule's checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    /// The last two counted mocks, in order of ending (fewer when fewer were taken).
    pub pair: Vec<CountedMock>,
    /// Two counted mocks, both at or above [`PAIR_PERCENT`].
    pub pair_met: bool,
    /// Domains of the last counted mock below [`DOMAIN_PERCENT`], with their percentage.
    pub weak_domains: Vec<(String, f64)>,
    /// A last mock exists and none of its domains is below [`DOMAIN_PERCENT`].
    pub domains_met: bool,
    /// The readiness estimate predicts at least the pass mark.
    pub readiness_met: bool,
    /// All of the above.
    pub met: bool,
}

/// Where in `attempts` the two the rule looks at are: the last two that count, in order of ending (fewer when
/// fewer count).
pub fn last_two_counted(attempts: &[FinishedAttempt]) -> Vec<usize> {
    let mut counted: Vec<usize> = (0..attempts.len())
        .filter(|&i| attempts[i].counts())
        .collect();
    counted.sort_by_key(|&i| attempts[i].ended_at);
    counted.split_off(counted.len().saturating_sub(2))
}

/// Applies the rule to a candidate's finished attempts of one exam (any order) and their readiness estimate's
/// predicted scaled score (None: too little data).
pub fn booking(attempts: &[FinishedAttempt], predicted_scaled: Option<u32>, pass: u32) -> Booking {
    let last_two: Vec<&FinishedAttempt> = last_two_counted(attempts)
        .into_iter()
        .map(|i| &attempts[i])
        .collect();
    let pair: Vec<CountedMock> = last_two
        .iter()
        .map(|a| CountedMock {
            title: a.title.clone(),
            ended_at: a.ended_at,
            percent: a.percent(),
            scored_items: a.scored_items,
            new_items: a.new_items,
            may_reflect_memory: a.new_items * 2 < a.scored_items,
        })
        .collect();
    let pair_met = pair.len() == 2 && pair.iter().all(|m| m.percent >= PAIR_PERCENT - 1e-9);
    let weak_domains: Vec<(String, f64)> = last_two
        .last()
        .map(|a| {
            a.domains
                .iter()
                .map(|(d, f)| (d.clone(), f * 100.0))
                .filter(|(_, p)| *p < DOMAIN_PERCENT - 1e-9)
                .collect()
        })
        .unwrap_or_default();
    let domains_met = !last_two.is_empty() && weak_domains.is_empty();
    let readiness_met = predicted_scaled.is_some_and(|p| p >= pass);
    Booking {
        met: pair_met && domains_met && readiness_met,
        pair,
        pair_met,
        weak_domains,
        domains_met,
        readiness_met,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn day(n: i64) -> OffsetDateTime {
        time::macros::datetime!(2026-11-01 10:00 UTC) + Duration::days(n)
    }

    fn mock(n: i64, items: usize, percent: f64) -> FinishedAttempt {
        FinishedAttempt {
            title: format!("Mock {n}"),
            ended_at: day(n),
            exam_mode: true,
            scored_items: items,
            answered: items,
            raw: percent * items as f64 / 100.0,
            max: items as f64,
            domains: vec![("plan".into(), 0.9), ("agents".into(), 0.8)],
            new_items: items,
        }
    }

    fn practice(n: i64, percent: f64) -> FinishedAttempt {
        FinishedAttempt {
            exam_mode: false,
            ..mock(n, 50, percent)
        }
    }

    fn abandoned(n: i64) -> FinishedAttempt {
        FinishedAttempt {
            answered: 0,
            raw: 0.0,
            ..mock(n, 50, 0.0)
        }
    }

    fn titles(b: &Booking) -> Vec<&str> {
        b.pair.iter().map(|m| m.title.as_str()).collect()
    }

    #[test]
    fn two_good_full_mocks_meet_the_rule() {
        let b = booking(&[mock(1, 50, 82.0), mock(2, 50, 86.0)], Some(760), 700);
        assert!(b.pair_met && b.domains_met && b.readiness_met && b.met);
        assert_eq!(titles(&b), ["Mock 1", "Mock 2"]);
        // Without a readiness estimate at the pass mark, the rule is not met, even with the pair.
        let b = booking(&[mock(1, 50, 82.0), mock(2, 50, 86.0)], Some(690), 700);
        assert!(b.pair_met && !b.met);
        assert!(!booking(&[mock(1, 50, 82.0), mock(2, 50, 86.0)], None, 700).met);
    }

    #[test]
    fn an_abandoned_mock_between_two_good_ones_leaves_the_pair_standing() {
        let b = booking(
            &[mock(1, 50, 81.0), abandoned(2), mock(3, 50, 84.0)],
            Some(750),
            700,
        );
        assert!(b.met);
        assert_eq!(titles(&b), ["Mock 1", "Mock 3"]);
    }

    #[test]
    fn a_practice_set_between_them_leaves_the_pair_standing() {
        let b = booking(
            &[mock(1, 50, 81.0), practice(2, 20.0), mock(3, 50, 84.0)],
            Some(750),
            700,
        );
        assert!(b.met);
        assert_eq!(titles(&b), ["Mock 1", "Mock 3"]);
    }

    #[test]
    fn an_expired_mock_with_answers_counts() {
        let mut expired = mock(3, 50, 60.0);
        expired.answered = 20;
        let b = booking(
            &[mock(1, 50, 85.0), mock(2, 50, 85.0), expired],
            Some(750),
            700,
        );
        assert_eq!(titles(&b), ["Mock 2", "Mock 3"]);
        assert!(!b.pair_met && !b.met);
    }

    #[test]
    fn forms_of_40_and_60_items_are_compared_by_percentage() {
        // 32/40 and 48/60 are both 80 %.
        let b = booking(&[mock(1, 40, 80.0), mock(2, 60, 80.0)], Some(720), 700);
        assert!(b.pair_met && b.met);
        assert_eq!(b.pair[0].percent, 80.0);
        assert_eq!(b.pair[1].percent, 80.0);
        // 39 items is not full length: it neither counts nor breaks the pair.
        let b = booking(
            &[mock(1, 40, 80.0), mock(2, 39, 10.0), mock(3, 60, 80.0)],
            Some(720),
            700,
        );
        assert_eq!(titles(&b), ["Mock 1", "Mock 3"]);
    }

    #[test]
    fn a_good_mock_followed_by_a_bad_one_does_not_meet_the_rule() {
        let b = booking(&[mock(1, 50, 90.0), mock(2, 50, 70.0)], Some(760), 700);
        assert!(!b.pair_met && !b.met);
        // Order is by ending, whatever order the attempts come in.
        let b = booking(&[mock(2, 50, 70.0), mock(1, 50, 90.0)], Some(760), 700);
        assert_eq!(titles(&b), ["Mock 1", "Mock 2"]);
        assert!(!b.met);
        // One mock only: no pair.
        assert!(!booking(&[mock(1, 50, 95.0)], Some(800), 700).pair_met);
    }

    #[test]
    fn a_domain_below_70_in_the_last_mock_fails_the_rule() {
        let mut last = mock(2, 50, 85.0);
        last.domains = vec![("plan".into(), 0.95), ("agents".into(), 0.65)];
        let b = booking(&[mock(1, 50, 85.0), last], Some(760), 700);
        assert!(b.pair_met && !b.domains_met && !b.met);
        assert_eq!(b.weak_domains.len(), 1);
        assert_eq!(b.weak_domains[0].0, "agents");
    }

    #[test]
    fn few_new_items_warn_that_the_score_may_reflect_memory() {
        let mut second = mock(2, 50, 90.0);
        second.new_items = 24;
        let b = booking(&[mock(1, 50, 85.0), second], Some(760), 700);
        assert!(!b.pair[0].may_reflect_memory);
        assert!(b.pair[1].may_reflect_memory);
        // The warning is a warning: the rule still holds.
        assert!(b.met);
    }
}
