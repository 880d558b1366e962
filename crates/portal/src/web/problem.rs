//! RFC 9457 problem details with a stable `code`: the one error shape of the JSON API.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::texts;
use crate::accounts::AccountsError;

/// `application/problem+json` body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type (`/problems/{code}`).
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened and what to do, for a person, in the language of the request
    /// (`Accept-Language`).
    pub detail: String,
    /// Stable machine-readable code, e.g. `invalid_credentials`, `password_too_common`.
    pub code: String,
}

impl Problem {
    /// A problem with `title` derived from the status.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            type_: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        // Overload and outages are short: tell clients when to come back.
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        res
    }
}

/// The one mapping from a use case's refusal to an HTTP status and a stable code, used
/// by the API's problems and by the pages alike.
pub fn status_of(e: &AccountsError) -> (StatusCode, &'static str) {
    match e {
        AccountsError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        AccountsError::TooManyAttempts => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
        AccountsError::InvalidToken => (StatusCode::BAD_REQUEST, "invalid_token"),
        AccountsError::Rejected(r) => (StatusCode::UNPROCESSABLE_ENTITY, r.code()),
        AccountsError::InvalidEmail(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_email"),
        AccountsError::CurrentPasswordIncorrect => {
            (StatusCode::FORBIDDEN, "current_password_incorrect")
        }
        AccountsError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        AccountsError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "service_busy"),
        AccountsError::Internal(err) if is_unavailable(err) => {
            (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable")
        }
        AccountsError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
    }
}

impl From<AccountsError> for Problem {
    fn from(e: AccountsError) -> Self {
        let (status, code) = status_of(&e);
        let detail = match &e {
            AccountsError::Unauthenticated => texts::t("api-bearer-needed"),
            AccountsError::Internal(err) => {
                // Logged here, never shown: the body stays generic.
                tracing::error!(error = %format!("{err:#}"), code, "request failed");
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    texts::t("unavailable")
                } else {
                    texts::t("internal")
                }
            }
            e => texts::error(e),
        };
        Problem::new(status, code, detail)
    }
}

/// Whether an internal error means "the database cannot be reached right now" (503,
/// worth retrying) rather than a bug (500): no connection could be had or kept (pool
/// timeout, I/O, TLS, a connection cut while the server was answering), or the server
/// refused to serve (SQLSTATE classes 08 "connection exception" and 53 "insufficient
/// resources", and 57P "operator intervention": shutting down, cannot connect now).
pub fn is_unavailable(err: &anyhow::Error) -> bool {
    // anyhow downcasts through its own context layers; `chain` covers foreign sources.
    err.downcast_ref::<sqlx::Error>().is_some_and(unavailable)
        || err
            .chain()
            .filter_map(|cause| cause.downcast_ref::<sqlx::Error>())
            .any(unavailable)
}

fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        // A connection cut mid-answer reads as garbage ("unexpected response").
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("53") || code.starts_with("57P")
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_errors_mean_unavailable() {
        let e = AccountsError::from(sqlx::Error::PoolClosed);
        assert_eq!(Problem::from(e).status, 503);
        let e = AccountsError::from(sqlx::Error::Protocol("unexpected response".into()));
        assert_eq!(Problem::from(e).status, 503);
        let e = AccountsError::Internal(anyhow::anyhow!("a bug"));
        assert_eq!(Problem::from(e).status, 500);
        let e = AccountsError::from(sqlx::Error::RowNotFound);
        assert_eq!(Problem::from(e).status, 500);
    }
}
