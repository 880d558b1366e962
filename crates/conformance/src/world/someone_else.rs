//! What someone else does with the scenario's account, and what the portal answered:
//! password guesses one by one or all at once, sign-ups from one client, forms with a
//! CSRF pair of their own making, a look at the operators' endpoints.
//!
//! Someone else always works through a script's HTTP client, whatever browser the
//! owner uses: what an attacker sends does not depend on it.

use std::sync::Arc;

use anyhow::{Context as _, ensure};
use futures::future::join_all;

use super::account::{log_in, sign_up};
use super::mail::MailKind;
use super::{Answer, PortalWorld, new_password};
use crate::browser::{Browser, HttpBrowser};
use crate::profile::Texts;

/// Which form a script sends with a CSRF cookie and token of its own making.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptedForm {
    /// The log-in form, with the account's address and password.
    LogIn,
    /// The forgot-password form, with the account's address.
    Recovery,
}

/// A value shaped like the portal's own CSRF cookie (43 base64url characters), made up.
fn made_up_csrf_value() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..43)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

impl PortalWorld {
    /// The words someone else's script reads the pages in: the profile's English.
    fn script_words(&self) -> anyhow::Result<Arc<Texts>> {
        self.profile()
            .texts("en")
            .context("the profile has no [texts.en]")
    }

    fn other_client(&mut self) -> anyhow::Result<&mut Browser> {
        let b = match self.other_client.take() {
            Some(b) => b,
            None => Browser::Http(HttpBrowser::speaking("en")?),
        };
        Ok(self.other_client.insert(b))
    }

    // ----- log-in limits and device cookies -------------------------------------------

    /// Someone else's client sends `times` wrong passwords for the account.
    pub async fn someone_else_wrong_log_ins(&mut self, times: usize) -> anyhow::Result<()> {
        let (email, base, en) = (self.email()?, self.start_url()?, self.script_words()?);
        let b = self.other_client()?;
        for i in 0..times {
            let wrong = format!("Wrong-password-{i}-{:08x}", rand::random::<u32>());
            let ok = log_in(b, &base, &email, &wrong, &en).await?;
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
        let (email, password, base) = (self.email()?, self.password()?, self.start_url()?);
        let en = self.script_words()?;
        let b = self.other_client()?;
        let ok = log_in(b, &base, &email, &password, &en).await?;
        Ok((ok, b.text().await?, b.describe().await))
    }

    /// The other client is refused with the account's password and told to wait.
    pub async fn other_client_refused(&mut self) -> anyhow::Result<()> {
        let too_many = self.script_words()?.text("too_many_attempts")?.to_owned();
        let (ok, text, page) = self.other_client_log_in().await?;
        ensure!(
            !ok && text.contains(&too_many),
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
        let (email, base, en) = (self.email()?, self.start_url()?, self.script_words()?);
        let mut clients = Vec::with_capacity(n);
        for i in 0..n {
            let mut b = Browser::Http(HttpBrowser::speaking("en")?);
            b.open(&base).await?;
            b.click(&en.continue_with_email).await?;
            b.fill(en.log_in_email(), &email).await?;
            let wrong = format!("Wrong-at-once-{i}-{:08x}", rand::random::<u32>());
            b.fill(&en.password, &wrong).await?;
            let Browser::Http(b) = b else {
                unreachable!("built as an HTTP browser above")
            };
            clients.push(b);
        }
        let sent = join_all(clients.iter_mut().map(|b| b.click(&en.log_in))).await;
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
        let sentence = self.say(sentence)?;
        let sentence = sentence.as_str();
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
        let sentence = self.say(sentence)?;
        let sentence = sentence.as_str();
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
        let (base, en) = (self.start_url()?, self.script_words()?);
        let email = self.suite.unique_email("crowd");
        sign_up(
            self.other_client()?,
            &base,
            &email,
            &new_password("Crowd"),
            &en,
        )
        .await?;
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
        let confirmation = self.mail_words(MailKind::Confirmation);
        let mailbox = &mut self.mailbox;
        mailbox
            .next(first, &confirmation)
            .await
            .context("the first address signed up got no confirmation email")?;
        let arrived = join_all(others.iter().map(|to| mailbox.arrived(to, &confirmation))).await;
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
        let confirmation = self.mail_words(MailKind::Confirmation);
        self.mailbox
            .next(&email, &confirmation)
            .await
            .context("the new address got no confirmation email")?;
        Ok(())
    }

    // ----- forged forms and probes --------------------------------------------------------

    /// A script sends `form` for the account with a CSRF cookie of its own making and the
    /// same value as the form's token (the cookie's name is the one the portal gives).
    pub async fn send_form_with_made_up_csrf(&mut self, form: ScriptedForm) -> anyhow::Result<()> {
        let (email, password, base) = (self.email()?, self.password()?, self.start_url()?);
        let en = self.script_words()?;
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
        let mut b = Browser::Http(HttpBrowser::with_headers(headers)?);
        b.open(&base).await?;
        b.click(&en.continue_with_email).await?;
        let (button, address) = match form {
            ScriptedForm::LogIn => {
                b.fill(&en.password, &password).await?;
                (&en.log_in, en.log_in_email())
            }
            ScriptedForm::Recovery => {
                b.click(&en.forgot_password).await?;
                (&en.restore_password, en.email.as_str())
            }
        };
        b.fill(address, &email).await?;
        let Browser::Http(mut b) = b else {
            unreachable!("built as an HTTP browser above")
        };
        b.click_altered(button, |fields| {
            for (name, value) in fields.iter_mut() {
                if name.to_lowercase().contains("csrf") {
                    value.clone_from(&made_up);
                }
            }
        })
        .await?;
        self.keep_scripted_answer(&b)
    }

    /// The scripted request was refused as a forgery (403), saying `sentence`.
    pub fn scripted_request_refused_saying(&self, sentence: &str) -> anyhow::Result<()> {
        let sentence = self.say(sentence)?;
        let sentence = sentence.as_str();
        let (status, text) = self.scripted_answer("no request was sent by a script")?;
        ensure!(
            status == 403 && text.contains(sentence),
            "the request was not refused as a forgery (status {status}): {text:?}"
        );
        Ok(())
    }

    /// A script opens `path` on the portal.
    pub async fn someone_opens(&mut self, path: &str) -> anyhow::Result<()> {
        let url = self.base_url().join(path.trim_start_matches('/'))?;
        let mut b = HttpBrowser::new()?;
        b.open(&url).await?;
        self.keep_scripted_answer(&b)
    }

    /// The page the script opened does not exist (404) and shows no counters.
    pub fn scripted_page_not_found(&self) -> anyhow::Result<()> {
        let (status, text) = self.scripted_answer("no page was opened by a script")?;
        ensure!(
            status == 404 && !text.contains("# TYPE"),
            "the page was found (status {status}): {text:?}"
        );
        Ok(())
    }

    /// Keeps the page a script's request got, for the checks that follow.
    pub(super) fn keep_scripted_answer(&mut self, script: &HttpBrowser) -> anyhow::Result<()> {
        self.scripted_answer = Some(script.page()?.clone());
        Ok(())
    }

    /// The status and visible text of the page a script got (`none`: the error when no
    /// script sent anything).
    fn scripted_answer(&self, none: &'static str) -> anyhow::Result<(u16, String)> {
        let page = self.scripted_answer.as_ref().context(none)?;
        Ok((page.status.as_u16(), page.text()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
