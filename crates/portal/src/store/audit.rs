//! The audit trail of security events.

use sqlx::{AnyExecutor, Row};

use super::*;

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
