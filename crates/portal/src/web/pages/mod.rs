//! The HTML portal: the two documented journeys plus sign-up, log-in and log-out.
//! Visible texts and labels are part of the contract: they are the help article's words.
//! One file per area: [`login`] (landing, log-in, log-out), [`signup`], [`confirm`],
//! [`forgot`] (the recovery request), [`recover`] (the emailed link and the new
//! password), [`settings`] (account, settings, password change). What they share
//! (layout, message pages, the CSRF extractor, cookies) is here.

mod confirm;
mod forgot;
mod login;
mod recover;
mod settings;
mod signup;

use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::locale::{SwitchLink, Tr};
use super::{AppState, cookies, problem, texts};
use crate::accounts::Account;
use crate::accounts::AccountsError;

/// Routes of the HTML portal.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(login::landing))
        .route("/login", get(login::login_page).post(login::login_submit))
        .route(
            "/signup",
            get(signup::signup_page).post(signup::signup_submit),
        )
        .route(
            "/confirm",
            get(confirm::confirm_page).post(confirm::confirm_submit),
        )
        .route(
            "/forgot-password",
            get(forgot::forgot_page).post(forgot::forgot_submit),
        )
        .route(
            "/recover",
            get(recover::recover_page).post(recover::recover_submit),
        )
        .route("/account", get(settings::account_page))
        .route("/settings", get(settings::settings_page))
        .route("/settings/security", get(settings::security_page))
        .route(
            "/settings/language",
            get(settings::language_page).post(settings::language_submit),
        )
        .route(
            "/settings/security/password",
            get(settings::change_page).post(settings::change_submit),
        )
        .route("/logout", post(login::logout))
}

/// What the layout shows around every page, and the page's texts in its language.
struct Chrome {
    title: String,
    product: String,
    logged_in: bool,
    csrf: String,
    tr: Tr,
    languages: Vec<SwitchLink>,
}

impl Chrome {
    fn new(title_id: &str, product: &str, logged_in: bool, csrf: String) -> Self {
        let tr = Tr::current(product);
        Self {
            title: tr.t(title_id),
            product: product.to_owned(),
            logged_in,
            csrf,
            tr,
            languages: super::locale::switch_links(),
        }
    }

    /// The page's language, for `<html lang>`.
    fn lang(&self) -> &'static str {
        self.tr.code()
    }

    /// Message `id` in the page's language.
    fn t(&self, id: &str) -> String {
        self.tr.t(id)
    }

    /// Message `id` with the variable `name`.
    fn with<'a>(
        &self,
        id: &str,
        name: &str,
        value: impl Into<fluent_bundle::FluentValue<'a>>,
    ) -> String {
        self.tr.with(id, name, value)
    }

    /// Message `id` as HTML with its link to `href` (use with `|safe`).
    fn link(&self, id: &str, href: &str) -> String {
        self.tr.link(id, href)
    }
}

/// A page being answered: its chrome plus the cookies to set.
struct Ctx {
    chrome: Chrome,
    set_cookies: Vec<HeaderValue>,
}

impl Ctx {
    /// The page titled with message `title_id`.
    fn new(state: &AppState, headers: &HeaderMap, title_id: &str, logged_in: bool) -> Self {
        Self::for_session(state, headers, title_id, logged_in, None)
    }

    /// Like [`Ctx::new`] for a response that sets a new session cookie: its forms must
    /// carry tokens for the session the next request will hold.
    fn for_session(
        state: &AppState,
        headers: &HeaderMap,
        title_id: &str,
        logged_in: bool,
        session: Option<&str>,
    ) -> Self {
        let (csrf, cookie) = cookies::csrf_token(
            headers,
            state.accounts.keys(),
            state.secure_cookies,
            session,
        );
        Self {
            chrome: Chrome::new(title_id, &state.product, logged_in, csrf),
            set_cookies: cookie.into_iter().collect(),
        }
    }
}

fn render(status: StatusCode, template: &impl Template, set_cookies: Vec<HeaderValue>) -> Response {
    match template.render() {
        Ok(html) => {
            let mut res = (status, axum::response::Html(html)).into_response();
            for c in set_cookies {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                texts::t("internal-short"),
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    text: String,
    is_error: bool,
    link: Option<(String, String)>,
}

/// A page with one message and a link onwards (by default to the home page), in the
/// request's language. Built, then answered:
/// `Notice::new(status, texts::t(heading), text).link(..).product(&state)`.
pub struct Notice {
    status: StatusCode,
    heading: String,
    text: String,
    link: (String, String),
    set_cookies: Vec<HeaderValue>,
    product: String,
}

impl Notice {
    /// A notice; shown as an error unless `status` is a success.
    pub fn new(status: StatusCode, heading: String, text: String) -> Self {
        Self {
            status,
            heading,
            text,
            link: ("/".to_owned(), texts::t("go-home")),
            set_cookies: Vec::new(),
            product: String::new(),
        }
    }

    /// Where to go from here: `href`, labelled with message `label_id`.
    pub fn link(mut self, href: &str, label_id: &str) -> Self {
        self.link = (href.to_owned(), texts::t(label_id));
        self
    }

    /// Cookies to set with the answer.
    pub fn cookies(mut self, set_cookies: Vec<HeaderValue>) -> Self {
        self.set_cookies = set_cookies;
        self
    }

    /// The product name in the page's header.
    pub fn product(mut self, state: &AppState) -> Self {
        self.product = state.product.to_string();
        self
    }
}

impl IntoResponse for Notice {
    fn into_response(self) -> Response {
        let mut chrome = Chrome::new("go-home", &self.product, false, String::new());
        chrome.title.clone_from(&self.heading);
        let page = MessagePage {
            chrome,
            heading: self.heading,
            text: self.text,
            is_error: !self.status.is_success(),
            link: Some(self.link),
        };
        let mut res = render(self.status, &page, self.set_cookies);
        // Overload and outages are short: tell clients when to come back (as the API's
        // problems do).
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        res
    }
}

fn internal(state: &AppState, e: &AccountsError) -> Response {
    if matches!(e, AccountsError::Busy) {
        return Notice::new(
            StatusCode::SERVICE_UNAVAILABLE,
            texts::t("unavailable-heading"),
            texts::error(e),
        )
        .product(state)
        .into_response();
    }
    tracing::error!(error = %e, "request failed");
    if let AccountsError::Internal(err) = e
        && super::problem::is_unavailable(err)
    {
        return Notice::new(
            StatusCode::SERVICE_UNAVAILABLE,
            texts::t("unavailable-heading"),
            texts::t("unavailable"),
        )
        .product(state)
        .into_response();
    }
    Notice::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        texts::t("internal-heading"),
        texts::t("internal"),
    )
    .product(state)
    .into_response()
}

fn csrf_refused() -> Response {
    recovery_headers(
        Notice::new(
            StatusCode::FORBIDDEN,
            texts::t("form-expired-heading"),
            texts::t("form-expired"),
        )
        .into_response(),
    )
}

/// Recovery pages: no referrer (the URL may have held a token), never cached.
fn recovery_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `Form` whose rejection is a readable 400 page instead of plain text.
pub struct HtmlForm<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for HtmlForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<T>::from_request(req, state).await {
            Ok(Form(v)) => Ok(HtmlForm(v)),
            Err(e) => Err(Notice::new(
                StatusCode::BAD_REQUEST,
                texts::t("form-unreadable-heading"),
                super::locale::current()
                    .fmt("form-unreadable", &[("reason", e.body_text().into())]),
            )
            .into_response()),
        }
    }
}

/// A form posted from one of our own pages: its `csrf_token` field must be the token of
/// this request's cookies ([`cookies::csrf_ok`]), or the request is refused (403) before
/// any handler runs. Every state-changing form handler takes its form through this.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let HtmlForm(with) = HtmlForm::<WithCsrf<T>>::from_request(req, state).await?;
        if cookies::csrf_ok(
            &headers,
            state.accounts.keys(),
            state.secure_cookies,
            &with.csrf_token,
        ) {
            Ok(CsrfForm(with.form))
        } else {
            Err(csrf_refused())
        }
    }
}

async fn current_account(state: &AppState, headers: &HeaderMap) -> Option<Account> {
    let session = cookies::get(headers, cookies::SESSION)?;
    match state.accounts.session_account(&session).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            None
        }
    }
}

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    cookies::set(
        cookies::SESSION,
        value,
        "/",
        Some(max_age),
        state.secure_cookies,
    )
}

/// The signed device cookie: long-lived, so that this browser keeps its own log-in
/// failure budget for the account.
fn device_cookie(state: &AppState, token: &str) -> HeaderValue {
    cookies::set(
        cookies::device_name(state.secure_cookies),
        token,
        "/",
        Some(cookies::DEVICE_MAX_AGE),
        state.secure_cookies,
    )
}

fn see_other(to: &str, set_cookies: Vec<HeaderValue>) -> Response {
    let mut res = Redirect::to(to).into_response();
    for c in set_cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// A used, expired or unknown link; `retry` is where to get a new one and the message
/// id of that link's label.
fn invalid_link(state: &AppState, retry: (&str, &str), set_cookies: Vec<HeaderValue>) -> Response {
    Notice::new(
        StatusCode::BAD_REQUEST,
        texts::t("link-invalid-heading"),
        texts::error(&AccountsError::InvalidToken),
    )
    .link(retry.0, retry.1)
    .cookies(set_cookies)
    .product(state)
    .into_response()
}

fn too_many(state: &AppState) -> Response {
    Notice::new(
        StatusCode::TOO_MANY_REQUESTS,
        texts::t("too-many-heading"),
        texts::error(&AccountsError::TooManyAttempts),
    )
    .product(state)
    .into_response()
}
