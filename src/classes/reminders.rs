//! Due-date reminders: once an hour every instance looks for assignments that close within a day for members
//! who asked to be reminded (on their account page) and have not finished them; each reminder is recorded as
//! it is queued, in one transaction, so it goes once whichever instance finds it.

use crate::error::AppError;
use crate::mail::{letters, Mailer};
use crate::store;
use sqlx::PgPool;

/// Queues the reminders due now; returns how many. Nothing without `PUBLIC_BASE_URL` (the mail links to the
/// member's exams).
pub async fn queue_due(db: &PgPool, mailer: &Mailer) -> Result<usize, AppError> {
    let Ok(url) = mailer.link("/exams") else {
        return Ok(0);
    };
    let mut tx = db.begin().await?;
    let due = store::mail::take_due_reminders(&mut *tx).await?;
    for d in &due {
        let letter = letters::reminder(
            &d.display_name,
            &d.class_name,
            &d.form_title,
            &d.closes,
            &url,
        );
        mailer
            .queue(&mut *tx, &d.email, Some(d.user_id), &letter)
            .await?;
    }
    tx.commit().await?;
    mailer.wake();
    Ok(due.len())
}
