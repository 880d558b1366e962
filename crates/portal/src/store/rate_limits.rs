//! Rate-limit windows (see `crate::limits` for the rules).

use sqlx::{AnyExecutor, Row};

use super::*;

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
