//! Rate-limit windows (see `crate::limits` for the rules).

use sqlx::{AnyExecutor, Row};

use super::*;

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

/// Gives one hit back to each of `buckets` whose window is still the current one (an
/// attempt that was taken before it was checked, and turned out legitimate), in one
/// statement; at most [`MAX_ROWS_PER_STATEMENT`] buckets.
pub async fn rate_limit_give_back<'e>(
    db: impl AnyExecutor<'e>,
    buckets: &[String],
    now: i64,
    window_secs: i64,
) -> sqlx::Result<()> {
    if buckets.is_empty() {
        return Ok(());
    }
    // Only placeholders are generated; every value is bound.
    let list: Vec<String> = (0..buckets.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "UPDATE rate_limits SET hits = hits - 1 WHERE hits > 0 AND window_start > $1 AND bucket IN ({})",
        list.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now - window_secs);
    for b in buckets {
        query = query.bind(b.clone());
    }
    query.execute(db).await?;
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
