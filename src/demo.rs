//! `ai102 demo seed`: synthetic candidates and exam attempts on the shipped forms, spread over the last 12
//! weeks, so the analytics pages have something to show. Attempts are drawn like real ones
//! (`exam::service::FormPool`, as `start_attempt` draws), answered by `analytics::synth`, scored like
//! `store::exam::finalize` scores, and written in batches (the rollups follow by trigger).

use crate::analytics::synth::{self, SynthItem};
use crate::auth::{Email, Role};
use crate::bank::model::{Body, Item, Question, YesNo};
use crate::exam::plan::{find_question, PlannedItem};
use crate::exam::service::{self, FormPool};
use crate::scoring::{self, Response};
use crate::store;
use crate::store::analytics::DemoAttempt;
use crate::store::exam::{EndReason, FormRow};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use time::{Duration, OffsetDateTime};

/// What to create.
#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    pub candidates: usize,
    /// Exam attempts per candidate.
    pub attempts: usize,
    /// Run even when the database has accounts that are not demo candidates.
    pub force: bool,
    /// The random seed (the same seed gives the same abilities and answers).
    pub seed: u64,
}

/// What was done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedSummary {
    pub candidates_created: usize,
    /// Demo candidates that already existed (and were left as they were).
    pub candidates_skipped: usize,
    pub attempts: usize,
    pub abandoned: usize,
}

/// The e-mail of demo candidate `n` (from 1).
pub fn demo_email(n: usize) -> String {
    format!("demo-candidate-{n}@example.invalid")
}

/// How far back the attempts go.
const HISTORY_DAYS: i64 = 84;

/// Attempts written per transaction.
const BATCH: usize = 2000;

/// Creates the demo candidates that do not exist yet, each with `attempts` exam attempts (about one in
/// five on Quick 15, the rest on the full mock). Idempotent: existing demo candidates are skipped.
///
/// Attempts are drawn as `exam::service::start_attempt` draws them (the same blueprint sampler, avoiding
/// the candidate's last three attempts' items), answered by `analytics::synth`, scored by `scoring` as
/// `store::exam::finalize` scores them, and written [`BATCH`] at a time: the forms and their items are read
/// once, and each batch is four set-based statements. On the shared 2-core benchmark machine 100,000 attempts
/// took about 8 minutes in release mode, most of it in drawing and simulating rather than in the database
/// (one attempt at a time, about ten round trips each, took 60 ms an attempt in debug).
pub async fn seed(db: &PgPool, opts: SeedOptions) -> anyhow::Result<SeedSummary> {
    let others = store::analytics::count_non_demo_users(db).await?;
    if others > 0 && !opts.force {
        anyhow::bail!(
            "the database has {others} account(s) that are not demo candidates; \
             demo data would mix with theirs. Use --force to seed anyway"
        );
    }
    let forms = store::exam::list_forms(db).await?;
    let full = forms
        .iter()
        .find(|f| f.slug == "ai102-full")
        .or_else(|| forms.first())
        .ok_or_else(|| {
            anyhow::anyhow!("there is no exam form: start the service once to load the bank")
        })?;
    let quick = forms.iter().find(|f| f.slug == "quick-15").unwrap_or(full);
    let pools = [
        (full, FormPool::load(db, full).await.map_err(err)?),
        (quick, FormPool::load(db, quick).await.map_err(err)?),
    ];
    let ids: Vec<uuid::Uuid> = pools
        .iter()
        .flat_map(|(_, p)| p.revision_ids())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let contents = store::bank::revisions_shared(db, &ids).await?;
    // Demo accounts get a random password nobody knows: they exist for the charts, not to sign in.
    let secret: u128 = rand::random();
    let hash = crate::auth::password::hash(format!("{secret:032x}")).await?;
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let thetas = synth::abilities(opts.candidates, &mut rng);
    let now = OffsetDateTime::now_utc();
    let mut summary = SeedSummary::default();
    let mut batch: Vec<DemoAttempt> = Vec::with_capacity(BATCH);
    for (i, theta0) in thetas.into_iter().enumerate() {
        let n = i + 1;
        let email = Email::parse(&demo_email(n)).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let name = format!("Demo candidate {n}");
        let Some(user_id) = store::users::create(db, &email, &name, &hash, Role::Candidate).await?
        else {
            summary.candidates_skipped += 1;
            continue;
        };
        summary.candidates_created += 1;
        let offset_hours = rng.random_range(0..72);
        let mut recent: VecDeque<Vec<String>> = VecDeque::new();
        for j in 0..opts.attempts {
            let (form, pool) = if rng.random::<f64>() < 0.2 {
                &pools[1]
            } else {
                &pools[0]
            };
            let seen: HashSet<String> = recent.iter().flatten().cloned().collect();
            let draw_seed: u64 = rng.random();
            let drawn = pool.drawn_keys(&seen, draw_seed).map_err(err)?;
            let items = pool.plan(&drawn, &contents, draw_seed);
            recent.push_back(drawn.entries);
            if recent.len() > service::AVOID_RECENT as usize {
                recent.pop_front();
            }
            let span = HISTORY_DAYS * 24 - 72;
            let at_hour = span * (j as i64 + 1) / (opts.attempts as i64 + 1) + offset_hours;
            let started = now - Duration::hours(HISTORY_DAYS * 24 - at_hour);
            let a = simulate(
                form,
                user_id,
                items,
                &contents,
                started,
                synth::ability_at(theta0, j),
                draw_seed,
                &mut rng,
            );
            summary.abandoned += usize::from(a.ended_reason == EndReason::Expired);
            summary.attempts += 1;
            batch.push(a);
            if batch.len() >= BATCH {
                store::analytics::insert_demo_attempts(db, &batch).await?;
                batch.clear();
            }
        }
    }
    if !batch.is_empty() {
        store::analytics::insert_demo_attempts(db, &batch).await?;
    }
    Ok(summary)
}

fn err(e: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("cannot draw a demo attempt: {e}")
}

/// One simulated attempt on `form`, started at `started`: answered (or abandoned) and scored.
#[allow(clippy::too_many_arguments)]
fn simulate(
    form: &FormRow,
    user_id: uuid::Uuid,
    items: Vec<PlannedItem<uuid::Uuid>>,
    contents: &HashMap<uuid::Uuid, std::sync::Arc<Item>>,
    started: OffsetDateTime,
    theta: f64,
    draw_seed: u64,
    rng: &mut StdRng,
) -> DemoAttempt {
    let questions: Vec<Option<&Question>> = items
        .iter()
        .map(|it| {
            contents
                .get(&it.revision)
                .and_then(|c| find_question(c, &it.question_key))
        })
        .collect();
    let synth_items: Vec<SynthItem> = questions
        .iter()
        .flatten()
        .map(|q| SynthItem::from_question(q, rng))
        .collect();
    let sim = synth::simulate_attempt(&synth_items, theta, rng);
    let deadline = started + Duration::minutes(i64::from(form.duration_minutes));
    let mut at = started;
    let mut responses = sim.responses.iter();
    let mut answers = Vec::with_capacity(items.len());
    let mut scored = Vec::with_capacity(items.len());
    let mut max = 0.0;
    for (it, q) in items.iter().zip(&questions) {
        let response = match (q, sim.abandoned) {
            (Some(q), false) => responses.next().map(|r| {
                at += Duration::seconds(i64::from(r.seconds));
                (response_for(q, &r.chosen, r.correct_elements), at)
            }),
            _ => None,
        };
        let score = match q {
            Some(q) => scoring::score(q, response.as_ref().map(|r| &r.0)),
            None => scoring::ItemScore {
                earned: 0.0,
                max: it.max_points,
                correct_elements: 0,
                elements: 1,
            },
        };
        max += score.max;
        answers.push((response, score.earned));
        scored.push((it.domain.clone(), score));
    }
    let result = scoring::result(&scored, max, form.cut_fraction);
    let (ended_at, ended_reason) = if sim.abandoned {
        (deadline, EndReason::Expired)
    } else {
        (at.min(deadline), EndReason::Submitted)
    };
    DemoAttempt {
        id: uuid::Uuid::new_v4(),
        user_id,
        form_id: form.id,
        title: form.title.clone(),
        seed: draw_seed as i64,
        cut_fraction: form.cut_fraction,
        started_at: started,
        deadline,
        ended_at,
        ended_reason,
        items,
        answers,
        result,
    }
}

/// A response to `q` with `correct` elements right: the chosen options for single/multiple, else the
/// first `correct` elements as keyed and the others wrong (or left out where no wrong value exists).
pub fn response_for(q: &Question, chosen: &[String], correct: u32) -> Response {
    let k = correct as usize;
    match &q.body {
        Body::Single { options, .. } => Response::Single(
            chosen
                .first()
                .cloned()
                .or_else(|| options.first().map(|o| o.id.clone()))
                .unwrap_or_default(),
        ),
        Body::Multiple { .. } => Response::Multiple(chosen.to_vec()),
        Body::YesNoSeries { statements } => Response::YesNoSeries(
            statements
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let a = match (i < k, s.answer) {
                        (true, a) => a,
                        (false, YesNo::Yes) => YesNo::No,
                        (false, YesNo::No) => YesNo::Yes,
                    };
                    (s.id.clone(), a)
                })
                .collect(),
        ),
        // A partial order: the first k steps in place, the rest not given.
        Body::Order { answer, .. } => Response::Order(answer.iter().take(k).cloned().collect()),
        Body::Match {
            choices,
            slots,
            answer,
            ..
        } => {
            let mut placed = BTreeMap::new();
            for (i, s) in slots.iter().enumerate() {
                let Some(key) = answer.get(&s.id) else {
                    continue;
                };
                if i < k {
                    placed.insert(s.id.clone(), key.clone());
                } else if let Some(wrong) = choices.iter().find(|c| &c.id != key) {
                    placed.insert(s.id.clone(), wrong.id.clone());
                }
            }
            Response::Match(placed)
        }
        Body::HotArea { slots, .. } => Response::HotArea(
            slots
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    if i < k {
                        Some((s.id.clone(), s.answer.clone()))
                    } else {
                        s.options
                            .iter()
                            .find(|o| o.id != s.answer)
                            .map(|o| (s.id.clone(), o.id.clone()))
                    }
                })
                .collect(),
        ),
    }
}
