//! Release (Mailpit's `POST /api/v1/message/{ID}/release`): relays a captured message to
//! a real SMTP server, configured by `--relay smtp://user:pass@host:port` (`smtps://` for
//! TLS from the start, `?tls=required` for STARTTLS, as the portal's relay URL).
//!
//! Every recipient must match `--relay-allowed-recipients` (a regex), so a sink cannot be
//! turned into an open relay; without `--relay` the endpoint answers 403. As Mailpit
//! does, the relayed copy loses its `Bcc` header and gets a fresh `Date` and
//! `Message-ID`; the envelope sender is the `Sender`, else the `From`, else the captured
//! envelope's sender. The relay's credentials are never logged nor shown: the UI and
//! `Debug` only see `host:port`.

use std::str::FromStr as _;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};
use regex::Regex;
use serde::Deserialize;

use crate::http::{ApiError, AppState};

/// Bounds each network operation of a release.
const RELAY_TIMEOUT: Duration = Duration::from_secs(30);
/// Headers the relayed copy does not keep (the last two are written anew).
const DROPPED_HEADERS: [&str; 3] = ["bcc", "date", "message-id"];

/// The configured relay.
pub(crate) struct Relay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// `host:port`, for the UI (never the credentials).
    server: String,
    allowed: Option<Regex>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// A relay for `url`; `allowed` is the recipients' regex (matched against each bare
    /// address; `None` allows any).
    pub(crate) fn new(url: &str, allowed: Option<&str>) -> anyhow::Result<Self> {
        // The URL's own text may hold a password: errors name the flag, not the URL.
        let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("--relay: {e}"))?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            anyhow::bail!("--relay: the URL must start with smtp:// or smtps://");
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("--relay: the URL has no host"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("--relay: {e}"))?
            .timeout(Some(RELAY_TIMEOUT))
            .pool_config(PoolConfig::new().min_idle(0).max_size(2))
            .build();
        let allowed = allowed
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(Regex::new)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--relay-allowed-recipients: {e}"))?;
        Ok(Self {
            transport,
            server: match parsed.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            },
            allowed,
        })
    }

    /// `host:port` of the relay.
    pub(crate) fn server(&self) -> &str {
        &self.server
    }

    /// The allowed recipients' regex, or `""`.
    pub(crate) fn allowed_recipients(&self) -> &str {
        self.allowed.as_ref().map_or("", Regex::as_str)
    }

    /// The bare addresses of `to`, or why they may not be relayed to.
    fn recipients(&self, to: &[String]) -> Result<Vec<lettre::Address>, String> {
        let mut out = Vec::with_capacity(to.len());
        let mut refused = Vec::new();
        for t in to {
            let mailbox = lettre::message::Mailbox::from_str(t.trim())
                .map_err(|_| format!("Invalid email address: {t}"))?;
            match &self.allowed {
                Some(re) if !re.is_match(mailbox.email.as_ref()) => refused.push(t.as_str()),
                _ => out.push(mailbox.email),
            }
        }
        if !refused.is_empty() {
            let noun = if refused.len() == 1 {
                "Address does"
            } else {
                "Addresses do"
            };
            return Err(format!(
                "Failed: {noun} not match --relay-allowed-recipients: {}",
                refused.join(", ")
            ));
        }
        if out.is_empty() {
            return Err("No valid addresses found".into());
        }
        Ok(out)
    }
}

/// The envelope sender of a release: `Sender`, else `From`, else the captured envelope's.
fn sender(raw: &[u8], captured: &str) -> Option<lettre::Address> {
    let parsed = mail_parser::MessageParser::default().parse_headers(raw);
    let header = parsed.as_ref().and_then(|m| {
        m.sender()
            .and_then(|a| a.first())
            .or_else(|| m.from().and_then(|a| a.first()))
            .and_then(|a| a.address())
            .map(str::to_owned)
    });
    header
        .into_iter()
        .chain(Some(captured.to_owned()))
        .find_map(|a| lettre::Address::from_str(a.trim()).ok())
}

/// The message as relayed: without `Bcc`, `Date` and `Message-ID` (folded lines
/// included), with a new `Date` and `Message-ID` in front.
fn rewrite(raw: &[u8], date: &str, message_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 128);
    out.extend_from_slice(format!("Date: {date}\r\nMessage-ID: <{message_id}>\r\n").as_bytes());
    let mut rest = raw;
    let mut dropping = false;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        if line == b"\r\n" || line == b"\n" {
            // The end of the headers: the body goes through unchanged.
            out.extend_from_slice(rest);
            return out;
        }
        let folded = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !folded {
            let name = line.split(|&b| b == b':').next().unwrap_or_default();
            dropping = DROPPED_HEADERS
                .iter()
                .any(|h| name.trim_ascii().eq_ignore_ascii_case(h.as_bytes()));
        }
        if !dropping {
            out.extend_from_slice(line);
        }
        rest = tail;
    }
    out
}

/// Mailpit's release body.
#[derive(Deserialize)]
struct ReleaseBody {
    #[serde(rename = "To")]
    to: Vec<String>,
}

/// `POST /api/v1/message/{ID}/release`: 200 `ok`, 403 without a relay, 404 for an
/// unknown message, 400 with the reason for refused recipients or a relay's refusal.
pub(crate) async fn release(
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(relay) = s.relay.as_deref() else {
        return Ok((
            StatusCode::FORBIDDEN,
            "Release is turned off: no relay is configured (--relay)",
        )
            .into_response());
    };
    let entry = crate::http::entry(&s, &id)?;
    let body: ReleaseBody = crate::http::json_body(&body)?;
    let to = relay.recipients(&body.to).map_err(ApiError::BadRequest)?;
    let raw = s.store.raw(&entry).await?;
    let from = sender(&raw, &entry.summary.envelope.from)
        .ok_or_else(|| ApiError::BadRequest("No sender address found".into()))?;
    let envelope = lettre::address::Envelope::new(Some(from), to)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let relayed = rewrite(&raw, &now_rfc2822(), &format!("{}@mailsink", new_uid()));
    relay
        .transport
        .send_raw(&envelope, &relayed)
        .await
        .map_err(|e| {
            tracing::warn!(server = %relay.server, error = %e, "release failed");
            ApiError::BadRequest(format!("SMTP error: {e}"))
        })?;
    tracing::info!(%id, server = %relay.server, recipients = body.to.len(), "message released");
    Ok("ok".into_response())
}

/// The relayed copy is dated when it leaves, as Mailpit does.
#[allow(clippy::disallowed_methods)]
fn now_rfc2822() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap_or_default()
}

fn new_uid() -> String {
    use rand::Rng as _;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(22)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_drops_bcc_date_and_message_id_with_their_folded_lines() {
        let raw = b"From: a@x.test\r\nBcc: hidden@x.test,\r\n  other@x.test\r\nDate: old\r\nMESSAGE-ID: <old@x>\r\nSubject: hi\r\n\r\nBcc: in the body stays\r\n";
        let out = String::from_utf8(rewrite(raw, "NOW", "new@mailsink")).unwrap();
        assert_eq!(
            out,
            "Date: NOW\r\nMessage-ID: <new@mailsink>\r\nFrom: a@x.test\r\nSubject: hi\r\n\r\nBcc: in the body stays\r\n"
        );
    }

    // The pooled transport needs a runtime to be dropped in.
    #[tokio::test]
    async fn recipients_must_match_the_allowed_regex() {
        let relay = Relay::new("smtp://127.0.0.1:2525", Some(r"@allowed\.test$")).unwrap();
        assert!(relay.recipients(&["a@allowed.test".into()]).is_ok());
        let err = relay
            .recipients(&["a@allowed.test".into(), "Eve <eve@evil.test>".into()])
            .unwrap_err();
        assert!(err.contains("eve@evil.test"), "{err}");
        assert!(relay.recipients(&["not an address".into()]).is_err());
        assert!(relay.recipients(&[]).is_err());
    }

    // The pooled transport needs a runtime to be dropped in.
    #[tokio::test]
    async fn the_server_is_shown_without_credentials() {
        let relay = Relay::new("smtp://user:secret@127.0.0.1:2525", None).unwrap();
        assert_eq!(relay.server(), "127.0.0.1:2525");
        assert!(!format!("{relay:?}").contains("secret"));
        for bad in [
            "smtp://user:secret@127.0.0.1:2525?tls=bogus",
            "smtp://user:secret@[::1",
        ] {
            let err = Relay::new(bad, None).unwrap_err();
            assert!(!format!("{err:#}").contains("secret"), "{err:#}");
        }
        assert!(Relay::new("http://x", None).is_err());
        assert!(Relay::new("smtp://x", Some("(")).is_err());
    }

    #[test]
    fn the_sender_comes_from_sender_then_from_then_the_envelope() {
        let raw = b"From: f@x.test\r\nSender: s@x.test\r\n\r\n";
        assert_eq!(sender(raw, "e@x.test").unwrap().to_string(), "s@x.test");
        let raw = b"From: F <f@x.test>\r\n\r\n";
        assert_eq!(sender(raw, "e@x.test").unwrap().to_string(), "f@x.test");
        assert_eq!(
            sender(b"Subject: x\r\n\r\n", "e@x.test")
                .unwrap()
                .to_string(),
            "e@x.test"
        );
        assert!(sender(b"Subject: x\r\n\r\n", "").is_none());
    }
}
