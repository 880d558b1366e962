//! Benchmarks of the mail sink (issue 2): an in-process sink on 127.0.0.1:0 and tokio
//! SMTP clients speaking raw SMTP over TCP (pipelining MAIL/RCPT/DATA, as Postfix's
//! `smtp-source` does), checked through the HTTP API for lost messages.
//!
//! Memory figures are the resident set of this whole process (sink *and* clients), read
//! from `/proc/self/statm`, so they are an upper bound for the sink alone.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use mailsink::{MailSink, SinkConfig, SinkHandle};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::row::BenchRow;

/// Concurrent SMTP clients, as in the issue.
const CLIENTS: usize = 20;
/// How long any single SMTP or HTTP step may take before the run is declared broken.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

struct Counts {
    /// 2 KiB messages per ingestion run (and the size of the listing).
    small: usize,
    /// 1 MiB messages.
    big: usize,
    /// Messages timed for visibility.
    visibility: usize,
    /// Messages sent over one connection to check memory stays flat.
    long_lived: usize,
}

impl Counts {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                small: 500,
                big: 20,
                visibility: 100,
                long_lived: 2_000,
            }
        } else {
            Self {
                small: 5_000,
                big: 200,
                visibility: 1_000,
                long_lived: 10_000,
            }
        }
    }
}

/// Runs every sink benchmark; `quick` uses small counts.
pub fn run(quick: bool) -> anyhow::Result<Vec<BenchRow>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the tokio runtime")?;
    runtime.block_on(run_all(Counts::new(quick)))
}

fn config_unbounded() -> SinkConfig {
    SinkConfig {
        max_messages: 0,
        max_total_bytes: 0,
        ..SinkConfig::ephemeral()
    }
}

async fn run_all(c: Counts) -> anyhow::Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    let http = reqwest::Client::builder()
        .timeout(STEP_TIMEOUT)
        .build()
        .context("Failed to build the HTTP client")?;
    let small = Arc::new(message(2 * 1024, "small"));
    let n = c.small;

    // Ingestion, a new connection per message, then kept-alive, into one sink (so the
    // memory figures are after n and 2n messages).
    let sink = MailSink::start(config_unbounded()).await?;
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    ingest(
        sink.smtp_addr(),
        n,
        Mode::ConnectionPerMessage,
        small.clone(),
    )
    .await?;
    let rate = n as f64 / started.elapsed().as_secs_f64();
    rows.push(BenchRow::new(
        format!("ingest {n} × 2 KiB, {CLIENTS} clients, connection per message"),
        rate,
        "msg/s",
        "client-bound (mailcrab ~2000)",
    ));
    rows.push(lost_row(&http, &sink, n, "connection per message").await?);
    let cpu1 = cpu_seconds();
    rows.push(BenchRow::new(
        format!("RSS after {n} messages (whole process)"),
        rss_mib(),
        "MiB",
        "<= 40 (at 5000)",
    ));

    let started = Instant::now();
    ingest(sink.smtp_addr(), n, Mode::KeptAlive, small.clone()).await?;
    let elapsed = started.elapsed();
    let cpu2 = cpu_seconds();
    rows.push(BenchRow::new(
        format!("ingest {n} × 2 KiB, {CLIENTS} clients, kept-alive"),
        n as f64 / elapsed.as_secs_f64(),
        "msg/s",
        ">= 11000",
    ));
    rows.push(lost_row(&http, &sink, 2 * n, "kept-alive").await?);
    rows.push(BenchRow::new(
        format!("RSS after {} messages (whole process)", 2 * n),
        rss_mib(),
        "MiB",
        "-",
    ));
    if let (Some(a), Some(b)) = (cpu1.zip(cpu0), cpu2.zip(cpu1)) {
        let per_conn = (a.0 - a.1) * 1000.0 / n as f64;
        let per_kept = (b.0 - b.1) * 1000.0 / n as f64;
        rows.push(BenchRow::new(
            "CPU per message, server + in-process clients, connection per message",
            per_conn,
            "ms",
            "- (mailcrab 0.2 server only)",
        ));
        rows.push(BenchRow::new(
            "CPU per message, server + in-process clients, kept-alive",
            per_kept,
            "ms",
            "-",
        ));
    }

    rows.extend(listing(&http, &sink, n).await?);
    rows.push(visibility(&http, &sink, c.visibility).await?);
    sink.shutdown().await;

    // 1 MiB messages.
    let sink = MailSink::start(config_unbounded()).await?;
    let big = Arc::new(message(1024 * 1024, "big"));
    let started = Instant::now();
    ingest(sink.smtp_addr(), c.big, Mode::KeptAlive, big).await?;
    rows.push(BenchRow::new(
        format!("ingest {} × 1 MiB, {CLIENTS} clients, kept-alive", c.big),
        c.big as f64 / started.elapsed().as_secs_f64(),
        "msg/s",
        ">= 150",
    ));
    rows.push(lost_row(&http, &sink, c.big, "1 MiB").await?);
    sink.shutdown().await;

    // With --db (SQLite, committed before 250).
    let dir = std::env::temp_dir().join(format!("mailsink-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("Failed to create a temp dir")?;
    let sink = MailSink::start(SinkConfig {
        db: Some(dir.join("bench.db")),
        ..config_unbounded()
    })
    .await?;
    let started = Instant::now();
    ingest(sink.smtp_addr(), n, Mode::KeptAlive, small.clone()).await?;
    rows.push(BenchRow::new(
        format!("ingest {n} × 2 KiB, {CLIENTS} clients, kept-alive, --db"),
        n as f64 / started.elapsed().as_secs_f64(),
        "msg/s",
        ">= 1000",
    ));
    rows.push(lost_row(&http, &sink, n, "--db").await?);
    sink.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);

    // Memory stays flat on a long-lived connection (retention 1,000).
    let sink = MailSink::start(SinkConfig {
        max_messages: 1_000,
        ..SinkConfig::ephemeral()
    })
    .await?;
    let mut client = Smtp::connect(sink.smtp_addr()).await?;
    client.ehlo().await?;
    let mut rss_early = 0.0;
    for i in 0..c.long_lived {
        client.send(&small).await?;
        if i + 1 == c.long_lived / 5 {
            rss_early = rss_mib();
        }
    }
    client.quit().await?;
    rows.push(BenchRow::new(
        format!(
            "RSS growth from {} to {} messages on one connection (retention 1000)",
            c.long_lived / 5,
            c.long_lived
        ),
        rss_mib() - rss_early,
        "MiB",
        "flat (~0)",
    ));
    sink.shutdown().await;
    Ok(rows)
}

#[derive(Clone, Copy)]
enum Mode {
    ConnectionPerMessage,
    KeptAlive,
}

/// Sends `total` copies of `data` over [`CLIENTS`] concurrent clients.
async fn ingest(
    addr: SocketAddr,
    total: usize,
    mode: Mode,
    data: Arc<Vec<u8>>,
) -> anyhow::Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..CLIENTS {
        let share = total / CLIENTS + usize::from(k < total % CLIENTS);
        let data = data.clone();
        tasks.spawn(async move {
            match mode {
                Mode::ConnectionPerMessage => {
                    for _ in 0..share {
                        let mut c = Smtp::connect(addr).await?;
                        c.ehlo().await?;
                        c.send(&data).await?;
                        c.quit().await?;
                    }
                }
                Mode::KeptAlive => {
                    let mut c = Smtp::connect(addr).await?;
                    c.ehlo().await?;
                    for _ in 0..share {
                        c.send(&data).await?;
                    }
                    c.quit().await?;
                }
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.context("An SMTP client panicked")??;
    }
    Ok(())
}

async fn stored(http: &reqwest::Client, sink: &SinkHandle) -> anyhow::Result<u64> {
    let summary: mailsink::MessagesSummary = http
        .get(format!("{}/api/v1/messages?limit=0", sink.http_url()))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(summary.total)
}

async fn lost_row(
    http: &reqwest::Client,
    sink: &SinkHandle,
    expected: usize,
    what: &str,
) -> anyhow::Result<BenchRow> {
    let seen = stored(http, sink).await?;
    Ok(BenchRow::new(
        format!("lost messages ({what}), checked through the API"),
        expected as f64 - seen as f64,
        "msg",
        "0",
    ))
}

/// Median time to fetch one page of `n` messages through the API, and the CPU it costs
/// (a figure that stays meaningful on a busy machine).
async fn listing(
    http: &reqwest::Client,
    sink: &SinkHandle,
    n: usize,
) -> anyhow::Result<Vec<BenchRow>> {
    let url = format!("{}/api/v1/messages?limit={n}", sink.http_url());
    let mut times = Vec::new();
    let mut cpu = 0.0;
    for _ in 0..11 {
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        let body = http
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        times.push(started.elapsed());
        if let (Some(after), Some(before)) = (cpu_seconds(), cpu_before) {
            cpu += after - before;
        }
        let page: mailsink::MessagesSummary = serde_json::from_slice(&body)?;
        if page.count != n as u64 {
            bail!("listing returned {} messages, expected {n}", page.count);
        }
    }
    times.sort();
    Ok(vec![
        BenchRow::new(
            format!("list {n} messages via GET /api/v1/messages (median of 11)"),
            ms(times[times.len() / 2]),
            "ms",
            "< 35",
        ),
        BenchRow::new(
            format!("CPU per listing of {n} (server + client, mean of 11)"),
            cpu * 1000.0 / 11.0,
            "ms",
            "-",
        ),
    ])
}

/// Time from the SMTP `250` to the message being served by `GET /api/v1/message/{ID}`.
async fn visibility(
    http: &reqwest::Client,
    sink: &SinkHandle,
    count: usize,
) -> anyhow::Result<BenchRow> {
    let mut client = Smtp::connect(sink.smtp_addr()).await?;
    client.ehlo().await?;
    let mut times = Vec::with_capacity(count);
    for i in 0..count {
        let data = message(2 * 1024, &format!("visible-{i}"));
        let reply = client.send(&data).await?;
        let sent = Instant::now();
        let id = reply
            .split_whitespace()
            .last()
            .context("250 reply without an ID")?
            .to_owned();
        loop {
            let resp = http
                .get(format!("{}/api/v1/message/{id}", sink.http_url()))
                .send()
                .await?;
            if resp.status().is_success() {
                resp.bytes().await?;
                break;
            }
            if sent.elapsed() > STEP_TIMEOUT {
                bail!("message {id} never became visible");
            }
        }
        times.push(sent.elapsed());
    }
    client.quit().await?;
    times.sort();
    let p99 = times[(times.len() * 99).div_ceil(100).saturating_sub(1)];
    Ok(BenchRow::new(
        format!("visibility 250 -> API, p99 of {count} (includes one HTTP GET)"),
        ms(p99),
        "ms",
        "< 5",
    ))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Resident memory of this process in MiB (Linux; 0 elsewhere).
fn rss_mib() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0);
    // 4 KiB pages: true on the x86-64 and common arm64 Linux machines this runs on.
    pages * 4096.0 / (1024.0 * 1024.0)
}

/// User + system CPU time of this process in seconds (Linux; `None` elsewhere).
fn cpu_seconds() -> Option<f64> {
    cpu_seconds_of("self")
}

/// User + system CPU time in seconds of the process `pid` (a number, or `self`), all
/// its threads together (Linux; `None` elsewhere).
pub(crate) fn cpu_seconds_of(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start at ") ".
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the full line, 12 and 13 here (0-based
    // 11, 12), in clock ticks (100 per second on Linux).
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// A message of about `size` bytes, CRLF line ends, no line starting with a dot.
fn message(size: usize, tag: &str) -> Vec<u8> {
    let mut out = format!(
        "From: Bench <bench@example.com>\r\nTo: sink@example.com\r\nSubject: bench {tag}\r\nMessage-ID: <{tag}@bench.example.com>\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
    )
    .into_bytes();
    let line = [b'x'; 76];
    while out.len() + 78 <= size {
        out.extend_from_slice(&line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A minimal SMTP client.
struct Smtp {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    line: String,
}

impl Smtp {
    async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("Failed to connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (r, w) = stream.into_split();
        let mut s = Self {
            reader: BufReader::new(r),
            writer: w,
            line: String::new(),
        };
        s.expect(220).await?;
        Ok(s)
    }

    /// Reads one reply (all its lines) and checks its code; returns its last line.
    async fn expect(&mut self, code: u16) -> anyhow::Result<String> {
        loop {
            self.line.clear();
            let n = tokio::time::timeout(STEP_TIMEOUT, self.reader.read_line(&mut self.line))
                .await
                .context("SMTP reply timed out")??;
            if n == 0 {
                bail!("connection closed while waiting for {code}");
            }
            if self.line.len() >= 4 && self.line.as_bytes()[3] == b'-' {
                continue;
            }
            let got: u16 = self.line.get(..3).unwrap_or("").parse().unwrap_or(0);
            if got != code {
                bail!("expected {code}, got {:?}", self.line.trim_end());
            }
            return Ok(self.line.trim_end().to_owned());
        }
    }

    async fn ehlo(&mut self) -> anyhow::Result<()> {
        self.writer.write_all(b"EHLO bench.example.com\r\n").await?;
        self.expect(250).await?;
        Ok(())
    }

    /// One transaction, MAIL/RCPT/DATA pipelined; returns the final `250` line.
    async fn send(&mut self, data: &[u8]) -> anyhow::Result<String> {
        self.writer
            .write_all(b"MAIL FROM:<bench@example.com>\r\nRCPT TO:<sink@example.com>\r\nDATA\r\n")
            .await?;
        self.expect(250).await?;
        self.expect(250).await?;
        self.expect(354).await?;
        self.writer.write_all(data).await?;
        self.writer.write_all(b".\r\n").await?;
        self.expect(250).await
    }

    async fn quit(&mut self) -> anyhow::Result<()> {
        self.writer.write_all(b"QUIT\r\n").await?;
        self.expect(221).await?;
        Ok(())
    }
}
