//! Deleting what can no longer matter.

use sqlx::AnyPool;

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
