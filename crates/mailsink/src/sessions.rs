//! The last SMTP sessions, whether or not they stored anything: who connected, what was
//! said, how it ended, which fault applied and which messages it stored. It answers
//! "why did my email not arrive" (`GET /api/v1/sessions`, `GET
//! /api/v1/message/{ID}/session`).
//!
//! A transcript holds the commands and replies, never a DATA body (one line says how big
//! it was) nor AUTH credentials (`***`). It is bounded: long lines are cut, and a long
//! session keeps its first lines and its latest ones, with a line saying how many were
//! left out between. Sessions are visible while they run (a pooled client's connection
//! may stay open for hours).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::format_description::well_known::Rfc3339;

use crate::model::SmtpSession;

/// Sessions kept, newest first out.
pub(crate) const MAX_SESSIONS: usize = 1000;
/// Characters kept of one transcript line.
const MAX_LINE_CHARS: usize = 300;
/// Bytes of a transcript's first lines, kept for good.
const HEAD_BYTES: usize = 8 * 1024;
/// Bytes of a transcript's latest lines.
const TAIL_BYTES: usize = 24 * 1024;
/// Message IDs listed per session (the latest ones).
const MAX_MESSAGE_IDS: usize = 1000;

fn now() -> String {
    crate::clock::now_utc().format(&Rfc3339).unwrap_or_default()
}

/// `line` without its line end, cut to [`MAX_LINE_CHARS`], control characters shown
/// as `�`.
fn clean(line: &str) -> String {
    prefixed("", line)
}

/// `prefix` then `line` as [`clean`] shows it, in one allocation.
fn prefixed(prefix: &str, line: &str) -> String {
    let line = line.trim_end_matches(['\r', '\n']);
    let mut out = String::with_capacity(prefix.len() + line.len().min(MAX_LINE_CHARS * 4) + 3);
    out.push_str(prefix);
    let mut chars = line.chars();
    for c in chars.by_ref().take(MAX_LINE_CHARS) {
        out.push(if c.is_control() { '\u{fffd}' } else { c });
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// A client line as the transcript shows it: an AUTH exchange keeps the mechanism and
/// hides the credentials (`in_auth`: the line answers a 334 challenge).
pub(crate) fn redact(line: &[u8], in_auth: bool) -> String {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\r', '\n']);
    if in_auth {
        // `*` cancels the exchange and is no secret.
        return if text.trim() == "*" { "*" } else { "***" }.to_owned();
    }
    let mut words = text.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(verb), Some(mechanism), rest) if verb.eq_ignore_ascii_case("AUTH") => {
            // Only a mechanism name we know is shown: anything else may be a secret
            // sent in the wrong place.
            let known = SASL_MECHANISMS
                .iter()
                .any(|m| m.eq_ignore_ascii_case(mechanism));
            match (known, rest) {
                (true, None) => clean(text),
                (true, Some(_)) => clean(&format!("{verb} {mechanism} ***")),
                (false, _) => clean(&format!("{verb} ***")),
            }
        }
        _ => clean(text),
    }
}

/// SASL mechanisms a transcript may name.
const SASL_MECHANISMS: &[&str] = &[
    "PLAIN",
    "LOGIN",
    "CRAM-MD5",
    "DIGEST-MD5",
    "XOAUTH2",
    "OAUTHBEARER",
    "GSSAPI",
    "NTLM",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "EXTERNAL",
    "ANONYMOUS",
];

#[derive(Default)]
struct Record {
    ended: Option<String>,
    helo: String,
    head: Vec<String>,
    head_bytes: usize,
    tail: VecDeque<String>,
    tail_bytes: usize,
    omitted: u64,
    fault: Option<String>,
    message_ids: VecDeque<String>,
    stored: u64,
    /// The last 4xx/5xx reply, for the outcome.
    last_refusal: Option<String>,
    outcome: Option<String>,
}

impl Record {
    fn push(&mut self, line: String) {
        if self.head_bytes + line.len() <= HEAD_BYTES && self.tail.is_empty() {
            self.head_bytes += line.len();
            self.head.push(line);
            return;
        }
        self.tail_bytes += line.len();
        self.tail.push_back(line);
        while self.tail_bytes > TAIL_BYTES {
            let Some(old) = self.tail.pop_front() else {
                break;
            };
            self.tail_bytes -= old.len();
            self.omitted += 1;
        }
    }
}

/// One SMTP session, recorded as it goes.
pub(crate) struct Session {
    id: Arc<str>,
    peer: String,
    started: String,
    record: Mutex<Record>,
    /// The sink-wide count of refusals (`Sessions::refusals`).
    refusals: Arc<AtomicU64>,
}

impl Session {
    fn lock(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn id(&self) -> &Arc<str> {
        &self.id
    }

    /// A client line, already redacted.
    pub(crate) fn client(&self, line: &str) {
        let line = prefixed("C: ", line);
        self.lock().push(line);
    }

    /// Server replies (one or more lines, as sent).
    pub(crate) fn server(&self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let lines: Vec<String> = text.lines().map(|l| prefixed("S: ", l)).collect();
        let mut record = self.lock();
        for line in lines {
            if line[3..].starts_with(['4', '5']) {
                // A multi-line reply (`550-…`, `550 …`) is one refusal, counted at its end.
                if line.as_bytes().get(6) != Some(&b'-') {
                    self.refusals.fetch_add(1, Ordering::Relaxed);
                }
                record.last_refusal = Some(line[3..].to_owned());
            }
            record.push(line);
        }
    }

    /// The greeting name of HELO/EHLO.
    pub(crate) fn helo(&self, domain: &str) {
        self.lock().helo = clean(domain);
    }

    /// A fault rule or chaos trigger applied.
    pub(crate) fn fault(&self, id: &str) {
        self.lock().fault = Some(id.to_owned());
    }

    /// A message this session stored.
    pub(crate) fn stored(&self, message_id: &str) {
        let mut record = self.lock();
        record.stored += 1;
        record.message_ids.push_back(message_id.to_owned());
        if record.message_ids.len() > MAX_MESSAGE_IDS {
            record.message_ids.pop_front();
        }
    }

    /// The session is over; `how` says why ("client quit", ...).
    pub(crate) fn end(&self, how: &str) {
        let mut record = self.lock();
        if record.ended.is_some() {
            return;
        }
        let stored = match record.stored {
            0 => "nothing stored".to_owned(),
            1 => "stored 1 message".to_owned(),
            n => format!("stored {n} messages"),
        };
        let refusal = record
            .last_refusal
            .as_ref()
            .map(|r| format!(", last refusal: {r}"))
            .unwrap_or_default();
        record.outcome = Some(format!("{stored}{refusal}; {how}"));
        record.ended = Some(now());
    }

    pub(crate) fn to_api(&self) -> SmtpSession {
        let record = self.lock();
        let mut transcript = Vec::with_capacity(record.head.len() + record.tail.len() + 1);
        transcript.extend(record.head.iter().cloned());
        if record.omitted > 0 {
            transcript.push(format!("… {} lines left out …", record.omitted));
        }
        transcript.extend(record.tail.iter().cloned());
        SmtpSession {
            id: self.id.to_string(),
            peer: self.peer.clone(),
            started: self.started.clone(),
            ended: record.ended.clone(),
            helo: record.helo.clone(),
            transcript,
            outcome: record
                .outcome
                .clone()
                .unwrap_or_else(|| "in progress".to_owned()),
            fault: record.fault.clone(),
            message_ids: record.message_ids.iter().cloned().collect(),
        }
    }
}

/// The ring of recent sessions.
pub(crate) struct Sessions {
    ring: Mutex<VecDeque<Arc<Session>>>,
    next_id: AtomicU64,
    refusals: Arc<AtomicU64>,
}

impl Sessions {
    pub(crate) fn new() -> Self {
        Self {
            ring: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(1),
            refusals: Arc::default(),
        }
    }

    /// Refusals (4xx/5xx reply lines) sent since start, in every session.
    pub(crate) fn refusals(&self) -> u64 {
        self.refusals.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Arc<Session>>> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new session from `peer`; the oldest one goes when [`MAX_SESSIONS`] are kept.
    pub(crate) fn start(&self, peer: std::net::SocketAddr) -> Arc<Session> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let session = Arc::new(Session {
            id: id.into(),
            peer: peer.to_string(),
            started: now(),
            record: Mutex::new(Record::default()),
            refusals: self.refusals.clone(),
        });
        let mut ring = self.lock();
        ring.push_back(session.clone());
        if ring.len() > MAX_SESSIONS {
            ring.pop_front();
        }
        session
    }

    /// One session by ID, if still kept.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<Session>> {
        // IDs increase, so the ring is sorted by their number.
        let n: u64 = id.parse().ok()?;
        let ring = self.lock();
        let pos = ring
            .binary_search_by_key(&n, |s| s.id.parse().unwrap_or(0))
            .ok()?;
        ring.get(pos).cloned()
    }

    /// How many are kept, and the page `start..start + limit`, newest first.
    pub(crate) fn page(&self, start: usize, limit: usize) -> (usize, Vec<Arc<Session>>) {
        let ring = self.lock();
        let page = ring.iter().rev().skip(start).take(limit).cloned().collect();
        (ring.len(), page)
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;

    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 2525))
    }

    #[test]
    fn auth_credentials_are_redacted_and_the_rest_kept() {
        assert_eq!(redact(b"AUTH PLAIN AGFAYg==\r\n", false), "AUTH PLAIN ***");
        assert_eq!(redact(b"auth login dXNlcg==\r\n", false), "auth login ***");
        assert_eq!(redact(b"AUTH LOGIN\r\n", false), "AUTH LOGIN");
        assert_eq!(redact(b"AUTH c2VjcmV0\r\n", false), "AUTH ***");
        assert_eq!(redact(b"AUTH CRAM-MD5\r\n", false), "AUTH CRAM-MD5");
        assert_eq!(redact(b"cGFzcw==\r\n", true), "***");
        assert_eq!(redact(b"*\r\n", true), "*");
        assert_eq!(
            redact(b"MAIL FROM:<a@b> SIZE=10\r\n", false),
            "MAIL FROM:<a@b> SIZE=10"
        );
        assert_eq!(redact(b"\xff\x00x\r\n", false), "\u{fffd}\u{fffd}x");
    }

    #[test]
    fn long_lines_are_cut() {
        let shown = redact("x".repeat(5000).as_bytes(), false);
        assert_eq!(shown.chars().count(), MAX_LINE_CHARS + 1);
        assert!(shown.ends_with('…'));
        let sessions = Sessions::new();
        let s = sessions.start(peer());
        s.server(format!("500 {}\r\n", "y".repeat(5000)).as_bytes());
        let line = &s.to_api().transcript[0];
        assert_eq!(line.chars().count(), "S: ".len() + MAX_LINE_CHARS + 1);
    }

    #[test]
    fn a_long_session_keeps_its_start_and_its_latest_lines() {
        let sessions = Sessions::new();
        let s = sessions.start(peer());
        s.server(b"220 mailsink ESMTP\r\n");
        for i in 0..5000 {
            s.client(&format!("NOOP {i}"));
        }
        let t = s.to_api().transcript;
        assert_eq!(t[0], "S: 220 mailsink ESMTP");
        assert_eq!(t.last().unwrap(), "C: NOOP 4999");
        let gap = t.iter().find(|l| l.contains("lines left out")).unwrap();
        let kept = t.len() - 1;
        assert!(gap.contains(&(5001 - kept).to_string()), "{gap}");
        let bytes: usize = t.iter().map(String::len).sum();
        assert!(bytes <= HEAD_BYTES + TAIL_BYTES + 100);
        assert!(t.iter().all(|l| l.chars().count() <= MAX_LINE_CHARS + 4));
    }

    #[test]
    fn a_refusal_is_counted_once_however_many_lines_it_has() {
        let sessions = Sessions::new();
        let s = sessions.start(peer());
        s.server(b"250-mail.test\r\n250 OK\r\n");
        s.server(b"550-5.1.1 no such user\r\n550 5.1.1 really\r\n");
        s.server(b"451 4.3.0 later\r\n");
        assert_eq!(sessions.refusals(), 2);
    }

    #[test]
    fn the_outcome_says_what_was_stored_and_how_it_ended() {
        let sessions = Sessions::new();
        let s = sessions.start(peer());
        assert_eq!(s.to_api().outcome, "in progress");
        assert!(s.to_api().ended.is_none());
        s.server(b"451 4.3.0 try again later\r\n");
        s.end("client quit");
        let api = s.to_api();
        assert_eq!(
            api.outcome,
            "nothing stored, last refusal: 451 4.3.0 try again later; client quit"
        );
        assert!(api.ended.is_some());
        let s = sessions.start(peer());
        s.stored("a");
        s.stored("b");
        s.end("client closed the connection");
        assert_eq!(
            s.to_api().outcome,
            "stored 2 messages; client closed the connection"
        );
        assert_eq!(s.to_api().message_ids, ["a", "b"]);
    }

    #[test]
    fn the_ring_keeps_the_latest_sessions_newest_first() {
        let sessions = Sessions::new();
        let first = sessions.start(peer());
        for _ in 0..MAX_SESSIONS {
            sessions.start(peer());
        }
        assert!(sessions.get(first.id()).is_none());
        let (total, page) = sessions.page(0, 2);
        assert_eq!(total, MAX_SESSIONS);
        assert_eq!(&*page[0].id, (MAX_SESSIONS + 1).to_string());
        assert_eq!(&*page[1].id, MAX_SESSIONS.to_string());
        assert!(sessions.get("2").is_some());
        assert!(sessions.get("nope").is_none());
        assert_eq!(sessions.page(MAX_SESSIONS, 10).1.len(), 0);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::testing::{config, hostile_text};

        const SECRET: &str = "c2VjcmV0LXBhc3N3b3Jk";

        const AUTH_VOCAB: &[&str] = &[
            "AUTH", "auth", " ", "\t", "PLAIN", "LOGIN", "XOAUTH2", SECRET, "=", "*", "\r", "\n",
            "\0", "é",
        ];

        proptest! {
            #![proptest_config(config(512))]

            /// Whatever follows `AUTH <mechanism>`, or answers a challenge, never reaches
            /// the transcript.
            #[test]
            fn auth_secrets_never_reach_the_transcript(
                line in hostile_text(AUTH_VOCAB, 8),
                in_auth in any::<bool>(),
            ) {
                let shown = redact(line.as_bytes(), in_auth);
                let words: Vec<&str> = line.split_whitespace().collect();
                let is_auth = words.len() >= 2 && words[0].eq_ignore_ascii_case("AUTH");
                if in_auth || is_auth {
                    prop_assert!(!shown.contains(SECRET), "{line:?} -> {shown:?}");
                }
                prop_assert!(shown.chars().count() <= MAX_LINE_CHARS + 1);
                prop_assert!(!shown.chars().any(char::is_control));
            }
        }
    }
}
