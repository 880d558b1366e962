//! The cucumber World: one user (a browser and a mailbox) with their own account on the
//! target, plus what the scenario has learnt so far (links, passwords, answers).
//!
//! Each method is one gesture or one check of the article, so every step is a one-line
//! call here. Failures say what was expected and what the page showed instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use mailsink::Message;
use url::Url;

use crate::browser::{Browser, HttpBrowser, WebBrowser};
use crate::mail::{self, Mailbox};
use crate::stack::{Stack, StackKind};

mod security;

pub use security::ScriptedForm;

/// The sentence the forgot-password page shows for any address (the help article's words).
pub const NEUTRAL_ANSWER: &str = "If the email address you entered matches an existing account, a password recovery email will be sent to this email address.";
/// The sentence after a successful reset or change.
pub const SUCCESS: &str = "You can now log in using the new password you defined.";
/// The answer past a rate limit.
pub const TOO_MANY_ATTEMPTS: &str = "Too many attempts. Wait a few minutes and try again.";

/// Words (sink search syntax) that pick recovery emails: they link to `/recover`.
const RECOVERY_EMAIL: &str = "/recover";
/// Words that pick account confirmation emails.
const CONFIRMATION_EMAIL: &str = "/confirm";
/// Words that pick notification emails (no recovery or confirmation link).
const NOTIFICATION_EMAIL: &str = "-/recover -/confirm";
/// Words that pick "Someone tried to sign up with your email address" emails.
const SIGNUP_ATTEMPT_EMAIL: &str = "subject:\"someone tried to sign up\"";

/// What the whole run shares: where the portal is and how scenarios reach it.
#[derive(Debug)]
pub struct Suite {
    /// The external target (`--base-url`/`--sink-url`), or `None` for in-process.
    pub external: Option<(Url, String)>,
    /// The stack every untagged scenario shares (in-process target).
    pub shared: Option<Arc<Stack>>,
    /// The WebDriver endpoint in browser mode.
    pub webdriver: Option<String>,
    /// Where screenshots go.
    pub out_dir: std::path::PathBuf,
    run_id: String,
    counter: AtomicU64,
}

impl Suite {
    /// A suite for the given target.
    pub fn new(
        external: Option<(Url, String)>,
        shared: Option<Arc<Stack>>,
        webdriver: Option<String>,
        out_dir: std::path::PathBuf,
    ) -> Self {
        let run_id = format!("{:08x}", rand::random::<u32>());
        Self {
            external,
            shared,
            webdriver,
            out_dir,
            run_id,
            counter: AtomicU64::new(0),
        }
    }

    /// An address no one has used before (this run, or any other).
    pub fn unique_email(&self, what: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("qa-{what}-{}-{n}@example.com", self.run_id)
    }

    /// A fresh browser of the kind this run uses.
    pub async fn browser(&self) -> anyhow::Result<Browser> {
        match &self.webdriver {
            Some(url) => Ok(Browser::Web(WebBrowser::connect(url).await?)),
            None => Ok(Browser::Http(HttpBrowser::new()?)),
        }
    }
}

/// Where this scenario's portal and sink are.
#[derive(Debug, Clone)]
pub struct Target {
    /// The portal's public URL.
    pub base_url: Url,
    /// The sink's HTTP API.
    pub sink_url: String,
    /// The in-process stack, when there is one.
    pub stack: Option<Arc<Stack>>,
    /// Whether the stack belongs to this scenario alone (stopped after it).
    pub private: bool,
}

/// The account a scenario created for itself.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its address (unique to the scenario).
    pub email: String,
    /// Its current password.
    pub password: String,
}

/// The World.
#[derive(Debug, Default, cucumber::World)]
pub struct PortalWorld {
    suite: Option<Arc<Suite>>,
    target: Option<Target>,
    browser: Option<Browser>,
    other_device: Option<Browser>,
    /// Someone else's client (always HTTP: a script), keeping its cookies.
    other_client: Option<Browser>,
    mailbox: Option<Mailbox>,
    account: Option<Account>,
    /// Passwords the account had before (most recent last).
    old_passwords: Vec<String>,
    /// A password that was tried and should not have been set.
    rejected_password: Option<String>,
    /// Recovery links received, oldest first.
    recovery_links: Vec<Url>,
    /// Which of them the next "click the recovery link" opens.
    current_link: Option<Url>,
    /// The last recovery email and the last notification email.
    recovery_email: Option<Message>,
    notification_email: Option<Message>,
    /// The pages shown after each "restore password" (or sign-up) request.
    answers: Vec<Answer>,
    /// The address without an account used by the scenario.
    unknown_email: Option<String>,
    /// Whether a forged-Host request was refused outright (4xx).
    forged_host_refused: bool,
    /// The page a request sent by a script got (a forged form, a probe): (status, text,
    /// alerts).
    scripted_answer: Option<(u16, String, Vec<String>)>,
    /// The answers to a burst of requests: (status, visible text), 0 when there was none.
    burst: Vec<(u16, String)>,
    /// The addresses someone else signed up.
    crowd: Vec<String>,
    /// An address signed up and not confirmed, with the password it was signed up with.
    unconfirmed: Option<Account>,
    /// The link of the last confirmation email received.
    confirmation_link: Option<Url>,
    /// The scenario's name (for reports).
    pub(crate) scenario_name: String,
}

/// A strong password no other scenario uses (no product name, no address inside).
fn new_password(tag: &str) -> String {
    format!("{tag}-Lantern-{:08x}-Harbour-Quiet", rand::random::<u32>())
}

impl PortalWorld {
    // ----- set-up (hooks) -------------------------------------------------------------

    /// Attaches the run's target and a fresh browser; starts a private stack when the
    /// scenario needs control over the portal.
    pub async fn attach(
        &mut self,
        suite: Arc<Suite>,
        needs_control: bool,
        name: &str,
    ) -> anyhow::Result<()> {
        self.scenario_name = name.to_owned();
        let target = match (&suite.external, needs_control) {
            (Some((base, sink)), _) => Target {
                base_url: base.clone(),
                sink_url: sink.clone(),
                stack: None,
                private: false,
            },
            (None, true) => {
                let stack = Arc::new(Stack::start(StackKind::Private).await?);
                Target {
                    base_url: stack.base_url().clone(),
                    sink_url: stack.sink_url(),
                    stack: Some(stack),
                    private: true,
                }
            }
            (None, false) => {
                let stack = suite
                    .shared
                    .clone()
                    .context("no shared stack was started")?;
                Target {
                    base_url: stack.base_url().clone(),
                    sink_url: stack.sink_url(),
                    stack: Some(stack),
                    private: false,
                }
            }
        };
        self.mailbox = Some(Mailbox::new(&target.sink_url));
        self.browser = Some(suite.browser().await?);
        self.target = Some(target);
        self.suite = Some(suite);
        Ok(())
    }

    /// Closes the browsers and stops a private stack.
    pub async fn detach(&mut self) {
        if let Some(b) = self.browser.take() {
            b.close().await;
        }
        for b in [self.other_device.take(), self.other_client.take()]
            .into_iter()
            .flatten()
        {
            b.close().await;
        }
        if let Some(target) = self.target.take()
            && target.private
            && let Some(stack) = target.stack.and_then(|s| Arc::try_unwrap(s).ok())
        {
            stack.stop().await;
        }
    }

    /// A PNG of the page, in browser mode.
    pub async fn screenshot(&mut self) -> Option<Vec<u8>> {
        self.browser.as_mut()?.screenshot().await
    }

    /// Where the run writes its reports.
    pub fn out_dir(&self) -> Option<std::path::PathBuf> {
        self.suite.as_ref().map(|s| s.out_dir.clone())
    }

    // ----- accessors ------------------------------------------------------------------

    fn suite(&self) -> anyhow::Result<&Arc<Suite>> {
        self.suite
            .as_ref()
            .context("the scenario has no target (before hook failed)")
    }

    fn target(&self) -> anyhow::Result<&Target> {
        self.target
            .as_ref()
            .context("the scenario has no target (before hook failed)")
    }

    fn base_url(&self) -> anyhow::Result<Url> {
        Ok(self.target()?.base_url.clone())
    }

    fn stack(&self) -> anyhow::Result<&Stack> {
        self.target()?
            .stack
            .as_deref()
            .context("this step needs the in-process target: tag the scenario @in-process")
    }

    fn browser(&mut self) -> anyhow::Result<&mut Browser> {
        self.browser
            .as_mut()
            .context("no browser (before hook failed)")
    }

    fn mailbox(&mut self) -> anyhow::Result<&mut Mailbox> {
        self.mailbox
            .as_mut()
            .context("no mailbox (before hook failed)")
    }

    fn account(&self) -> anyhow::Result<&Account> {
        self.account
            .as_ref()
            .context("no account yet: start with \"Given I have an account on the portal\"")
    }

    fn email(&self) -> anyhow::Result<String> {
        Ok(self.account()?.email.clone())
    }

    fn password(&self) -> anyhow::Result<String> {
        Ok(self.account()?.password.clone())
    }

    /// Adds where the browser is and what it shows to a failure.
    pub async fn explain(&mut self, result: anyhow::Result<()>) -> Result<(), StepFailure> {
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                let page = match self.browser.as_mut() {
                    Some(b) => b.describe().await,
                    None => "no page".to_owned(),
                };
                Err(StepFailure(format!("{e:#}\n      the {page}")))
            }
        }
    }

    // ----- the account ----------------------------------------------------------------

    /// Signs up a new, unique address through the portal's own pages, and confirms it
    /// with the link the sink received. Runs in a throwaway HTTP browser so the
    /// scenario's own browser starts logged out on a blank page.
    pub async fn create_account(&mut self) -> anyhow::Result<()> {
        let email = self.suite()?.unique_email("user");
        self.create_account_for(email).await
    }

    async fn create_account_for(&mut self, email: String) -> anyhow::Result<()> {
        let password = new_password("Initial");
        let mut b = self.sign_up_elsewhere(&email, &password).await?;
        let link = self.confirmation_link()?;
        confirm_account(&mut b, &link).await?;
        self.account = Some(Account { email, password });
        Ok(())
    }

    /// Signs `email` up in browser `b`; the page shows the answer.
    async fn sign_up_in(&self, b: &mut Browser, email: &str, password: &str) -> anyhow::Result<()> {
        let base = self.base_url()?;
        if let Err(e) = sign_up(b, &base, email, password).await {
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
        let mut b = Browser::Http(HttpBrowser::new()?);
        self.sign_up_in(&mut b, email, password).await?;
        if let Err(e) = self.confirmation_email_arrives(email).await {
            let e = e.context(format!("the sign-up {}", b.describe().await));
            return Err(if self.target()?.stack.is_none() {
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
    async fn confirmation_email_arrives(&mut self, email: &str) -> anyhow::Result<()> {
        let msg = self
            .mailbox()?
            .next(email, CONFIRMATION_EMAIL)
            .await
            .context("the account confirmation email")?;
        self.confirmation_link = Some(mail::link_to(&msg, "/confirm")?);
        Ok(())
    }

    fn confirmation_link(&self) -> anyhow::Result<Url> {
        self.confirmation_link
            .clone()
            .context("no confirmation email was received")
    }

    /// Logs in through the pages in a fresh browser of this run's kind; true if the
    /// account home (with its Settings icon) was reached.
    async fn can_log_in_with(&mut self, password: &str) -> anyhow::Result<(bool, String)> {
        let email = self.email()?;
        let base = self.base_url()?;
        let mut b = self.suite()?.browser().await?;
        let r = log_in(&mut b, &base, &email, password).await;
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

    /// The new password works.
    pub async fn can_log_in_with_new_password(&mut self) -> anyhow::Result<()> {
        let pw = self.password()?;
        self.assert_can_log_in(&pw).await
    }

    /// The account's current password still works (nothing was changed).
    pub async fn can_still_log_in(&mut self) -> anyhow::Result<()> {
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

    fn password_changed(&mut self, new: String) -> anyhow::Result<()> {
        let account = self.account.as_mut().context("no account")?;
        let old = std::mem::replace(&mut account.password, new);
        self.old_passwords.push(old);
        Ok(())
    }

    // ----- gestures -------------------------------------------------------------------

    /// Opens the portal's public URL.
    pub async fn go_to_portal(&mut self) -> anyhow::Result<()> {
        let base = self.base_url()?;
        self.browser()?.open(&base).await
    }

    /// Clicks a link or button by its visible text.
    pub async fn click(&mut self, name: &str) -> anyhow::Result<()> {
        self.browser()?.click(name).await
    }

    /// Clicks inside a named panel (the page must show the panel's title).
    pub async fn click_in_panel(&mut self, panel: &str, name: &str) -> anyhow::Result<()> {
        let text = self.browser()?.text().await?;
        ensure!(text.contains(panel), "the page has no {panel:?} panel");
        self.click(name).await
    }

    /// Types into the field labelled `label`.
    pub async fn fill(&mut self, label: &str, value: &str) -> anyhow::Result<()> {
        self.browser()?.fill(label, value).await
    }

    /// The article's "Log in to the portal": the landing page, "Continue with email",
    /// the account's address and password, "Log in".
    pub async fn log_in(&mut self) -> anyhow::Result<()> {
        let (email, password, base) = (self.email()?, self.password()?, self.base_url()?);
        let ok = log_in(self.browser()?, &base, &email, &password).await?;
        ensure!(
            ok,
            "logging in with the account's password did not reach the account page"
        );
        Ok(())
    }

    /// A second browser logs in ("another device"). Always HTTP: it only has to hold a
    /// session.
    pub async fn log_in_on_other_device(&mut self) -> anyhow::Result<()> {
        let (email, password, base) = (self.email()?, self.password()?, self.base_url()?);
        let mut b = Browser::Http(HttpBrowser::new()?);
        let ok = log_in(&mut b, &base, &email, &password).await?;
        ensure!(
            ok,
            "the other device could not log in; its {}",
            b.describe().await
        );
        self.other_device = Some(b);
        Ok(())
    }

    /// Enters the account's address on the forgot-password page and presses `button`.
    pub async fn enter_email_and_click(&mut self, button: &str) -> anyhow::Result<()> {
        let email = self.email()?;
        self.fill("Email", &email).await?;
        self.click(button).await?;
        self.record_answer().await
    }

    async fn record_answer(&mut self) -> anyhow::Result<()> {
        let answer = Answer::of(self.browser()?).await?;
        self.answers.push(answer);
        Ok(())
    }

    /// From wherever the browser is: the landing page, "Continue with email", "Forgot
    /// your password?", the address, "Restore password".
    pub async fn ask_recovery_for(&mut self, email: &str) -> anyhow::Result<()> {
        self.go_to_portal().await?;
        self.click("Continue with email").await?;
        self.click("Forgot your password?").await?;
        self.fill("Email", email).await?;
        self.click("Restore password").await?;
        self.record_answer().await
    }

    /// Asks to restore the password of an address that has no account.
    pub async fn ask_recovery_for_unknown(&mut self) -> anyhow::Result<()> {
        let email = self.suite()?.unique_email("nobody");
        self.unknown_email = Some(email.clone());
        self.ask_recovery_for(&email).await
    }

    /// Asks to restore the password of the account, typing its address in capitals.
    pub async fn ask_recovery_for_mine_in_capitals(&mut self) -> anyhow::Result<()> {
        let typed = self.email()?.to_uppercase();
        self.ask_recovery_for(&typed).await
    }

    /// The recovery email's recipient is the stored address, byte for byte.
    pub fn recovery_email_to_stored_address(&self) -> anyhow::Result<()> {
        let email = self.email()?;
        let msg = self.recovery_email.as_ref().context("no recovery email")?;
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

    /// Asks to restore the password of the account, `times` times.
    pub async fn ask_recovery_for_mine(&mut self, times: usize) -> anyhow::Result<()> {
        let email = self.email()?;
        for _ in 0..times {
            self.ask_recovery_for(&email).await?;
        }
        Ok(())
    }

    /// "I asked to restore my password": the journey's first half, up to the email.
    pub async fn asked_recovery(&mut self) -> anyhow::Result<()> {
        self.ask_recovery_for_mine(1).await?;
        self.see(NEUTRAL_ANSWER).await?;
        self.recovery_email_arrives().await
    }

    /// Waits for the next recovery email to the account and keeps its link.
    pub async fn recovery_email_arrives(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        let external = self.target()?.stack.is_none();
        let msg = match self.mailbox()?.next(&email, RECOVERY_EMAIL).await {
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
        let link = mail::link_to(&msg, "/recover")?;
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

    /// Opens the recovery link from the email (waiting for the email if it has not been
    /// read yet).
    pub async fn click_recovery_link(&mut self) -> anyhow::Result<()> {
        if self.current_link.is_none() {
            self.recovery_email_arrives().await?;
        }
        let link = self.current_link.clone().context("no recovery link")?;
        self.browser()?.open(&link).await
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
        self.browser()?.open(&link).await
    }

    /// Opens the link just used, again.
    pub async fn open_same_link_again(&mut self) -> anyhow::Result<()> {
        let link = self
            .current_link
            .clone()
            .context("no recovery link opened yet")?;
        self.browser()?.open(&link).await
    }

    /// Opens the recovery link after changing its token.
    pub async fn open_tampered_link(&mut self, how: Tamper) -> anyhow::Result<()> {
        let link = match self.current_link.clone() {
            Some(l) => l,
            None => {
                self.recovery_email_arrives().await?;
                self.current_link.clone().context("no recovery link")?
            }
        };
        let tampered = how.apply(&link)?;
        self.browser()?.open(&tampered).await
    }

    /// Another client fetches the link first (as mail scanners do), following redirects.
    pub async fn scanner_opens_link(&mut self) -> anyhow::Result<()> {
        if self.current_link.is_none() {
            self.recovery_email_arrives().await?;
        }
        let link = self.current_link.clone().context("no recovery link")?;
        let mut scanner = HttpBrowser::new()?;
        scanner.open(&link).await?;
        scanner.open(&link).await
    }

    /// Fills "New password" and "Confirm new password" and presses "Validate".
    pub async fn set_new_password(
        &mut self,
        password: &str,
        confirmation: &str,
    ) -> anyhow::Result<()> {
        self.fill("New password", password).await?;
        self.fill("Confirm new password", confirmation).await?;
        self.click("Validate").await
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

    async fn settle_password(&mut self, password: &str) -> anyhow::Result<()> {
        let text = self.browser()?.text().await?;
        if text.contains(SUCCESS) {
            self.password_changed(password.to_owned())
        } else {
            self.rejected_password = Some(password.to_owned());
            Ok(())
        }
    }

    /// A password made to break or stretch a rule.
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

    /// The article's "Enter your current password, define a new one, and click Update
    /// password".
    pub async fn enter_current_and_new_password(&mut self, button: &str) -> anyhow::Result<()> {
        let current = self.password()?;
        self.change_password_form(&current, button).await
    }

    async fn change_password_form(&mut self, current: &str, button: &str) -> anyhow::Result<()> {
        let new = new_password("Changed");
        self.fill("Current password", current).await?;
        self.fill("New password", &new).await?;
        self.fill("Confirm new password", &new).await?;
        self.click(button).await?;
        self.settle_password(&new).await
    }

    /// The whole change journey from the account page.
    pub async fn change_password_in_settings(
        &mut self,
        current: Option<&str>,
    ) -> anyhow::Result<()> {
        let current = match current {
            Some(c) => c.to_owned(),
            None => self.password()?,
        };
        self.click("Settings").await?;
        self.click("Security").await?;
        self.click_in_panel("Password", "Edit").await?;
        self.change_password_form(&current, "Update password").await
    }

    /// Signs up again with the account's address `times` times, then with a brand-new
    /// one, each in a browser of its own, keeping every answer.
    pub async fn sign_up_again(&mut self, times: usize) -> anyhow::Result<()> {
        let email = self.email()?;
        let fresh = self.suite()?.unique_email("newcomer");
        let password = new_password("Signup");
        let mut answers = Vec::new();
        for address in std::iter::repeat_n(&email, times).chain([&fresh]) {
            let mut b = Browser::Http(HttpBrowser::new()?);
            self.sign_up_in(&mut b, address, &password).await?;
            answers.push(Answer::of_sign_up(&mut b, address).await?);
        }
        // Whatever the owner is told must not repeat the password typed by someone else.
        self.rejected_password = Some(password);
        self.go_to_portal().await?;
        self.answers.extend(answers);
        Ok(())
    }

    /// Sends the forgot-password form with a forged `Host` (and `X-Forwarded-Host`).
    pub async fn ask_recovery_with_forged_host(&mut self, host: &str) -> anyhow::Result<()> {
        let email = self.email()?;
        let base = self.base_url()?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::HOST, host.parse()?);
        headers.insert("x-forwarded-host", host.parse()?);
        headers.insert("x-forwarded-proto", "https".parse()?);
        let mut b = HttpBrowser::with_headers(headers)?;
        b.open(&base).await?;
        for link in ["Continue with email", "Forgot your password?"] {
            if b.status_code() >= 400 {
                break;
            }
            b.click(link).await?;
        }
        if b.status_code() >= 400 {
            // Refusing a request for an unknown host is also safe.
            self.forged_host_refused = true;
            return Ok(());
        }
        b.fill("Email", &email)?;
        b.click("Restore password").await?;
        self.forged_host_refused = b.status_code() >= 400;
        Ok(())
    }

    /// Logs in with a separate HTTP client, opens the change form and submits it with
    /// the current password and a new one, but without the CSRF field: what a page on
    /// another site could make the browser send (the session cookie goes along).
    pub async fn forged_cross_site_change(&mut self) -> anyhow::Result<()> {
        let (email, password, base) = (self.email()?, self.password()?, self.base_url()?);
        let mut b = Browser::Http(HttpBrowser::new()?);
        ensure!(
            log_in(&mut b, &base, &email, &password).await?,
            "could not log in to prepare the forged request; the {}",
            b.describe().await
        );
        b.click("Settings").await?;
        b.click("Security").await?;
        b.click("Edit").await?;
        let new = new_password("Forged");
        b.fill("Current password", &password).await?;
        b.fill("New password", &new).await?;
        b.fill("Confirm new password", &new).await?;
        let Browser::Http(mut http) = b else {
            unreachable!("built as an HTTP browser above")
        };
        http.click_without_field("Update password", "csrf").await?;
        self.keep_scripted_answer(&http);
        self.rejected_password = Some(new);
        Ok(())
    }

    /// Keeps what a script's request got, for the checks that follow.
    fn keep_scripted_answer(&mut self, http: &HttpBrowser) {
        self.scripted_answer = Some((
            http.status_code(),
            http.text(),
            htmlform::markup::alerts(http.body()),
        ));
    }

    /// The forged request got an error, not the success sentence.
    pub fn forged_request_refused(&self) -> anyhow::Result<()> {
        let (status, text, alerts) = self
            .scripted_answer
            .as_ref()
            .context("no forged request was sent")?;
        ensure!(
            !text.contains(SUCCESS),
            "the forged request changed the password: {text:?}"
        );
        ensure!(
            *status >= 400 || !alerts.is_empty(),
            "the forged request was not refused (status {status}): {text:?}"
        );
        Ok(())
    }

    /// After opening the recovery link, the address bar holds no token.
    pub async fn token_out_of_address_bar(&mut self) -> anyhow::Result<()> {
        let link = self.current_link.clone().context("no recovery link")?;
        let url = self.browser()?.url().await?;
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
        let header = |name: &str| {
            page.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_lowercase()
        };
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

    // ----- control of the in-process stack ----------------------------------------------

    /// Moves the portal's clock.
    pub fn time_passes(&mut self, by: Duration) -> anyhow::Result<()> {
        self.stack()?.advance_clock(by)
    }

    /// Switches the SMTP relay between the portal and the sink.
    pub fn mail_server_up(&mut self, up: bool) -> anyhow::Result<()> {
        self.stack()?.relay().set_up(up);
        Ok(())
    }

    // ----- checks -----------------------------------------------------------------------

    /// The page shows `sentence`.
    pub async fn see(&mut self, sentence: &str) -> anyhow::Result<()> {
        let text = self.browser()?.text().await?;
        let want = htmlform::markup::normalize(sentence);
        ensure!(text.contains(&want), "expected the page to say {want:?}");
        Ok(())
    }

    /// The page shows an error (a `role="alert"` element), containing `words` if given.
    pub async fn see_error(&mut self, words: Option<&str>) -> anyhow::Result<()> {
        let html = self.browser()?.html().await?;
        let alerts = htmlform::markup::alerts(&html);
        ensure!(
            !alerts.is_empty(),
            "expected an error message (role=\"alert\") on the page"
        );
        ensure!(
            !self.browser()?.text().await?.contains(SUCCESS),
            "the page says the password was changed"
        );
        if let Some(words) = words {
            let all = alerts.join(" | ");
            ensure!(
                all.to_lowercase().contains(&words.to_lowercase()),
                "expected the error to mention {words:?}; it says {all:?}"
            );
        }
        Ok(())
    }

    /// The recovery page does not let anyone set a password with this link: either it
    /// offers no form, or the form refuses.
    pub async fn recovery_link_refused(&mut self) -> anyhow::Result<()> {
        let b = self.browser()?;
        if b.has_field("New password").await? {
            let pw = new_password("Sneaky");
            self.set_new_password(&pw, &pw).await?;
            let text = self.browser()?.text().await?;
            if text.contains(SUCCESS) {
                self.password_changed(pw)?;
                bail!("the link was accepted: a new password was set with it");
            }
        } else {
            let text = b.text().await?;
            ensure!(
                !text.contains(SUCCESS),
                "the page says the password was changed"
            );
        }
        let html = self.browser()?.html().await?;
        ensure!(
            !htmlform::markup::alerts(&html).is_empty()
                || self.browser()?.status().is_some_and(|s| s >= 400),
            "the page does not say that the link is no longer valid"
        );
        Ok(())
    }

    /// The last two "restore password" answers are identical.
    pub fn answers_identical(&self) -> anyhow::Result<()> {
        let n = self.answers.len();
        ensure!(n >= 2, "fewer than two answers were recorded");
        let (a, b) = (&self.answers[n - 2], &self.answers[n - 1]);
        ensure!(a == b, "the answers differ:\n        {a:?}\n        {b:?}");
        Ok(())
    }

    /// Every recorded answer showed `sentence`.
    pub fn every_answer_said(&self, sentence: &str) -> anyhow::Result<()> {
        ensure!(!self.answers.is_empty(), "no answer was recorded");
        for (i, Answer { text, status, .. }) in self.answers.iter().enumerate() {
            ensure!(
                text.contains(sentence),
                "answer {} (status {status:?}) did not say it: {text:?}",
                i + 1
            );
        }
        let first = &self.answers[0];
        ensure!(
            self.answers.iter().all(|a| a == first),
            "the answers were not all the same: {:?}",
            self.answers
        );
        Ok(())
    }

    /// No email reached the address that has no account. Run after an email to the real
    /// account (sent later, through the same outbox) has arrived.
    pub async fn no_email_to_unknown(&mut self) -> anyhow::Result<()> {
        let unknown = self
            .unknown_email
            .clone()
            .context("no unknown address was used")?;
        self.mailbox()?.none(&unknown, "").await
    }

    /// No recovery email reached the account (yet).
    pub async fn no_recovery_email(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        self.mailbox()?.none(&email, RECOVERY_EMAIL).await
    }

    /// Exactly `n` recovery emails arrive, and no more.
    pub async fn exactly_n_recovery_emails(&mut self, n: usize) -> anyhow::Result<()> {
        self.exactly_n_emails(n, RECOVERY_EMAIL, "recovery email")
            .await
    }

    /// Exactly `n` "someone tried to sign up" emails arrive, and no more.
    pub async fn exactly_n_signup_attempt_emails(&mut self, n: usize) -> anyhow::Result<()> {
        self.exactly_n_emails(
            n,
            SIGNUP_ATTEMPT_EMAIL,
            "\"someone tried to sign up\" email",
        )
        .await
    }

    /// Exactly `n` emails matching `words` arrive for the account, and no more: the
    /// `n` are waited for, then no other may follow (sent through the same outbox, it
    /// would have come by then).
    async fn exactly_n_emails(&mut self, n: usize, words: &str, what: &str) -> anyhow::Result<()> {
        let email = self.email()?;
        for i in 0..n {
            self.mailbox()?
                .next(&email, words)
                .await
                .with_context(|| format!("{what} {} of {n}", i + 1))?;
        }
        self.mailbox()?.none(&email, words).await
    }

    /// Every sign-up answer recorded (for the registered address, then for a new one)
    /// is the one the new address got.
    pub fn sign_up_answers_identical(&self) -> anyhow::Result<()> {
        ensure!(
            self.answers.len() >= 2,
            "fewer than two answers were recorded"
        );
        let new = &self.answers[self.answers.len() - 1];
        for (i, a) in self.answers.iter().enumerate() {
            ensure!(
                a == new,
                "answer {} differs from the one a new address got:\n        {a:?}\n        {new:?}",
                i + 1
            );
        }
        Ok(())
    }

    /// Some email (not a recovery or confirmation) arrives for the account.
    pub async fn notification_arrives(&mut self) -> anyhow::Result<()> {
        let email = self.email()?;
        let msg = self.mailbox()?.next(&email, NOTIFICATION_EMAIL).await?;
        self.notification_email = Some(msg);
        Ok(())
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
        let msg = self.recovery_email.as_ref().context("no recovery email")?;
        self.check_addressed_to_me(msg, "password")
    }

    /// The notification goes to the account alone and its subject is about the password.
    pub fn notification_addressed(&self) -> anyhow::Result<()> {
        let msg = self
            .notification_email
            .as_ref()
            .context("no notification email")?;
        self.check_addressed_to_me(msg, "password")
    }

    /// The recovery link is built on the public URL.
    pub fn recovery_link_is_public(&self) -> anyhow::Result<()> {
        let base = self.base_url()?;
        let link = self.current_link.as_ref().context("no recovery link")?;
        ensure!(
            link.origin() == base.origin() && link.path().starts_with(base.path()),
            "the recovery link {link} is not under the public address {base}"
        );
        let msg = self.recovery_email.as_ref().context("no recovery email")?;
        for l in &msg.links {
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

    /// The recovery email does not hold the account's password.
    pub fn recovery_email_has_no_password(&self) -> anyhow::Result<()> {
        let msg = self.recovery_email.as_ref().context("no recovery email")?;
        let text = mail::full_text(msg);
        let pw = self.password()?;
        ensure!(
            !text.contains(&pw),
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
        let msg = self
            .notification_email
            .as_ref()
            .context("no notification email")?;
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
                    !u.path().starts_with("/recover") && mail::secrets_in(&u).is_empty(),
                    "the notification carries a token link: {u}"
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
        let msg = self.recovery_email.as_ref().context("no recovery email")?;
        ensure!(
            !mail::full_text(msg).contains("evil.example"),
            "the email mentions the forged host"
        );
        Ok(())
    }

    /// The browser is logged out: the account page is not reachable.
    pub async fn assert_logged_out(&mut self, other: bool) -> anyhow::Result<()> {
        let (logged_in, page) = self.check_session(other).await?;
        ensure!(!logged_in, "still logged in: the {page}");
        Ok(())
    }

    /// The browser is still logged in.
    pub async fn assert_logged_in(&mut self) -> anyhow::Result<()> {
        let (logged_in, page) = self.check_session(false).await?;
        ensure!(logged_in, "not logged in: the {page}");
        Ok(())
    }

    async fn check_session(&mut self, other: bool) -> anyhow::Result<(bool, String)> {
        let account = self.base_url()?.join("account")?;
        let b = if other {
            self.other_device.as_mut().context("no other device")?
        } else {
            self.browser()?
        };
        b.open(&account).await?;
        let logged_in = is_logged_in(b).await?;
        Ok((logged_in, b.describe().await))
    }
}

/// What the portal answered to a request: what a user sees and, over HTTP, what a
/// script sees (status, headers, cookie names and attributes). Enumeration-safe answers
/// are equal for known and unknown addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The page's visible text.
    pub text: String,
    /// The HTTP status (HTTP mode).
    pub status: Option<u16>,
    /// [`Browser::header_shape`] (HTTP mode).
    pub headers: Option<Vec<String>>,
}

impl Answer {
    /// What `b` shows now.
    pub async fn of(b: &mut Browser) -> anyhow::Result<Self> {
        Ok(Self {
            text: b.text().await?,
            status: b.status(),
            headers: b.header_shape(),
        })
    }

    /// What `b` shows after signing `address` up, the address written `<address>` (the
    /// answer to any address must be the same).
    pub async fn of_sign_up(b: &mut Browser, address: &str) -> anyhow::Result<Self> {
        let mut answer = Self::of(b).await?;
        answer.text = answer.text.replace(address, "<address>");
        Ok(answer)
    }
}

/// A step's failure, as cucumber reports it.
#[derive(Debug)]
pub struct StepFailure(pub String);

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

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
        let (key, token) = pairs
            .iter()
            .find(|(_, v)| v.len() >= 16)
            .cloned()
            .context("the recovery link carries no token in its query")?;
        let new_token = match self {
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
        };
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
        Ok(out)
    }
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

/// Logs in through the pages; true if the account home was reached.
pub async fn log_in(
    b: &mut Browser,
    base: &Url,
    email: &str,
    password: &str,
) -> anyhow::Result<bool> {
    b.open(base).await?;
    b.click("Continue with email").await?;
    b.fill("Email", email).await?;
    b.fill("Password", password).await?;
    b.click("Log in").await?;
    is_logged_in(b).await
}

/// Signs `email` up through the pages: the landing page, "Continue with email", "Create
/// account", the address and password (twice if asked), "Create account".
pub async fn sign_up(
    b: &mut Browser,
    base: &Url,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    b.open(base).await?;
    b.click("Continue with email").await?;
    b.click("Create account").await?;
    b.fill("Email", email).await?;
    b.fill("Password", password).await?;
    if b.has_field("Confirm password").await? {
        b.fill("Confirm password", password).await?;
    }
    b.click("Create account").await
}

/// Opens a confirmation link in `b` and confirms the account.
async fn confirm_account(b: &mut Browser, link: &Url) -> anyhow::Result<()> {
    b.open(link).await?;
    if b.has_clickable("Confirm account").await? {
        b.click("Confirm account").await?;
    }
    let text = b.text().await?;
    ensure!(
        text.contains("Your account is confirmed"),
        "confirming the account did not work; the {}",
        b.describe().await
    );
    Ok(())
}

/// Logged in = the page offers the Settings icon or "Log out".
async fn is_logged_in(b: &mut Browser) -> anyhow::Result<bool> {
    Ok(b.has_clickable("Settings").await? || b.has_clickable("Log out").await?)
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
    fn tamper_modes_parse_from_the_feature_words() {
        assert_eq!("without its token".parse::<Tamper>(), Ok(Tamper::Removed));
        assert!("sideways".parse::<Tamper>().is_err());
    }

    #[test]
    fn unique_addresses_do_not_repeat() {
        let suite = Suite::new(None, None, None, "target".into());
        let a = suite.unique_email("user");
        let b = suite.unique_email("user");
        assert_ne!(a, b);
        assert!(a.ends_with("@example.com"));
    }
}
