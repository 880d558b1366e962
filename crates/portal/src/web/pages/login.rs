//! The landing page, log-in and log-out.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::*;
use crate::accounts::{AccountsError, Client, SessionKind};
use crate::web::{AppState, ClientIp, cookies};

// ---------------------------------------------------------------- landing + log-in

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage {
    chrome: Chrome,
}

pub(super) async fn landing(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let logged_in = current_account(&state, &headers).await.is_some();
    let ctx = Ctx::new(&state, &headers, "welcome-title", logged_in);
    render(
        StatusCode::OK,
        &LandingPage { chrome: ctx.chrome },
        ctx.set_cookies,
    )
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
    notice: Option<String>,
}

pub(super) async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if current_account(&state, &headers).await.is_some() {
        return see_other("/account", Vec::new());
    }
    let ctx = Ctx::new(&state, &headers, "login-title", false);
    let page = LoginPage {
        chrome: ctx.chrome,
        email: String::new(),
        error: None,
        notice: None,
    };
    render(StatusCode::OK, &page, ctx.set_cookies)
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub(super) async fn login_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Response {
    let device = cookies::get(&headers, cookies::device_name(state.secure_cookies));
    match state
        .accounts
        .log_in(
            &form.email,
            &form.password,
            SessionKind::Web,
            Client {
                ip,
                device: device.as_deref(),
            },
        )
        .await
    {
        Ok(session) => {
            let age =
                i64::try_from(state.accounts.settings().session_ttl.as_secs()).unwrap_or(i64::MAX);
            let mut set = vec![session_cookie(&state, session.token.expose(), age)];
            if let Some(device) = &session.device_token {
                set.push(device_cookie(&state, device));
            }
            see_other("/account", set)
        }
        Err(e @ (AccountsError::Internal(_) | AccountsError::Busy)) => internal(&state, &e),
        Err(e) => {
            let (status, _) = problem::status_of(&e);
            let ctx = Ctx::new(&state, &headers, "login-title", false);
            let page = LoginPage {
                chrome: ctx.chrome,
                email: form.email,
                error: Some(texts::error(&e)),
                notice: None,
            };
            render(status, &page, ctx.set_cookies)
        }
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfOnly {}

pub(super) async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Response {
    if let Some(session) = cookies::get(&headers, cookies::SESSION)
        && let Err(e) = state.accounts.log_out(&session, ip).await
    {
        return internal(&state, &e);
    }
    see_other("/", vec![session_cookie(&state, "", 0)])
}
