//! Storage: one [`sqlx::AnyPool`] and plain, portable SQL (`$1` placeholders, Unix-second
//! BIGINT times, TEXT ids, `INSERT .. ON CONFLICT`, `UPDATE .. RETURNING`), so that the
//! same queries run on SQLite and PostgreSQL. Each function runs one statement on any
//! executor (the pool or an open transaction); [`crate::accounts`] composes them into
//! transactions.

mod migrate;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyConnection, AnyExecutor, AnyPool, Connection, Row, Transaction};
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

// ---------------------------------------------------------------- accounts

/// A row of `accounts`.
#[derive(Debug, Clone)]
pub struct AccountRow {
    /// Row id.
    pub id: String,
    /// The address as registered (where mail goes).
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// When the address was confirmed.
    pub confirmed_at: Option<i64>,
    /// When the account was created.
    pub created_at: i64,
    /// When the password last changed.
    pub password_changed_at: i64,
}

const ACCOUNT_COLUMNS: &str =
    "a.id, a.email, a.password_hash, a.confirmed_at, a.created_at, a.password_changed_at";

fn account_from_row(row: &AnyRow) -> sqlx::Result<AccountRow> {
    Ok(AccountRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        confirmed_at: row.try_get("confirmed_at")?,
        created_at: row.try_get("created_at")?,
        password_changed_at: row.try_get("password_changed_at")?,
    })
}

/// The account registered with this (lower-cased) address.
pub async fn account_by_email<'e>(
    db: impl AnyExecutor<'e>,
    email_lookup: &str,
) -> sqlx::Result<Option<AccountRow>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email_lookup = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(email_lookup.to_owned())
        .fetch_optional(db)
        .await?
        .map(|r| account_from_row(&r))
        .transpose()
}

/// The accounts registered with these (lower-cased) addresses, in any order; at most
/// [`MAX_ROWS_PER_STATEMENT`] addresses.
pub async fn accounts_by_email<'e>(
    db: impl AnyExecutor<'e>,
    email_lookups: &[&str],
) -> sqlx::Result<Vec<(String, AccountRow)>> {
    let rows: Vec<Vec<Param>> = email_lookups
        .iter()
        .map(|l| vec![Param::Text((*l).to_owned())])
        .collect();
    let head = format!(
        "SELECT a.email_lookup, {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email_lookup IN ("
    );
    execute_rows(db, &head, &rows, ")")
        .await?
        .iter()
        .map(|r| Ok((r.try_get("email_lookup")?, account_from_row(r)?)))
        .collect()
}

/// The account with this id.
pub async fn account_by_id<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
) -> sqlx::Result<Option<AccountRow>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(db)
        .await?
        .map(|r| account_from_row(&r))
        .transpose()
}

/// Inserts an account; `false` when the address is already registered.
pub async fn insert_account<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
    email: &str,
    email_lookup: &str,
    password_hash: &str,
    confirmed_at: Option<i64>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO accounts (id, email, email_lookup, password_hash, confirmed_at, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (email_lookup) DO NOTHING",
    )
    .bind(id.to_owned())
    .bind(email.to_owned())
    .bind(email_lookup.to_owned())
    .bind(password_hash.to_owned())
    .bind(confirmed_at)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the account registered with this address if it was never confirmed and was
/// created at or before `cutoff` (with its tokens): the address is free again.
pub async fn delete_stale_unconfirmed(
    tx: &mut Tx,
    email_lookup: &str,
    cutoff: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM account_tokens WHERE account_id IN (SELECT id FROM accounts \
         WHERE email_lookup = $1 AND confirmed_at IS NULL AND created_at <= $2)",
    )
    .bind(email_lookup.to_owned())
    .bind(cutoff)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM accounts WHERE email_lookup = $1 AND confirmed_at IS NULL AND created_at <= $2")
        .bind(email_lookup.to_owned())
        .bind(cutoff)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Replaces the password hash; `changed_at` is `Some` for a real change (not a re-hash).
pub async fn set_password_hash<'e>(
    db: impl AnyExecutor<'e>,
    account_id: &str,
    password_hash: &str,
    changed_at: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE accounts SET password_hash = $1, password_changed_at = COALESCE($2, password_changed_at) WHERE id = $3",
    )
    .bind(password_hash.to_owned())
    .bind(changed_at)
    .bind(account_id.to_owned())
    .execute(db)
    .await?;
    Ok(())
}

/// Marks the address as confirmed (no-op if it already is).
pub async fn confirm_account<'e>(
    db: impl AnyExecutor<'e>,
    account_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET confirmed_at = COALESCE(confirmed_at, $1) WHERE id = $2")
        .bind(now)
        .bind(account_id.to_owned())
        .execute(db)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- sessions

/// Stores a session by the hash of its id.
pub async fn insert_session<'e>(
    db: impl AnyExecutor<'e>,
    id_hash: &TokenHash,
    account_id: &str,
    kind: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, kind, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $4)",
    )
    .bind(id_hash.as_str().to_owned())
    .bind(account_id.to_owned())
    .bind(kind.to_owned())
    .bind(now)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The account of a live session: not expired, and used since `idle_since`.
pub async fn session_account<'e>(
    db: impl AnyExecutor<'e>,
    id_hash: &TokenHash,
    now: i64,
    idle_since: i64,
) -> sqlx::Result<Option<AccountRow>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id_hash.as_str().to_owned())
        .bind(now)
        .bind(idle_since)
        .fetch_optional(db)
        .await?
        .map(|r| account_from_row(&r))
        .transpose()
}

/// Records that a session was used at `now`, unless that was already recorded within
/// the last `granularity` seconds (a write per minute, not per request).
pub async fn touch_session<'e>(
    db: impl AnyExecutor<'e>,
    id_hash: &TokenHash,
    now: i64,
    granularity: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2 AND last_seen_at <= $3")
        .bind(now)
        .bind(id_hash.as_str().to_owned())
        .bind(now - granularity)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends one session.
pub async fn delete_session<'e>(db: impl AnyExecutor<'e>, id_hash: &TokenHash) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash.as_str().to_owned())
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every session of an account; returns how many there were.
pub async fn delete_sessions_of<'e>(
    db: impl AnyExecutor<'e>,
    account_id: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id.to_owned())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Number of live sessions of an account.
pub async fn count_sessions<'e>(
    db: impl AnyExecutor<'e>,
    account_id: &str,
    now: i64,
) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE account_id = $1 AND expires_at > $2")
        .bind(account_id.to_owned())
        .bind(now)
        .fetch_one(db)
        .await?
        .try_get("n")
}

// ---------------------------------------------------------------- tokens

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Password recovery link.
    Recovery,
    /// Account confirmation link.
    Confirmation,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Recovery => "recovery",
            Self::Confirmation => "confirmation",
        }
    }
}

/// A token to store (by its hash).
#[derive(Debug, Clone)]
pub struct NewToken {
    /// SHA-256 of the secret.
    pub hash: TokenHash,
    /// Whose it is.
    pub account_id: String,
    /// What it is for.
    pub purpose: TokenPurpose,
    /// Issued at.
    pub created_at: i64,
    /// Unusable from.
    pub expires_at: i64,
}

/// Stores a token by its hash.
pub async fn insert_token<'e>(
    db: impl AnyExecutor<'e>,
    hash: &TokenHash,
    account_id: &str,
    purpose: TokenPurpose,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    let token = NewToken {
        hash: hash.clone(),
        account_id: account_id.to_owned(),
        purpose,
        created_at: now,
        expires_at,
    };
    insert_tokens(db, std::slice::from_ref(&token)).await
}

/// Stores tokens in one statement; at most [`MAX_ROWS_PER_STATEMENT`].
pub async fn insert_tokens<'e>(db: impl AnyExecutor<'e>, tokens: &[NewToken]) -> sqlx::Result<()> {
    let rows: Vec<Vec<Param>> = tokens
        .iter()
        .map(|t| {
            vec![
                Param::Text(t.hash.as_str().to_owned()),
                Param::Text(t.account_id.clone()),
                Param::Text(t.purpose.as_str().to_owned()),
                Param::Int(t.created_at),
                Param::Int(t.expires_at),
            ]
        })
        .collect();
    execute_rows(
        db,
        "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at) VALUES ",
        &rows,
        "",
    )
    .await?;
    Ok(())
}

/// The account a usable (unused, unexpired) token belongs to, without using it.
pub async fn peek_token<'e>(
    db: impl AnyExecutor<'e>,
    hash: &TokenHash,
    purpose: TokenPurpose,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query(
        "SELECT account_id FROM account_tokens \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(hash.as_str().to_owned())
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(db)
    .await?
    .map(|r| r.try_get("account_id"))
    .transpose()
}

/// Uses a token, atomically: of two concurrent calls at most one gets the account id.
pub async fn consume_token<'e>(
    db: impl AnyExecutor<'e>,
    hash: &TokenHash,
    purpose: TokenPurpose,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query(
        "UPDATE account_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING account_id",
    )
    .bind(now)
    .bind(hash.as_str().to_owned())
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await?
    .map(|r| r.try_get("account_id"))
    .transpose()
}

/// Ends every outstanding token of an account (after a password reset or change).
pub async fn revoke_tokens<'e>(
    db: impl AnyExecutor<'e>,
    account_id: &str,
    now: i64,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE account_tokens SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(account_id.to_owned())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

// ---------------------------------------------------------------- recovery requests

/// One queued recovery request.
#[derive(Debug, Clone)]
pub struct RecoveryRequest {
    /// The typed address's lookup key.
    pub email_lookup: String,
    /// Who asked.
    pub client_ip: String,
    /// When (domain clock).
    pub requested_at: i64,
}

/// Queues recovery requests (the same work for every address) in one statement; at
/// most [`MAX_ROWS_PER_STATEMENT`].
pub async fn insert_recovery_requests<'e>(
    db: impl AnyExecutor<'e>,
    requests: &[RecoveryRequest],
) -> sqlx::Result<()> {
    let rows: Vec<Vec<Param>> = requests
        .iter()
        .map(|r| {
            vec![
                Param::Text(new_id()),
                Param::Text(r.email_lookup.clone()),
                Param::Text(r.client_ip.clone()),
                Param::Int(r.requested_at),
            ]
        })
        .collect();
    execute_rows(
        db,
        "INSERT INTO recovery_requests (id, email_lookup, client_ip, requested_at) VALUES ",
        &rows,
        "",
    )
    .await?;
    Ok(())
}

/// Takes up to `limit` of the oldest queued requests off the queue (inside the
/// transaction that handles them). Concurrent workers on PostgreSQL never get the same
/// row: the second `DELETE` skips rows the first one removed.
pub async fn take_recovery_requests(tx: &mut Tx, limit: i64) -> sqlx::Result<Vec<RecoveryRequest>> {
    sqlx::query(
        "DELETE FROM recovery_requests WHERE id IN \
           (SELECT id FROM recovery_requests ORDER BY requested_at, id LIMIT $1) \
         RETURNING email_lookup, client_ip, requested_at",
    )
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(RecoveryRequest {
            email_lookup: r.try_get("email_lookup")?,
            client_ip: r.try_get("client_ip")?,
            requested_at: r.try_get("requested_at")?,
        })
    })
    .collect()
}

// ---------------------------------------------------------------- outbox

/// An email waiting in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    /// Row id.
    pub id: String,
    /// Which template made it.
    pub kind: String,
    /// Where it goes.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text_body: String,
    /// HTML part.
    pub html_body: String,
    /// Delivery attempts so far.
    pub attempts: i64,
}

/// An email for the outbox.
#[derive(Debug, Clone)]
pub struct NewEmail {
    /// Which template made it.
    pub kind: String,
    /// Where it goes.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text_body: String,
    /// HTML part.
    pub html_body: String,
    /// Queued at (domain clock).
    pub created_at: i64,
}

/// Adds an email to the outbox (inside the transaction of the change that caused it),
/// due at once. Delivery times (`next_attempt_at`, claims) are wall-clock times kept by
/// the worker; `created_at` is the domain clock's.
pub async fn insert_outbox<'e>(db: impl AnyExecutor<'e>, email: &NewEmail) -> sqlx::Result<()> {
    insert_outbox_many(db, std::slice::from_ref(email)).await
}

/// Adds emails to the outbox in one statement; at most [`MAX_ROWS_PER_STATEMENT`].
pub async fn insert_outbox_many<'e>(
    db: impl AnyExecutor<'e>,
    emails: &[NewEmail],
) -> sqlx::Result<()> {
    let rows: Vec<Vec<Param>> = emails
        .iter()
        .map(|e| {
            vec![
                Param::Text(new_id()),
                Param::Text(e.kind.clone()),
                Param::Text(e.recipient.clone()),
                Param::Text(e.subject.clone()),
                Param::Text(e.text_body.clone()),
                Param::Text(e.html_body.clone()),
                Param::Int(e.created_at),
                // No attempt yet, due at once.
                Param::Int(0),
                Param::Int(0),
            ]
        })
        .collect();
    execute_rows(
        db,
        "INSERT INTO outbox (id, kind, recipient, subject, text_body, html_body, created_at, attempts, next_attempt_at) VALUES ",
        &rows,
        "",
    )
    .await?;
    Ok(())
}

/// Claims up to `limit` due emails for `worker` until `now + lease`. A claim that is
/// not finished (the instance died) expires and the row is claimed again. The claim
/// conditions are repeated in the outer WHERE so that a row re-checked after a
/// concurrent update is not claimed twice.
pub async fn claim_outbox<'e>(
    db: impl AnyExecutor<'e>,
    worker: &str,
    now: i64,
    lease_secs: i64,
    limit: i64,
) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query(
        "UPDATE outbox SET claimed_by = $1, claimed_until = $2 \
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3 \
           AND (claimed_until IS NULL OR claimed_until < $3) \
           AND id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL \
                      AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3) \
                      ORDER BY created_at, id LIMIT $4) \
         RETURNING id, kind, recipient, subject, text_body, html_body, attempts",
    )
    .bind(worker.to_owned())
    .bind(now + lease_secs)
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?
    .iter()
    .map(|r| {
        Ok(OutboxRow {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            recipient: r.try_get("recipient")?,
            subject: r.try_get("subject")?,
            text_body: r.try_get("text_body")?,
            html_body: r.try_get("html_body")?,
            attempts: r
                .try_get::<i64, _>("attempts")
                .or_else(|_| r.try_get::<i32, _>("attempts").map(i64::from))?,
        })
    })
    .collect()
}

/// Marks an email delivered and scrubs its bodies (they may hold a link with a token).
pub async fn outbox_sent<'e>(db: impl AnyExecutor<'e>, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET sent_at = $1, claimed_until = NULL, text_body = '', html_body = '', last_error = NULL, \
         attempts = attempts + 1 WHERE id = $2",
    )
    .bind(now)
    .bind(id.to_owned())
    .execute(db)
    .await?;
    Ok(())
}

/// What becomes of an email after a failed attempt.
#[derive(Debug, Clone, Copy)]
pub enum AfterFailure {
    /// Try again at this time.
    RetryAt(i64),
    /// Give up (failed at this time): kept, marked failed, never silently dropped.
    GiveUp(i64),
}

/// Records a failed delivery attempt with its error, and what comes next.
pub async fn outbox_attempt_failed<'e>(
    db: impl AnyExecutor<'e>,
    id: &str,
    error: &str,
    then: AfterFailure,
) -> sqlx::Result<()> {
    let (sql, at) = match then {
        AfterFailure::RetryAt(at) => (
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, claimed_until = NULL, last_error = $2 WHERE id = $3",
            at,
        ),
        AfterFailure::GiveUp(at) => (
            // The row stays for the operator; the body (maybe a live recovery link) goes.
            "UPDATE outbox SET attempts = attempts + 1, failed_at = $1, claimed_until = NULL, last_error = $2, \
             text_body = '', html_body = '' WHERE id = $3",
            at,
        ),
    };
    sqlx::query(sql)
        .bind(at)
        .bind(error.to_owned())
        .bind(id.to_owned())
        .execute(db)
        .await?;
    Ok(())
}

/// Emails not yet delivered (pending or being retried).
pub async fn outbox_pending_count<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
        .fetch_one(db)
        .await?
        .try_get("n")
}

/// Emails given up on (kept in the outbox with their last error).
pub async fn outbox_failed_count<'e>(db: impl AnyExecutor<'e>) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE failed_at IS NOT NULL")
        .fetch_one(db)
        .await?
        .try_get("n")
}

// ---------------------------------------------------------------- rate limits

/// Counts one hit in a fixed window of `window_secs` and returns the hits in the
/// current window (including this one).
pub async fn rate_limit_hit<'e>(
    db: impl AnyExecutor<'e>,
    bucket: &str,
    now: i64,
    window_secs: i64,
) -> sqlx::Result<i64> {
    let counted = rate_limit_add_many(db, &[(bucket.to_owned(), 1)], now, window_secs).await?;
    counted
        .into_iter()
        .next()
        .map(|(_, hits)| hits)
        .ok_or(sqlx::Error::RowNotFound)
}

/// Counts hits in several buckets in one statement: `(bucket, hits)` pairs, each bucket
/// once, at most [`MAX_ROWS_PER_STATEMENT`]. Returns each bucket's hits in its current
/// fixed window of `window_secs`, these included (a window that has ended starts again
/// at `now`).
pub async fn rate_limit_add_many<'e>(
    db: impl AnyExecutor<'e>,
    counts: &[(String, i64)],
    now: i64,
    window_secs: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    let rows: Vec<Vec<Param>> = counts
        .iter()
        .map(|(bucket, hits)| {
            vec![
                Param::Text(bucket.clone()),
                Param::Int(now),
                Param::Int(*hits),
            ]
        })
        .collect();
    // `window_secs` is a number from the code, not input: safe to write into the SQL.
    let tail = format!(
        " ON CONFLICT (bucket) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_start <= excluded.window_start - {window_secs} \
                  THEN excluded.hits ELSE rate_limits.hits + excluded.hits END, \
           window_start = CASE WHEN rate_limits.window_start <= excluded.window_start - {window_secs} \
                  THEN excluded.window_start ELSE rate_limits.window_start END \
         RETURNING bucket, hits"
    );
    execute_rows(
        db,
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ",
        &rows,
        &tail,
    )
    .await?
    .iter()
    .map(|r| {
        let hits = r
            .try_get::<i64, _>("hits")
            .or_else(|_| r.try_get::<i32, _>("hits").map(i64::from))?;
        Ok((r.try_get("bucket")?, hits))
    })
    .collect()
}

/// Hits in the current window, without counting one.
pub async fn rate_limit_peek<'e>(
    db: impl AnyExecutor<'e>,
    bucket: &str,
    now: i64,
    window_secs: i64,
) -> sqlx::Result<i64> {
    let row = sqlx::query("SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start > $2")
        .bind(bucket.to_owned())
        .bind(now - window_secs)
        .fetch_optional(db)
        .await?;
    match row {
        None => Ok(0),
        Some(r) => r
            .try_get::<i64, _>("hits")
            .or_else(|_| r.try_get::<i32, _>("hits").map(i64::from)),
    }
}

/// Gives one hit back to a bucket whose window is still the current one (an attempt
/// that was taken before it was checked, and turned out legitimate).
pub async fn rate_limit_give_back<'e>(
    db: impl AnyExecutor<'e>,
    bucket: &str,
    now: i64,
    window_secs: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE rate_limits SET hits = hits - 1 WHERE bucket = $1 AND hits > 0 AND window_start > $2",
    )
    .bind(bucket.to_owned())
    .bind(now - window_secs)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets a bucket (e.g. failed log-ins after a successful one).
pub async fn rate_limit_reset<'e>(db: impl AnyExecutor<'e>, bucket: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE bucket = $1")
        .bind(bucket.to_owned())
        .execute(db)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- housekeeping

/// Deletes what can no longer matter: expired sessions, tokens expired for a day,
/// rate-limit windows older than a day, delivered email older than a week, and accounts
/// never confirmed within `unconfirmed_ttl` seconds (so that nobody can hold an address
/// they do not own). Failed email rows and the audit trail are kept.
pub async fn purge_expired(pool: &AnyPool, now: i64, unconfirmed_ttl: i64) -> sqlx::Result<()> {
    const DAY: i64 = 86_400;
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?;
    // Their tokens and sessions go with them (ON DELETE CASCADE, also spelled out for
    // SQLite connections without foreign keys).
    sqlx::query(
        "DELETE FROM account_tokens WHERE account_id IN \
         (SELECT id FROM accounts WHERE confirmed_at IS NULL AND created_at <= $1)",
    )
    .bind(now - unconfirmed_ttl)
    .execute(pool)
    .await?;
    sqlx::query("DELETE FROM accounts WHERE confirmed_at IS NULL AND created_at <= $1")
        .bind(now - unconfirmed_ttl)
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM account_tokens WHERE expires_at <= $1")
        .bind(now - DAY)
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM rate_limits WHERE window_start <= $1")
        .bind(now - DAY)
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at <= $1")
        .bind(now - 7 * DAY)
        .execute(pool)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- server secrets

/// The server secret called `name`: the stored one, or `fresh` stored now if there was
/// none (the first instance to start wins; every instance then reads the same value).
pub async fn server_secret(
    pool: &AnyPool,
    name: &str,
    fresh: &str,
    now: i64,
) -> sqlx::Result<String> {
    sqlx::query(
        "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name.to_owned())
    .bind(fresh.to_owned())
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
        .bind(name.to_owned())
        .fetch_one(pool)
        .await?
        .try_get("value")
}

// ---------------------------------------------------------------- audit

/// A security event.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// What happened.
    pub event: Event,
    /// To which account, if one.
    pub account_id: Option<String>,
    /// From where.
    pub client_ip: Option<String>,
    /// More (never a secret).
    pub detail: Option<String>,
}

impl AuditEvent {
    /// An event without detail.
    pub fn new(event: Event, account_id: Option<String>, client_ip: Option<String>) -> Self {
        Self {
            event,
            account_id,
            client_ip,
            detail: None,
        }
    }
}

/// Appends a security event (and logs it). Never pass secrets in `detail`.
pub async fn audit<'e>(
    db: impl AnyExecutor<'e>,
    now: i64,
    event: Event,
    account_id: Option<&str>,
    client_ip: Option<&str>,
    detail: Option<&str>,
) -> sqlx::Result<()> {
    let event = AuditEvent {
        event,
        account_id: account_id.map(str::to_owned),
        client_ip: client_ip.map(str::to_owned),
        detail: detail.map(str::to_owned),
    };
    audit_many(db, now, std::slice::from_ref(&event)).await
}

/// Appends security events (and logs them) in one statement; at most
/// [`MAX_ROWS_PER_STATEMENT`].
pub async fn audit_many<'e>(
    db: impl AnyExecutor<'e>,
    now: i64,
    events: &[AuditEvent],
) -> sqlx::Result<()> {
    let rows: Vec<Vec<Param>> = events
        .iter()
        .map(|e| {
            tracing::info!(
                target: "audit",
                event = e.event.as_str(),
                account_id = e.account_id.as_deref().unwrap_or("-"),
                client_ip = e.client_ip.as_deref().unwrap_or("-"),
                detail = e.detail.as_deref().unwrap_or("-"),
                "security event"
            );
            vec![
                Param::Text(new_id()),
                Param::Int(now),
                Param::Text(e.event.as_str().to_owned()),
                Param::OptText(e.account_id.clone()),
                Param::OptText(e.client_ip.clone()),
                Param::OptText(e.detail.clone()),
            ]
        })
        .collect();
    execute_rows(
        db,
        "INSERT INTO audit_events (id, at, event, account_id, client_ip, detail) VALUES ",
        &rows,
        "",
    )
    .await?;
    Ok(())
}

/// Names of the audit events recorded for an account, oldest first (for tests and
/// support).
pub async fn audit_events_of<'e>(
    db: impl AnyExecutor<'e>,
    account_id: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query("SELECT event FROM audit_events WHERE account_id = $1 ORDER BY at, id")
        .bind(account_id.to_owned())
        .fetch_all(db)
        .await?
        .iter()
        .map(|r| r.try_get("event"))
        .collect()
}
