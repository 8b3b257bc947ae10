//! ai102: the AI-102 practice-exam platform, as a library; `main.rs` is only its command line.
//!
//! `Application::build` opens the database, applies migrations, loads the shipped bank and binds the
//! listener; `web::router` lists every route in one place.

pub mod analytics;
pub mod auth;
pub mod bank;
pub mod cache;
pub mod classes;
pub mod config;
pub mod demo;
pub mod error;
pub mod exam;
pub mod fuzz;
pub mod help;
pub mod mail;
pub mod metrics;
pub mod packs;
pub mod scoring;
pub mod sso;
pub mod store;
pub mod telemetry;
pub mod web;

use config::Config;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The primary: all writes and the exam's reads.
    pub db: PgPool,
    /// Analytics reads (a replica when `DATABASE_READ_URL` is set, else the primary).
    pub read_db: PgPool,
    pub config: Arc<Config>,
    /// Request latencies and counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// This instance's rendered questions and case studies (a cache it can rebuild; see web::views::PageCache).
    pub pages: Arc<web::views::PageCache>,
    /// This instance's forms' pools, checked against the bank's version before each start.
    pub pools: Arc<exam::service::PoolCache>,
    /// Outgoing mail: the outbox's front door and this instance's SMTP client (mail::Mailer).
    pub mail: Arc<mail::Mailer>,
    /// Single sign-on's OpenID Connect client and the providers' discovery documents (sso::oidc::Oidc).
    pub oidc: Arc<sso::oidc::Oidc>,
}

/// The running service: a bound listener and its router.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    pub state: AppState,
}

impl Application {
    /// Connects, migrates, loads the bank (when configured) and binds.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let mailer = mail::Mailer::from_config(&config)?;
        if !mailer.sends_links() {
            tracing::warn!(
                "PUBLIC_BASE_URL is not set: no mail with a link is sent (password reset, address \
                 verification, invitations), and sign-up says when an address is taken"
            );
        }
        if mailer.holds_mail() {
            tracing::info!(
                "SMTP_URL is not set: mail is kept in the outbox (/admin/outbox), not sent"
            );
        }
        let acquire = std::time::Duration::from_secs_f64(config.database_acquire_timeout.max(0.1));
        let db = store::connect_with_timeout(&config.database_url, config.max_connections, acquire)
            .await?;
        store::migrate(&db).await?;
        store::exams::ensure_shipped(&db).await?;
        let read_db = match &config.database_read_url {
            Some(url) => store::connect_with_timeout(url, config.max_connections, acquire).await?,
            None => db.clone(),
        };
        if let Some(path) = config.load_bank.as_deref().filter(|p| p.exists()) {
            for loaded in store::bank::load_bank(&db, path).await? {
                let s = &loaded.summary;
                let exam = loaded.exam.as_ref().map(|e| e.code.as_str()).unwrap_or("-");
                tracing::info!(exam, pack = %loaded.pack.meta.id, added = s.added, changed = s.changed,
                    unchanged = s.unchanged, retired = s.retired, "question bank loaded");
            }
        }
        if let Some(json) = config
            .sso_providers
            .as_deref()
            .filter(|j| !j.trim().is_empty())
        {
            for provider in sso::parse_env(json).map_err(anyhow::Error::msg)? {
                store::sso::save_provider(&db, &provider, None).await?;
                tracing::info!(provider = %provider.slug, "single sign-on provider from SSO_PROVIDERS");
            }
        }
        let listener = TcpListener::bind(config.bind).await?;
        let state = AppState {
            db,
            read_db,
            config: Arc::new(config),
            metrics: Arc::default(),
            pages: Arc::default(),
            pools: Arc::default(),
            mail: Arc::new(mailer),
            oidc: Arc::new(sso::oidc::Oidc::new()?),
        };
        let router = web::router(state.clone());
        Ok(Application {
            listener,
            router,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until the future completes (tests use this to stop an instance); the peer's address reaches
    /// the handlers for the sign-in limits.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        spawn_deadline_sweeper(self.state.db.clone(), self.state.mail.clone());
        mail::worker::spawn(self.state.db.clone(), self.state.mail.clone());
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await
    }
}

/// Ends attempts whose time ran out even when nobody is on the page (every instance runs it; the
/// finalisation is idempotent and row-locked, so they do not collide), runs the daily retention job, and queues
/// the due-date reminders once an hour (each is recorded as it is queued, so it goes once).
fn spawn_deadline_sweeper(db: PgPool, mailer: Arc<mail::Mailer>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
        for n in 0u64.. {
            tick.tick().await;
            // Once an hour, the daily retention job (only the instance that claims the day runs it).
            if n % 240 == 0 {
                match store::own_data::enforce_retention(&db, false).await {
                    Ok(Some(done)) => tracing::info!(
                        attempts = done.attempts,
                        audit_entries = done.audit_entries,
                        "retention enforced"
                    ),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "retention job failed"),
                }
                if let Err(e) = store::sso::purge_flows(&db).await {
                    tracing::warn!(error = %e, "purging unfinished sign-ins failed");
                }
                match classes::reminders::queue_due(&db, &mailer).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(reminders = n, "due-date reminders queued"),
                    Err(e) => tracing::warn!(error = %e, "reminder job failed"),
                }
            }
            match store::exam::finalize_expired(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(ended = n, "ended attempts whose time ran out"),
                Err(e) => tracing::warn!(error = %e, "deadline sweep failed"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
