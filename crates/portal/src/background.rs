//! The loop each instance runs beside its HTTP server: purge what has expired, turn
//! queued recovery requests into emails ([`recovery::process_batch`]), deliver the
//! outbox ([`Outbox::deliver_due`]). Requests and deliveries take turns, a batch each,
//! so a flood of requests does not hold back the emails already queued.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::mail::Outbox;
use crate::recovery;
use crate::settings::{Settings, secs};
use crate::store::{self, Store};

/// How often expired sessions, tokens, rate-limit windows, old outbox rows and
/// unconfirmed accounts are deleted.
const PURGE_EVERY_SECS: i64 = 600;
/// Poll interval when nothing wakes the loop (other instances, retries).
const POLL: Duration = Duration::from_secs(1);

/// What the loop works with.
pub struct Background {
    /// The database.
    pub store: Store,
    /// The domain clock (expiry, purging); delivery uses the wall clock.
    pub clock: Arc<dyn Clock>,
    /// Lifetimes and limits.
    pub settings: Settings,
    /// Delivery of the outbox.
    pub outbox: Outbox,
    /// Notified whenever something is written to the outbox or the recovery queue.
    pub wake: Arc<Notify>,
}

impl Background {
    /// Runs until `stop` is cancelled; an email being sent when that happens is finished
    /// first, the rest stays in the outbox for the next start.
    pub async fn run(self, stop: CancellationToken) {
        let mut last_purge = i64::MIN;
        let mut scrubbed = false;
        loop {
            let now = self.clock.unix();
            if now.saturating_sub(last_purge) >= PURGE_EVERY_SECS {
                last_purge = now;
                let unconfirmed_ttl = secs(self.settings.unconfirmed_account_ttl);
                if let Err(e) = store::purge_expired(self.store.pool(), now, unconfirmed_ttl).await
                {
                    tracing::warn!(error = %e, "purging expired rows failed; will retry");
                }
            }
            let took = match recovery::process_batch(&self.store, &*self.clock, &self.settings)
                .await
            {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "processing recovery requests failed; will retry");
                    0
                }
            };
            match self.outbox.deliver_due().await {
                Ok(n) if n > 0 => {
                    scrubbed = true;
                    continue;
                }
                Ok(_) if took > 0 => continue,
                Ok(_) if scrubbed => {
                    // Queue drained: make the scrubbing of sent bodies final on disk.
                    match self.store.checkpoint().await {
                        Ok(()) => scrubbed = false,
                        Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; will retry"),
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox delivery pass failed; will retry"),
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
            if stop.is_cancelled() {
                break;
            }
        }
    }
}
