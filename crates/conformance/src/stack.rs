//! The in-process target: the portal on a random port with a fresh database, sending to
//! our own mail sink (whose fault rules make "the mail server is down", as on any target
//! whose mail goes to that sink). A stack started for one scenario also gets a
//! [`ManualClock`].
//!
//! The database is a new SQLite file, or — when `PORTAL_TEST_DATABASE_URL` names a
//! PostgreSQL server (the CI's PostgreSQL leg) — a new database on that server, dropped
//! when the stack stops.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use mailsink::{MailSink, SinkConfig, SinkHandle};
use portal::clock::{Clock, ManualClock, SystemClock};
use portal::config::Config;
use portal::startup::Application;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

/// What a stack is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackKind {
    /// One stack for every scenario that needs no control over it: wall clock, and
    /// per-client limits raised (every scenario comes from 127.0.0.1).
    Shared,
    /// A stack for one `@in-process` scenario: a manual clock, the portal's default
    /// limits.
    Private,
}

/// Where the PostgreSQL leg's server is.
pub const TEST_DATABASE_ENV: &str = "PORTAL_TEST_DATABASE_URL";

/// A database made for one stack.
enum Database {
    /// A file in a temporary directory (removed with it).
    Sqlite(tempfile::TempDir),
    /// A database created on a PostgreSQL server.
    Postgres {
        /// The server URL given (used to drop the database).
        admin_url: String,
        /// The database's name.
        name: String,
    },
}

impl Database {
    /// A fresh database and the URL the portal should use.
    async fn create() -> anyhow::Result<(Self, String)> {
        match std::env::var(TEST_DATABASE_ENV) {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("conformance_{:016x}", rand::random::<u64>());
                let mut conn = pg_connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("creating database {name} ({TEST_DATABASE_ENV})"))?;
                let mut url = Url::parse(&admin_url).context(TEST_DATABASE_ENV)?;
                url.set_path(&format!("/{name}"));
                Ok((Self::Postgres { admin_url, name }, url.to_string()))
            }
            _ => {
                let dir = tempfile::Builder::new()
                    .prefix("conformance-")
                    .tempdir()
                    .context("creating a directory for the database")?;
                let url = format!("sqlite://{}", dir.path().join("portal.db").display());
                Ok((Self::Sqlite(dir), url))
            }
        }
    }

    /// Removes the database.
    async fn drop_it(self) {
        if let Self::Postgres { admin_url, name } = self {
            let dropped = async {
                let mut conn = pg_connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await?;
                anyhow::Ok(())
            }
            .await;
            if let Err(e) = dropped {
                tracing::warn!(database = %name, error = %format!("{e:#}"), "could not drop the test database");
            }
        }
    }
}

async fn pg_connect(url: &str) -> anyhow::Result<sqlx::PgConnection> {
    use sqlx::Connection as _;
    sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to PostgreSQL ({TEST_DATABASE_ENV})"))
}

/// A running portal + sink.
pub struct Stack {
    base_url: Url,
    sink: SinkHandle,
    clock: Option<ManualClock>,
    stop: CancellationToken,
    server: JoinHandle<anyhow::Result<()>>,
    database: Database,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("base_url", &self.base_url.as_str())
            .field("sink", &self.sink.http_url())
            .field("manual_clock", &self.clock.is_some())
            .field(
                "database",
                &match &self.database {
                    Database::Sqlite(dir) => dir.path().display().to_string(),
                    Database::Postgres { name, .. } => name.clone(),
                },
            )
            .finish()
    }
}

impl Stack {
    /// Starts a sink and a portal sending to it.
    pub async fn start(kind: StackKind) -> anyhow::Result<Self> {
        let sink = MailSink::start(SinkConfig::ephemeral())
            .await
            .context("starting the mail sink")?;
        let (database, database_url) = Database::create().await?;
        let mut config = Config::for_tests(database_url);
        config.smtp_url = Some(format!("smtp://{}", sink.smtp_addr()));
        let (clock, manual): (Arc<dyn Clock>, _) = match kind {
            StackKind::Shared => {
                // Every scenario runs from 127.0.0.1: per-client limits would make them
                // trip over each other. The per-account limits stay as configured.
                config.recovery_per_ip_per_hour = 100_000;
                config.login_failures_per_ip = 100_000;
                config.token_guesses_per_ip = 100_000;
                config.signups_per_ip_per_hour = 100_000;
                (Arc::new(SystemClock), None)
            }
            StackKind::Private => {
                let clock = ManualClock::starting_now();
                (Arc::new(clock.clone()), Some(clock))
            }
        };
        let app = match Application::build(config, clock).await {
            Ok(app) => app,
            Err(e) => {
                database.drop_it().await;
                return Err(e.context("starting the portal"));
            }
        };
        let base_url = Url::parse(&app.base_url()).context("the portal's base URL")?;
        let stop = app.shutdown_handle();
        let server = tokio::spawn(app.run_until_stopped());
        Ok(Self {
            base_url,
            sink,
            clock: manual,
            stop,
            server,
            database,
        })
    }

    /// The portal's public URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// "SQLite" or "PostgreSQL".
    pub fn database_kind(&self) -> &'static str {
        match self.database {
            Database::Sqlite(_) => "SQLite",
            Database::Postgres { .. } => "PostgreSQL",
        }
    }

    /// The sink's HTTP API.
    pub fn sink_url(&self) -> String {
        self.sink.http_url()
    }

    /// Moves the portal's clock forward (private stacks only).
    pub fn advance_clock(&self, by: Duration) -> anyhow::Result<()> {
        let clock = self
            .clock
            .as_ref()
            .context("this stack runs on the wall clock: tag the scenario @in-process")?;
        clock.advance(by);
        Ok(())
    }

    /// Stops the portal (gracefully) and the sink.
    pub async fn stop(self) {
        self.stop.cancel();
        if tokio::time::timeout(Duration::from_secs(10), self.server)
            .await
            .is_err()
        {
            tracing::warn!("the portal did not stop within 10 s");
        }
        self.sink.shutdown().await;
        self.database.drop_it().await;
    }
}
