//! Password change, and what every new password brings about (tokens and sessions end,
//! the owner is told).

use std::net::IpAddr;
use std::time::Duration;

use super::{Accounts, AccountsError, Client, NewSession, Result, SessionKind};
use crate::audit::Event;
use crate::domain::{Password, PasswordHash, PasswordRejection};
use crate::hashing::Verification;
use crate::mail::templates;
use crate::store::{self, AccountRow, Tx};

impl Accounts {
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
            .session_row(session)
            .await?
            .ok_or(AccountsError::Unauthenticated)?;
        if confirm.is_some_and(|c| c != new_password) {
            return Err(PasswordRejection::Mismatch.into());
        }
        let password = Password::parse_new(new_password, &self.inner.policy, &account.email)?;
        // Guesses of the current password share the log-in budget, taken before checking.
        let (budget, _) = self.password_budget(&account.email_lookup, Some(&account), device, ip);
        self.take(&budget, ip, Event::PasswordChangeRateLimited)
            .await?;
        let stored = PasswordHash::parse(&account.password_hash)?;
        let verdict = self
            .inner
            .hasher
            .verify(&Password::for_verification(current), Some(&stored))
            .await?;
        if verdict == Verification::Mismatch {
            self.audit(Event::PasswordChangeRefused, Some(&account.id), ip)
                .await?;
            return Err(AccountsError::CurrentPasswordIncorrect);
        }
        self.give_back(&budget).await?;
        let hash = self.inner.hasher.hash(&password).await?;
        let now = self.now();
        let mut tx = self.inner.store.begin().await?;
        self.finish_password_change(&mut tx, &account, &hash, now, ip, Event::PasswordChanged)
            .await?;
        let session = self.open_session(&mut tx, &account.id, kind, now).await?;
        tx.commit().await?;
        self.wake();
        Ok(session)
    }

    pub(super) async fn finish_password_change(
        &self,
        tx: &mut Tx,
        account: &AccountRow,
        hash: &PasswordHash,
        now: i64,
        ip: IpAddr,
        event: Event,
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
            self.language_of(account),
        ))?;
        self.enqueue(tx, &account.email, mail, now).await?;
        store::audit(&mut **tx, now, event, Some(&account.id), Some(ip), None).await?;
        store::audit(
            &mut **tx,
            now,
            Event::SessionsRevoked,
            Some(&account.id),
            Some(ip),
            Some(&format!("{ended} sessions")),
        )
        .await?;
        Ok(())
    }
}
