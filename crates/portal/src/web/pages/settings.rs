//! The account page, Settings, Security, and the password change.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::*;
use crate::accounts::{AccountsError, Client, SessionKind};
use crate::web::{AppState, ClientIp, cookies, locale};

// ---------------------------------------------------------------- account + settings

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    email: String,
    since: String,
}

pub(super) async fn account_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(account) = current_account(&state, &headers).await else {
        return see_other("/login", Vec::new());
    };
    let ctx = Ctx::new(&state, &headers, "account-title", true);
    let page = AccountPage {
        chrome: ctx.chrome,
        email: account.email,
        since: locale::current().date(account.created_at),
    };
    render(StatusCode::OK, &page, ctx.set_cookies)
}

/// Which part of Settings a page shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Overview,
    Security,
    Language,
}

/// A language the account's emails can be written in.
struct LanguageChoice {
    code: &'static str,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    section: Section,
    changed: String,
    languages: Vec<LanguageChoice>,
    saved: bool,
}

pub(super) async fn settings_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    settings(state, headers, Section::Overview, false).await
}

pub(super) async fn security_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    settings(state, headers, Section::Security, false).await
}

pub(super) async fn language_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    settings(state, headers, Section::Language, false).await
}

async fn settings(state: AppState, headers: HeaderMap, section: Section, saved: bool) -> Response {
    let Some(account) = current_account(&state, &headers).await else {
        return see_other("/login", Vec::new());
    };
    let title = match section {
        Section::Overview => "settings-title",
        Section::Security => "security-tab",
        Section::Language => "language-tab",
    };
    let ctx = Ctx::new(&state, &headers, title, true);
    let languages = &state.accounts.settings().languages;
    let emails_in = languages.of_account(account.language.as_deref());
    let page = SettingsPage {
        chrome: ctx.chrome,
        section,
        changed: locale::current().date(account.password_changed_at),
        languages: languages
            .enabled()
            .iter()
            .map(|l| LanguageChoice {
                code: l.code(),
                name: l.t("language-name"),
                selected: *l == emails_in,
            })
            .collect(),
        saved,
    };
    render(StatusCode::OK, &page, ctx.set_cookies)
}

#[derive(Deserialize)]
pub(super) struct LanguageForm {
    #[serde(default)]
    language: String,
}

/// Sets the language of the account's emails.
pub(super) async fn language_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LanguageForm>,
) -> Response {
    let Some(session) = cookies::get(&headers, cookies::SESSION) else {
        return see_other("/login", Vec::new());
    };
    let Some(lang) = state.accounts.settings().languages.get(&form.language) else {
        return settings(state, headers, Section::Language, false).await;
    };
    match state.accounts.set_language(&session, lang).await {
        Ok(()) => settings(state, headers, Section::Language, true).await,
        Err(AccountsError::Unauthenticated) => see_other("/login", Vec::new()),
        Err(e) => internal(&state, &e),
    }
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
    let ctx = Ctx::new(&state, &headers, "password-title", true);
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
                "password-changed-heading",
                true,
                Some(new_session.token.expose()),
            );
            let page = MessagePage {
                chrome: ctx.chrome,
                heading: texts::t("password-changed-heading"),
                text: texts::t("success-sentence"),
                is_error: false,
                link: Some(("/account".into(), texts::t("back-to-account"))),
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
            let ctx = Ctx::new(&state, &headers, "password-title", true);
            let page = ChangePage {
                chrome: ctx.chrome,
                email,
                error: Some(texts::error(&e)),
                min_length: state.accounts.policy().min_length(),
            };
            render(status, &page, ctx.set_cookies)
        }
    }
}
