//! Delivers the outbox over SMTP. Rows are claimed with a lease (so several instances can
//! share one database and a dead instance's claim is taken over), sent, then marked sent
//! and scrubbed; failures are retried with exponential back-off and, after
//! `max_attempts`, marked failed (kept, logged and counted, never dropped).

use std::time::Duration;

use anyhow::Context as _;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::clock::{Clock, SystemClock};
use crate::store::{self, OutboxRow, Store};

/// An SMTP client plus the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

/// How emails reach the relay.
#[derive(Clone)]
enum Transport {
    /// lettre's pooled transport: for relays that need TLS or authentication.
    Pooled(AsyncSmtpTransport<Tokio1Executor>),
    /// A plain connection per batch of one email with `TCP_NODELAY` set: lettre writes a
    /// body and its final `.` in two writes, and on a pooled socket without `NODELAY`
    /// the second waits for the relay's delayed ACK (about 40 ms per email). Used for
    /// the embedded sink and for plain `smtp://host:port` relays.
    Direct {
        host: String,
        port: u16,
        timeout: Duration,
    },
}

impl Mailer {
    /// A client for `smtp://host:port` / `smtps://user:pass@host` URLs; `timeout`
    /// bounds each network operation (see [`smtp_timeout`]).
    pub fn from_url(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        let from = from.parse().context("Failed to parse PORTAL_MAIL_FROM")?;
        let parsed = url::Url::parse(url).context("Failed to use PORTAL_SMTP_URL")?;
        let plain = parsed.scheme() == "smtp"
            && parsed.username().is_empty()
            && parsed.password().is_none()
            && parsed.query().is_none();
        if plain && let Some(host) = parsed.host_str() {
            return Ok(Self {
                transport: Transport::Direct {
                    host: host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_owned(),
                    port: parsed.port().unwrap_or(25),
                    timeout,
                },
                from,
            });
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("Failed to use PORTAL_SMTP_URL")?
            .timeout(Some(timeout))
            .pool_config(Self::pool())
            .build();
        Ok(Self {
            transport: Transport::Pooled(transport),
            from,
        })
    }

    /// A plain-text client for a local sink (no TLS, no authentication).
    pub fn local(
        addr: std::net::SocketAddr,
        from: &str,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            transport: Transport::Direct {
                host: addr.ip().to_string(),
                port: addr.port(),
                timeout,
            },
            from: from.parse().context("Failed to parse PORTAL_MAIL_FROM")?,
        })
    }

    fn pool() -> PoolConfig {
        // Few, short-lived connections: some SMTP servers give each connection a thread
        // for its whole life.
        PoolConfig::new()
            .min_idle(0)
            .max_size(2)
            .idle_timeout(Duration::from_secs(5))
    }

    async fn send(&self, row: &OutboxRow) -> Result<(), SendError> {
        let to: Mailbox = row
            .recipient
            .parse()
            .map_err(|e| SendError::Permanent(format!("bad recipient: {e}")))?;
        let message = Message::builder()
            .message_id(None)
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                row.text_body.clone(),
                row.html_body.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("cannot build message: {e}")))?;
        match &self.transport {
            Transport::Pooled(transport) => {
                transport.send(message).await.map(|_| ()).map_err(classify)
            }
            Transport::Direct {
                host,
                port,
                timeout,
            } => tokio::time::timeout(*timeout, send_direct(host, *port, &message))
                .await
                .unwrap_or_else(|_| Err(SendError::Transient("SMTP relay timed out".into()))),
        }
    }
}

/// One email over a fresh connection with `TCP_NODELAY` (see [`Transport::Direct`]).
async fn send_direct(host: &str, port: u16, message: &Message) -> Result<(), SendError> {
    use lettre::transport::smtp::client::AsyncSmtpConnection;
    use lettre::transport::smtp::extension::ClientId;
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| SendError::Transient(format!("cannot connect to the SMTP relay: {e}")))?;
    stream
        .set_nodelay(true)
        .map_err(|e| SendError::Transient(format!("cannot set TCP_NODELAY: {e}")))?;
    let mut conn =
        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default())
            .await
            .map_err(classify)?;
    let sent = conn
        .send(message.envelope(), &message.formatted())
        .await
        .map(|_| ())
        .map_err(classify);
    // The email is accepted (or refused) by now; a failed QUIT changes nothing.
    let _ = conn.quit().await;
    sent
}

/// A refusal the relay says is final is permanent; anything else is retried.
fn classify(e: lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        SendError::Permanent(e.to_string())
    } else {
        SendError::Transient(e.to_string())
    }
}

enum SendError {
    Transient(String),
    Permanent(String),
}

/// The outbox's delivery: claims due emails and sends them. Run by
/// [`crate::background`].
pub struct Outbox {
    store: Store,
    mailer: Mailer,
    max_attempts: u32,
    lease_secs: i64,
    id: String,
}

impl Outbox {
    /// Delivery through `mailer`. A claim lasts `claim_timeout`: another instance takes
    /// an unfinished one over after that. Retries and claim leases use the wall clock.
    pub fn new(store: Store, mailer: Mailer, max_attempts: u32, claim_timeout: Duration) -> Self {
        Self {
            store,
            mailer,
            max_attempts: max_attempts.max(1),
            lease_secs: i64::try_from(claim_timeout.as_secs())
                .unwrap_or(i64::MAX / 4)
                .max(1),
            id: store::new_id(),
        }
    }

    /// Claims and sends what is due; returns how many were handled.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        // Delivery runs on the wall clock, not the injected one: retries and claim leases
        // are about real SMTP servers, and a test's frozen clock must not hold mail back.
        let claimed_at = SystemClock.unix();
        let rows =
            store::claim_outbox(self.store.pool(), &self.id, claimed_at, self.lease_secs, 10)
                .await?;
        let n = rows.len();
        for row in rows {
            // Past half the claim, stop: a send could outlast the claim and another
            // instance would send the same email. The rest is claimed again when the
            // claim ends.
            if SystemClock.unix() - claimed_at >= self.lease_secs / 2 {
                break;
            }
            let result = self.mailer.send(&row).await;
            let now = SystemClock.unix();
            match result {
                Ok(()) => {
                    store::outbox_sent(self.store.pool(), &row.id, now).await?;
                    metrics::counter!("portal_mail_sent_total", "kind" => row.kind.clone())
                        .increment(1);
                    tracing::info!(kind = %row.kind, outbox_id = %row.id, "email delivered");
                }
                Err(SendError::Permanent(e)) => self.give_up(&row, now, &e).await?,
                Err(SendError::Transient(e)) => {
                    let attempts = row.attempts + 1;
                    if attempts >= i64::from(self.max_attempts) {
                        self.give_up(&row, now, &e).await?;
                    } else {
                        let delay = backoff(attempts);
                        store::outbox_attempt_failed(
                            self.store.pool(),
                            &row.id,
                            &e,
                            store::AfterFailure::RetryAt(now + delay),
                        )
                        .await?;
                        metrics::counter!("portal_mail_retries_total").increment(1);
                        tracing::warn!(kind = %row.kind, outbox_id = %row.id, attempts, retry_in_secs = delay, error = %e, "email delivery failed; will retry");
                    }
                }
            }
        }
        Ok(n)
    }

    async fn give_up(&self, row: &OutboxRow, now: i64, error: &str) -> anyhow::Result<()> {
        store::outbox_attempt_failed(
            self.store.pool(),
            &row.id,
            error,
            store::AfterFailure::GiveUp(now),
        )
        .await?;
        metrics::counter!("portal_mail_failed_total", "kind" => row.kind.clone()).increment(1);
        tracing::error!(kind = %row.kind, outbox_id = %row.id, error, "email delivery failed for good; marked failed in the outbox");
        Ok(())
    }
}

/// The SMTP timeout (per network operation) for a claim timeout: a quarter of it, at
/// most 20 s, so that a live worker is done with an email long before its claim ends.
pub fn smtp_timeout(claim_timeout: Duration) -> Duration {
    (claim_timeout / 4)
        .min(Duration::from_secs(20))
        .max(Duration::from_secs(1))
}

/// Seconds to wait before attempt `attempts + 1`: 2 s doubling, at most one hour.
pub fn backoff(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    (2_i64.saturating_mul(2_i64.saturating_pow(exp.saturating_sub(1)))).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), 2);
        assert_eq!(backoff(2), 4);
        assert_eq!(backoff(3), 8);
        assert_eq!(backoff(15), 3600);
        assert_eq!(backoff(1000), 3600);
    }

    #[test]
    fn smtp_timeout_stays_well_inside_the_claim() {
        assert_eq!(
            smtp_timeout(Duration::from_secs(120)),
            Duration::from_secs(20)
        );
        assert_eq!(smtp_timeout(Duration::from_secs(8)), Duration::from_secs(2));
    }
}
