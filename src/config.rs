//! Typed configuration, read once from flags and the environment.

use clap::Args;
use std::net::SocketAddr;

/// Settings of the web service.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// PostgreSQL connection URL, e.g. postgres://user:pass@127.0.0.1:5432/ai102.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,

    /// Optional read replica for analytics queries; defaults to DATABASE_URL.
    #[arg(long, env = "DATABASE_READ_URL")]
    pub database_read_url: Option<String>,

    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Mark cookies Secure (set when the service is behind TLS).
    #[arg(long, env = "SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// Take the client's address from the last X-Forwarded-For entry (set when behind a reverse proxy
    /// such as nginx, so that sign-in limits count per client rather than per proxy).
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,

    /// Maximum database connections in the pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 20)]
    pub max_connections: u32,

    /// Bearer token that lets a scraper read /metrics from another host (without it, /metrics answers only
    /// requests from loopback).
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Seconds a request waits for a database connection before it answers 503, so that an outage or a
    /// restart of PostgreSQL fails fast instead of piling up requests.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT", default_value_t = 3.0)]
    pub database_acquire_timeout: f64,

    /// Load the shipped question bank at start (idempotent).
    #[arg(long, env = "LOAD_BANK", default_value = "question-bank")]
    pub load_bank: Option<std::path::PathBuf>,

    /// The SMTP server outgoing mail goes through: smtp://host:port (plain, loopback only),
    /// smtp://user:pass@host:587?tls=required (STARTTLS) or smtps://user:pass@host:465 (TLS). Without it, mail
    /// is kept in the outbox for admins to read at /admin/outbox (a development set-up).
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of outgoing mail, e.g. "AI practice exams <no-reply@exams.example.com>".
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "AI practice exams <no-reply@localhost>"
    )]
    pub mail_from: String,

    /// The service's address as people reach it, e.g. https://exams.example.com: every link in a mail is built
    /// from it, never from a request's Host header. Without it, no mail with a link is sent (password reset,
    /// address verification, invitations), and sign-up says when an address is taken.
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,

    /// Seconds a mail worker holds a message it is sending; a message whose sender died is sent again (with the
    /// same Message-ID) after this lease.
    #[arg(long, env = "MAIL_LEASE_SECONDS", default_value_t = 120)]
    pub mail_lease_seconds: u32,

    /// Single sign-on providers, as a JSON list (docs/deployment.md, "Single sign-on"); each is saved by its short
    /// name at start, over what the admin pages hold for it.
    #[arg(long, env = "SSO_PROVIDERS", hide_env_values = true)]
    pub sso_providers: Option<String>,
}

impl Config {
    /// A configuration for tests and tools: the given database, a free port, no bank.
    pub fn for_database(database_url: &str) -> Self {
        Config {
            database_url: database_url.to_owned(),
            database_read_url: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            secure_cookies: false,
            trust_forwarded_for: false,
            max_connections: 10,
            metrics_token: None,
            database_acquire_timeout: 3.0,
            load_bank: None,
            smtp_url: None,
            mail_from: "AI practice exams <no-reply@localhost>".to_owned(),
            public_base_url: None,
            mail_lease_seconds: 120,
            sso_providers: None,
        }
    }
}
