//! The scenario's own account: signing up and confirming, logging in (here, on another
//! device, with old and new passwords), sessions, sign-ups with an address already taken
//! or typed as a look-alike, and sign-ups left unconfirmed.

use anyhow::{Context as _, bail, ensure};
use url::Url;

use super::mail::MailKind;
use super::{Account, Answer, PortalWorld, new_password, with_kelvin_sign};
use crate::browser::Browser;
use crate::mail;
use crate::profile::{Provision, Texts, fill_placeholders};

/// Which browser a session check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The scenario's own browser.
    This,
    /// The second browser of "I am logged in on another device".
    Other,
}

/// The password tried on an address signed up and never confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnconfirmedPassword {
    /// The one chosen at sign-up.
    Chosen,
    /// Any other.
    Wrong,
}

impl PortalWorld {
    /// Signs up a new, unique address through the portal's own pages, and confirms it
    /// with the link the sink received. Runs in a throwaway HTTP browser so the
    /// scenario's own browser starts logged out on a blank page.
    pub async fn create_account(&mut self) -> anyhow::Result<()> {
        let email = self.suite.unique_email("user");
        self.create_account_for(email).await
    }

    /// A new account whose address starts with `initial` (e.g. "k").
    pub async fn create_account_starting_with(&mut self, initial: &str) -> anyhow::Result<()> {
        let email = format!("{initial}.{}", self.suite.unique_email("user"));
        self.create_account_for(email).await
    }

    /// Makes the account `email` as the profile says: signed up through the pages and
    /// confirmed, or provisioned by a command or an HTTP call.
    async fn create_account_for(&mut self, email: String) -> anyhow::Result<()> {
        let password = new_password("Initial");
        match self.profile().accounts.provision {
            Provision::SignUp => {
                let mut b = self.sign_up_elsewhere(&email, &password).await?;
                let link = self.confirmation_link()?;
                confirm_account(&mut b, &link, &self.words).await?;
            }
            Provision::Command => self.provision_by_command(&email, &password).await?,
            Provision::Http => self.provision_by_http(&email, &password).await?,
        }
        self.account = Some(Account { email, password });
        Ok(())
    }

    /// Runs the profile's `accounts.command` for `email`; it must exit with 0.
    async fn provision_by_command(&self, email: &str, password: &str) -> anyhow::Result<()> {
        let accounts = &self.profile().accounts;
        let base = self.base_url();
        let argv: Vec<String> = accounts
            .command
            .iter()
            .flatten()
            .map(|a| fill_placeholders(a, email, password, base.as_str()))
            .collect();
        let (program, args) = argv.split_first().context("accounts.command is empty")?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args).kill_on_drop(true);
        if let Some(dir) = &accounts.command_dir {
            cmd.current_dir(dir);
        }
        let out = cmd
            .output()
            .await
            .with_context(|| format!("running accounts.command {program:?}"))?;
        ensure!(
            out.status.success(),
            "accounts.command {program:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(())
    }

    /// Sends the profile's `accounts.http` call for `email`; any 2xx is success.
    async fn provision_by_http(&self, email: &str, password: &str) -> anyhow::Result<()> {
        let call = self
            .profile()
            .accounts
            .http
            .clone()
            .context("accounts.http is missing")?;
        let base = self.base_url();
        let fill = |t: &str| fill_placeholders(t, email, password, base.as_str());
        let method = reqwest::Method::from_bytes(call.method.as_bytes())
            .with_context(|| format!("accounts.http.method {:?}", call.method))?;
        let mut req = reqwest::Client::new().request(method, fill(&call.url));
        if let Some(ct) = &call.content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct.as_str());
        }
        for (k, v) in &call.headers {
            req = req.header(k.as_str(), fill(v));
        }
        if let Some(body) = &call.body {
            req = req.body(fill(body));
        }
        let resp = req.send().await.context("sending accounts.http")?;
        let status = resp.status();
        ensure!(
            status.is_success(),
            "accounts.http answered {status}: {}",
            resp.text().await.unwrap_or_default()
        );
        Ok(())
    }

    /// Signs `email` up in browser `b`; the page shows the answer.
    async fn sign_up_in(&self, b: &mut Browser, email: &str, password: &str) -> anyhow::Result<()> {
        if let Err(e) = sign_up(b, &self.start_url()?, email, password, &self.words).await {
            bail!(
                "signing up {email} failed: {e:#}\n      the {}",
                b.describe().await
            );
        }
        Ok(())
    }

    /// Signs `email` up in a throwaway HTTP browser and waits for the confirmation email
    /// (its link kept); returns the browser.
    async fn sign_up_elsewhere(&mut self, email: &str, password: &str) -> anyhow::Result<Browser> {
        let mut b = self.http_browser()?;
        self.sign_up_in(&mut b, email, password).await?;
        if let Err(e) = self.confirmation_email_arrives(email).await {
            let e = e.context(format!("the sign-up {}", b.describe().await));
            return Err(if self.target.stack().is_none() {
                e.context(
                    "a deployed portal limits sign-ups per client: check \
                     PORTAL_SIGNUPS_PER_IP_PER_HOUR on the target (the suite signs up about 40 \
                     addresses per run from one address)",
                )
            } else {
                e
            });
        }
        Ok(b)
    }

    /// Waits for the next confirmation email to `email` and keeps its link.
    pub(super) async fn confirmation_email_arrives(&mut self, email: &str) -> anyhow::Result<()> {
        let msg = self
            .mailbox
            .next(email, &self.mail_words(MailKind::Confirmation))
            .await
            .context("the account confirmation email")?;
        let path = self.profile().paths.confirmation_link.clone();
        self.confirmation_link = Some(mail::link_to(&msg, &path)?);
        Ok(())
    }

    fn confirmation_link(&self) -> anyhow::Result<Url> {
        self.confirmation_link
            .clone()
            .context("no confirmation email was received")
    }

    // ----- logging in -------------------------------------------------------------------

    /// The article's "Log in to the portal": the landing page, "Continue with email",
    /// the account's address and password, "Log in".
    pub async fn log_in(&mut self) -> anyhow::Result<()> {
        let (email, password, base) = (self.email()?, self.password()?, self.start_url()?);
        let ok = log_in(&mut self.browser, &base, &email, &password, &self.words).await?;
        ensure!(
            ok,
            "logging in with the account's password did not reach the account page"
        );
        Ok(())
    }

    /// A second browser logs in ("another device"). Always HTTP: it only has to hold a
    /// session.
    pub async fn log_in_on_other_device(&mut self) -> anyhow::Result<()> {
        let (email, password, base) = (self.email()?, self.password()?, self.start_url()?);
        let mut b = self.http_browser()?;
        let ok = log_in(&mut b, &base, &email, &password, &self.words).await?;
        ensure!(
            ok,
            "the other device could not log in; its {}",
            b.describe().await
        );
        self.other_device = Some(b);
        Ok(())
    }

    /// The owner logs in with the scenario's browser and logs out again: the browser
    /// keeps what the portal gave it (its device cookie), not the session.
    pub async fn logged_in_before(&mut self) -> anyhow::Result<()> {
        self.log_in().await?;
        self.log_out().await?;
        self.assert_logged_out(Device::This).await
    }

    /// Logs in through the pages in a fresh browser of this run's kind; true if the
    /// account home (with its Settings icon) was reached.
    async fn can_log_in_with(&mut self, password: &str) -> anyhow::Result<(bool, String)> {
        let (email, base) = (self.email()?, self.start_url()?);
        let mut b = self.suite.browser(&self.words).await?;
        let r = log_in(&mut b, &base, &email, password, &self.words).await;
        let page = b.describe().await;
        b.close().await;
        Ok((r?, page))
    }

    /// Logging in with `password` works.
    pub async fn assert_can_log_in(&mut self, password: &str) -> anyhow::Result<()> {
        let (ok, page) = self.can_log_in_with(password).await?;
        ensure!(ok, "logging in with {password:?} did not work; the {page}");
        Ok(())
    }

    /// Logging in with `password` is refused.
    pub async fn assert_cannot_log_in(&mut self, password: &str) -> anyhow::Result<()> {
        let (ok, page) = self.can_log_in_with(password).await?;
        ensure!(
            !ok,
            "logging in with {password:?} worked although it should not; the {page}"
        );
        Ok(())
    }

    /// The account's current password works: the new one after a change, or the one it
    /// had all along.
    pub async fn can_log_in_with_current_password(&mut self) -> anyhow::Result<()> {
        let pw = self.password()?;
        self.assert_can_log_in(&pw).await
    }

    /// The password before the last change no longer works.
    pub async fn cannot_log_in_with_old_password(&mut self) -> anyhow::Result<()> {
        let old = self
            .old_passwords
            .last()
            .cloned()
            .context("the password was never changed")?;
        self.assert_cannot_log_in(&old).await
    }

    /// The refused password was not set.
    pub async fn cannot_log_in_with_rejected_password(&mut self) -> anyhow::Result<()> {
        let pw = self
            .rejected_password
            .clone()
            .context("no password was refused")?;
        self.assert_cannot_log_in(&pw).await
    }

    /// The account's password is now `new`; the one it replaces is kept as old.
    pub(super) fn password_changed(&mut self, new: String) -> anyhow::Result<()> {
        let account = self.account.as_mut().context("no account")?;
        let old = std::mem::replace(&mut account.password, new);
        self.old_passwords.push(old);
        Ok(())
    }

    // ----- sessions ---------------------------------------------------------------------

    /// The browser of `device` is logged out: the account page is not reachable.
    pub async fn assert_logged_out(&mut self, device: Device) -> anyhow::Result<()> {
        let (logged_in, page) = self.check_session(device).await?;
        ensure!(!logged_in, "still logged in: the {page}");
        Ok(())
    }

    /// The scenario's browser is still logged in.
    pub async fn assert_logged_in(&mut self) -> anyhow::Result<()> {
        let (logged_in, page) = self.check_session(Device::This).await?;
        ensure!(logged_in, "not logged in: the {page}");
        Ok(())
    }

    async fn check_session(&mut self, device: Device) -> anyhow::Result<(bool, String)> {
        let account = self.url_of(&self.profile().paths.account)?;
        let b = match device {
            Device::This => &mut self.browser,
            Device::Other => self.other_device.as_mut().context("no other device")?,
        };
        b.open(&account).await?;
        let logged_in = is_logged_in(b, &self.words).await?;
        Ok((logged_in, b.describe().await))
    }

    // ----- signing up with an address already taken -------------------------------------

    /// Signs up again with the account's address `times` times, then with a brand-new
    /// one, each in a browser of its own, keeping every answer.
    pub async fn sign_up_again(&mut self, times: usize) -> anyhow::Result<()> {
        let email = self.email()?;
        let fresh = self.suite.unique_email("newcomer");
        let password = new_password("Signup");
        let mut answers = Vec::new();
        for address in std::iter::repeat_n(&email, times).chain([&fresh]) {
            let mut b = self.http_browser()?;
            self.sign_up_in(&mut b, address, &password).await?;
            answers.push(Answer::of_sign_up(&mut b, address).await?);
        }
        // Whatever the owner is told must not repeat the password typed by someone else.
        self.rejected_password = Some(password);
        self.go_to_portal().await?;
        self.answers.extend(answers);
        Ok(())
    }

    /// Every sign-up answer recorded (for the registered address, then for a new one)
    /// is the one the new address got.
    pub fn sign_up_answers_identical(&self) -> anyhow::Result<()> {
        let Some(new) = self.answers.last().filter(|_| self.answers.len() >= 2) else {
            bail!("fewer than two answers were recorded");
        };
        for (i, a) in self.answers.iter().enumerate() {
            ensure!(
                a == new,
                "answer {} differs from the one a new address got:\n        {a:?}\n        {new:?}",
                i + 1
            );
        }
        Ok(())
    }

    /// Signs up in the scenario's browser with the account's address, its first letter
    /// typed as a Kelvin sign.
    pub async fn sign_up_with_kelvin_sign(&mut self) -> anyhow::Result<()> {
        let typed = with_kelvin_sign(&self.email()?)?;
        let (base, password) = (self.start_url()?, new_password("Lookalike"));
        sign_up(&mut self.browser, &base, &typed, &password, &self.words).await?;
        self.rejected_password = Some(password);
        self.record_answer().await
    }

    // ----- sign-ups left unconfirmed ----------------------------------------------------

    /// A new address is signed up (in a browser of its own) and never confirmed; its
    /// confirmation email did arrive.
    pub async fn sign_up_without_confirming(&mut self) -> anyhow::Result<()> {
        let email = self.suite.unique_email("user");
        let password = new_password("Unconfirmed");
        self.sign_up_elsewhere(&email, &password).await?;
        self.unconfirmed = Some(Account { email, password });
        Ok(())
    }

    /// The address left unconfirmed, and the password a log-in to it tries: the one
    /// chosen at sign-up or a wrong one.
    pub(super) fn unconfirmed_attempt(
        &self,
        password: UnconfirmedPassword,
    ) -> anyhow::Result<(String, String)> {
        let account = self
            .unconfirmed
            .clone()
            .context("no address was signed up without confirming it")?;
        Ok(match password {
            UnconfirmedPassword::Chosen => (account.email, account.password),
            UnconfirmedPassword::Wrong => (account.email, new_password("Wrong")),
        })
    }

    /// Tries to log in to the unconfirmed address, with its password or a wrong one, in
    /// a fresh browser of this run's kind, and keeps the answer.
    pub async fn log_in_to_unconfirmed(
        &mut self,
        password: UnconfirmedPassword,
    ) -> anyhow::Result<()> {
        let (email, password) = self.unconfirmed_attempt(password)?;
        let base = self.start_url()?;
        let mut b = self.suite.browser(&self.words).await?;
        let answer = async {
            log_in(&mut b, &base, &email, &password, &self.words).await?;
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
        let (email, _) = self.unconfirmed_attempt(UnconfirmedPassword::Chosen)?;
        let (base, password) = (self.start_url()?, new_password("Mine"));
        sign_up(&mut self.browser, &base, &email, &password, &self.words).await?;
        self.account = Some(Account { email, password });
        Ok(())
    }

    /// Confirms the account with the last confirmation link, in the scenario's browser.
    pub async fn confirm_with_link(&mut self) -> anyhow::Result<()> {
        let link = self.confirmation_link()?;
        confirm_account(&mut self.browser, &link, &self.words).await
    }

    /// The password of the unconfirmed sign-up does not open the account.
    pub async fn unconfirmed_password_fails(&mut self) -> anyhow::Result<()> {
        let (_, theirs) = self.unconfirmed_attempt(UnconfirmedPassword::Chosen)?;
        self.assert_cannot_log_in(&theirs).await
    }
}

/// Logs in through the pages (their `words`), starting at `start`; true if a page
/// only a logged-in user sees was reached.
pub(super) async fn log_in(
    b: &mut Browser,
    start: &Url,
    email: &str,
    password: &str,
    words: &Texts,
) -> anyhow::Result<bool> {
    b.open(start).await?;
    b.click(&words.continue_with_email).await?;
    b.fill(words.log_in_email(), email).await?;
    b.fill(&words.password, password).await?;
    b.click(&words.log_in).await?;
    is_logged_in(b, words).await
}

/// Signs `email` up through the pages: the landing page, "Continue with email", "Create
/// account", the address and password (twice if asked), "Create account" (in `words`).
pub(super) async fn sign_up(
    b: &mut Browser,
    start: &Url,
    email: &str,
    password: &str,
    words: &Texts,
) -> anyhow::Result<()> {
    b.open(start).await?;
    b.click(&words.continue_with_email).await?;
    b.click(&words.create_account).await?;
    b.fill(&words.email, email).await?;
    b.fill(&words.password, password).await?;
    if b.has_field(&words.confirm_password).await? {
        b.fill(&words.confirm_password, password).await?;
    }
    b.click(&words.create_account).await
}

/// Opens a confirmation link in `b` and confirms the account.
async fn confirm_account(b: &mut Browser, link: &Url, words: &Texts) -> anyhow::Result<()> {
    b.open(link).await?;
    if b.has_clickable(&words.confirm_account).await? {
        b.click(&words.confirm_account).await?;
    }
    let text = b.text().await?;
    ensure!(
        text.contains(&words.account_confirmed),
        "confirming the account did not work; the {}",
        b.describe().await
    );
    Ok(())
}

/// Logged in = the page offers the Settings icon or "Log out".
pub(super) async fn is_logged_in(b: &mut Browser, words: &Texts) -> anyhow::Result<bool> {
    Ok(b.has_clickable(&words.settings).await? || b.has_clickable(&words.log_out).await?)
}
