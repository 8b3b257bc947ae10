//! `ai102 demo seed`: synthetic candidates and exam attempts on the shipped forms, spread over the last 12
//! weeks, so the analytics pages have something to show. Attempts are drawn like real ones
//! (`exam::service::start_attempt`), answered by `analytics::synth`, then scored by `store::exam::finalize`.

use crate::analytics::synth::{self, SynthItem};
use crate::auth::session::User;
use crate::auth::{Email, Role};
use crate::bank::model::{Body, Question, YesNo};
use crate::exam::plan::find_question;
use crate::exam::service;
use crate::scoring::Response;
use crate::store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use std::collections::{BTreeMap, HashSet};
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

/// Creates the demo candidates that do not exist yet, each with `attempts` exam attempts (about one in
/// five on Quick 15, the rest on the full mock). Idempotent: existing demo candidates are skipped.
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
    // Demo accounts get a random password nobody knows: they exist for the charts, not to sign in.
    let secret: u128 = rand::random();
    let hash = crate::auth::password::hash(format!("{secret:032x}")).await?;
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let thetas = synth::abilities(opts.candidates, &mut rng);
    let now = OffsetDateTime::now_utc();
    let mut summary = SeedSummary::default();
    for (i, theta0) in thetas.into_iter().enumerate() {
        let n = i + 1;
        let email = Email::parse(&demo_email(n)).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let name = format!("Demo candidate {n}");
        let Some(id) = store::users::create(db, &email, &name, &hash, Role::Candidate).await?
        else {
            summary.candidates_skipped += 1;
            continue;
        };
        summary.candidates_created += 1;
        let user = User {
            id,
            email: email.as_str().to_owned(),
            display_name: name,
            role: Role::Candidate,
            extra_time_minutes: 0,
        };
        let offset_hours = rng.random_range(0..72);
        for j in 0..opts.attempts {
            let form = if rng.random::<f64>() < 0.2 {
                quick
            } else {
                full
            };
            let attempt = service::start_attempt(db, &user, form)
                .await
                .map_err(|e| anyhow::anyhow!("cannot start a demo attempt: {e}"))?;
            let span = HISTORY_DAYS * 24 - 72;
            let at_hour = span * (j as i64 + 1) / (opts.attempts as i64 + 1) + offset_hours;
            let started = now - Duration::hours(HISTORY_DAYS * 24 - at_hour);
            let abandoned = answer(db, attempt, started, synth::ability_at(theta0, j), &mut rng)
                .await?
                .is_none();
            if abandoned {
                store::exam::finalize(db, attempt, "expired").await?;
                store::analytics::backdate_attempt(db, attempt, started, None).await?;
                summary.abandoned += 1;
            } else {
                store::exam::finalize(db, attempt, "submitted").await?;
                let ended = answer_end(db, attempt).await?.unwrap_or(started);
                let limit = started + Duration::minutes(i64::from(form.duration_minutes));
                store::analytics::backdate_attempt(db, attempt, started, Some(ended.min(limit)))
                    .await?;
            }
            summary.attempts += 1;
        }
    }
    Ok(summary)
}

/// The time of the attempt's last saved answer.
async fn answer_end(
    db: &PgPool,
    attempt: uuid::Uuid,
) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT max(saved_at) FROM answers WHERE attempt_id = $1 AND response IS NOT NULL",
    )
    .bind(attempt)
    .fetch_one(db)
    .await
}

/// Simulates and stores the answers of an attempt; `None` when the simulated candidate abandoned it.
async fn answer(
    db: &PgPool,
    attempt: uuid::Uuid,
    started: OffsetDateTime,
    theta: f64,
    rng: &mut StdRng,
) -> anyhow::Result<Option<()>> {
    let slots = store::exam::slots(db, attempt).await?;
    let ids: Vec<uuid::Uuid> = slots
        .iter()
        .map(|s| s.revision_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let contents = store::bank::revisions(db, &ids).await?;
    let mut questions: Vec<(i32, &Question)> = Vec::with_capacity(slots.len());
    for s in &slots {
        if let Some(q) = contents
            .get(&s.revision_id)
            .and_then(|it| find_question(it, &s.question_key))
        {
            questions.push((s.position, q));
        }
    }
    let items: Vec<SynthItem> = questions
        .iter()
        .map(|(_, q)| SynthItem::from_question(q, rng))
        .collect();
    let sim = synth::simulate_attempt(&items, theta, rng);
    if sim.abandoned {
        return Ok(None);
    }
    let mut at = started;
    let mut answers = Vec::with_capacity(sim.responses.len());
    for ((position, q), r) in questions.iter().zip(&sim.responses) {
        at += Duration::seconds(i64::from(r.seconds));
        answers.push((
            *position,
            response_for(q, &r.chosen, r.correct_elements),
            at,
        ));
    }
    store::analytics::insert_demo_answers(db, attempt, &answers).await?;
    Ok(Some(()))
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
