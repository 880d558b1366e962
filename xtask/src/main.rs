//! Project automation: `cargo xtask ci | dev | conformance | bench | api-contract`.
//!
//! `ci` is the one entry point CI calls (through `.ci/run`); every other subcommand is a
//! convenience for developers and QA.

mod api_contract;
mod ci;
mod django;
mod npm;
mod postgres;
mod venv;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "xtask",
    about = "Project automation for the password recovery workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every check: formatting, clippy, all tests (SQLite and PostgreSQL), the JSON API
    /// against its OpenAPI document, the conformance suite over HTTP and in Chromium, the
    /// suite against the Django target, and a quick benchmark run.
    Ci(ci::Ci),
    /// Benchmarks of the sink and the portal (the `bench` crate, release build);
    /// `--quick` for a smoke run in the debug build.
    Bench {
        /// Small counts in the debug build: a smoke run.
        #[arg(long)]
        quick: bool,
        /// Only the sink's figures.
        #[arg(long, conflicts_with = "portal_only")]
        sink_only: bool,
        /// Only the portal's figures.
        #[arg(long)]
        portal_only: bool,
    },
    /// The JSON API against its OpenAPI document: schemathesis, every check, on the
    /// portal binary (needs `python3` with `venv`; installs schemathesis under `target/`).
    ApiContract(api_contract::ApiContract),
    /// Run the portal with its embedded sink (same as `cargo run`).
    Dev {
        /// Extra arguments for the portal binary.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run the Gherkin conformance suite (in-process by default; `--base-url URL
    /// --sink-url URL` for a deployed portal; `--browser` for Chromium; `--target
    /// django` for Django's stock password views, started with a sink for the run).
    Conformance {
        /// What to check: this project's portal, or the Django target of
        /// `fixtures/targets/django/` with `profiles/django.toml`.
        #[arg(long, value_enum, default_value_t = ConformanceTarget::Portal)]
        target: ConformanceTarget,
        /// Arguments for the conformance runner (see `cargo xtask conformance -- --help`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ci(ci) => ci.run(),
        Command::Bench {
            quick,
            sink_only,
            portal_only,
        } => {
            let sh = xshell::Shell::new()?;
            sh.change_dir(project_root());
            let args: Vec<&str> = [(sink_only, "--sink-only"), (portal_only, "--portal-only")]
                .into_iter()
                .filter_map(|(on, flag)| on.then_some(flag))
                .collect();
            if quick {
                xshell::cmd!(sh, "cargo run --quiet --package bench -- --quick {args...}").run()?;
            } else {
                xshell::cmd!(
                    sh,
                    "cargo run --quiet --release --package bench -- {args...}"
                )
                .run()?;
            }
            Ok(())
        }
        Command::ApiContract(check) => {
            let sh = xshell::Shell::new()?;
            sh.change_dir(project_root());
            check.run(&sh)
        }
        Command::Dev { args } => {
            let sh = xshell::Shell::new()?;
            xshell::cmd!(sh, "cargo run --package portal -- {args...}").run()?;
            Ok(())
        }
        Command::Conformance { target, args } => {
            let sh = xshell::Shell::new()?;
            match target {
                ConformanceTarget::Portal => {
                    xshell::cmd!(sh, "cargo run --package conformance -- {args...}").run()?;
                }
                ConformanceTarget::Django => {
                    sh.change_dir(project_root());
                    django::run(&sh, &args)?;
                }
            }
            Ok(())
        }
    }
}

/// The portals `cargo xtask conformance` knows how to start.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ConformanceTarget {
    /// This project's portal (in-process unless `--base-url` says otherwise).
    Portal,
    /// Django 5.2's stock password views with a mail sink, started for the run.
    Django,
}

/// The workspace root (xtask lives one level below it).
fn project_root() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    dir.parent().unwrap_or(dir).to_path_buf()
}
