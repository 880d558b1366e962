//! `spawn_app()`: a portal on a random port with a fresh SQLite file in a temp dir, the
//! embedded sink in-process and a clock the test controls. Plus a small "browser" that
//! follows links by text and fills forms by label, like a user.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mailsink::{Message, SinkHandle};
use portal::accounts::Accounts;
use portal::clock::ManualClock;
use portal::store::Store;
use portal::{Application, Config};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use scraper::{Html, Selector};
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

    pub fn browser(&self) -> Browser {
        Browser::new(&self.address)
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

/// An HTTP client with a cookie jar that follows redirects.
pub struct Browser {
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: String,
}

/// A fetched page.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub url: String,
    pub headers: HeaderMap,
    pub html: String,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        Self {
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .build()
                .unwrap(),
            jar,
            base: base.to_owned(),
        }
    }

    /// The value of cookie `name` the browser would send to `path`.
    pub fn cookie(&self, name: &str, path: &str) -> Option<String> {
        use reqwest::cookie::CookieStore as _;
        let url = url::Url::parse(&self.absolute(path)).unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    fn absolute(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Page::from(self.client.get(self.absolute(path)).send().await.unwrap()).await
    }

    /// Follows the link whose text (or aria-label) is `text`.
    pub async fn click(&self, page: &Page, text: &str) -> Page {
        let href = page
            .link(text)
            .unwrap_or_else(|| panic!("no link {text:?} on {}:\n{}", page.url, page.html));
        self.get(&href).await
    }

    /// Fills fields by label and presses the button `button`.
    pub async fn submit(&self, page: &Page, button: &str, fill: &[(&str, &str)]) -> Page {
        let form = page
            .form(button)
            .unwrap_or_else(|| panic!("no button {button:?} on {}:\n{}", page.url, page.html));
        let mut fields = form.fields.clone();
        for (label, value) in fill {
            let name = form.labels.get(*label).unwrap_or_else(|| {
                panic!(
                    "no field labelled {label:?} in form {button:?}: {:?}",
                    form.labels
                )
            });
            fields.retain(|(n, _)| n != name);
            fields.push((name.clone(), (*value).to_owned()));
        }
        self.post_form(&form.action, &fields).await
    }

    pub async fn post_form(&self, action: &str, fields: &[(String, String)]) -> Page {
        Page::from(
            self.client
                .post(self.absolute(action))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Logs in through the log-in form.
    pub async fn log_in(&self, email: &str, password: &str) -> Page {
        let login = self.get("/login").await;
        self.submit(
            &login,
            "Log in",
            &[("Email", email), ("Password", password)],
        )
        .await
    }
}

/// A form found on a page.
#[derive(Debug, Clone)]
pub struct FormSpec {
    pub action: String,
    pub fields: Vec<(String, String)>,
    pub labels: HashMap<String, String>,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

impl Page {
    async fn from(r: reqwest::Response) -> Page {
        Page {
            status: r.status(),
            url: r.url().to_string(),
            headers: r.headers().clone(),
            html: r.text().await.unwrap(),
        }
    }

    fn doc(&self) -> Html {
        Html::parse_document(&self.html)
    }

    /// The visible text, whitespace collapsed.
    pub fn text(&self) -> String {
        let doc = self.doc();
        let body = doc
            .select(&sel("body"))
            .next()
            .map(|b| b.text().collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        body.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    pub fn says(&self, sentence: &str) -> bool {
        self.text().contains(sentence)
    }

    /// The text of the `role="alert"` element.
    pub fn alert(&self) -> Option<String> {
        let doc = self.doc();
        doc.select(&sel("[role=alert]"))
            .next()
            .map(|e| e.text().collect::<String>().trim().to_owned())
    }

    pub fn link(&self, text: &str) -> Option<String> {
        let doc = self.doc();
        doc.select(&sel("a"))
            .find(|a| {
                a.text().collect::<String>().trim() == text
                    || a.value().attr("aria-label") == Some(text)
            })
            .and_then(|a| a.value().attr("href").map(str::to_owned))
    }

    pub fn form(&self, button: &str) -> Option<FormSpec> {
        let doc = self.doc();
        for form in doc.select(&sel("form")) {
            let has = form
                .select(&sel("button"))
                .any(|b| b.text().collect::<String>().trim() == button);
            if !has {
                continue;
            }
            let action = form.value().attr("action").unwrap_or("").to_owned();
            let mut fields = Vec::new();
            let mut ids = HashMap::new();
            for input in form.select(&sel("input")) {
                let (Some(name), value) = (input.value().attr("name"), input.value().attr("value"))
                else {
                    continue;
                };
                fields.push((name.to_owned(), value.unwrap_or("").to_owned()));
                if let Some(id) = input.value().attr("id") {
                    ids.insert(id.to_owned(), name.to_owned());
                }
            }
            let labels = form
                .select(&sel("label"))
                .filter_map(|l| {
                    let target = l.value().attr("for")?;
                    Some((
                        l.text().collect::<String>().trim().to_owned(),
                        ids.get(target)?.clone(),
                    ))
                })
                .collect();
            return Some(FormSpec {
                action,
                fields,
                labels,
            });
        }
        None
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}
