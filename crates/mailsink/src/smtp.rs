//! The SMTP side: one tokio task per connection, each driving a `mailin` session.
//!
//! `mailin` (the engine under mailin-embedded) decides the command sequence (HELO before
//! MAIL before RCPT before DATA, RSET, QUIT, 503 on bad order, 500 on syntax errors).
//! Around it, this module owns what mailin cannot do for a sink:
//! - reading lines with a length cap, with an idle timeout and pipelining (replies are
//!   flushed once the client's pending input is consumed);
//! - MAIL/RCPT paths: `MAIL FROM:<>`, ESMTP parameters (`SIZE=`, `SMTPUTF8`, ...) and
//!   quoted local parts, which mailin's parser refuses, are parsed here; mailin only sees
//!   a placeholder path so it can track the sequence;
//! - AUTH PLAIN/LOGIN with any credentials (mailin makes AUTH mandatory once enabled);
//! - the DATA body: dot-unstuffing, the size limit (552, reading on to the final dot so
//!   the session stays in sync), and storing before answering 250;
//! - STARTTLS (rustls) when a certificate is configured: the session restarts on the
//!   TLS stream with a fresh mailin session, as RFC 3207 requires;
//! - the recipient cap and the per-transaction envelope, reset at MAIL, RSET, HELO/EHLO
//!   and after each DATA, so nothing leaks into the next message on a reused connection.

use std::future::Future as _;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf,
};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::faults::{Applied, Chaos, Effect, Faults};
use crate::model::{Envelope, FaultStage};
use crate::sessions::{Session, Sessions, redact};
use crate::store::Store;

/// Longest command line accepted (RFC 5321 says 512; AUTH lines can be longer).
const MAX_COMMAND_LINE: usize = 4096;
/// A session idle this long is closed (it would otherwise hold a file descriptor
/// forever; it never blocks other sessions).
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Sessions served at once; more are answered 421.
const MAX_SESSIONS: usize = 1024;
/// Consecutive errors after which a client is disconnected.
const MAX_ERRORS: u32 = 20;
/// Our greeting name.
const HOSTNAME: &str = "mailsink";
/// A body buffer above this size is released after the message instead of reused.
const LARGE_BUFFER: usize = 4 * 1024 * 1024;

/// What the SMTP side needs.
pub(crate) struct SmtpContext {
    pub store: Arc<Store>,
    pub max_message_bytes: usize,
    pub max_recipients: usize,
    /// Offered as STARTTLS when set.
    pub tls: Option<TlsAcceptor>,
    /// Fault rules and chaos triggers, applied at their stage.
    pub faults: Arc<Faults>,
    /// Where each session is recorded.
    pub sessions: Arc<Sessions>,
}

/// mailin calls this for each step; every decision that matters is taken by [`Conn`],
/// so all defaults (accept) are right.
struct SequenceOnly;
impl Handler for SequenceOnly {}

/// Accepts connections until cancelled.
pub(crate) async fn serve(listener: TcpListener, ctx: Arc<SmtpContext>, cancel: CancellationToken) {
    // No AUTH mechanism is enabled in mailin: its AUTH makes authentication mandatory
    // (MAIL is refused before it); `Conn` answers AUTH itself.
    let builder = Arc::new(SessionBuilder::new(HOSTNAME));
    let busy_ctx = ctx.clone();
    crate::accept::accept_loop(
        "SMTP",
        listener,
        cancel,
        MAX_SESSIONS,
        move |stream, peer, cancel| {
            let (ctx, builder) = (ctx.clone(), builder.clone());
            async move {
                let serve = Serve {
                    builder: &builder,
                    ctx: &ctx,
                    cancel: &cancel,
                };
                session(stream, peer, &serve).await
            }
        },
        move |mut stream, peer| {
            let ctx = busy_ctx.clone();
            async move {
                const BUSY: &[u8] = b"421 4.7.0 Too many connections, try again later\r\n";
                let record = ctx.sessions.start(peer);
                record.server(BUSY);
                record.end("too many connections");
                let _ = stream.write_all(BUSY).await;
            }
        },
    )
    .await;
}

/// A stream whose reads fail with `TimedOut` after `limit` without any input. Its one
/// timer is re-armed only when it fires (to the last input plus `limit`), so a busy
/// session does not touch the runtime's timer wheel for each command.
struct Idle<S> {
    inner: S,
    timer: Pin<Box<tokio::time::Sleep>>,
    last_input: tokio::time::Instant,
    limit: Duration,
}

impl<S> Idle<S> {
    fn new(inner: S, limit: Duration) -> Self {
        let now = tokio::time::Instant::now();
        Self {
            inner,
            timer: Box::pin(tokio::time::sleep_until(now + limit)),
            last_input: now,
            limit,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Idle<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Poll::Ready(read) = Pin::new(&mut this.inner).poll_read(cx, buf) {
            this.last_input = tokio::time::Instant::now();
            return Poll::Ready(read);
        }
        while this.timer.as_mut().poll(cx).is_ready() {
            let deadline = this.last_input + this.limit;
            if tokio::time::Instant::now() >= deadline {
                return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
            }
            this.timer.as_mut().reset(deadline);
        }
        Poll::Pending
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Idle<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

pub(crate) enum LineRead {
    Line,
    TooLong,
    Eof,
}

/// Appends one line (through `\n`) to `buf`, at most `cap` bytes; a longer line is
/// consumed and dropped (`buf` is left as it was) so the session stays in sync.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<LineRead> {
    let start = buf.len();
    let mut too_long = false;
    loop {
        let available = r.fill_buf().await?;
        if available.is_empty() {
            buf.truncate(start);
            return Ok(LineRead::Eof);
        }
        let (take, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            if buf.len() - start + take <= cap {
                buf.extend_from_slice(&available[..take]);
            } else {
                too_long = true;
                buf.truncate(start);
            }
        }
        r.consume(take);
        if done {
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Line
            });
        }
    }
}

/// Per-transaction state, mirrored from mailin's accepted replies.
#[derive(Default)]
struct Transaction {
    /// mailin accepted a RCPT, even if a fault then refused it: mailin would now take
    /// DATA, so DATA without any recipient of ours is answered here.
    rcpt_seen: bool,
    from: String,
    to: Vec<String>,
}

impl Transaction {
    fn envelope(&self) -> Envelope {
        Envelope {
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

/// What lasts for the whole connection, across STARTTLS: its record and the faults
/// applied so far.
struct SessionState {
    record: Arc<Session>,
    /// Every reply from now on waits this long (a `delay` fault).
    delay: Option<Duration>,
    /// Delay rules already applied (each applies once per session).
    delays: Vec<String>,
}

impl SessionState {
    fn new(record: Arc<Session>) -> Self {
        Self {
            record,
            delay: None,
            delays: Vec::new(),
        }
    }

    /// Records an applied fault; `Some` is the step that replaces the normal reply (a
    /// delay only starts holding replies).
    fn apply(&mut self, applied: Applied) -> Option<Step> {
        self.record.fault(&applied.id);
        match applied.effect {
            Effect::Delay(d) => {
                self.delay = Some(d);
                self.delays.push(applied.id);
                None
            }
            Effect::Disconnect => Some(Step::Disconnect),
            // A 421 means "closing the channel": the connection goes, as it would.
            Effect::Reply { code: 421, text } => {
                Some(Step::Close(reply(421, &text), "closed with 421 by a fault"))
            }
            Effect::Reply { code, text } => Some(Step::Reply(reply(code, &text))),
        }
    }

    /// Holds a reply when a delay fault applies (shutdown cuts it short).
    async fn pause(&self, cancel: &CancellationToken) {
        if let Some(d) = self.delay {
            tokio::select! {
                () = tokio::time::sleep(d) => {}
                () = cancel.cancelled() => {}
            }
        }
    }
}

enum AuthStep {
    PlainResponse,
    LoginUser,
    LoginPassword,
}

enum Step {
    Reply(Vec<u8>),
    StartData(Vec<u8>),
    StartTls(Vec<u8>),
    /// Reply, then close (why, for the session record).
    Close(Vec<u8>, &'static str),
    /// Close without a reply (a `disconnect` fault).
    Disconnect,
}

struct Conn<'a> {
    session: mailin::Session<SequenceOnly>,
    txn: Transaction,
    auth: Option<AuthStep>,
    ctx: &'a SmtpContext,
    errors: u32,
    /// STARTTLS can be offered (configured, and not already under TLS).
    offer_tls: bool,
    state: &'a mut SessionState,
}

fn reply(code: u16, text: &str) -> Vec<u8> {
    format!("{code} {text}\r\n").into_bytes()
}

fn response_bytes(r: &Response) -> Vec<u8> {
    r.buffer()
        .unwrap_or_else(|_| reply(451, "4.3.0 Local error"))
}

/// Parses the path of `MAIL FROM:` / `RCPT TO:` (the text after the colon): `<addr>`,
/// `<>`, or a bare address, followed by ESMTP parameters.
fn parse_path(rest: &str) -> Option<(String, Vec<String>)> {
    let rest = rest.trim_start();
    let (addr, params) = if let Some(inner) = rest.strip_prefix('<') {
        // Find the closing bracket outside a quoted local part.
        let mut in_quotes = false;
        let mut end = None;
        for (i, c) in inner.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                '>' if !in_quotes => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end?;
        (&inner[..end], &inner[end + 1..])
    } else {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        (&rest[..end], &rest[end..])
    };
    // Drop an obsolete source route (`@a,@b:user@host`).
    let addr = match addr.strip_prefix('@') {
        Some(route) => route.split_once(':').map_or(addr, |(_, a)| a),
        None => addr,
    };
    let params = params.split_whitespace().map(str::to_owned).collect();
    Some((addr.to_owned(), params))
}

fn verb_of(line: &[u8]) -> String {
    let end = line
        .iter()
        .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .unwrap_or(line.len());
    String::from_utf8_lossy(&line[..end]).to_ascii_uppercase()
}

/// Text after the verb and `FROM:`/`TO:` (case-insensitive).
fn after_keyword<'l>(line: &'l str, keyword: &str) -> Option<&'l str> {
    let line = line.trim_end_matches(['\r', '\n']);
    let pos = line.to_ascii_uppercase().find(keyword)?;
    Some(&line[pos + keyword.len()..])
}

impl<'a> Conn<'a> {
    fn process(&mut self, line: &[u8]) -> Response {
        self.session.process(line)
    }

    /// The fault rule (then the chaos trigger) for this step, if one applies: `Some`
    /// replaces the normal reply.
    fn fault(
        &mut self,
        stage: FaultStage,
        envelope: impl FnOnce(&Transaction) -> Envelope,
        chaos: Option<Chaos>,
    ) -> Option<Step> {
        let faults = &self.ctx.faults;
        if !faults.armed() {
            return None;
        }
        let applied = faults
            .check(stage, &envelope(&self.txn), &self.state.delays)
            .or_else(|| chaos.and_then(|c| faults.chaos(c)))?;
        self.state.apply(applied)
    }

    fn ehlo_reply(&self, domain: &str) -> Vec<u8> {
        format!(
            "250-{HOSTNAME} greets {domain}\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-SIZE {}\r\n{}250 AUTH PLAIN LOGIN\r\n",
            self.ctx.max_message_bytes,
            if self.offer_tls { "250-STARTTLS\r\n" } else { "" },
        )
        .into_bytes()
    }

    fn command(&mut self, line: &[u8]) -> Step {
        if let Some(step) = self.auth.take() {
            return Step::Reply(self.auth_continue(step, line));
        }
        let verb = verb_of(line);
        let text = String::from_utf8_lossy(line);
        match verb.as_str() {
            "EHLO" | "HELO" => {
                let r = self.process(line);
                if r.code == 250 {
                    self.txn = Transaction::default();
                    let domain = text.split_whitespace().nth(1).unwrap_or("");
                    self.state.record.helo(domain);
                    if verb == "EHLO" {
                        return Step::Reply(self.ehlo_reply(domain));
                    }
                }
                Step::Reply(response_bytes(&r))
            }
            "AUTH" => self.auth_start(&text),
            "MAIL" => {
                let Some((from, params)) = after_keyword(&text, "FROM:").and_then(parse_path)
                else {
                    return Step::Reply(reply(501, "5.5.4 Syntax: MAIL FROM:<address>"));
                };
                let declared = params.iter().find_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    k.eq_ignore_ascii_case("SIZE")
                        .then(|| v.parse::<u64>().ok())
                        .flatten()
                });
                if declared.is_some_and(|n| n > self.ctx.max_message_bytes as u64) {
                    return Step::Reply(reply(552, "5.3.4 Message size exceeds fixed limit"));
                }
                let r = self.process(b"MAIL FROM:<sender@mailsink.invalid>\r\n");
                if r.code == 250 {
                    let envelope = |_: &Transaction| Envelope {
                        from: from.clone(),
                        to: Vec::new(),
                    };
                    if let Some(step) = self.fault(FaultStage::Mail, envelope, Some(Chaos::Sender))
                    {
                        // The refused MAIL never happened, for mailin either.
                        let _ = self.process(b"RSET\r\n");
                        self.txn = Transaction::default();
                        return step;
                    }
                    // A new transaction starts from nothing.
                    self.txn = Transaction {
                        from,
                        ..Transaction::default()
                    };
                }
                Step::Reply(response_bytes(&r))
            }
            "RCPT" => {
                let Some((to, _)) = after_keyword(&text, "TO:").and_then(parse_path) else {
                    return Step::Reply(reply(501, "5.5.4 Syntax: RCPT TO:<address>"));
                };
                if to.is_empty() {
                    return Step::Reply(reply(501, "5.1.3 Empty recipient"));
                }
                if self.txn.to.len() >= self.ctx.max_recipients {
                    return Step::Reply(reply(452, "4.5.3 Too many recipients"));
                }
                let r = self.process(b"RCPT TO:<recipient@mailsink.invalid>\r\n");
                if r.code == 250 {
                    self.txn.rcpt_seen = true;
                    let envelope = |txn: &Transaction| Envelope {
                        from: txn.from.clone(),
                        to: vec![to.clone()],
                    };
                    if let Some(step) =
                        self.fault(FaultStage::Rcpt, envelope, Some(Chaos::Recipient))
                    {
                        return step;
                    }
                    self.txn.to.push(to);
                }
                Step::Reply(response_bytes(&r))
            }
            "DATA" => {
                if self.txn.rcpt_seen && self.txn.to.is_empty() {
                    // Every recipient was refused (by a fault): nothing to deliver to.
                    return Step::Reply(reply(554, "5.5.1 No valid recipients"));
                }
                if !self.txn.to.is_empty()
                    && let Some(step) = self.fault(FaultStage::Data, Transaction::envelope, None)
                {
                    return step;
                }
                let r = self.process(b"DATA\r\n");
                if r.code == 354 {
                    Step::StartData(response_bytes(&r))
                } else {
                    Step::Reply(response_bytes(&r))
                }
            }
            "RSET" => {
                let r = self.process(b"RSET\r\n");
                if r.code == 250 {
                    self.txn = Transaction::default();
                }
                Step::Reply(response_bytes(&r))
            }
            "STARTTLS" if self.offer_tls => {
                if !line.eq_ignore_ascii_case(b"STARTTLS\r\n") {
                    return Step::Reply(reply(501, "5.5.4 Syntax: STARTTLS"));
                }
                Step::StartTls(reply(220, "2.0.0 Ready to start TLS"))
            }
            "STARTTLS" => Step::Reply(reply(502, "5.5.1 STARTTLS not available")),
            "BDAT" => Step::Reply(reply(502, "5.5.1 BDAT not supported")),
            "HELP" => Step::Reply(reply(214, "2.0.0 mailsink accepts all mail")),
            _ => {
                let r = self.process(line);
                if r.action == Action::Close {
                    Step::Close(response_bytes(&r), "client quit")
                } else {
                    Step::Reply(response_bytes(&r))
                }
            }
        }
    }

    /// Any mechanism-conforming credentials are accepted: this is a sink (unless the
    /// Authentication chaos trigger fires, once the mechanism is known, as in Mailpit).
    fn auth_start(&mut self, text: &str) -> Step {
        let mut words = text.split_whitespace().skip(1);
        let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
        let initial = words.next();
        if matches!(mechanism.as_str(), "PLAIN" | "LOGIN")
            && let Some(step) = self.fault_auth()
        {
            return step;
        }
        Step::Reply(match (mechanism.as_str(), initial) {
            ("PLAIN", Some(_)) => reply(235, "2.7.0 Authentication successful"),
            ("PLAIN", None) => {
                self.auth = Some(AuthStep::PlainResponse);
                reply(334, "")
            }
            ("LOGIN", Some(_)) => {
                self.auth = Some(AuthStep::LoginPassword);
                reply(334, "UGFzc3dvcmQ6")
            }
            ("LOGIN", None) => {
                self.auth = Some(AuthStep::LoginUser);
                reply(334, "VXNlcm5hbWU6")
            }
            _ => reply(504, "5.5.4 Unrecognized authentication type"),
        })
    }

    fn fault_auth(&mut self) -> Option<Step> {
        let applied = self.ctx.faults.chaos(Chaos::Authentication)?;
        self.state.apply(applied)
    }

    fn auth_continue(&mut self, step: AuthStep, line: &[u8]) -> Vec<u8> {
        if line.trim_ascii() == b"*" {
            return reply(501, "5.7.0 Authentication cancelled");
        }
        match step {
            AuthStep::PlainResponse | AuthStep::LoginPassword => {
                reply(235, "2.7.0 Authentication successful")
            }
            AuthStep::LoginUser => {
                self.auth = Some(AuthStep::LoginPassword);
                reply(334, "UGFzc3dvcmQ6")
            }
        }
    }
}

/// Reads a DATA body up to the final dot into `body` (cleared first). `Ok(false)`: over
/// the size limit (everything was read and dropped).
///
/// Lines are split out of each buffered chunk synchronously (no await per line): a
/// 1 MiB message has some 13,000 lines.
async fn read_body<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    body: &mut Vec<u8>,
    max: usize,
) -> io::Result<bool> {
    body.clear();
    let mut oversize = false;
    // Where the line being read starts in `body`.
    let mut line_start = 0;
    // Once over the limit nothing is kept: only the current line's first bytes and its
    // length, to recognise the final dot.
    let mut head: Vec<u8> = Vec::with_capacity(3);
    let mut line_len = 0usize;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let mut pos = 0;
        let mut done = None;
        while pos < chunk.len() {
            let rest = &chunk[pos..];
            let (take, complete) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (rest.len(), false),
            };
            let piece = &rest[..take];
            pos += take;
            if oversize {
                let room = 3usize.saturating_sub(head.len());
                head.extend_from_slice(&piece[..piece.len().min(room)]);
                line_len += piece.len();
                if complete {
                    let last = line_len <= 3 && (head == b".\r\n" || head == b".\n");
                    head.clear();
                    line_len = 0;
                    if last {
                        done = Some(false);
                        break;
                    }
                }
                continue;
            }
            body.extend_from_slice(piece);
            if complete {
                let line = &body[line_start..];
                if line == b".\r\n" || line == b".\n" {
                    body.truncate(line_start);
                    done = Some(true);
                    break;
                }
                if line.first() == Some(&b'.') {
                    body.remove(line_start);
                }
                line_start = body.len();
                if body.len() > max {
                    oversize = true;
                    body.clear();
                    line_start = 0;
                }
            } else if body.len() > max.saturating_add(3) {
                // Over the limit in the middle of a line, which is then too long to be
                // the final dot.
                oversize = true;
                body.clear();
                line_start = 0;
                line_len = 4;
            }
        }
        reader.consume(pos);
        if let Some(complete) = done {
            return Ok(complete);
        }
    }
}

/// What every session of a listener shares.
struct Serve<'a> {
    builder: &'a SessionBuilder,
    ctx: &'a SmtpContext,
    cancel: &'a CancellationToken,
}

/// Serves one connection, recorded as a session from start to end.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: SocketAddr,
    serve: &Serve<'_>,
) -> io::Result<()> {
    let record = serve.ctx.sessions.start(peer);
    let mut state = SessionState::new(record.clone());
    let ended = serve_connection(stream, peer, serve, &mut state).await;
    match &ended {
        Ok(how) => record.end(how),
        Err(e) => record.end(&format!("connection error: {e}")),
    }
    ended.map(drop)
}

/// How a session ended, in the words of its record.
type Ending = &'static str;

/// The CONNECT faults, the SMTP session, and its restart under TLS after STARTTLS.
async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    peer: SocketAddr,
    serve: &Serve<'_>,
    state: &mut SessionState,
) -> io::Result<Ending> {
    let ctx = serve.ctx;
    if let Some(applied) = ctx
        .faults
        .check(FaultStage::Connect, &Envelope::default(), &[])
    {
        match state.apply(applied) {
            // A delay holds the greeting too.
            None => {}
            // A refusal in place of the greeting, and the connection closes.
            Some(Step::Reply(bytes) | Step::Close(bytes, _)) => {
                state.pause(serve.cancel).await;
                state.record.server(&bytes);
                stream.write_all(&bytes).await?;
                stream.flush().await?;
                state.record.end("refused by a fault at CONNECT");
                return Ok("refused by a fault at CONNECT");
            }
            Some(_) => {
                state.record.end("dropped by a fault at CONNECT");
                return Ok("dropped by a fault at CONNECT");
            }
        }
    }
    let greeting = response_bytes(&serve.builder.build(peer.ip(), SequenceOnly).greeting());
    let offer_tls = ctx.tls.is_some();
    let plain = match run(stream, peer, serve, offer_tls, greeting, state).await? {
        End::StartTls(plain) => plain,
        End::Over(how) => return Ok(how),
    };
    let Some(acceptor) = &ctx.tls else {
        return Ok("STARTTLS without TLS");
    };
    state.record.client("[TLS handshake]");
    let tls = match tokio::time::timeout(IDLE_TIMEOUT, acceptor.accept(plain)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(_)) => return Ok("TLS handshake failed"),
        Err(_) => return Ok("TLS handshake timed out"),
    };
    // RFC 3207: after the handshake the session starts over (the client says EHLO
    // again) and STARTTLS is no longer offered.
    match run(tls, peer, serve, false, Vec::new(), state).await? {
        End::Over(how) => Ok(how),
        End::StartTls(_) => Ok("STARTTLS twice"),
    }
}

/// How [`run`] returns.
enum End<S> {
    /// The client asked for STARTTLS (its 220 already sent): the stream to secure.
    StartTls(S),
    /// The session is over.
    Over(Ending),
}

/// Records the end of the session while the connection is still open, so a client
/// that sees it close finds the session ended.
fn over<S>(record: &Session, how: Ending) -> End<S> {
    record.end(how);
    End::Over(how)
}

/// Queues `bytes` (one or more replies) to be sent, and records them.
fn say(out: &mut Vec<u8>, record: &Session, bytes: &[u8]) {
    record.server(bytes);
    out.extend_from_slice(bytes);
}

/// Serves one SMTP session over `stream`.
async fn run<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: SocketAddr,
    serve: &Serve<'_>,
    offer_tls: bool,
    greeting: Vec<u8>,
    state: &mut SessionState,
) -> io::Result<End<S>> {
    let (ctx, cancel) = (serve.ctx, serve.cancel);
    let record = state.record.clone();
    // One buffered stream for both directions (tokio's BufReader passes writes
    // through), so no split and the stream can be handed back for STARTTLS.
    let mut io = BufReader::with_capacity(64 * 1024, Idle::new(stream, IDLE_TIMEOUT));
    let cancelled = cancel.cancelled();
    tokio::pin!(cancelled);
    let ip: IpAddr = peer.ip();
    // Replies are gathered and written when the client has nothing more pending, so a
    // pipelining client gets one write per batch.
    let mut out: Vec<u8> = Vec::new();
    if !greeting.is_empty() {
        state.pause(cancel).await;
        say(&mut out, &record, &greeting);
    }
    let mut conn = Conn {
        session: serve.builder.build(ip, SequenceOnly),
        txn: Transaction::default(),
        auth: None,
        ctx,
        errors: 0,
        offer_tls,
        state,
    };
    let mut line = Vec::with_capacity(1024);
    // Reused for every message of the session; each stored message gets an exact-size
    // copy, so no stored message carries spare capacity.
    let mut body: Vec<u8> = Vec::new();
    loop {
        if io.buffer().is_empty() && !out.is_empty() {
            io.write_all(&out).await?;
            io.flush().await?;
            out.clear();
        }
        line.clear();
        let read = tokio::select! {
            () = &mut cancelled => {
                say(&mut out, &record, b"421 4.3.2 Shutting down\r\n");
                let _ = io.write_all(&out).await;
                let _ = io.flush().await;
                return Ok(over(&record, "the sink shut down"));
            }
            read = read_line(&mut io, &mut line, MAX_COMMAND_LINE) => read,
        };
        let read = match read {
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                say(
                    &mut out,
                    &record,
                    b"421 4.4.2 Idle timeout, closing connection\r\n",
                );
                io.write_all(&out).await?;
                io.flush().await?;
                return Ok(over(&record, "idle timeout"));
            }
            read => read?,
        };
        match read {
            LineRead::Eof => {
                let _ = io.write_all(&out).await;
                let _ = io.flush().await;
                return Ok(over(&record, "client closed the connection"));
            }
            LineRead::TooLong => {
                record.client("[line too long, dropped]");
                conn.state.pause(cancel).await;
                say(&mut out, &record, &reply(500, "5.5.2 Line too long"));
                conn.errors += 1;
            }
            LineRead::Line => {
                // mailin wants CRLF; accept bare LF from sloppy clients.
                if !line.ends_with(b"\r\n") {
                    line.pop();
                    line.extend_from_slice(b"\r\n");
                }
                record.client(&redact(&line, conn.auth.is_some()));
                let step = conn.command(&line);
                if !matches!(step, Step::Disconnect) {
                    conn.state.pause(cancel).await;
                }
                match step {
                    Step::Reply(bytes) => {
                        if bytes.first().is_some_and(|&b| b == b'4' || b == b'5') {
                            conn.errors += 1;
                        } else {
                            conn.errors = 0;
                        }
                        say(&mut out, &record, &bytes);
                    }
                    Step::Close(bytes, how) => {
                        say(&mut out, &record, &bytes);
                        io.write_all(&out).await?;
                        io.flush().await?;
                        return Ok(over(&record, how));
                    }
                    Step::Disconnect => {
                        // What was answered before still goes out; this command
                        // gets nothing.
                        let _ = io.write_all(&out).await;
                        let _ = io.flush().await;
                        return Ok(over(&record, "dropped by a fault"));
                    }
                    Step::StartTls(bytes) => {
                        say(&mut out, &record, &bytes);
                        io.write_all(&out).await?;
                        io.flush().await?;
                        // Anything pipelined after STARTTLS is dropped: it was sent in
                        // clear and must not be trusted as part of the TLS session.
                        return Ok(End::StartTls(io.into_inner().inner));
                    }
                    Step::StartData(bytes) => {
                        say(&mut out, &record, &bytes);
                        io.write_all(&out).await?;
                        io.flush().await?;
                        out.clear();
                        let complete = read_body(&mut io, &mut body, ctx.max_message_bytes).await?;
                        record.client(&if complete {
                            format!("[message, {} bytes]", body.len())
                        } else {
                            "[message over the size limit, dropped]".to_owned()
                        });
                        // Back to mailin's "after HELO" state; its answer is replaced by ours.
                        let _ = conn.session.process(b".\r\n");
                        let fault = if complete {
                            conn.fault(FaultStage::End, Transaction::envelope, None)
                        } else {
                            None
                        };
                        let txn = std::mem::take(&mut conn.txn);
                        let answer = match fault {
                            Some(Step::Reply(bytes)) => bytes,
                            Some(Step::Close(bytes, how)) => {
                                conn.state.pause(cancel).await;
                                say(&mut out, &record, &bytes);
                                io.write_all(&out).await?;
                                io.flush().await?;
                                return Ok(over(&record, how));
                            }
                            Some(_) => return Ok(over(&record, "dropped by a fault at END")),
                            None if !complete => {
                                reply(552, "5.3.4 Message size exceeds fixed limit")
                            }
                            None => {
                                let envelope = Envelope {
                                    from: txn.from,
                                    to: txn.to,
                                };
                                let raw = Bytes::copy_from_slice(&body);
                                if body.capacity() > LARGE_BUFFER {
                                    // Do not keep a huge buffer alive on an idle connection.
                                    body = Vec::new();
                                }
                                match ctx
                                    .store
                                    .insert(envelope, raw, Some(record.id().clone()))
                                    .await
                                {
                                    Ok(entry) => {
                                        record.stored(&entry.id);
                                        format!("250 2.0.0 Ok: queued as {}\r\n", entry.id)
                                            .into_bytes()
                                    }
                                    Err(e) => {
                                        tracing::error!(error = %format!("{e:#}"), "failed to store a message");
                                        reply(451, "4.3.0 Could not store the message")
                                    }
                                }
                            }
                        };
                        conn.state.pause(cancel).await;
                        say(&mut out, &record, &answer);
                    }
                }
            }
        }
        if conn.errors >= MAX_ERRORS {
            say(
                &mut out,
                &record,
                &reply(421, "4.7.0 Too many errors, closing connection"),
            );
            io.write_all(&out).await?;
            io.flush().await?;
            return Ok(over(&record, "too many errors"));
        }
    }
}

/// Builds the STARTTLS acceptor from PEM files (certificate chain, private key).
pub(crate) fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<TlsAcceptor> {
    use anyhow::Context as _;
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject as _;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("Failed to read TLS certificates from {}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("Failed to read the TLS key from {}", key.display()))?;
    // The provider is named explicitly: with two providers compiled in, rustls refuses
    // to pick a process default.
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("Failed to set TLS protocol versions")?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("Invalid TLS certificate or key")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn only_silence_as_long_as_the_limit_times_a_session_out() {
        use tokio::io::AsyncReadExt as _;
        let limit = Duration::from_secs(10);
        let (mut client, server) = tokio::io::duplex(64);
        let mut idle = Idle::new(server, limit);
        let started = tokio::time::Instant::now();
        // A line every 6 s for a minute: never 10 s of silence, so no timeout, although
        // the first deadline passes long before the end.
        let talk = tokio::spawn(async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_secs(6)).await;
                client.write_all(b"NOOP\r\n").await.unwrap();
            }
            client // kept open, and silent from now on
        });
        let mut buf = [0u8; 6];
        for _ in 0..10 {
            idle.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"NOOP\r\n");
        }
        let last_input = tokio::time::Instant::now();
        assert_eq!(last_input - started, Duration::from_secs(60));
        let _client = talk.await.unwrap();
        let err = idle.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(tokio::time::Instant::now() - last_input, limit);
    }

    /// Reads a body with a tiny buffer so lines and the final dot split across reads.
    async fn body_of(input: &[u8], max: usize, buffer: usize) -> (bool, Vec<u8>, Vec<u8>) {
        let mut reader = BufReader::with_capacity(buffer, input);
        let mut body = Vec::new();
        let complete = read_body(&mut reader, &mut body, max).await.unwrap();
        let mut rest = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut rest)
            .await
            .unwrap();
        (complete, body, rest)
    }

    #[tokio::test]
    async fn bodies_are_unstuffed_and_end_at_the_final_dot_whatever_the_buffering() {
        for buffer in [1, 2, 3, 5, 64] {
            let (complete, body, rest) =
                body_of(b"a\r\n..b\r\n.c\r\n.\r\nQUIT\r\n", 100, buffer).await;
            assert!(complete);
            assert_eq!(body, b"a\r\n.b\r\nc\r\n", "buffer {buffer}");
            assert_eq!(rest, b"QUIT\r\n");
        }
    }

    #[tokio::test]
    async fn oversized_bodies_are_read_to_the_final_dot_and_dropped() {
        for buffer in [1, 2, 4, 64] {
            let (complete, body, rest) =
                body_of(b"123456789\r\nabc\r\n.\r\nNOOP\r\n", 5, buffer).await;
            assert!(!complete);
            assert!(body.is_empty());
            assert_eq!(rest, b"NOOP\r\n", "buffer {buffer}");
            let (complete, _, rest) = body_of(b"ab\r\n0123456789.\r\n.\r\n", 5, buffer).await;
            assert!(!complete);
            assert!(rest.is_empty());
        }
        // Exactly at the limit is fine.
        let (complete, body, _) = body_of(b"abc\r\n.\r\n", 5, 2).await;
        assert!(complete);
        assert_eq!(body, b"abc\r\n");
    }

    #[tokio::test]
    async fn a_body_cut_short_is_an_error() {
        let mut reader = BufReader::new(&b"Subject: x\r\n\r\npartial"[..]);
        let mut body = Vec::new();
        assert!(read_body(&mut reader, &mut body, 100).await.is_err());
    }

    #[test]
    fn paths_with_params_null_sender_and_quotes_are_parsed() {
        assert_eq!(
            parse_path("<a@b.c> SIZE=100 BODY=8BITMIME"),
            Some((
                "a@b.c".into(),
                vec!["SIZE=100".into(), "BODY=8BITMIME".into()]
            ))
        );
        assert_eq!(parse_path("<>"), Some((String::new(), vec![])));
        assert_eq!(parse_path(" <x@y>"), Some(("x@y".into(), vec![])));
        assert_eq!(
            parse_path("<\"john > doe\"@x.y>"),
            Some(("\"john > doe\"@x.y".into(), vec![]))
        );
        assert_eq!(parse_path("<@relay:u@h>"), Some(("u@h".into(), vec![])));
        assert_eq!(parse_path("bare@host"), Some(("bare@host".into(), vec![])));
        assert_eq!(parse_path("<unterminated"), None);
    }

    mod properties {
        use proptest::prelude::*;
        use proptest::test_runner::TestCaseError;

        use super::*;
        use crate::model::NewFault;
        use crate::store::Limits;
        use crate::testing::{config, text};

        /// What MAIL/RCPT/EHLO/AUTH arguments are made of.
        const ARG_VOCAB: &[&str] = &[
            "<",
            ">",
            "<>",
            "\"",
            "@",
            ":",
            " ",
            "\t",
            "a",
            "b.example",
            "SIZE=",
            "SIZE=10",
            "SIZE=99999999999999999999",
            "BODY=8BITMIME",
            "=",
            "é",
            "@r1,@r2:",
            "FROM:",
            "TO:",
            "PLAIN",
            "LOGIN",
            "dGVzdA==",
            "*",
            "\r",
            "\0",
            "ı",
            "ﬀ",
            "İ",
        ];

        const COMMANDS: &[&str] = &[
            "EHLO client.example",
            "HELO client.example",
            "MAIL FROM:<a@b.example>",
            "MAIL FROM:<>",
            "RCPT TO:<c@d.example>",
            "DATA",
            "RSET",
            "NOOP",
            "QUIT",
            "VRFY a",
            "EXPN a",
            "AUTH PLAIN",
            "AUTH LOGIN",
            "AUTH PLAIN dGVzdA==",
            "*",
            "STARTTLS",
            "BDAT 10 LAST",
            "HELP",
            ".",
            "..",
            "Subject: x",
            "",
        ];

        fn line() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                6 => prop::sample::select(COMMANDS).prop_map(|c| c.as_bytes().to_vec()),
                2 => text(ARG_VOCAB, 8).prop_map(|a| format!("MAIL FROM:{a}").into_bytes()),
                2 => text(ARG_VOCAB, 8).prop_map(|a| format!("RCPT TO:{a}").into_bytes()),
                1 => text(ARG_VOCAB, 8).prop_map(|a| format!("MAIL {a}").into_bytes()),
                1 => text(ARG_VOCAB, 8).prop_map(|a| format!("RCPT {a}").into_bytes()),
                1 => text(ARG_VOCAB, 8).prop_map(|a| format!("EHLO {a}").into_bytes()),
                1 => text(ARG_VOCAB, 8).prop_map(|a| format!("HELO {a}").into_bytes()),
                1 => text(ARG_VOCAB, 8).prop_map(|a| format!("AUTH {a}").into_bytes()),
                1 => text(ARG_VOCAB, 8).prop_map(String::into_bytes),
                1 => prop::collection::vec(any::<u8>(), 0..64),
                1 => Just(vec![b'x'; MAX_COMMAND_LINE + 10]),
            ]
        }

        /// Arbitrary bytes, or lines (with CRLF, bare LF or no end at all), sometimes
        /// after a valid start up to DATA so that bodies get their share.
        fn script() -> impl Strategy<Value = Vec<u8>> {
            let lines = (
                any::<bool>(),
                prop::collection::vec(
                    (
                        line(),
                        prop::sample::select(&["\r\n", "\r\n", "\n", ""][..]),
                    ),
                    0..40,
                ),
            )
                .prop_map(|(in_data, lines)| {
                    let mut script = Vec::new();
                    if in_data {
                        script.extend_from_slice(
                            b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
                        );
                    }
                    for (line, end) in lines {
                        script.extend_from_slice(&line);
                        script.extend_from_slice(end.as_bytes());
                    }
                    script
                });
            prop_oneof![
                1 => prop::collection::vec(any::<u8>(), 0..1024),
                4 => lines,
            ]
        }

        /// Fault rules of every stage and action, some for every message, some for
        /// addresses the scripts use.
        fn rule() -> impl Strategy<Value = NewFault> {
            let stage = prop::sample::select(
                &[
                    FaultStage::Connect,
                    FaultStage::Mail,
                    FaultStage::Rcpt,
                    FaultStage::Data,
                    FaultStage::End,
                ][..],
            );
            let query = prop::sample::select(&["", "to:c@d.example", "from:a", "b.example"][..]);
            let effect = prop_oneof![
                prop::sample::select(&[421u16, 450, 451, 452, 550, 554][..])
                    .prop_map(|code| NewFault::reply(FaultStage::End, "", code, "fault")),
                Just(NewFault::disconnect(FaultStage::End, "")),
                Just(NewFault::delay(FaultStage::End, "", 1)),
            ];
            (
                stage,
                query,
                effect,
                prop::option::of(1u64..3),
                prop::option::of(0u8..=100),
            )
                .prop_map(|(stage, query, effect, count, probability)| NewFault {
                    stage,
                    // CONNECT knows no address.
                    query: if stage == FaultStage::Connect
                        || (stage == FaultStage::Mail && query.starts_with("to:"))
                    {
                        String::new()
                    } else {
                        query.to_owned()
                    },
                    count,
                    probability,
                    ..effect
                })
        }

        /// Serves one connection reading `input` to its end; returns all that was sent
        /// in clear (a TLS handshake on garbage may answer with binary alerts).
        async fn serve_script(input: &[u8], offer_tls: bool, rules: Vec<NewFault>) -> Vec<u8> {
            let store = Store::open(
                None,
                Limits {
                    max_messages: 4,
                    max_total_bytes: 0,
                },
            )
            .await
            .unwrap();
            let fixtures =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mail/tls");
            let faults = Faults::new(true);
            for rule in rules {
                faults.add(rule).unwrap();
            }
            let ctx = SmtpContext {
                store: Arc::new(store),
                max_message_bytes: 64,
                max_recipients: 2,
                tls: offer_tls.then(|| {
                    tls_acceptor(&fixtures.join("cert.pem"), &fixtures.join("key.pem")).unwrap()
                }),
                faults: Arc::new(faults),
                sessions: Arc::new(Sessions::new()),
            };
            let builder = SessionBuilder::new(HOSTNAME);
            let peer = SocketAddr::from(([127, 0, 0, 1], 2525));
            let mut out = Vec::new();
            let stream = tokio::io::join(input, &mut out);
            let cancel = CancellationToken::new();
            let serve = Serve {
                builder: &builder,
                ctx: &ctx,
                cancel: &cancel,
            };
            // An error (input ending inside DATA) is a normal end here.
            let _ = session(stream, peer, &serve).await;
            let tls_starts = b"220 2.0.0 Ready to start TLS\r\n";
            if let Some(at) = out.windows(tls_starts.len()).position(|w| w == tls_starts) {
                out.truncate(at + tls_starts.len());
            }
            out
        }

        /// Complete reply lines only (none at all after a `disconnect` at CONNECT).
        fn well_formed(out: &[u8]) -> Result<(), TestCaseError> {
            prop_assert!(
                out.is_empty() || out.ends_with(b"\r\n"),
                "{:?}",
                String::from_utf8_lossy(out)
            );
            for line in out.split_inclusive(|&b| b == b'\n') {
                prop_assert!(
                    line.len() >= 6
                        && line[..3].iter().all(u8::is_ascii_digit)
                        && (line[3] == b' ' || line[3] == b'-')
                        && line.ends_with(b"\r\n"),
                    "bad reply line {:?}",
                    String::from_utf8_lossy(line)
                );
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(config(256))]

            /// Whatever a client sends, under whatever fault rules, the session neither
            /// panics nor answers anything but well-formed replies.
            #[test]
            fn any_client_input_gets_well_formed_replies(
                input in script(),
                offer_tls in any::<bool>(),
                rules in prop::collection::vec(rule(), 0..3),
            ) {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .unwrap();
                let no_rules = rules.is_empty();
                let out = rt.block_on(serve_script(&input, offer_tls, rules));
                prop_assert!(!out.is_empty() || !no_rules);
                well_formed(&out)?;
            }
        }
    }
}
