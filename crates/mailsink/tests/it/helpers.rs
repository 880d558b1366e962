//! Test helpers: a fresh sink per test, a raw SMTP client and a lettre transport.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mailsink::{MailSink, SinkConfig, SinkHandle};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Long enough for a slow CI machine, short enough to fail fast.
pub const WAIT: Duration = Duration::from_secs(10);

pub async fn spawn_sink() -> SinkHandle {
    spawn_sink_with(SinkConfig::ephemeral()).await
}

pub async fn spawn_sink_with(config: SinkConfig) -> SinkHandle {
    MailSink::start(config).await.expect("sink starts")
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/mail")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).expect("fixture exists")
}

pub fn lettre(addr: SocketAddr) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .timeout(Some(WAIT))
        .build()
}

pub async fn send_lettre(addr: SocketAddr, msg: lettre::Message) {
    lettre(addr).send(msg).await.expect("lettre sends");
}

/// An SMTP client that speaks the protocol line by line, for what lettre cannot do.
pub struct RawSmtp {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl RawSmtp {
    /// Connects and reads the greeting.
    pub async fn connect(addr: SocketAddr) -> Self {
        let mut c = Self::connect_raw(addr).await;
        let (code, _) = c.reply().await;
        assert_eq!(code, 220);
        c
    }

    /// Connects without reading anything.
    pub async fn connect_raw(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connects");
        let (r, w) = stream.into_split();
        Self {
            reader: BufReader::new(r),
            writer: w,
        }
    }

    /// One line as sent, or `None` once the server has closed the connection.
    pub async fn try_line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line).await {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line),
        }
    }

    /// Reads one (possibly multi-line) reply.
    pub async fn reply(&mut self) -> (u16, String) {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(WAIT, self.reader.read_line(&mut line))
                .await
                .expect("reply in time")
                .expect("reads");
            assert!(n > 0, "connection closed, got so far: {text:?}");
            text.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                let code = line[..3].parse().expect("reply code");
                return (code, text);
            }
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("writes");
    }

    /// Sends one command line and returns the reply.
    pub async fn cmd(&mut self, line: &str) -> (u16, String) {
        self.send_raw(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// Sends `cmd` and asserts the reply code.
    pub async fn expect(&mut self, line: &str, code: u16) -> String {
        let (got, text) = self.cmd(line).await;
        assert_eq!(got, code, "{line:?} answered {text:?}");
        text
    }

    /// A full transaction; returns the final reply to the data.
    pub async fn send_mail(&mut self, from: &str, to: &[&str], data: &[u8]) -> (u16, String) {
        self.expect(&format!("MAIL FROM:<{from}>"), 250).await;
        for rcpt in to {
            self.expect(&format!("RCPT TO:<{rcpt}>"), 250).await;
        }
        self.expect("DATA", 354).await;
        self.send_raw(&dot_stuff(data)).await;
        self.send_raw(b".\r\n").await;
        self.reply().await
    }
}

/// Prepares message bytes for DATA: CRLF line ends, leading dots doubled, final CRLF.
pub fn dot_stuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    let mut at_line_start = true;
    for (i, &b) in data.iter().enumerate() {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        if b == b'\n' && (i == 0 || data[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Connects, says EHLO and sends one message.
pub async fn send_raw_mail(addr: SocketAddr, from: &str, to: &[&str], data: &[u8]) -> u16 {
    let mut c = RawSmtp::connect(addr).await;
    c.expect("EHLO test.client", 250).await;
    let (code, _) = c.send_mail(from, to, data).await;
    c.expect("QUIT", 221).await;
    code
}

/// A small message with the given subject.
pub fn simple_message(to: &str, subject: &str, body: &str) -> Vec<u8> {
    format!("From: Sender <sender@example.com>\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}\r\n")
        .into_bytes()
}

/// The subjects of the messages `query` finds, newest first.
pub async fn subjects(sink: &mailsink::SinkHandle, query: &str) -> Vec<String> {
    let found = sink.search(query).await.expect("the search runs");
    found.into_iter().map(|m| m.subject).collect()
}

/// A relay (a second sink) and a sink that releases to it, to `@relay.test` only.
pub async fn relaying_pair() -> (SinkHandle, SinkHandle) {
    let relay = spawn_sink().await;
    let sink = spawn_sink_with(SinkConfig {
        relay: Some(format!("smtp://{}", relay.smtp_addr())),
        relay_allowed_recipients: Some(r"@relay\.test$".into()),
        ..SinkConfig::ephemeral()
    })
    .await;
    (relay, sink)
}
