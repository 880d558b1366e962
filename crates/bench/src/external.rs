//! The sink under a client nobody here wrote: Postfix's `smtp-source` (Debian package
//! `postfix`) against the `mailsink` binary, and against mailcrab's SMTP engine (the
//! `mailcrab-peer` binary of this crate) in the same run, each a process of its own.
//!
//! Each round sends `-m N` messages of 2 KiB over 20 kept-alive sessions (`-d -s 20 -l
//! 2048`) to one server, then to the other, so both see the same machine load. A
//! server's CPU per message is the user + system time its process spent during the
//! round (from `/proc/PID/stat`) over N; the rate is N over the round's wall time,
//! which `smtp-source` itself bounds. Every message must arrive: the sink's listing and
//! mailcrab's count are checked after the rounds.
//!
//! `smtp-source` speaks HELO, so it does not pipeline: every message is four round
//! trips (MAIL, RCPT, DATA, the body), four reads and four writes for either server.
//! On loopback most of a server's CPU per message is then the kernel's work for those
//! writes, the same for both; see README's benchmark section for the profile.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::free_port;
use crate::row::BenchRow;
use crate::sink::cpu_seconds_of;

/// Parallel sessions, as in the in-process benchmark.
const SESSIONS: &str = "20";
/// Message payload in bytes (`smtp-source -l`; headers come on top).
const PAYLOAD: &str = "2048";

/// The `smtp-source` binary: on PATH or where Debian's postfix puts it.
fn smtp_source() -> anyhow::Result<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")]);
    for dir in candidates {
        let bin = dir.join("smtp-source");
        if bin.is_file() {
            return Ok(bin);
        }
    }
    bail!("smtp-source not found: install Debian's `postfix` package (apt-get install postfix)")
}

/// A server process under test; killed on drop.
struct Server {
    name: &'static str,
    child: Child,
    smtp_port: u16,
    /// mailcrab's stdin (closing it asks for the count) and stdout.
    control: Option<(ChildStdin, BufReader<ChildStdout>)>,
    /// The sink's HTTP API.
    http: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn sink(bin: &Path) -> anyhow::Result<Self> {
        let (smtp, http) = (free_port()?, free_port()?);
        let child = Command::new(bin)
            .args(["--smtp", &format!("127.0.0.1:{smtp}")])
            .args(["--http", &format!("127.0.0.1:{http}")])
            // Keep every message, so the listing proves none was lost.
            .args(["--max-messages", "0", "--max-total-size", "0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("Failed to start {}", bin.display()))?;
        let server = Self {
            name: "mailsink",
            child,
            smtp_port: smtp,
            control: None,
            http: Some(format!("http://127.0.0.1:{http}")),
        };
        server.wait_for_port()?;
        Ok(server)
    }

    fn mailcrab(bin: &Path) -> anyhow::Result<Self> {
        let smtp = free_port()?;
        let mut child = Command::new(bin)
            .arg(smtp.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("Failed to start {}", bin.display()))?;
        let stdin = child.stdin.take().context("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().context("no stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        if line.trim() != "ready" {
            bail!("mailcrab-peer did not start: {line:?}");
        }
        Ok(Self {
            name: "mailcrab 1.10.0",
            child,
            smtp_port: smtp,
            control: Some((stdin, stdout)),
            http: None,
        })
    }

    /// Start-up poll of a child process's port: nothing else to wait on.
    fn wait_for_port(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.smtp_port)).is_err() {
            if Instant::now() > deadline {
                bail!("{} did not listen within 30 s", self.name);
            }
            #[allow(clippy::disallowed_methods)] // start-up poll of a child process
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn cpu(&self) -> anyhow::Result<f64> {
        cpu_seconds_of(&self.child.id().to_string())
            .with_context(|| format!("cannot read the CPU time of {}", self.name))
    }

    /// Messages the server holds (the sink) or took (mailcrab); ends mailcrab.
    fn received(mut self) -> anyhow::Result<u64> {
        if let Some(http) = &self.http {
            let url = format!("{http}/api/v1/messages?limit=1");
            let body: serde_json::Value = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(async { reqwest::get(url).await?.error_for_status()?.json().await })?;
            return body["total"]
                .as_u64()
                .context("the sink's listing has no total");
        }
        let (stdin, mut stdout) = self.control.take().context("no control pipe")?;
        drop(stdin);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        line.trim()
            .strip_prefix("received ")
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("mailcrab-peer answered {line:?}"))
    }
}

/// One round: `n` messages from `smtp-source` to `server`; (msg/s, CPU ms per message).
fn round(source: &Path, server: &Server, n: usize) -> anyhow::Result<(f64, f64)> {
    let cpu0 = server.cpu()?;
    let started = Instant::now();
    let out = Command::new(source)
        .args(["-d", "-s", SESSIONS, "-l", PAYLOAD, "-m", &n.to_string()])
        .args(["-f", "bench@example.com", "-t", "sink@example.com"])
        .args(["-M", "bench.example"])
        .arg(format!("127.0.0.1:{}", server.smtp_port))
        .stdin(Stdio::null())
        .output()
        .context("Failed to run smtp-source")?;
    let elapsed = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "smtp-source against {} failed ({}): {}",
            server.name,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cpu = server.cpu()? - cpu0;
    Ok((n as f64 / elapsed, cpu * 1000.0 / n as f64))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// The external-client rows; `bin_dir` holds the built `mailsink` and `mailcrab-peer`.
pub fn run(bin_dir: &Path, quick: bool) -> anyhow::Result<Vec<BenchRow>> {
    let source = smtp_source()?;
    let (n, rounds) = if quick { (500, 1) } else { (20_000, 5) };
    let ours = Server::sink(&bin_dir.join("mailsink"))?;
    let crab = Server::mailcrab(&bin_dir.join("mailcrab-peer"))?;
    let (mut ours_rate, mut ours_cpu, mut crab_rate, mut crab_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (rate, cpu) = round(&source, &ours, n)?;
        ours_rate.push(rate);
        ours_cpu.push(cpu);
        let (rate, cpu) = round(&source, &crab, n)?;
        crab_rate.push(rate);
        crab_cpu.push(cpu);
    }
    let sent = (n * rounds) as u64;
    let lost_ours = sent.saturating_sub(ours.received()?);
    let lost_crab = sent.saturating_sub(crab.received()?);
    let (ours_rate, crab_rate) = (median(ours_rate), median(crab_rate));
    let (ours_cpu, crab_cpu) = (median(ours_cpu), median(crab_cpu));
    let workload = format!("smtp-source, {n} × 2 KiB, {SESSIONS} sessions, kept-alive");
    let rows = vec![
        BenchRow::new(format!("{workload}: mailsink"), ours_rate, "msg/s", "-"),
        BenchRow::new(format!("{workload}: mailcrab"), crab_rate, "msg/s", "-"),
        BenchRow::new(
            "smtp-source rate, mailsink / mailcrab (median of rounds)",
            ours_rate / crab_rate,
            "×",
            ">= 1.5",
        ),
        BenchRow::new(
            "server CPU per message under smtp-source: mailsink",
            ours_cpu,
            "ms",
            "-",
        ),
        BenchRow::new(
            "server CPU per message under smtp-source: mailcrab",
            crab_cpu,
            "ms",
            "-",
        ),
        BenchRow::new(
            "server CPU per message, mailcrab / mailsink",
            crab_cpu / ours_cpu,
            "×",
            ">= 1.5",
        ),
        BenchRow::new(
            "messages lost under smtp-source: mailsink",
            lost_ours as f64,
            "",
            "0",
        ),
        BenchRow::new(
            "messages lost under smtp-source: mailcrab",
            lost_crab as f64,
            "",
            "0",
        ),
    ];
    if lost_ours > 0 {
        bail!("the sink lost {lost_ours} of {sent} messages sent by smtp-source");
    }
    Ok(rows)
}
