//! The command line shared by the `conformance` binary and the `cargo test` target.

use std::path::PathBuf;

use url::Url;

/// Runs the Gherkin conformance suite against an in-process portal (default) or a
/// deployed one.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "conformance",
    version,
    about = "Walks the documented password reset and change steps (features/*.feature) \
             against the portal, over HTTP or in a real Chromium.",
    after_help = "Without --base-url the suite starts the portal, a fresh SQLite database and \
                  a mail sink in-process. With --base-url and --sink-url it checks a deployed \
                  portal whose mail goes to a Mailpit-compatible sink with the /api/v1/wait \
                  call (mail outages are fault rules on that sink, so it must be this project's); \
                  scenarios tagged @in-process (clock, default rate limits) are then skipped \
                  and the summary says so. Reports: console, JUnit XML and \
                  cucumber JSON under --out."
)]
pub struct Options {
    /// Public URL of a deployed portal (external target).
    #[arg(long, env = "CONFORMANCE_BASE_URL", requires = "sink_url")]
    pub base_url: Option<Url>,

    /// HTTP URL of the mail sink that receives the deployed portal's email.
    #[arg(long, env = "CONFORMANCE_SINK_URL", requires = "base_url")]
    pub sink_url: Option<Url>,

    /// The target's profile (`profiles/<name>.toml`): its texts, paths, accounts, mail,
    /// claimed rules and expected failures [default: profiles/portal.toml, our portal].
    #[arg(long, env = "CONFORMANCE_PROFILE", value_name = "FILE")]
    pub profile: Option<PathBuf>,

    /// Drive Debian's Chromium through chromedriver (headless) instead of plain HTTP.
    #[arg(long, env = "CONFORMANCE_BROWSER")]
    pub browser: bool,

    /// Only scenarios matching this tag expression, e.g. `@journey` or
    /// `not @in-process`.
    #[arg(long, env = "CONFORMANCE_TAGS")]
    pub tags: Option<String>,

    /// Directory of `.feature` files [default: the workspace's features/].
    #[arg(long, env = "CONFORMANCE_FEATURES")]
    pub features: Option<PathBuf>,

    /// Where the JUnit XML, cucumber JSON and failure screenshots go [default:
    /// target/conformance/].
    #[arg(long, env = "CONFORMANCE_OUT")]
    pub out: Option<PathBuf>,

    /// Scenarios run at the same time (default: 16 over HTTP, 4 in browser mode, each
    /// with a Chromium session of its own).
    #[arg(long, env = "CONFORMANCE_CONCURRENCY")]
    pub concurrency: Option<usize>,

    /// Only scenarios whose name contains this text (like a test-name filter).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

/// The workspace this crate was built in (features/ and target/ live there).
fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

impl Options {
    /// The profile of the target: `--profile`, or our portal's.
    pub fn load_profile(&self) -> anyhow::Result<crate::profile::Profile> {
        match &self.profile {
            Some(path) => crate::profile::Profile::load(path),
            None => crate::profile::Profile::portal(),
        }
    }

    /// The directory of `.feature` files.
    pub fn features_dir(&self) -> PathBuf {
        self.features
            .clone()
            .unwrap_or_else(|| workspace_root().join("features"))
    }

    /// The reports directory.
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("target"))
                .join("conformance")
        })
    }

    /// Whether the suite runs against a deployed portal.
    pub fn is_external(&self) -> bool {
        self.base_url.is_some()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use clap::Parser as _;

    #[test]
    fn defaults_are_in_process_over_http() {
        let o = Options::try_parse_from(["conformance"]).unwrap();
        assert!(!o.is_external() && !o.browser && o.tags.is_none());
        assert!(o.features_dir().ends_with("features"));
        assert!(o.out_dir().ends_with("conformance"));
    }

    #[test]
    fn an_external_target_needs_both_urls() {
        assert!(Options::try_parse_from(["conformance", "--base-url", "http://x.test"]).is_err());
        let o = Options::try_parse_from([
            "conformance",
            "--base-url",
            "https://portal.example",
            "--sink-url",
            "http://mail.example:8025",
            "--browser",
            "--tags",
            "@journey",
        ])
        .unwrap();
        assert!(o.is_external() && o.browser);
        assert_eq!(o.tags.as_deref(), Some("@journey"));
    }
}
