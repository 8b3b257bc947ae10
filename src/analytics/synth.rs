//! Synthetic but realistic exam data for `ai102 demo seed`: candidate abilities, item parameters from the
//! difficulty tags, and simulated attempts under a 3PL item-response model, with learning between attempts,
//! time on item and the odd abandoned attempt. Pure: everything is drawn from the rng the caller seeds, so a
//! seed reproduces the whole demo data set.
//!
//! The model: the probability that a candidate of ability θ gets one element of an item right is
//! `P(θ) = c + (1 − c) / (1 + exp(−a (θ − b)))` (the three-parameter logistic model; `c = 0` is the 2PL).
//! Elements (selections, statements, positions, slots) are drawn independently with that probability.

use crate::bank::model::{Body, Difficulty, Question, ScoringRule};
use rand::Rng;
use serde::Serialize;

/// The probability that an attempt is abandoned (started, then left with no answers).
pub const ABANDON_PROBABILITY: f64 = 0.05;

/// How much ability a candidate gains over many attempts (the plateau of [`ability_at`]).
pub const LEARNING_PLATEAU: f64 = 0.5;

/// A standard normal draw by the Box–Muller transform: `√(−2 ln u₁) · cos(2π u₂)` with `u₁` in (0, 1].
pub fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]: ln never sees 0
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `n` candidate abilities θ ~ Normal(0, 1).
pub fn abilities(n: usize, rng: &mut impl Rng) -> Vec<f64> {
    (0..n).map(|_| standard_normal(rng)).collect()
}

/// A candidate's ability on their attempt number `attempt` (0 for the first): θ₀ plus a learning gain that
/// grows quickly, then levels off at [`LEARNING_PLATEAU`]: `θ₀ + 0.5 (1 − e^(−attempt/3))`.
pub fn ability_at(theta0: f64, attempt: usize) -> f64 {
    theta0 + LEARNING_PLATEAU * (1.0 - (-(attempt as f64) / 3.0).exp())
}

/// An item's response-model parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ItemParams {
    /// Discrimination (slope), drawn from 0.8–2.0.
    pub a: f64,
    /// Difficulty (location on the θ scale): easy −1, medium 0, hard +1, untagged 0, plus Normal(0, 0.3²).
    pub b: f64,
    /// Guessing floor: 1 / options for items with options, else 0.
    pub c: f64,
}

/// Draws parameters for an item with the given difficulty tag and number of options (0 when it has none).
pub fn item_params(
    difficulty: Option<Difficulty>,
    options: usize,
    rng: &mut impl Rng,
) -> ItemParams {
    let centre = match difficulty {
        Some(Difficulty::Easy) => -1.0,
        Some(Difficulty::Medium) | None => 0.0,
        Some(Difficulty::Hard) => 1.0,
    };
    ItemParams {
        a: 0.8 + 1.2 * rng.random::<f64>(),
        b: centre + 0.3 * standard_normal(rng),
        c: if options > 0 {
            1.0 / options as f64
        } else {
            0.0
        },
    }
}

/// The 3PL probability of getting one element right.
pub fn p_correct(theta: f64, p: &ItemParams) -> f64 {
    p.c + (1.0 - p.c) / (1.0 + (-p.a * (theta - p.b)).exp())
}

/// An item as the simulation needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthItem {
    /// The question id.
    pub id: String,
    /// `Question::max_points`.
    pub max_points: u32,
    /// Scoreable elements (`Body::elements`; for single/multiple, the number of keyed options).
    pub elements: u32,
    /// Scored all or nothing (else partial credit).
    pub all_or_nothing: bool,
    /// Option ids for single/multiple items; empty otherwise.
    pub options: Vec<String>,
    /// Keyed option ids for single/multiple items; empty otherwise.
    pub key: Vec<String>,
    /// Its response-model parameters.
    pub params: ItemParams,
}

impl SynthItem {
    /// The item of a bank question, with parameters drawn from its difficulty tag.
    pub fn from_question(q: &Question, rng: &mut impl Rng) -> SynthItem {
        let (options, key): (Vec<String>, Vec<String>) = match &q.body {
            Body::Single { options, answer } => (
                options.iter().map(|o| o.id.clone()).collect(),
                vec![answer.clone()],
            ),
            Body::Multiple {
                options, answer, ..
            } => (
                options.iter().map(|o| o.id.clone()).collect(),
                answer.clone(),
            ),
            _ => (Vec::new(), Vec::new()),
        };
        let params = item_params(q.common.difficulty, options.len(), rng);
        SynthItem {
            id: q.common.id.clone(),
            max_points: q.max_points(),
            elements: q.body.elements(),
            all_or_nothing: q.common.scoring == ScoringRule::AllOrNothing,
            options,
            key,
            params,
        }
    }

    /// The distractor that tempts weak candidates most: fixed per item (from a hash of its id), so it is the
    /// same across candidates and seeds.
    pub fn attractive_distractor(&self) -> Option<&str> {
        let distractors: Vec<&String> = self
            .options
            .iter()
            .filter(|o| !self.key.contains(o))
            .collect();
        if distractors.is_empty() {
            return None;
        }
        let at = (fnv1a(&self.id) % distractors.len() as u64) as usize;
        Some(distractors[at].as_str())
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One simulated answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulatedResponse {
    /// The item answered.
    pub item_id: String,
    /// Chosen option ids (single/multiple), keyed ones first; empty for other types.
    pub chosen: Vec<String>,
    /// Elements answered correctly; for types without options the caller builds a response with this many
    /// elements matching the key.
    pub correct_elements: u32,
    /// The item's elements.
    pub elements: u32,
    /// Points as `scoring::score` would give them (partial credit, or all or nothing).
    pub earned: f64,
    /// The item's maximum points.
    pub max: f64,
    /// Seconds spent on the item.
    pub seconds: u32,
}

/// One simulated attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulatedAttempt {
    /// Started and left without answers: `responses` is empty.
    pub abandoned: bool,
    /// One per item, in the order given; empty when abandoned.
    pub responses: Vec<SimulatedResponse>,
}

impl SimulatedAttempt {
    /// Earned points over the maximum of all `items` (0 for an abandoned attempt).
    pub fn fraction(&self, items: &[SynthItem]) -> f64 {
        let max: f64 = items.iter().map(|i| f64::from(i.max_points)).sum();
        let earned: f64 = self.responses.iter().map(|r| r.earned).sum();
        if max > 0.0 {
            earned / max
        } else {
            0.0
        }
    }
}

/// Simulates a candidate of ability `theta` taking `items`.
///
/// With probability [`ABANDON_PROBABILITY`] the attempt is abandoned. Otherwise each element is right with
/// [`p_correct`]; a wrong selection picks a distractor: the item's [`SynthItem::attractive_distractor`] with
/// probability `0.35 + 0.4 / (1 + e^θ)` (0.70 at θ = −2, 0.55 at 0, 0.40 at +2), else one of the others at
/// random. Time on item is log-normal around `45 s + 20 s` per extra element, longer when the item is hard for
/// the candidate: `base · exp(0.25 (b − θ) + 0.35 z)`, clamped to 5–900 s.
pub fn simulate_attempt(items: &[SynthItem], theta: f64, rng: &mut impl Rng) -> SimulatedAttempt {
    if rng.random::<f64>() < ABANDON_PROBABILITY {
        return SimulatedAttempt {
            abandoned: true,
            responses: Vec::new(),
        };
    }
    let responses = items.iter().map(|item| respond(item, theta, rng)).collect();
    SimulatedAttempt {
        abandoned: false,
        responses,
    }
}

fn respond(item: &SynthItem, theta: f64, rng: &mut impl Rng) -> SimulatedResponse {
    let p = p_correct(theta, &item.params);
    let elements = item.elements.max(1);
    let mut chosen = Vec::new();
    let correct = if item.key.is_empty() {
        (0..elements).filter(|_| rng.random::<f64>() < p).count() as u32
    } else {
        let mut wrong = 0;
        for k in &item.key {
            if rng.random::<f64>() < p {
                chosen.push(k.clone());
            } else {
                wrong += 1;
            }
        }
        let right = chosen.len() as u32;
        for _ in 0..wrong {
            if let Some(d) = pick_distractor(item, theta, &chosen, rng) {
                chosen.push(d);
            }
        }
        right
    }
    .min(elements);
    let max = f64::from(item.max_points);
    let earned = if item.all_or_nothing {
        if correct == elements {
            max
        } else {
            0.0
        }
    } else {
        max * f64::from(correct) / f64::from(elements)
    };
    let base = 45.0 + 20.0 * f64::from(elements - 1);
    let seconds = base * (0.25 * (item.params.b - theta) + 0.35 * standard_normal(rng)).exp();
    SimulatedResponse {
        item_id: item.id.clone(),
        chosen,
        correct_elements: correct,
        elements,
        earned,
        max,
        seconds: seconds.round().clamp(5.0, 900.0) as u32,
    }
}

fn pick_distractor(
    item: &SynthItem,
    theta: f64,
    taken: &[String],
    rng: &mut impl Rng,
) -> Option<String> {
    let free: Vec<&String> = item
        .options
        .iter()
        .filter(|o| !item.key.contains(o) && !taken.contains(o))
        .collect();
    if free.is_empty() {
        return None;
    }
    let attractive = item
        .attractive_distractor()
        .filter(|a| free.iter().any(|f| f == a));
    let lure = 0.35 + 0.4 / (1.0 + theta.exp());
    if let Some(a) = attractive {
        if free.len() == 1 || rng.random::<f64>() < lure {
            return Some(a.to_owned());
        }
        let others: Vec<&&String> = free.iter().filter(|f| f.as_str() != a).collect();
        return Some(others[rng.random_range(0..others.len())].to_string());
    }
    Some(free[rng.random_range(0..free.len())].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn bank(rng: &mut StdRng) -> Vec<SynthItem> {
        let difficulties = [
            Some(Difficulty::Easy),
            Some(Difficulty::Medium),
            Some(Difficulty::Hard),
            None,
        ];
        (0..20)
            .map(|i| {
                let options: Vec<String> = ["a", "b", "c", "d", "e"]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect();
                let (options, key, elements) = match i % 3 {
                    0 => (options[..4].to_vec(), vec!["a".to_owned()], 1),
                    1 => (options, vec!["a".to_owned(), "c".to_owned()], 2),
                    _ => (Vec::new(), Vec::new(), 3),
                };
                SynthItem {
                    id: format!("q{i}"),
                    max_points: elements,
                    elements,
                    all_or_nothing: false,
                    params: item_params(difficulties[i % 4], options.len(), rng),
                    options,
                    key,
                }
            })
            .collect()
    }

    #[test]
    fn box_muller_draws_have_mean_zero_and_variance_one() {
        let mut rng = StdRng::seed_from_u64(7);
        let xs = abilities(20_000, &mut rng);
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
        assert!(m.abs() < 0.03, "{m}");
        assert!((v - 1.0).abs() < 0.04, "{v}");
        assert!(xs.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn a_fixed_seed_reproduces_the_same_attempt() {
        let run = || {
            let mut rng = StdRng::seed_from_u64(42);
            let items = bank(&mut rng);
            (0..5)
                .map(|k| simulate_attempt(&items, ability_at(0.3, k), &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn abler_candidates_score_higher_on_average() {
        let mut rng = StdRng::seed_from_u64(2024);
        let items = bank(&mut rng);
        let mean_at = |theta: f64, rng: &mut StdRng| {
            let scores: Vec<f64> = (0..2000)
                .map(|_| simulate_attempt(&items, theta, rng))
                .filter(|a| !a.abandoned)
                .map(|a| a.fraction(&items))
                .collect();
            scores.iter().sum::<f64>() / scores.len() as f64
        };
        let means: Vec<f64> = [-1.5, -0.5, 0.5, 1.5]
            .iter()
            .map(|t| mean_at(*t, &mut rng))
            .collect();
        assert!(means.windows(2).all(|w| w[1] > w[0] + 0.03), "{means:?}");
    }

    #[test]
    fn about_one_attempt_in_twenty_is_abandoned_with_no_answers() {
        let mut rng = StdRng::seed_from_u64(9);
        let items = bank(&mut rng);
        let attempts: Vec<SimulatedAttempt> = (0..4000)
            .map(|_| simulate_attempt(&items, 0.0, &mut rng))
            .collect();
        let abandoned = attempts.iter().filter(|a| a.abandoned).count() as f64 / 4000.0;
        assert!(
            (abandoned - ABANDON_PROBABILITY).abs() < 0.015,
            "{abandoned}"
        );
        assert!(attempts
            .iter()
            .filter(|a| a.abandoned)
            .all(|a| a.responses.is_empty()));
    }

    #[test]
    fn answers_are_consistent_with_the_items() {
        let mut rng = StdRng::seed_from_u64(3);
        let items = bank(&mut rng);
        for _ in 0..200 {
            let a = simulate_attempt(&items, standard_normal(&mut rng), &mut rng);
            for (r, item) in a.responses.iter().zip(&items) {
                assert!(r.earned >= 0.0 && r.earned <= r.max);
                assert!((5..=900).contains(&r.seconds));
                if item.key.is_empty() {
                    assert!(r.chosen.is_empty());
                } else {
                    // Choose-k items get k distinct options; the keyed ones among them are the correct elements.
                    assert_eq!(r.chosen.len(), item.key.len());
                    let mut distinct = r.chosen.clone();
                    distinct.sort();
                    distinct.dedup();
                    assert_eq!(distinct.len(), r.chosen.len());
                    let keyed = r.chosen.iter().filter(|c| item.key.contains(c)).count() as u32;
                    assert_eq!(keyed, r.correct_elements);
                }
            }
        }
    }

    #[test]
    fn weak_candidates_fall_for_the_attractive_distractor_more_often() {
        let mut rng = StdRng::seed_from_u64(11);
        let item = SynthItem {
            id: "lure".into(),
            max_points: 1,
            elements: 1,
            all_or_nothing: false,
            options: ["a", "b", "c", "d"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            key: vec!["a".into()],
            params: ItemParams {
                a: 1.2,
                b: 0.0,
                c: 0.25,
            },
        };
        let lure = item.attractive_distractor().unwrap().to_owned();
        let share = |theta: f64, rng: &mut StdRng| {
            let wrong: Vec<String> = (0..4000)
                .map(|_| respond(&item, theta, rng))
                .filter(|r| r.correct_elements == 0)
                .map(|r| r.chosen[0].clone())
                .collect();
            wrong.iter().filter(|c| **c == lure).count() as f64 / wrong.len() as f64
        };
        let (weak, strong) = (share(-2.0, &mut rng), share(2.0, &mut rng));
        assert!(weak > strong + 0.15, "{weak} vs {strong}");
    }

    #[test]
    fn ability_grows_with_attempts_and_levels_off() {
        assert_eq!(ability_at(0.2, 0), 0.2);
        let path: Vec<f64> = (0..30).map(|k| ability_at(0.0, k)).collect();
        assert!(path.windows(2).all(|w| w[1] > w[0]));
        assert!(path[29] < LEARNING_PLATEAU && path[29] > 0.49);
    }

    #[test]
    fn bank_questions_become_items_with_tagged_difficulty() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut q = crate::scoring::fixtures::multiple();
        q.common.difficulty = Some(Difficulty::Hard);
        let item = SynthItem::from_question(&q, &mut rng);
        assert_eq!(
            (
                item.max_points,
                item.elements,
                item.key.len(),
                item.options.len()
            ),
            (2, 2, 2, 5)
        );
        assert!((item.params.c - 0.2).abs() < 1e-12);
        assert!(item.params.b > 0.0 && item.params.b < 2.0);
        let yn = SynthItem::from_question(&crate::scoring::fixtures::yes_no(), &mut rng);
        assert_eq!((yn.elements, yn.params.c, yn.options.len()), (3, 0.0, 0));
    }
}
