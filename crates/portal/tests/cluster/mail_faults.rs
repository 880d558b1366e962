//! Mail survives faults: an SMTP relay that is down or hangs, and instances killed with
//! SIGKILL before or while delivering. Late mail, never lost mail, never a different
//! HTTP answer.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::harness::*;

const RECOVERY_SUBJECT: &str = "Password recovery";

/// `(attempts, next_attempt_at, claimed_by, claimed_until, sent_at, failed_at,
/// last_error)` of the newest outbox row for `recipient`.
type OutboxState = (
    i32,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

async fn outbox_row(cluster: &Cluster, recipient: &str) -> Option<OutboxState> {
    sqlx::query_as(
        "SELECT attempts, next_attempt_at, claimed_by, claimed_until, sent_at, failed_at, last_error \
         FROM outbox WHERE recipient = $1 ORDER BY created_at DESC, id LIMIT 1",
    )
    .bind(recipient.to_owned())
    .fetch_optional(cluster.store.pool())
    .await
    .expect("read the outbox")
}

/// Polls the outbox row of `recipient` until `check` holds (database state: emails are
/// waited for on the sink).
async fn wait_for_row(
    cluster: &Cluster,
    recipient: &str,
    what: &str,
    check: impl Fn(&OutboxState) -> bool,
) -> OutboxState {
    let started = Instant::now();
    loop {
        if let Some(row) = outbox_row(cluster, recipient).await
            && check(&row)
        {
            return row;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo xtask ci runs it"]
async fn smtp_down_gives_the_usual_answer_and_the_email_arrives_when_it_returns() {
    let cluster = Cluster::options().instances(2).start().await;
    let (before, during) = ("before@cluster.test", "during@cluster.test");
    cluster
        .seed_accounts(&[before.to_owned(), during.to_owned()])
        .await;
    let (a, b) = (cluster.portal(0), cluster.portal(1));

    let usual = a.request_recovery(before).await;
    assert_eq!(usual.0, StatusCode::ACCEPTED);
    cluster.email(before, RECOVERY_SUBJECT).await;
    // The sink stores a message before it answers 250: wait until the sender has the
    // answer and marked the email sent, or the cut would make it send again.
    cluster.outbox_settled().await;

    cluster.smtp.set(RelayMode::Cut);
    let answer = b.request_recovery(during).await;
    assert_eq!(answer, usual, "the same answer with the relay down");

    // Delivery fails and is retried later, not in a hot loop.
    let (attempts, next_attempt_at, ..) =
        wait_for_row(&cluster, during, "a first delivery attempt failed", |r| {
            r.0 >= 1 && r.6.is_some()
        })
        .await;
    assert!(attempts >= 1);
    assert!(
        next_attempt_at > unix_now() - 1,
        "the retry is scheduled later"
    );
    let (_, second_retry_at, ..) =
        wait_for_row(&cluster, during, "a second delivery attempt failed", |r| {
            r.0 >= 2
        })
        .await;
    assert!(
        second_retry_at - next_attempt_at >= 3,
        "the second wait ({}s after the first retry) is longer than the first",
        second_retry_at - next_attempt_at
    );
    let mut retries = 0.0;
    for p in &cluster.portals {
        retries += p.metric("portal_mail_retries_total", None).await;
    }
    assert!(retries >= 2.0, "retries are counted: {retries}");
    assert!(cluster.emails(during, RECOVERY_SUBJECT).await.is_empty());

    cluster.smtp.set(RelayMode::Forward);
    let back = Instant::now();
    cluster.email(during, RECOVERY_SUBJECT).await;
    eprintln!(
        "email delivered {:?} after the relay came back",
        back.elapsed()
    );
    cluster.outbox_settled().await;
    assert_eq!(cluster.emails(during, RECOVERY_SUBJECT).await.len(), 1);
    assert_eq!(cluster.emails(before, RECOVERY_SUBJECT).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo xtask ci runs it"]
async fn an_email_that_keeps_failing_is_marked_failed_logged_and_counted() {
    let cluster = Cluster::options()
        .instances(1)
        .env("PORTAL_MAIL_MAX_ATTEMPTS", "2")
        .start()
        .await;
    let doomed = "doomed@cluster.test";
    cluster.seed_accounts(&[doomed.to_owned()]).await;
    cluster.smtp.set(RelayMode::Cut);
    let a = cluster.portal(0);
    assert_eq!(a.request_recovery(doomed).await.0, StatusCode::ACCEPTED);

    let (attempts, _, _, claimed_until, sent_at, failed_at, last_error) =
        wait_for_row(&cluster, doomed, "the email is marked failed", |r| {
            r.5.is_some()
        })
        .await;
    assert_eq!(attempts, 2);
    assert!(failed_at.is_some() && sent_at.is_none() && claimed_until.is_none());
    assert!(
        last_error.is_some_and(|e| !e.is_empty()),
        "the last error is kept"
    );
    // Kept, not dropped: the row is there for the operator; its body (a live recovery
    // link) is not.
    assert_eq!(
        cluster
            .scalar("SELECT COUNT(*) FROM outbox WHERE failed_at IS NOT NULL AND text_body = '' AND html_body = ''")
            .await,
        1
    );
    assert_eq!(
        a.metric("portal_mail_failed_total", Some(("kind", "recovery")))
            .await,
        1.0
    );
    // The gauge is read from the database: any instance, even a restarted one, shows it.
    assert_eq!(a.metric("portal_outbox_failed", None).await, 1.0);
    eventually(Duration::from_secs(5), "the failure is logged", || async {
        a.output().contains("email delivery failed for good")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo xtask ci runs it"]
async fn an_email_accepted_before_a_sigkill_is_delivered_after_a_restart() {
    let mut cluster = Cluster::options().instances(1).start().await;
    let (waiting, queued) = ("waiting@cluster.test", "queued@cluster.test");
    cluster
        .seed_accounts(&[waiting.to_owned(), queued.to_owned()])
        .await;
    cluster.smtp.set(RelayMode::Cut);
    let a = cluster.portals.remove(0);

    // One email sits in the outbox after a failed attempt; the other request was just
    // accepted when the process dies (queued or already an email: either must survive).
    assert_eq!(a.request_recovery(waiting).await.0, StatusCode::ACCEPTED);
    wait_for_row(&cluster, waiting, "the email waits in the outbox", |r| {
        r.0 >= 1
    })
    .await;
    assert_eq!(a.request_recovery(queued).await.0, StatusCode::ACCEPTED);
    a.kill().await;

    cluster.smtp.set(RelayMode::Forward);
    let restarted = cluster.start_portal().await;
    cluster.portals.push(restarted);
    cluster.email(waiting, RECOVERY_SUBJECT).await;
    cluster.email(queued, RECOVERY_SUBJECT).await;
    cluster.outbox_settled().await;
    assert_eq!(cluster.emails(waiting, RECOVERY_SUBJECT).await.len(), 1);
    assert_eq!(cluster.emails(queued, RECOVERY_SUBJECT).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo xtask ci runs it"]
async fn a_claim_left_by_a_killed_instance_is_taken_over_after_the_claim_timeout() {
    let mut cluster = Cluster::options()
        .instances(0)
        .env("PORTAL_MAIL_CLAIM_TIMEOUT", "5s")
        .start()
        .await;
    let stuck = "stuck@cluster.test";
    cluster.seed_accounts(&[stuck.to_owned()]).await;

    // The relay accepts and never answers: instance a claims the email and hangs in the
    // SMTP greeting, holding the claim, when it is killed.
    cluster.smtp.set(RelayMode::Stall);
    let a = cluster.start_portal().await;
    assert_eq!(a.request_recovery(stuck).await.0, StatusCode::ACCEPTED);
    let (_, _, claimed_by, claimed_until, ..) =
        wait_for_row(&cluster, stuck, "instance a claims the email", |r| {
            r.2.is_some() && r.3.is_some_and(|until| until >= unix_now())
        })
        .await;
    let (dead_worker, lease_end) = (claimed_by.unwrap(), claimed_until.unwrap());
    a.kill().await;

    cluster.smtp.set(RelayMode::Forward);
    let b = cluster.start_portal().await;
    cluster.portals.push(b);
    let started = Instant::now();
    cluster.email(stuck, RECOVERY_SUBJECT).await;
    eprintln!(
        "claim taken over and email delivered after {:?}",
        started.elapsed()
    );
    cluster.outbox_settled().await;
    let (_, _, taken_by, _, sent_at, ..) = outbox_row(&cluster, stuck).await.unwrap();
    assert_ne!(taken_by.as_deref(), Some(dead_worker.as_str()));
    assert!(
        sent_at.is_some_and(|t| t > lease_end),
        "not taken over before the claim expired"
    );
    assert_eq!(cluster.emails(stuck, RECOVERY_SUBJECT).await.len(), 1);
}
