//! The confirmation link: a page with a button, and the button.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::*;
use crate::accounts::AccountsError;
use crate::web::{AppState, ClientIp};

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    token: String,
}

/// Opening the confirmation link shows a button; only pressing it (a POST) uses the
/// token, so that mail scanners fetching the link change nothing.
pub(super) async fn confirm_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    let res = match state.accounts.confirmation_is_valid(&token, ip).await {
        Ok(true) => {
            let ctx = Ctx::new(&state, &headers, "confirm-title", false);
            render(
                StatusCode::OK,
                &ConfirmPage {
                    chrome: ctx.chrome,
                    token,
                },
                ctx.set_cookies,
            )
        }
        Ok(false) => invalid_link(&state, ("/signup", "create-account-link"), Vec::new()),
        Err(AccountsError::TooManyAttempts) => too_many(&state),
        Err(e) => internal(&state, &e),
    };
    recovery_headers(res)
}

#[derive(Deserialize)]
pub(super) struct ConfirmForm {
    #[serde(default)]
    token: String,
}

pub(super) async fn confirm_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Response {
    let res = match state.accounts.confirm(&form.token, ip).await {
        Ok(()) => Notice::new(
            StatusCode::OK,
            texts::t("account-confirmed-heading"),
            texts::t("account-confirmed"),
        )
        .link("/login", "login-link")
        .product(&state)
        .into_response(),
        Err(AccountsError::InvalidToken) => {
            invalid_link(&state, ("/signup", "create-account-link"), Vec::new())
        }
        Err(AccountsError::TooManyAttempts) => too_many(&state),
        Err(e) => internal(&state, &e),
    };
    recovery_headers(res)
}
