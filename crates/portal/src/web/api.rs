//! The JSON API for the app under `/api/v1`, described by the OpenAPI document at
//! `/api/openapi.json` (generated from these handlers).

use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::problem::Problem;
use super::{AppState, ClientIp};
use crate::accounts::{AccountsError, NewSession, SessionKind};

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
                Err(Problem::new(status, code, e.body_text()))
            }
        }
    }
}

fn bearer(headers: &HeaderMap) -> Result<String, Problem> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
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
    /// Email address.
    pub email: String,
    /// Password (policy: length, not common, no context words).
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
    /// The token from the confirmation link.
    pub token: String,
}

/// Body of `POST /sessions`.
#[derive(Deserialize, ToSchema)]
pub struct CreateSession {
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// A session token to send as `Authorization: Bearer <token>`.
#[derive(Serialize, ToSchema)]
pub struct SessionToken {
    /// The bearer token.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Expiry (RFC 3339).
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
    pub email: String,
    /// Whether the address is confirmed.
    pub confirmed: bool,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last password change (RFC 3339).
    pub password_changed_at: String,
}

/// Body of `POST /password-recovery`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RequestRecovery {
    /// The address of the account.
    pub email: String,
}

/// Body of `POST /password-recovery/complete`.
#[derive(Deserialize, ToSchema)]
pub struct CompleteRecovery {
    /// The token from the recovery link.
    pub token: String,
    /// The new password.
    pub new_password: String,
}

/// Body of `PUT /account/password`.
#[derive(Deserialize, ToSchema)]
pub struct ChangePassword {
    /// The current password.
    pub current_password: String,
    /// The new password.
    pub new_password: String,
}

/// Create an account. Always 202 with the same body: whether the address was already
/// registered is not revealed (its owner gets an email instead).
#[utoipa::path(post, path = "/api/v1/accounts", request_body = CreateAccount, tag = "accounts",
    responses(
        (status = 202, description = "A confirmation email is on its way", body = Accepted),
        (status = 422, description = "Invalid email or password refused by the policy", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_account(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<CreateAccount>,
) -> Result<Response, Problem> {
    state
        .accounts
        .sign_up(&body.email, &body.password, None, ip)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            message: "We sent an email to the address you entered. Open the link in it to finish creating your account.".into(),
        }),
    )
        .into_response())
}

/// Confirm an account with the token from the confirmation email.
#[utoipa::path(post, path = "/api/v1/accounts/confirm", request_body = ConfirmAccount, tag = "accounts",
    responses(
        (status = 200, description = "Confirmed", body = Accepted),
        (status = 400, description = "Invalid, used or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many bad tokens", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_account(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<ConfirmAccount>,
) -> Result<Json<Accepted>, Problem> {
    state.accounts.confirm(&body.token, ip).await?;
    Ok(Json(Accepted {
        message: "Your account is confirmed. You can now log in.".into(),
    }))
}

/// Log in: returns a bearer token.
#[utoipa::path(post, path = "/api/v1/sessions", request_body = CreateSession, tag = "sessions",
    responses(
        (status = 201, description = "Logged in", body = SessionToken),
        (status = 401, description = "Wrong email or password (also for an account whose address is not confirmed yet)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
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
            device_header(&headers),
            ip,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(SessionToken::from(session))).into_response())
}

/// Log out: ends the current session.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "sessions", security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
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
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
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
    }))
}

/// Change the password (current + new). Every session ends; the answer holds a new
/// token for this client.
#[utoipa::path(put, path = "/api/v1/account/password", request_body = ChangePassword, tag = "account", security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed; a new session token", body = SessionToken),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Current password incorrect", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "New password refused by the policy", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
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
            device_header(&headers),
            ip,
        )
        .await?;
    Ok(Json(session.into()))
}

/// Ask for a password recovery email. Always 202 with the same body, whatever the
/// address (also when rate-limited or when mail is down).
#[utoipa::path(post, path = "/api/v1/password-recovery", request_body = RequestRecovery, tag = "password recovery",
    responses((status = 202, description = "Accepted (neutral)", body = Accepted)))]
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
            message: super::pages::NEUTRAL_SENTENCE.into(),
        }),
    )
        .into_response())
}

/// Set a new password with the token from the recovery email. Does not log in.
#[utoipa::path(post, path = "/api/v1/password-recovery/complete", request_body = CompleteRecovery, tag = "password recovery",
    responses(
        (status = 200, description = "Password changed; every session ended", body = Accepted),
        (status = 400, description = "Invalid, used or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "New password refused by the policy", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many bad tokens", body = Problem, content_type = "application/problem+json"),
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
        message: super::pages::SUCCESS_SENTENCE.into(),
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

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}
