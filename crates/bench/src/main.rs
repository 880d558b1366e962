//! The benchmarks (`cargo xtask bench [--quick]`, which runs this binary): every figure
//! in one table, saved as JSON under `target/bench/` and compared with the previous run.
//!
//! Each area has a module with `run(.., quick) -> anyhow::Result<Vec<BenchRow>>`: the
//! sink ([`sink`]) in this process and under an external client ([`external`], with
//! mailcrab as the peer), the portal ([`portal`]) as a process of its own.
//! Full runs measure release builds (`cargo xtask bench` builds this binary with
//! `--release`); `--quick` (what `cargo xtask ci` runs) uses small counts in the debug
//! build: it checks that every benchmark still works, its numbers mean nothing.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod external;
mod portal;
mod row;
mod sink;

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Context;
use xshell::{Shell, cmd};

use clap::Parser;

use crate::row::BenchRow;

/// Benchmarks of the sink and the portal.
#[derive(Debug, Parser)]
#[command(name = "bench")]
struct Bench {
    /// Small counts in the current build: a smoke run.
    #[arg(long)]
    quick: bool,
    /// Only the sink's figures.
    #[arg(long, conflicts_with = "portal_only")]
    sink_only: bool,
    /// Only the portal's figures.
    #[arg(long)]
    portal_only: bool,
}

fn main() -> anyhow::Result<()> {
    Bench::parse().run()
}

/// A free TCP port on 127.0.0.1, for a child process to listen on.
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The workspace root (this crate lives two levels below it).
fn project_root() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    dir.ancestors().nth(2).unwrap_or(dir).to_path_buf()
}

impl Bench {
    fn run(self) -> anyhow::Result<()> {
        let sh = Shell::new()?;
        let root = project_root();
        sh.change_dir(&root);
        let release = !cfg!(debug_assertions);
        let profile = if release { "release" } else { "debug" };
        let mut rows = Vec::new();
        if !self.portal_only {
            rows.extend(sink::run(self.quick)?);
            // The same servers as processes, under Postfix's smtp-source, with
            // mailcrab's engine as the peer.
            let mut build = vec!["build", "--quiet"];
            if release {
                build.push("--release");
            }
            build.extend(["-p", "mailsink", "--bin", "mailsink", "-p", "bench"]);
            build.extend(["--bin", "mailcrab-peer"]);
            cmd!(sh, "cargo {build...}").run()?;
            rows.extend(external::run(
                &root.join("target").join(profile),
                self.quick,
            )?);
        }
        if !self.sink_only {
            if release {
                cmd!(sh, "cargo build --quiet --release --package portal").run()?;
            } else {
                cmd!(sh, "cargo build --quiet --package portal").run()?;
            }
            let bin = root.join("target").join(profile).join("portal");
            rows.extend(portal::run(&bin, self.quick)?);
            if !self.quick {
                // The suite as QA and CI run it: the debug build, over HTTP, in-process.
                cmd!(sh, "cargo build --quiet --package conformance").run()?;
                let started = Instant::now();
                cmd!(sh, "cargo run --quiet --package conformance").run()?;
                rows.push(BenchRow::new(
                    "conformance suite wall time (HTTP, debug build)",
                    started.elapsed().as_secs_f64(),
                    "s",
                    "",
                ));
            }
        }
        report(&root, &rows, self.quick, profile)
    }
}

/// Prints the table with the change against the previous run of the same kind, and
/// saves this run as the new reference.
fn report(
    root: &std::path::Path,
    rows: &[BenchRow],
    quick: bool,
    profile: &str,
) -> anyhow::Result<()> {
    let dir = root.join("target").join("bench");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(if quick { "quick.json" } else { "latest.json" });
    let previous: BTreeMap<String, f64> = std::fs::read(&file)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("rows").cloned())
        .and_then(|r| serde_json::from_value::<Vec<serde_json::Value>>(r).ok())
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    Some((
                        r.get("name")?.as_str()?.to_owned(),
                        r.get("value")?.as_f64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();

    println!("\n{}", row::table(rows));
    if !previous.is_empty() {
        println!("change against the previous run ({}):", file.display());
        for r in rows {
            if let Some(before) = previous.get(&r.name)
                && *before != 0.0
            {
                println!(
                    "  {:<60} {:>10.2} -> {:>10.2} ({:+.1}%)",
                    r.name,
                    before,
                    r.value,
                    100.0 * (r.value - before) / before
                );
            }
        }
    }
    // When the figures were taken: the wall clock is the point.
    #[allow(clippy::disallowed_methods)]
    let when = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let json = serde_json::json!({
        "when": when,
        "profile": profile,
        "quick": quick,
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "rows": rows,
    });
    std::fs::write(&file, serde_json::to_vec_pretty(&json)?)
        .with_context(|| format!("Failed to write {}", file.display()))?;
    println!("saved {}", file.display());
    if quick {
        println!(
            "(quick run: small counts, current build; the figures only show that each benchmark runs)"
        );
    }
    Ok(())
}
