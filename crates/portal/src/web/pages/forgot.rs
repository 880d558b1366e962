//! "Forgot your password?": the request, answered the same for every address.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::*;
use crate::accounts::AccountsError;
use crate::web::{AppState, ClientIp, locale};

// ---------------------------------------------------------------- forgot password

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
    sent: bool,
}

pub(super) async fn forgot_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::new(&state, &headers, "forgot-title", false);
    let page = ForgotPage {
        chrome: ctx.chrome,
        email: String::new(),
        error: None,
        sent: false,
    };
    recovery_headers(render(StatusCode::OK, &page, ctx.set_cookies))
}

#[derive(Deserialize)]
pub(super) struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Same status, body, headers and cookies for every well-formed address.
pub(super) async fn forgot_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> Response {
    let ctx = Ctx::new(&state, &headers, "forgot-title", false);
    let res = match state.accounts.request_recovery(&form.email, ip).await {
        Ok(()) => {
            let page = ForgotPage {
                chrome: ctx.chrome,
                email: String::new(),
                error: None,
                sent: true,
            };
            render(StatusCode::OK, &page, ctx.set_cookies)
        }
        Err(AccountsError::InvalidEmail(e)) => {
            let page = ForgotPage {
                chrome: ctx.chrome,
                email: form.email,
                error: Some(texts::email_error(&e, locale::current())),
                sent: false,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page, ctx.set_cookies)
        }
        Err(e) => internal(&state, &e),
    };
    recovery_headers(res)
}
