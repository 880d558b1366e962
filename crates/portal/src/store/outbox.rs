//! The outbox: emails written with the change that caused them, claimed, sent, scrubbed.

use sqlx::{AnyExecutor, Row};

use super::*;

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
