//! A cluster for one test: a fresh PostgreSQL database on the server named by
//! `PORTAL_TEST_DATABASE_URL`, a mail sink behind a relay that can be cut, and real
//! `portal` processes (the binary under test), started, killed and restarted at will.
//!
//! Everything is torn down on drop, also when the test panics: processes are killed
//! (their output is printed if the test failed), relays stop, the database is dropped.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailsink::{MailSink, Message, SinkConfig, SinkHandle};
use portal::domain::{EmailAddress, Password, SecretToken};
use portal::hashing::PasswordHasher;
use portal::store::{self, Store};
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader, copy_bidirectional};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// The public URL every instance is given (the load balancer's, in production).
pub const PUBLIC_URL: &str = "http://portal.cluster.test";
/// How long a test waits for an email that should arrive.
pub const MAIL_TIMEOUT: Duration = Duration::from_secs(60);
/// A password that passes the policy.
pub const PASSWORD: &str = "velvet-tundra-orbit-57";
/// Another one.
pub const NEW_PASSWORD: &str = "Quartz lagoon marmalade 93";

// ---------------------------------------------------------------- database

/// A database of its own on the shared test server, dropped (`WITH (FORCE)`) on drop.
pub struct TestDatabase {
    admin_url: url::Url,
    name: String,
}

impl TestDatabase {
    /// Creates `portal_cluster_<random>` on the server of `PORTAL_TEST_DATABASE_URL`.
    pub async fn create() -> TestDatabase {
        let admin = std::env::var(crate::common::POSTGRES_ENV).unwrap_or_else(|_| {
            panic!(
                "PORTAL_TEST_DATABASE_URL is not set: the cluster tests need a running PostgreSQL \
                 server, e.g. PORTAL_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
                 (`cargo xtask ci` starts one and sets it)"
            )
        });
        let admin_url = url::Url::parse(&admin)
            .unwrap_or_else(|e| panic!("PORTAL_TEST_DATABASE_URL is not a URL ({e}): {admin}"));
        assert!(
            matches!(admin_url.scheme(), "postgres" | "postgresql"),
            "PORTAL_TEST_DATABASE_URL must be a postgres:// URL, got {admin}"
        );
        let name = crate::common::create_database(&admin_url, "portal_cluster").await;
        TestDatabase { admin_url, name }
    }

    /// URL of this database, straight to the server.
    pub fn url(&self) -> String {
        crate::common::database_url(&self.admin_url, &self.name).to_string()
    }

    /// URL of this database through `addr` (a relay) instead of the server's address.
    pub fn url_via(&self, addr: SocketAddr) -> String {
        let mut u = crate::common::database_url(&self.admin_url, &self.name);
        u.set_host(Some(&addr.ip().to_string()))
            .expect("relay host");
        u.set_port(Some(addr.port())).expect("relay port");
        u.to_string()
    }

    /// The server's TCP address (what a relay forwards to).
    pub async fn server_addr(&self) -> SocketAddr {
        let host = self
            .admin_url
            .host_str()
            .expect("PORTAL_TEST_DATABASE_URL names a host");
        let port = self.admin_url.port().unwrap_or(5432);
        tokio::net::lookup_host((host, port))
            .await
            .expect("resolve the PostgreSQL host")
            .next()
            .expect("an address for the PostgreSQL host")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs outside any async context we could await in: use a thread with a
        // runtime of its own. FORCE ends the connections of killed or lingering portals.
        let admin = self.admin_url.to_string();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                use sqlx::Connection as _;
                let mut conn = sqlx::AnyConnection::connect(&admin).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(done, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

// ---------------------------------------------------------------- relay

/// What a [`Relay`] does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayMode {
    /// Forward to the upstream.
    Forward,
    /// Cut every open connection and close new ones at once ("the server is down").
    Cut,
    /// Accept connections and never answer, and stop moving bytes on open ones, as in a
    /// network partition ("the server hangs"); held connections are closed when the mode
    /// changes.
    Stall,
}

/// A TCP relay on `127.0.0.1:0` that a test switches between forwarding, cutting and
/// stalling, without touching the server behind it.
pub struct Relay {
    addr: SocketAddr,
    mode: watch::Sender<RelayMode>,
    task: JoinHandle<()>,
}

impl Relay {
    /// Starts forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind relay");
        let addr = listener.local_addr().expect("relay address");
        let (mode, rx) = watch::channel(RelayMode::Forward);
        let task = tokio::spawn(relay_loop(listener, upstream, rx));
        Relay { addr, mode, task }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches the mode; leaving a mode ends the connections it held.
    pub fn set(&self, mode: RelayMode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.mode.send_replace(RelayMode::Cut);
        self.task.abort();
    }
}

async fn relay_loop(listener: TcpListener, upstream: SocketAddr, rx: watch::Receiver<RelayMode>) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        let mode = *rx.borrow();
        let mut rx = rx.clone();
        match mode {
            RelayMode::Cut => drop(inbound),
            RelayMode::Stall => {
                tokio::spawn(async move {
                    let _ = rx.wait_for(|m| *m != RelayMode::Stall).await;
                    drop(inbound);
                });
            }
            RelayMode::Forward => {
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = copy_bidirectional(&mut inbound, &mut outbound) => return,
                        _ = rx.wait_for(|m| *m != RelayMode::Forward) => {}
                    }
                    // Stalled: both ends stay open, nothing moves, until the next change.
                    if *rx.borrow() == RelayMode::Stall {
                        let _ = rx.wait_for(|m| *m != RelayMode::Stall).await;
                    }
                });
            }
        }
    }
}

// ---------------------------------------------------------------- portal process

/// A running `portal` process. Killed on drop; its output is printed if the test
/// failed.
pub struct Portal {
    /// Name in the printed output (`a`, `b`, ...).
    pub name: String,
    /// The bound HTTP address.
    pub addr: SocketAddr,
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
    /// The operator listener's address, from the banner's `Operators` line.
    admin: Arc<Mutex<Option<SocketAddr>>>,
    http: reqwest::Client,
}

impl Portal {
    /// Starts the binary with `env` (and no other `PORTAL_*` variable), learns its
    /// address from the start-up banner and waits until `/healthz` answers.
    pub async fn start(name: &str, env: &[(String, String)]) -> Portal {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portal"));
        for (key, _) in std::env::vars() {
            if key.starts_with("PORTAL_") {
                cmd.env_remove(key);
            }
        }
        cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "info,sqlx=warn,lettre=warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("start the portal binary");
        let output = Arc::new(Mutex::new(Vec::new()));
        let admin = Arc::new(Mutex::new(None));
        let (tx, rx) = oneshot::channel();
        let public_url_set = env.iter().any(|(k, _)| k == "PORTAL_PUBLIC_URL");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        tokio::spawn(collect(
            stdout,
            name.to_owned(),
            output.clone(),
            Some((tx, public_url_set)),
            Some(admin.clone()),
        ));
        tokio::spawn(collect(stderr, name.to_owned(), output.clone(), None, None));
        let http = client();
        let addr = match tokio::time::timeout(Duration::from_secs(60), rx).await {
            Ok(Ok(addr)) => addr,
            _ => {
                let _ = child.start_kill();
                // Let the collectors catch the last lines.
                tokio::time::sleep(Duration::from_millis(200)).await;
                panic!(
                    "portal {name} did not start:\n{}",
                    output.lock().expect("output").join("\n")
                );
            }
        };
        let portal = Portal {
            name: name.to_owned(),
            addr,
            child,
            output,
            admin,
            http,
        };
        portal.wait_until_healthy().await;
        portal
    }

    async fn wait_until_healthy(&self) {
        let started = Instant::now();
        loop {
            if let Ok(r) = self.http.get(self.url("/healthz")).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "portal {} never answered /healthz",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Kills the process with SIGKILL (no graceful shutdown) and waits for it.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("SIGKILL the portal");
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().expect("output").join("\n")
    }

    /// POSTs JSON to the API.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request to the portal")
    }

    /// GETs a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request to the portal")
    }

    /// GET `/api/v1/account` with a bearer token.
    pub async fn get_account(&self, bearer: &str) -> reqwest::Response {
        self.http
            .get(self.url("/api/v1/account"))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("request to the portal")
    }

    /// Asks for a recovery email through the API; asserts the neutral 202.
    pub async fn request_recovery(&self, email: &str) -> (StatusCode, String) {
        let r = self
            .post_json(
                "/api/v1/password-recovery",
                serde_json::json!({ "email": email }),
            )
            .await;
        (r.status(), r.text().await.expect("body"))
    }

    /// Completes a recovery through the API.
    pub async fn complete_recovery(&self, token: &str, new_password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/password-recovery/complete",
            serde_json::json!({ "token": token, "new_password": new_password }),
        )
        .await
    }

    /// Logs in through the API.
    pub async fn log_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/sessions",
            serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }

    /// A bearer token (asserts the log-in works).
    pub async fn bearer(&self, email: &str, password: &str) -> String {
        let r = self.log_in(email, password).await;
        assert_eq!(r.status(), StatusCode::CREATED, "log-in on {}", self.name);
        let v: serde_json::Value = r.json().await.expect("JSON");
        v["token"].as_str().expect("token").to_owned()
    }

    /// The sum of the samples of `name` in `/metrics` whose labels include `label`.
    pub async fn metric(&self, name: &str, label: Option<(&str, &str)>) -> f64 {
        let admin = self
            .admin
            .lock()
            .expect("admin address")
            .expect("the banner named the operator listener");
        let text = self
            .http
            .get(format!("http://{admin}/metrics"))
            .send()
            .await
            .expect("request to the operator listener")
            .text()
            .await
            .expect("metrics text");
        metric_sum(&text, name, label)
    }

    fn print_output(&self) {
        let lines = self.output.lock().map(|o| o.clone()).unwrap_or_default();
        let skip = lines.len().saturating_sub(300);
        eprintln!("----- output of portal {} -----", self.name);
        for l in &lines[skip..] {
            eprintln!("{l}");
        }
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.print_output();
        }
        let _ = self.child.start_kill();
    }
}

/// Reads a pipe line by line into `output`; on stdout, sends the bound address from the
/// banner (`Listening <addr>`, or the `Portal http://<addr>` line when no public URL is
/// configured).
async fn collect(
    pipe: impl AsyncRead + Unpin,
    name: String,
    output: Arc<Mutex<Vec<String>>>,
    mut banner: Option<(oneshot::Sender<SocketAddr>, bool)>,
    admin: Option<Arc<Mutex<Option<SocketAddr>>>>,
) {
    let mut lines = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(admin) = &admin
            && let Some(rest) = line.trim().strip_prefix("Operators")
            && let Some(addr) = rest
                .split_whitespace()
                .next()
                .and_then(|url| url.trim_start_matches("http://").split('/').next())
                .and_then(|a| a.parse::<SocketAddr>().ok())
            && let Ok(mut slot) = admin.lock()
        {
            *slot = Some(addr);
        }
        if let Some((_, public_url_set)) = &banner
            && let Some(addr) = banner_address(&line, *public_url_set)
            && let Some((tx, _)) = banner.take()
        {
            let _ = tx.send(addr);
        }
        if let Ok(mut o) = output.lock() {
            o.push(format!("[{name}] {line}"));
        }
    }
}

fn banner_address(line: &str, public_url_set: bool) -> Option<SocketAddr> {
    let line = line.trim();
    let rest = if let Some(rest) = line.strip_prefix("Listening") {
        rest
    } else if let Some(rest) = line.strip_prefix("Portal")
        && !public_url_set
    {
        rest
    } else {
        return None;
    };
    let rest = rest.trim();
    let rest = rest.strip_prefix("http://").unwrap_or(rest);
    rest.split_whitespace()
        .next()?
        .trim_end_matches('/')
        .parse()
        .ok()
}

/// Sums the samples of a Prometheus metric (optionally those with a label pair).
pub fn metric_sum(text: &str, name: &str, label: Option<(&str, &str)>) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|l| label.is_none_or(|(k, v)| l.contains(&format!("{k}=\"{v}\""))))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// An HTTP client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .build()
        .expect("HTTP client")
}

// ---------------------------------------------------------------- cluster

/// What a test wants of its cluster.
pub struct ClusterOptions {
    instances: usize,
    env: Vec<(String, String)>,
    database_relay: bool,
}

impl ClusterOptions {
    /// `n` portal instances.
    pub fn instances(mut self, n: usize) -> Self {
        self.instances = n;
        self
    }

    /// An extra `PORTAL_*` setting for every instance.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Portals reach PostgreSQL through a relay the test can cut.
    pub fn database_relay(mut self) -> Self {
        self.database_relay = true;
        self
    }

    /// Creates the database, the sink and its relay, and starts the instances.
    /// Creates the database, the sink and its relay, and starts the instances all at
    /// once on the empty database (they race to migrate it, as a rolling deploy would).
    pub async fn start(self) -> Cluster {
        let db = TestDatabase::create().await;
        let database_relay = if self.database_relay {
            Some(Relay::start(db.server_addr().await).await)
        } else {
            None
        };
        let sink = MailSink::start(SinkConfig {
            max_messages: 100_000,
            ..SinkConfig::ephemeral()
        })
        .await
        .expect("start the sink");
        let smtp = Relay::start(sink.smtp_addr()).await;
        let env = instance_env(&db, database_relay.as_ref(), &smtp, &self.env);
        let portals = futures::future::join_all((0..self.instances).map(|i| {
            let env = &env;
            async move { Portal::start(&instance_name(i), env).await }
        }))
        .await;
        let store = Store::connect(&db.url(), Some(5))
            .await
            .expect("connect to the test database");
        Cluster {
            portals,
            smtp,
            database_relay,
            sink,
            store,
            env: self.env,
            started: self.instances,
            db,
        }
    }
}

/// `a`, `b`, ... for the output.
fn instance_name(i: usize) -> String {
    ((b'a' + (i % 26) as u8) as char).to_string()
}

/// The environment of an instance: its database (through the relay if there is one),
/// the SMTP relay, the shared public URL, no demo accounts, plus the test's settings.
fn instance_env(
    db: &TestDatabase,
    database_relay: Option<&Relay>,
    smtp: &Relay,
    extra: &[(String, String)],
) -> Vec<(String, String)> {
    let database_url = match database_relay {
        Some(relay) => db.url_via(relay.addr()),
        None => db.url(),
    };
    let mut env: Vec<(String, String)> = vec![
        ("PORTAL_LISTEN".into(), "127.0.0.1:0".into()),
        ("PORTAL_ADMIN_LISTEN".into(), "127.0.0.1:0".into()),
        ("PORTAL_DATABASE_URL".into(), database_url),
        ("PORTAL_SMTP_URL".into(), format!("smtp://{}", smtp.addr())),
        ("PORTAL_DEMO_ACCOUNTS".into(), String::new()),
        // One public URL for all, as behind a load balancer: the base of every link.
        ("PORTAL_PUBLIC_URL".into(), PUBLIC_URL.into()),
    ];
    env.extend(extra.iter().cloned());
    env
}

/// Portals on one database and one sink. Fields drop in order: processes first, the
/// database last.
pub struct Cluster {
    /// The running instances (tests may take some out to kill them).
    pub portals: Vec<Portal>,
    /// The relay in front of the sink's SMTP port.
    pub smtp: Relay,
    /// The relay in front of PostgreSQL, if asked for.
    pub database_relay: Option<Relay>,
    /// The mail sink.
    pub sink: SinkHandle,
    /// Direct access to the database (not through the relay), for assertions.
    pub store: Store,
    env: Vec<(String, String)>,
    started: usize,
    db: TestDatabase,
}

impl Cluster {
    /// Options: one instance, default settings.
    pub fn options() -> ClusterOptions {
        ClusterOptions {
            instances: 1,
            env: Vec::new(),
            database_relay: false,
        }
    }

    /// Starts one more instance with the cluster's settings (not added to `portals`).
    pub async fn start_portal(&mut self) -> Portal {
        let name = instance_name(self.started);
        self.started += 1;
        let env = instance_env(
            &self.db,
            self.database_relay.as_ref(),
            &self.smtp,
            &self.env,
        );
        Portal::start(&name, &env).await
    }

    /// Instance `i`.
    pub fn portal(&self, i: usize) -> &Portal {
        &self.portals[i]
    }

    /// Creates confirmed accounts straight in the database, all with [`PASSWORD`]
    /// (hashed once: creating hundreds through sign-up would cost an Argon2 hash and a
    /// round trip through the sink each).
    pub async fn seed_accounts(&self, emails: &[String]) {
        let hasher = PasswordHasher::new(19456, 2, 1, 1, 1024)
            .await
            .expect("Argon2 hasher");
        let hash = hasher
            .hash(&Password::for_verification(PASSWORD))
            .await
            .expect("hash");
        let now = unix_now();
        let mut tx = self.store.begin().await.expect("begin");
        for email in emails {
            let parsed = EmailAddress::parse(email).expect("valid address");
            let created = store::insert_account(
                &mut *tx,
                store::NewAccount {
                    id: &store::new_id(),
                    email: parsed.as_str(),
                    email_lookup: &parsed.lookup_key(),
                    password_hash: hash.as_str(),
                    confirmed_at: Some(now),
                    language: None,
                },
                now,
            )
            .await
            .expect("insert account");
            assert!(created, "{email} is new");
        }
        tx.commit().await.expect("commit");
    }

    /// Waits for the email to `to` with `subject` (the sink's long poll).
    pub async fn email(&self, to: &str, subject: &str) -> Message {
        crate::common::wait_email(&self.sink, to, subject, MAIL_TIMEOUT).await
    }

    /// Every stored email to `to` with `subject`.
    pub async fn emails(&self, to: &str, subject: &str) -> Vec<Message> {
        crate::common::stored_emails(&self.sink, to, subject).await
    }

    /// One integer from the database (`SELECT COUNT(*) ...` and the like).
    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(self.store.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Waits (polling the database) until every queued recovery request was handled and
    /// every email left the outbox (sent or failed, none in flight).
    pub async fn outbox_settled(&self) {
        eventually(Duration::from_secs(60), "the outbox settles", || async {
            self.scalar("SELECT COUNT(*) FROM recovery_requests").await == 0
                && self
                    .scalar(
                        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
                    )
                    .await
                    == 0
        })
        .await;
    }

    /// Counts audit events by name.
    pub async fn audit_counts(&self) -> HashMap<String, i64> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT event, COUNT(*) FROM audit_events GROUP BY event")
                .fetch_all(self.store.pool())
                .await
                .expect("audit counts");
        rows.into_iter().collect()
    }
}

// ---------------------------------------------------------------- small helpers

/// Polls `check` (every 50 ms) until it holds; panics naming `what` after `timeout`.
/// For database and process state only: emails are waited for on the sink.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < timeout,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `token` parameter of the first link in `msg` containing `needle`.
pub fn token_in(msg: &Message, needle: &str) -> String {
    let link = msg
        .links
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no link with {needle} in {:?}", msg.links));
    let url = url::Url::parse(link).expect("link is a URL");
    url.query_pairs()
        .find(|(k, _)| k == "token")
        .expect("token parameter")
        .1
        .into_owned()
}

/// The stored hash of a token (what `account_tokens.token_hash` holds).
pub fn token_hash(token: &str) -> String {
    SecretToken::from_client(token).hash().as_str().to_owned()
}

/// Now, Unix seconds (wall clock: the processes under test run on it).
#[allow(clippy::disallowed_methods)]
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
