//! Item analysis from running sums instead of raw responses, so it costs the same at 100 attempts and at
//! 100,000. The sums are kept per item and per *bucket* of the attempts' total score (`⌊100 · total⌋`,
//! 0..=100); the storage layer maintains them when an attempt ends (migrations/0008_analytics_rollups.sql).
//!
//! What is exact and what is not, against [`super::item_stats::analyse`] on the same attempts:
//! - `n`, facility, the corrected (item–rest) point-biserial, mean seconds and the overall option counts are
//!   exact (up to floating-point summation order): Pearson's r needs only `n, Σx, Σx², Σr, Σr², Σxr`, and
//!   each observation's rest score is known when its attempt ends;
//! - the upper and lower 27 % groups take whole buckets from the top (bottom), and from the bucket that
//!   straddles the group's edge a proportional share of its sums. The live analysis ranks attempts one by
//!   one and breaks ties by input order; here the attempts within one percentage point of the edge count
//!   by their mean. The upper–lower index can therefore differ by at most the edge bucket's share of the
//!   group (`|ΔD| ≤ 2 · min(edge bucket, g) / g`, usually far less), and the option counts of the groups are
//!   rounded to whole attempts.

use super::item_stats::{
    flags, group_size, ItemInfo, ItemStats, OptionStats, Thresholds, UpperLower,
};
use std::collections::BTreeMap;

/// The sums of one item's observations in one bucket (or, added up, in several).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemSums {
    /// Observations (attempts that contained the item).
    pub n: u64,
    /// Σ item score (earned / max).
    pub sum_x: f64,
    /// Σ item score².
    pub sum_x2: f64,
    /// Observations with a rest score (the attempt had other items worth points).
    pub n_rest: u64,
    /// Σ item score over those.
    pub sum_x_rest: f64,
    /// Σ item score² over those.
    pub sum_x2_rest: f64,
    /// Σ rest score.
    pub sum_r: f64,
    /// Σ rest score².
    pub sum_r2: f64,
    /// Σ item score × rest score.
    pub sum_xr: f64,
    /// Observations with a time.
    pub n_seconds: u64,
    /// Σ seconds.
    pub sum_seconds: f64,
    /// Option id → times chosen.
    pub options: BTreeMap<String, u64>,
}

impl ItemSums {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &ItemSums) {
        self.n += other.n;
        self.sum_x += other.sum_x;
        self.sum_x2 += other.sum_x2;
        self.n_rest += other.n_rest;
        self.sum_x_rest += other.sum_x_rest;
        self.sum_x2_rest += other.sum_x2_rest;
        self.sum_r += other.sum_r;
        self.sum_r2 += other.sum_r2;
        self.sum_xr += other.sum_xr;
        self.n_seconds += other.n_seconds;
        self.sum_seconds += other.sum_seconds;
        for (k, v) in &other.options {
            *self.options.entry(k.clone()).or_default() += v;
        }
    }

    /// The sums of one observation (for tests and for building sums in memory).
    pub fn observation(
        x: f64,
        rest: Option<f64>,
        seconds: Option<f64>,
        chosen: &[String],
    ) -> ItemSums {
        let mut s = ItemSums {
            n: 1,
            sum_x: x,
            sum_x2: x * x,
            ..ItemSums::default()
        };
        if let Some(r) = rest {
            s.n_rest = 1;
            s.sum_x_rest = x;
            s.sum_x2_rest = x * x;
            s.sum_r = r;
            s.sum_r2 = r * r;
            s.sum_xr = x * r;
        }
        if let Some(sec) = seconds {
            s.n_seconds = 1;
            s.sum_seconds = sec;
        }
        for c in chosen {
            *s.options.entry(c.clone()).or_default() += 1;
        }
        s
    }
}

/// Pearson's correlation from sums; `None` with fewer than two pairs or (near) zero variance, with the
/// tolerance of `math::pearson`.
fn pearson_from_sums(n: u64, sx: f64, sx2: f64, sy: f64, sy2: f64, sxy: f64) -> Option<f64> {
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let (mx, my) = (sx / nf, sy / nf);
    let sxx = sx2 - sx * mx;
    let syy = sy2 - sy * my;
    let cov = sxy - sx * my;
    // Sums of squares lose a few ulps per term; tolerate that much "variance", relative to the magnitudes.
    let tiny = |s: f64, m: f64| s <= 1e-10 * (1.0 + m * m) * nf;
    if tiny(sxx, mx) || tiny(syy, my) {
        return None;
    }
    let r = cov / (sxx * syy).sqrt();
    r.is_finite().then(|| r.clamp(-1.0, 1.0))
}

/// One group's share of the buckets, walking them in `order`: the sums of the `g` observations, whole
/// buckets first and a proportional share of the last.
fn group(buckets: &[&ItemSums], g: u64) -> (f64, BTreeMap<String, f64>) {
    let mut left = g as f64;
    let mut sum_x = 0.0;
    let mut options: BTreeMap<String, f64> = BTreeMap::new();
    for b in buckets {
        if left <= 0.0 {
            break;
        }
        if b.n == 0 {
            continue;
        }
        let share = (left / b.n as f64).min(1.0);
        sum_x += b.sum_x * share;
        for (k, v) in &b.options {
            *options.entry(k.clone()).or_default() += *v as f64 * share;
        }
        left -= b.n as f64 * share;
    }
    (sum_x, options)
}

/// The statistics of `item` from its sums per bucket (bucket → sums), as [`super::item_stats::analyse`]
/// reports them (see the module documentation for the upper–lower approximation).
pub fn item_stats_from_sums(
    item: &ItemInfo,
    buckets: &BTreeMap<i16, ItemSums>,
    t: &Thresholds,
) -> ItemStats {
    let mut all = ItemSums::default();
    for b in buckets.values() {
        all.add(b);
    }
    let n = usize::try_from(all.n).unwrap_or(usize::MAX);
    let facility = (all.n > 0).then(|| all.sum_x / all.n as f64);
    let point_biserial = pearson_from_sums(
        all.n_rest,
        all.sum_x_rest,
        all.sum_x2_rest,
        all.sum_r,
        all.sum_r2,
        all.sum_xr,
    );
    let g = group_size(n, t.group_fraction) as u64;
    let top: Vec<&ItemSums> = buckets.values().rev().collect();
    let bottom: Vec<&ItemSums> = buckets.values().collect();
    let (upper_x, upper_opts) = group(&top, g);
    let (lower_x, lower_opts) = group(&bottom, g);
    let upper_lower = (g > 0).then(|| {
        let (u, l) = (upper_x / g as f64, lower_x / g as f64);
        UpperLower {
            group_size: g as usize,
            upper_facility: u,
            lower_facility: l,
            index: u - l,
        }
    });
    let count = |m: &BTreeMap<String, f64>, k: &str| m.get(k).map_or(0, |v| v.round() as usize);
    let options = item
        .options
        .iter()
        .map(|opt| {
            let chosen = all.options.get(opt).copied().unwrap_or(0) as usize;
            OptionStats {
                option_id: opt.clone(),
                keyed: item.key.contains(opt),
                chosen,
                proportion: if n > 0 { chosen as f64 / n as f64 } else { 0.0 },
                upper: count(&upper_opts, opt),
                lower: count(&lower_opts, opt),
            }
        })
        .collect();
    let mut stats = ItemStats {
        item_id: item.id.clone(),
        domain: item.domain.clone(),
        objective: item.objective.clone(),
        n,
        facility,
        point_biserial,
        upper_lower,
        options,
        mean_seconds: (all.n_seconds > 0).then(|| all.sum_seconds / all.n_seconds as f64),
        flags: Vec::new(),
    };
    stats.flags = flags(&stats, t);
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::item_stats::{analyse, AttemptRecord, ItemResponse};

    fn info() -> ItemInfo {
        ItemInfo {
            id: "q".into(),
            domain: "d".into(),
            objective: "o".into(),
            options: vec!["a".into(), "b".into(), "c".into()],
            key: vec!["a".into()],
        }
    }

    /// Attempts with distinct totals (no two in one bucket), each with the item `q` and one other item.
    fn attempts() -> Vec<AttemptRecord> {
        (0..40)
            .map(|i| {
                let right = (i * 7) % 3 != 0;
                let other = (i % 11) as f64 / 10.0;
                let earned = if right { 1.0 } else { 0.0 };
                let chosen = if right {
                    "a"
                } else if i % 2 == 0 {
                    "b"
                } else {
                    "c"
                };
                AttemptRecord {
                    // Distinct, and at least a percentage point apart: one attempt per bucket.
                    total_fraction: 0.01 + i as f64 * 0.0245,
                    items: vec![
                        ItemResponse {
                            item_id: "q".into(),
                            earned,
                            max: 1.0,
                            chosen: vec![chosen.into()],
                            seconds: Some(10.0 + i as f64),
                            trial: false,
                        },
                        ItemResponse {
                            item_id: "other".into(),
                            earned: other,
                            max: 1.0,
                            chosen: vec![],
                            seconds: None,
                            trial: false,
                        },
                    ],
                }
            })
            .collect()
    }

    fn sums_of(attempts: &[AttemptRecord]) -> BTreeMap<i16, ItemSums> {
        let mut out: BTreeMap<i16, ItemSums> = BTreeMap::new();
        for a in attempts {
            let q = &a.items[0];
            let other = &a.items[1];
            let bucket = (100.0 * a.total_fraction).floor() as i16;
            out.entry(bucket).or_default().add(&ItemSums::observation(
                q.earned / q.max,
                Some(other.earned / other.max),
                q.seconds,
                &q.chosen,
            ));
        }
        out
    }

    #[test]
    fn sums_give_the_same_statistics_as_the_raw_responses_when_no_bucket_is_shared() {
        let attempts = attempts();
        let live = analyse(&[info()], &attempts, &Thresholds::default()).remove(0);
        let rolled = item_stats_from_sums(&info(), &sums_of(&attempts), &Thresholds::default());
        assert_eq!(rolled.n, live.n);
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (None, None) => true,
            _ => false,
        };
        assert!(close(rolled.facility, live.facility));
        assert!(
            close(rolled.point_biserial, live.point_biserial),
            "{rolled:?} {live:?}"
        );
        assert!(close(rolled.mean_seconds, live.mean_seconds));
        let (r, l) = (rolled.upper_lower.unwrap(), live.upper_lower.unwrap());
        assert_eq!(r.group_size, l.group_size);
        assert!((r.index - l.index).abs() < 1e-9, "{r:?} {l:?}");
        assert_eq!(rolled.options, live.options);
        assert_eq!(rolled.flags, live.flags);
    }

    #[test]
    fn a_bucket_on_the_group_edge_counts_by_its_mean() {
        // Ten attempts in one bucket, half right: any group of g takes g / 2 right answers.
        let mut b = BTreeMap::new();
        let mut s = ItemSums::default();
        for i in 0..10 {
            s.add(&ItemSums::observation(f64::from(i % 2), None, None, &[]));
        }
        b.insert(50, s);
        let stats = item_stats_from_sums(&info(), &b, &Thresholds::default());
        let ul = stats.upper_lower.unwrap();
        assert_eq!(ul.group_size, 3);
        assert!((ul.upper_facility - 0.5).abs() < 1e-12);
        assert!((ul.index).abs() < 1e-12);
        assert_eq!(stats.point_biserial, None, "no rest scores");
    }

    #[test]
    fn constant_item_scores_have_no_correlation() {
        let mut b = BTreeMap::new();
        let mut s = ItemSums::default();
        for i in 0..20 {
            s.add(&ItemSums::observation(
                1.0,
                Some(f64::from(i) / 20.0),
                None,
                &[],
            ));
        }
        b.insert(90, s);
        let stats = item_stats_from_sums(&info(), &b, &Thresholds::default());
        assert_eq!(stats.point_biserial, None);
        assert_eq!(stats.facility, Some(1.0));
    }
}
