//! A candidate's readiness: the estimated probability of scoring at least 700 on the next full mock exam,
//! with an uncertainty range, from their recent full mocks; and their weakest objectives. Pure. The method,
//! its assumptions and a worked example are in docs/readiness.md (the tests reproduce the example).

use super::math::normal_cdf;
use crate::scoring::{scaled_score, DEFAULT_CUT, PASSING_SCORE};
use serde::Serialize;
use std::collections::BTreeMap;

/// z for a two-sided 80 % interval (the 90th percentile of the standard normal).
const Z_80: f64 = 1.281_551_565_544_600_5;

/// The model's settings; the defaults are documented in docs/readiness.md.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReadinessConfig {
    /// The pass mark as a fraction of the maximum (the form's cut; default 0.70).
    pub cut: f64,
    /// Prior mean of a candidate's true raw fraction (default 0.60; better: the population's mean).
    pub prior_mean: f64,
    /// Prior standard deviation of true raw fractions between candidates (default 0.12).
    pub prior_sd: f64,
    /// Attempt-to-attempt standard deviation of one candidate's raw fraction on a full mock (default 0.065,
    /// the binomial spread of 50 items at 70 %: √(0.7 · 0.3 / 50)).
    pub noise_sd: f64,
    /// Weight of an attempt relative to the one after it (default 0.7: newest 1, then 0.7, 0.49, …).
    pub decay: f64,
    /// The most recent attempts used (default 5).
    pub max_attempts: usize,
    /// Fewer full attempts than this is too little data (default 2).
    pub min_attempts: usize,
    /// Share of the least-squares slope used as the trend (default 0.5), with at least 3 attempts.
    pub trend_damping: f64,
    /// Largest trend, in raw fraction per attempt, either way (default 0.02).
    pub trend_cap: f64,
}

impl Default for ReadinessConfig {
    fn default() -> Self {
        ReadinessConfig {
            cut: DEFAULT_CUT,
            prior_mean: 0.60,
            prior_sd: 0.12,
            noise_sd: 0.065,
            decay: 0.7,
            max_attempts: 5,
            min_attempts: 2,
            trend_damping: 0.5,
            trend_cap: 0.02,
        }
    }
}

impl ReadinessConfig {
    /// The defaults with the prior taken from the population: the mean and standard deviation of the raw
    /// fractions of all candidates' full mocks (values out of range are ignored).
    pub fn with_population_prior(mean: f64, sd: f64) -> Self {
        let d = Self::default();
        ReadinessConfig {
            prior_mean: if (0.0..=1.0).contains(&mean) {
                mean
            } else {
                d.prior_mean
            },
            prior_sd: if sd.is_finite() && sd > 0.01 {
                sd
            } else {
                d.prior_sd
            },
            ..d
        }
    }
}

/// The estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    /// Estimated probability of scoring ≥ 700 on the next full mock.
    pub probability: f64,
    /// The probability if the candidate's true level were at the low end of its 80 % credible interval.
    pub low: f64,
    /// … at the high end.
    pub high: f64,
    /// How many recent attempts the estimate used.
    pub attempts_used: usize,
    /// The predicted raw fraction of the next mock (posterior mean plus trend).
    pub predicted_fraction: f64,
    /// `predicted_fraction` on the 1–1000 scale.
    pub predicted_scaled: u32,
    /// One sentence on how the estimate was made, for the page.
    pub method_note: String,
}

/// Readiness, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReadinessEstimate {
    /// Enough full mocks: the estimate.
    Estimate(Readiness),
    /// Fewer full attempts than `min_attempts`: `needed` more are required.
    TooLittleData {
        /// How many more full mocks are needed.
        needed: usize,
    },
}

/// The raw fraction a scaled score stands for: the inverse of `scoring::scaled_score` (its lower edge, since
/// the scale rounds down; off by at most 1/699 of the cut).
pub fn fraction_from_scaled(scaled: u32, cut: f64) -> f64 {
    let s = f64::from(scaled.clamp(1, 1000));
    if scaled >= PASSING_SCORE {
        cut + (s - 700.0) / 300.0 * (1.0 - cut)
    } else {
        (s - 1.0) / 699.0 * cut
    }
}

/// Estimates readiness from the scaled scores of a candidate's finished **full** mock exams, oldest first
/// (the caller leaves out practice sessions, short quizzes and abandoned attempts).
pub fn readiness(scaled_scores: &[u32], config: &ReadinessConfig) -> ReadinessEstimate {
    let min = config.min_attempts.max(1);
    if scaled_scores.len() < min {
        return ReadinessEstimate::TooLittleData {
            needed: min - scaled_scores.len(),
        };
    }
    let cut = config.cut.clamp(0.01, 0.99);
    let used = &scaled_scores[scaled_scores
        .len()
        .saturating_sub(config.max_attempts.max(min))..];
    let y: Vec<f64> = used.iter().map(|&s| fraction_from_scaled(s, cut)).collect();
    let k = y.len();
    // Newest weight 1, each older one `decay` times the next.
    let w: Vec<f64> = (0..k)
        .map(|j| config.decay.clamp(0.0, 1.0).powi((k - 1 - j) as i32))
        .collect();
    let sum_w: f64 = w.iter().sum();
    let (tau2, sigma2) = (config.prior_sd.powi(2), config.noise_sd.powi(2));
    let precision = 1.0 / tau2 + sum_w / sigma2;
    let weighted: f64 = w.iter().zip(&y).map(|(w, y)| w * y).sum();
    let posterior_mean = (config.prior_mean / tau2 + weighted / sigma2) / precision;

    let shift = if k >= 3 {
        let slope = ols_slope(&y);
        let trend = (config.trend_damping * slope).clamp(-config.trend_cap, config.trend_cap);
        // The weighted mean sits `lag` attempts behind the newest; the next attempt is one more ahead.
        let lag = w
            .iter()
            .enumerate()
            .map(|(j, w)| w * (k - 1 - j) as f64)
            .sum::<f64>()
            / sum_w;
        trend * (lag + 1.0)
    } else {
        0.0
    };
    let mu = (posterior_mean + shift).clamp(0.0, 1.0);
    let sd_mu = precision.recip().sqrt();
    let sd_next = (precision.recip() + sigma2).sqrt();
    let pass = |mean: f64, sd: f64| 1.0 - normal_cdf((cut - mean) / sd);
    let probability = pass(mu, sd_next);
    let low = pass(mu - Z_80 * sd_mu, config.noise_sd).min(probability);
    let high = pass(mu + Z_80 * sd_mu, config.noise_sd).max(probability);
    ReadinessEstimate::Estimate(Readiness {
        probability,
        low,
        high,
        attempts_used: k,
        predicted_fraction: mu,
        predicted_scaled: scaled_score(mu, 1.0, cut),
        method_note: format!(
            "From your last {k} full mock exams (newer ones count more), pulled towards the typical candidate \
             and {}; assumes the next mock is a full-length form like the previous ones.",
            if k >= 3 {
                "adjusted for your recent trend"
            } else {
                "without a trend (it needs 3 attempts)"
            }
        ),
    })
}

/// The least-squares slope of `y` against 0, 1, 2, … (0 for fewer than two points).
fn ols_slope(y: &[f64]) -> f64 {
    let n = y.len() as f64;
    if y.len() < 2 {
        return 0.0;
    }
    let xbar = (n - 1.0) / 2.0;
    let ybar = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, yi) in y.iter().enumerate() {
        let dx = i as f64 - xbar;
        sxy += dx * (yi - ybar);
        sxx += dx * dx;
    }
    sxy / sxx
}

/// Points on one objective (one row per attempt, or already summed; rows of the same objective are added).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectivePoints {
    /// The objective id.
    pub objective: String,
    /// Points earned.
    pub earned: f64,
    /// Points at stake.
    pub max: f64,
}

/// An objective ranked by [`weakest_objectives`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeakObjective {
    /// The objective id.
    pub objective: String,
    /// Points earned, summed.
    pub earned: f64,
    /// Points at stake, summed.
    pub max: f64,
    /// `earned / max`.
    pub proportion: f64,
    /// `(earned + k · overall) / (max + k)`: the proportion pulled towards the candidate's overall one, so
    /// that an objective seen once does not top the list on a single wrong answer.
    pub shrunk: f64,
}

/// The default `k` of [`weakest_objectives`]: the pull of the overall proportion, worth this many points.
pub const DEFAULT_SMOOTHING: f64 = 4.0;

/// The `count` objectives with the lowest shrunk proportion (ties by objective id), from per-objective points
/// across the candidate's recent attempts. Objectives with no points at stake are left out.
pub fn weakest_objectives(rows: &[ObjectivePoints], k: f64, count: usize) -> Vec<WeakObjective> {
    let mut sums: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.max > 0.0 && r.earned.is_finite() && r.max.is_finite())
    {
        let e = sums.entry(&r.objective).or_default();
        e.0 += r.earned.clamp(0.0, r.max);
        e.1 += r.max;
    }
    let (total_e, total_m) = sums
        .values()
        .fold((0.0, 0.0), |(e, m), v| (e + v.0, m + v.1));
    if total_m <= 0.0 {
        return Vec::new();
    }
    let overall = total_e / total_m;
    let k = if k.is_finite() {
        k.max(0.0)
    } else {
        DEFAULT_SMOOTHING
    };
    let mut out: Vec<WeakObjective> = sums
        .into_iter()
        .map(|(objective, (earned, max))| WeakObjective {
            objective: objective.to_owned(),
            earned,
            max,
            proportion: earned / max,
            shrunk: (earned + k * overall) / (max + k),
        })
        .collect();
    // Stable sort on a BTreeMap's order keeps ties by objective id.
    out.sort_by(|a, b| a.shrunk.total_cmp(&b.shrunk));
    out.truncate(count);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(scores: &[u32]) -> Readiness {
        match readiness(scores, &ReadinessConfig::default()) {
            ReadinessEstimate::Estimate(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fewer_than_two_full_mocks_is_too_little_data() {
        let c = ReadinessConfig::default();
        assert_eq!(
            readiness(&[], &c),
            ReadinessEstimate::TooLittleData { needed: 2 }
        );
        assert_eq!(
            readiness(&[820], &c),
            ReadinessEstimate::TooLittleData { needed: 1 }
        );
    }

    #[test]
    fn scaled_scores_map_back_to_fractions() {
        assert_eq!(fraction_from_scaled(700, 0.7), 0.7);
        assert_eq!(fraction_from_scaled(1000, 0.7), 1.0);
        assert_eq!(fraction_from_scaled(1, 0.7), 0.0);
        assert!((fraction_from_scaled(720, 0.7) - 0.72).abs() < 1e-12);
        for s in [1, 100, 250, 699, 700, 701, 850, 1000] {
            assert_eq!(
                scaled_score(fraction_from_scaled(s, 0.7) + 1e-12, 1.0, 0.7),
                s
            );
        }
    }

    /// The worked example of docs/readiness.md, step by step.
    #[test]
    fn reproduces_the_documented_worked_example() {
        let r = estimate(&[610, 660, 720]);
        // Fractions 0.60987, 0.65994, 0.72000; weights 0.49, 0.70, 1.00 (sum 2.19).
        // Precision 1/0.12² + 2.19/0.065² = 69.444 + 518.343 = 587.788.
        // Posterior mean (0.60 · 69.444 + 1.48080 · 236.686) / 587.788 = 0.66716.
        // Slope 0.05506 → damped 0.02753 → capped 0.02; lag 0.767; shift 0.02 · 1.767 = 0.03534.
        // Predicted 0.70251; sd 1/√587.788 = 0.04125; predictive sd √(0.04125² + 0.065²) = 0.07698.
        // P = 1 − Φ((0.70 − 0.70251)/0.07698) = 1 − Φ(−0.0326) = 0.513.
        // Range: 1 − Φ((0.70 − (0.70251 ∓ 1.2816 · 0.04125))/0.065) = 0.219 … 0.803.
        assert!((r.predicted_fraction - 0.70251).abs() < 1e-4, "{r:?}");
        assert!((r.probability - 0.513).abs() < 1e-3, "{r:?}");
        assert!(
            (r.low - 0.219).abs() < 1e-3 && (r.high - 0.803).abs() < 1e-3,
            "{r:?}"
        );
        assert_eq!((r.attempts_used, r.predicted_scaled), (3, 702));
    }

    #[test]
    fn two_attempts_use_no_trend_and_strong_scores_are_likely_to_pass() {
        let r = estimate(&[850, 880]);
        assert_eq!(r.attempts_used, 2);
        assert!(r.method_note.contains("without a trend"));
        assert!(r.probability > 0.9, "{r:?}");
        let weak = estimate(&[400, 450]);
        assert!(weak.probability < 0.05, "{weak:?}");
    }

    #[test]
    fn only_the_most_recent_attempts_count_and_newer_ones_weigh_more() {
        let old_bad = estimate(&[200, 200, 200, 780, 790, 800, 790, 800]);
        assert_eq!(old_bad.attempts_used, 5);
        assert!(old_bad.probability > 0.8, "{old_bad:?}");
        let improving = estimate(&[600, 750]);
        let declining = estimate(&[750, 600]);
        assert!(improving.probability > declining.probability);
    }

    #[test]
    fn the_range_brackets_the_estimate_and_everything_is_a_probability() {
        for scores in [
            vec![1, 1],
            vec![1000, 1000, 1000],
            vec![690, 710],
            vec![300, 900, 300, 900],
        ] {
            let r = estimate(&scores);
            assert!(r.low <= r.probability && r.probability <= r.high, "{r:?}");
            assert!(r.low >= 0.0 && r.high <= 1.0, "{r:?}");
        }
    }

    #[test]
    fn weakest_objectives_are_shrunk_towards_the_overall_proportion() {
        let row = |o: &str, e: f64, m: f64| ObjectivePoints {
            objective: o.into(),
            earned: e,
            max: m,
        };
        let rows = [
            row("vision.ocr", 0.0, 1.0),
            row("nlp.clu", 3.0, 10.0),
            row("nlp.clu", 1.0, 2.0),
            row("plan.secure", 14.0, 15.0),
            row("search.index", 8.0, 12.0),
        ];
        // Overall: (0 + 4 + 14 + 8) / (1 + 12 + 15 + 12) = 26/40 = 0.65; k = 4.
        //   vision.ocr   (0 + 2.6) / (1 + 4)  = 0.520   (raw 0.0, but only one point at stake)
        //   nlp.clu      (4 + 2.6) / (12 + 4) = 0.4125  (raw 0.333)
        //   search.index (8 + 2.6) / (12 + 4) = 0.6625
        //   plan.secure  (14 + 2.6) / (15 + 4) = 0.8737
        let w = weakest_objectives(&rows, DEFAULT_SMOOTHING, 2);
        let got: Vec<(&str, f64, f64)> = w
            .iter()
            .map(|w| (w.objective.as_str(), w.earned, w.max))
            .collect();
        assert_eq!(got, vec![("nlp.clu", 4.0, 12.0), ("vision.ocr", 0.0, 1.0)]);
        assert!((w[0].shrunk - 0.4125).abs() < 1e-12);
        assert!((w[1].shrunk - 0.52).abs() < 1e-12);
        assert!(weakest_objectives(&[], 4.0, 3).is_empty());
    }

    mod properties {
        use super::*;
        use proptest::collection::vec;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn readiness_is_a_probability_inside_its_range(
                scores in vec(1u32..=1000, 2..12), cut in 0.5f64..0.9, decay in 0.0f64..=1.0
            ) {
                let c = ReadinessConfig { cut, decay, ..ReadinessConfig::default() };
                let ReadinessEstimate::Estimate(r) = readiness(&scores, &c) else {
                    panic!("two or more attempts always give an estimate");
                };
                prop_assert!(r.low.is_finite() && r.probability.is_finite() && r.high.is_finite());
                prop_assert!(0.0 <= r.low && r.low <= r.probability, "{r:?}");
                prop_assert!(r.probability <= r.high && r.high <= 1.0, "{r:?}");
                prop_assert!((1..=1000).contains(&r.predicted_scaled));
            }
        }
    }
}
