//! What arrives in the mailbox, and what must not: recovery, confirmation and
//! notification emails, whom they are addressed to, where their links lead and which
//! secrets they must not hold.

use anyhow::{Context as _, ensure};
use mailsink::Message;
use url::Url;

use super::PortalWorld;
use crate::mail;

/// The kinds of email the scenarios wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MailKind {
    /// A recovery email: it links to the profile's `paths.recovery_link`.
    Recovery,
    /// An account confirmation: it links to `paths.confirmation_link`.
    Confirmation,
    /// A notification: neither of those links.
    Notification,
    /// "Someone tried to sign up with your email address": its subject has the
    /// profile's `sign_up_attempt_subject`.
    SignUpAttempt,
}

impl PortalWorld {
    /// The words (sink search syntax) that pick emails of `kind` on this target.
    pub(super) fn mail_words(&self, kind: MailKind) -> String {
        let paths = &self.profile().paths;
        match kind {
            MailKind::Recovery => paths.recovery_link.clone(),
            MailKind::Confirmation => paths.confirmation_link.clone(),
            MailKind::Notification => {
                format!("-{} -{}", paths.recovery_link, paths.confirmation_link)
            }
            MailKind::SignUpAttempt => format!(
                "subject:\"{}\"",
                self.words
                    .sign_up_attempt_subject
                    .as_deref()
                    .unwrap_or("someone tried to sign up")
                    .replace('"', " ")
            ),
        }
    }
}

impl PortalWorld {
    /// Waits for the next recovery email to the account and keeps its link.
    pub async fn recovery_email_arrives(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        let external = self.target.stack().is_none();
        let words = self.mail_words(MailKind::Recovery);
        let msg = match self.mailbox.next(&email, &words).await {
            Ok(msg) => msg,
            Err(e) if external => {
                return Err(e.context(
                    "a deployed portal answers the same when a rate limit drops the request: \
                     check PORTAL_RECOVERY_PER_IP_PER_HOUR on the target (the suite sends about \
                     30 recovery requests per run from one address)",
                ));
            }
            Err(e) => return Err(e),
        };
        let link = mail::link_to(&msg, &self.profile().paths.recovery_link)?;
        ensure!(
            msg.to
                .iter()
                .any(|a| a.address.eq_ignore_ascii_case(&email)),
            "the recovery email is addressed to {:?}, not to {email}",
            msg.to
        );
        self.recovery_links.push(link.clone());
        self.current_link = Some(link);
        self.recovery_email = Some(msg);
        Ok(())
    }

    /// The last recovery email is written in the scenario's language (its HTML says so
    /// in `<html lang>`).
    pub fn recovery_email_is_in_my_language(&self) -> anyhow::Result<()> {
        let msg = self
            .recovery_email
            .as_ref()
            .context("no recovery email was received")?;
        let lang = format!("<html lang=\"{}\"", self.words.code);
        ensure!(
            msg.html.contains(&lang),
            "the recovery email is not in the language of the feature ({}): subject {:?}",
            self.words.code,
            msg.subject
        );
        Ok(())
    }

    /// A confirmation email (not "someone tried to sign up") reaches the account.
    pub async fn confirmation_email_to_account(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        self.confirmation_email_arrives(&email).await
    }

    /// Some email (not a recovery or confirmation) arrives for the account.
    pub async fn notification_arrives(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        let words = self.mail_words(MailKind::Notification);
        let msg = self.mailbox.next(&email, &words).await?;
        self.notification_email = Some(msg);
        Ok(())
    }

    // ----- what must not come -------------------------------------------------------------

    /// No email reached the address that has no account. Run after an email to the real
    /// account (sent later, through the same outbox) has arrived.
    pub async fn no_email_to_unknown(&mut self) -> anyhow::Result<()> {
        let unknown = self
            .unknown_email
            .clone()
            .context("no unknown address was used")?;
        self.mailbox.none(&unknown, "").await
    }

    /// No recovery email reached the account (yet).
    pub async fn no_recovery_email(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        let words = self.mail_words(MailKind::Recovery);
        self.mailbox.none(&email, &words).await
    }

    /// The portal tried to send while the mail server was down (each outage rule was
    /// applied: a refused attempt), and no recovery email got through: the outage was
    /// really exercised, not merely not yet reached.
    pub async fn no_recovery_email_while_down(&mut self) -> anyhow::Result<()> {
        if self.outage_rules.is_empty() {
            anyhow::bail!(
                "the mail server is not down: say \"Given the mail server is down\" first"
            );
        }
        for id in &self.outage_rules {
            self.mailbox.fault_applied(id).await?;
        }
        self.no_recovery_email().await
    }

    /// No email at all (read ones aside) reaches the account's address.
    pub async fn no_email_to_account(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        self.mailbox.none(&email, "").await
    }

    /// Exactly `n` recovery emails arrive, and no more.
    pub async fn exactly_n_recovery_emails(&mut self, n: usize) -> anyhow::Result<()> {
        let words = self.mail_words(MailKind::Recovery);
        self.exactly_n_emails(n, &words, "recovery email").await
    }

    /// Exactly `n` "someone tried to sign up" emails arrive, and no more.
    pub async fn exactly_n_signup_attempt_emails(&mut self, n: usize) -> anyhow::Result<()> {
        let words = self.mail_words(MailKind::SignUpAttempt);
        self.exactly_n_emails(n, &words, "\"someone tried to sign up\" email")
            .await
    }

    /// Exactly `n` emails matching `words` arrive for the account, and no more: the
    /// `n` are waited for, then no other may follow (sent through the same outbox, it
    /// would have come by then).
    async fn exactly_n_emails(&mut self, n: usize, words: &str, what: &str) -> anyhow::Result<()> {
        let email = self.email()?;
        for i in 0..n {
            self.mailbox
                .next(&email, words)
                .await
                .with_context(|| format!("{what} {} of {n}", i + 1))?;
        }
        self.mailbox.none(&email, words).await
    }

    // ----- what the emails say ------------------------------------------------------------

    fn recovery_email(&self) -> anyhow::Result<&Message> {
        self.recovery_email.as_ref().context("no recovery email")
    }

    fn notification_email(&self) -> anyhow::Result<&Message> {
        self.notification_email
            .as_ref()
            .context("no notification email")
    }

    fn check_addressed_to_me(&self, msg: &Message, about: &str) -> anyhow::Result<()> {
        let email = self.email()?;
        let to: Vec<&str> = msg.to.iter().map(|a| a.address.as_str()).collect();
        ensure!(
            to.len() == 1 && to[0].eq_ignore_ascii_case(&email),
            "the email is addressed to {to:?}, not only to {email}"
        );
        ensure!(
            msg.cc.is_empty() && msg.bcc.is_empty(),
            "the email has other recipients"
        );
        ensure!(
            msg.subject.to_lowercase().contains(about),
            "the subject {:?} does not mention {about:?}",
            msg.subject
        );
        Ok(())
    }

    /// The recovery email goes to the account alone and its subject is about the password.
    pub fn recovery_email_addressed(&self) -> anyhow::Result<()> {
        self.check_addressed_to_me(self.recovery_email()?, "password")
    }

    /// The notification goes to the account alone and its subject is about the password.
    pub fn notification_addressed(&self) -> anyhow::Result<()> {
        self.check_addressed_to_me(self.notification_email()?, "password")
    }

    /// The recovery email's recipient is the stored address, byte for byte.
    pub fn recovery_email_to_stored_address(&self) -> anyhow::Result<()> {
        let email = self.email()?;
        let msg = self.recovery_email()?;
        let to: Vec<&str> = msg.to.iter().map(|a| a.address.as_str()).collect();
        ensure!(
            to == [email.as_str()],
            "the email went to {to:?}, the account's address is {email}"
        );
        ensure!(
            msg.envelope.to.is_empty() || msg.envelope.to == [email.clone()],
            "the SMTP envelope went to {:?}",
            msg.envelope.to
        );
        Ok(())
    }

    /// The recovery link is built on the public URL.
    pub fn recovery_link_is_public(&self) -> anyhow::Result<()> {
        let base = self.base_url();
        let link = self.current_link.as_ref().context("no recovery link")?;
        ensure!(
            link.origin() == base.origin() && link.path().starts_with(base.path()),
            "the recovery link {link} is not under the public address {base}"
        );
        for l in &self.recovery_email()?.links {
            if let Ok(u) = Url::parse(l)
                && u.scheme().starts_with("http")
            {
                ensure!(
                    u.origin() == base.origin(),
                    "the email links to {u}, outside {base}"
                );
            }
        }
        Ok(())
    }

    /// After a forged-Host request: the request was refused, or the email that came links
    /// only to the public address.
    pub async fn forged_host_links_public(&mut self) -> anyhow::Result<()> {
        if self.forged_host_refused {
            return self.no_recovery_email().await;
        }
        self.recovery_email_arrives().await?;
        self.recovery_link_is_public()?;
        ensure!(
            !mail::full_text(self.recovery_email()?).contains("evil.example"),
            "the email mentions the forged host"
        );
        Ok(())
    }

    /// The recovery email does not hold the account's password, nor an old one.
    pub fn recovery_email_has_no_password(&self) -> anyhow::Result<()> {
        let text = mail::full_text(self.recovery_email()?);
        ensure!(
            !text.contains(&self.password()?),
            "the recovery email contains the password"
        );
        for old in &self.old_passwords {
            ensure!(
                !text.contains(old.as_str()),
                "the recovery email contains an old password"
            );
        }
        Ok(())
    }

    /// The notification holds no password and no recovery token.
    pub fn notification_has_no_secret(&self) -> anyhow::Result<()> {
        let msg = self.notification_email()?;
        let text = mail::full_text(msg);
        let mut passwords = self.old_passwords.clone();
        passwords.push(self.password()?);
        passwords.extend(self.rejected_password.clone());
        for pw in &passwords {
            ensure!(
                !text.contains(pw.as_str()),
                "the notification contains a password ({pw:?})"
            );
        }
        for link in &self.recovery_links {
            for secret in mail::secrets_in(link) {
                ensure!(
                    !text.contains(&secret),
                    "the notification contains a recovery token"
                );
            }
        }
        for link in &msg.links {
            if let Ok(u) = Url::parse(link) {
                ensure!(
                    !u.path().starts_with(&self.profile().paths.recovery_link)
                        && mail::secrets_in(&u).is_empty(),
                    "the notification carries a token link: {u}"
                );
            }
        }
        Ok(())
    }
}
