//! The emailed recovery link and the new password.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::*;
use crate::accounts::AccountsError;
use crate::web::{AppState, ClientIp, cookies, locale};

// ---------------------------------------------------------------- recovery

#[derive(Template)]
#[template(path = "recover.html")]
struct RecoverPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
    min_length: usize,
}

fn recovery_cookie(state: &AppState, token: &str, max_age: i64) -> HeaderValue {
    cookies::set(
        cookies::RECOVERY,
        token,
        "/recover",
        Some(max_age),
        state.secure_cookies,
    )
}

/// `GET /recover?token=..` keeps the token in a short-lived HttpOnly cookie and
/// redirects to `/recover`, so the token leaves the address bar (and any Referer) at
/// once. Neither step uses the token.
pub(super) async fn recover_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    if let Some(token) = q.token.filter(|t| {
        !t.is_empty()
            && t.len() <= 256
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) {
        let age = i64::try_from(state.recovery_ttl.as_secs()).unwrap_or(1800);
        return recovery_headers(see_other(
            "/recover",
            vec![recovery_cookie(&state, &token, age)],
        ));
    }
    let forget = vec![recovery_cookie(&state, "", 0)];
    let Some(token) = cookies::get(&headers, cookies::RECOVERY) else {
        return recovery_headers(dead_recovery_link(&state, forget));
    };
    let res = match state.accounts.check_recovery_token(&token, ip).await {
        Ok(account) => recover_form(&state, &headers, account.email, None, StatusCode::OK),
        Err(AccountsError::InvalidToken) => dead_recovery_link(&state, forget),
        Err(AccountsError::TooManyAttempts) => too_many(&state),
        Err(e) => internal(&state, &e),
    };
    recovery_headers(res)
}

/// The "choose a new password" form, with the reason when the last try was refused.
fn recover_form(
    state: &AppState,
    headers: &HeaderMap,
    email: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let ctx = Ctx::new(state, headers, "recover-title", false);
    let page = RecoverPage {
        chrome: ctx.chrome,
        email,
        error,
        min_length: state.accounts.policy().min_length(),
    };
    render(status, &page, ctx.set_cookies)
}

/// A used, expired or unknown recovery link: offer a new one.
fn dead_recovery_link(state: &AppState, set_cookies: Vec<HeaderValue>) -> Response {
    invalid_link(state, ("/forgot-password", "ask-new-link"), set_cookies)
}

#[derive(Deserialize)]
pub(super) struct RecoverForm {
    #[serde(default)]
    new_password: String,
    confirm_password: Option<String>,
}

pub(super) async fn recover_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<RecoverForm>,
) -> Response {
    let forget = vec![recovery_cookie(&state, "", 0)];
    let Some(token) = cookies::get(&headers, cookies::RECOVERY) else {
        return recovery_headers(dead_recovery_link(&state, forget));
    };
    let res = match state
        .accounts
        .complete_recovery(
            &token,
            &form.new_password,
            form.confirm_password.as_deref(),
            ip,
        )
        .await
    {
        Ok(()) => {
            // Every session ended; no automatic log-in: drop this browser's session too.
            let mut cookies = forget;
            cookies.push(session_cookie(&state, "", 0));
            Notice::new(
                StatusCode::OK,
                texts::t("password-changed-heading"),
                texts::t("success-sentence"),
            )
            .link("/login", "login-link")
            .cookies(cookies)
            .product(&state)
            .into_response()
        }
        Err(AccountsError::Rejected(r)) => {
            let email = match state.accounts.check_recovery_token(&token, ip).await {
                Ok(a) => a.email,
                Err(_) => String::new(),
            };
            recover_form(
                &state,
                &headers,
                email,
                Some(texts::rejection(&r, locale::current())),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(AccountsError::InvalidToken) => dead_recovery_link(&state, forget),
        Err(AccountsError::TooManyAttempts) => too_many(&state),
        Err(e) => internal(&state, &e),
    };
    recovery_headers(res)
}
