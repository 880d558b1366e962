//! POP3 (RFC 1939, `--pop3 127.0.0.1:1110`, off by default): mail clients read the
//! captured messages as a mailbox.
//!
//! - Any user name and password log in, unless `--pop3-auth-file` names a file of
//!   `user:password` lines (Mailpit's format with plain-text passwords; `#` comments and
//!   blank lines ignored; a hashed htpasswd entry is refused at start).
//! - USER, PASS, STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT, CAPA, and STLS
//!   when the sink has a TLS certificate and key.
//! - A session sees the messages stored when it logged in, oldest first; the UIDL of a
//!   message is its ID, so it stays the same across sessions.
//! - DELE only marks: the messages go at QUIT (the UPDATE state), RSET unmarks them, and
//!   a dropped connection deletes nothing.
//! - Command lines are at most 512 bytes; a longer line, an unknown command or a bad
//!   argument gets `-ERR` with a reason; 20 errors close the session.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::query::Query;
use crate::smtp::{LineRead, read_line};
use crate::store::{Entry, Store};

/// Longest command line (RFC 2449 allows 255 octets; clients stay well below).
const MAX_LINE: usize = 512;
/// Concurrent sessions; more are answered `-ERR` and closed.
const MAX_SESSIONS: usize = 64;
/// RFC 1939's inactivity autologout timer is at least 10 minutes.
const IDLE: Duration = Duration::from_secs(600);
/// Errors after which a session is closed.
const MAX_ERRORS: usize = 20;
/// How htpasswd's hashed entries start.
const HASHED: [&str; 7] = ["$2a$", "$2b$", "$2y$", "$apr1$", "{SHA}", "{SSHA}", "$5$"];

/// What the POP3 server needs.
pub(crate) struct Pop3Context {
    pub store: Arc<Store>,
    /// `user -> password` from `--pop3-auth-file`; `None`: anyone logs in.
    pub users: Option<HashMap<String, String>>,
    /// Offered as STLS when the sink has a certificate.
    pub tls: Option<TlsAcceptor>,
}

/// Reads `--pop3-auth-file`: `user:password` per line.
pub(crate) fn read_auth_file(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("Failed to read the POP3 auth file {}", path.display()))?;
    parse_auth(&text).with_context(|| format!("In the POP3 auth file {}", path.display()))
}

fn parse_auth(text: &str) -> anyhow::Result<HashMap<String, String>> {
    let mut users = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (user, password) = line
            .split_once(':')
            .filter(|(u, _)| !u.is_empty())
            .ok_or_else(|| anyhow::anyhow!("line {} is not user:password", n + 1))?;
        // Mailpit reads htpasswd files; a hashed entry here would silently become a
        // literal password, so it is refused.
        if HASHED.iter().any(|h| password.starts_with(h)) {
            anyhow::bail!(
                "line {}: hashed passwords (bcrypt, MD5, SHA) are not supported; write it in plain text",
                n + 1
            );
        }
        users.insert(user.to_owned(), password.to_owned());
    }
    Ok(users)
}

/// Accepts connections until cancelled.
pub(crate) async fn serve(listener: TcpListener, ctx: Arc<Pop3Context>, cancel: CancellationToken) {
    crate::accept::accept_loop(
        "POP3",
        listener,
        cancel,
        MAX_SESSIONS,
        move |stream, _peer, cancel| {
            let ctx = ctx.clone();
            async move {
                tokio::select! {
                    () = cancel.cancelled() => Ok(()),
                    r = session(stream, &ctx) => r,
                }
            }
        },
        |mut stream, _peer| async move {
            let _ = stream.write_all(b"-ERR too many connections\r\n").await;
        },
    )
    .await;
}

/// Where a session is (RFC 1939's states; UPDATE is the QUIT of a transaction).
enum State {
    /// Before PASS; the user name given, if any.
    Authorization { user: Option<String> },
    /// Logged in: the mailbox as it was then, and which are marked deleted.
    Transaction {
        mailbox: Vec<Arc<Entry>>,
        deleted: Vec<bool>,
    },
}

/// How a run of commands ended.
enum Next {
    Close,
    StartTls,
}

struct Session<'a> {
    ctx: &'a Pop3Context,
    state: State,
    tls_active: bool,
    errors: usize,
}

async fn session(stream: TcpStream, ctx: &Pop3Context) -> io::Result<()> {
    let mut s = Session {
        ctx,
        state: State::Authorization { user: None },
        tls_active: false,
        errors: 0,
    };
    let mut io = BufReader::new(stream);
    io.write_all(b"+OK mailsink POP3 server ready\r\n").await?;
    io.flush().await?;
    if let Next::StartTls = s.run(&mut io).await?
        && let Some(tls) = &ctx.tls
    {
        // RFC 2595: the client waits for +OK before the handshake, so nothing is
        // buffered that would be lost here.
        let tls_stream = tls.accept(io.into_inner()).await?;
        s.tls_active = true;
        s.run(&mut BufReader::new(tls_stream)).await?;
    }
    Ok(())
}

impl Session<'_> {
    /// Answers commands until the client quits, the connection ends, or STLS.
    async fn run<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut BufReader<S>,
    ) -> io::Result<Next> {
        let mut line = Vec::with_capacity(128);
        loop {
            line.clear();
            let read = match tokio::time::timeout(IDLE, read_line(io, &mut line, MAX_LINE)).await {
                Ok(r) => r?,
                Err(_) => {
                    io.write_all(b"-ERR autologout: idle for too long\r\n")
                        .await?;
                    return Ok(Next::Close);
                }
            };
            let (reply, next) = match read {
                LineRead::Eof => return Ok(Next::Close),
                LineRead::TooLong => (err("line too long (at most 512 bytes)"), None),
                LineRead::Line => {
                    let text = String::from_utf8_lossy(&line);
                    self.command(text.trim_end_matches(['\r', '\n'])).await
                }
            };
            if reply.starts_with(b"-ERR") {
                self.errors += 1;
            }
            io.write_all(&reply).await?;
            io.flush().await?;
            if let Some(next) = next {
                return Ok(next);
            }
            if self.errors >= MAX_ERRORS {
                io.write_all(b"-ERR too many errors, closing\r\n").await?;
                return Ok(Next::Close);
            }
        }
    }

    /// One command: the reply, and whether the session ends or turns to TLS.
    async fn command(&mut self, line: &str) -> (Vec<u8>, Option<Next>) {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let verb = verb.to_ascii_uppercase();
        let arg = arg.trim();
        match (verb.as_str(), &mut self.state) {
            ("CAPA", _) => (self.capabilities(), None),
            ("NOOP", State::Transaction { .. }) => ok(""),
            ("QUIT", _) => (self.quit().await, Some(Next::Close)),
            ("STLS", State::Authorization { user: None }) => {
                if self.ctx.tls.is_some() && !self.tls_active {
                    (
                        b"+OK begin TLS negotiation\r\n".to_vec(),
                        Some(Next::StartTls),
                    )
                } else {
                    (err("STLS is not available"), None)
                }
            }
            ("USER", State::Authorization { user }) => {
                if arg.is_empty() {
                    (err("USER needs a name"), None)
                } else {
                    *user = Some(arg.to_owned());
                    ok("send PASS")
                }
            }
            ("PASS", State::Authorization { user }) => {
                let Some(name) = user.take() else {
                    return (err("USER first"), None);
                };
                if !self.allowed(&name, arg) {
                    return (err("[AUTH] invalid user name or password"), None);
                }
                let mut mailbox = self
                    .ctx
                    .store
                    .search(&Query::default(), 0, usize::MAX)
                    .entries;
                mailbox.reverse();
                let deleted = vec![false; mailbox.len()];
                let n = mailbox.len();
                self.state = State::Transaction { mailbox, deleted };
                ok(&format!("{n} messages"))
            }
            (
                "STAT" | "LIST" | "UIDL" | "RETR" | "TOP" | "DELE" | "RSET",
                State::Transaction { mailbox, deleted },
            ) => (
                transaction(&verb, arg, mailbox, deleted, &self.ctx.store).await,
                None,
            ),
            (
                "NOOP" | "STAT" | "LIST" | "UIDL" | "RETR" | "TOP" | "DELE" | "RSET",
                State::Authorization { .. },
            ) => (err("log in first (USER and PASS)"), None),
            ("USER" | "PASS", State::Transaction { .. }) => (err("already logged in"), None),
            ("STLS", _) => (err("STLS only before logging in"), None),
            _ => (err("unknown command"), None),
        }
    }

    fn allowed(&self, user: &str, password: &str) -> bool {
        match &self.ctx.users {
            None => true,
            Some(users) => users.get(user).is_some_and(|p| p == password),
        }
    }

    fn capabilities(&self) -> Vec<u8> {
        let mut out = String::from("+OK capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\n");
        if self.ctx.tls.is_some() && !self.tls_active {
            out.push_str("STLS\r\n");
        }
        out.push_str("IMPLEMENTATION mailsink\r\n.\r\n");
        out.into_bytes()
    }

    /// QUIT: in a transaction, the UPDATE state deletes what was marked.
    async fn quit(&mut self) -> Vec<u8> {
        let State::Transaction { mailbox, deleted } = &self.state else {
            return b"+OK bye\r\n".to_vec();
        };
        let ids: Vec<String> = mailbox
            .iter()
            .zip(deleted)
            .filter(|(_, d)| **d)
            .map(|(e, _)| e.id.to_string())
            .collect();
        if ids.is_empty() {
            return b"+OK bye\r\n".to_vec();
        }
        match self.ctx.store.delete(&ids).await {
            Ok(n) => format!("+OK bye, {n} messages deleted\r\n").into_bytes(),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "POP3 delete failed");
                err("some deleted messages were not removed")
            }
        }
    }
}

fn ok(text: &str) -> (Vec<u8>, Option<Next>) {
    (format!("+OK {text}\r\n").into_bytes(), None)
}

fn err(reason: &str) -> Vec<u8> {
    format!("-ERR {reason}\r\n").into_bytes()
}

/// The commands of the TRANSACTION state.
async fn transaction(
    verb: &str,
    arg: &str,
    mailbox: &[Arc<Entry>],
    deleted: &mut [bool],
    store: &Store,
) -> Vec<u8> {
    let mut args = arg.split_ascii_whitespace();
    let first = args.next();
    let live = |deleted: &[bool]| {
        mailbox
            .iter()
            .zip(deleted.to_vec())
            .enumerate()
            .filter(|(_, (_, d))| !*d)
            .map(|(i, (e, _))| (i + 1, e.clone()))
            .collect::<Vec<_>>()
    };
    let result = match verb {
        "STAT" => {
            let (n, size) = live(deleted)
                .iter()
                .fold((0, 0), |(n, s), (_, e)| (n + 1, s + e.size));
            Ok(format!("+OK {n} {size}\r\n").into_bytes())
        }
        "LIST" | "UIDL" => {
            let field = |e: &Entry| {
                if verb == "LIST" {
                    e.size.to_string()
                } else {
                    e.id.to_string()
                }
            };
            match first {
                Some(_) => pick(mailbox, deleted, first)
                    .map(|n| format!("+OK {n} {}\r\n", field(&mailbox[n - 1])).into_bytes()),
                None => {
                    let mut out = String::from("+OK listing follows\r\n");
                    for (n, e) in live(deleted) {
                        out.push_str(&format!("{n} {}\r\n", field(&e)));
                    }
                    out.push_str(".\r\n");
                    Ok(out.into_bytes())
                }
            }
        }
        "RETR" | "TOP" => match pick(mailbox, deleted, first) {
            Err(e) => Err(e),
            Ok(n) => {
                let e = &mailbox[n - 1];
                let lines = if verb == "TOP" {
                    match args.next().map(str::parse::<usize>) {
                        Some(Ok(k)) => Some(k),
                        _ => return err("TOP needs a message number and a line count"),
                    }
                } else {
                    None
                };
                match store.raw(e).await {
                    Ok(raw) => {
                        let mut out = format!("+OK {} octets\r\n", e.size).into_bytes();
                        multiline(&raw, lines, &mut out);
                        Ok(out)
                    }
                    Err(_) => Err(err("message is no longer stored")),
                }
            }
        },
        "DELE" => pick(mailbox, deleted, first).map(|n| {
            deleted[n - 1] = true;
            format!("+OK message {n} deleted\r\n").into_bytes()
        }),
        "RSET" => {
            deleted.iter_mut().for_each(|d| *d = false);
            Ok(b"+OK\r\n".to_vec())
        }
        _ => Err(err("unknown command")),
    };
    result.unwrap_or_else(|e| e)
}

/// The number of a message that is there and not marked deleted, or why not.
fn pick(mailbox: &[Arc<Entry>], deleted: &[bool], n: Option<&str>) -> Result<usize, Vec<u8>> {
    let n: usize = n
        .ok_or_else(|| err("a message number is needed"))?
        .parse()
        .map_err(|_| err("not a message number"))?;
    match n.checked_sub(1).filter(|i| *i < mailbox.len()) {
        Some(i) if !deleted[i] => Ok(n),
        Some(_) => Err(err("message is deleted")),
        None => Err(err("no such message")),
    }
}

/// A message as a multi-line response: CRLF line ends, lines starting with `.`
/// byte-stuffed, the final `.` line. With `body_lines`, only the headers and that many
/// lines of the body (TOP).
fn multiline(raw: &[u8], body_lines: Option<usize>, out: &mut Vec<u8>) {
    out.reserve(raw.len() + 64);
    let mut in_body = false;
    let mut body_left = body_lines.unwrap_or(usize::MAX);
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if in_body {
            if body_left == 0 {
                break;
            }
            body_left -= 1;
        }
        let content = line
            .strip_suffix(b"\n")
            .map_or(line, |l| l.strip_suffix(b"\r").unwrap_or(l));
        if content.is_empty() {
            in_body = true;
        }
        if content.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(content);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

/// Binds the POP3 listener.
pub(crate) async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("Failed to bind POP3 on {addr}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Envelope;
    use crate::store::Limits;

    #[test]
    fn multiline_stuffs_dots_and_ends_lines_with_crlf() {
        let mut out = Vec::new();
        multiline(b"A: 1\n\n.hidden\r\nlast", None, &mut out);
        assert_eq!(out, b"A: 1\r\n\r\n..hidden\r\nlast\r\n.\r\n");
    }

    #[test]
    fn top_keeps_the_headers_and_n_body_lines() {
        let raw = b"A: 1\r\nB: 2\r\n\r\none\r\n.two\r\nthree\r\n";
        let mut out = Vec::new();
        multiline(raw, Some(2), &mut out);
        assert_eq!(out, b"A: 1\r\nB: 2\r\n\r\none\r\n..two\r\n.\r\n");
        out.clear();
        multiline(raw, Some(0), &mut out);
        assert_eq!(out, b"A: 1\r\nB: 2\r\n\r\n.\r\n");
    }

    #[test]
    fn auth_files_are_user_colon_password_lines() {
        let users = parse_auth("# comment\n\nalice:s3cret:with:colons\nbob:\n").unwrap();
        assert_eq!(users["alice"], "s3cret:with:colons");
        assert_eq!(users["bob"], "");
        assert!(parse_auth("no colon here").is_err());
        assert!(parse_auth(":nobody").is_err());
        let hashed = parse_auth("alice:$2y$05$abcdefghijklmnopqrstuv").unwrap_err();
        assert!(format!("{hashed:#}").contains("plain text"), "{hashed:#}");
    }

    mod properties {
        use proptest::prelude::*;
        use proptest::test_runner::TestCaseError;

        use super::*;
        use crate::testing::{config, text};

        const COMMANDS: &[&str] = &[
            "USER a",
            "PASS b",
            "USER",
            "PASS",
            "STAT",
            "LIST",
            "LIST 1",
            "LIST 3",
            "UIDL",
            "UIDL 2",
            "RETR 1",
            "RETR 2",
            "RETR 0",
            "TOP 1 0",
            "TOP 2 1",
            "TOP 1",
            "TOP 1 x",
            "DELE 1",
            "DELE 2",
            "DELE 9",
            "RSET",
            "NOOP",
            "CAPA",
            "STLS",
            "QUIT",
            "list ",
            "retr -1",
            "RETR 99999999999999999999",
            "",
            " ",
            "é",
            ".",
            "x y z",
        ];

        /// Serves one session reading `input` to its end, over a store of two messages
        /// (one with a line starting with a dot).
        async fn serve_script(input: &[u8]) -> Vec<u8> {
            let limits = Limits {
                max_messages: 10,
                max_total_bytes: 0,
            };
            let store = Arc::new(Store::open(None, limits).await.unwrap());
            for body in [
                "Subject: one\r\n\r\nfirst\r\n",
                "Subject: two\r\n\r\n.dot\r\n",
            ] {
                let raw = axum::body::Bytes::from(body.as_bytes().to_vec());
                store.insert(Envelope::default(), raw, None).await.unwrap();
            }
            let ctx = Pop3Context {
                store,
                users: None,
                tls: None,
            };
            let mut session = Session {
                ctx: &ctx,
                state: State::Authorization { user: None },
                tls_active: false,
                errors: 0,
            };
            let mut out = Vec::new();
            let mut io = BufReader::new(tokio::io::join(input, &mut out));
            let _ = session.run(&mut io).await;
            drop(io);
            out
        }

        /// One status line per complete command line, in order; the multi-line answers
        /// (CAPA, LIST and UIDL without argument, RETR, TOP) end with a lone `.`.
        fn well_formed(input: &[u8], out: &[u8]) -> Result<(), TestCaseError> {
            let mut replies = out.split_inclusive(|&b| b == b'\n');
            let mut errors = 0;
            for line in input.split_inclusive(|&b| b == b'\n') {
                if !line.ends_with(b"\n") {
                    break; // cut off by the end of the input: never answered
                }
                let status = replies.next();
                prop_assert!(
                    status.is_some(),
                    "no answer to {:?}",
                    String::from_utf8_lossy(line)
                );
                let status = status.unwrap_or_default();
                let ok = status.starts_with(b"+OK");
                prop_assert!(
                    (ok || status.starts_with(b"-ERR ")) && status.ends_with(b"\r\n"),
                    "bad status {:?}",
                    String::from_utf8_lossy(status)
                );
                let text = String::from_utf8_lossy(line);
                let text = text.trim_end_matches(['\r', '\n']);
                let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
                let verb = verb.to_ascii_uppercase();
                let multi = line.len() <= MAX_LINE
                    && (verb == "CAPA"
                        || verb == "RETR"
                        || verb == "TOP"
                        || (matches!(verb.as_str(), "LIST" | "UIDL") && arg.trim().is_empty()));
                if ok && multi {
                    let ended = replies.by_ref().any(|l| l == b".\r\n");
                    prop_assert!(ended, "{verb} not ended");
                }
                if verb == "QUIT" && line.len() <= MAX_LINE {
                    return Ok(());
                }
                if !ok {
                    errors += 1;
                    if errors >= MAX_ERRORS {
                        prop_assert!(
                            replies
                                .next()
                                .is_some_and(|l| l.starts_with(b"-ERR too many"))
                        );
                        return Ok(());
                    }
                }
            }
            prop_assert!(replies.next().is_none(), "an answer to nothing");
            Ok(())
        }

        /// Lines of commands (after a log-in, or not), then any bytes.
        fn script() -> impl Strategy<Value = Vec<u8>> {
            let line = prop_oneof![
                6 => prop::sample::select(COMMANDS).prop_map(str::to_owned),
                1 => text(COMMANDS, 4),
                1 => (0usize..1500).prop_map(|n| "x".repeat(n)),
            ];
            (
                any::<bool>(),
                prop::collection::vec(line, 0..40),
                prop::collection::vec(any::<u8>(), 0..64),
            )
                .prop_map(|(login, lines, tail)| {
                    let mut out = if login {
                        "USER a\r\nPASS b\r\n".to_owned()
                    } else {
                        String::new()
                    };
                    for l in lines {
                        out.push_str(&l);
                        out.push_str("\r\n");
                    }
                    [out.into_bytes(), tail].concat()
                })
        }

        proptest! {
            #![proptest_config(config(256))]

            /// Whatever a client sends, the session answers each command line once, with
            /// `+OK` or `-ERR` and a reason, and ends its multi-line answers.
            #[test]
            fn any_client_input_gets_one_well_formed_answer_per_line(input in script()) {
                let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
                let out = rt.block_on(serve_script(&input));
                prop_assert!(out.is_empty() || out.ends_with(b"\r\n"));
                well_formed(&input, &out)?;
            }
        }
    }
}
