//! "I forgot my password": asking (for the account, for an address without one, typed
//! in other ways, with a forged `Host`), the recovery link (opened, reopened, tampered
//! with, fetched by a scanner) and the new password, plus what the answers and the
//! recovery page must be.

use anyhow::{Context as _, bail, ensure};
use url::Url;

use super::{PortalWorld, new_password, with_kelvin_sign};
use crate::browser::{Browser, HttpBrowser};
use crate::mail;
use htmlform::markup;

/// How a test alters a recovery link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// The token's last character replaced.
    LastCharacter,
    /// The token cut in half.
    CutInHalf,
    /// A random token of the same length.
    MadeUp,
    /// No token at all.
    Removed,
}

/// Passwords of the "rules" outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecialPassword {
    /// Exactly this text.
    Literal(String),
    /// The account's address followed by this.
    EmailWith(String),
    /// A strong password of this many characters.
    Length(usize),
    /// A confirmation that differs from the password.
    Mismatch,
}

impl PortalWorld {
    // ----- asking -------------------------------------------------------------------------

    /// Enters the account's address on the forgot-password page and presses `button`.
    pub async fn enter_email_and_click(&mut self, button: &str) -> anyhow::Result<()> {
        let (email, label) = (self.email()?, self.words.email.clone());
        self.fill(&label, &email).await?;
        self.click_said(button).await?;
        self.record_answer().await
    }

    /// From wherever the browser is: the landing page, "Continue with email", "Forgot
    /// your password?", the address, "Restore password".
    pub async fn ask_recovery_for(&mut self, email: &str) -> anyhow::Result<()> {
        let w = self.words.clone();
        self.go_to_portal().await?;
        self.click(&w.continue_with_email).await?;
        self.click(&w.forgot_password).await?;
        self.fill(&w.email, email).await?;
        self.click(&w.restore_password).await?;
        self.record_answer().await
    }

    /// "I asked to restore my password": the journey's first half, up to the email.
    pub async fn asked_recovery(&mut self) -> anyhow::Result<()> {
        self.ask_recovery_for_mine(1).await?;
        let neutral = self.words.neutral_answer.clone();
        self.see_text(&neutral).await?;
        self.recovery_email_arrives().await
    }

    /// Asks to restore the password of the account, `times` times.
    pub async fn ask_recovery_for_mine(&mut self, times: usize) -> anyhow::Result<()> {
        let email = self.email()?;
        for _ in 0..times {
            self.ask_recovery_for(&email).await?;
        }
        Ok(())
    }

    /// Asks to restore the password of an address that has no account.
    pub async fn ask_recovery_for_unknown(&mut self) -> anyhow::Result<()> {
        let email = self.suite.unique_email("nobody");
        self.unknown_email = Some(email.clone());
        self.ask_recovery_for(&email).await
    }

    /// Asks to restore the password of the account, typing its address in capitals.
    pub async fn ask_recovery_for_mine_in_capitals(&mut self) -> anyhow::Result<()> {
        let typed = self.email()?.to_uppercase();
        self.ask_recovery_for(&typed).await
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

    /// Sends the forgot-password form with a forged `Host` (and `X-Forwarded-Host`).
    pub async fn ask_recovery_with_forged_host(&mut self, host: &str) -> anyhow::Result<()> {
        let email = self.email()?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::HOST, host.parse()?);
        headers.insert("x-forwarded-host", host.parse()?);
        headers.insert("x-forwarded-proto", "https".parse()?);
        let w = self.words.clone();
        let mut b = Browser::Http(HttpBrowser::with_headers(headers)?);
        b.open(&self.start_url()?).await?;
        for link in [&w.continue_with_email, &w.forgot_password] {
            if b.status().is_some_and(|s| s >= 400) {
                break;
            }
            b.click(link).await?;
        }
        if b.status().is_some_and(|s| s >= 400) {
            // Refusing a request for an unknown host is also safe.
            self.forged_host_refused = true;
            return Ok(());
        }
        b.fill(&w.email, &email).await?;
        b.click(&w.restore_password).await?;
        self.forged_host_refused = b.status().is_some_and(|s| s >= 400);
        Ok(())
    }

    // ----- the link -----------------------------------------------------------------------

    /// The link the next "click the recovery link" opens, waiting for the email if it
    /// has not been read yet.
    async fn current_link(&mut self) -> anyhow::Result<Url> {
        if self.current_link.is_none() {
            self.recovery_email_arrives().await?;
        }
        self.current_link.clone().context("no recovery link")
    }

    /// Opens the recovery link from the email.
    pub async fn click_recovery_link(&mut self) -> anyhow::Result<()> {
        let link = self.current_link().await?;
        self.browser.open(&link).await
    }

    /// Opens the newest recovery link received.
    pub async fn click_newest_recovery_link(&mut self) -> anyhow::Result<()> {
        self.current_link = self.recovery_links.last().cloned();
        self.click_recovery_link().await
    }

    /// Opens the first recovery link received.
    pub async fn open_first_recovery_link(&mut self) -> anyhow::Result<()> {
        let link = self
            .recovery_links
            .first()
            .cloned()
            .context("no recovery link received")?;
        self.browser.open(&link).await
    }

    /// Opens the link just used, again.
    pub async fn open_same_link_again(&mut self) -> anyhow::Result<()> {
        let link = self
            .current_link
            .clone()
            .context("no recovery link opened yet")?;
        self.browser.open(&link).await
    }

    /// Opens the recovery link after changing its token.
    pub async fn open_tampered_link(&mut self, how: Tamper) -> anyhow::Result<()> {
        let tampered = how.apply(&self.current_link().await?)?;
        self.browser.open(&tampered).await
    }

    /// Another client fetches the link first (as mail scanners do), following redirects.
    pub async fn scanner_opens_link(&mut self) -> anyhow::Result<()> {
        let link = self.current_link().await?;
        let mut scanner = HttpBrowser::new()?;
        scanner.open(&link).await?;
        scanner.open(&link).await
    }

    // ----- the new password ---------------------------------------------------------------

    /// Fills "New password" and "Confirm new password" and presses "Validate".
    async fn set_new_password(&mut self, password: &str, confirmation: &str) -> anyhow::Result<()> {
        let w = self.words.clone();
        self.changed_in_settings = false;
        self.fill(&w.new_password, password).await?;
        self.fill(&w.confirm_new_password, confirmation).await?;
        self.click(&w.validate).await
    }

    /// The article's "Enter a new password and validate" with a strong new password; the
    /// account's password is updated if the page confirms.
    pub async fn enter_new_password_and_validate(&mut self) -> anyhow::Result<()> {
        let pw = new_password("Reset");
        self.try_new_password(&pw, &pw).await
    }

    /// Tries `password` (with `confirmation`) as the new password; on the success
    /// sentence the account's password becomes it, otherwise it is remembered as refused.
    pub async fn try_new_password(
        &mut self,
        password: &str,
        confirmation: &str,
    ) -> anyhow::Result<()> {
        self.set_new_password(password, confirmation).await?;
        self.settle_password(password).await
    }

    /// After a new password was sent: on the success sentence it is the account's,
    /// otherwise it was refused.
    pub(super) async fn settle_password(&mut self, password: &str) -> anyhow::Result<()> {
        let text = self.browser.text().await?;
        if text.contains(&markup::normalize(&self.success_sentence())) {
            self.password_changed(password.to_owned())
        } else {
            self.rejected_password = Some(password.to_owned());
            Ok(())
        }
    }

    /// A password made to break or stretch a rule, and its confirmation.
    pub fn special_password(&self, which: SpecialPassword) -> anyhow::Result<(String, String)> {
        let pw = match which {
            SpecialPassword::Literal(s) => s,
            SpecialPassword::EmailWith(suffix) => format!("{}{suffix}", self.email()?),
            SpecialPassword::Length(n) => {
                let seed = format!("Lantern{:08x}harbour-", rand::random::<u32>());
                seed.chars().cycle().take(n).collect()
            }
            SpecialPassword::Mismatch => {
                let pw = new_password("Mismatch");
                return Ok((pw.clone(), format!("{pw}-other")));
            }
        };
        Ok((pw.clone(), pw))
    }

    /// The recovery page does not let anyone set a password with this link: either it
    /// offers no form, or the form refuses.
    pub async fn recovery_link_refused(&mut self) -> anyhow::Result<()> {
        if self.browser.has_field(&self.words.new_password).await? {
            let pw = new_password("Sneaky");
            self.set_new_password(&pw, &pw).await?;
            if self.says_password_set().await? {
                self.password_changed(pw)?;
                bail!("the link was accepted: a new password was set with it");
            }
        } else {
            ensure!(
                !self.says_password_set().await?,
                "the page says the password was changed"
            );
        }
        let says_invalid = match &self.words.invalid_link {
            Some(words) => self
                .browser
                .text()
                .await?
                .contains(&markup::normalize(words)),
            None => false,
        };
        ensure!(
            says_invalid
                || !self.alerts().await?.is_empty()
                || self.browser.page_status().await.is_some_and(|s| s >= 400),
            "the page does not say that the link is no longer valid"
        );
        Ok(())
    }

    // ----- what the answers and the recovery page must be ---------------------------------

    /// The last two "restore password" answers are identical.
    pub fn answers_identical(&self) -> anyhow::Result<()> {
        let [.., a, b] = self.answers.as_slice() else {
            bail!("fewer than two answers were recorded");
        };
        ensure!(a == b, "the answers differ:\n        {a:?}\n        {b:?}");
        Ok(())
    }

    /// Every recorded answer showed `sentence`, and all were the same.
    pub fn every_answer_said(&self, sentence: &str) -> anyhow::Result<()> {
        let sentence = markup::normalize(&self.say(sentence)?);
        let sentence = sentence.as_str();
        let Some(first) = self.answers.first() else {
            bail!("no answer was recorded");
        };
        for (i, answer) in self.answers.iter().enumerate() {
            ensure!(
                answer.text.contains(sentence),
                "answer {} (status {:?}) did not say it: {:?}",
                i + 1,
                answer.status,
                answer.text
            );
        }
        ensure!(
            self.answers.iter().all(|a| a == first),
            "the answers were not all the same: {:?}",
            self.answers
        );
        Ok(())
    }

    /// After opening the recovery link, the address bar holds no token.
    pub async fn token_out_of_address_bar(&mut self) -> anyhow::Result<()> {
        let link = self.current_link.clone().context("no recovery link")?;
        let url = self.browser.url().await?;
        for secret in mail::secrets_in(&link) {
            ensure!(
                !url.as_str().contains(&secret),
                "the address bar still shows the token: {url}"
            );
        }
        Ok(())
    }

    /// The recovery page answers with `Cache-Control: no-store` and
    /// `Referrer-Policy: no-referrer` (checked over HTTP in every mode: WebDriver does
    /// not show response headers).
    pub async fn recovery_page_private(&mut self) -> anyhow::Result<()> {
        let link = self.current_link.clone().context("no recovery link")?;
        let mut b = HttpBrowser::new()?;
        b.open(&link).await?;
        let page = b.page()?;
        let header = |name: &str| page.header(name).unwrap_or_default().to_lowercase();
        ensure!(
            header("cache-control").contains("no-store"),
            "Cache-Control is {:?}, not no-store",
            header("cache-control")
        );
        ensure!(
            header("referrer-policy").contains("no-referrer"),
            "Referrer-Policy is {:?}, not no-referrer",
            header("referrer-policy")
        );
        Ok(())
    }

    // ----- a forged change ----------------------------------------------------------------

    /// Logs in with a separate HTTP client, opens the change form and submits it with
    /// the current password and a new one, but without the CSRF field: what a page on
    /// another site could make the browser send (the session cookie goes along).
    pub async fn forged_cross_site_change(&mut self) -> anyhow::Result<()> {
        let (email, password, base) = (self.email()?, self.password()?, self.start_url()?);
        let w = self.words.clone();
        let mut b = self.http_browser()?;
        ensure!(
            super::account::log_in(&mut b, &base, &email, &password, &w).await?,
            "could not log in to prepare the forged request; the {}",
            b.describe().await
        );
        b.click(&w.settings).await?;
        b.click(&w.security).await?;
        b.click(&w.edit).await?;
        let new = new_password("Forged");
        b.fill(&w.current_password, &password).await?;
        b.fill(&w.new_password, &new).await?;
        b.fill(w.change_confirmation(), &new).await?;
        let Browser::Http(mut http) = b else {
            unreachable!("built as an HTTP browser above")
        };
        http.click_without_field(&w.update_password, "csrf").await?;
        self.keep_scripted_answer(&http)?;
        self.rejected_password = Some(new);
        Ok(())
    }

    /// The forged request got an error, not the success sentence.
    pub fn forged_request_refused(&self) -> anyhow::Result<()> {
        let page = self
            .scripted_answer
            .as_ref()
            .context("no forged request was sent")?;
        let (status, text) = (page.status.as_u16(), page.text());
        ensure!(
            !text.contains(&self.words.success)
                && self
                    .words
                    .change_success
                    .as_ref()
                    .is_none_or(|s| !text.contains(s)),
            "the forged request changed the password: {text:?}"
        );
        ensure!(
            status >= 400 || !page.alerts().is_empty(),
            "the forged request was not refused (status {status}): {text:?}"
        );
        Ok(())
    }
}

impl std::str::FromStr for Tamper {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "with the last character of its token changed" => Self::LastCharacter,
            "with its token cut in half" => Self::CutInHalf,
            "with its token replaced by a made-up one" => Self::MadeUp,
            "without its token" => Self::Removed,
            other => return Err(format!("unknown way to tamper with a link: {other:?}")),
        })
    }
}

impl Tamper {
    /// The link with its token altered.
    pub fn apply(self, link: &Url) -> anyhow::Result<Url> {
        let pairs: Vec<(String, String)> = link.query_pairs().into_owned().collect();
        if let Some((key, token)) = pairs.iter().find(|(_, v)| v.len() >= 16).cloned() {
            let new_token = self.alter(&token);
            let mut out = link.clone();
            {
                let mut q = out.query_pairs_mut();
                q.clear();
                for (k, v) in &pairs {
                    if *k == key {
                        if self != Self::Removed {
                            q.append_pair(k, &new_token);
                        }
                    } else {
                        q.append_pair(k, v);
                    }
                }
            }
            if out.query() == Some("") {
                out.set_query(None);
            }
            return Ok(out);
        }
        // A token in the path (`/reset/<id>/<token>/`): the longest segment.
        let segments: Vec<&str> = link.path_segments().into_iter().flatten().collect();
        let (at, token) = segments
            .iter()
            .enumerate()
            .filter(|(_, s)| s.len() >= 16)
            .max_by_key(|(_, s)| s.len())
            .context("the recovery link carries no token in its query or path")?;
        let new_token = self.alter(token);
        let mut out = link.clone();
        let path: Vec<&str> = segments
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match i == at {
                true => (self != Self::Removed).then_some(new_token.as_str()),
                false => Some(*s),
            })
            .collect();
        out.set_path(&format!("/{}", path.join("/")));
        Ok(out)
    }

    /// The token altered this way.
    fn alter(self, token: &str) -> String {
        match self {
            Self::LastCharacter => {
                let mut t: Vec<char> = token.chars().collect();
                if let Some(last) = t.last_mut() {
                    *last = if *last == 'A' { 'B' } else { 'A' };
                }
                t.into_iter().collect()
            }
            Self::CutInHalf => token.chars().take(token.chars().count() / 2).collect(),
            Self::MadeUp => {
                // Same length and alphabet as the real one, so only its value is wrong.
                let alphabet: Vec<char> = token.chars().collect();
                (0..alphabet.len())
                    .map(|_| alphabet[rand::random_range(0..alphabet.len())])
                    .collect()
            }
            Self::Removed => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tampering_changes_only_the_token() {
        let link =
            Url::parse("http://p.test/recover?token=abcdefghijklmnopqrstuvwxyz012345&x=1").unwrap();
        let last = Tamper::LastCharacter.apply(&link).unwrap();
        assert_eq!(
            last.as_str(),
            "http://p.test/recover?token=abcdefghijklmnopqrstuvwxyz01234A&x=1"
        );
        let half = Tamper::CutInHalf.apply(&link).unwrap();
        assert_eq!(
            half.as_str(),
            "http://p.test/recover?token=abcdefghijklmnop&x=1"
        );
        let gone = Tamper::Removed.apply(&link).unwrap();
        assert_eq!(gone.as_str(), "http://p.test/recover?x=1");
        let made_up = Tamper::MadeUp.apply(&link).unwrap();
        assert_ne!(made_up, link);
        assert!(
            Tamper::Removed
                .apply(&Url::parse("http://p.test/recover?token=abcdefghijklmnopq").unwrap())
                .unwrap()
                .query()
                .is_none()
        );
    }

    #[test]
    fn a_token_in_the_path_is_tampered_with_too() {
        let link = Url::parse("http://p.test/reset/MQ/cz1k2a-0123456789abcdef0123/").unwrap();
        assert_eq!(
            Tamper::LastCharacter.apply(&link).unwrap().as_str(),
            "http://p.test/reset/MQ/cz1k2a-0123456789abcdef012A/"
        );
        assert_eq!(
            Tamper::Removed.apply(&link).unwrap().as_str(),
            "http://p.test/reset/MQ/"
        );
    }

    #[test]
    fn tamper_modes_parse_from_the_feature_words() {
        assert_eq!("without its token".parse::<Tamper>(), Ok(Tamper::Removed));
        assert!("sideways".parse::<Tamper>().is_err());
    }
}
