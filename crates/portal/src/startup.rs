//! [`Application`]: binds the listener, connects the database, starts the embedded mail
//! sink when no relay is configured, and runs the server and the delivery worker until
//! told to stop.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use serde::Deserialize;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::accounts::{Accounts, Settings};
use crate::background::Background;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::PasswordPolicy;
use crate::hashing::PasswordHasher;
use crate::keys::{self, Keys};
use crate::limits::Limits;
use crate::mail::{Mailer, Outbox};
use crate::store::{self, Store};
use crate::{telemetry, web};

/// A demo account from `fixtures/demo-accounts.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct DemoAccount {
    /// Its address.
    pub email: String,
    /// Its password (demo data, printed at start).
    pub password: String,
}

/// A built, not yet running, portal.
pub struct Application {
    listener: tokio::net::TcpListener,
    local_addr: SocketAddr,
    admin_listener: tokio::net::TcpListener,
    admin_addr: SocketAddr,
    admin_router: axum::Router,
    base_url: String,
    router: axum::Router,
    worker: Background,
    accounts: Accounts,
    store: Store,
    sink: Option<Arc<mailsink::SinkHandle>>,
    shutdown: CancellationToken,
    demo_accounts: Vec<DemoAccount>,
}

impl Application {
    /// Validates `config`, starts the embedded sink (if `smtp_url` is unset), connects
    /// and migrates the database, binds the listener (port 0 picks a free port) and
    /// seeds demo accounts. Nothing is served until [`Application::run_until_stopped`].
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        config.validate()?;
        let metrics = telemetry::metrics_handle();

        let sink = match &config.smtp_url {
            Some(_) => None,
            None => {
                let sink_config = mailsink::SinkConfig {
                    smtp_addr: config.sink_smtp,
                    http_addr: config.sink_http,
                    allowed_hosts: config.sink_allowed_hosts.clone(),
                    ..mailsink::SinkConfig::default()
                };
                let handle = mailsink::MailSink::start(sink_config).await.context(
                    "Failed to start the embedded mail sink (PORTAL_SINK_SMTP / PORTAL_SINK_HTTP)",
                )?;
                Some(Arc::new(handle))
            }
        };
        let smtp_timeout = crate::mail::outbox::smtp_timeout(config.mail_claim_timeout);
        let mailer = match (&config.smtp_url, &sink) {
            (Some(url), _) => Mailer::from_url(url, &config.mail_from, smtp_timeout)?,
            (None, Some(s)) => Mailer::local(s.smtp_addr(), &config.mail_from, smtp_timeout)?,
            (None, None) => anyhow::bail!("no SMTP relay and no embedded sink"),
        };

        let store = Store::connect_with(
            &config.database_url,
            config.database_max_connections,
            config.database_acquire_timeout,
        )
        .await?;

        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("Failed to listen on {} (PORTAL_LISTEN)", config.listen))?;
        let local_addr = listener
            .local_addr()
            .context("Failed to read the bound address")?;
        let admin_listener = tokio::net::TcpListener::bind(config.admin_listen)
            .await
            .with_context(|| {
                format!(
                    "Failed to listen on {} (PORTAL_ADMIN_LISTEN)",
                    config.admin_listen
                )
            })?;
        let admin_addr = admin_listener
            .local_addr()
            .context("Failed to read the bound admin address")?;
        let secret = match &config.secret_key {
            Some(k) => {
                if k.chars().count() < 32 {
                    tracing::warn!(
                        "PORTAL_SECRET_KEY is shorter than 32 characters: CSRF and device tokens are only as strong as it"
                    );
                }
                k.clone()
            }
            None => store::server_secret(
                store.pool(),
                keys::GENERATED_SECRET,
                &keys::generate_secret(),
                clock.unix(),
            )
            .await
            .context("Failed to read or create the server secret (PORTAL_SECRET_KEY)")?,
        };
        let keys = Keys::derive(&secret);
        let base_url = match &config.public_url {
            Some(u) => u.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{local_addr}"),
        };

        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let hasher = PasswordHasher::new(
            config.argon2_memory_kib,
            config.argon2_iterations,
            config.argon2_parallelism,
            config.max_concurrent_hashes.unwrap_or(cores),
            config.max_queued_hashes,
        )
        .await
        .context("Failed to set up Argon2 (PORTAL_ARGON2_*)")?;
        let policy = PasswordPolicy::new(config.password_min_length, &config.product_name);
        let wake = Arc::new(Notify::new());
        let settings = Settings {
            product_name: config.product_name.clone(),
            public_base: base_url.clone(),
            recovery_ttl: config.recovery_ttl,
            confirmation_ttl: config.confirmation_ttl,
            session_ttl: config.session_ttl,
            session_idle_timeout: config.session_idle_timeout,
            unconfirmed_account_ttl: config.unconfirmed_account_ttl,
            limits: Limits {
                login_failures_per_account: config.login_failures_per_account,
                login_failures_per_device: config.login_failures_per_device,
                login_failures_per_ip: config.login_failures_per_ip,
                recovery_per_account_per_hour: config.recovery_per_account_per_hour,
                recovery_per_ip_per_hour: config.recovery_per_ip_per_hour,
                signup_emails_per_address_per_hour: config.signup_emails_per_address_per_hour,
                signups_per_ip_per_hour: config.signups_per_ip_per_hour,
                token_guesses_per_ip: config.token_guesses_per_ip,
            },
            languages: config.languages().map_err(anyhow::Error::msg)?,
        };
        let accounts = Accounts::new(
            store.clone(),
            clock.clone(),
            hasher,
            policy,
            settings,
            keys,
            wake.clone(),
        );

        let demo_accounts = match &config.demo_accounts {
            Some(path) if !path.as_os_str().is_empty() => seed_demo(&accounts, path).await?,
            _ => Vec::new(),
        };

        let worker = Background {
            store: store.clone(),
            clock,
            settings: accounts.settings().clone(),
            outbox: Outbox::new(
                store.clone(),
                mailer,
                config.mail_max_attempts,
                config.mail_claim_timeout,
            ),
            wake,
        };
        let state = web::AppState {
            accounts: accounts.clone(),
            product: Arc::from(config.product_name.as_str()),
            secure_cookies: config.secure_cookies(),
            metrics,
            recovery_ttl: config.recovery_ttl,
            trusted_proxies: Arc::from(config.trusted_proxies.as_slice()),
        };
        Ok(Application {
            listener,
            local_addr,
            admin_listener,
            admin_addr,
            admin_router: web::admin_router(state.clone()),
            base_url,
            router: web::router(state),
            worker,
            accounts,
            store,
            sink,
            shutdown: CancellationToken::new(),
            demo_accounts,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The bound address of the operator listener (`/metrics`, `/healthz`, `/readyz`).
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// The public base URL (no trailing slash): `PORTAL_PUBLIC_URL` or
    /// `http://<bound address>`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The embedded sink, if one was started.
    pub fn sink(&self) -> Option<&mailsink::SinkHandle> {
        self.sink.as_deref()
    }

    /// A shared handle to the embedded sink, usable after `run_until_stopped` took
    /// `self`.
    pub fn shared_sink(&self) -> Option<Arc<mailsink::SinkHandle>> {
        self.sink.clone()
    }

    /// The database (tests inspect it).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The account use cases (tests seed accounts through them).
    pub fn accounts(&self) -> Accounts {
        self.accounts.clone()
    }

    /// Demo accounts seeded at start.
    pub fn demo_accounts(&self) -> &[DemoAccount] {
        &self.demo_accounts
    }

    /// Cancel it to stop the application gracefully.
    pub fn shutdown_handle(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until the shutdown handle is cancelled: in-flight requests finish, the
    /// worker finishes the email it is sending, undelivered mail stays in the outbox.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let stop = self.shutdown.clone();
        let worker_stop = stop.child_token();
        let worker = tokio::spawn(self.worker.run(worker_stop.clone()));
        let admin_serve = axum::serve(self.admin_listener, self.admin_router.into_make_service())
            .with_graceful_shutdown(stop.clone().cancelled_owned());
        let admin = tokio::spawn(async move { admin_serve.await });
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop.cancelled_owned())
        .await;
        worker_stop.cancel();
        let _ = admin.await;
        let _ = worker.await;
        self.store.close().await;
        if let Some(sink) = self.sink.and_then(|s| Arc::try_unwrap(s).ok()) {
            sink.shutdown().await;
        }
        served.context("HTTP server failed")
    }
}

async fn seed_demo(accounts: &Accounts, path: &Path) -> anyhow::Result<Vec<DemoAccount>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "no demo accounts (PORTAL_DEMO_ACCOUNTS)");
            return Ok(Vec::new());
        }
    };
    let demo: Vec<DemoAccount> = serde_json::from_str(&text).with_context(|| {
        format!(
            "Failed to parse demo accounts in {} (PORTAL_DEMO_ACCOUNTS)",
            path.display()
        )
    })?;
    for a in &demo {
        let created = accounts
            .seed(&a.email, &a.password)
            .await
            .map_err(|e| anyhow::anyhow!("Failed to seed demo account {}: {e}", a.email))?;
        if created {
            tracing::info!(email = %a.email, "created demo account");
        }
    }
    Ok(demo)
}
