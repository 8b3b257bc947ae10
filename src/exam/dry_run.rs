//! The form's dry run, pure: whether the chosen packs can fill an exam form's blueprint, domain by domain.

use super::sampling::{domain_targets, draw, FormSpec};
use crate::bank::model::Blueprint;
use std::collections::BTreeMap;

/// One live item of the chosen packs, as the dry run needs it.
pub struct DryRunItem<'a> {
    /// The pool key (the pack's key and the item's).
    pub item_key: &'a str,
    pub case_study: bool,
    pub domains: &'a [String],
    /// Marked as an unscored trial item by its instructor.
    pub trial: bool,
}

/// Whether the chosen packs can fill the blueprint, domain by domain.
pub struct DryRun {
    /// Every domain within its range and every case study found.
    pub ok: bool,
    /// An exam can be drawn at all (perhaps with questions from other domains).
    pub fills: bool,
    pub summary: String,
    /// (domain, planned questions, available questions, short by)
    pub domains: Vec<(String, usize, usize, usize)>,
    /// What the form's trial items will be: how many each attempt gets, from how many in the packs.
    pub trial: Option<String>,
}

/// Draws one exam from the chosen packs' items and says whether it fills the blueprint, domain by domain, and
/// what the form's trial items will be.
pub fn dry_run(
    pool: &[DryRunItem<'_>],
    bp: &Blueprint,
    item_count: usize,
    case_studies: usize,
    trial_items: usize,
) -> DryRun {
    let entries: Vec<_> = pool
        .iter()
        .map(|r| super::plan::pool_entry(r.item_key, r.case_study, r.domains, false, r.trial))
        .collect();
    let spec = FormSpec {
        item_count,
        case_studies,
        domain_weights: bp
            .domains
            .iter()
            .map(|d| (d.id.clone(), d.weight.min, d.weight.max))
            .collect(),
        trial_items,
    };
    let trial_pool = pool.iter().filter(|r| r.trial && !r.case_study).count();
    let trial = (trial_items > 0).then(|| {
        let per_attempt = trial_items.min(trial_pool);
        format!(
            "Each attempt adds {per_attempt} unscored trial item(s) to the {item_count} scored ones \
             ({trial_pool} standalone trial item(s) in the packs; {trial_items} asked for)."
        )
    });
    let mut available: BTreeMap<String, usize> = BTreeMap::new();
    for r in pool.iter().filter(|r| !r.trial) {
        for d in r.domains {
            *available.entry(d.clone()).or_default() += 1;
        }
    }
    let targets = domain_targets(&spec);
    match draw(&entries, &spec, 1) {
        Ok(d) => {
            let domains: Vec<_> = targets
                .iter()
                .map(|(dom, want)| {
                    let have = available.get(dom).copied().unwrap_or(0);
                    let short = d
                        .shortfalls
                        .iter()
                        .find(|(s, _)| s == dom)
                        .map(|s| s.1)
                        .unwrap_or(0);
                    (dom.clone(), *want, have, short)
                })
                .collect();
            let short: usize = d.shortfalls.iter().map(|s| s.1).sum();
            let ok = short == 0 && d.missing_case_studies == 0;
            DryRun {
                ok,
                fills: true,
                summary: if ok {
                    format!("The packs can fill this form: {item_count} questions within every domain's weight range.")
                } else {
                    format!(
                        "The packs can fill {item_count} questions, but {short} had to come from other domains and {} case stud(ies) are missing.",
                        d.missing_case_studies
                    )
                },
                domains,
                trial,
            }
        }
        Err(e) => DryRun {
            ok: false,
            fills: false,
            summary: format!("The packs cannot fill this form: {e}."),
            domains: targets
                .iter()
                .map(|(dom, want)| {
                    let have = available.get(dom).copied().unwrap_or(0);
                    (dom.clone(), *want, have, want.saturating_sub(have))
                })
                .collect(),
            trial,
        },
    }
}
