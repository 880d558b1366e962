//! `mailsink`: an embedded SMTP sink that captures every email it receives and serves
//! them over a Mailpit-compatible HTTP API (plus a long-poll `wait`, extracted links,
//! the SMTP envelope and live events), with a web UI.
//!
//! In tests, start one in-process on `127.0.0.1:0`:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let sink = mailsink::MailSink::start(mailsink::SinkConfig::ephemeral()).await?;
//! // ... send mail to sink.smtp_addr() ...
//! let msg = sink.wait_for("to:alice@example.com subject:recovery", std::time::Duration::from_secs(10)).await?;
//! println!("{}", msg.text);
//! # Ok(()) }
//! ```
//!
//! For a sink running elsewhere, use [`client::SinkClient`].

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod accept;
mod checks;
pub mod client;
mod clock;
mod codes;
mod faults;
mod host;
mod http;
mod info;
pub mod model;
mod parse;
mod pop3;
pub mod query;
mod release;
mod send;
mod sessions;
mod smtp;
mod store;
mod tags;
mod thumb;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use clock::{SinkClock, parse_max_age};
pub use model::{
    Address, Attachment, ChaosTrigger, ChaosTriggers, Envelope, FaultAction, FaultRule, FaultStage,
    Message, MessageSummary, MessagesSummary, NewFault, SmtpSession, SmtpSessions,
};
pub use query::{Query, QueryError};

use store::Store;

/// How a sink is started.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// SMTP listen address (`127.0.0.1:0` picks a free port).
    pub smtp_addr: SocketAddr,
    /// HTTP (API + UI) listen address.
    pub http_addr: SocketAddr,
    /// Persist messages in this SQLite file; `None` keeps them in memory.
    pub db: Option<PathBuf>,
    /// Largest accepted message in bytes (SMTP answers 552 above it). Capped at
    /// 4 GiB − 1 MiB: the MIME parser counts offsets in 32 bits.
    pub max_message_bytes: usize,
    /// Retention: at most this many messages (oldest dropped first; 0 = unlimited).
    pub max_messages: usize,
    /// Retention: at most this many bytes of raw messages in total (0 = unlimited).
    pub max_total_bytes: u64,
    /// Recipients accepted per message (more are answered 452).
    pub max_recipients: usize,
    /// PEM certificate chain for STARTTLS (with `tls_key`); `None`: no STARTTLS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for STARTTLS.
    pub tls_key: Option<PathBuf>,
    /// Host names the HTTP server answers to besides IP literals and `localhost` on its
    /// port (DNS rebinding protection; other `Host` headers get 403): `mail.example`
    /// (any port), `mail.example:8025` (that port), `.example.com` (and subdomains);
    /// `*` turns the check off.
    pub allowed_hosts: Vec<String>,
    /// Faults on demand (`/api/v1/faults`, Mailpit's `/api/v1/chaos`); `false`
    /// (`--no-faults`) answers both APIs 403 and never fails a session.
    pub faults: bool,
    /// Retention: messages older than this are dropped, at each arrival and each
    /// minute (`None`: no age limit).
    pub max_age: Option<Duration>,
    /// Mailpit's `POST /api/v1/send`; `false` (`--no-send-api`) answers it 403.
    pub send_api: bool,
    /// The clock messages are stamped with and aged by ([`SinkClock::manual`] in tests).
    pub clock: SinkClock,
    /// Release relay, `smtp://user:pass@host:port` (`smtps://` for TLS, `?tls=required`
    /// for STARTTLS); `None`: release answers 403.
    pub relay: Option<String>,
    /// Regex every released-to address must match (`None`: any).
    pub relay_allowed_recipients: Option<String>,
    /// POP3 listen address (`--pop3`); `None`: no POP3 server.
    pub pop3_addr: Option<SocketAddr>,
    /// `user:password` lines (`--pop3-auth-file`); `None`: any user and password.
    pub pop3_auth_file: Option<PathBuf>,
}

impl SinkConfig {
    /// Both listeners on `127.0.0.1:0`, in memory, default limits: for tests.
    pub fn ephemeral() -> Self {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            smtp_addr: any,
            http_addr: any,
            ..Self::default()
        }
    }
}

impl Default for SinkConfig {
    fn default() -> Self {
        Self {
            smtp_addr: SocketAddr::from(([127, 0, 0, 1], 1025)),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8025)),
            db: None,
            max_message_bytes: 25 * 1024 * 1024,
            max_messages: 1000,
            max_total_bytes: 512 * 1024 * 1024,
            max_recipients: 100,
            tls_cert: None,
            tls_key: None,
            allowed_hosts: Vec::new(),
            faults: true,
            max_age: None,
            send_api: true,
            clock: SinkClock::system(),
            relay: None,
            relay_allowed_recipients: None,
            pop3_addr: None,
            pop3_auth_file: None,
        }
    }
}

/// Largest `max_message_bytes` honoured: mail-parser keeps offsets in `u32`, and a
/// bigger message could make it cut its input at a wrong place.
const MESSAGE_BYTES_CAP: usize = (u32::MAX - (1 << 20)) as usize;

/// Errors of [`SinkHandle::wait_for`] and of the client.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// No matching message arrived in time.
    #[error("no message matching {query:?} arrived within {timeout:?}")]
    Timeout {
        /// The query waited for.
        query: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// The query could not be parsed.
    #[error("invalid query: {0}")]
    BadQuery(String),
    /// The sink could not be reached or answered unexpectedly.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Entry point: starts the SMTP and HTTP servers.
pub struct MailSink;

impl MailSink {
    /// Binds both listeners and starts serving in the background of the current tokio
    /// runtime. The sink runs until the handle is shut down or dropped.
    pub async fn start(config: SinkConfig) -> anyhow::Result<SinkHandle> {
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(smtp::tls_acceptor(cert, key)?),
            (None, None) => None,
            _ => anyhow::bail!("STARTTLS needs both a certificate and a key"),
        };
        let hosts = host::AllowedHosts::new(&config.allowed_hosts)?;
        let relay = config
            .relay
            .as_deref()
            .map(|url| release::Relay::new(url, config.relay_allowed_recipients.as_deref()))
            .transpose()?
            .map(Arc::new);
        let store = Arc::new(
            Store::open_with(
                config.db.as_deref(),
                store::Limits {
                    max_messages: config.max_messages,
                    max_total_bytes: config.max_total_bytes,
                },
                config.max_age,
                config.clock.clone(),
            )
            .await?,
        );
        let smtp_listener = TcpListener::bind(config.smtp_addr)
            .await
            .with_context(|| format!("Failed to bind SMTP on {}", config.smtp_addr))?;
        let http_listener = TcpListener::bind(config.http_addr)
            .await
            .with_context(|| format!("Failed to bind HTTP on {}", config.http_addr))?;
        let smtp_addr = smtp_listener.local_addr()?;
        let http_addr = http_listener.local_addr()?;
        let pop3 = match config.pop3_addr {
            Some(addr) => Some(pop3::bind(addr).await?),
            None => None,
        };
        let pop3_addr = pop3.as_ref().map(TcpListener::local_addr).transpose()?;
        let pop3_users = config
            .pop3_auth_file
            .as_deref()
            .map(pop3::read_auth_file)
            .transpose()?;
        let cancel = CancellationToken::new();
        let faults = Arc::new(faults::Faults::new(config.faults));
        let sessions = Arc::new(sessions::Sessions::new());

        let smtp_task = tokio::spawn(smtp::serve(
            smtp_listener,
            Arc::new(smtp::SmtpContext {
                store: store.clone(),
                max_message_bytes: config.max_message_bytes.min(MESSAGE_BYTES_CAP),
                max_recipients: config.max_recipients.max(1),
                tls: tls.clone(),
                faults: faults.clone(),
                sessions: sessions.clone(),
            }),
            cancel.clone(),
        ));
        let pop3_task = pop3.map(|listener| {
            let ctx = pop3::Pop3Context {
                store: store.clone(),
                users: pop3_users,
                tls,
            };
            tokio::spawn(pop3::serve(listener, Arc::new(ctx), cancel.clone()))
        });
        let app = http::router(http::AppState {
            store: store.clone(),
            cancel: cancel.clone(),
            hosts: Arc::new(hosts.on_port(http_addr.port())),
            faults,
            sessions,
            relay,
            runtime: Arc::new(info::Runtime {
                started: std::time::Instant::now(),
                database: config.db.clone(),
                send_api: config.send_api,
            }),
        });
        let prune_task = tokio::spawn(prune_aged(store.clone(), cancel.clone()));
        let http_cancel = cancel.clone();
        let http_task = tokio::spawn(async move {
            let served = axum::serve(http_listener, app)
                .with_graceful_shutdown(http_cancel.cancelled_owned())
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "HTTP server failed");
            }
        });
        tracing::info!(%smtp_addr, %http_addr, "mailsink started");
        Ok(SinkHandle {
            smtp_addr,
            http_addr,
            store,
            cancel,
            pop3_addr,
            tasks: [smtp_task, http_task, prune_task]
                .into_iter()
                .chain(pop3_task)
                .collect(),
        })
    }
}

/// How often messages past `max_age` are looked for between arrivals.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Drops messages past `max_age` each minute, until shutdown.
async fn prune_aged(store: Arc<Store>, cancel: CancellationToken) {
    let mut every = tokio::time::interval(PRUNE_EVERY);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = every.tick() => store.prune_aged().await,
        }
    }
}

/// A running sink. Dropping it stops the servers (without waiting for them).
pub struct SinkHandle {
    smtp_addr: SocketAddr,
    http_addr: SocketAddr,
    store: Arc<Store>,
    cancel: CancellationToken,
    pop3_addr: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for SinkHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkHandle")
            .field("smtp_addr", &self.smtp_addr)
            .field("http_addr", &self.http_addr)
            .finish_non_exhaustive()
    }
}

impl SinkHandle {
    /// Where SMTP clients connect.
    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp_addr
    }
    /// Where the HTTP API and UI are served.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }
    /// Where POP3 clients connect, when the sink serves POP3.
    pub fn pop3_addr(&self) -> Option<SocketAddr> {
        self.pop3_addr
    }
    /// `http://ip:port` of the HTTP API and UI.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }
    /// An HTTP client for this sink (the same calls a remote sink answers).
    pub fn client(&self) -> client::SinkClient {
        client::SinkClient::new(self.http_url())
    }
    /// Waits until a message matching `query` (the search syntax: `to:`, `from:`,
    /// `subject:`, quoted phrases, plain words) is stored, and returns the newest such
    /// message. Returns at once if one already exists.
    pub async fn wait_for(&self, query: &str, timeout: Duration) -> Result<Message, WaitError> {
        let q = Query::parse(query).map_err(|e| WaitError::BadQuery(e.to_string()))?;
        let entry = self
            .store
            .wait_for(&q, timeout)
            .await
            .ok_or_else(|| WaitError::Timeout {
                query: query.to_owned(),
                timeout,
            })?;
        Ok(self.store.message(&entry).await?)
    }
    /// All stored messages matching `query` (empty query = all), newest first.
    pub async fn search(&self, query: &str) -> Result<Vec<Message>, WaitError> {
        let q = Query::parse(query).map_err(|e| WaitError::BadQuery(e.to_string()))?;
        let page = self.store.search(&q, 0, usize::MAX);
        let mut out = Vec::with_capacity(page.entries.len());
        for e in &page.entries {
            out.push(self.store.message(e).await?);
        }
        Ok(out)
    }
    /// Drops the messages past `max_age` now, as the sweep does each minute.
    pub async fn prune_aged(&self) {
        self.store.prune_aged().await;
    }
    /// Deletes every stored message.
    pub async fn clear(&self) {
        if let Err(e) = self.store.clear().await {
            tracing::error!(error = %format!("{e:#}"), "failed to clear the sink");
        }
    }
    /// Stops both servers; in-flight SMTP sessions are closed. Both ports are free when
    /// this returns.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        for task in std::mem::take(&mut self.tasks) {
            let abort = task.abort_handle();
            // Graceful first; a connection that will not finish must not hold us.
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.store.close().await;
    }
}

impl Drop for SinkHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Shared by the property tests of the modules.
#[cfg(test)]
pub(crate) mod testing {
    use proptest::prelude::*;
    use proptest::test_runner::Config;

    /// `cases` cases (PROPTEST_CASES overrides it for a deeper run), and no regression
    /// files written next to the sources: a failure prints the shrunk input, which then
    /// becomes a plain test.
    pub(crate) fn config(cases: u32) -> Config {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases);
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        }
    }

    /// Strings made of `vocab` pieces (the tokens a parser reacts to) mixed with a few
    /// arbitrary characters, at most `max` pieces.
    pub(crate) fn text(vocab: &'static [&'static str], max: usize) -> BoxedStrategy<String> {
        prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(vocab).prop_map(str::to_owned),
                1 => prop::collection::vec(any::<char>(), 0..4).prop_map(String::from_iter),
            ],
            0..max,
        )
        .prop_map(|pieces| pieces.concat())
        .boxed()
    }

    /// Arbitrary strings, and strings built from `vocab`.
    pub(crate) fn hostile_text(
        vocab: &'static [&'static str],
        max: usize,
    ) -> BoxedStrategy<String> {
        prop_oneof![any::<String>(), text(vocab, max)].boxed()
    }
}
