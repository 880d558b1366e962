//! The HTML portal: the two documented journeys plus sign-up, log-in and log-out.
//! Visible texts and labels are part of the contract: they are the help article's words.

use askama::Template;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{AppState, ClientIp, cookies};
use crate::accounts::{AccountsError, Client, SessionKind};
use crate::store::AccountRow;

/// The sentence shown after a successful reset or change (the article's words).
pub const SUCCESS_SENTENCE: &str = "You can now log in using the new password you defined.";
/// The neutral sentence shown after a recovery request (the article's words).
pub const NEUTRAL_SENTENCE: &str = "If the email address you entered matches an existing account, a password recovery email will be sent to this email address.";

/// Routes of the HTML portal.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/login", get(login_page).post(login_submit))
        .route("/signup", get(signup_page).post(signup_submit))
        .route("/confirm", get(confirm_page).post(confirm_submit))
        .route("/forgot-password", get(forgot_page).post(forgot_submit))
        .route("/recover", get(recover_page).post(recover_submit))
        .route("/account", get(account_page))
        .route("/settings", get(settings_page))
        .route("/settings/security", get(security_page))
        .route(
            "/settings/security/password",
            get(change_page).post(change_submit),
        )
        .route("/logout", post(logout))
}

/// What the layout shows around every page.
struct Chrome {
    title: String,
    product: String,
    logged_in: bool,
    csrf: String,
}

/// A page being answered: its chrome plus the cookies to set.
struct Ctx {
    chrome: Chrome,
    set_cookies: Vec<HeaderValue>,
}

impl Ctx {
    fn new(state: &AppState, headers: &HeaderMap, title: &str, logged_in: bool) -> Self {
        Self::for_session(state, headers, title, logged_in, None)
    }

    /// Like [`Ctx::new`] for a response that sets a new session cookie: its forms must
    /// carry tokens for the session the next request will hold.
    fn for_session(
        state: &AppState,
        headers: &HeaderMap,
        title: &str,
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
            chrome: Chrome {
                title: title.to_owned(),
                product: state.product.to_string(),
                logged_in,
                csrf,
            },
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
                "Something went wrong on our side.",
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

/// A page with one message (and an optional link), outside any session.
pub fn message_response(
    status: StatusCode,
    heading: &str,
    text: &str,
    is_error: bool,
    link: Option<(&str, &str)>,
) -> Response {
    let page = MessagePage {
        chrome: Chrome {
            title: heading.to_owned(),
            product: String::new(),
            logged_in: false,
            csrf: String::new(),
        },
        heading: heading.to_owned(),
        text: text.to_owned(),
        is_error,
        link: link.map(|(h, l)| (h.to_owned(), l.to_owned())),
    };
    render(status, &page, Vec::new())
}

fn message(
    state: &AppState,
    status: StatusCode,
    heading: &str,
    text: &str,
    is_error: bool,
    link: Option<(&str, &str)>,
    set_cookies: Vec<HeaderValue>,
) -> Response {
    let page = MessagePage {
        chrome: Chrome {
            title: heading.to_owned(),
            product: state.product.to_string(),
            logged_in: false,
            csrf: String::new(),
        },
        heading: heading.to_owned(),
        text: text.to_owned(),
        is_error,
        link: link.map(|(h, l)| (h.to_owned(), l.to_owned())),
    };
    render(status, &page, set_cookies)
}

fn internal(state: &AppState, e: &AccountsError) -> Response {
    if matches!(e, AccountsError::Busy) {
        let mut res = message(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            &e.to_string(),
            true,
            Some(("/", "Go to the home page")),
            Vec::new(),
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return res;
    }
    tracing::error!(error = %e, "request failed");
    if let AccountsError::Internal(err) = e
        && super::problem::is_unavailable(err)
    {
        return message(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "The service is temporarily unavailable. Try again in a moment.",
            true,
            Some(("/", "Go to the home page")),
            Vec::new(),
        );
    }
    message(
        state,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Something went wrong on our side. Try again in a moment.",
        true,
        Some(("/", "Go to the home page")),
        Vec::new(),
    )
}

fn csrf_refused() -> Response {
    recovery_headers(message_response(
        StatusCode::FORBIDDEN,
        "Form expired",
        "This form has expired or did not come from this site. Go back, reload the page and try again.",
        true,
        Some(("/", "Go to the home page")),
    ))
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
            Err(e) => Err(message_response(
                StatusCode::BAD_REQUEST,
                "Incomplete form",
                &format!(
                    "The form could not be read ({}). Go back, reload the page and try again.",
                    e.body_text()
                ),
                true,
                Some(("/", "Go to the home page")),
            )),
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

async fn current_account(state: &AppState, headers: &HeaderMap) -> Option<AccountRow> {
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

// ---------------------------------------------------------------- landing + log-in

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage {
    chrome: Chrome,
}

async fn landing(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let logged_in = current_account(&state, &headers).await.is_some();
    let ctx = Ctx::new(&state, &headers, "Welcome", logged_in);
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

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if current_account(&state, &headers).await.is_some() {
        return see_other("/account", Vec::new());
    }
    let ctx = Ctx::new(&state, &headers, "Log in", false);
    let page = LoginPage {
        chrome: ctx.chrome,
        email: String::new(),
        error: None,
        notice: None,
    };
    render(StatusCode::OK, &page, ctx.set_cookies)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn login_submit(
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
            let status = match e {
                AccountsError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let ctx = Ctx::new(&state, &headers, "Log in", false);
            let page = LoginPage {
                chrome: ctx.chrome,
                email: form.email,
                error: Some(e.to_string()),
                notice: None,
            };
            render(status, &page, ctx.set_cookies)
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {}

async fn logout(
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

// ---------------------------------------------------------------- sign-up

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
    min_length: usize,
}

async fn signup_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::new(&state, &headers, "Create account", false);
    let page = SignupPage {
        chrome: ctx.chrome,
        email: String::new(),
        error: None,
        min_length: state.accounts.policy().min_length(),
    };
    render(StatusCode::OK, &page, ctx.set_cookies)
}

#[derive(Deserialize)]
struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    confirm_password: Option<String>,
}

async fn signup_submit(
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
        )
        .await
    {
        Ok(()) => message(
            &state,
            StatusCode::OK,
            "Check your email",
            "We sent an email to the address you entered. Open the link in it to finish creating your account.",
            false,
            Some(("/login", "Back to log in")),
            Vec::new(),
        ),
        Err(e @ (AccountsError::Internal(_) | AccountsError::Busy)) => internal(&state, &e),
        Err(AccountsError::TooManyAttempts) => too_many(&state),
        Err(e) => {
            let ctx = Ctx::new(&state, &headers, "Create account", false);
            let page = SignupPage {
                chrome: ctx.chrome,
                email: form.email,
                error: Some(e.to_string()),
                min_length: state.accounts.policy().min_length(),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page, ctx.set_cookies)
        }
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    token: String,
}

fn invalid_link(state: &AppState, retry: (&str, &str), set_cookies: Vec<HeaderValue>) -> Response {
    message(
        state,
        StatusCode::BAD_REQUEST,
        "Link invalid or expired",
        &AccountsError::InvalidToken.to_string(),
        true,
        Some(retry),
        set_cookies,
    )
}

fn too_many(state: &AppState) -> Response {
    message(
        state,
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        &AccountsError::TooManyAttempts.to_string(),
        true,
        Some(("/", "Go to the home page")),
        Vec::new(),
    )
}

/// Opening the confirmation link shows a button; only pressing it (a POST) uses the
/// token, so that mail scanners fetching the link change nothing.
async fn confirm_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    let res = match state.accounts.confirmation_is_valid(&token, ip).await {
        Ok(true) => {
            let ctx = Ctx::new(&state, &headers, "Confirm your account", false);
            render(
                StatusCode::OK,
                &ConfirmPage {
                    chrome: ctx.chrome,
                    token,
                },
                ctx.set_cookies,
            )
        }
        Ok(false) => invalid_link(&state, ("/signup", "Create account"), Vec::new()),
        Err(AccountsError::TooManyAttempts) => too_many(&state),
        Err(e) => internal(&state, &e),
    };
    recovery_headers(res)
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    token: String,
}

async fn confirm_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Response {
    let res = match state.accounts.confirm(&form.token, ip).await {
        Ok(()) => message(
            &state,
            StatusCode::OK,
            "Account confirmed",
            "Your account is confirmed. You can now log in.",
            false,
            Some(("/login", "Log in")),
            Vec::new(),
        ),
        Err(AccountsError::InvalidToken) => {
            invalid_link(&state, ("/signup", "Create account"), Vec::new())
        }
        Err(AccountsError::TooManyAttempts) => too_many(&state),
        Err(e) => internal(&state, &e),
    };
    recovery_headers(res)
}

// ---------------------------------------------------------------- forgot password

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
    sent: bool,
}

async fn forgot_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::new(&state, &headers, "Forgot your password?", false);
    let page = ForgotPage {
        chrome: ctx.chrome,
        email: String::new(),
        error: None,
        sent: false,
    };
    recovery_headers(render(StatusCode::OK, &page, ctx.set_cookies))
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Same status, body, headers and cookies for every well-formed address.
async fn forgot_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> Response {
    let ctx = Ctx::new(&state, &headers, "Forgot your password?", false);
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
                error: Some(e.to_string()),
                sent: false,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page, ctx.set_cookies)
        }
        Err(e) => internal(&state, &e),
    };
    recovery_headers(res)
}

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
async fn recover_page(
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
    let ctx = Ctx::new(state, headers, "Choose a new password", false);
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
    invalid_link(
        state,
        ("/forgot-password", "Ask for a new link"),
        set_cookies,
    )
}

#[derive(Deserialize)]
struct RecoverForm {
    #[serde(default)]
    new_password: String,
    confirm_password: Option<String>,
}

async fn recover_submit(
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
            message(
                &state,
                StatusCode::OK,
                "Password changed",
                SUCCESS_SENTENCE,
                false,
                Some(("/login", "Log in")),
                cookies,
            )
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
                Some(r.to_string()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(AccountsError::InvalidToken) => dead_recovery_link(&state, forget),
        Err(AccountsError::TooManyAttempts) => too_many(&state),
        Err(e) => internal(&state, &e),
    };
    recovery_headers(res)
}

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

async fn account_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
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

async fn settings_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    settings(state, headers, false).await
}

async fn security_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    settings(state, headers, true).await
}

async fn settings(state: AppState, headers: HeaderMap, security: bool) -> Response {
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

async fn change_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
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
struct ChangeForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    confirm_password: Option<String>,
}

async fn change_submit(
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
                "Password changed",
                true,
                Some(new_session.token.expose()),
            );
            let page = MessagePage {
                chrome: ctx.chrome,
                heading: "Password changed".into(),
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
            let status = match e {
                AccountsError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
                AccountsError::CurrentPasswordIncorrect => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
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
