//! The queue of recovery requests between the intake and the batch.

use sqlx::{AnyExecutor, Row};

use super::*;

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
