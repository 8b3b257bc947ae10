//! The score report: total raw and scaled score, pass or fail, and each domain's share with its band.

use crate::scoring::item::ItemScore;
use crate::scoring::scale::{scaled_score, PASSING_SCORE};
use serde::{Deserialize, Serialize};

/// How a candidate did in one domain, as the report words it. Bands are by the domain's percent of points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Below 50 %.
    NeedsImprovement,
    /// 50 % to below 70 %.
    NearlyThere,
    /// 70 % to below 85 %.
    MeetsExpectations,
    /// 85 % and above.
    Strong,
}

impl Band {
    /// The words shown on the score report.
    pub fn label(self) -> &'static str {
        match self {
            Band::NeedsImprovement => "Needs improvement",
            Band::NearlyThere => "Nearly there",
            Band::MeetsExpectations => "Meets expectations",
            Band::Strong => "Strong",
        }
    }
}

/// The band of a domain percent (0–100). Boundaries belong to the higher band: exactly 70 % meets expectations.
pub fn band(percent: f64) -> Band {
    // A hair of tolerance so that fractional credit summing to 70 % is not reported as 69.999… %.
    let p = percent + 1e-9;
    if p >= 85.0 {
        Band::Strong
    } else if p >= 70.0 {
        Band::MeetsExpectations
    } else if p >= 50.0 {
        Band::NearlyThere
    } else {
        Band::NeedsImprovement
    }
}

/// One domain's points on an attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainScore {
    pub domain: String,
    pub earned: f64,
    pub max: f64,
    /// `earned / max × 100`, or 0 when the domain had no points.
    pub percent: f64,
    /// How many scored items of this domain the attempt had.
    pub items: usize,
}

impl DomainScore {
    pub fn band(&self) -> Band {
        band(self.percent)
    }
}

/// Sums item scores per domain, domains in order of first appearance (pass items in blueprint or exam order).
pub fn breakdown(items: &[(String, ItemScore)]) -> Vec<DomainScore> {
    let mut out: Vec<DomainScore> = Vec::new();
    for (domain, s) in items {
        let at = match out.iter().position(|d| &d.domain == domain) {
            Some(at) => at,
            None => {
                out.push(DomainScore {
                    domain: domain.clone(),
                    earned: 0.0,
                    max: 0.0,
                    percent: 0.0,
                    items: 0,
                });
                out.len() - 1
            }
        };
        let d = &mut out[at];
        d.earned += s.earned;
        d.max += s.max;
        d.items += 1;
    }
    for d in &mut out {
        d.percent = if d.max > 0.0 {
            (d.earned / d.max * 100.0).clamp(0.0, 100.0)
        } else {
            0.0
        };
    }
    out
}

/// An attempt's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExamResult {
    pub raw: f64,
    pub max: f64,
    pub scaled: u32,
    pub passed: bool,
    pub domains: Vec<DomainScore>,
}

/// The result of an attempt from its scored items (domain, score); trial items must not be passed in.
///
/// `max` is the form's total points: items missing from `items` count as 0 earned. When the items' own
/// maxima add up to more, that sum is used, so the raw score can never exceed the maximum.
pub fn result(items: &[(String, ItemScore)], max: f64, cut_fraction: f64) -> ExamResult {
    let raw: f64 = items.iter().map(|(_, s)| s.earned).sum();
    let items_max: f64 = items.iter().map(|(_, s)| s.max).sum();
    let max = max.max(items_max);
    let scaled = scaled_score(raw, max, cut_fraction);
    ExamResult {
        raw,
        max,
        scaled,
        passed: scaled >= PASSING_SCORE,
        domains: breakdown(items),
    }
}

/// The result of an ended attempt from every one of its items as (domain, score, trial): unscored trial items
/// are left out of the raw score, the maximum, the scaled score and the domain breakdown.
pub fn attempt_result(items: &[(String, ItemScore, bool)], cut_fraction: f64) -> ExamResult {
    let scored: Vec<(String, ItemScore)> = items
        .iter()
        .filter(|(_, _, trial)| !trial)
        .map(|(domain, s, _)| (domain.clone(), *s))
        .collect();
    let max = scored.iter().map(|(_, s)| s.max).sum();
    result(&scored, max, cut_fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::scale::DEFAULT_CUT;

    fn item(earned: f64, max: f64) -> ItemScore {
        ItemScore {
            earned,
            max,
            correct_elements: 0,
            elements: 1,
        }
    }

    #[test]
    fn breakdown_sums_per_domain_in_first_seen_order() {
        let items = vec![
            ("plan".to_owned(), item(1.0, 1.0)),
            ("nlp".to_owned(), item(0.5, 2.0)),
            ("plan".to_owned(), item(0.0, 1.0)),
        ];
        let b = breakdown(&items);
        assert_eq!(b.len(), 2);
        assert_eq!(
            (
                b[0].domain.as_str(),
                b[0].earned,
                b[0].max,
                b[0].percent,
                b[0].items
            ),
            ("plan", 1.0, 2.0, 50.0, 2)
        );
        assert_eq!((b[1].domain.as_str(), b[1].percent), ("nlp", 25.0));
        assert_eq!(b[0].band().label(), "Nearly there");
        assert_eq!(b[1].band().label(), "Needs improvement");
    }

    #[test]
    fn bands_have_documented_boundaries() {
        assert_eq!(band(0.0), Band::NeedsImprovement);
        assert_eq!(band(49.9), Band::NeedsImprovement);
        assert_eq!(band(50.0), Band::NearlyThere);
        assert_eq!(band(69.9), Band::NearlyThere);
        assert_eq!(band(70.0), Band::MeetsExpectations);
        assert_eq!(band(84.9), Band::MeetsExpectations);
        assert_eq!(band(85.0), Band::Strong);
        assert_eq!(band(100.0), Band::Strong);
    }

    #[test]
    fn result_passes_at_the_cut_and_fails_below() {
        let mut items: Vec<(String, ItemScore)> = (0..7)
            .map(|_| ("plan".to_owned(), item(1.0, 1.0)))
            .collect();
        items.extend((0..3).map(|_| ("nlp".to_owned(), item(0.0, 1.0))));
        let r = result(&items, 10.0, DEFAULT_CUT);
        assert_eq!((r.raw, r.max, r.scaled, r.passed), (7.0, 10.0, 700, true));
        assert_eq!(r.domains.len(), 2);

        items[0].1.earned = 0.5;
        let r = result(&items, 10.0, DEFAULT_CUT);
        assert!(!r.passed);
        assert!(r.scaled < 700);
    }

    #[test]
    fn missing_items_count_as_zero_and_max_never_undercounts() {
        let items = vec![("plan".to_owned(), item(1.0, 1.0))];
        assert_eq!(
            result(&items, 4.0, DEFAULT_CUT).scaled,
            scaled_score(1.0, 4.0, DEFAULT_CUT)
        );
        assert_eq!(result(&items, 0.0, DEFAULT_CUT).max, 1.0);
    }

    #[test]
    fn trial_items_count_toward_nothing_in_the_result() {
        let scored = |earned| ("plan".to_owned(), item(earned, 1.0), false);
        let trial = |domain: &str, earned| (domain.to_owned(), item(earned, 2.0), true);
        let all_right: Vec<_> = (0..4).map(|_| scored(1.0)).collect();
        let mut with_trial = all_right.clone();
        with_trial.insert(1, trial("plan", 0.0));
        with_trial.push(trial("nlp", 0.0));
        let r = attempt_result(&with_trial, DEFAULT_CUT);
        assert_eq!(r, attempt_result(&all_right, DEFAULT_CUT));
        assert_eq!((r.raw, r.max, r.scaled, r.passed), (4.0, 4.0, 1000, true));
        assert_eq!(r.domains.len(), 1, "the trial-only domain is not reported");
        assert_eq!(r.domains[0].items, 4);

        // Right trial answers do not lift a failing score either.
        let mut failing: Vec<_> = (0..4).map(|i| scored(f64::from(u8::from(i < 2)))).collect();
        let before = attempt_result(&failing, DEFAULT_CUT);
        failing.push(trial("plan", 2.0));
        assert_eq!(attempt_result(&failing, DEFAULT_CUT), before);
    }
}
