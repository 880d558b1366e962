//! The account page, Settings, Security, and the password change.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::*;
use crate::accounts::{AccountsError, Client, SessionKind};
use crate::web::{AppState, ClientIp, cookies};

// ---------------------------------------------------------------- account + settings

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    email: String,
    since: String,
}

fn date(unix: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_default()
}

pub(super) async fn account_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(account) = current_account(&state, &headers).await else {
        return see_other("/login", Vec::new());
    };
    let ctx = Ctx::new(&state, &headers, "Your account", true);
    let page = AccountPage {
        chrome: ctx.chrome,
        email: account.email,
        since: date(account.created_at),
    };
    render(StatusCode::OK, &page, ctx.set_cookies)
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    security: bool,
    changed: String,
}

pub(super) async fn settings_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    settings(state, headers, false).await
}

pub(super) async fn security_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    settings(state, headers, true).await
}

pub(super) async fn settings(state: AppState, headers: HeaderMap, security: bool) -> Response {
    let Some(account) = current_account(&state, &headers).await else {
        return see_other("/login", Vec::new());
    };
    let ctx = Ctx::new(
        &state,
        &headers,
        if security { "Security" } else { "Settings" },
        true,
    );
    let page = SettingsPage {
        chrome: ctx.chrome,
        security,
        changed: date(account.password_changed_at),
    };
    render(StatusCode::OK, &page, ctx.set_cookies)
}

#[derive(Template)]
#[template(path = "change_password.html")]
struct ChangePage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
    min_length: usize,
}

pub(super) async fn change_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(account) = current_account(&state, &headers).await else {
        return see_other("/login", Vec::new());
    };
    let ctx = Ctx::new(&state, &headers, "Password", true);
    let page = ChangePage {
        chrome: ctx.chrome,
        email: account.email,
        error: None,
        min_length: state.accounts.policy().min_length(),
    };
    render(StatusCode::OK, &page, ctx.set_cookies)
}

#[derive(Deserialize)]
pub(super) struct ChangeForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    confirm_password: Option<String>,
}

pub(super) async fn change_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> Response {
    let Some(session) = cookies::get(&headers, cookies::SESSION) else {
        return see_other("/login", Vec::new());
    };
    let device = cookies::get(&headers, cookies::device_name(state.secure_cookies));
    match state
        .accounts
        .change_password(
            &session,
            &form.current_password,
            &form.new_password,
            form.confirm_password.as_deref(),
            SessionKind::Web,
            Client {
                ip,
                device: device.as_deref(),
            },
        )
        .await
    {
        Ok(new_session) => {
            // The session id rotates: the old one was deleted with every other session.
            let age =
                i64::try_from(state.accounts.settings().session_ttl.as_secs()).unwrap_or(i64::MAX);
            let cookie = session_cookie(&state, new_session.token.expose(), age);
            let ctx = Ctx::for_session(
                &state,
                &headers,
                texts::PASSWORD_CHANGED_HEADING,
                true,
                Some(new_session.token.expose()),
            );
            let page = MessagePage {
                chrome: ctx.chrome,
                heading: texts::PASSWORD_CHANGED_HEADING.into(),
                text: SUCCESS_SENTENCE.into(),
                is_error: false,
                link: Some(("/account".into(), "Back to your account".into())),
            };
            let mut set = ctx.set_cookies;
            set.push(cookie);
            render(StatusCode::OK, &page, set)
        }
        Err(AccountsError::Unauthenticated) => see_other("/login", Vec::new()),
        Err(e @ (AccountsError::Internal(_) | AccountsError::Busy)) => internal(&state, &e),
        Err(e) => {
            let (status, _) = problem::status_of(&e);
            let email = current_account(&state, &headers)
                .await
                .map(|a| a.email)
                .unwrap_or_default();
            let ctx = Ctx::new(&state, &headers, "Password", true);
            let page = ChangePage {
                chrome: ctx.chrome,
                email,
                error: Some(e.to_string()),
                min_length: state.accounts.policy().min_length(),
            };
            render(status, &page, ctx.set_cookies)
        }
    }
}
