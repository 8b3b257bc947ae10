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
mod tests {
    use super::*;

    fn info(id: &str, domain: &str, objective: &str, options: &[&str], key: &[&str]) -> ItemInfo {
        ItemInfo {
            id: id.into(),
            domain: domain.into(),
            objective: objective.into(),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            key: key.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    fn response(id: &str, earned: f64, chosen: &[&str], seconds: Option<f64>) -> ItemResponse {
        ItemResponse {
            item_id: id.into(),
            earned,
            max: 1.0,
            chosen: chosen.iter().map(|o| (*o).to_owned()).collect(),
            seconds,
            trial: false,
        }
    }

    /// Ten candidates A–J, four one-point items; i1 is a single-choice item with options a–d keyed a.
    ///
    /// ```text
    ///      i1 i2 i3 i4 total  i1 chose  seconds on i1
    ///   A   1  1  1  1   4      a        30
    ///   B   1  1  1  0   3      a        40
    ///   C   1  1  0  1   3      a        —
    ///   D   1  0  1  0   2      a        50
    ///   E   1  1  0  0   2      a        —
    ///   F   1  0  0  1   2      a        —
    ///   G   0  1  0  0   1      b        —
    ///   H   1  0  0  0   1      a        —
    ///   I   0  0  1  0   1      b        —
    ///   J   0  0  0  0   0      c        —
    /// ```
    fn ten_by_four() -> (Vec<ItemInfo>, Vec<AttemptRecord>) {
        let items = vec![
            info("i1", "plan", "plan.a", &["a", "b", "c", "d"], &["a"]),
            info("i2", "plan", "plan.b", &[], &[]),
            info("i3", "nlp", "nlp.a", &[], &[]),
            info("i4", "nlp", "nlp.a", &[], &[]),
        ];
        let rows: [(&str, [u8; 4], &str, Option<f64>); 10] = [
            ("A", [1, 1, 1, 1], "a", Some(30.0)),
            ("B", [1, 1, 1, 0], "a", Some(40.0)),
            ("C", [1, 1, 0, 1], "a", None),
            ("D", [1, 0, 1, 0], "a", Some(50.0)),
            ("E", [1, 1, 0, 0], "a", None),
            ("F", [1, 0, 0, 1], "a", None),
            ("G", [0, 1, 0, 0], "b", None),
            ("H", [1, 0, 0, 0], "a", None),
            ("I", [0, 0, 1, 0], "b", None),
            ("J", [0, 0, 0, 0], "c", None),
        ];
        let attempts = rows
            .iter()
            .map(|(_, marks, chose, secs)| AttemptRecord {
                total_fraction: marks.iter().map(|&m| f64::from(m)).sum::<f64>() / 4.0,
                items: vec![
                    response("i1", f64::from(marks[0]), &[chose], *secs),
                    response("i2", f64::from(marks[1]), &[], None),
                    response("i3", f64::from(marks[2]), &[], None),
                    response("i4", f64::from(marks[3]), &[], None),
                ],
            })
            .collect();
        (items, attempts)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-4
    }

    #[test]
    fn trial_items_leave_the_scored_items_statistics_unchanged() {
        let (mut items, attempts) = ten_by_four();
        let before = analyse(&items, &attempts, &Thresholds::default());
        items.push(info("t", "plan", "plan.a", &[], &[]));
        let with_trial: Vec<AttemptRecord> = attempts
            .iter()
            .enumerate()
            .map(|(n, a)| {
                let mut a = a.clone();
                // The weakest candidates get the trial item right: it would bend the rest scores.
                a.items.insert(
                    1,
                    ItemResponse {
                        trial: true,
                        ..response("t", f64::from(u8::from(n >= 5)), &[], None)
                    },
                );
                a
            })
            .collect();
        let after = analyse(&items, &with_trial, &Thresholds::default());
        assert_eq!(&after[..4], &before[..]);
    }

    #[test]
    fn a_trial_item_is_correlated_with_the_whole_scored_total() {
        let (mut items, mut attempts) = ten_by_four();
        items.push(info("t", "plan", "plan.a", &[], &[]));
        // The trial item is answered exactly like i1.
        for a in &mut attempts {
            let i1 = a.items[0].earned;
            a.items.push(ItemResponse {
                trial: true,
                ..response("t", i1, &[], None)
            });
        }
        let stats = analyse(&items, &attempts, &Thresholds::default());
        let t = &stats[4];
        assert_eq!(t.n, 10);
        assert_eq!(t.facility, stats[0].facility);
        let scores: Vec<f64> = attempts.iter().map(|a| a.items[0].earned).collect();
        let totals: Vec<f64> = attempts.iter().map(|a| a.total_fraction).collect();
        let expected = point_biserial(&scores, &totals).unwrap();
        assert!(close(t.point_biserial.unwrap(), expected));
        // Against the whole total it correlates more than i1 does against the rest of it.
        assert!(t.point_biserial.unwrap() > stats[0].point_biserial.unwrap());
    }

    #[test]
    fn the_promotion_hint_needs_enough_attempts_a_middling_facility_and_discrimination() {
        let stats = |n, facility, pb| ItemStats {
            item_id: "t".into(),
            domain: "plan".into(),
            objective: "plan.a".into(),
            n,
            facility: Some(facility),
            point_biserial: pb,
            upper_lower: None,
            options: vec![],
            mean_seconds: None,
            flags: vec![],
        };
        let ready = promotion(&stats(30, 0.6, Some(0.35)));
        assert!(ready.ready, "{}", ready.reason);
        assert!(ready.reason.starts_with("Ready to promote"));
        let few = promotion(&stats(29, 0.6, Some(0.35)));
        assert!(!few.ready);
        assert!(few.reason.contains("29 of the 30"), "{}", few.reason);
        let easy = promotion(&stats(40, 0.95, Some(0.1)));
        assert!(!easy.ready);
        assert!(
            easy.reason.contains("too easy") && easy.reason.contains("discriminates too little")
        );
        assert!(promotion(&stats(40, 0.2, Some(0.5)))
            .reason
            .contains("too hard"));
        assert!(!promotion(&stats(40, 0.5, None)).ready);
    }

    #[test]
    fn facility_is_the_proportion_correct_of_one_point_items() {
        let (items, attempts) = ten_by_four();
        let s = analyse(&items, &attempts, &Thresholds::default());
        // i1: A B C D E F H = 7 of 10; i2: A B C E G = 5; i3: A B D I = 4; i4: A C F = 3.
        let f: Vec<f64> = s.iter().map(|s| s.facility.unwrap()).collect();
        assert_eq!(f, vec![0.7, 0.5, 0.4, 0.3]);
        assert!(s.iter().all(|s| s.n == 10));
    }

    #[test]
    fn point_biserial_is_corrected_against_the_rest_of_the_test() {
        let (items, attempts) = ten_by_four();
        let s = analyse(&items, &attempts, &Thresholds::default());
        // i1: x = 1 1 1 1 1 1 0 1 0 0; rest = total − i1 = 3 2 2 1 1 1 1 0 1 0 (points of 3; the
        // correlation does not change when rest is divided by 3).
        //   x̄ = 0.7, r̄ = 12/10 = 1.2
        //   Sxr = Σxr − n·x̄·r̄ = (3+2+2+1+1+1+0) − 10·0.7·1.2 = 10 − 8.4 = 1.6
        //   Sxx = 7 − 10·0.49 = 2.1;  Srr = Σr² − n·r̄² = 22 − 14.4 = 7.6
        //   r = 1.6 / √(2.1 · 7.6) = 1.6 / √15.96 = 1.6 / 3.99500 = 0.40050
        // Check with (Mp − Mq)/s·√(pq): Mp = 10/7 = 1.42857, Mq = 2/3, s = √(7.6/10) = 0.87178,
        //   √(0.7·0.3) = 0.45826 → 0.76190 / 0.87178 · 0.45826 = 0.40050.
        assert!(close(s[0].point_biserial.unwrap(), 0.40050));
        // i3: x = 1 1 0 1 0 0 0 0 1 0; rest = 3 2 3 1 2 2 1 1 0 0, r̄ = 15/10 = 1.5
        //   Σxr = 3 + 2 + 1 + 0 = 6 = n·x̄·r̄ = 10·0.4·1.5, so Sxr = 0 and r = 0 exactly,
        //   while the uncorrected correlation with the total (which includes i3 itself) is positive:
        //   Σxt = 4+3+2+1 = 10, n·x̄·t̄ = 10·0.4·1.9 = 7.6, Sxt = 2.4 > 0.
        assert!(s[2].point_biserial.unwrap().abs() < 1e-12);
        let x3 = [1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        let totals: Vec<f64> = attempts.iter().map(|a| a.total_fraction).collect();
        assert!(point_biserial(&x3, &totals).unwrap() > 0.3);
    }

    #[test]
    fn upper_and_lower_groups_take_27_percent_and_break_ties_by_input_order() {
        let (items, attempts) = ten_by_four();
        let s = analyse(&items, &attempts, &Thresholds::default());
        // g = round(0.27 · 10) = round(2.7) = 3. Ranked: A(4) B(3) C(3) D E F(2) G H I(1) J(0).
        // Upper = A B C. Lower = the last three: H I J (G, H and I tie at 1; the later ones, H and I,
        // rank lower).
        let ul: Vec<UpperLower> = s.iter().map(|s| s.upper_lower.unwrap()).collect();
        assert!(ul.iter().all(|u| u.group_size == 3));
        // i1: upper 3/3, lower H=1 I=0 J=0 → 1/3; D = 2/3.
        assert!(close(ul[0].index, 2.0 / 3.0));
        assert!(close(ul[0].lower_facility, 1.0 / 3.0));
        // i2: upper 3/3, lower 0/3 → 1. i3: upper A B = 2/3, lower I = 1/3 → 1/3. i4: upper A C = 2/3,
        // lower 0 → 2/3.
        assert!(close(ul[1].index, 1.0));
        assert!(close(ul[2].index, 1.0 / 3.0));
        assert!(close(ul[3].index, 2.0 / 3.0));
    }

    #[test]
    fn options_are_counted_overall_and_by_group_and_seconds_are_averaged() {
        let (items, attempts) = ten_by_four();
        let s = analyse(&items, &attempts, &Thresholds::default());
        let rows: Vec<(&str, bool, usize, usize, usize)> = s[0]
            .options
            .iter()
            .map(|o| (o.option_id.as_str(), o.keyed, o.chosen, o.upper, o.lower))
            .collect();
        // Upper A B C chose a, a, a; lower H I J chose a, b, c.
        assert_eq!(
            rows,
            vec![
                ("a", true, 7, 3, 1),
                ("b", false, 2, 0, 1),
                ("c", false, 1, 0, 1),
                ("d", false, 0, 0, 0),
            ]
        );
        assert!(close(s[0].options[1].proportion, 0.2));
        // (30 + 40 + 50) / 3 = 40; items without any time have none.
        assert_eq!(s[0].mean_seconds, Some(40.0));
        assert_eq!(s[1].mean_seconds, None);
        assert!(s[1].options.is_empty());
    }

    #[test]
    fn no_flags_below_the_minimum_samples() {
        let (items, attempts) = ten_by_four();
        let s = analyse(&items, &attempts, &Thresholds::default());
        assert!(s.iter().all(|s| s.flags.is_empty()));
    }

    #[test]
    fn flags_name_the_problem_when_the_sample_is_big_enough() {
        let (items, attempts) = ten_by_four();
        let small = Thresholds {
            min_n_facility: 10,
            min_n_discrimination: 10,
            min_group_distractor: 3,
            too_hard: 0.35,
            ..Thresholds::default()
        };
        let s = analyse(&items, &attempts, &small);
        let kinds = |i: usize| {
            s[i].flags
                .iter()
                .map(|f| f.kind.clone())
                .collect::<Vec<_>>()
        };
        // i1: d never chosen; b and c are chosen by the lower group only (no wrong-key flag).
        assert_eq!(
            kinds(0),
            vec![FlagKind::RareDistractor {
                option_id: "d".into()
            }]
        );
        assert!(s[0].flags[0].reason.contains("never chosen"));
        // i3: item–rest correlation 0 → weak. i4: facility 0.3 < 0.35 → too hard.
        assert_eq!(kinds(2), vec![FlagKind::WeakDiscrimination]);
        assert_eq!(kinds(3)[0], FlagKind::TooHard);
    }

    #[test]
    fn a_distractor_the_best_candidates_choose_is_flagged_as_a_likely_wrong_key() {
        // Keyed "a", but the four strongest candidates choose "b", the four weakest "a".
        let items = vec![
            info("k", "plan", "plan.a", &["a", "b"], &["a"]),
            info("o", "plan", "plan.a", &[], &[]),
        ];
        let attempts: Vec<AttemptRecord> = (0..8)
            .map(|i| {
                let strong = i < 4;
                let other = f64::from(u8::from(strong));
                AttemptRecord {
                    total_fraction: (other + f64::from(u8::from(!strong))) / 2.0
                        + 0.01 * (8 - i) as f64,
                    items: vec![
                        response(
                            "k",
                            f64::from(u8::from(!strong)),
                            &[if strong { "b" } else { "a" }],
                            None,
                        ),
                        response("o", other, &[], None),
                    ],
                }
            })
            .collect();
        let t = Thresholds {
            min_n_discrimination: 8,
            min_group_distractor: 2,
            ..Thresholds::default()
        };
        let s = analyse(&items, &attempts, &t);
        let kinds: Vec<FlagKind> = s[0].flags.iter().map(|f| f.kind.clone()).collect();
        assert!(
            kinds.contains(&FlagKind::NegativeDiscrimination),
            "{kinds:?}"
        );
        assert!(kinds.contains(&FlagKind::DistractorFavoursUpper {
            option_id: "b".into()
        }));
    }

    #[test]
    fn zero_variance_gives_no_correlation_rather_than_nan() {
        let items = vec![
            info("easy", "plan", "plan.a", &[], &[]),
            info("x", "plan", "plan.a", &[], &[]),
        ];
        let attempts: Vec<AttemptRecord> = (0..5)
            .map(|i| AttemptRecord {
                total_fraction: 0.5,
                items: vec![
                    response("easy", 1.0, &[], None),
                    response("x", f64::from(u8::from(i % 2 == 0)), &[], None),
                ],
            })
            .collect();
        let s = analyse(&items, &attempts, &Thresholds::default());
        assert_eq!(s[0].facility, Some(1.0));
        assert_eq!(s[0].point_biserial, None);
        assert_eq!(s[1].point_biserial, None);
    }

    #[test]
    fn an_item_without_attempts_has_no_statistics_and_counts_against_coverage() {
        let (mut items, attempts) = ten_by_four();
        items.push(info("unseen", "nlp", "nlp.b", &["a", "b"], &["a"]));
        let s = analyse(&items, &attempts, &Thresholds::default());
        let u = &s[4];
        assert_eq!(
            (u.n, u.facility, u.point_biserial, u.upper_lower),
            (0, None, None, None)
        );
        let domains = by_domain(&s);
        // nlp: i3 (0.4), i4 (0.3), unseen → 3 items, 2 with data, mean (0.4 + 0.3) / 2 = 0.35.
        // plan: i1 (0.7), i2 (0.5) → mean 0.6.
        assert_eq!(domains[0].id, "nlp");
        assert_eq!((domains[0].items, domains[0].items_with_data), (3, 2));
        assert!(close(domains[0].mean_facility.unwrap(), 0.35));
        assert!(close(domains[1].mean_facility.unwrap(), 0.6));
        let objectives = by_objective(&s);
        let ids: Vec<&str> = objectives.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, vec!["nlp.a", "nlp.b", "plan.a", "plan.b"]);
        assert_eq!(objectives[1].mean_facility, None);
    }

    #[test]
    fn partial_credit_counts_as_a_proportion_of_the_item_points() {
        let items = vec![info("m", "plan", "plan.a", &["a", "b", "c"], &["a", "b"])];
        let attempts = vec![AttemptRecord {
            total_fraction: 0.5,
            items: vec![ItemResponse {
                item_id: "m".into(),
                earned: 1.0,
                max: 2.0,
                chosen: vec!["a".into(), "c".into()],
                seconds: None,
                trial: false,
            }],
        }];
        let s = analyse(&items, &attempts, &Thresholds::default());
        assert_eq!(s[0].facility, Some(0.5));
        // A single-item attempt has no rest score, hence no correlation.
        assert_eq!(s[0].point_biserial, None);
    }

    #[test]
    fn group_sizes_round_half_up_and_never_overlap() {
        assert_eq!(group_size(0, 0.27), 0);
        assert_eq!(group_size(1, 0.27), 0);
        assert_eq!(group_size(2, 0.27), 1);
        assert_eq!(group_size(10, 0.27), 3);
        assert_eq!(group_size(50, 0.27), 14); // 13.5 rounds up
        assert_eq!(group_size(100, 0.27), 27);
        assert_eq!(group_size(4, 0.9), 2);
    }

    /// J. D. Brown, "Point-biserial correlation coefficients", Shiken: JALT Testing & Evaluation SIG
    /// Newsletter 5(3), 2001, Table 2 — https://hosted.jalt.org/test/bro_12.htm
    ///
    /// Eight students with totals 50 45 45 40 35 30 30 25 (mean 37.50, SD 8.29 with divisor n). Item 1 is
    /// right for the top four: Mp = 45, Mq = 30, p = q = .50, rpbi = (45 − 30)/8.29 · √(.5·.5) = .91. Item 2
    /// is the mirror image: −.91 (his printed values are rounded up from ±0.9045). Item 3 is right for everyone: Brown prints .00; we return `None`, because a
    /// correlation with a constant is undefined (and would be NaN).
    #[test]
    fn reproduces_browns_published_point_biserial_example() {
        let totals = [50.0, 45.0, 45.0, 40.0, 35.0, 30.0, 30.0, 25.0];
        let item1 = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        let item2 = item1.map(|x| 1.0 - x);
        let item3 = [1.0; 8];
        let r1 = point_biserial(&item1, &totals).unwrap();
        // Brown prints .91; the unrounded value of his own formula is 15 / 8.2916 · 0.5 = 0.9045, so the
        // printed figure is rounded up by half a point in the second decimal. We agree to within 0.01 and match
        // the exact arithmetic to 1e-5.
        assert!((r1 - 0.91).abs() < 0.01, "{r1}");
        assert!((r1 - 0.904_534).abs() < 1e-5, "{r1}");
        assert!((point_biserial(&item2, &totals).unwrap() + 0.904_534).abs() < 1e-5);
        assert_eq!(point_biserial(&item3, &totals), None);
    }

    mod properties {
        use super::*;
        use proptest::collection::vec;
        use proptest::prelude::*;

        /// Up to 40 attempts of 1–6 items with random maxima and earned points.
        fn arb_attempts() -> impl Strategy<Value = Vec<AttemptRecord>> {
            let item = (
                0usize..6,
                1u32..4,
                0.0f64..=1.0,
                proptest::option::of(0.0f64..300.0),
            );
            vec(vec(item, 1..6), 0..40).prop_map(|attempts| {
                attempts
                    .into_iter()
                    .map(|rows| {
                        let items: Vec<ItemResponse> = rows
                            .into_iter()
                            .map(|(id, max, share, seconds)| {
                                let max = f64::from(max);
                                // Snap to whole points half the time, to get ties and 0/1 items.
                                let earned = if id % 2 == 0 {
                                    (share * max).round()
                                } else {
                                    share * max
                                };
                                ItemResponse {
                                    item_id: format!("i{id}"),
                                    earned,
                                    max,
                                    chosen: vec![if share > 0.5 { "a".into() } else { "b".into() }],
                                    seconds,
                                    trial: false,
                                }
                            })
                            .collect();
                        let (e, m) = items
                            .iter()
                            .fold((0.0, 0.0), |(e, m), r| (e + r.earned, m + r.max));
                        AttemptRecord {
                            total_fraction: e / m,
                            items,
                        }
                    })
                    .collect()
            })
        }

        proptest! {
            #[test]
            fn statistics_stay_in_range_and_are_never_nan(attempts in arb_attempts()) {
                let items: Vec<ItemInfo> =
                    (0..6).map(|i| info(&format!("i{i}"), "d", "d.o", &["a", "b", "c"], &["a"])).collect();
                let t = Thresholds { min_n_facility: 1, min_n_discrimination: 1, min_group_distractor: 1,
                    ..Thresholds::default() };
                for s in analyse(&items, &attempts, &t) {
                    if let Some(f) = s.facility {
                        prop_assert!((0.0..=1.0).contains(&f), "{f}");
                    }
                    prop_assert_eq!(s.facility.is_none(), s.n == 0);
                    if let Some(r) = s.point_biserial {
                        prop_assert!((-1.0..=1.0).contains(&r), "{r}");
                    }
                    if let Some(u) = s.upper_lower {
                        prop_assert!((-1.0..=1.0).contains(&u.index));
                        prop_assert!(2 * u.group_size <= s.n);
                    }
                    if let Some(m) = s.mean_seconds {
                        prop_assert!(m.is_finite());
                    }
                    for o in &s.options {
                        prop_assert!(o.proportion.is_finite() && o.upper <= o.chosen && o.lower <= o.chosen);
                    }
                }
            }

            #[test]
            fn point_biserial_is_a_bounded_correlation(
                pairs in vec((0u8..2, -100.0f64..100.0), 0..60)
            ) {
                let (x, y): (Vec<f64>, Vec<f64>) = pairs.iter().map(|(a, b)| (f64::from(*a), *b)).unzip();
                if let Some(r) = point_biserial(&x, &y) {
                    prop_assert!((-1.0..=1.0).contains(&r));
                }
            }
        }
    }
}
