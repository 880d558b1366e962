//! Log-in (with device trust and limits taken before the check), sessions, log-out.

use std::net::IpAddr;

use super::{Account, Accounts, AccountsError, Client, NewSession, Result, SessionKind};
use crate::audit::Event;
use crate::domain::{EmailAddress, Password, PasswordHash, SecretToken};
use crate::hashing::Verification;
use crate::settings::secs;
use crate::store::{self, AccountRow, Tx};

/// How often, at most, a session's last use is written: once a minute, or more often
/// when the idle timeout is short, so that use always keeps a session alive.
fn touch_every(idle_timeout: i64) -> i64 {
    (idle_timeout / 4).clamp(0, 60)
}

impl Accounts {
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
        self.take(&budget, ip, Event::LoginRateLimited).await?;
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
                self.audit(Event::LoginRefusedUnconfirmed, Some(&a.id), ip)
                    .await?;
                return Err(AccountsError::InvalidCredentials);
            }
            (account, _) => {
                self.audit(
                    Event::LoginFailed,
                    account.as_ref().map(|a| a.id.as_str()),
                    ip,
                )
                .await?;
                return Err(AccountsError::InvalidCredentials);
            }
        };
        self.give_back(&budget).await?;
        if needs_rehash {
            let fresh = self.inner.hasher.hash(&password).await?;
            store::set_password_hash(self.inner.store.pool(), &account.id, fresh.as_str(), None)
                .await?;
            self.audit(Event::PasswordRehashed, Some(&account.id), ip)
                .await?;
        }
        let now = self.now();
        let mut tx = self.inner.store.begin().await?;
        let mut session = self.open_session(&mut tx, &account.id, kind, now).await?;
        store::audit(
            &mut *tx,
            now,
            Event::LoginSucceeded,
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

    pub(super) async fn open_session(
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
    pub async fn session_account(&self, session: &str) -> Result<Option<Account>> {
        Ok(self.session_row(session).await?.map(Account::from))
    }

    /// [`Accounts::session_account`] with the stored row (password hash included), for
    /// the use cases that check the password.
    pub(super) async fn session_row(&self, session: &str) -> Result<Option<AccountRow>> {
        let t = SecretToken::from_client(session);
        let now = self.now();
        let idle_since = now - secs(self.inner.settings.session_idle_timeout);
        let account =
            store::session_account(self.inner.store.pool(), &t.hash(), now, idle_since).await?;
        if account.is_some() {
            let every = touch_every(secs(self.inner.settings.session_idle_timeout));
            store::touch_session(self.inner.store.pool(), &t.hash(), now, every).await?;
        }
        Ok(account)
    }

    /// Ends one session.
    pub async fn log_out(&self, session: &str, ip: IpAddr) -> Result<()> {
        let t = SecretToken::from_client(session);
        if let Some(a) = self.session_account(session).await? {
            store::delete_session(self.inner.store.pool(), &t.hash()).await?;
            self.audit(Event::LoggedOut, Some(&a.id), ip).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_idle_timeout_is_refreshed_often_enough() {
        assert_eq!(touch_every(30 * 60), 60);
        assert_eq!(touch_every(20), 5);
        assert_eq!(touch_every(2), 0);
    }
}
