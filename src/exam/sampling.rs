//! Blueprint sampling: turning a pool of items and a form's spec into one exam's draw, reproducibly from a seed.
//!
//! Pure: the caller reads the pool (with which items the candidate saw recently) and stores the seed, so the
//! same draw can be recomputed, audited, or dry-run by an instructor to see which domains are short.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};

/// One drawable entry of the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolEntry {
    /// A standalone question's id, or a case study's id (its questions are drawn together).
    pub item_id: String,
    pub kind: PoolKind,
    /// The candidate saw this entry in a recent attempt; unseen entries are drawn first.
    pub seen: bool,
    /// An unscored trial item: never part of the scored draw, only added as one of a form's trial items
    /// (standalone questions only; a case study marked trial is never drawn).
    pub trial: bool,
}

/// What a pool entry holds.
#[derive(Debug, Clone, PartialEq)]
pub enum PoolKind {
    /// A question on its own, in one domain.
    Standalone { domain: String },
    /// A case study: one domain per question, in the case study's order.
    CaseStudy { domains: Vec<String> },
}

impl PoolEntry {
    /// How many scored questions the entry brings to an exam.
    pub fn questions(&self) -> usize {
        match &self.kind {
            PoolKind::Standalone { .. } => 1,
            PoolKind::CaseStudy { domains } => domains.len(),
        }
    }
}

/// What a form asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct FormSpec {
    /// Scored questions on the exam (a case study counts as its number of questions).
    pub item_count: usize,
    /// Whole case studies to include (0 or more).
    pub case_studies: usize,
    /// Each domain with its weight range, in percent of `item_count`: (domain, min %, max %).
    pub domain_weights: Vec<(String, f64, f64)>,
    /// Unscored trial questions to add on top of `item_count`, when the pool has them (0 or more).
    pub trial_items: usize,
}

/// One exam's draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// Pool entry ids in exam order: the case studies first (one section, each whole), then the standalone
    /// questions, shuffled.
    pub entries: Vec<String>,
    /// Questions per domain, case-study questions included: the spec's domains in its order (zeros too), then
    /// any other domain the pool supplied, by name. Sums to `item_count`.
    pub per_domain: Vec<(String, usize)>,
    /// Domains whose own questions could not meet their target, with how many were missing; the gap was
    /// filled from other domains.
    pub shortfalls: Vec<(String, usize)>,
    /// Requested case studies that could not be included (too few in the pool, or too long to fit).
    pub missing_case_studies: usize,
    /// The unscored trial entries among `entries` (standalone questions, never inside the case-study
    /// section); fewer than the spec's `trial_items` when the pool has fewer.
    pub trial: Vec<String>,
}

/// Why no exam could be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamplingError {
    #[error("the pool has {available} questions but the form needs {needed}")]
    PoolTooSmall { needed: usize, available: usize },
    #[error(
        "only {drawn} of {needed} questions could be drawn: the rest of the pool is in case studies \
         too long to fit whole"
    )]
    Unfillable { needed: usize, drawn: usize },
}

/// A domain's planned count and the counts its weight range allows.
#[derive(Debug, Clone)]
struct Target {
    domain: String,
    count: usize,
    lo: usize,
    hi: usize,
}

/// Per-domain question counts that sum to `item_count`: the midpoints of the weight ranges, normalised,
/// apportioned by largest remainder (ties to the earlier domain), then nudged so that each count lies within
/// its `[min %, max %]` of `item_count` where the ranges allow it.
pub fn domain_targets(spec: &FormSpec) -> Vec<(String, usize)> {
    targets(spec)
        .into_iter()
        .map(|t| (t.domain, t.count))
        .collect()
}

fn targets(spec: &FormSpec) -> Vec<Target> {
    let n = spec.item_count;
    let weights = &spec.domain_weights;
    if weights.is_empty() {
        return Vec::new();
    }
    let mids: Vec<f64> = weights
        .iter()
        .map(|(_, lo, hi)| {
            let mid = (lo + hi) / 2.0;
            if mid.is_finite() {
                mid.max(0.0)
            } else {
                0.0
            }
        })
        .collect();
    let total: f64 = mids.iter().sum();
    let quotas: Vec<f64> = mids
        .iter()
        .map(|m| {
            let share = if total > 0.0 {
                m / total
            } else {
                1.0 / mids.len() as f64
            };
            share * n as f64
        })
        .collect();
    let mut counts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let mut by_remainder: Vec<usize> = (0..quotas.len()).collect();
    by_remainder.sort_by(|&a, &b| {
        let (ra, rb) = (quotas[a] - quotas[a].floor(), quotas[b] - quotas[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    let short = n.saturating_sub(counts.iter().sum());
    for &i in by_remainder.iter().cycle().take(short) {
        counts[i] += 1;
    }

    let bound = |pct: f64| pct.max(0.0) / 100.0 * n as f64;
    let mut out: Vec<Target> = weights
        .iter()
        .zip(counts)
        .map(|((domain, min, max), count)| {
            let lo = ((bound(*min) - 1e-9).ceil().max(0.0) as usize).min(n);
            let hi = ((bound(*max) + 1e-9).floor() as usize).clamp(lo, n);
            Target {
                domain: domain.clone(),
                count,
                lo,
                hi,
            }
        })
        .collect();

    // Each move fixes one unit of a bound without breaking another, so this ends; the cap is a safety net.
    for _ in 0..=n * out.len() {
        if let Some(i) = neediest(&out, |t| t.lo.saturating_sub(t.count)) {
            let Some(j) = roomiest(&out, i, |t| t.count.saturating_sub(t.lo)) else {
                break;
            };
            out[i].count += 1;
            out[j].count -= 1;
        } else if let Some(i) = neediest(&out, |t| t.count.saturating_sub(t.hi)) {
            let Some(j) = roomiest(&out, i, |t| t.hi.saturating_sub(t.count)) else {
                break;
            };
            out[i].count -= 1;
            out[j].count += 1;
        } else {
            break;
        }
    }
    out
}

/// The index with the largest positive `gap` (the earliest on ties).
fn neediest(ts: &[Target], gap: impl Fn(&Target) -> usize) -> Option<usize> {
    (0..ts.len())
        .filter(|&i| gap(&ts[i]) > 0)
        .max_by_key(|&i| (gap(&ts[i]), std::cmp::Reverse(i)))
}

/// The index other than `not` with the largest positive `room` (the earliest on ties).
fn roomiest(ts: &[Target], not: usize, room: impl Fn(&Target) -> usize) -> Option<usize> {
    (0..ts.len())
        .filter(|&j| j != not && room(&ts[j]) > 0)
        .max_by_key(|&j| (room(&ts[j]), std::cmp::Reverse(j)))
}

/// Questions drawn per domain: the spec's domains in order, then any others by name.
struct Tally {
    spec: Vec<(String, usize)>,
    extra: BTreeMap<String, usize>,
}

impl Tally {
    fn add(&mut self, domain: &str) {
        match self.spec.iter_mut().find(|(d, _)| d == domain) {
            Some((_, n)) => *n += 1,
            None => *self.extra.entry(domain.to_owned()).or_default() += 1,
        }
    }

    fn add_case(&mut self, case: &PoolEntry) {
        if let PoolKind::CaseStudy { domains } = &case.kind {
            domains.iter().for_each(|d| self.add(d));
        }
    }
}

/// Shuffles `entries` and puts the unseen ones first, keeping the shuffled order within each group.
fn unseen_first<'a>(mut entries: Vec<&'a PoolEntry>, rng: &mut StdRng) -> Vec<&'a PoolEntry> {
    entries.shuffle(rng);
    entries.sort_by_key(|e| e.seen);
    entries
}

/// Draws an exam from `pool` for `spec`, the same draw for the same pool, spec and seed.
///
/// 1. `spec.case_studies` whole case studies, unseen first, each only if its questions still fit in
///    `item_count`; their questions count toward their domains.
/// 2. For each domain, standalone questions up to what its target still needs, unseen first, seen ones only
///    when the unseen run out. A domain that runs out entirely is reported in `shortfalls`.
/// 3. The gap is filled from the other domains' remaining questions, unseen before seen, favouring the domains
///    furthest below their maximum weight; domains outside the spec come last.
/// 4. If standalone questions run out, further case studies that fit are added.
/// 5. Up to `spec.trial_items` unscored trial questions (standalone entries marked `trial`, which steps 1–4
///    never draw) are inserted at random positions among the standalone questions; see [`Draw::trial`].
///
/// Entries with an id seen earlier in `pool` are ignored. Errors only when the pool holds fewer questions than
/// `item_count` ([`SamplingError::PoolTooSmall`]), or when the only questions left are in case studies too
/// long to fit whole ([`SamplingError::Unfillable`]).
pub fn draw(pool: &[PoolEntry], spec: &FormSpec, seed: u64) -> Result<Draw, SamplingError> {
    let trial_pool: Vec<&PoolEntry> = pool.iter().filter(|e| e.trial).collect();
    let mut ids = BTreeSet::new();
    let pool: Vec<&PoolEntry> = pool
        .iter()
        .filter(|e| !e.trial && e.questions() > 0 && ids.insert(e.item_id.as_str()))
        .collect();
    let needed = spec.item_count;
    let available: usize = pool.iter().map(|e| e.questions()).sum();
    if available < needed {
        return Err(SamplingError::PoolTooSmall { needed, available });
    }

    let mut rng = StdRng::seed_from_u64(seed);
    let targets = targets(spec);
    let mut tally = Tally {
        spec: targets.iter().map(|t| (t.domain.clone(), 0)).collect(),
        extra: BTreeMap::new(),
    };

    // 1. Case studies.
    let cases = unseen_first(
        pool.iter()
            .copied()
            .filter(|e| matches!(e.kind, PoolKind::CaseStudy { .. }))
            .collect(),
        &mut rng,
    );
    let mut chosen_cases: Vec<&PoolEntry> = Vec::new();
    let mut taken = 0;
    for case in &cases {
        if chosen_cases.len() == spec.case_studies {
            break;
        }
        if taken + case.questions() <= needed {
            taken += case.questions();
            chosen_cases.push(case);
        }
    }
    let missing_case_studies = spec.case_studies - chosen_cases.len();
    chosen_cases.iter().for_each(|c| tally.add_case(c));

    // What each domain still needs from standalone questions, trimmed so that the total fits exactly.
    let remaining = needed - taken;
    let mut need: Vec<usize> = targets
        .iter()
        .zip(&tally.spec)
        .map(|(t, (_, have))| t.count.saturating_sub(*have))
        .collect();
    while need.iter().sum::<usize>() > remaining {
        let i = (0..need.len())
            .filter(|&i| need[i] > 0)
            .max_by_key(|&i| {
                let planned = tally.spec[i].1 + need[i];
                (
                    planned.saturating_sub(targets[i].lo),
                    planned,
                    std::cmp::Reverse(i),
                )
            })
            .expect("a positive sum has a positive term");
        need[i] -= 1;
    }

    // Standalone questions grouped by domain: the spec's domains first, then the others by name.
    let mut groups: Vec<(String, Option<usize>, Vec<&PoolEntry>)> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.domain.clone(), Some(i), Vec::new()))
        .collect();
    let mut others: BTreeMap<&str, Vec<&PoolEntry>> = BTreeMap::new();
    for e in &pool {
        if let PoolKind::Standalone { domain } = &e.kind {
            match groups.iter_mut().find(|(d, _, _)| d == domain) {
                Some((_, _, g)) => g.push(e),
                None => others.entry(domain).or_default().push(e),
            }
        }
    }
    groups.extend(others.into_iter().map(|(d, g)| (d.to_owned(), None, g)));
    let groups: Vec<(String, Option<usize>, Vec<&PoolEntry>)> = groups
        .into_iter()
        .map(|(d, t, g)| (d, t, unseen_first(g, &mut rng)))
        .collect();
    let mut cursor = vec![0usize; groups.len()];
    let mut picked: Vec<&PoolEntry> = Vec::new();

    // 2. Each domain's own questions.
    let mut shortfalls = Vec::new();
    for (g, (domain, target, entries)) in groups.iter().enumerate() {
        let Some(t) = target else { continue };
        let take = need[*t].min(entries.len());
        picked.extend(&entries[..take]);
        cursor[g] = take;
        (0..take).for_each(|_| tally.add(domain));
        if take < need[*t] {
            shortfalls.push((domain.clone(), need[*t] - take));
        }
    }

    // 3. Fill the gap: unseen questions from any domain before seen ones.
    for allow_seen in [false, true] {
        while picked.len() < remaining {
            let best = (0..groups.len())
                .filter(|&g| {
                    groups[g]
                        .2
                        .get(cursor[g])
                        .is_some_and(|e| allow_seen || !e.seen)
                })
                .max_by_key(|&g| {
                    let headroom = match groups[g].1 {
                        Some(t) => targets[t].hi as i64 - tally.spec[t].1 as i64,
                        None => i64::MIN,
                    };
                    (headroom, std::cmp::Reverse(g))
                });
            let Some(g) = best else { break };
            picked.push(groups[g].2[cursor[g]]);
            cursor[g] += 1;
            tally.add(&groups[g].0);
        }
    }

    // 4. Out of standalone questions: more case studies, if any fit.
    let mut drawn = taken + picked.len();
    for case in &cases {
        if drawn == needed {
            break;
        }
        let is_chosen = chosen_cases.iter().any(|c| c.item_id == case.item_id);
        if !is_chosen && drawn + case.questions() <= needed {
            drawn += case.questions();
            chosen_cases.push(case);
            tally.add_case(case);
        }
    }
    if drawn < needed {
        return Err(SamplingError::Unfillable { needed, drawn });
    }

    picked.shuffle(&mut rng);
    let mut entries: Vec<String> = chosen_cases
        .iter()
        .chain(&picked)
        .map(|e| e.item_id.clone())
        .collect();
    let trial = add_trial(
        &mut entries,
        chosen_cases.len(),
        &ids,
        trial_pool,
        spec,
        seed,
    );
    let mut per_domain = tally.spec;
    per_domain.extend(tally.extra);
    Ok(Draw {
        entries,
        per_domain,
        shortfalls,
        missing_case_studies,
        trial,
    })
}

/// Mixed into the seed of the trial step, so that it has its own random stream.
const TRIAL_SEED: u64 = 0x7472_6961_6c5f_6974;

/// Step 5 of [`draw`]: up to `spec.trial_items` standalone trial entries (unseen first, ids not already in
/// the pool's scored entries), each inserted at a random position among the standalone questions, after the
/// `cases` leading case-study entries.
///
/// Runs after the scored draw with its own random stream, so the scored questions and their order relative
/// to each other are the same whatever the number of trial items.
fn add_trial(
    entries: &mut Vec<String>,
    cases: usize,
    scored_ids: &BTreeSet<&str>,
    trial_pool: Vec<&PoolEntry>,
    spec: &FormSpec,
    seed: u64,
) -> Vec<String> {
    if spec.trial_items == 0 {
        return Vec::new();
    }
    let mut rng = StdRng::seed_from_u64(seed ^ TRIAL_SEED);
    let mut ids = BTreeSet::new();
    let candidates: Vec<&PoolEntry> = trial_pool
        .into_iter()
        .filter(|e| {
            matches!(e.kind, PoolKind::Standalone { .. })
                && !scored_ids.contains(e.item_id.as_str())
                && ids.insert(e.item_id.as_str())
        })
        .collect();
    let chosen: Vec<String> = unseen_first(candidates, &mut rng)
        .into_iter()
        .take(spec.trial_items)
        .map(|e| e.item_id.clone())
        .collect();
    for id in &chosen {
        let at = rng.random_range(cases..=entries.len());
        entries.insert(at, id.clone());
    }
    chosen
}

/// `ids` in a seeded random order, e.g. a question's options for one attempt (store the seed, not the order).
pub fn shuffle_ids(ids: &[String], seed: u64) -> Vec<String> {
    let mut out = ids.to_vec();
    out.shuffle(&mut StdRng::seed_from_u64(seed));
    out
}

#[cfg(test)]
mod tests;
