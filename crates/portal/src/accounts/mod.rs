//! The use cases behind both the HTML pages and the JSON API: sign-up, confirmation,
//! log-in/out, password recovery and password change. Every security rule that is not
//! about HTTP (see ARCHITECTURE.md, "Invariants") lives here, so both front ends get it.
//! One file per journey: [`signup`] (sign-up, confirmation, demo accounts), [`session`]
//! (log-in, sessions, log-out), [`recovery`] (the forgot-password journey), [`change`]
//! (password change, and what every new password brings about).

mod change;
mod recovery;
mod session;
mod signup;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::audit::Event;
use crate::clock::Clock;
use crate::domain::{EmailError, HashError, PasswordPolicy, PasswordRejection, SecretToken};
use crate::hashing::PasswordHasher;
use crate::i18n::Lang;
use crate::keys::Keys;
use crate::limits::{Bucket, ClientKey, Limits};
use crate::mail::templates::{EmailContext, RenderedEmail};
use crate::recovery::RecoveryIntake;
pub use crate::settings::Settings;
use crate::store::{self, AccountRow, Store, Tx};

/// Why a use case did not go through. Each variant is one thing the user should be told
/// (the web layer words it in the reader's language, `web::texts`); `Display` is for
/// logs.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// Wrong email or password (the same answer whether the account exists or not, and
    /// for an account whose address is not confirmed yet).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A rate limit was hit.
    #[error("too many attempts")]
    TooManyAttempts,
    /// A recovery or confirmation token that is unknown, used or expired.
    #[error("invalid, used or expired token")]
    InvalidToken,
    /// The new password breaks the policy.
    #[error("{0}")]
    Rejected(#[from] PasswordRejection),
    /// The email address is not valid.
    #[error("{0}")]
    InvalidEmail(#[from] EmailError),
    /// The current password given for a change is wrong.
    #[error("current password incorrect")]
    CurrentPasswordIncorrect,
    /// No live session.
    #[error("no live session")]
    Unauthenticated,
    /// Too much work queued (password hashing): try again in a moment.
    #[error("password hashing queue full")]
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

/// An account as the front ends see it: never its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Account id.
    pub id: String,
    /// The address as registered (where mail goes).
    pub email: String,
    /// When the address was confirmed, Unix seconds.
    pub confirmed_at: Option<i64>,
    /// When the account was created, Unix seconds.
    pub created_at: i64,
    /// When the password last changed, Unix seconds.
    pub password_changed_at: i64,
    /// The language chosen for its emails (a code), if any.
    pub language: Option<String>,
}

impl From<AccountRow> for Account {
    fn from(row: AccountRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            confirmed_at: row.confirmed_at,
            created_at: row.created_at,
            password_changed_at: row.password_changed_at,
            language: row.language,
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
    /// The device token of this browser or app for the account (the one it sent, or a
    /// new one): sent back on later log-ins, it gives the client its own failure budget.
    pub device_token: Option<String>,
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

    /// The context of an email in `lang` to `to`.
    fn email_context(
        &self,
        to: &str,
        link: String,
        valid_for: Duration,
        lang: Lang,
    ) -> EmailContext {
        EmailContext::new(&self.inner.settings, to, link, valid_for, lang)
    }

    /// The language of an account's emails: the one it chose, or the default.
    fn language_of(&self, account: &AccountRow) -> Lang {
        self.inner
            .settings
            .languages
            .of_account(account.language.as_deref())
    }

    /// Sets the language of the session's account's emails.
    pub async fn set_language(&self, session: &str, lang: Lang) -> Result<()> {
        let account = self
            .session_row(session)
            .await?
            .ok_or(AccountsError::Unauthenticated)?;
        store::set_account_language(self.inner.store.pool(), &account.id, lang.code()).await?;
        Ok(())
    }

    async fn enqueue(&self, tx: &mut Tx, to: &str, email: RenderedEmail, now: i64) -> Result<()> {
        store::insert_outbox(&mut **tx, &email.into_outbox(to, now)).await?;
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
    async fn take(&self, buckets: &[Bucket], ip: IpAddr, refused: Event) -> Result<()> {
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

    async fn audit(&self, event: Event, account: Option<&str>, ip: IpAddr) -> Result<()> {
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
}
