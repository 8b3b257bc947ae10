//! Outgoing mail (docs/security.md, "E-mail"): the letters ([`letters`], pure), the links in them (built from
//! `PUBLIC_BASE_URL` only), the outbox every message goes through (store::mail) and the worker that sends it
//! over SMTP ([`worker`]).
//!
//! A handler never talks to the SMTP server: it writes the message to the outbox, in the same transaction as
//! the change the message announces where there is one, and wakes this instance's worker. Without `SMTP_URL`
//! the message is held in the outbox for admins to read (a development set-up).

pub mod letters;
pub mod worker;

use crate::config::Config;
use crate::store;
use anyhow::Context;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use sqlx::PgExecutor;
use uuid::Uuid;

pub use letters::Letter;

/// How long a password-reset link works.
pub const RESET_MINUTES: i32 = 30;
/// How long an address-verification or address-change link works.
pub const CONFIRM_HOURS: i32 = 24;
/// Mail a request may trigger: per address and per hour, and per client and per hour (docs/security.md).
pub const PER_ADDRESS_PER_HOUR: i64 = 5;
pub const PER_CLIENT_PER_HOUR: i64 = 20;

/// Whether new accounts confirm their address (an admin's site setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// An account made while this is set signs in only once its address is confirmed.
    Required,
    /// Asked at sign-up and at sign-in, never enforced.
    Optional,
    /// Never asked.
    Off,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Required => "required",
            Verification::Optional => "optional",
            Verification::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<Verification> {
        match s {
            "required" => Some(Verification::Required),
            "optional" => Some(Verification::Optional),
            "off" => Some(Verification::Off),
            _ => None,
        }
    }
}

/// Why a mail with a link cannot be sent; shown to the person who asked for it.
pub const NO_BASE_URL: &str = "This service cannot send links by e-mail: its public address \
    (PUBLIC_BASE_URL) is not set. Ask an admin of this site.";

/// This instance's way to mail: the SMTP client (none in a development set-up), the sender, the public address
/// links are built from, and a bell that wakes the worker when a message is queued.
pub struct Mailer {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    base_url: Option<String>,
    /// The right-hand side of our Message-IDs.
    domain: String,
    lease_seconds: u32,
    wake: tokio::sync::Notify,
}

impl Mailer {
    /// The mailer `config` describes; a malformed `SMTP_URL`, `MAIL_FROM` or `PUBLIC_BASE_URL` stops the start
    /// with the variable's name.
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .with_context(|| format!("MAIL_FROM `{}` is not a mailbox", config.mail_from))?;
        let base_url = config
            .public_base_url
            .as_deref()
            .map(parse_base_url)
            .transpose()?;
        let smtp = match config.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("SMTP_URL is not a valid smtp:// or smtps:// URL")?
                    // Well inside the lease, so a slow server cannot see one message from two senders at once.
                    .timeout(Some(std::time::Duration::from_secs(u64::from(
                        (config.mail_lease_seconds / 2).clamp(2, 20),
                    ))))
                    .build(),
            ),
            None => None,
        };
        Ok(Mailer {
            smtp,
            domain: from.email.domain().to_owned(),
            from,
            base_url,
            lease_seconds: config.mail_lease_seconds.max(5),
            wake: tokio::sync::Notify::new(),
        })
    }

    /// True when no SMTP server is configured: mail is held in the outbox for admins to read.
    pub fn holds_mail(&self) -> bool {
        self.smtp.is_none()
    }

    /// The absolute URL of `path` (which starts with `/`), or why links cannot be mailed.
    pub fn link(&self, path: &str) -> Result<String, &'static str> {
        match &self.base_url {
            Some(base) => Ok(format!("{base}{path}")),
            None => Err(NO_BASE_URL),
        }
    }

    /// Whether mail with links can be sent (`PUBLIC_BASE_URL` is set).
    pub fn sends_links(&self) -> bool {
        self.base_url.is_some()
    }

    /// Puts `letter` for `to` in the outbox (queued for the worker, or held when there is no SMTP server). Run it
    /// in the transaction of the change the letter announces, then [`Mailer::wake`] the worker once committed (the
    /// worker polls every 2 s anyway).
    pub async fn queue(
        &self,
        db: impl PgExecutor<'_>,
        to: &str,
        user_id: Option<Uuid>,
        letter: &Letter,
    ) -> Result<(), crate::error::AppError> {
        let (text, html) = letter.render()?;
        let id = Uuid::new_v4();
        store::mail::queue(
            db,
            store::mail::Outgoing {
                id,
                message_id: format!("<{}@{}>", id.simple(), self.domain),
                kind: letter.kind,
                to,
                user_id,
                subject: &letter.subject,
                text: &text,
                html: &html,
                held: self.holds_mail(),
            },
        )
        .await?;
        tracing::info!(kind = letter.kind, message = %id, "mail queued");
        Ok(())
    }

    /// Wakes the worker (after a commit, so it finds what was queued).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// `PUBLIC_BASE_URL` without its trailing slash; only http(s) with a host, no query or fragment.
fn parse_base_url(raw: &str) -> anyhow::Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ', '\\', '@']) => {
            Ok(trimmed.to_owned())
        }
        _ => anyhow::bail!(
            "PUBLIC_BASE_URL `{raw}` must be the service's address, like https://exams.example.com \
             (http or https, a host, no query)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_is_an_http_address_without_its_trailing_slash() {
        assert_eq!(
            parse_base_url("https://exams.example.com/").unwrap(),
            "https://exams.example.com"
        );
        assert_eq!(
            parse_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "exams.example.com",
            "ftp://x",
            "https://",
            "https://a.example?x=1",
            "https://user@evil",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_come_from_the_configured_address_only() {
        let mut config = Config::for_database("postgres://x/y");
        let mailer = Mailer::from_config(&config).unwrap();
        assert_eq!(mailer.link("/account/reset"), Err(NO_BASE_URL));
        config.public_base_url = Some("https://exams.example.com/".into());
        let mailer = Mailer::from_config(&config).unwrap();
        assert_eq!(
            mailer.link("/account/reset/abc").unwrap(),
            "https://exams.example.com/account/reset/abc"
        );
        assert!(mailer.holds_mail());
    }

    #[test]
    fn a_bad_sender_or_smtp_url_stops_the_start_with_the_variables_name() {
        let mut config = Config::for_database("postgres://x/y");
        config.mail_from = "not a mailbox".into();
        let e = Mailer::from_config(&config).err().unwrap().to_string();
        assert!(e.contains("MAIL_FROM"), "{e}");
        let mut config = Config::for_database("postgres://x/y");
        config.smtp_url = Some("http://mail.example.com".into());
        let e = Mailer::from_config(&config).err().unwrap().to_string();
        assert!(e.contains("SMTP_URL"), "{e}");
    }
}
