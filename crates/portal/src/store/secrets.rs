//! The server secret, made once and shared by every instance.

use sqlx::{AnyPool, Row};

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
