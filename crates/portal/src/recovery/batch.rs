//! Turns queued recovery requests into tokens and emails (or nothing, for an address
//! without an account), a batch per transaction.

use std::collections::HashMap;

use crate::audit::Event;
use crate::clock::Clock;
use crate::domain::SecretToken;
use crate::limits::Bucket;
use crate::mail::templates::{self, EmailContext};
use crate::settings::{Settings, secs};
use crate::store::{self, AccountRow, Store, TokenPurpose};

/// Recovery requests turned into tokens and emails per transaction.
const BATCH: i64 = 32;

/// Turns queued recovery requests into tokens and emails (run by the worker); returns
/// how many requests it took. Up to [`BATCH`] requests are handled in one
/// transaction with a fixed number of statements (take, look up, count, write), so a
/// flood costs the single SQLite writer little time per request. The requests are
/// taken off the queue in the transaction that writes their tokens and emails, so
/// each is handled once even with several workers.
pub async fn process_batch(
    store: &Store,
    clock: &dyn Clock,
    settings: &Settings,
) -> anyhow::Result<usize> {
    let started = std::time::Instant::now();
    let mut tx = store.begin().await?;
    let requests = store::take_recovery_requests(&mut tx, BATCH).await?;
    if requests.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    let now = clock.unix();
    let mut lookups: Vec<&str> = requests.iter().map(|r| r.email_lookup.as_str()).collect();
    lookups.sort_unstable();
    lookups.dedup();
    let accounts: HashMap<String, AccountRow> = store::accounts_by_email(&mut *tx, &lookups)
        .await?
        .into_iter()
        .map(|a| (a.email_lookup.clone(), a))
        .collect();

    // Each account's requests in this batch, counted against its hourly limit at once.
    let buckets: Vec<Option<Bucket>> = requests
        .iter()
        .map(|r| {
            accounts
                .get(&r.email_lookup)
                .map(|a| Bucket::RecoveryAccount(a.id.clone()))
        })
        .collect();
    let admitted = settings.limits.admit(&mut tx, &buckets, now).await?;

    let ttl = settings.recovery_ttl;
    let (mut tokens, mut emails, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for (r, admitted) in requests.iter().zip(admitted) {
        let ip = Some(r.client_ip.clone());
        let Some(account) = accounts.get(&r.email_lookup) else {
            events.push(store::AuditEvent::new(
                Event::RecoveryRequestedUnknownAddress,
                None,
                ip,
            ));
            continue;
        };
        let account_id = Some(account.id.clone());
        if !admitted {
            events.push(store::AuditEvent::new(
                Event::RecoveryRateLimitedAccount,
                account_id,
                ip,
            ));
            continue;
        }
        let token = SecretToken::generate()?;
        let link = format!("{}/recover?token={}", settings.public_base, token.expose());
        // In the account's language, whatever browser asked.
        let lang = settings.languages.of_account(account.language.as_deref());
        let mail = templates::recovery(&EmailContext::new(
            settings,
            &account.email,
            link,
            ttl,
            lang,
        ))?;
        tokens.push(store::NewToken {
            hash: token.hash(),
            account_id: account.id.clone(),
            purpose: TokenPurpose::Recovery,
            created_at: now,
            expires_at: now + secs(ttl),
        });
        // The stored address, never the typed one.
        emails.push(mail.into_outbox(&account.email, now));
        events.push(store::AuditEvent::new(
            Event::RecoveryRequested,
            account_id,
            ip,
        ));
    }
    store::insert_tokens(&mut *tx, &tokens).await?;
    store::insert_outbox_many(&mut *tx, &emails).await?;
    store::audit_many(&mut *tx, now, &events).await?;
    tx.commit().await?;
    metrics::histogram!("portal_recovery_batch_seconds").record(started.elapsed().as_secs_f64());
    if !emails.is_empty() {
        metrics::counter!("portal_recovery_emails_queued_total").increment(emails.len() as u64);
    }
    Ok(requests.len())
}
