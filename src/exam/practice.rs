//! Practice sets (pure): the candidate picks domains, objectives, where to draw from (everything, the questions
//! due for review, the ones they missed, or the ones never seen), case studies or not, and how many questions;
//! the set is drawn at random from what matches.

use super::sampling::shuffle_ids;
use std::collections::HashSet;

/// Which questions a practice set draws from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Source {
    /// Every published question of the exam.
    #[default]
    All,
    /// The questions of the review deck due today: a review session.
    Due,
    /// The questions missed in the last five finished attempts.
    Missed,
    /// The questions never shown to the candidate.
    NotSeen,
}

impl Source {
    /// Every source, in the order the practice page offers them.
    pub const ALL: [Source; 4] = [Source::All, Source::Due, Source::Missed, Source::NotSeen];

    /// The name in forms and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::All => "all",
            Source::Due => "due",
            Source::Missed => "missed",
            Source::NotSeen => "not_seen",
        }
    }

    /// Reads a form's or the API's value.
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What the candidate asked for.
#[derive(Debug, Clone, Default)]
pub struct PracticeSpec {
    /// Empty: every domain.
    pub domains: Vec<String>,
    /// Empty: every objective of the chosen domains.
    pub objectives: Vec<String>,
    pub source: Source,
    pub include_case_studies: bool,
    pub count: usize,
}

/// One candidate entry of the pool.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub key: &'a str,
    pub case_study: bool,
    pub domains: &'a [String],
    pub objectives: &'a [String],
}

/// The item keys of a practice set (at most `count` questions; a case study counts as its questions and is
/// kept whole), in a random order from `seed`. `keys` is the set the source names: the due, the missed or the
/// seen questions (unused for [`Source::All`]).
pub fn select(
    pool: &[Candidate<'_>],
    keys: &HashSet<String>,
    spec: &PracticeSpec,
    seed: u64,
) -> Vec<String> {
    let matches = |c: &Candidate<'_>| {
        (spec.include_case_studies || !c.case_study)
            && (spec.domains.is_empty() || c.domains.iter().any(|d| spec.domains.contains(d)))
            && (spec.objectives.is_empty()
                || c.objectives.iter().any(|o| spec.objectives.contains(o)))
            && match spec.source {
                Source::All => true,
                Source::Due | Source::Missed => keys.contains(c.key),
                Source::NotSeen => !keys.contains(c.key),
            }
    };
    let eligible: Vec<String> = pool
        .iter()
        .filter(|c| matches(c))
        .map(|c| c.key.to_owned())
        .collect();
    let mut out = Vec::new();
    let mut questions = 0;
    for key in shuffle_ids(&eligible, seed) {
        let Some(c) = pool.iter().find(|c| c.key == key) else {
            continue;
        };
        let n = c.domains.len().max(1);
        if questions + n > spec.count {
            continue;
        }
        questions += n;
        out.push(key);
        if questions == spec.count {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn filters_by_domain_objective_seen_and_missed() {
        let d1 = s(&["plan"]);
        let o1 = s(&["plan.secure"]);
        let d2 = s(&["nlp"]);
        let o2 = s(&["nlp.qa"]);
        let d3 = s(&["genai", "genai"]);
        let o3 = s(&["genai.rag", "genai.ops"]);
        let pool = vec![
            Candidate {
                key: "a",
                case_study: false,
                domains: &d1,
                objectives: &o1,
            },
            Candidate {
                key: "b",
                case_study: false,
                domains: &d2,
                objectives: &o2,
            },
            Candidate {
                key: "cs",
                case_study: true,
                domains: &d3,
                objectives: &o3,
            },
        ];
        let none = HashSet::new();
        let all = PracticeSpec {
            include_case_studies: true,
            count: 10,
            ..Default::default()
        };
        let mut got = select(&pool, &none, &all, 1);
        got.sort();
        assert_eq!(got, s(&["a", "b", "cs"]));
        let no_cases = PracticeSpec {
            count: 10,
            ..Default::default()
        };
        assert!(!select(&pool, &none, &no_cases, 1).contains(&"cs".to_owned()));
        let nlp = PracticeSpec {
            domains: s(&["nlp"]),
            count: 10,
            ..Default::default()
        };
        assert_eq!(select(&pool, &none, &nlp, 1), s(&["b"]));
        let seen: HashSet<String> = ["a".to_owned()].into();
        let unseen = PracticeSpec {
            source: Source::NotSeen,
            count: 10,
            ..Default::default()
        };
        assert_eq!(select(&pool, &seen, &unseen, 1), s(&["b"]));
        for source in [Source::Missed, Source::Due] {
            let only = PracticeSpec {
                source,
                count: 10,
                ..Default::default()
            };
            assert_eq!(select(&pool, &seen, &only, 1), s(&["a"]));
            assert!(select(&pool, &none, &only, 1).is_empty());
        }
        for x in Source::ALL {
            assert_eq!(Source::parse(x.as_str()), Some(x));
        }
        let one = PracticeSpec {
            include_case_studies: true,
            count: 1,
            ..Default::default()
        };
        assert_eq!(
            select(&pool, &none, &one, 3).len(),
            1,
            "a case study that would overflow is skipped"
        );
    }
}
