//! The JSON API for the app under `/api/v1`, described by the OpenAPI document at
//! `/api/openapi.json` (generated from these handlers).

use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi, ToSchema};

use super::problem::Problem;
use super::texts;
use super::{AppState, ClientIp, locale};
use crate::accounts::{AccountsError, Client, NewSession, SessionKind};
use shared::{BodyRejected, RateLimited, Unauthenticated, Unavailable};

/// Routes under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", post(create_account))
        .route("/accounts/confirm", post(confirm_account))
        .route("/sessions", post(create_session))
        .route("/sessions/current", delete(delete_session))
        .route("/account", get(read_account))
        .route("/account/password", put(change_password))
        .route("/password-recovery", post(request_recovery))
        .route("/password-recovery/complete", post(complete_recovery))
}

/// `Json` whose rejection is a problem+json 400/415 instead of plain text.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => {
                let status = e.status();
                let code = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                    "unsupported_media_type"
                } else if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "payload_too_large"
                } else {
                    "invalid_body"
                };
                let status = if status.is_client_error() {
                    status
                } else {
                    StatusCode::BAD_REQUEST
                };
                let detail = super::locale::current()
                    .fmt("api-invalid-body", &[("reason", e.body_text().into())]);
                Err(Problem::new(status, code, detail))
            }
        }
    }
}

/// The bearer token of `Authorization: Bearer <token>` (the scheme in any case).
fn bearer(headers: &HeaderMap) -> Result<String, Problem> {
    use axum_extra::headers::HeaderMapExt as _;
    use axum_extra::headers::authorization::{Authorization, Bearer};
    headers
        .typed_get::<Authorization<Bearer>>()
        .map(|a| a.token().trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Problem::from(AccountsError::Unauthenticated))
}

/// `Debug` for request and response types that hold a password or a token: every
/// field's name, and `[REDACTED]` for the secret ones (logs never see them).
macro_rules! redacted_debug {
    ($ty:ident { $($field:ident),* } secret { $($secret:ident),* }) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    $(.field(stringify!($secret), &"[REDACTED]"))*
                    .finish()
            }
        }
    };
}

redacted_debug!(CreateAccount { email } secret { password });
redacted_debug!(ConfirmAccount {} secret { token });
redacted_debug!(CreateSession { email } secret { password });
redacted_debug!(SessionToken { token_type, expires_at } secret { token, device_token });
redacted_debug!(CompleteRecovery {} secret { token, new_password });
redacted_debug!(ChangePassword {} secret { current_password, new_password });

/// The header an app sends its device token in (see [`SessionToken::device_token`]).
pub const DEVICE_HEADER: &str = "x-device-token";

fn device_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// Body of `POST /accounts`.
#[derive(Deserialize, ToSchema)]
pub struct CreateAccount {
    /// Email address: name@domain, at most 254 characters.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Password: from `minLength` (the server's setting, 8 to 128; 12 by default) to 128
    /// characters after Unicode NFKC normalisation, not common or easy to guess, and
    /// without the email address or the product name in it (else 422).
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub password: String,
}

/// A neutral acknowledgement.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// What happens next.
    pub message: String,
}

/// Body of `POST /accounts/confirm`.
#[derive(Deserialize, ToSchema)]
pub struct ConfirmAccount {
    /// The token from the confirmation link: 43 base64url characters.
    #[schema(min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: String,
}

/// Body of `POST /sessions`.
#[derive(Deserialize, ToSchema)]
pub struct CreateSession {
    /// Email address: name@domain, at most 254 characters.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Password (no password is longer than 128 characters).
    #[schema(max_length = 128, format = Password)]
    pub password: String,
}

/// A session token to send as `Authorization: Bearer <token>`.
#[derive(Serialize, ToSchema)]
pub struct SessionToken {
    /// The bearer token: 43 base64url characters.
    #[schema(min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Expiry (RFC 3339).
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// This app's signed device token for the account. Keep it and send it back in the
    /// `X-Device-Token` header when logging in (and changing the password): the app then
    /// has its own failure budget, and failed log-ins from elsewhere never lock it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

impl From<NewSession> for SessionToken {
    fn from(s: NewSession) -> Self {
        Self {
            token: s.token.expose().to_owned(),
            token_type: "Bearer".into(),
            expires_at: rfc3339(s.expires_at),
            device_token: s.device_token,
        }
    }
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The logged-in account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    /// Account id.
    pub id: String,
    /// Email address.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Whether the address is confirmed.
    pub confirmed: bool,
    /// Creation time (RFC 3339).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Last password change (RFC 3339).
    #[schema(format = DateTime)]
    pub password_changed_at: String,
    /// The language its emails are written in (a language code, e.g. `de`).
    #[schema(example = "en")]
    pub language: String,
}

/// Body of `POST /password-recovery`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RequestRecovery {
    /// The address of the account. Any text is taken: one that is not an address, or
    /// not an account's, gets the same answer.
    pub email: String,
}

/// Body of `POST /password-recovery/complete`.
#[derive(Deserialize, ToSchema)]
pub struct CompleteRecovery {
    /// The token from the recovery link: 43 base64url characters.
    #[schema(min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: String,
    /// The new password, under the same policy as at sign-up (`CreateAccount.password`).
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub new_password: String,
}

/// Body of `PUT /account/password`.
#[derive(Deserialize, ToSchema)]
pub struct ChangePassword {
    /// The current password (no password is longer than 128 characters).
    #[schema(max_length = 128, format = Password)]
    pub current_password: String,
    /// The new password, under the same policy as at sign-up (`CreateAccount.password`).
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub new_password: String,
}

/// The answers that many operations share, each documented once here and named in the
/// operations' `responses(...)`. Types for the OpenAPI document only: handlers answer
/// with [`Problem`]. An operation that gives one of these statuses a meaning of its own
/// lists its own tuple after the shared type, which replaces the shared description.
#[allow(dead_code)]
mod shared {
    use utoipa::IntoResponses;

    use super::Problem;

    /// The JSON body was refused before the operation ran.
    #[derive(IntoResponses)]
    pub enum BodyRejected {
        /// The body is not JSON (`invalid_body`).
        #[response(status = 400, content_type = "application/problem+json")]
        Malformed(Problem),
        /// The body is larger than 64 KiB (`payload_too_large`).
        #[response(status = 413, content_type = "application/problem+json")]
        TooLarge(Problem),
        /// `Content-Type` is not `application/json` (`unsupported_media_type`).
        #[response(status = 415, content_type = "application/problem+json")]
        UnsupportedMediaType(Problem),
        /// JSON of the wrong shape: a missing field or a value of the wrong type
        /// (`invalid_body`).
        #[response(status = 422, content_type = "application/problem+json")]
        WrongShape(Problem),
    }

    /// No valid session token: send `Authorization: Bearer <token>` (`unauthenticated`).
    #[derive(IntoResponses)]
    #[response(status = 401, content_type = "application/problem+json")]
    pub struct Unauthenticated(Problem);

    /// Too many attempts from this client or on this account (`too_many_attempts`):
    /// refused without being tried until the limit's window has passed.
    #[derive(IntoResponses)]
    #[response(status = 429, content_type = "application/problem+json")]
    pub struct RateLimited(Problem);

    /// The database cannot be reached (`service_unavailable`) or the server is
    /// overloaded (`service_busy`): try again after `Retry-After` seconds.
    #[derive(IntoResponses)]
    #[response(
        status = 503,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))
    )]
    pub struct Unavailable(Problem);
}

/// Create an account. Always 202 with the same body: whether the address was already
/// registered is not revealed (its owner gets an email instead). The account's emails
/// are written in the language of `Accept-Language` (or the portal's default).
#[utoipa::path(post, path = "/api/v1/accounts", request_body = CreateAccount, tag = "accounts",
    responses(
        (status = 202, description = "A confirmation email is on its way", body = Accepted),
        BodyRejected,
        (status = 422, description = "Invalid email address (`invalid_email`), password refused by the policy (`password_too_short`, `password_too_common`, ...), or JSON of the wrong shape (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        RateLimited,
        Unavailable,
    ))]
pub async fn create_account(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<CreateAccount>,
) -> Result<Response, Problem> {
    state
        .accounts
        .sign_up(&body.email, &body.password, None, ip, locale::current())
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            message: texts::t("signup-sent"),
        }),
    )
        .into_response())
}

/// Confirm an account with the token from the confirmation email.
#[utoipa::path(post, path = "/api/v1/accounts/confirm", request_body = ConfirmAccount, tag = "accounts",
    responses(
        (status = 200, description = "Confirmed", body = Accepted),
        BodyRejected,
        (status = 400, description = "Invalid, used or expired token (`invalid_token`), or a body that is not JSON (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        RateLimited,
        Unavailable,
    ))]
pub async fn confirm_account(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<ConfirmAccount>,
) -> Result<Json<Accepted>, Problem> {
    state.accounts.confirm(&body.token, ip).await?;
    Ok(Json(Accepted {
        message: texts::t("account-confirmed"),
    }))
}

/// Log in: returns a bearer token.
#[utoipa::path(post, path = "/api/v1/sessions", request_body = CreateSession, tag = "sessions",
    params(("X-Device-Token" = Option<String>, Header, description = "The device_token this app got at an earlier log-in: its own failure budget, untouched by failed log-ins from elsewhere")),
    responses(
        (status = 201, description = "Logged in", body = SessionToken),
        BodyRejected,
        (status = 401, description = "Wrong email or password (also for an account whose address is not confirmed yet)", body = Problem, content_type = "application/problem+json"),
        RateLimited,
        Unavailable,
    ))]
pub async fn create_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateSession>,
) -> Result<Response, Problem> {
    let session = state
        .accounts
        .log_in(
            &body.email,
            &body.password,
            SessionKind::Api,
            Client {
                ip,
                device: device_header(&headers),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(SessionToken::from(session))).into_response())
}

/// Log out: ends the current session.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "sessions", security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        Unauthenticated,
        Unavailable,
    ))]
pub async fn delete_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Result<StatusCode, Problem> {
    let token = bearer(&headers)?;
    if state.accounts.session_account(&token).await?.is_none() {
        return Err(AccountsError::Unauthenticated.into());
    }
    state.accounts.log_out(&token, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Read the logged-in account.
#[utoipa::path(get, path = "/api/v1/account", tag = "account", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = Account),
        Unauthenticated,
        Unavailable,
    ))]
pub async fn read_account(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Account>, Problem> {
    let token = bearer(&headers)?;
    let a = state
        .accounts
        .session_account(&token)
        .await?
        .ok_or(AccountsError::Unauthenticated)?;
    Ok(Json(Account {
        id: a.id,
        email: a.email,
        confirmed: a.confirmed_at.is_some(),
        created_at: rfc3339(a.created_at),
        password_changed_at: rfc3339(a.password_changed_at),
        language: state
            .accounts
            .settings()
            .languages
            .of_account(a.language.as_deref())
            .code()
            .to_owned(),
    }))
}

/// Change the password (current + new). Every session ends; the answer holds a new
/// token for this client.
#[utoipa::path(put, path = "/api/v1/account/password", request_body = ChangePassword, tag = "account", security(("bearer" = [])),
    params(("X-Device-Token" = Option<String>, Header, description = "The device_token this app got at an earlier log-in: its own failure budget, untouched by failed log-ins from elsewhere")),
    responses(
        (status = 200, description = "Changed; a new session token", body = SessionToken),
        BodyRejected,
        Unauthenticated,
        (status = 403, description = "Current password incorrect (`current_password_incorrect`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "New password refused by the policy (`password_too_short`, `password_too_common`, ...), or JSON of the wrong shape (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        RateLimited,
        Unavailable,
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ChangePassword>,
) -> Result<Json<SessionToken>, Problem> {
    let token = bearer(&headers)?;
    let session = state
        .accounts
        .change_password(
            &token,
            &body.current_password,
            &body.new_password,
            None,
            SessionKind::Api,
            Client {
                ip,
                device: device_header(&headers),
            },
        )
        .await?;
    Ok(Json(session.into()))
}

/// Ask for a password recovery email. Always 202 with the same body, whatever the
/// address (also when rate-limited or when mail is down).
#[utoipa::path(post, path = "/api/v1/password-recovery", request_body = RequestRecovery, tag = "password recovery",
    responses(
        (status = 202, description = "Accepted (neutral)", body = Accepted),
        BodyRejected,
        Unavailable,
    ))]
pub async fn request_recovery(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RequestRecovery>,
) -> Result<Response, Problem> {
    match state.accounts.request_recovery(&body.email, ip).await {
        // A malformed address cannot match an account: same answer.
        Ok(()) | Err(AccountsError::InvalidEmail(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            message: texts::t("recovery-neutral"),
        }),
    )
        .into_response())
}

/// Set a new password with the token from the recovery email. Does not log in.
#[utoipa::path(post, path = "/api/v1/password-recovery/complete", request_body = CompleteRecovery, tag = "password recovery",
    responses(
        (status = 200, description = "Password changed; every session ended", body = Accepted),
        BodyRejected,
        (status = 400, description = "Invalid, used or expired token (`invalid_token`), or a body that is not JSON (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "New password refused by the policy (`password_too_short`, `password_too_common`, ...), or JSON of the wrong shape (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        RateLimited,
        Unavailable,
    ))]
pub async fn complete_recovery(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<CompleteRecovery>,
) -> Result<Json<Accepted>, Problem> {
    state
        .accounts
        .complete_recovery(&body.token, &body.new_password, None, ip)
        .await?;
    Ok(Json(Accepted {
        message: texts::t("success-sentence"),
    }))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI description of the API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Portal API", description = "Accounts, sessions, password recovery and password change for the app."),
    paths(create_account, confirm_account, create_session, delete_session, read_account, change_password, request_recovery, complete_recovery),
    components(schemas(Problem, Accepted, CreateAccount, ConfirmAccount, CreateSession, SessionToken, Account, RequestRecovery, CompleteRecovery, ChangePassword)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The new-password minimum that [`ApiDoc`] states: the server's default. The document
/// served by [`openapi_json`] states the server's own setting instead.
const DOCUMENTED_PASSWORD_MIN: usize = 12;

/// Sets the `minLength` of every new password (the properties documented with
/// [`DOCUMENTED_PASSWORD_MIN`]) to the minimum the server enforces.
struct PasswordMinimum(usize);

impl Modify for PasswordMinimum {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for schema in components.schemas.values_mut() {
            let RefOr::T(Schema::Object(object)) = schema else {
                continue;
            };
            for property in object.properties.values_mut() {
                if let RefOr::T(Schema::Object(p)) = property
                    && p.min_length == Some(DOCUMENTED_PASSWORD_MIN)
                {
                    p.min_length = Some(self.0);
                }
            }
        }
    }
}

/// `GET /api/openapi.json`, with this server's password minimum.
pub async fn openapi_json(State(state): State<AppState>) -> Response {
    let mut doc = ApiDoc::openapi();
    PasswordMinimum(state.accounts.policy().min_length()).modify(&mut doc);
    Json(doc).into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn min_length(doc: &Value, schema: &str, field: &str) -> Option<u64> {
        doc["components"]["schemas"][schema]["properties"][field]["minLength"].as_u64()
    }

    #[test]
    fn the_served_document_states_the_servers_password_minimum() {
        let mut doc = ApiDoc::openapi();
        PasswordMinimum(9).modify(&mut doc);
        let doc = serde_json::to_value(doc).unwrap();
        assert_eq!(min_length(&doc, "CreateAccount", "password"), Some(9));
        assert_eq!(min_length(&doc, "ChangePassword", "new_password"), Some(9));
        assert_eq!(
            min_length(&doc, "CompleteRecovery", "new_password"),
            Some(9)
        );
        // Passwords typed to log in or to confirm identity have no policy.
        assert_eq!(min_length(&doc, "CreateSession", "password"), None);
        assert_eq!(min_length(&doc, "ChangePassword", "current_password"), None);
    }

    #[test]
    fn every_operation_documents_the_answers_it_shares() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = &op["responses"];
                let mut expected = vec!["503"];
                if op.get("requestBody").is_some() {
                    expected.extend(["400", "413", "415", "422"]);
                }
                if op.get("security").is_some() {
                    expected.push("401");
                }
                for status in expected {
                    assert!(
                        responses[status]["content"]["application/problem+json"].is_object(),
                        "{method} {path}: {status} not documented"
                    );
                }
            }
        }
    }
}
