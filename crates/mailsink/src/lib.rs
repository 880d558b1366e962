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

pub mod client;
pub mod model;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use model::{Address, Envelope, Message, MessageSummary, MessagesSummary};

/// How a sink is started.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// SMTP listen address (`127.0.0.1:0` picks a free port).
    pub smtp_addr: SocketAddr,
    /// HTTP (API + UI) listen address.
    pub http_addr: SocketAddr,
    /// Persist messages in this SQLite file; `None` keeps them in memory.
    pub db: Option<PathBuf>,
    /// Largest accepted message in bytes (SMTP answers 552 above it).
    pub max_message_bytes: usize,
    /// Retention: at most this many messages (oldest dropped first).
    pub max_messages: usize,
    /// Retention: at most this many bytes of raw messages in total.
    pub max_total_bytes: u64,
    /// Recipients accepted per message.
    pub max_recipients: usize,
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
        }
    }
}

/// Errors of [`SinkHandle::wait_for`] and of the client.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// No matching message arrived in time.
    #[error("no message matching {query:?} arrived within {timeout:?}")]
    Timeout { query: String, timeout: Duration },
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
        let _ = config;
        todo!("mailsink: start")
    }
}

/// A running sink.
pub struct SinkHandle {
    smtp_addr: SocketAddr,
    http_addr: SocketAddr,
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
    /// `http://ip:port` of the HTTP API and UI.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }
    /// Waits until a message matching `query` (the search syntax: `to:`, `from:`,
    /// `subject:`, quoted phrases, plain words) is stored, and returns the newest such
    /// message. Returns at once if one already exists.
    pub async fn wait_for(&self, query: &str, timeout: Duration) -> Result<Message, WaitError> {
        let _ = (query, timeout);
        todo!("mailsink: wait_for")
    }
    /// All stored messages matching `query` (empty query = all), newest first.
    pub async fn search(&self, query: &str) -> Result<Vec<Message>, WaitError> {
        let _ = query;
        todo!("mailsink: search")
    }
    /// Deletes every stored message.
    pub async fn clear(&self) {
        todo!("mailsink: clear")
    }
    /// Stops both servers; in-flight SMTP sessions are closed.
    pub async fn shutdown(self) {
        todo!("mailsink: shutdown")
    }
}
