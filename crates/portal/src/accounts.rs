//! The use cases behind both the HTML pages and the JSON API: sign-up, confirmation,
//! log-in/out, password recovery and password change. Every rule of DESIGN.md §4 that is
//! not about HTTP lives here, so both front ends get it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::domain::{
    EmailAddress, EmailError, HashError, Password, PasswordHash, PasswordHasher, PasswordPolicy,
    PasswordRejection, SecretToken, Verification,
};
use crate::intake::RecoveryIntake;
use crate::mail::templates::{self, EmailContext, RenderedEmail};
use crate::store::{self, AccountRow, Store, TokenPurpose, Tx};

/// Length of a rate-limit window for log-ins and token guesses.
const SHORT_WINDOW: i64 = 15 * 60;
/// Length of a rate-limit window for recovery requests.
pub(crate) const HOUR: i64 = 3600;
/// Recovery requests the delivery worker turns into emails per transaction.
const RECOVERY_BATCH: i64 = 32;

/// Why a use case did not go through. Each variant says what the user should see.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// Wrong email or password (the same answer whether the account exists or not).
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    /// Right password, but the address was never confirmed.
    #[error("Confirm your email address first: open the link in the email we sent you.")]
    NotConfirmed,
    /// A rate limit was hit.
    #[error("Too many attempts. Wait a few minutes and try again.")]
    TooManyAttempts,
    /// A recovery or confirmation token that is unknown, used or expired.
    #[error("This link is invalid or has expired. Ask for a new one.")]
    InvalidToken,
    /// The new password breaks the policy.
    #[error("{0}")]
    Rejected(#[from] PasswordRejection),
    /// The email address is not valid.
    #[error("{0}")]
    InvalidEmail(#[from] EmailError),
    /// The current password given for a change is wrong.
    #[error("Your current password is incorrect.")]
    CurrentPasswordIncorrect,
    /// No live session.
    #[error("Log in first.")]
    Unauthenticated,
    /// Anything else (database, hashing); never shown in detail.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AccountsError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl From<HashError> for AccountsError {
    fn from(e: HashError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

impl From<askama::Error> for AccountsError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("rendering an email"))
    }
}

/// Result of the use cases.
pub type Result<T, E = AccountsError> = std::result::Result<T, E>;

/// Web page session or API bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Cookie session of the HTML portal.
    Web,
    /// Bearer token of the app.
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Api => "api",
        }
    }
}

/// A new session: the secret goes to the client once, only its hash is stored.
#[derive(Debug)]
pub struct NewSession {
    /// The session id / bearer token.
    pub token: SecretToken,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}

/// Limits and lifetimes the use cases apply.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Product name (emails, pages, refused in passwords).
    pub product_name: String,
    /// Public base URL without trailing slash: the only base of emailed links.
    pub public_base: String,
    /// Recovery link lifetime.
    pub recovery_ttl: Duration,
    /// Confirmation link lifetime.
    pub confirmation_ttl: Duration,
    /// Session lifetime.
    pub session_ttl: Duration,
    /// Recovery emails per account per hour.
    pub recovery_per_account_per_hour: u32,
    /// Recovery requests per client IP per hour.
    pub recovery_per_ip_per_hour: u32,
    /// Failed log-ins per account per 15 minutes.
    pub login_failures_per_account: u32,
    /// Failed log-ins per client IP per 15 minutes.
    pub login_failures_per_ip: u32,
    /// Bad tokens per client IP per 15 minutes.
    pub token_guesses_per_ip: u32,
}

/// The account use cases. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    settings: Settings,
    wake_worker: Arc<Notify>,
    intake: RecoveryIntake,
}

fn audit_event(
    event: &'static str,
    account_id: Option<String>,
    client_ip: Option<String>,
) -> store::AuditEvent {
    store::AuditEvent {
        event,
        account_id,
        client_ip,
        detail: None,
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4)
}

fn words(d: Duration) -> String {
    let m = d.as_secs() / 60;
    match m {
        0 => format!("{} seconds", d.as_secs()),
        1 => "1 minute".into(),
        m if m % 1440 == 0 => match m / 1440 {
            1 => "24 hours".into(),
            n => format!("{n} days"),
        },
        m if m % 60 == 0 => match m / 60 {
            1 => "1 hour".into(),
            n => format!("{n} hours"),
        },
        m => format!("{m} minutes"),
    }
}

/// The outbox row for a rendered email.
fn outbox_email(to: &str, email: RenderedEmail, now: i64) -> store::NewEmail {
    store::NewEmail {
        kind: email.kind.to_owned(),
        recipient: to.to_owned(),
        subject: email.subject.to_owned(),
        text_body: email.text,
        html_body: email.html,
        created_at: now,
    }
}

/// How many of `n` hits just counted (window total now `hits`) fit under `limit`: the
/// k-th of them is the `(hits - n + k)`-th of the window.
fn within_limit(limit: i64, hits: i64, n: i64) -> usize {
    usize::try_from((limit - (hits - n)).clamp(0, n)).unwrap_or(0)
}

/// Counts a group of hits against `limit` per bucket of `window` seconds, one
/// statement for all buckets, and says for each hit (in order) whether it is within
/// its bucket's limit. `None` is a hit that counts nowhere (answered `false`).
pub(crate) async fn admit(
    tx: &mut Tx,
    buckets: &[Option<String>],
    limit: i64,
    now: i64,
    window: i64,
) -> sqlx::Result<Vec<bool>> {
    let mut counts: Vec<(String, i64)> = Vec::new();
    let mut slot: HashMap<&str, usize> = HashMap::new();
    for b in buckets.iter().flatten() {
        let i = *slot.entry(b).or_insert_with(|| {
            counts.push((b.clone(), 0));
            counts.len() - 1
        });
        counts[i].1 += 1;
    }
    let hits: HashMap<String, i64> = store::rate_limit_add_many(&mut **tx, &counts, now, window)
        .await?
        .into_iter()
        .collect();
    let mut left: HashMap<&str, usize> = counts
        .iter()
        .map(|(b, n)| {
            // A bucket the database did not report admits nothing.
            let hits = hits.get(b).copied().unwrap_or(i64::MAX);
            (b.as_str(), within_limit(limit, hits, *n))
        })
        .collect();
    Ok(buckets
        .iter()
        .map(|b| match b.as_deref().and_then(|b| left.get_mut(b)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .collect())
}

/// Rate-limit buckets name accounts by a hash of the address, not the address.
pub(crate) fn bucket(kind: &str, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("{kind}:{}", hex::encode(&digest[..12]))
}

impl Accounts {
    /// Wires the use cases (and starts the recovery intake task on the current runtime).
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        settings: Settings,
        wake_worker: Arc<Notify>,
    ) -> Self {
        let intake = RecoveryIntake::start(
            store.clone(),
            settings.recovery_per_ip_per_hour,
            wake_worker.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                hasher,
                policy,
                settings,
                wake_worker,
                intake,
            }),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The password policy in force.
    pub fn policy(&self) -> &PasswordPolicy {
        &self.inner.policy
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    fn now(&self) -> i64 {
        self.inner.clock.unix()
    }

    fn email_context(&self, to: &str, link: String, valid_for: Duration) -> EmailContext {
        EmailContext {
            product: self.inner.settings.product_name.clone(),
            base_url: self.inner.settings.public_base.clone(),
            link,
            valid_for: words(valid_for),
            email: to.to_owned(),
        }
    }

    async fn enqueue(&self, tx: &mut Tx, to: &str, email: RenderedEmail, now: i64) -> Result<()> {
        store::insert_outbox(&mut **tx, &outbox_email(to, email, now)).await?;
        Ok(())
    }

    fn wake(&self) {
        self.inner.wake_worker.notify_one();
    }

    async fn limited(&self, bucket: &str, window: i64, limit: u32) -> Result<bool> {
        let hits =
            store::rate_limit_peek(self.inner.store.pool(), bucket, self.now(), window).await?;
        Ok(hits >= i64::from(limit))
    }

    async fn hit(&self, bucket: &str, window: i64) -> Result<i64> {
        Ok(store::rate_limit_hit(self.inner.store.pool(), bucket, self.now(), window).await?)
    }

    async fn audit(&self, event: &'static str, account: Option<&str>, ip: &str) -> Result<()> {
        store::audit(
            self.inner.store.pool(),
            self.now(),
            event,
            account,
            Some(ip),
            None,
        )
        .await?;
        Ok(())
    }

    // ------------------------------------------------------------ sign-up

    /// Creates an account and emails a confirmation link. Whether the address was
    /// already registered is never revealed: its owner gets an email instead, and both
    /// paths hash a password and write one transaction.
    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        confirm: Option<&str>,
        ip: &str,
    ) -> Result<()> {
        let email = EmailAddress::parse(email)?;
        if confirm.is_some_and(|c| c != password) {
            return Err(PasswordRejection::Mismatch.into());
        }
        let password = Password::parse_new(password, &self.inner.policy, email.as_str())?;
        let hash = self.inner.hasher.hash(&password).await?;
        let now = self.now();
        let id = store::new_id();
        let mut tx = self.inner.store.begin().await?;
        let created = store::insert_account(
            &mut *tx,
            &id,
            email.as_str(),
            &email.lookup_key(),
            hash.as_str(),
            None,
            now,
        )
        .await?;
        if created {
            let token = SecretToken::generate()?;
            let ttl = self.inner.settings.confirmation_ttl;
            store::insert_token(
                &mut *tx,
                &token.hash(),
                &id,
                TokenPurpose::Confirmation,
                now,
                now + secs(ttl),
            )
            .await?;
            let link = format!(
                "{}/confirm?token={}",
                self.inner.settings.public_base,
                token.expose()
            );
            let mail = templates::confirmation(&self.email_context(email.as_str(), link, ttl))?;
            self.enqueue(&mut tx, email.as_str(), mail, now).await?;
            store::audit(&mut *tx, now, "account_created", Some(&id), Some(ip), None).await?;
        } else if let Some(existing) =
            store::account_by_email(&mut *tx, &email.lookup_key()).await?
        {
            // Mail goes to the stored address, never the typed one.
            let mail = templates::signup_attempt(&self.email_context(
                &existing.email,
                String::new(),
                Duration::ZERO,
            ))?;
            self.enqueue(&mut tx, &existing.email, mail, now).await?;
            store::audit(
                &mut *tx,
                now,
                "signup_with_existing_address",
                Some(&existing.id),
                Some(ip),
                None,
            )
            .await?;
        }
        tx.commit().await?;
        self.wake();
        Ok(())
    }

    /// Whether a confirmation token can still be used (does not use it).
    pub async fn confirmation_is_valid(&self, token: &str, ip: &str) -> Result<bool> {
        self.guard_token_guesses(ip).await?;
        let t = SecretToken::from_client(token);
        let found = store::peek_token(
            self.inner.store.pool(),
            &t.hash(),
            TokenPurpose::Confirmation,
            self.now(),
        )
        .await?;
        if found.is_none() {
            self.hit(&bucket("token-ip", ip), SHORT_WINDOW).await?;
        }
        Ok(found.is_some())
    }

    /// Confirms the address of the account the token was sent for.
    pub async fn confirm(&self, token: &str, ip: &str) -> Result<()> {
        self.guard_token_guesses(ip).await?;
        let t = SecretToken::from_client(token);
        let now = self.now();
        let mut tx = self.inner.store.begin().await?;
        let Some(account_id) =
            store::consume_token(&mut *tx, &t.hash(), TokenPurpose::Confirmation, now).await?
        else {
            tx.rollback().await?;
            self.hit(&bucket("token-ip", ip), SHORT_WINDOW).await?;
            return Err(AccountsError::InvalidToken);
        };
        store::confirm_account(&mut *tx, &account_id, now).await?;
        store::audit(
            &mut *tx,
            now,
            "account_confirmed",
            Some(&account_id),
            Some(ip),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn guard_token_guesses(&self, ip: &str) -> Result<()> {
        if self
            .limited(
                &bucket("token-ip", ip),
                SHORT_WINDOW,
                self.inner.settings.token_guesses_per_ip,
            )
            .await?
        {
            self.audit("token_guesses_rate_limited", None, ip).await?;
            return Err(AccountsError::TooManyAttempts);
        }
        Ok(())
    }

    // ------------------------------------------------------------ sessions

    /// Checks email + password (against a dummy hash when there is no such account, so
    /// both cost the same) and opens a session. Failures are counted per address and per
    /// client; past the limit every attempt is refused for a while, whatever the address.
    pub async fn log_in(
        &self,
        email: &str,
        password: &str,
        kind: SessionKind,
        ip: &str,
    ) -> Result<NewSession> {
        let Ok(email) = EmailAddress::parse(email) else {
            return Err(AccountsError::InvalidCredentials);
        };
        let account_bucket = bucket("login-account", &email.lookup_key());
        let ip_bucket = bucket("login-ip", ip);
        let s = &self.inner.settings;
        if self
            .limited(&account_bucket, SHORT_WINDOW, s.login_failures_per_account)
            .await?
            || self
                .limited(&ip_bucket, SHORT_WINDOW, s.login_failures_per_ip)
                .await?
        {
            self.audit("login_rate_limited", None, ip).await?;
            return Err(AccountsError::TooManyAttempts);
        }
        let account = store::account_by_email(self.inner.store.pool(), &email.lookup_key()).await?;
        let stored = match &account {
            Some(a) => Some(PasswordHash::parse(&a.password_hash)?),
            None => None,
        };
        let password = Password::for_verification(password);
        let verdict = self.inner.hasher.verify(&password, stored.as_ref()).await?;
        let (account, needs_rehash) = match (account, verdict) {
            (Some(a), Verification::Match { needs_rehash }) => (a, needs_rehash),
            (account, _) => {
                self.hit(&account_bucket, SHORT_WINDOW).await?;
                self.hit(&ip_bucket, SHORT_WINDOW).await?;
                self.audit("login_failed", account.as_ref().map(|a| a.id.as_str()), ip)
                    .await?;
                return Err(AccountsError::InvalidCredentials);
            }
        };
        if account.confirmed_at.is_none() {
            return Err(AccountsError::NotConfirmed);
        }
        if needs_rehash {
            let fresh = self.inner.hasher.hash(&password).await?;
            store::set_password_hash(self.inner.store.pool(), &account.id, fresh.as_str(), None)
                .await?;
            self.audit("password_rehashed", Some(&account.id), ip)
                .await?;
        }
        store::rate_limit_reset(self.inner.store.pool(), &account_bucket).await?;
        let now = self.now();
        let mut tx = self.inner.store.begin().await?;
        let session = self.open_session(&mut tx, &account.id, kind, now).await?;
        store::audit(
            &mut *tx,
            now,
            "login_succeeded",
            Some(&account.id),
            Some(ip),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(session)
    }

    async fn open_session(
        &self,
        tx: &mut Tx,
        account_id: &str,
        kind: SessionKind,
        now: i64,
    ) -> Result<NewSession> {
        let token = SecretToken::generate()?;
        let expires_at = now + secs(self.inner.settings.session_ttl);
        store::insert_session(
            &mut **tx,
            &token.hash(),
            account_id,
            kind.as_str(),
            now,
            expires_at,
        )
        .await?;
        Ok(NewSession { token, expires_at })
    }

    /// The account of a live session.
    pub async fn session_account(&self, session: &str) -> Result<Option<AccountRow>> {
        let t = SecretToken::from_client(session);
        Ok(store::session_account(self.inner.store.pool(), &t.hash(), self.now()).await?)
    }

    /// Ends one session.
    pub async fn log_out(&self, session: &str, ip: &str) -> Result<()> {
        let t = SecretToken::from_client(session);
        if let Some(a) =
            store::session_account(self.inner.store.pool(), &t.hash(), self.now()).await?
        {
            store::delete_session(self.inner.store.pool(), &t.hash()).await?;
            self.audit("logged_out", Some(&a.id), ip).await?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ recovery

    /// Accepts a recovery request. The answer and the work are the same for every
    /// address: the request is queued and the delivery worker turns it into a token and
    /// an email, or into nothing. Requests are written in groups (see [`crate::intake`]);
    /// this returns once this one is committed. Past the per-client limit the request is
    /// dropped, still with the same answer.
    pub async fn request_recovery(&self, email: &str, ip: &str) -> Result<()> {
        let email = EmailAddress::parse(email)?;
        let request = store::RecoveryRequest {
            email_lookup: email.lookup_key(),
            client_ip: ip.to_owned(),
            requested_at: self.now(),
        };
        self.inner
            .intake
            .submit(request)
            .await
            .map_err(|e| AccountsError::Internal(anyhow::Error::new(e).context("database")))
    }

    /// Turns queued recovery requests into tokens and emails (run by the worker); returns
    /// how many requests it took. Up to [`RECOVERY_BATCH`] requests are handled in one
    /// transaction with a fixed number of statements (take, look up, count, write), so a
    /// flood costs the single SQLite writer little time per request. The requests are
    /// taken off the queue in the transaction that writes their tokens and emails, so
    /// each is handled once even with several workers.
    pub async fn process_recovery_requests(&self) -> Result<usize> {
        let started = std::time::Instant::now();
        let mut tx = self.inner.store.begin().await?;
        let requests = store::take_recovery_requests(&mut tx, RECOVERY_BATCH).await?;
        if requests.is_empty() {
            tx.rollback().await?;
            return Ok(0);
        }
        let now = self.now();
        let mut lookups: Vec<&str> = requests.iter().map(|r| r.email_lookup.as_str()).collect();
        lookups.sort_unstable();
        lookups.dedup();
        let accounts: HashMap<String, AccountRow> = store::accounts_by_email(&mut *tx, &lookups)
            .await?
            .into_iter()
            .collect();

        // Each account's requests in this batch, counted against its hourly limit at once.
        let buckets: Vec<Option<String>> = requests
            .iter()
            .map(|r| {
                accounts
                    .get(&r.email_lookup)
                    .map(|a| bucket("recovery-account", &a.id))
            })
            .collect();
        let limit = i64::from(self.inner.settings.recovery_per_account_per_hour);
        let admitted = admit(&mut tx, &buckets, limit, now, HOUR).await?;

        let ttl = self.inner.settings.recovery_ttl;
        let (mut tokens, mut emails, mut events) = (Vec::new(), Vec::new(), Vec::new());
        for (r, admitted) in requests.iter().zip(admitted) {
            let ip = Some(r.client_ip.clone());
            let Some(account) = accounts.get(&r.email_lookup) else {
                events.push(audit_event("recovery_requested_unknown_address", None, ip));
                continue;
            };
            let account_id = Some(account.id.clone());
            if !admitted {
                events.push(audit_event("recovery_rate_limited_account", account_id, ip));
                continue;
            }
            let token = SecretToken::generate()?;
            let link = format!(
                "{}/recover?token={}",
                self.inner.settings.public_base,
                token.expose()
            );
            let mail = templates::recovery(&self.email_context(&account.email, link, ttl))?;
            tokens.push(store::NewToken {
                hash: token.hash(),
                account_id: account.id.clone(),
                purpose: TokenPurpose::Recovery,
                created_at: now,
                expires_at: now + secs(ttl),
            });
            // The stored address, never the typed one.
            emails.push(outbox_email(&account.email, mail, now));
            events.push(audit_event("recovery_requested", account_id, ip));
        }
        store::insert_tokens(&mut *tx, &tokens).await?;
        store::insert_outbox_many(&mut *tx, &emails).await?;
        store::audit_many(&mut *tx, now, &events).await?;
        tx.commit().await?;
        metrics::histogram!("portal_recovery_batch_seconds")
            .record(started.elapsed().as_secs_f64());
        if !emails.is_empty() {
            metrics::counter!("portal_recovery_emails_queued_total").increment(emails.len() as u64);
        }
        Ok(requests.len())
    }

    /// The account a recovery token belongs to, if it can still be used. Does not use
    /// the token (mail scanners open links).
    pub async fn check_recovery_token(&self, token: &str, ip: &str) -> Result<AccountRow> {
        self.guard_token_guesses(ip).await?;
        let t = SecretToken::from_client(token);
        let found = match store::peek_token(
            self.inner.store.pool(),
            &t.hash(),
            TokenPurpose::Recovery,
            self.now(),
        )
        .await?
        {
            Some(id) => store::account_by_id(self.inner.store.pool(), &id).await?,
            None => None,
        };
        match found {
            Some(a) => Ok(a),
            None => {
                self.hit(&bucket("token-ip", ip), SHORT_WINDOW).await?;
                self.audit("recovery_token_refused", None, ip).await?;
                Err(AccountsError::InvalidToken)
            }
        }
    }

    /// Sets a new password with a recovery token. The token is used atomically (of two
    /// concurrent completions exactly one succeeds); every other token and every session
    /// of the account end; the owner is notified; nobody is logged in.
    pub async fn complete_recovery(
        &self,
        token: &str,
        new_password: &str,
        confirm: Option<&str>,
        ip: &str,
    ) -> Result<()> {
        let account = self.check_recovery_token(token, ip).await?;
        if confirm.is_some_and(|c| c != new_password) {
            return Err(PasswordRejection::Mismatch.into());
        }
        let password = Password::parse_new(new_password, &self.inner.policy, &account.email)?;
        let hash = self.inner.hasher.hash(&password).await?;
        let t = SecretToken::from_client(token);
        let now = self.now();
        let mut tx = self.inner.store.begin().await?;
        // First statement a write: on SQLite the transaction takes the write lock here.
        let Some(account_id) =
            store::consume_token(&mut *tx, &t.hash(), TokenPurpose::Recovery, now).await?
        else {
            tx.rollback().await?;
            return Err(AccountsError::InvalidToken);
        };
        let Some(account) = store::account_by_id(&mut *tx, &account_id).await? else {
            tx.rollback().await?;
            return Err(AccountsError::InvalidToken);
        };
        self.finish_password_change(&mut tx, &account, &hash, now, ip, "recovery_completed")
            .await?;
        // Opening the emailed link proves the address.
        store::confirm_account(&mut *tx, &account.id, now).await?;
        store::rate_limit_reset(
            &mut *tx,
            &bucket("login-account", &account.email.to_lowercase()),
        )
        .await?;
        tx.commit().await?;
        self.wake();
        Ok(())
    }

    async fn finish_password_change(
        &self,
        tx: &mut Tx,
        account: &AccountRow,
        hash: &PasswordHash,
        now: i64,
        ip: &str,
        event: &'static str,
    ) -> Result<()> {
        store::set_password_hash(&mut **tx, &account.id, hash.as_str(), Some(now)).await?;
        store::revoke_tokens(&mut **tx, &account.id, now).await?;
        let ended = store::delete_sessions_of(&mut **tx, &account.id).await?;
        let mail = templates::password_changed(&self.email_context(
            &account.email,
            String::new(),
            Duration::ZERO,
        ))?;
        self.enqueue(tx, &account.email, mail, now).await?;
        store::audit(&mut **tx, now, event, Some(&account.id), Some(ip), None).await?;
        store::audit(
            &mut **tx,
            now,
            "sessions_revoked",
            Some(&account.id),
            Some(ip),
            Some(&format!("{ended} sessions")),
        )
        .await?;
        Ok(())
    }

    // ------------------------------------------------------------ change

    /// Changes the password of the session's account after checking the current one.
    /// Every session and token of the account end; the caller gets a new session (the
    /// session id rotates); the owner is notified.
    pub async fn change_password(
        &self,
        session: &str,
        current: &str,
        new_password: &str,
        confirm: Option<&str>,
        kind: SessionKind,
        ip: &str,
    ) -> Result<NewSession> {
        let account = self
            .session_account(session)
            .await?
            .ok_or(AccountsError::Unauthenticated)?;
        let account_bucket = bucket("login-account", &account.email.to_lowercase());
        if self
            .limited(
                &account_bucket,
                SHORT_WINDOW,
                self.inner.settings.login_failures_per_account,
            )
            .await?
        {
            return Err(AccountsError::TooManyAttempts);
        }
        if confirm.is_some_and(|c| c != new_password) {
            return Err(PasswordRejection::Mismatch.into());
        }
        let password = Password::parse_new(new_password, &self.inner.policy, &account.email)?;
        let stored = PasswordHash::parse(&account.password_hash)?;
        let verdict = self
            .inner
            .hasher
            .verify(&Password::for_verification(current), Some(&stored))
            .await?;
        if verdict == Verification::Mismatch {
            self.hit(&account_bucket, SHORT_WINDOW).await?;
            self.audit("password_change_refused", Some(&account.id), ip)
                .await?;
            return Err(AccountsError::CurrentPasswordIncorrect);
        }
        let hash = self.inner.hasher.hash(&password).await?;
        let now = self.now();
        let mut tx = self.inner.store.begin().await?;
        self.finish_password_change(&mut tx, &account, &hash, now, ip, "password_changed")
            .await?;
        let session = self.open_session(&mut tx, &account.id, kind, now).await?;
        tx.commit().await?;
        self.wake();
        Ok(session)
    }

    // ------------------------------------------------------------ seeding

    /// Creates a confirmed account unless the address exists (demo data). The password
    /// is not checked against the policy: fixtures are trusted.
    pub async fn seed(&self, email: &str, password: &str) -> Result<bool> {
        let email = EmailAddress::parse(email)?;
        if store::account_by_email(self.inner.store.pool(), &email.lookup_key())
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let hash = self
            .inner
            .hasher
            .hash(&Password::for_verification(password))
            .await?;
        let now = self.now();
        Ok(store::insert_account(
            self.inner.store.pool(),
            &store::new_id(),
            email.as_str(),
            &email.lookup_key(),
            hash.as_str(),
            Some(now),
            now,
        )
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_cut_where_the_limit_falls() {
        // Nothing before, 3 arrive, limit 10: all pass.
        assert_eq!(within_limit(10, 3, 3), 3);
        // 8 before, 5 arrive, limit 10: the 9th and 10th pass.
        assert_eq!(within_limit(10, 13, 5), 2);
        // Already at the limit: none.
        assert_eq!(within_limit(10, 14, 4), 0);
        // Exactly reaching it: all.
        assert_eq!(within_limit(10, 10, 4), 4);
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(words(Duration::from_secs(1800)), "30 minutes");
        assert_eq!(words(Duration::from_secs(3600)), "1 hour");
        assert_eq!(words(Duration::from_secs(86400)), "24 hours");
        assert_eq!(words(Duration::from_secs(2 * 86400)), "2 days");
    }

    #[test]
    fn buckets_do_not_contain_the_address() {
        let b = bucket("login-account", "alice@example.com");
        assert!(!b.contains("alice"));
        assert!(b.starts_with("login-account:"));
    }
}
