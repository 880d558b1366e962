//! `cargo xtask ci`: the one command that decides whether a change is good.

use std::time::Instant;

use anyhow::Context;
use xshell::{Shell, cmd};

use crate::postgres::TempCluster;

#[derive(Debug, clap::Args)]
pub struct Ci {
    /// Skip the PostgreSQL leg (it needs Debian's `postgresql` package or DATABASE_URL).
    #[arg(long)]
    no_postgres: bool,
    /// Skip the browser leg (it needs Debian's `chromium` and `chromium-driver`).
    #[arg(long)]
    no_browser: bool,
}

impl Ci {
    pub fn run(self) -> anyhow::Result<()> {
        let sh = Shell::new()?;
        sh.change_dir(crate::project_root());
        let started = Instant::now();

        step("cargo fmt --check", || {
            cmd!(sh, "cargo fmt --all -- --check").run()?;
            Ok(())
        })?;
        step("cargo clippy", || {
            cmd!(sh, "cargo clippy --workspace --all-targets -- -D warnings").run()?;
            Ok(())
        })?;
        // Tools the tests drive, installed here so that the tests themselves never reach
        // beyond loopback: Mailpit's npm client, for the sink's client test.
        let npm_client = step_value("Mailpit's npm client (npm install)", || {
            crate::npm::mailpit_api(&sh)
        })?;
        // Unit and integration tests of every crate on SQLite, and the whole conformance
        // suite over HTTP against an in-process stack (its harness = false test target).
        step("cargo test (SQLite)", || {
            let _client = sh.push_env("MAILSINK_NPM_CLIENT", &npm_client);
            cmd!(sh, "cargo test --workspace").run()?;
            Ok(())
        })?;
        // The JSON API against its OpenAPI document, on the binary the tests just built.
        step("API contract (schemathesis)", || {
            crate::api_contract::ApiContract::for_ci().run(&sh)
        })?;
        if !self.no_postgres {
            step("PostgreSQL leg", || postgres_leg(&sh))?;
        }
        if !self.no_browser {
            // Every scenario a browser can run (`@not-in-browser` ones are skipped).
            step("conformance suite in Chromium", || {
                cmd!(sh, "cargo run --package conformance -- --browser").run()?;
                Ok(())
            })?;
        }
        // The suite on a portal we did not write: Django's stock password views.
        step("conformance suite against Django", || {
            crate::django::run(&sh, &[])
        })?;
        step("benchmarks run (--quick)", || {
            cmd!(sh, "cargo xtask bench --quick").run()?;
            Ok(())
        })?;
        println!("\nxtask ci: all checks passed in {:.0?}", started.elapsed());
        Ok(())
    }
}

/// Runs the portal's tests and the conformance suite against PostgreSQL: a server given
/// by `DATABASE_URL`, or a throwaway cluster made for this run and removed after it.
fn postgres_leg(sh: &Shell) -> anyhow::Result<()> {
    let (url, _cluster) = match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => (url, None),
        _ => {
            let cluster = TempCluster::start().context("Failed to start a PostgreSQL cluster")?;
            (cluster.url(), Some(cluster))
        }
    };
    let _env = sh.push_env("PORTAL_TEST_DATABASE_URL", &url);
    // The portal's tests, including the multi-process cluster and fault tests that only
    // make sense on PostgreSQL (ignored in the SQLite leg).
    cmd!(sh, "cargo test --package portal -- --include-ignored").run()?;
    cmd!(sh, "cargo test --package conformance").run()?;
    Ok(())
}

fn step(name: &str, f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    step_value(name, f)
}

/// A step that hands back what it made.
fn step_value<T>(name: &str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    println!("\n==> {name}");
    let started = Instant::now();
    let value = f().with_context(|| format!("xtask ci: step `{name}` failed"))?;
    println!("==> {name}: ok in {:.0?}", started.elapsed());
    Ok(value)
}
