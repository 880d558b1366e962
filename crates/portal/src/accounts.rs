//! The use cases behind both the HTML pages and the JSON API: sign-up, confirmation,
//! log-in/out, password recovery and password change. Every security rule that is not
//! about HTTP (see ARCHITECTURE.md, "Invariants") lives here, so both front ends get it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::domain::{
    EmailAddress, EmailError, HashError, Password, PasswordHash, PasswordHasher, PasswordPolicy,
    PasswordRejection, SecretToken, Verification,
};
use crate::intake::RecoveryIntake;
use crate::keys::Keys;
use crate::limits::{Bucket, ClientKey, Limits};
use crate::mail::templates::{self, EmailContext, RenderedEmail};
use crate::store::{self, AccountRow, Store, TokenPurpose, Tx};

/// How often a session's last use is written (idle timeout granularity), seconds.
const TOUCH_EVERY: i64 = 60;
/// Recovery requests the delivery worker turns into emails per transaction.
const RECOVERY_BATCH: i64 = 32;

/// Why a use case did not go through. Each variant says what the user should see.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// Wrong email or password (the same answer whether the account exists or not, and
    /// for an account whose address is not confirmed yet).
    #[error(
        "The email or password is incorrect. If you just created your account, open the confirmation link we sent you first."
    )]
    InvalidCredentials,
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
    /// Too much work queued (password hashing): try again in a moment.
    #[error("The service is busy. Try again in a moment.")]
    Busy,
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
        match e {
            HashError::Busy => Self::Busy,
            e => Self::Internal(anyhow::Error::new(e)),
        }
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

/// Who is asking to check a password: the client's address and the device token it
/// sent, if any (a cookie or the `X-Device-Token` header).
#[derive(Clone, Copy)]
pub struct Client<'a> {
    /// The client's address (see `web::ClientIp`).
    pub ip: IpAddr,
    /// The device token it sent.
    pub device: Option<&'a str>,
}

/// A new session: the secret goes to the client once, only its hash is stored.
#[derive(Debug)]
pub struct NewSession {
    /// The session id / bearer token.
    pub token: SecretToken,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// The device token of this browser or app for the account (the one it sent, or a
    /// new one): sent back on later log-ins, it gives the client its own failure budget.
    pub device_token: Option<String>,
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
    /// A session unused for this long ends.
    pub session_idle_timeout: Duration,
    /// Unconfirmed accounts older than this are deleted.
    pub unconfirmed_account_ttl: Duration,
    /// Every rate limit.
    pub limits: Limits,
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
    keys: Keys,
    wake_worker: Arc<Notify>,
    intake: RecoveryIntake,
}

pub(crate) fn audit_event(
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

/// The lookup key of a stored address (the address is stored normalised, so this is
/// the key it was registered under).
fn lookup_of(stored_email: &str) -> String {
    EmailAddress::parse(stored_email)
        .map_or_else(|_| stored_email.to_lowercase(), |e| e.lookup_key())
}

impl Accounts {
    /// Wires the use cases (and starts the recovery intake task on the current runtime).
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        settings: Settings,
        keys: Keys,
        wake_worker: Arc<Notify>,
    ) -> Self {
        let intake =
            RecoveryIntake::start(store.clone(), settings.limits.clone(), wake_worker.clone());
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                hasher,
                policy,
                settings,
                keys,
                wake_worker,
                intake,
            }),
        }
    }

    /// The keys derived from the server secret (CSRF tokens, device tokens).
    pub fn keys(&self) -> &Keys {
        &self.inner.keys
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

    fn limits(&self) -> &Limits {
        &self.inner.settings.limits
    }

    /// Takes an attempt from each bucket before the work it guards; `TooManyAttempts`
    /// (and an audit event) when one of them is spent.
    async fn take(&self, buckets: &[Bucket], ip: IpAddr, refused: &'static str) -> Result<()> {
        if self
            .limits()
            .take(&self.inner.store, buckets, self.now())
            .await?
        {
            Ok(())
        } else {
            self.audit(refused, None, ip).await?;
            Err(AccountsError::TooManyAttempts)
        }
    }

    async fn give_back(&self, buckets: &[Bucket]) -> Result<()> {
        Ok(self
            .limits()
            .give_back(&self.inner.store, buckets, self.now())
            .await?)
    }

    async fn audit(&self, event: &'static str, account: Option<&str>, ip: IpAddr) -> Result<()> {
        store::audit(
            self.inner.store.pool(),
            self.now(),
            event,
            account,
            Some(&ip.to_string()),
            None,
        )
        .await?;
        Ok(())
    }

    /// The budget a password check is taken from: a trusted device's own, or the
    /// account's and the client's shared ones. `device` is the token the client sent.
    fn password_budget(
        &self,
        lookup: &str,
        account: Option<&AccountRow>,
        device: Option<&str>,
        ip: IpAddr,
    ) -> (Vec<Bucket>, Option<String>) {
        let trusted = device
            .and_then(|t| self.inner.keys.verify_device(t))
            .filter(|d| account.is_some_and(|a| a.id == d.account_id));
        match trusted {
            Some(d) => (
                vec![Bucket::LoginDevice(d.id)],
                device.map(|t| t.trim().to_owned()),
            ),
            None => (
                vec![
                    Bucket::LoginAccount(lookup.to_owned()),
                    Bucket::LoginClient(ClientKey::of(ip)),
                ],
                None,
            ),
        }
    }

    // ------------------------------------------------------------ sign-up

    /// Creates an account and emails a confirmation link. Whether the address was
    /// already registered is never revealed: its owner gets an email instead, and both
    /// paths hash a password and write one transaction.
    ///
    /// Limits, both answered like any other sign-up: sign-ups per client (taken before
    /// the password is hashed; past it nothing is done), and emails per address (past
    /// it no email).
    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        confirm: Option<&str>,
        ip: IpAddr,
    ) -> Result<()> {
        let email = EmailAddress::parse(email)?;
        if confirm.is_some_and(|c| c != password) {
            return Err(PasswordRejection::Mismatch.into());
        }
        let password = Password::parse_new(password, &self.inner.policy, email.as_str())?;
        // Past the client's limit the sign-up is dropped before any hashing, with the
        // same answer (as a recovery request past its limit).
        match self
            .take(
                &[Bucket::SignupClient(ClientKey::of(ip))],
                ip,
                "signup_rate_limited_ip",
            )
            .await
        {
            Err(AccountsError::TooManyAttempts) => return Ok(()),
            taken => taken?,
        }
        let hash = self.inner.hasher.hash(&password).await?;
        let now = self.now();
        let ip_text = ip.to_string();
        let ip = ip_text.as_str();
        let id = store::new_id();
        let mut tx = self.inner.store.begin().await?;
        // An address left unconfirmed past its time is free again, now (the worker also
        // purges them, later).
        store::delete_stale_unconfirmed(
            &mut tx,
            &email.lookup_key(),
            now - secs(self.inner.settings.unconfirmed_account_ttl),
        )
        .await?;
        let mailed = self
            .limits()
            .admit(
                &mut tx,
                &[Some(Bucket::SignupAddress(email.lookup_key()))],
                now,
            )
            .await?
            .first()
            .copied()
            .unwrap_or(false);
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
            let event = if mailed {
                // Mail goes to the stored address, never the typed one.
                let mail = templates::signup_attempt(&self.email_context(
                    &existing.email,
                    String::new(),
                    Duration::ZERO,
                ))?;
                self.enqueue(&mut tx, &existing.email, mail, now).await?;
                "signup_with_existing_address"
            } else {
                "signup_rate_limited_address"
            };
            store::audit(&mut *tx, now, event, Some(&existing.id), Some(ip), None).await?;
        }
        tx.commit().await?;
        self.wake();
        Ok(())
    }

    /// Whether a confirmation token can still be used (does not use it).
    pub async fn confirmation_is_valid(&self, token: &str, ip: IpAddr) -> Result<bool> {
        let guess = self.take_token_guess(ip).await?;
        let t = SecretToken::from_client(token);
        let found = store::peek_token(
            self.inner.store.pool(),
            &t.hash(),
            TokenPurpose::Confirmation,
            self.now(),
        )
        .await?;
        if found.is_some() {
            self.give_back(&guess).await?;
        }
        Ok(found.is_some())
    }

    /// Confirms the address of the account the token was sent for.
    pub async fn confirm(&self, token: &str, ip: IpAddr) -> Result<()> {
        let guess = self.take_token_guess(ip).await?;
        let t = SecretToken::from_client(token);
        let now = self.now();
        let mut tx = self.inner.store.begin().await?;
        let Some(account_id) =
            store::consume_token(&mut *tx, &t.hash(), TokenPurpose::Confirmation, now).await?
        else {
            tx.rollback().await?;
            return Err(AccountsError::InvalidToken);
        };
        store::confirm_account(&mut *tx, &account_id, now).await?;
        store::audit(
            &mut *tx,
            now,
            "account_confirmed",
            Some(&account_id),
            Some(&ip.to_string()),
            None,
        )
        .await?;
        tx.commit().await?;
        self.give_back(&guess).await?;
        Ok(())
    }

    /// Takes a token guess from the client's budget (given back when the token is good).
    async fn take_token_guess(&self, ip: IpAddr) -> Result<[Bucket; 1]> {
        let guess = [Bucket::TokenGuessClient(ClientKey::of(ip))];
        self.take(&guess, ip, "token_guesses_rate_limited").await?;
        Ok(guess)
    }

    // ------------------------------------------------------------ sessions

    /// Checks email + password (against a dummy hash when there is no such account, so
    /// both cost the same) and opens a session.
    ///
    /// The attempt is taken from its budget *before* the hash is verified and given back
    /// only on success, so no number of concurrent requests gets more guesses than the
    /// limit. The budget is the trusted device's own when the client sends a valid
    /// device token of this account (`device`), so failures from elsewhere never lock
    /// the owner out; otherwise the account's and the client's shared ones. A right
    /// password for an account whose address is not confirmed yet is answered exactly
    /// like a wrong one (and counted like one), so log-in cannot tell whether a sign-up
    /// created the account.
    pub async fn log_in(
        &self,
        email: &str,
        password: &str,
        kind: SessionKind,
        client: Client<'_>,
    ) -> Result<NewSession> {
        let Client { ip, device } = client;
        let Ok(email) = EmailAddress::parse(email) else {
            return Err(AccountsError::InvalidCredentials);
        };
        let account = store::account_by_email(self.inner.store.pool(), &email.lookup_key()).await?;
        let (budget, trusted_device) =
            self.password_budget(&email.lookup_key(), account.as_ref(), device, ip);
        self.take(&budget, ip, "login_rate_limited").await?;
        let stored = match &account {
            Some(a) => Some(PasswordHash::parse(&a.password_hash)?),
            None => None,
        };
        let password = Password::for_verification(password);
        let verdict = match self.inner.hasher.verify(&password, stored.as_ref()).await {
            Ok(v) => v,
            Err(e) => {
                // Nothing was checked (e.g. the hashing queue is full): no guess was spent.
                self.give_back(&budget).await?;
                return Err(e.into());
            }
        };
        let (account, needs_rehash) = match (account, verdict) {
            (Some(a), Verification::Match { needs_rehash }) if a.confirmed_at.is_some() => {
                (a, needs_rehash)
            }
            (Some(a), Verification::Match { .. }) => {
                self.audit("login_refused_unconfirmed", Some(&a.id), ip)
                    .await?;
                return Err(AccountsError::InvalidCredentials);
            }
            (account, _) => {
                self.audit("login_failed", account.as_ref().map(|a| a.id.as_str()), ip)
                    .await?;
                return Err(AccountsError::InvalidCredentials);
            }
        };
        self.give_back(&budget).await?;
        if needs_rehash {
            let fresh = self.inner.hasher.hash(&password).await?;
            store::set_password_hash(self.inner.store.pool(), &account.id, fresh.as_str(), None)
                .await?;
            self.audit("password_rehashed", Some(&account.id), ip)
                .await?;
        }
        let now = self.now();
        let mut tx = self.inner.store.begin().await?;
        let mut session = self.open_session(&mut tx, &account.id, kind, now).await?;
        store::audit(
            &mut *tx,
            now,
            "login_succeeded",
            Some(&account.id),
            Some(&ip.to_string()),
            trusted_device.is_some().then_some("trusted device"),
        )
        .await?;
        tx.commit().await?;
        session.device_token =
            Some(trusted_device.unwrap_or_else(|| self.inner.keys.issue_device(&account.id)));
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
        Ok(NewSession {
            token,
            expires_at,
            device_token: None,
        })
    }

    /// The account of a live session (not expired, not idle for longer than the idle
    /// timeout); using it keeps it alive.
    pub async fn session_account(&self, session: &str) -> Result<Option<AccountRow>> {
        let t = SecretToken::from_client(session);
        let now = self.now();
        let idle_since = now - secs(self.inner.settings.session_idle_timeout);
        let account =
            store::session_account(self.inner.store.pool(), &t.hash(), now, idle_since).await?;
        if account.is_some() {
            store::touch_session(self.inner.store.pool(), &t.hash(), now, TOUCH_EVERY).await?;
        }
        Ok(account)
    }

    /// Ends one session.
    pub async fn log_out(&self, session: &str, ip: IpAddr) -> Result<()> {
        let t = SecretToken::from_client(session);
        if let Some(a) = self.session_account(session).await? {
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
    pub async fn request_recovery(&self, email: &str, ip: IpAddr) -> Result<()> {
        let email = EmailAddress::parse(email)?;
        let request = store::RecoveryRequest {
            email_lookup: email.lookup_key(),
            client_ip: ip.to_string(),
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
        let buckets: Vec<Option<Bucket>> = requests
            .iter()
            .map(|r| {
                accounts
                    .get(&r.email_lookup)
                    .map(|a| Bucket::RecoveryAccount(a.id.clone()))
            })
            .collect();
        let admitted = self.limits().admit(&mut tx, &buckets, now).await?;

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
    pub async fn check_recovery_token(&self, token: &str, ip: IpAddr) -> Result<AccountRow> {
        let guess = self.take_token_guess(ip).await?;
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
            Some(a) => {
                self.give_back(&guess).await?;
                Ok(a)
            }
            None => {
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
        ip: IpAddr,
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
        // The owner proved they read the mailbox: failures counted against the account
        // no longer matter.
        store::rate_limit_reset(
            &mut *tx,
            &Bucket::LoginAccount(lookup_of(&account.email)).key(),
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
        ip: IpAddr,
        event: &'static str,
    ) -> Result<()> {
        let ip_text = ip.to_string();
        let ip = ip_text.as_str();
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
        client: Client<'_>,
    ) -> Result<NewSession> {
        let Client { ip, device } = client;
        let account = self
            .session_account(session)
            .await?
            .ok_or(AccountsError::Unauthenticated)?;
        if confirm.is_some_and(|c| c != new_password) {
            return Err(PasswordRejection::Mismatch.into());
        }
        let password = Password::parse_new(new_password, &self.inner.policy, &account.email)?;
        // Guesses of the current password share the log-in budget, taken before checking.
        let (budget, _) =
            self.password_budget(&lookup_of(&account.email), Some(&account), device, ip);
        self.take(&budget, ip, "password_change_rate_limited")
            .await?;
        let stored = PasswordHash::parse(&account.password_hash)?;
        let verdict = self
            .inner
            .hasher
            .verify(&Password::for_verification(current), Some(&stored))
            .await?;
        if verdict == Verification::Mismatch {
            self.audit("password_change_refused", Some(&account.id), ip)
                .await?;
            return Err(AccountsError::CurrentPasswordIncorrect);
        }
        self.give_back(&budget).await?;
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
    fn durations_read_as_words() {
        assert_eq!(words(Duration::from_secs(1800)), "30 minutes");
        assert_eq!(words(Duration::from_secs(3600)), "1 hour");
        assert_eq!(words(Duration::from_secs(86400)), "24 hours");
        assert_eq!(words(Duration::from_secs(2 * 86400)), "2 days");
    }
}
