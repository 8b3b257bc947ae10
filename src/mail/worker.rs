//! The mail worker: every instance with an SMTP server runs one. It claims the next due message of the outbox
//! (with a lease, store::mail::claim), hands it to the SMTP server, and records the outcome:
//! - accepted: sent, and its bodies removed;
//! - refused for good (5xx), or not a valid message: failed, shown to admins on /admin/outbox;
//! - anything else (server unreachable, 4xx, timeout): tried again after a growing wait, up to
//!   [`MAX_TRIES`] tries (about two days); then failed like a refusal, with the last error.
//!
//! Delivery is at least once: a crash after the server accepted a message and before `mark_sent` committed
//! leaves the message queued, and it is sent again, with the same Message-ID, once the lease runs out.

use super::Mailer;
use crate::store;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncTransport, Message};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// How often an idle worker looks for due messages (queueing on this instance wakes it at once).
const POLL: Duration = Duration::from_secs(2);

/// Seconds before the next try after `attempts` failed ones: 2, 4, 8, … up to an hour.
pub fn retry_delay(attempts: i32) -> u32 {
    let n = attempts.clamp(1, 12) as u32;
    (2u32 << (n - 1)).min(3600)
}

/// Tries before a message that keeps failing for a passing reason is failed: the waits of [`retry_delay`]
/// add up to about 49 hours by the 60th (twelve tries in the first 68 minutes, then one an hour). Like an
/// MTA's give-up time (RFC 5321 §4.5.4.1 suggests 4–5 days), shorter because our mail is about links and
/// deadlines that are stale by then. An admin who sends it again from /admin/outbox starts the count anew.
pub const MAX_TRIES: i32 = 60;

/// Whether the `attempts`-th try, which failed for a passing reason, is the last one.
pub fn gives_up(attempts: i32) -> bool {
    attempts >= MAX_TRIES
}

/// Starts the worker when an SMTP server is configured.
pub fn spawn(db: PgPool, mailer: Arc<Mailer>) {
    if mailer.smtp.is_none() {
        return;
    }
    tokio::spawn(async move {
        loop {
            match store::mail::claim(&db, mailer.lease_seconds).await {
                Ok(Some(message)) => {
                    deliver(&db, &mailer, message).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "mail worker cannot read the outbox"),
            }
            tokio::select! {
                _ = mailer.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    });
}

async fn deliver(db: &PgPool, mailer: &Mailer, m: store::mail::Claimed) {
    let Some(smtp) = &mailer.smtp else { return };
    let built = m
        .to_address
        .parse::<Mailbox>()
        .map_err(|e| format!("the address is not valid: {e}"))
        .and_then(|to| {
            Message::builder()
                .message_id(Some(m.message_id.clone()))
                .from(mailer.from.clone())
                .to(to)
                .subject(m.subject.clone())
                .date_now()
                .multipart(MultiPart::alternative_plain_html(
                    m.body_text.clone(),
                    m.body_html.clone(),
                ))
                .map_err(|e| format!("the message cannot be built: {e}"))
        });
    let message = match built {
        Ok(message) => message,
        Err(error) => {
            tracing::warn!(message = %m.id, %error, "mail failed");
            record(store::mail::mark_failed(db, m.id, &error).await);
            return;
        }
    };
    match smtp.send(message).await {
        Ok(_) => {
            tracing::info!(message = %m.id, attempts = m.attempts, "mail sent");
            record(store::mail::mark_sent(db, m.id).await);
        }
        Err(e) if e.is_permanent() => {
            let error = e.to_string();
            tracing::warn!(message = %m.id, %error, "mail refused for good");
            record(store::mail::mark_failed(db, m.id, &error).await);
        }
        Err(e) if gives_up(m.attempts) => {
            let error = format!("gave up after {} tries; the last: {e}", m.attempts);
            tracing::warn!(message = %m.id, %error, "mail failed");
            record(store::mail::mark_failed(db, m.id, &error).await);
        }
        Err(e) => {
            let error = e.to_string();
            let wait = retry_delay(m.attempts);
            tracing::warn!(message = %m.id, %error, retry_in_seconds = wait, "mail not sent yet");
            record(store::mail::retry_later(db, m.id, wait, &error).await);
        }
    }
}

/// An outcome that could not be written stays as the lease left it: the message is tried again later.
fn record(r: Result<(), sqlx::Error>) {
    if let Err(e) = r {
        tracing::warn!(error = %e, "mail worker cannot record an outcome");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_an_hour() {
        assert_eq!(retry_delay(1), 2);
        assert_eq!(retry_delay(2), 4);
        assert_eq!(retry_delay(5), 32);
        assert_eq!(retry_delay(12), 3600);
        assert_eq!(retry_delay(100), 3600);
        assert_eq!(retry_delay(0), 2);
    }

    #[test]
    fn the_last_try_comes_about_two_days_after_the_first() {
        assert!(!gives_up(1) && !gives_up(MAX_TRIES - 1) && gives_up(MAX_TRIES));
        let waited: u32 = (1..MAX_TRIES).map(retry_delay).sum();
        assert!(
            (47 * 3600..51 * 3600).contains(&waited),
            "{waited} s before the last try"
        );
    }
}
