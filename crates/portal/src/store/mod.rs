//! Storage: one [`sqlx::AnyPool`] and plain, portable SQL (`$1` placeholders, Unix-second
//! BIGINT times, TEXT ids, `INSERT .. ON CONFLICT`, `UPDATE .. RETURNING`), so that the
//! same queries run on SQLite and PostgreSQL. Each function runs one statement on any
//! executor (the pool or an open transaction); [`crate::accounts`] composes them into
//! transactions.

mod accounts;
mod audit;
mod housekeeping;
mod migrate;
mod outbox;
mod rate_limits;
mod recovery_queue;
mod secrets;
mod sessions;
mod tokens;

pub use accounts::*;
pub use audit::*;
pub use housekeeping::*;
pub use outbox::*;
pub use rate_limits::*;
pub use recovery_queue::*;
pub use secrets::*;
pub use sessions::*;
pub use tokens::*;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyConnection, AnyExecutor, AnyPool, Connection, Transaction};
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::audit::Event;
use crate::domain::TokenHash;

/// Which database the URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The database: a pool plus what kind it is.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite: stops the checkpointer when the last clone goes.
    _checkpointer: Option<Arc<DropGuard>>,
}

/// How often the SQLite checkpointer folds the write-ahead log into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// How long [`Store::connect`] lets an operation wait for a connection.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// An open transaction.
pub type Tx = Transaction<'static, Any>;

/// A random id for rows (not a secret: ids never grant anything).
pub fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// A value bound into a generated multi-row statement.
#[derive(Debug, Clone)]
enum Param {
    Text(String),
    OptText(Option<String>),
    Int(i64),
}

/// Most rows one generated statement may carry (batches are cut to this size by their
/// producers); at 7 columns that is 3,584 parameters, well under SQLite's 32,766 and
/// PostgreSQL's 65,535.
pub const MAX_ROWS_PER_STATEMENT: usize = 512;

/// `head` (`INSERT INTO t (a, b) VALUES `, or any statement ending in a `VALUES` list)
/// followed by one `($n, ...)` tuple per row and `tail`, all values bound.
async fn execute_rows<'e>(
    db: impl AnyExecutor<'e>,
    head: &str,
    rows: &[Vec<Param>],
    tail: &str,
) -> sqlx::Result<Vec<AnyRow>> {
    let width = rows.first().map_or(0, Vec::len);
    if width == 0 {
        return Ok(Vec::new());
    }
    debug_assert!(rows.len() <= MAX_ROWS_PER_STATEMENT, "batch too large");
    let mut sql = String::with_capacity(head.len() + tail.len() + rows.len() * width * 5);
    sql.push_str(head);
    let mut n = 0;
    for (i, row) in rows.iter().enumerate() {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for j in 0..row.len() {
            n += 1;
            if j > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
    sql.push_str(tail);
    // Only placeholders are generated; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in rows.iter().flatten() {
        query = match value {
            Param::Text(v) => query.bind(v.clone()),
            Param::OptText(v) => query.bind(v.clone()),
            Param::Int(v) => query.bind(*v),
        };
    }
    query.fetch_all(db).await
}

impl Store {
    /// Connects (creating the SQLite file and its directory if needed) and applies the
    /// migrations; waits at most [`DEFAULT_ACQUIRE_TIMEOUT`] for a connection.
    pub async fn connect(url: &str, max_connections: Option<u32>) -> anyhow::Result<Store> {
        Self::connect_with(url, max_connections, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// Like [`Store::connect`], waiting at most `acquire_timeout` for a connection: past
    /// it, the operation fails with a pool timeout (the HTTP layer answers 503).
    pub async fn connect_with(
        url: &str,
        max_connections: Option<u32>,
        acquire_timeout: Duration,
    ) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, prepare_sqlite_url(url)?)
        } else {
            (Backend::Postgres, url.to_owned())
        };
        let options = AnyConnectOptions::from_str(&url)
            .with_context(|| "Failed to parse PORTAL_DATABASE_URL".to_string())?;
        let max = max_connections.unwrap_or(match backend {
            // SQLite has one writer; one connection turns contention into queueing
            // instead of "database is locked" errors.
            Backend::Sqlite => 1,
            Backend::Postgres => 10,
        });
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(acquire_timeout)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Overwrite deleted content (scrubbed email bodies) on disk.
                        sqlx::query("PRAGMA secure_delete = ON")
                            .execute(&mut *conn)
                            .await?;
                        // WAL + NORMAL: a commit is an append, not an fsync (many more
                        // writes per second); durable across process crashes, only a
                        // power cut can lose the last commits.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        // Checkpoints (and their fsyncs) run on the checkpointer's own
                        // connection, never inside a request's commit.
                        sqlx::query("PRAGMA wal_autocheckpoint = 0")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await
            .context("Failed to connect to the database (PORTAL_DATABASE_URL)")?;
        let checkpointer = (backend == Backend::Sqlite).then(|| {
            let stop = CancellationToken::new();
            tokio::spawn(checkpoint_loop(options, stop.clone()));
            Arc::new(stop.drop_guard())
        });
        let store = Store {
            pool,
            backend,
            _checkpointer: checkpointer,
        };
        migrate::run(&store)
            .await
            .context("Failed to migrate the database")?;
        Ok(store)
    }

    /// The pool, for single statements.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        self.pool.begin().await
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Folds the SQLite write-ahead log into the database file and empties it, so that
    /// scrubbed content (delivered email bodies with their links) does not linger in old
    /// WAL frames. No-op on PostgreSQL.
    pub async fn checkpoint(&self) -> sqlx::Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Folds the SQLite write-ahead log into the database file every [`CHECKPOINT_EVERY`]
/// from a connection of its own. A passive checkpoint never blocks the writer, so the
/// fsyncs of a checkpoint no longer land inside some request's commit (they made the
/// slowest recovery requests about 30 ms slower). Runs until `stop`.
async fn checkpoint_loop(options: AnyConnectOptions, stop: CancellationToken) {
    let mut conn: Option<AnyConnection> = None;
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        if conn.is_none() {
            conn = AnyConnection::connect_with(&options).await.ok();
        }
        let Some(c) = conn.as_mut() else { continue };
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut *c)
            .await
        {
            tracing::warn!(error = %e, "SQLite checkpoint failed; will retry");
            conn = None;
        }
    }
    if let Some(c) = conn {
        let _ = c.close().await;
    }
}

/// Creates the parent directory of a SQLite file and asks sqlx to create the file.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        anyhow::bail!(
            "PORTAL_DATABASE_URL must name a SQLite file (in-memory databases are not shared between connections)"
        );
    }
    if let Some(parent) = Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).with_context(|| {
            format!(
                "Failed to create the directory {} for the database",
                parent.display()
            )
        })?;
    }
    if url.contains("mode=") {
        Ok(url.to_owned())
    } else if url.contains('?') {
        Ok(format!("{url}&mode=rwc"))
    } else {
        Ok(format!("{url}?mode=rwc"))
    }
}
