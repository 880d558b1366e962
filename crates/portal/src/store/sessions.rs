//! Sessions, stored by the hash of their id, with their last use.

use sqlx::{AnyExecutor, Row};

use super::*;

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
