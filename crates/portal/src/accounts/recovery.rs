//! The forgot-password journey: the request (queued, the same for every address) and
//! its completion with the emailed token.

use std::net::IpAddr;

use super::{Account, Accounts, AccountsError, Result};
use crate::audit::Event;
use crate::domain::{EmailAddress, Password, PasswordRejection, SecretToken};
use crate::limits::Bucket;
use crate::store::{self, TokenPurpose};

impl Accounts {
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

    /// The account a recovery token belongs to, if it can still be used. Does not use
    /// the token (mail scanners open links).
    pub async fn check_recovery_token(&self, token: &str, ip: IpAddr) -> Result<Account> {
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
                Ok(Account::from(a))
            }
            None => {
                self.audit(Event::RecoveryTokenRefused, None, ip).await?;
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
        self.finish_password_change(&mut tx, &account, &hash, now, ip, Event::RecoveryCompleted)
            .await?;
        // Opening the emailed link proves the address.
        store::confirm_account(&mut *tx, &account.id, now).await?;
        // The owner proved they read the mailbox: failures counted against the account
        // no longer matter.
        store::rate_limit_reset(
            &mut *tx,
            &Bucket::LoginAccount(account.email_lookup.clone()).key(),
        )
        .await?;
        tx.commit().await?;
        self.wake();
        Ok(())
    }
}
