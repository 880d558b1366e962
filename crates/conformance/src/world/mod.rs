//! The cucumber World: one user (a browser and a mailbox) with their own account on the
//! target, plus what the scenario has learnt so far (links, passwords, answers).
//!
//! Each method is one gesture or one check of the article, so every step is a one-line
//! call into the World. Its modules mirror `steps/`: the World's half of
//! `steps/recovery.rs` is `world/recovery.rs`, and so on. Failures say what was expected
//! and what the page showed instead.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use anyhow::{Context as _, bail};
use htmlform::Page;
use mailsink::Message;
use url::Url;

use crate::browser::{Browser, HttpBrowser, WebBrowser};
use crate::mail::Mailbox;
use crate::profile::{Profile, Texts};
use crate::stack::{Stack, StackKind};
use words::Translator;

mod account;
mod api;
mod change;
mod control;
mod evidence;
mod mail;
mod pages;
mod recovery;
mod session;
mod someone_else;
pub mod words;

pub use account::{Device, UnconfirmedPassword};
pub use control::MailServer;
pub use recovery::{SpecialPassword, Tamper};
pub use someone_else::ScriptedForm;

tokio::task_local! {
    /// The suite of the run in progress, for [`PortalWorld::new`] (cucumber makes each
    /// World without arguments).
    static SUITE: Arc<Suite>;
}

/// What the whole run shares: where the portal is and how scenarios reach it.
#[derive(Debug)]
pub struct Suite {
    /// Where every scenario runs unless it needs a stack of its own: the deployed
    /// portal, or the in-process stack all of them share.
    pub target: Target,
    /// The WebDriver endpoint in browser mode.
    pub webdriver: Option<String>,
    /// Where reports and screenshots go.
    pub out_dir: PathBuf,
    /// The target's profile.
    pub profile: Arc<Profile>,
    /// The article's words to the target's.
    pub translator: Translator,
    run_id: String,
    counter: AtomicU64,
    polling: Arc<AtomicBool>,
}

impl Suite {
    /// A suite for the given target.
    pub fn new(
        target: Target,
        webdriver: Option<String>,
        out_dir: PathBuf,
        profile: Profile,
    ) -> anyhow::Result<Self> {
        let run_id = format!("{:08x}", rand::random::<u32>());
        Ok(Self {
            target,
            webdriver,
            out_dir,
            profile: Arc::new(profile),
            translator: Translator::new()?,
            run_id,
            counter: AtomicU64::new(0),
            polling: Arc::default(),
        })
    }

    /// Runs `run` (the cucumber run) with this suite as the one its Worlds are made for.
    pub async fn scope<F: Future>(self: Arc<Self>, run: F) -> F::Output {
        SUITE.scope(self, run).await
    }

    /// The suite of the run in progress.
    fn current() -> anyhow::Result<Arc<Self>> {
        SUITE
            .try_with(Arc::clone)
            .context("a World is made only inside a suite's run (Suite::scope)")
    }

    /// An address no one has used before (this run, or any other).
    pub fn unique_email(&self, what: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("qa-{what}-{}-{n}@example.com", self.run_id)
    }

    /// A mailbox on the sink at `sink_url`, read as the profile says (the run's sink
    /// shares what it learns about polling).
    pub fn mailbox(&self, sink_url: &str) -> Mailbox {
        let polling = match sink_url == self.target.sink_url() {
            true => Arc::clone(&self.polling),
            false => Arc::default(),
        };
        Mailbox::new(sink_url, &self.profile.mail, polling)
    }

    /// A fresh browser of the kind this run uses, asking for pages in the language of
    /// `words`.
    pub async fn browser(&self, words: &Texts) -> anyhow::Result<Browser> {
        match &self.webdriver {
            Some(url) => Ok(Browser::Web(WebBrowser::connect(url, &words.code).await?)),
            None => Ok(Browser::Http(HttpBrowser::speaking(&words.code)?)),
        }
    }
}

/// Where a scenario's portal and sink are.
#[derive(Debug, Clone)]
pub enum Target {
    /// A deployed portal (`--base-url`, `--sink-url`): no control over it.
    External {
        /// The portal's public URL.
        base_url: Url,
        /// The sink's HTTP API.
        sink_url: String,
    },
    /// The in-process stack every scenario without `@in-process` shares.
    Shared(Arc<Stack>),
    /// An in-process stack started for one `@in-process` scenario, stopped after it.
    Private(Arc<Stack>),
}

impl Target {
    /// The portal's public URL.
    pub fn base_url(&self) -> &Url {
        match self {
            Self::External { base_url, .. } => base_url,
            Self::Shared(stack) | Self::Private(stack) => stack.base_url(),
        }
    }

    /// The sink's HTTP API.
    pub fn sink_url(&self) -> String {
        match self {
            Self::External { sink_url, .. } => sink_url.clone(),
            Self::Shared(stack) | Self::Private(stack) => stack.sink_url(),
        }
    }

    /// The in-process stack, if the portal runs in this process.
    pub fn stack(&self) -> Option<&Stack> {
        match self {
            Self::External { .. } => None,
            Self::Shared(stack) | Self::Private(stack) => Some(stack),
        }
    }
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
#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct PortalWorld {
    suite: Arc<Suite>,
    target: Target,
    /// The scenario's own browser, of the run's kind.
    browser: Browser,
    mailbox: Mailbox,
    /// A second browser with a session of the account (always HTTP).
    other_device: Option<Browser>,
    /// Someone else's client (always HTTP: a script), keeping its cookies.
    other_client: Option<Browser>,
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
    /// The page a request sent by a script got (a forged form, a probe).
    scripted_answer: Option<Page>,
    /// The answers to a burst of requests: (status, visible text), 0 when there was none.
    burst: Vec<(u16, String)>,
    /// The addresses someone else signed up.
    crowd: Vec<String>,
    /// An address signed up and not confirmed, with the password it was signed up with.
    unconfirmed: Option<Account>,
    /// The link of the last confirmation email received.
    confirmation_link: Option<Url>,
    /// The language of the scenario's feature, and the words the target's pages use
    /// in it (from the profile).
    words: Arc<Texts>,
    /// Whether the last new password was sent through the change form (its success
    /// sentence may differ from a reset's).
    changed_in_settings: bool,
    /// What the report will show of the scenario (timings; emails and screenshots are
    /// added when it ends).
    evidence: crate::results::Evidence,
    /// The sink's fault rules standing for "the mail server is down", removed when it is
    /// back or when the scenario ends.
    outage_rules: Vec<String>,
    /// The `Cookie` header of the scenario's browser, copied while it was logged in.
    copied_cookies: Option<String>,
}

impl PortalWorld {
    /// A World on the run's target, with a fresh browser and an empty mailbox.
    async fn new() -> anyhow::Result<Self> {
        let made = async {
            let suite = Suite::current()?;
            let target = suite.target.clone();
            let words = suite
                .profile
                .texts("en")
                .context("the profile has no [texts.en]")?;
            Ok(Self {
                browser: suite.browser(&words).await?,
                mailbox: suite.mailbox(&target.sink_url()),
                target,
                suite,
                other_device: None,
                other_client: None,
                account: None,
                old_passwords: Vec::new(),
                rejected_password: None,
                recovery_links: Vec::new(),
                current_link: None,
                recovery_email: None,
                notification_email: None,
                answers: Vec::new(),
                unknown_email: None,
                forged_host_refused: false,
                scripted_answer: None,
                burst: Vec::new(),
                crowd: Vec::new(),
                unconfirmed: None,
                confirmation_link: None,
                words,
                changed_in_settings: false,
                evidence: crate::results::Evidence::default(),
                outage_rules: Vec::new(),
                copied_cookies: None,
            })
        };
        // Cucumber shows only the error's first line: keep its causes.
        made.await
            .map_err(|e: anyhow::Error| anyhow::anyhow!("{e:#}"))
    }

    /// Moves the scenario to a stack of its own (manual clock, default limits), for
    /// scenarios that need control over the portal.
    pub async fn use_private_stack(&mut self) -> anyhow::Result<()> {
        if matches!(self.target, Target::External { .. }) {
            bail!("an external target gives no control over the portal");
        }
        let stack = Arc::new(Stack::start(StackKind::Private).await?);
        self.mailbox = self.suite.mailbox(&stack.sink_url());
        self.target = Target::Private(stack);
        Ok(())
    }

    /// Speaks the language `code` (a feature's `# language:`): the scenario's browsers
    /// ask for pages in it, and the World's own gestures look for its words.
    pub async fn speak(&mut self, code: &str) -> anyhow::Result<()> {
        let words = self.suite.profile.texts(code).with_context(|| {
            format!(
                "the profile {:?} has no [texts.{code}]",
                self.suite.profile.name
            )
        })?;
        if words.code != self.words.code {
            self.browser.close().await;
            self.browser = self.suite.browser(&words).await?;
            self.words = words;
        }
        Ok(())
    }

    /// A throwaway HTTP browser in the scenario's language.
    fn http_browser(&self) -> anyhow::Result<Browser> {
        Ok(Browser::Http(HttpBrowser::speaking(&self.words.code)?))
    }

    /// Removes the scenario's fault rules left on the sink (a failed scenario's mail
    /// server stays down otherwise), closes the browsers and stops a private stack.
    pub async fn detach(&mut self) {
        for id in std::mem::take(&mut self.outage_rules) {
            if let Err(e) = self.mailbox.remove_fault(&id).await {
                tracing::warn!(error = %format!("{e:#}"), "could not remove a fault rule");
            }
        }
        self.browser.close().await;
        for mut b in [self.other_device.take(), self.other_client.take()]
            .into_iter()
            .flatten()
        {
            b.close().await;
        }
        let target = std::mem::replace(&mut self.target, self.suite.target.clone());
        if let Target::Private(stack) = target
            && let Ok(stack) = Arc::try_unwrap(stack)
        {
            stack.stop().await;
        }
    }

    /// A PNG of the page, in browser mode.
    pub async fn screenshot(&mut self) -> Option<Vec<u8>> {
        self.browser.screenshot().await
    }

    /// Where the run writes its reports.
    pub fn out_dir(&self) -> &Path {
        &self.suite.out_dir
    }

    /// Adds where the browser is and what it shows to a failure.
    pub async fn explain(&mut self, result: anyhow::Result<()>) -> Result<(), StepFailure> {
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                let page = self.browser.describe().await;
                Err(StepFailure(format!("{e:#}\n      the {page}")))
            }
        }
    }

    fn base_url(&self) -> Url {
        self.target.base_url().clone()
    }

    /// The page "I go to the portal" opens (the profile's `paths.start`).
    fn start_url(&self) -> anyhow::Result<Url> {
        self.url_of(&self.profile().paths.start)
    }

    /// The target's URL for `path` (e.g. the profile's `paths.start`).
    fn url_of(&self, path: &str) -> anyhow::Result<Url> {
        let base = self.base_url();
        let joined = base.join(path.trim_start_matches('/'))?;
        Ok(joined)
    }

    /// The target's words for what a feature quotes in the article's words (a
    /// button, a field, a sentence): see [`Translator::say`]. After a change, the
    /// success sentence is the profile's `change_success` when it has one.
    pub fn say(&self, article_words: &str) -> anyhow::Result<String> {
        let code = &self.words.code;
        if self.changed_in_settings
            && self.suite.translator.key_of(code, article_words).as_deref() == Some("success")
            && let Some(s) = &self.words.change_success
        {
            return Ok(s.clone());
        }
        self.suite.translator.say(&self.words, article_words)
    }

    /// The target's success sentence for the last new password sent.
    /// Whether the page on screen says the password was set (the success sentence).
    async fn says_password_set(&mut self) -> anyhow::Result<bool> {
        let sentence = self.success_sentence();
        Ok(self.browser.text().await?.contains(&sentence))
    }

    fn success_sentence(&self) -> String {
        match (&self.words.change_success, self.changed_in_settings) {
            (Some(s), true) => s.clone(),
            _ => self.words.success.clone(),
        }
    }

    /// The profile.
    fn profile(&self) -> &Profile {
        &self.suite.profile
    }

    fn stack(&self) -> anyhow::Result<&Stack> {
        self.target
            .stack()
            .context("this step needs the in-process target: tag the scenario @in-process")
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

/// A strong password no other scenario uses (no product name, no address inside).
fn new_password(tag: &str) -> String {
    format!("{tag}-Lantern-{:08x}-Harbour-Quiet", rand::random::<u32>())
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn unique_addresses_do_not_repeat() {
        let suite = Suite::new(
            Target::External {
                base_url: Url::parse("http://portal.test/").unwrap(),
                sink_url: "http://sink.test".into(),
            },
            None,
            "target".into(),
            Profile::portal().unwrap(),
        )
        .unwrap();
        let a = suite.unique_email("user");
        let b = suite.unique_email("user");
        assert_ne!(a, b);
        assert!(a.ends_with("@example.com"));
    }

    #[test]
    fn the_kelvin_sign_replaces_the_first_k() {
        assert_eq!(
            with_kelvin_sign("k.qa-user@example.com").unwrap(),
            "\u{212A}.qa-user@example.com"
        );
        assert!(with_kelvin_sign("qa-user@example.com").is_err());
    }
}
