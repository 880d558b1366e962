//! Sign-up.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::*;
use crate::accounts::AccountsError;
use crate::web::{AppState, ClientIp, locale};

// ---------------------------------------------------------------- sign-up

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
    min_length: usize,
}

pub(super) async fn signup_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::new(&state, &headers, "signup-title", false);
    let page = SignupPage {
        chrome: ctx.chrome,
        email: String::new(),
        error: None,
        min_length: state.accounts.policy().min_length(),
    };
    render(StatusCode::OK, &page, ctx.set_cookies)
}

#[derive(Deserialize)]
pub(super) struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    confirm_password: Option<String>,
}

pub(super) async fn signup_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<SignupForm>,
) -> Response {
    match state
        .accounts
        .sign_up(
            &form.email,
            &form.password,
            form.confirm_password.as_deref(),
            ip,
            locale::current(),
        )
        .await
    {
        Ok(()) => Notice::new(
            StatusCode::OK,
            texts::t("signup-sent-heading"),
            texts::t("signup-sent"),
        )
        .link("/login", "back-to-login")
        .product(&state)
        .into_response(),
        Err(e @ (AccountsError::Internal(_) | AccountsError::Busy)) => internal(&state, &e),
        Err(AccountsError::TooManyAttempts) => too_many(&state),
        Err(e) => {
            let ctx = Ctx::new(&state, &headers, "signup-title", false);
            let page = SignupPage {
                chrome: ctx.chrome,
                email: form.email,
                error: Some(texts::error(&e)),
                min_length: state.accounts.policy().min_length(),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page, ctx.set_cookies)
        }
    }
}
