//! Classical item analysis of finished exam-mode attempts: facility, corrected point-biserial
//! discrimination, the upper–lower 27 % index, option (distractor) counts, time on item, plain-English flags,
//! and per-domain and per-objective summaries. Pure: the caller loads the attempts.
//!
//! Definitions (for an item and the `n` attempts that contained it):
//! - **item score** of an attempt: `earned / max` on that item, in `0..=1` (0/1 for a one-point item);
//! - **facility**: the mean item score (the proportion correct for one-point items);
//! - **point-biserial (corrected)**: Pearson's correlation between the item score and the **rest score**, the
//!   fraction of points earned on the attempt's *other* items (so the item does not correlate with itself).
//!   For partial-credit items this is the item–rest correlation, its natural generalisation. `None` when
//!   either variable has zero variance (everyone got the item right, or all rest scores are equal): the
//!   correlation is undefined there, and we never report NaN;
//! - **upper–lower index** `D = facility(upper) − facility(lower)`, where the groups are the top and bottom
//!   27 % of the attempts by total score ([`group_size`]). Ties are broken deterministically by input order:
//!   among attempts with the same total, the one that comes **earlier** in the input ranks **higher**. So the
//!   caller should pass attempts in a stable order (e.g. by attempt id) for reproducible groups.

use super::math::{mean, pearson};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// An item as the analysis needs it: where it belongs, and its options and key when it has options.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemInfo {
    /// The item (question) id.
    pub id: String,
    /// Its blueprint domain id.
    pub domain: String,
    /// Its blueprint objective id.
    pub objective: String,
    /// Option ids in display order for `single` and `multiple` items; empty for the other types.
    pub options: Vec<String>,
    /// The keyed option ids (empty for types without options). Options not in the key are distractors.
    pub key: Vec<String>,
}

/// What one attempt did on one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemResponse {
    /// The item answered.
    pub item_id: String,
    /// Points earned, `0..=max`.
    pub earned: f64,
    /// The item's maximum points (items with `max <= 0` are skipped).
    pub max: f64,
    /// The option ids chosen (single/multiple); empty otherwise or when unanswered.
    pub chosen: Vec<String>,
    /// Seconds spent on the item, when known.
    pub seconds: Option<f64>,
    /// The item was an unscored trial item in this attempt: it is left out of every other item's rest score,
    /// and its own rest score is the attempt's whole scored total.
    pub trial: bool,
}

/// One finished exam-mode attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    /// The attempt's raw score as a fraction of its maximum (`raw / max`, 0..=1, scored items only): ranks it
    /// into the upper and lower groups.
    pub total_fraction: f64,
    /// Every item of the attempt (the rest score of an item is computed from the other scored items).
    pub items: Vec<ItemResponse>,
}

/// The thresholds of the flags and the minimum samples below which no flag is raised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// Facility flags need at least this many attempts (default 30).
    pub min_n_facility: usize,
    /// Discrimination flags need at least this many attempts (default 50).
    pub min_n_discrimination: usize,
    /// Distractor flags need upper and lower groups of at least this size (default 20, i.e. n ≥ 74).
    pub min_group_distractor: usize,
    /// Facility above this is "too easy" (default 0.95).
    pub too_easy: f64,
    /// Facility below this is "too hard" (default 0.20).
    pub too_hard: f64,
    /// A corrected point-biserial below this is weak (default 0.10); below 0 it is negative.
    pub weak_discrimination: f64,
    /// A distractor chosen by fewer than this share of all attempts is "rarely chosen" (default 0.02).
    pub rare_distractor: f64,
    /// The share of attempts in each of the upper and lower groups (default 0.27, Kelley's).
    pub group_fraction: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_n_facility: 30,
            min_n_discrimination: 50,
            min_group_distractor: 20,
            too_easy: 0.95,
            too_hard: 0.20,
            weak_discrimination: 0.10,
            rare_distractor: 0.02,
            group_fraction: 0.27,
        }
    }
}

/// The upper–lower discrimination index of an item.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UpperLower {
    /// Attempts in each group.
    pub group_size: usize,
    /// Mean item score in the upper group.
    pub upper_facility: f64,
    /// Mean item score in the lower group.
    pub lower_facility: f64,
    /// `upper_facility − lower_facility`, in `-1..=1`.
    pub index: f64,
}

/// How often one option was chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionStats {
    /// The option id.
    pub option_id: String,
    /// True for a keyed option, false for a distractor.
    pub keyed: bool,
    /// Attempts (of all `n`) that chose it.
    pub chosen: usize,
    /// `chosen / n`.
    pub proportion: f64,
    /// Attempts of the upper group that chose it.
    pub upper: usize,
    /// Attempts of the lower group that chose it.
    pub lower: usize,
}

/// What a flag is about (the reason is in [`Flag::reason`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FlagKind {
    /// Facility above `too_easy`.
    TooEasy,
    /// Facility below `too_hard`.
    TooHard,
    /// Item–rest correlation below 0.
    NegativeDiscrimination,
    /// Item–rest correlation from 0 to below `weak_discrimination`.
    WeakDiscrimination,
    /// A distractor nobody, or almost nobody, chooses.
    RareDistractor {
        /// The distractor.
        option_id: String,
    },
    /// A distractor the upper group chooses more often than the lower group: a likely wrong key.
    DistractorFavoursUpper {
        /// The distractor.
        option_id: String,
    },
}

/// A reason to review an item, in plain English.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    #[serde(flatten)]
    /// What the flag is about.
    pub kind: FlagKind,
    /// A sentence for the item-review page.
    pub reason: String,
}

/// The analysis of one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemStats {
    /// The item id.
    pub item_id: String,
    /// Its domain id.
    pub domain: String,
    /// Its objective id.
    pub objective: String,
    /// Attempts that contained the item.
    pub n: usize,
    /// Mean item score; `None` when `n = 0`.
    pub facility: Option<f64>,
    /// Corrected (item–rest) point-biserial; `None` when undefined (n < 2 or zero variance).
    pub point_biserial: Option<f64>,
    /// `None` when the groups would be empty (n < 2).
    pub upper_lower: Option<UpperLower>,
    /// One row per option in display order (empty for types without options).
    pub options: Vec<OptionStats>,
    /// Mean seconds over the attempts that recorded a time.
    pub mean_seconds: Option<f64>,
    /// Reasons to review the item (empty when none, or when the sample is too small).
    pub flags: Vec<Flag>,
}

/// A summary of a domain's or an objective's items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaSummary {
    /// The domain or objective id.
    pub id: String,
    /// Items of the area that were analysed.
    pub items: usize,
    /// Coverage: items with at least one attempt.
    pub items_with_data: usize,
    /// The unweighted mean facility of the items with data.
    pub mean_facility: Option<f64>,
}

/// The size of each of the upper and lower groups for `n` attempts: `fraction × n` rounded half up, at most
/// `n / 2` (so the groups never overlap), and 0 when `n < 2`.
pub fn group_size(n: usize, fraction: f64) -> usize {
    if n < 2 || fraction.is_nan() || fraction <= 0.0 {
        return 0;
    }
    let g = (fraction * n as f64 + 0.5).floor() as usize;
    g.clamp(1, n / 2)
}

/// The uncorrected point-biserial: Pearson's correlation between item scores (0/1, or fractions for partial
/// credit) and total scores, as in textbook examples. `None` when either has zero variance. The analysis
/// itself uses the corrected form, against the rest score.
pub fn point_biserial(item: &[f64], total: &[f64]) -> Option<f64> {
    pearson(item, total)
}

/// The upper–lower index of an item from `(total, item score)` pairs in input order, with groups of
/// [`group_size`]`(n, fraction)` and the tie rule of the module docs. `None` when `n < 2`.
pub fn upper_lower_index(scores: &[(f64, f64)], fraction: f64) -> Option<UpperLower> {
    let order = ranking(&scores.iter().map(|s| s.0).collect::<Vec<_>>());
    let g = group_size(scores.len(), fraction);
    if g == 0 {
        return None;
    }
    let facility = |idx: &[usize]| idx.iter().map(|&i| scores[i].1).sum::<f64>() / g as f64;
    let upper = facility(&order[..g]);
    let lower = facility(&order[order.len() - g..]);
    Some(UpperLower {
        group_size: g,
        upper_facility: upper,
        lower_facility: lower,
        index: upper - lower,
    })
}

/// Indices sorted from the highest total to the lowest; equal totals keep input order (earlier = higher).
/// NaN totals rank lowest.
fn ranking(totals: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..totals.len()).collect();
    let key = |i: usize| {
        if totals[i].is_nan() {
            f64::NEG_INFINITY
        } else {
            totals[i]
        }
    };
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
    order
}

/// One attempt's observation of one item.
struct Obs<'a> {
    total: f64,
    score: f64,
    rest: Option<f64>,
    chosen: &'a [String],
    seconds: Option<f64>,
}

/// Analyses every item of `items` over `attempts`, in the order of `items`.
///
/// Responses to items not in `items`, and responses with `max <= 0`, are ignored; an item listed twice in an
/// attempt counts once (the first). Attempts are ranked for the upper and lower groups by `total_fraction`,
/// ties by input order.
pub fn analyse(
    items: &[ItemInfo],
    attempts: &[AttemptRecord],
    thresholds: &Thresholds,
) -> Vec<ItemStats> {
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.id.as_str(), i))
        .collect();
    let mut observations: Vec<Vec<Obs>> = items.iter().map(|_| Vec::new()).collect();
    for attempt in attempts {
        let valid: Vec<&ItemResponse> = attempt
            .items
            .iter()
            .filter(|r| r.max > 0.0 && r.max.is_finite() && r.earned.is_finite())
            .collect();
        let (sum_earned, sum_max) = valid
            .iter()
            .filter(|r| !r.trial)
            .fold((0.0, 0.0), |(e, m), r| {
                (e + r.earned.clamp(0.0, r.max), m + r.max)
            });
        let mut seen = HashSet::new();
        for r in valid {
            let Some(&at) = index.get(r.item_id.as_str()) else {
                continue;
            };
            if !seen.insert(at) {
                continue;
            }
            let earned = r.earned.clamp(0.0, r.max);
            // A trial item is not in the scored total, so its rest score is the whole of it.
            let (own_earned, own_max) = if r.trial { (0.0, 0.0) } else { (earned, r.max) };
            let rest_max = sum_max - own_max;
            let rest =
                (rest_max > 1e-12).then(|| ((sum_earned - own_earned) / rest_max).clamp(0.0, 1.0));
            observations[at].push(Obs {
                total: attempt.total_fraction,
                score: earned / r.max,
                rest,
                chosen: &r.chosen,
                seconds: r.seconds.filter(|s| s.is_finite() && *s >= 0.0),
            });
        }
    }
    items
        .iter()
        .zip(&observations)
        .map(|(item, obs)| item_stats(item, obs, thresholds))
        .collect()
}

fn item_stats(item: &ItemInfo, obs: &[Obs], t: &Thresholds) -> ItemStats {
    let n = obs.len();
    let scores: Vec<f64> = obs.iter().map(|o| o.score).collect();
    let facility = mean(&scores);
    let (xs, rests): (Vec<f64>, Vec<f64>) = obs
        .iter()
        .filter_map(|o| o.rest.map(|r| (o.score, r)))
        .unzip();
    let point_biserial = pearson(&xs, &rests);
    let pairs: Vec<(f64, f64)> = obs.iter().map(|o| (o.total, o.score)).collect();
    let upper_lower = upper_lower_index(&pairs, t.group_fraction);

    let order = ranking(&obs.iter().map(|o| o.total).collect::<Vec<_>>());
    let g = group_size(n, t.group_fraction);
    let upper: HashSet<usize> = order[..g].iter().copied().collect();
    let lower: HashSet<usize> = order[n - g..].iter().copied().collect();
    let options = item
        .options
        .iter()
        .map(|opt| {
            let picked = |i: &usize| obs[*i].chosen.contains(opt);
            let chosen = (0..n).filter(picked).count();
            OptionStats {
                option_id: opt.clone(),
                keyed: item.key.contains(opt),
                chosen,
                proportion: if n > 0 { chosen as f64 / n as f64 } else { 0.0 },
                upper: upper.iter().filter(|i| picked(i)).count(),
                lower: lower.iter().filter(|i| picked(i)).count(),
            }
        })
        .collect::<Vec<_>>();
    let seconds: Vec<f64> = obs.iter().filter_map(|o| o.seconds).collect();

    let mut stats = ItemStats {
        item_id: item.id.clone(),
        domain: item.domain.clone(),
        objective: item.objective.clone(),
        n,
        facility,
        point_biserial,
        upper_lower,
        options,
        mean_seconds: mean(&seconds),
        flags: Vec::new(),
    };
    stats.flags = flags(&stats, t);
    stats
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The flags of an analysed item; each needs its minimum sample.
pub fn flags(s: &ItemStats, t: &Thresholds) -> Vec<Flag> {
    let mut out = Vec::new();
    let n = s.n;
    if let Some(f) = s.facility.filter(|_| n >= t.min_n_facility) {
        if f > t.too_easy {
            out.push(Flag {
                kind: FlagKind::TooEasy,
                reason: format!(
                    "Too easy: candidates earned {} of its points on average ({n} attempts, threshold {}), \
                     so it hardly separates strong from weak candidates.",
                    pct(f),
                    pct(t.too_easy)
                ),
            });
        } else if f < t.too_hard {
            out.push(Flag {
                kind: FlagKind::TooHard,
                reason: format!(
                    "Too hard: candidates earned only {} of its points on average ({n} attempts, threshold {}); \
                     check the key, the wording and whether the objective is taught.",
                    pct(f),
                    pct(t.too_hard)
                ),
            });
        }
    }
    if let Some(r) = s.point_biserial.filter(|_| n >= t.min_n_discrimination) {
        if r < 0.0 {
            out.push(Flag {
                kind: FlagKind::NegativeDiscrimination,
                reason: format!(
                    "Negative discrimination: candidates who did worse on the rest of the exam did better on this \
                     item (item–rest correlation {r:.2}, {n} attempts); the key may be wrong or the item misleading."
                ),
            });
        } else if r < t.weak_discrimination {
            out.push(Flag {
                kind: FlagKind::WeakDiscrimination,
                reason: format!(
                    "Weak discrimination: success on this item barely relates to success on the rest of the exam \
                     (item–rest correlation {r:.2} < {:.2}, {n} attempts).",
                    t.weak_discrimination
                ),
            });
        }
    }
    let g = s.upper_lower.map_or(0, |u| u.group_size);
    if g >= t.min_group_distractor {
        for o in s.options.iter().filter(|o| !o.keyed) {
            if o.chosen == 0 {
                out.push(Flag {
                    kind: FlagKind::RareDistractor {
                        option_id: o.option_id.clone(),
                    },
                    reason: format!(
                        "Distractor `{}` was never chosen in {n} attempts; it is not plausible and could be \
                         rewritten.",
                        o.option_id
                    ),
                });
            } else if o.proportion < t.rare_distractor {
                out.push(Flag {
                    kind: FlagKind::RareDistractor {
                        option_id: o.option_id.clone(),
                    },
                    reason: format!(
                        "Distractor `{}` was chosen by only {} of {n} attempts ({:.1}%, under {}); it is barely \
                         plausible.",
                        o.option_id,
                        o.chosen,
                        o.proportion * 100.0,
                        pct(t.rare_distractor)
                    ),
                });
            }
            if o.upper > o.lower {
                out.push(Flag {
                    kind: FlagKind::DistractorFavoursUpper {
                        option_id: o.option_id.clone(),
                    },
                    reason: format!(
                        "Distractor `{}` was chosen by more of the top-scoring candidates ({} of {g}) than of the \
                         lowest-scoring ({} of {g}); it may be a correct answer, so check the key.",
                        o.option_id, o.upper, o.lower
                    ),
                });
            }
        }
    }
    out
}

/// Whether an unscored trial item's statistics support promoting it to scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Promotion {
    /// Every criterion is met.
    pub ready: bool,
    /// Why (or why not), in plain English.
    pub reason: String,
}

/// At least this many attempts before a trial item can be judged.
pub const PROMOTE_MIN_N: usize = 30;
/// The facility range of an item worth scoring.
pub const PROMOTE_FACILITY: (f64, f64) = (0.30, 0.90);
/// The smallest corrected point-biserial (against the scored total) of an item worth scoring.
pub const PROMOTE_MIN_DISCRIMINATION: f64 = 0.20;

/// The "ready to promote" hint of a trial item: enough attempts ([`PROMOTE_MIN_N`]), a facility within
/// [`PROMOTE_FACILITY`] and a point-biserial of at least [`PROMOTE_MIN_DISCRIMINATION`]; otherwise every
/// reason why not.
pub fn promotion(s: &ItemStats) -> Promotion {
    if s.n < PROMOTE_MIN_N {
        return Promotion {
            ready: false,
            reason: format!(
                "Not yet: {} of the {PROMOTE_MIN_N} attempts needed to judge it.",
                s.n
            ),
        };
    }
    let (lo, hi) = PROMOTE_FACILITY;
    let mut why_not = Vec::new();
    match s.facility {
        Some(f) if f < lo => why_not.push(format!("too hard (facility {f:.2} < {lo:.2})")),
        Some(f) if f > hi => why_not.push(format!("too easy (facility {f:.2} > {hi:.2})")),
        Some(_) => {}
        None => why_not.push("no facility".to_owned()),
    }
    match s.point_biserial {
        Some(r) if r < PROMOTE_MIN_DISCRIMINATION => why_not.push(format!(
            "discriminates too little (point-biserial {r:.2} < {PROMOTE_MIN_DISCRIMINATION:.2})"
        )),
        Some(_) => {}
        None => why_not.push("its discrimination is undefined (no variance)".to_owned()),
    }
    if why_not.is_empty() {
        Promotion {
            ready: true,
            reason: format!(
                "Ready to promote: {} attempts, facility {:.2}, point-biserial {:.2}.",
                s.n,
                s.facility.unwrap_or_default(),
                s.point_biserial.unwrap_or_default()
            ),
        }
    } else {
        Promotion {
            ready: false,
            reason: format!("Not ready: {}.", why_not.join("; ")),
        }
    }
}

fn summarise<'a>(
    stats: &'a [ItemStats],
    area: impl Fn(&'a ItemStats) -> &'a str,
) -> Vec<AreaSummary> {
    let mut by: BTreeMap<&str, Vec<&ItemStats>> = BTreeMap::new();
    for s in stats {
        by.entry(area(s)).or_default().push(s);
    }
    by.into_iter()
        .map(|(id, items)| {
            let facilities: Vec<f64> = items.iter().filter_map(|s| s.facility).collect();
            AreaSummary {
                id: id.to_owned(),
                items: items.len(),
                items_with_data: facilities.len(),
                mean_facility: mean(&facilities),
            }
        })
        .collect()
}

/// Per-domain summaries, sorted by domain id.
pub fn by_domain(stats: &[ItemStats]) -> Vec<AreaSummary> {
    summarise(stats, |s| &s.domain)
}

/// Per-objective summaries, sorted by objective id.
pub fn by_objective(stats: &[ItemStats]) -> Vec<AreaSummary> {
    summarise(stats, |s| &s.objective)
}

#[cfg(test)]
mod tests;
