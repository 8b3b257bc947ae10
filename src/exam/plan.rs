//! Turning a draw into an attempt's fixed item list (pure): case studies expand into their questions,
//! and each question gets its display order of options, steps or choices from the attempt's seed.

use super::sampling::{shuffle_ids, Draw, PoolEntry, PoolKind};
use crate::bank::model::{Body, Item, Question};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How a question is shown in one attempt: the order of its options/steps/choices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Presentation {
    /// Ids in display order (options of single/multiple, steps of order, choices of match); empty otherwise.
    #[serde(default)]
    pub order: Vec<String>,
}

/// One position of an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedItem<R> {
    /// The revision the question comes from (whatever the storage uses to name it).
    pub revision: R,
    pub question_key: String,
    /// The case study this question belongs to, if any.
    pub section_key: Option<String>,
    pub domain: String,
    pub objective: String,
    pub presentation: Presentation,
    pub max_points: f64,
    /// An unscored trial question: answered like any other, left out of the score.
    pub trial: bool,
}

/// A pool entry for the sampler from an item's kind and its questions' domains.
pub fn pool_entry(
    item_key: &str,
    is_case_study: bool,
    domains: &[String],
    seen: bool,
    trial: bool,
) -> PoolEntry {
    let kind = if is_case_study {
        PoolKind::CaseStudy {
            domains: domains.to_vec(),
        }
    } else {
        PoolKind::Standalone {
            domain: domains.first().cloned().unwrap_or_default(),
        }
    };
    PoolEntry {
        item_id: item_key.to_owned(),
        kind,
        seen,
        trial,
    }
}

/// Expands a draw into positions, in exam order.
pub fn plan<R: Clone, I: std::borrow::Borrow<Item>>(
    draw: &Draw,
    items: &HashMap<String, (R, I)>,
    seed: u64,
) -> Vec<PlannedItem<R>> {
    let mut out = Vec::new();
    for key in &draw.entries {
        let Some((revision, item)) = items.get(key) else {
            continue;
        };
        let item: &Item = item.borrow();
        let section = item.case_study().map(|c| c.id.clone());
        let trial = draw.trial.contains(key);
        for (q, domain) in item.questions() {
            let position_seed = seed ^ fxhash(&q.common.id);
            out.push(PlannedItem {
                revision: revision.clone(),
                question_key: q.common.id.clone(),
                section_key: section.clone(),
                domain: domain.to_owned(),
                objective: q.common.objective.clone(),
                presentation: presentation(q, position_seed),
                max_points: f64::from(q.max_points()),
                trial,
            });
        }
    }
    out
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The shuffled display order for a question (yes/no statements and hot-area options keep the author's order).
pub fn presentation(q: &Question, seed: u64) -> Presentation {
    let ids =
        |xs: &[crate::bank::model::Choice]| xs.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    let order = match &q.body {
        Body::Single { options, .. } | Body::Multiple { options, .. } => {
            shuffle_ids(&ids(options), seed)
        }
        Body::Order { steps, .. } => shuffle_ids(&ids(steps), seed),
        Body::Match { choices, .. } => shuffle_ids(&ids(choices), seed),
        Body::YesNoSeries { .. } | Body::HotArea { .. } => vec![],
    };
    Presentation { order }
}

/// A drawn or drawable entry, as the type-coverage pass sees it.
#[derive(Debug, Clone)]
pub struct TypedEntry<'a> {
    pub key: &'a str,
    pub case_study: bool,
    /// The domain of a standalone question (the first of a case study's).
    pub domain: &'a str,
    pub types: &'a [String],
    pub seen: bool,
}

/// Makes a drawn exam show every item type the pool offers, as a short form should: for each missing type,
/// a drawn standalone question whose type appears more than once is swapped for an undrawn standalone
/// question of the missing type *in the same domain* (unseen first), so the domain counts do not change.
pub fn cover_types(entries: &mut [String], pool: &[TypedEntry<'_>], types: &[&str]) {
    let find = |key: &str| pool.iter().find(|e| e.key == key);
    for wanted in types {
        let count = |entries: &[String], t: &str| -> usize {
            entries
                .iter()
                .filter_map(|k| find(k))
                .map(|e| e.types.iter().filter(|x| x.as_str() == t).count())
                .sum()
        };
        if count(entries, wanted) > 0 {
            continue;
        }
        let mut candidates: Vec<&TypedEntry<'_>> = pool
            .iter()
            .filter(|e| {
                !e.case_study
                    && e.types.iter().any(|t| t == wanted)
                    && !entries.iter().any(|k| k == e.key)
            })
            .collect();
        candidates.sort_by_key(|e| e.seen);
        'candidates: for c in candidates {
            for i in 0..entries.len() {
                let Some(d) = find(&entries[i]) else { continue };
                let Some(d_type) = d.types.first() else {
                    continue;
                };
                if d.case_study || d.domain != c.domain || count(entries, d_type) < 2 {
                    continue;
                }
                entries[i] = c.key.to_owned();
                break 'candidates;
            }
        }
    }
}

/// Finds a question (and its effective domain) inside an item by its id.
pub fn find_question<'a>(item: &'a Item, key: &str) -> Option<&'a Question> {
    item.questions()
        .into_iter()
        .map(|(q, _)| q)
        .find(|q| q.common.id == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::fixtures;

    #[test]
    fn presentation_is_a_permutation_and_reproducible() {
        let q = fixtures::multiple();
        let a = presentation(&q, 7);
        let b = presentation(&q, 7);
        assert_eq!(a, b);
        let mut sorted = a.order.clone();
        sorted.sort();
        let Body::Multiple { options, .. } = &q.body else {
            panic!()
        };
        let mut expected: Vec<_> = options.iter().map(|o| o.id.clone()).collect();
        expected.sort();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn missing_types_are_swapped_in_within_the_same_domain() {
        let t = |x: &str| vec![x.to_owned()];
        let (single, order, hot) = (t("single"), t("order"), t("hot_area"));
        let pool = vec![
            TypedEntry {
                key: "a",
                case_study: false,
                domain: "plan",
                types: &single,
                seen: false,
            },
            TypedEntry {
                key: "b",
                case_study: false,
                domain: "plan",
                types: &single,
                seen: false,
            },
            TypedEntry {
                key: "c",
                case_study: false,
                domain: "plan",
                types: &order,
                seen: true,
            },
            TypedEntry {
                key: "d",
                case_study: false,
                domain: "plan",
                types: &order,
                seen: false,
            },
            TypedEntry {
                key: "e",
                case_study: false,
                domain: "nlp",
                types: &hot,
                seen: false,
            },
        ];
        let mut drawn = vec!["a".to_owned(), "b".to_owned()];
        cover_types(&mut drawn, &pool, &["single", "order", "hot_area"]);
        assert_eq!(
            drawn,
            vec!["d".to_owned(), "b".to_owned()],
            "unseen order item swapped in; no nlp swap"
        );
    }

    #[test]
    fn hot_areas_keep_the_authors_order() {
        assert!(presentation(&fixtures::hot_area(), 1).order.is_empty());
    }
}
