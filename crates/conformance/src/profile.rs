//! A target's profile (`profiles/<name>.toml`): how one portal says and does what the
//! help article describes. The feature files keep the article's words; the World
//! translates them through the profile, so a new target needs a profile and no Rust.
//!
//! `profiles/portal.toml` (embedded here) is the default and, because our portal speaks
//! the article's words, also the *vocabulary*: a quoted text in a feature is looked up
//! among its texts to find the key it stands for, and the target's text for that key is
//! used instead ([`Profile::say`]). Every table refuses unknown keys; a text a step
//! needs and the profile lacks is an error naming the key.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, ensure};
use serde::Deserialize;

mod texts;

pub use texts::Texts;

/// The default profile's source (our portal).
pub const PORTAL_PROFILE: &str = include_str!("../../../profiles/portal.toml");

/// One target, as `profiles/<name>.toml` describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// A short name, shown in the banner and the report.
    pub name: String,
    /// One line about the target.
    #[serde(default)]
    pub description: String,
    /// Entry points and the paths of links in emails.
    #[serde(default)]
    pub paths: Paths,
    /// How the pages show what the steps read.
    #[serde(default)]
    pub pages: Pages,
    /// How a scenario's account comes to exist.
    #[serde(default)]
    pub accounts: Accounts,
    /// How the target's mail is read.
    #[serde(default)]
    pub mail: MailSettings,
    /// The requirements the target claims to follow.
    #[serde(default)]
    pub rules: Rules,
    /// The timing scenario's sample size and threshold.
    #[serde(default)]
    pub timing: TimingSettings,
    /// Scenarios known to fail on this target, each with its reason.
    #[serde(default)]
    pub expected_failures: Vec<ExpectedFailure>,
    /// The pages' words per language code (`en` for features without a
    /// `# language:` line; required).
    #[serde(default)]
    texts: BTreeMap<String, Texts>,
    /// The same, ready to share with the Worlds (filled by [`Profile::parse`]).
    #[serde(skip)]
    languages: BTreeMap<String, Arc<Texts>>,
}

/// `[paths]`: where things are on the target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Paths {
    /// The page "I go to the portal" opens (default `/`).
    pub start: String,
    /// A page only a logged-in user reaches; the session checks open it (default
    /// `/account`).
    pub account: String,
    /// The path recovery links in emails start with (default `/recover`). The token
    /// may be in the query or in the path.
    pub recovery_link: String,
    /// The path account confirmation links start with (default `/confirm`).
    pub confirmation_link: String,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            start: "/".into(),
            account: "/account".into(),
            recovery_link: "/recover".into(),
            confirmation_link: "/confirm".into(),
        }
    }
}

/// `[pages]`: how the target's pages show what the steps read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pages {
    /// A CSS selector of the elements that hold error messages (default
    /// `[role="alert"]`; e.g. `[role="alert"], .errorlist`).
    pub errors: String,
}

impl Default for Pages {
    fn default() -> Self {
        Self {
            errors: "[role=\"alert\"]".into(),
        }
    }
}

/// How accounts come to exist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provision {
    /// Through the pages: sign up, then the confirmation link from the email.
    #[default]
    SignUp,
    /// `accounts.command`, run once per account.
    Command,
    /// `accounts.http`, one call per account.
    Http,
}

/// `[accounts]`. Placeholders in `command` and `http`: `{email}`, `{password}`,
/// `{base_url}` (the target's URL without its trailing `/`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accounts {
    /// `sign-up` (default), `command` or `http`.
    #[serde(default)]
    pub provision: Provision,
    /// The program and its arguments (no shell), e.g. `["python", "manage.py",
    /// "createuser", "{email}", "{password}"]`; it must exit with 0.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Directory the command runs in (default: the current one).
    #[serde(default)]
    pub command_dir: Option<String>,
    /// The HTTP call that creates an account; any 2xx is success.
    #[serde(default)]
    pub http: Option<HttpCall>,
}

/// `accounts.http`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCall {
    /// `POST` by default.
    #[serde(default = "post")]
    pub method: String,
    /// The URL, e.g. `{base_url}/admin/users`.
    pub url: String,
    /// The body, e.g. `{"email": "{email}", "password": "{password}"}`.
    #[serde(default)]
    pub body: Option<String>,
    /// Its `Content-Type`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Other headers (e.g. an `Authorization`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn post() -> String {
    "POST".into()
}

/// How the sink is asked for mail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailApi {
    /// The long-poll `wait` call when the sink has it, polling otherwise.
    #[default]
    Auto,
    /// Always the `wait` call (this project's sink).
    Wait,
    /// Always polling `GET /api/v1/search` (any Mailpit-compatible API).
    Poll,
}

/// `[mail]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// `auto` (default), `wait` or `poll`.
    pub api: MailApi,
    /// Time between two searches when polling (default 100).
    pub poll_interval_ms: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            api: MailApi::Auto,
            poll_interval_ms: 100,
        }
    }
}

/// `[rules]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// Rule tags the target claims, without `@` (`asvs-6.3.8`, `owasp-fp-...`); `*`
    /// claims all (the default). A scenario runs when every rule tag it carries is
    /// claimed.
    pub claimed: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            claimed: vec!["*".into()],
        }
    }
}

/// Whether a tag names a requirement (rather than a journey or a need of the run).
pub fn is_rule_tag(tag: &str) -> bool {
    tag.starts_with("asvs-") || tag.starts_with("owasp-")
}

impl Rules {
    /// The rule tags among `tags` the target does not claim.
    pub fn unclaimed<'a>(&self, tags: impl Iterator<Item = &'a String>) -> Vec<String> {
        if self.claimed.iter().any(|c| c == "*") {
            return Vec::new();
        }
        tags.map(|t| t.trim_start_matches('@'))
            .filter(|t| is_rule_tag(t) && !self.claimed.iter().any(|c| c == t))
            .map(str::to_owned)
            .collect()
    }
}

/// `[timing]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimingSettings {
    /// Known/unknown pairs sent, interleaved (default 400).
    pub pairs: usize,
    /// The largest median difference tolerated, in milliseconds (default 1.0).
    pub threshold_ms: f64,
    /// Pairs sent first and not counted (connection, caches; default 20).
    pub warm_up: usize,
}

impl Default for TimingSettings {
    fn default() -> Self {
        Self {
            pairs: 400,
            threshold_ms: 1.0,
            warm_up: 20,
        }
    }
}

/// `[[expected_failures]]`: a scenario known to fail on this target.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailure {
    /// The scenario's name, exactly as the feature gives it.
    pub scenario: String,
    /// For a Scenario Outline: a text of the example row's steps (e.g. `do not
    /// match`), when only some rows fail.
    #[serde(default)]
    pub example: Option<String>,
    /// Why it fails on this target (shown in the report and the summary).
    pub reason: String,
}

impl Profile {
    /// Reads and checks a profile file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("reading the profile {}", path.display()))?;
        Self::parse(&source).with_context(|| format!("in the profile {}", path.display()))
    }

    /// The default profile: our portal.
    pub fn portal() -> anyhow::Result<Self> {
        Self::parse(PORTAL_PROFILE).context("in the built-in profiles/portal.toml")
    }

    /// Parses and checks a profile's text.
    pub fn parse(source: &str) -> anyhow::Result<Self> {
        let mut profile: Self = toml::from_str(source).map_err(|e| anyhow::anyhow!("{e}"))?;
        profile.check()?;
        for (code, texts) in &mut profile.texts {
            texts.index(code)?;
        }
        profile.languages = profile
            .texts
            .iter()
            .map(|(code, t)| (code.clone(), Arc::new(t.clone())))
            .collect();
        Ok(profile)
    }

    fn check(&self) -> anyhow::Result<()> {
        ensure!(
            self.texts.contains_key("en"),
            "no [texts.en]: the words of the English features are required"
        );
        match self.accounts.provision {
            Provision::SignUp => {}
            Provision::Command => ensure!(
                self.accounts
                    .command
                    .as_ref()
                    .is_some_and(|c| !c.is_empty()),
                "accounts.provision = \"command\" needs accounts.command = [\"program\", \"arg\", ...]"
            ),
            Provision::Http => ensure!(
                self.accounts.http.is_some(),
                "accounts.provision = \"http\" needs accounts.http = {{ url = ..., body = ... }}"
            ),
        }
        for (i, f) in self.expected_failures.iter().enumerate() {
            ensure!(
                !f.scenario.trim().is_empty() && !f.reason.trim().is_empty(),
                "expected_failures[{i}] needs a scenario and a reason"
            );
        }
        ensure!(
            self.timing.pairs >= 20,
            "timing.pairs must be at least 20 (got {})",
            self.timing.pairs
        );
        ensure!(
            self.timing.threshold_ms.is_finite() && self.timing.threshold_ms > 0.0,
            "timing.threshold_ms must be a positive number of milliseconds"
        );
        htmlform::markup::texts_of("", &self.pages.errors)
            .map_err(|e| anyhow::anyhow!("pages.errors: {e}"))?;
        ensure!(
            self.paths.start.starts_with('/') && self.paths.account.starts_with('/'),
            "paths.start and paths.account are paths on the target, starting with /"
        );
        Ok(())
    }

    /// The target's texts in `code` (`es`, `fr-FR`), if the profile has that language.
    pub fn texts(&self, code: &str) -> Option<Arc<Texts>> {
        let primary = code.split(['-', '_']).next().unwrap_or(code);
        self.languages
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(primary))
            .map(|(_, t)| Arc::clone(t))
    }

    /// The languages the profile has texts for.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.languages.keys().map(String::as_str)
    }
}

/// Replaces `{email}`, `{password}` and `{base_url}` in a provisioning template.
pub fn fill_placeholders(template: &str, email: &str, password: &str, base_url: &str) -> String {
    template
        .replace("{email}", email)
        .replace("{password}", password)
        .replace("{base_url}", base_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
[texts.en]
continue_with_email = ""
create_account = "Sign up"
email = "Email"
password = "Password"
confirm_password = "Password confirmation"
log_in = "Log in"
log_out = "Log out"
confirm_account = ""
account_confirmed = "Confirmed"
settings = "Change password"
security = ""
password_panel = ""
edit = ""
current_password = "Old password"
new_password = "New password"
confirm_new_password = "New password confirmation"
update_password = "Change my password"
validate = "Change my password"
forgot_password = "Forgotten your password?"
restore_password = "Reset my password"
neutral_answer = "We’ve emailed you instructions"
success = "Your password has been set."
log_in_email = "Username"
"#;

    #[test]
    fn the_portal_profile_parses_and_speaks_four_languages() {
        let p = Profile::portal().unwrap();
        assert_eq!(p.name, "portal");
        assert_eq!(p.languages().collect::<Vec<_>>(), ["de", "en", "es", "fr"]);
        assert_eq!(p.texts("fr-CA").unwrap().code, "fr");
        assert!(p.texts("it").is_none());
        assert_eq!(p.accounts.provision, Provision::SignUp);
        assert!(
            p.rules
                .unclaimed(["@asvs-6.3.8".to_owned()].iter())
                .is_empty()
        );
    }

    #[test]
    fn the_articles_words_become_the_targets() {
        let tr = crate::world::words::Translator::new().unwrap();
        let target = Profile::parse(MINIMAL).unwrap();
        let en = target.texts("en").unwrap();
        assert_eq!(
            tr.say(&en, "Forgot your password?").unwrap(),
            "Forgotten your password?"
        );
        assert_eq!(tr.say(&en, "Continue with email").unwrap(), "");
        assert_eq!(tr.say(&en, "not a key's text").unwrap(), "not a key's text");
        let e = tr
            .say(&en, "Too many attempts. Wait a few minutes and try again.")
            .unwrap_err();
        assert!(e.to_string().contains("`too_many_attempts`"), "{e}");
        assert_eq!(en.log_in_email(), "Username");
    }

    #[test]
    fn mistakes_name_the_key() {
        let unknown = format!("{MINIMAL}\nlog_inn = \"x\"\n");
        let e = format!("{:#}", Profile::parse(&unknown).unwrap_err());
        assert!(e.contains("log_inn"), "{e}");
        let missing = MINIMAL.replace("log_out = \"Log out\"\n", "");
        let e = format!("{:#}", Profile::parse(&missing).unwrap_err());
        assert!(e.contains("log_out"), "{e}");
        let e = format!(
            "{:#}",
            Profile::parse("name = \"t\"\n[texts.es]\n").unwrap_err()
        );
        assert!(e.contains("texts.en") || e.contains("missing"), "{e}");
        let bad_selector = format!("{MINIMAL}\n[pages]\nerrors = \"[role=\"\n");
        let e = format!("{:#}", Profile::parse(&bad_selector).unwrap_err());
        assert!(e.contains("pages.errors"), "{e}");
        let e = format!("{:#}", Profile::parse("name = [").unwrap_err());
        assert!(!e.is_empty());
        let cmd = format!("{MINIMAL}\n[accounts]\nprovision = \"command\"\n");
        let e = format!("{:#}", Profile::parse(&cmd).unwrap_err());
        assert!(e.contains("accounts.command"), "{e}");
        let bad_failure =
            format!("{MINIMAL}\n[[expected_failures]]\nscenario = \"x\"\nreason = \" \"\n");
        let e = format!("{:#}", Profile::parse(&bad_failure).unwrap_err());
        assert!(e.contains("expected_failures[0]"), "{e}");
    }

    #[test]
    fn claims_pick_the_rule_tags() {
        let rules = Rules {
            claimed: vec!["asvs-6.3.8".into()],
        };
        let tags = ["@journey", "@asvs-6.3.8", "@owasp-fp-consistent-time"].map(String::from);
        assert_eq!(rules.unclaimed(tags.iter()), ["owasp-fp-consistent-time"]);
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill_placeholders(
                "{base_url}/u?e={email}&p={password}",
                "a@b",
                "pw",
                "http://x/"
            ),
            "http://x/u?e=a@b&p=pw"
        );
    }
}
