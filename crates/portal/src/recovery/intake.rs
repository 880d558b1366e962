//! Group commit for "Forgot your password?" requests.
//!
//! A bot flooding the recovery form is the load this service must shrug off, and on
//! SQLite every transaction takes the one writer. So a request does not get its own
//! transaction: it is handed to one intake task, which takes every request waiting at
//! that moment (up to [`MAX_BATCH`]), counts them against each client's hourly limit,
//! writes the accepted ones with one multi-row `INSERT`, commits once, and only then
//! answers each caller. While one batch commits the next one gathers, so the number of
//! commits per second stays about constant however many requests arrive.
//!
//! Nothing is acknowledged before its commit: a crash loses only requests that have not
//! been answered yet. The answer never depends on the address (the intake does not look
//! at accounts; the delivery worker does, later).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::audit::Event;
use crate::limits::{Bucket, ClientKey, Limits};
use crate::store::{self, RecoveryRequest, Store};

/// Most requests written by one transaction.
pub const MAX_BATCH: usize = 512;
/// Requests waiting for the intake before callers wait to hand theirs over.
const QUEUE: usize = 4096;

/// Hands recovery requests to the intake task. Cheap to clone; the task ends when the
/// last clone is dropped.
#[derive(Clone)]
pub struct RecoveryIntake {
    queue: mpsc::Sender<Pending>,
}

struct Pending {
    request: RecoveryRequest,
    done: oneshot::Sender<Result<(), IntakeError>>,
}

/// Why a request was not recorded.
#[derive(Debug, Clone)]
pub enum IntakeError {
    /// The batch's transaction failed (the database error is the source, so the web
    /// layer can tell "unreachable" from a bug).
    Database(Arc<sqlx::Error>),
    /// The intake task is gone (shutting down).
    Stopped,
}

impl fmt::Display for IntakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Database(_) => f.write_str("recording a batch of recovery requests failed"),
            Self::Stopped => f.write_str("the recovery intake has stopped"),
        }
    }
}

impl std::error::Error for IntakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Database(e) => Some(&**e),
            Self::Stopped => None,
        }
    }
}

impl RecoveryIntake {
    /// Starts the intake task on the current runtime. Requests count against
    /// [`Bucket::RecoveryClient`]; `wake` is notified after each commit (the delivery
    /// worker).
    pub fn start(store: Store, limits: Limits, wake: Arc<Notify>) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(rx, store, limits, wake));
        Self { queue }
    }

    /// Records one request; returns once it is committed (or dropped by the client's
    /// limit, which looks the same from outside).
    pub async fn submit(&self, request: RecoveryRequest) -> Result<(), IntakeError> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Pending { request, done })
            .await
            .map_err(|_| IntakeError::Stopped)?;
        answer.await.map_err(|_| IntakeError::Stopped)?
    }
}

async fn run(mut rx: mpsc::Receiver<Pending>, store: Store, limits: Limits, wake: Arc<Notify>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        metrics::histogram!("portal_recovery_intake_batch_size").record(batch.len() as f64);
        let started = std::time::Instant::now();
        let result = commit(&store, &batch, &limits).await;
        metrics::histogram!("portal_recovery_intake_commit_seconds")
            .record(started.elapsed().as_secs_f64());
        match &result {
            Ok(()) => wake.notify_one(),
            Err(e) => {
                tracing::warn!(error = %e, requests = batch.len(), "recording recovery requests failed")
            }
        }
        let result = result.map_err(|e| IntakeError::Database(Arc::new(e)));
        for pending in batch.drain(..) {
            // A caller that went away (client disconnected) needs no answer.
            let _ = pending.done.send(result.clone());
        }
    }
}

/// One transaction for the whole batch, in at most three statements: count each
/// client's requests against its limit, log what was dropped (one audit event per
/// client), write the accepted requests.
async fn commit(store: &Store, batch: &[Pending], limits: &Limits) -> sqlx::Result<()> {
    let now = batch
        .iter()
        .map(|p| p.request.requested_at)
        .max()
        .unwrap_or(0);
    let buckets: Vec<Option<Bucket>> = batch
        .iter()
        .map(|p| {
            p.request
                .client_ip
                .parse::<IpAddr>()
                .ok()
                .map(|ip| Bucket::RecoveryClient(ClientKey::of(ip)))
        })
        .collect();

    let mut tx = store.begin().await?;
    let admitted = limits.admit(&mut tx, &buckets, now).await?;
    let mut accepted = Vec::with_capacity(batch.len());
    let mut dropped: Vec<(&str, usize)> = Vec::new();
    for (p, admitted) in batch.iter().zip(admitted) {
        let ip = p.request.client_ip.as_str();
        if admitted {
            accepted.push(p.request.clone());
        } else {
            match dropped.iter_mut().find(|(d, _)| *d == ip) {
                Some((_, n)) => *n += 1,
                None => dropped.push((ip, 1)),
            }
        }
    }
    let dropped: Vec<store::AuditEvent> = dropped
        .into_iter()
        .map(|(ip, n)| store::AuditEvent {
            event: Event::RecoveryRateLimitedIp,
            account_id: None,
            client_ip: Some(ip.to_owned()),
            detail: Some(format!("{n} requests dropped")),
        })
        .collect();
    store::audit_many(&mut *tx, now, &dropped).await?;
    store::insert_recovery_requests(&mut *tx, &accepted).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_errors_stay_visible_through_the_intake_error() {
        let e = anyhow::Error::new(IntakeError::Database(Arc::new(sqlx::Error::PoolTimedOut)));
        assert!(e.chain().any(|c| matches!(
            c.downcast_ref::<sqlx::Error>(),
            Some(sqlx::Error::PoolTimedOut)
        )));
    }
}
