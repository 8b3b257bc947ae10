//! The candidate's study loop, shared by the pages and the JSON API: what is due, the booking rule's checklist,
//! the exam date and the plan to it. It reads through `store::study` and `store::analytics` and decides with
//! the pure `analytics::booking` and `analytics::study_plan`.

use crate::analytics::booking::{self, Booking};
use crate::analytics::readiness::ReadinessEstimate;
use crate::analytics::study_plan::{self, ObjectiveStanding, PlannedMock};
use crate::bank::model::Blueprint;
use crate::error::AppError;
use crate::scoring::PASSING_SCORE;
use crate::store::exams::ExamRow;
use crate::store::{analytics as progress_store, study as store};
use serde::Serialize;
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap};
use time::Date;
use uuid::Uuid;

/// The booking rule's checklist for one exam.
pub struct BookingStatus {
    pub booking: Booking,
    /// When the last full-length mock that counts ended (the plan's next mock waits two days after it).
    pub last_counted: Option<time::OffsetDateTime>,
}

/// Applies the booking rule to the candidate's mocks of the exam with this blueprint; `progress` is the
/// candidate's progress in that exam (its domains per attempt and the readiness estimate).
pub async fn booking_status(
    db: &PgPool,
    user_id: Uuid,
    blueprint_id: &str,
    progress: &progress_store::Progress,
) -> Result<BookingStatus, AppError> {
    let domains: HashMap<Uuid, Vec<(String, f64)>> = progress
        .attempts
        .iter()
        .map(|a| {
            (
                a.id,
                a.domains.iter().map(|(d, f)| (d.clone(), *f)).collect(),
            )
        })
        .collect();
    let (ids, mut attempts): (Vec<Uuid>, Vec<_>) = store::finished_mocks(db, user_id, blueprint_id)
        .await?
        .into_iter()
        .unzip();
    for (id, m) in ids.iter().zip(&mut attempts) {
        m.domains = domains.get(id).cloned().unwrap_or_default();
    }
    // New items are counted for the two mocks the rule looks at only.
    let pair = booking::last_two_counted(&attempts);
    let pair_ids: Vec<Uuid> = pair.iter().map(|&i| ids[i]).collect();
    for (id, n) in store::new_items(db, user_id, &pair_ids).await? {
        if let Some(i) = ids.iter().position(|x| *x == id) {
            attempts[i].new_items = usize::try_from(n).unwrap_or(0);
        }
    }
    let predicted = match &progress.readiness {
        ReadinessEstimate::Estimate(r) => Some(r.predicted_scaled),
        ReadinessEstimate::TooLittleData { .. } => None,
    };
    Ok(BookingStatus {
        last_counted: pair.last().map(|&i| attempts[i].ended_at),
        booking: booking::booking(&attempts, predicted, PASSING_SCORE),
    })
}

/// The plan to the exam date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Plan {
    /// The exam's code.
    pub exam: String,
    /// The date of the exam, in the account's time zone.
    #[schema(value_type = String, format = Date)]
    pub exam_date: Date,
    /// Today, in the account's time zone.
    #[schema(value_type = String, format = Date)]
    pub today: Date,
    pub days_left: i64,
    /// The objectives to work on, weakest × heaviest first.
    pub objectives: Vec<PlanObjective>,
    /// Reviews due each day until the exam (overdue ones count today).
    pub reviews: Vec<ReviewDay>,
    /// The full mocks to sit, in order; the first is the next one. Each calendar event's UID stays the same
    /// from one download to the next.
    pub mocks: Vec<PlannedMock>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanObjective {
    pub id: String,
    pub title: String,
    pub domain: String,
    /// Fraction of its points earned so far; null when never seen.
    pub accuracy: Option<f64>,
    pub priority: f64,
    pub learn: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewDay {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub due: usize,
}

/// Checks an exam date against the rules: not in the past (in the account's time zone), not after the exam
/// retires. Answers the refusal's words.
pub fn check_exam_date(date: Date, today: Date, exam: &ExamRow) -> Result<(), String> {
    if date < today {
        return Err(format!(
            "{date} is in the past (today is {today} in your time zone): choose a date from today on."
        ));
    }
    if let Some(last) = exam.exam.retires_on {
        if date > last {
            return Err(format!(
                "{} retires on {last}: it cannot be taken on {date}. Choose a date up to {last}{}.",
                exam.code,
                exam.exam
                    .successor
                    .as_ref()
                    .map(|s| format!(", or set {s} as your target exam"))
                    .unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Sets the candidate's target exam and its date (an empty date clears it), after [`check_exam_date`].
pub async fn set_target(
    db: &PgPool,
    user_id: Uuid,
    exam: &ExamRow,
    date: &str,
) -> Result<(), AppError> {
    let date = date.trim();
    let parsed = if date.is_empty() {
        None
    } else {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        Some(Date::parse(date, format).map_err(|_| {
            AppError::BadRequest(format!("`{date}` is not a date: write it as YYYY-MM-DD"))
        })?)
    };
    let target = store::target(db, user_id).await?;
    if let Some(d) = parsed {
        check_exam_date(d, target.today, exam).map_err(AppError::Unprocessable)?;
    }
    crate::store::exams::set_target(db, user_id, &exam.code).await?;
    store::set_target_date(db, user_id, parsed).await?;
    Ok(())
}

/// The objectives of the blueprint with the candidate's standing on each: weight from the domain's range
/// (midpoint) shared among its objectives, accuracy from every finished mock (`progress`).
pub fn standings(
    progress: &progress_store::Progress,
    blueprint: &Blueprint,
) -> Vec<ObjectiveStanding> {
    let points = &progress.objectives;
    let mut out = Vec::new();
    for d in &blueprint.domains {
        let n = d.objectives.len().max(1) as f64;
        let weight = (d.weight.min + d.weight.max) / 2.0 / n;
        for o in &d.objectives {
            out.push(ObjectiveStanding {
                id: o.id.clone(),
                title: o.title.clone(),
                domain: d.id.clone(),
                weight,
                accuracy: points
                    .get(&o.id)
                    .filter(|(_, m)| *m > 0.0)
                    .map(|(e, m)| e / m),
                learn: o.learn.clone(),
            });
        }
    }
    out
}

/// What the plan reads that the progress page has already read: the candidate's target, their progress in the
/// exam, when their last full-length mock that counts ended ([`BookingStatus::last_counted`]), and the cards due
/// per day.
pub struct Known<'a> {
    pub target: &'a store::Target,
    pub progress: &'a progress_store::Progress,
    pub last_mock: Option<time::OffsetDateTime>,
    /// Cards due per day ([`store::due_by_day`]).
    pub due_by_day: &'a [(Date, i64)],
}

/// The plan to the candidate's exam date, when the exam is their target and the date is set. `known`: what the
/// caller has already read (read here when None).
pub async fn plan(
    db: &PgPool,
    user_id: Uuid,
    exam: &ExamRow,
    blueprint: &Blueprint,
    known: Option<Known<'_>>,
) -> Result<Option<Plan>, AppError> {
    let read;
    let known = match known {
        Some(k) => k,
        None => {
            let target = store::target(db, user_id).await?;
            let progress =
                progress_store::progress_in(db, user_id, Some(&exam.blueprint_id)).await?;
            let last_mock = booking_status(db, user_id, &exam.blueprint_id, &progress)
                .await?
                .last_counted;
            let due = store::due_by_day(db, user_id, &exam.blueprint_id).await?;
            read = (target, progress, last_mock, due);
            Known {
                target: &read.0,
                progress: &read.1,
                last_mock: read.2,
                due_by_day: &read.3,
            }
        }
    };
    let target = known.target;
    let (Some(code), Some(exam_date)) = (target.exam.as_deref(), target.date) else {
        return Ok(None);
    };
    if !code.eq_ignore_ascii_case(&exam.code) {
        return Ok(None);
    }
    let today = target.today;
    let reviews: BTreeMap<Date, usize> =
        study_plan::reviews_per_day(today, exam_date, known.due_by_day);
    let last_taken = match known.last_mock {
        Some(t) => Some(store::local_date(db, user_id, t).await?),
        None => None,
    };
    let dates = study_plan::mock_dates(today, exam_date, last_taken, &reviews);
    let mocks: Vec<PlannedMock> =
        study_plan::planned_mocks(&dates, &exam.code, &user_id.simple().to_string());
    let objectives = study_plan::objectives_to_work_on(standings(known.progress, blueprint));
    Ok(Some(Plan {
        exam: exam.code.clone(),
        exam_date,
        today,
        days_left: (exam_date - today).whole_days(),
        objectives: objectives
            .into_iter()
            .map(|o| PlanObjective {
                priority: o.priority(),
                id: o.id,
                title: o.title,
                domain: o.domain,
                accuracy: o.accuracy,
                learn: o.learn,
            })
            .collect(),
        reviews: reviews
            .into_iter()
            .map(|(date, due)| ReviewDay { date, due })
            .collect(),
        mocks,
    }))
}

/// The plan's calendar file.
pub fn plan_ics(plan: &Plan, exam: &ExamRow, user_id: Uuid) -> String {
    study_plan::ics(
        &exam.code,
        &exam.title,
        plan.exam_date,
        &plan.mocks,
        &user_id.simple().to_string(),
    )
}
