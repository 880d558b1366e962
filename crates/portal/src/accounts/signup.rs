//! Sign-up, address confirmation, and demo accounts.

use std::net::IpAddr;
use std::time::Duration;

use super::{Accounts, AccountsError, Result};
use crate::audit::Event;
use crate::domain::{EmailAddress, Password, PasswordRejection, SecretToken};
use crate::i18n::Lang;
use crate::limits::{Bucket, ClientKey};
use crate::mail::templates;
use crate::settings::secs;
use crate::store::{self, NewAccount, TokenPurpose};

impl Accounts {
    // ------------------------------------------------------------ sign-up

    /// Creates an account and emails a confirmation link. Whether the address was
    /// already registered is never revealed: its owner gets an email instead, and both
    /// paths hash a password and write one transaction.
    ///
    /// Limits, both answered like any other sign-up: sign-ups per client (taken before
    /// the password is hashed; past it nothing is done), and emails per address (past
    /// it no email).
    ///
    /// `lang` (the language the person signs up in) becomes the new account's email
    /// language; an existing account's owner is written to in their own.
    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        confirm: Option<&str>,
        ip: IpAddr,
        lang: Lang,
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
                Event::SignupRateLimitedIp,
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
        let created = store::insert_account(
            &mut *tx,
            NewAccount {
                id: &id,
                email: email.as_str(),
                email_lookup: &email.lookup_key(),
                password_hash: hash.as_str(),
                confirmed_at: None,
                language: Some(lang.code()),
            },
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
            let mail =
                templates::confirmation(&self.email_context(email.as_str(), link, ttl, lang))?;
            self.enqueue(&mut tx, email.as_str(), mail, now).await?;
            store::audit(
                &mut *tx,
                now,
                Event::AccountCreated,
                Some(&id),
                Some(ip),
                None,
            )
            .await?;
        } else if let Some(existing) =
            store::account_by_email(&mut *tx, &email.lookup_key()).await?
        {
            // "Someone tried to sign up with your address" emails count against the
            // address's hourly budget; the account's own confirmation does not.
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
            let event = if mailed {
                // Mail goes to the stored address, never the typed one.
                let mail = templates::signup_attempt(&self.email_context(
                    &existing.email,
                    String::new(),
                    Duration::ZERO,
                    self.language_of(&existing),
                ))?;
                self.enqueue(&mut tx, &existing.email, mail, now).await?;
                Event::SignupWithExistingAddress
            } else {
                Event::SignupRateLimitedAddress
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
            Event::AccountConfirmed,
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
    pub(super) async fn take_token_guess(&self, ip: IpAddr) -> Result<[Bucket; 1]> {
        let guess = [Bucket::TokenGuessClient(ClientKey::of(ip))];
        self.take(&guess, ip, Event::TokenGuessesRateLimited)
            .await?;
        Ok(guess)
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
            NewAccount {
                id: &store::new_id(),
                email: email.as_str(),
                email_lookup: &email.lookup_key(),
                password_hash: hash.as_str(),
                confirmed_at: Some(now),
                language: None,
            },
            now,
        )
        .await?)
    }
}
