//! `spawn_app()`: a portal on a random port with a fresh SQLite file in a temp dir, the
//! embedded sink in-process and a clock the test controls; `app.browser()` visits it like
//! a user (links by text, forms by label, cookies kept: [`htmlform`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use htmlform::{Browser, Page};
use mailsink::{Message, SinkHandle};
use portal::accounts::Accounts;
use portal::clock::ManualClock;
use portal::store::Store;
use portal::{Application, Config};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio_util::sync::CancellationToken;

/// How long tests wait for an email.
pub const MAIL_TIMEOUT: Duration = Duration::from_secs(10);

/// A password that passes the policy.
pub const STRONG: &str = "velvet-tundra-orbit-57";
/// Another one.
pub const STRONGER: &str = "Quartz lagoon marmalade 93";

pub struct TestApp {
    pub address: String,
    /// The operator listener (`/metrics`).
    pub admin_address: String,
    pub clock: ManualClock,
    pub sink: Arc<SinkHandle>,
    pub store: Store,
    pub accounts: Accounts,
    pub db_path: PathBuf,
    pub shutdown: CancellationToken,
    pub api: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], after `adjust` changed the configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("portal.db");
    let database_url = match std::env::var(POSTGRES_ENV) {
        // e.g. postgres://postgres@127.0.0.1:5432/postgres: each test gets a database of
        // its own on that server.
        Ok(server) => fresh_postgres_database(&server).await,
        Err(_) => format!("sqlite://{}", db_path.display()),
    };
    let mut config = Config::for_tests(database_url);
    adjust(&mut config);
    let clock = ManualClock::starting_now();
    let app = Application::build(config, Arc::new(clock.clone()))
        .await
        .expect("app builds");
    let address = format!("http://{}", app.local_addr());
    let admin_address = format!("http://{}", app.admin_addr());
    // With a relay configured there is no embedded sink; keep an idle one so the field
    // is always there.
    let sink = match app.shared_sink() {
        Some(s) => s,
        None => Arc::new(
            mailsink::MailSink::start(mailsink::SinkConfig::ephemeral())
                .await
                .unwrap(),
        ),
    };
    let store = app.store().clone();
    let accounts = app.accounts();
    let shutdown = app.shutdown_handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        admin_address,
        clock,
        sink,
        store,
        accounts,
        db_path,
        shutdown,
        api: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _dir: dir,
    }
}

pub use crate::common::POSTGRES_ENV;

/// Creates an empty database on the server of `admin_url` and returns its URL.
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    let admin = url::Url::parse(admin_url).unwrap();
    let name = crate::common::create_database(&admin, "portal_test").await;
    crate::common::database_url(&admin, &name).to_string()
}

impl TestApp {
    /// Whether this test runs on SQLite (the database is a file).
    pub fn on_sqlite(&self) -> bool {
        self.store.backend() == portal::store::Backend::Sqlite
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A confirmed account.
    pub async fn account(&self, email: &str, password: &str) {
        assert!(
            self.accounts.seed(email, password).await.unwrap(),
            "account {email} created"
        );
    }

    /// A browser on the portal, with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        self.browser_with(HeaderMap::new())
    }

    /// A browser whose `Accept-Language` is `accept_language`.
    pub fn browser_in(&self, accept_language: &str) -> Browser {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            accept_language.parse().unwrap(),
        );
        self.browser_with(headers)
    }

    fn browser_with(&self, headers: HeaderMap) -> Browser {
        Browser::with_headers(headers)
            .unwrap()
            .with_base(self.address.parse().unwrap())
    }

    /// The newest email to `to` whose subject has `subject_word`.
    pub async fn email(&self, to: &str, subject: &str) -> Message {
        crate::common::wait_email(&self.sink, to, subject, MAIL_TIMEOUT).await
    }

    pub async fn emails(&self, to: &str, subject: &str) -> Vec<Message> {
        crate::common::stored_emails(&self.sink, to, subject).await
    }

    /// The recovery link of the newest recovery email to `to`.
    pub async fn recovery_link(&self, to: &str) -> String {
        link_in(
            &self.email(to, "Password recovery").await,
            "/recover?token=",
        )
    }

    /// Asks for recovery through the API and returns the emailed link.
    pub async fn recovery_link_via_api(&self, email: &str) -> String {
        self.sink.clear().await;
        let r = self
            .post_json(
                "/api/v1/password-recovery",
                serde_json::json!({ "email": email }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        self.recovery_link(email).await
    }

    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.api
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn api_login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/sessions",
            serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }

    /// A bearer token for a confirmed account.
    pub async fn bearer(&self, email: &str, password: &str) -> String {
        let r = self.api_login(email, password).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: serde_json::Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_owned()
    }

    pub async fn get_account(&self, token: &str) -> reqwest::Response {
        self.api
            .get(self.url("/api/v1/account"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn complete_recovery(&self, token: &str, new_password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/password-recovery/complete",
            serde_json::json!({ "token": token, "new_password": new_password }),
        )
        .await
    }

    /// Waits (polling the database) until the worker handled every queued recovery
    /// request: for tests where no email is expected.
    pub async fn recovery_queue_drained(&self) {
        for _ in 0..500 {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_requests")
                .fetch_one(self.store.pool())
                .await
                .unwrap();
            if n == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("recovery requests were not processed");
    }
}

/// The first link in `msg` containing `needle`.
pub fn link_in(msg: &Message, needle: &str) -> String {
    msg.links
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no link with {needle} in {:?}", msg.links))
        .clone()
}

/// The `token` query parameter of a link.
pub fn token_of(link: &str) -> String {
    let url = url::Url::parse(link).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .into_owned()
}

/// Sends the "Update password" form of the settings page `form` with these three fields.
pub async fn update_password(
    browser: &Browser,
    form: &Page,
    current: &str,
    new: &str,
    confirm: &str,
) -> Page {
    browser
        .submit(
            form,
            "Update password",
            &[
                ("Current password", current),
                ("New password", new),
                ("Confirm new password", confirm),
            ],
        )
        .await
        .unwrap()
}

/// Logs in through the log-in form; the page the portal answered.
pub async fn log_in(browser: &Browser, email: &str, password: &str) -> Page {
    let login = browser.get("/login").await.unwrap();
    browser
        .submit(
            &login,
            "Log in",
            &[("Email", email), ("Password", password)],
        )
        .await
        .unwrap()
}

/// Status, headers (without `Date`) and body of an answer: what must not differ between
/// a known and an unknown address.
pub type Fingerprint = (StatusCode, Vec<(String, String)>, String);

/// The [`Fingerprint`] of a response.
pub async fn fingerprint(r: reqwest::Response) -> Fingerprint {
    let status = r.status();
    let mut headers: Vec<(String, String)> = r
        .headers()
        .iter()
        .filter(|(k, _)| k.as_str() != "date")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    headers.sort();
    (status, headers, r.text().await.unwrap())
}

/// The recovery form's answer for `email`, sent with the button `button` names on the
/// form page (its label depends on the page's language).
pub async fn forgot_answer_with(
    browser: &Browser,
    button: impl Fn(&Page) -> String,
    email: &str,
) -> Fingerprint {
    let page = browser.get("/forgot-password").await.unwrap();
    let mut form = page.form(&button(&page)).unwrap();
    form.fields.retain(|(n, _)| n != "email");
    form.fields.push(("email".into(), email.into()));
    fingerprint(
        browser
            .client()
            .post(form.url)
            .form(&form.fields)
            .send()
            .await
            .unwrap(),
    )
    .await
}
