//! The World's gestures and checks for the security rules: what someone else does with
//! the scenario's account (password guesses one by one or all at once, sign-ups with its
//! address or a look-alike of it, forms with a CSRF pair of their own making, a look at
//! the operators' endpoints), sign-ups left unconfirmed, and the owner's sessions over
//! time.
//!
//! Someone else always works through a script's HTTP client, whatever browser the
//! owner uses: what an attacker sends does not depend on it.

use std::time::Duration;

use super::{
    Account, Answer, CONFIRMATION_EMAIL, PortalWorld, TOO_MANY_ATTEMPTS, confirm_account, log_in,
    new_password, sign_up,
};
use crate::browser::{Browser, HttpBrowser};
use anyhow::{Context as _, bail, ensure};
use futures::future::join_all;

/// Which form a script sends with a CSRF cookie and token of its own making.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptedForm {
    /// The log-in form, with the account's address and password.
    LogIn,
    /// The forgot-password form, with the account's address.
    Recovery,
}

/// `email` with its first letter, a k, typed as the Kelvin sign (U+212A), which Unicode
/// compatibility normalisation turns back into a K.
fn with_kelvin_sign(email: &str) -> anyhow::Result<String> {
    let mut chars = email.chars();
    match chars.next() {
        Some('k' | 'K') => Ok(format!("\u{212A}{}", chars.as_str())),
        _ => bail!("{email} does not start with a k: give the account such an address"),
    }
}

/// A value shaped like the portal's own CSRF cookie (43 base64url characters), made up.
fn made_up_csrf_value() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..43)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

impl PortalWorld {
    fn other_client(&mut self) -> anyhow::Result<&mut Browser> {
        let b = match self.other_client.take() {
            Some(b) => b,
            None => Browser::Http(HttpBrowser::new()?),
        };
        Ok(self.other_client.insert(b))
    }

    // ----- log-in limits and device cookies -------------------------------------------

    /// The owner logs in with the scenario's browser and logs out again: the browser
    /// keeps what the portal gave it (its device cookie), not the session.
    pub async fn logged_in_before(&mut self) -> anyhow::Result<()> {
        self.log_in().await?;
        self.click("Log out").await?;
        self.assert_logged_out(false).await
    }

    /// Someone else's client sends `times` wrong passwords for the account.
    pub async fn someone_else_wrong_log_ins(&mut self, times: usize) -> anyhow::Result<()> {
        let (email, base) = (self.email()?, self.base_url()?);
        let b = self.other_client()?;
        for i in 0..times {
            let wrong = format!("Wrong-password-{i}-{:08x}", rand::random::<u32>());
            let ok = log_in(b, &base, &email, &wrong).await?;
            ensure!(
                !ok,
                "a wrong password logged in; the {}",
                b.describe().await
            );
        }
        Ok(())
    }

    /// Someone else's client logs in with the account's password; true if it got in.
    async fn other_client_log_in(&mut self) -> anyhow::Result<(bool, String, String)> {
        let (email, password, base) = (self.email()?, self.password()?, self.base_url()?);
        let b = self.other_client()?;
        let ok = log_in(b, &base, &email, &password).await?;
        Ok((ok, b.text().await?, b.describe().await))
    }

    /// The other client is refused with the account's password and told to wait.
    pub async fn other_client_refused(&mut self) -> anyhow::Result<()> {
        let (ok, text, page) = self.other_client_log_in().await?;
        ensure!(
            !ok && text.contains(TOO_MANY_ATTEMPTS),
            "log-in with the right password was not refused as too many attempts; the {page}"
        );
        Ok(())
    }

    /// The other client logs in with the account's password.
    pub async fn other_client_logs_in(&mut self) -> anyhow::Result<()> {
        let (ok, _, page) = self.other_client_log_in().await?;
        ensure!(
            ok,
            "log-in with the right password did not work; the {page}"
        );
        Ok(())
    }

    /// `n` clients without any cookie of the account, each with its own HTTP client and
    /// cookie jar, send a wrong password for it at the same moment.
    pub async fn wrong_passwords_at_once(&mut self, n: usize) -> anyhow::Result<()> {
        let (email, base) = (self.email()?, self.base_url()?);
        let mut clients = Vec::with_capacity(n);
        for i in 0..n {
            let mut b = HttpBrowser::new()?;
            b.open(&base).await?;
            b.click("Continue with email").await?;
            b.fill("Email", &email)?;
            b.fill(
                "Password",
                &format!("Wrong-at-once-{i}-{:08x}", rand::random::<u32>()),
            )?;
            clients.push(b);
        }
        let sent = join_all(clients.iter_mut().map(|b| b.click("Log in"))).await;
        self.burst = clients
            .iter()
            .zip(sent)
            .map(|(b, sent)| match sent {
                Ok(()) => (b.status_code(), b.text()),
                Err(e) => {
                    // A 5xx keeps its status; no answer at all counts as 0.
                    let status = b.status_code();
                    (if status >= 500 { status } else { 0 }, format!("{e:#}"))
                }
            })
            .collect();
        Ok(())
    }

    /// At most `n` answers of the last burst say `sentence`; the others are left for
    /// [`PortalWorld::every_other_answer_says`].
    pub fn at_most_n_answers_say(&mut self, n: usize, sentence: &str) -> anyhow::Result<()> {
        ensure!(!self.burst.is_empty(), "no burst of requests was sent");
        let total = self.burst.len();
        let (saying, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.burst)
            .into_iter()
            .partition(|(_, text)| text.contains(sentence));
        ensure!(
            saying.len() <= n,
            "{} of {total} answers say {sentence:?}",
            saying.len()
        );
        self.burst = others;
        Ok(())
    }

    /// Every answer of the burst not counted yet says `sentence`, none is a server error
    /// and every one came.
    pub fn every_other_answer_says(&self, sentence: &str) -> anyhow::Result<()> {
        for (status, text) in &self.burst {
            ensure!(
                (400..500).contains(status) && text.contains(sentence),
                "an answer (status {status}) does not say {sentence:?}: {text:?}"
            );
        }
        Ok(())
    }

    // ----- sign-up limits ---------------------------------------------------------------

    /// Someone else's client signs up `n` new addresses, one after the other; the
    /// answers are kept.
    pub async fn someone_else_signs_up(&mut self, n: usize) -> anyhow::Result<()> {
        for _ in 0..n {
            let email = self.other_client_signs_up_new().await?;
            let answer = Answer::of_sign_up(self.other_client()?, &email).await?;
            self.answers.push(answer);
            self.crowd.push(email);
        }
        Ok(())
    }

    /// The other client signs up a new address; returns it.
    async fn other_client_signs_up_new(&mut self) -> anyhow::Result<String> {
        let base = self.base_url()?;
        let email = self.suite()?.unique_email("crowd");
        sign_up(self.other_client()?, &base, &email, &new_password("Crowd")).await?;
        Ok(email)
    }

    /// No more than `n` of the addresses someone else signed up get a confirmation
    /// email. The first must get one (the way through the outbox works); the others
    /// are then waited for together, as long as an email that does not come is waited
    /// for.
    pub async fn at_most_n_crowd_confirmations(&mut self, n: usize) -> anyhow::Result<()> {
        let crowd = self.crowd.clone();
        let (first, others) = crowd
            .split_first()
            .context("no one else signed up addresses")?;
        let mailbox = self.mailbox()?;
        mailbox
            .next(first, CONFIRMATION_EMAIL)
            .await
            .context("the first address signed up got no confirmation email")?;
        let arrived = join_all(
            others
                .iter()
                .map(|to| mailbox.arrived(to, CONFIRMATION_EMAIL)),
        )
        .await;
        let mut confirmed = 1;
        for a in arrived {
            confirmed += usize::from(a?);
        }
        ensure!(
            confirmed <= n,
            "{confirmed} of the {} addresses got a confirmation email",
            crowd.len()
        );
        Ok(())
    }

    /// The other client signs up a new address, which gets its confirmation email.
    pub async fn other_client_signs_up(&mut self) -> anyhow::Result<()> {
        let email = self.other_client_signs_up_new().await?;
        self.mailbox()?
            .next(&email, CONFIRMATION_EMAIL)
            .await
            .context("the new address got no confirmation email")?;
        Ok(())
    }

    // ----- look-alike addresses ---------------------------------------------------------

    /// A new account whose address starts with `initial` (e.g. "k").
    pub async fn create_account_starting_with(&mut self, initial: &str) -> anyhow::Result<()> {
        let email = format!("{initial}.{}", self.suite()?.unique_email("user"));
        self.create_account_for(email).await
    }

    /// Signs up in the scenario's browser with the account's address, its first letter
    /// typed as a Kelvin sign.
    pub async fn sign_up_with_kelvin_sign(&mut self) -> anyhow::Result<()> {
        let typed = with_kelvin_sign(&self.email()?)?;
        let (base, password) = (self.base_url()?, new_password("Lookalike"));
        sign_up(self.browser()?, &base, &typed, &password).await?;
        self.rejected_password = Some(password);
        self.record_answer().await
    }

    /// Asks to restore the password of the account, its first letter typed as a Kelvin
    /// sign.
    pub async fn ask_recovery_with_kelvin_sign(&mut self) -> anyhow::Result<()> {
        let typed = with_kelvin_sign(&self.email()?)?;
        self.ask_recovery_for(&typed).await
    }

    /// The same for an address without an account: the account's address with "user"
    /// swapped for "none", of the same length since the page shows it back.
    pub async fn ask_recovery_for_unknown_with_kelvin_sign(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        let unknown = email.replacen("-user-", "-none-", 1);
        ensure!(unknown != email, "{email} was not made by this suite");
        self.unknown_email = Some(unknown.clone());
        self.ask_recovery_for(&with_kelvin_sign(&unknown)?).await
    }

    /// No email at all (read ones aside) reaches the account's address.
    pub async fn no_email_to_account(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        self.mailbox()?.none(&email, "").await
    }

    // ----- unconfirmed sign-ups ---------------------------------------------------------

    /// A new address is signed up (in a browser of its own) and never confirmed; its
    /// confirmation email did arrive.
    pub async fn sign_up_without_confirming(&mut self) -> anyhow::Result<()> {
        let email = self.suite()?.unique_email("user");
        let password = new_password("Unconfirmed");
        self.sign_up_elsewhere(&email, &password).await?;
        self.unconfirmed = Some(Account { email, password });
        Ok(())
    }

    fn unconfirmed(&self) -> anyhow::Result<&Account> {
        self.unconfirmed
            .as_ref()
            .context("no address was signed up without confirming it")
    }

    /// Tries to log in to the unconfirmed address, with its password or a wrong one, in
    /// a fresh browser of this run's kind, and keeps the answer.
    pub async fn log_in_to_unconfirmed(&mut self, right_password: bool) -> anyhow::Result<()> {
        let account = self.unconfirmed()?.clone();
        let password = if right_password {
            account.password
        } else {
            new_password("Wrong")
        };
        let base = self.base_url()?;
        let mut b = self.suite()?.browser().await?;
        let answer = async {
            log_in(&mut b, &base, &account.email, &password).await?;
            Answer::of(&mut b).await
        }
        .await;
        b.close().await;
        self.answers.push(answer?);
        Ok(())
    }

    /// Signs up, in the scenario's browser, with the address left unconfirmed, and with
    /// a password of the scenario's own: the account to be is the scenario's.
    pub async fn sign_up_with_unconfirmed_address(&mut self) -> anyhow::Result<()> {
        let email = self.unconfirmed()?.email.clone();
        let (base, password) = (self.base_url()?, new_password("Mine"));
        sign_up(self.browser()?, &base, &email, &password).await?;
        self.account = Some(Account { email, password });
        Ok(())
    }

    /// A confirmation email (not "someone tried to sign up") reaches the account.
    pub async fn confirmation_email_to_account(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        self.confirmation_email_arrives(&email).await
    }

    /// Confirms the account with the last confirmation link, in the scenario's browser.
    pub async fn confirm_with_link(&mut self) -> anyhow::Result<()> {
        let link = self.confirmation_link()?;
        confirm_account(self.browser()?, &link).await
    }

    /// The password of the unconfirmed sign-up does not open the account.
    pub async fn unconfirmed_password_fails(&mut self) -> anyhow::Result<()> {
        let theirs = self.unconfirmed()?.password.clone();
        self.assert_cannot_log_in(&theirs).await
    }

    // ----- forged forms and probes --------------------------------------------------------

    /// A script sends `form` for the account with a CSRF cookie of its own making and the
    /// same value as the form's token (the cookie's name is the one the portal gives).
    pub async fn send_form_with_made_up_csrf(&mut self, form: ScriptedForm) -> anyhow::Result<()> {
        let (email, password, base) = (self.email()?, self.password()?, self.base_url()?);
        let mut probe = HttpBrowser::new()?;
        probe.open(&base).await?;
        let cookie_name = probe
            .page()?
            .headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()?.split('=').next())
            .find(|name| name.contains("csrf"))
            .unwrap_or("portal_csrf")
            .to_owned();
        let made_up = made_up_csrf_value();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            format!("{cookie_name}={made_up}").parse()?,
        );
        let mut b = HttpBrowser::with_headers(headers)?;
        b.open(&base).await?;
        b.click("Continue with email").await?;
        let button = match form {
            ScriptedForm::LogIn => {
                b.fill("Password", &password)?;
                "Log in"
            }
            ScriptedForm::Recovery => {
                b.click("Forgot your password?").await?;
                "Restore password"
            }
        };
        b.fill("Email", &email)?;
        b.click_altered(button, |fields| {
            for (name, value) in fields.iter_mut() {
                if name.to_lowercase().contains("csrf") {
                    value.clone_from(&made_up);
                }
            }
        })
        .await?;
        self.keep_scripted_answer(&b);
        Ok(())
    }

    /// The scripted request was refused as a forgery (403), saying `sentence`.
    pub fn scripted_request_refused_saying(&self, sentence: &str) -> anyhow::Result<()> {
        let (status, text, _) = self
            .scripted_answer
            .as_ref()
            .context("no request was sent by a script")?;
        ensure!(
            *status == 403 && text.contains(sentence),
            "the request was not refused as a forgery (status {status}): {text:?}"
        );
        Ok(())
    }

    /// A script opens `path` on the portal.
    pub async fn someone_opens(&mut self, path: &str) -> anyhow::Result<()> {
        let url = self.base_url()?.join(path.trim_start_matches('/'))?;
        let mut b = HttpBrowser::new()?;
        b.open(&url).await?;
        self.keep_scripted_answer(&b);
        Ok(())
    }

    /// The page the script opened does not exist (404) and shows no counters.
    pub fn scripted_page_not_found(&self) -> anyhow::Result<()> {
        let (status, text, _) = self
            .scripted_answer
            .as_ref()
            .context("no page was opened by a script")?;
        ensure!(
            *status == 404 && !text.contains("# TYPE"),
            "the page was found (status {status}): {text:?}"
        );
        Ok(())
    }

    // ----- sessions over time -------------------------------------------------------------

    /// Opens the account page every `every` for `total`; the session must hold each time.
    pub async fn use_portal_every(
        &mut self,
        every: Duration,
        total: Duration,
    ) -> anyhow::Result<()> {
        let mut elapsed = Duration::ZERO;
        while elapsed + every <= total {
            self.time_passes(every)?;
            elapsed += every;
            self.assert_logged_in()
                .await
                .with_context(|| format!("{} minutes after logging in", elapsed.as_secs() / 60))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_kelvin_sign_replaces_the_first_k() {
        assert_eq!(
            with_kelvin_sign("k.qa-user@example.com").unwrap(),
            "\u{212A}.qa-user@example.com"
        );
        assert!(with_kelvin_sign("qa-user@example.com").is_err());
    }

    #[test]
    fn made_up_csrf_values_look_like_the_portals() {
        let v = made_up_csrf_value();
        assert_eq!(v.len(), 43);
        assert!(
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(v, made_up_csrf_value());
    }
}
