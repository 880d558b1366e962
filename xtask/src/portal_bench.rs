//! The portal's figures (`cargo xtask bench`): recovery-request throughput and latency,
//! enumeration by timing, log-in throughput against the machine's Argon2 ceiling (with
//! latency of other requests during the log-in storm), end-to-end recovery email latency,
//! and memory. The portal runs as its own process (the binary a self-hoster runs), on a
//! fresh SQLite file, with its embedded sink; load comes from this process over loopback.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use mailsink::client::SinkClient;

use crate::bench::BenchRow;

/// Counts for one run; `quick` only checks that everything works.
struct Plan {
    known_accounts: usize,
    recovery_requests: usize,
    timing_samples: usize,
    login_storm: Duration,
    e2e_requests: usize,
    quick: bool,
}

const CLIENTS: usize = 64;
/// Pace of each of the 4 clients measuring other traffic during the log-in storm.
const OTHER_TRAFFIC_EVERY: Duration = Duration::from_millis(20);
const PASSWORD: &str = "correct horse battery staple 42";

pub fn run(portal_bin: &Path, quick: bool) -> anyhow::Result<Vec<BenchRow>> {
    let plan = if quick {
        Plan {
            known_accounts: 4,
            recovery_requests: 400,
            timing_samples: 200,
            login_storm: Duration::from_secs(2),
            e2e_requests: 20,
            quick,
        }
    } else {
        Plan {
            known_accounts: 64,
            recovery_requests: 10_000,
            timing_samples: 2_000,
            login_storm: Duration::from_secs(15),
            e2e_requests: 1_000,
            quick,
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let portal = PortalProcess::start(portal_bin)?;
    let mut rows = Vec::new();
    let result = rt.block_on(measure(&portal, &plan, &mut rows));
    drop(portal);
    match result {
        Ok(()) => Ok(rows),
        Err(e) => {
            // What was measured before the failure is still worth seeing.
            println!("{}", crate::bench::table(&rows));
            Err(e)
        }
    }
}

async fn measure(
    portal: &PortalProcess,
    plan: &Plan,
    rows: &mut Vec<BenchRow>,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    portal.wait_ready(&http).await?;
    rows.push(BenchRow::new(
        "portal: memory at rest (RSS)",
        portal.rss_mib()?,
        "MiB",
        "",
    ));

    let known = create_accounts(portal, &http, plan.known_accounts).await?;
    let unknown: Vec<String> = (0..plan.known_accounts.max(16))
        .map(|i| format!("nobody-{i}@bench.example"))
        .collect();

    // 1. Recovery requests through the API, half known and half unknown addresses.
    let api = recovery_load(portal, &http, &known, &unknown, plan.recovery_requests).await?;
    rows.push(BenchRow::new(
        "recovery requests, API, 64 clients",
        api.rate(),
        "req/s",
        ">= 5000",
    ));
    rows.push(BenchRow::new("recovery API p50", api.all.p(50.0), "ms", ""));
    rows.push(BenchRow::new(
        "recovery API p99",
        api.all.p(99.0),
        "ms",
        "< 20",
    ));
    let form = recovery_form_load(portal, &known, &unknown, plan.recovery_requests).await?;
    rows.push(BenchRow::new(
        "recovery requests, HTML form, 64 clients",
        form.rate(),
        "req/s",
        ">= 5000",
    ));
    rows.push(BenchRow::new(
        "recovery form p99",
        form.all.p(99.0),
        "ms",
        "< 20",
    ));

    // 2. Enumeration by timing: interleaved single requests, known vs unknown.
    let (diff, lo, hi) =
        timing_difference(portal, &http, &known, &unknown, plan.timing_samples).await?;
    rows.push(BenchRow::new(
        "median known - unknown (95% CI)",
        diff,
        &format!("ms [{lo:+.3}, {hi:+.3}]"),
        "CI contains 0, |d| < 0.1",
    ));

    // The recovery phases left a backlog of emails: how fast it drains is the worker's
    // throughput. It is drained before the log-in storm so that the storm measures
    // log-ins, not log-ins competing with delivery.
    let (delivered, took) = drain_outbox(portal, &http).await?;
    rows.push(BenchRow::new(
        format!("outbox backlog drained ({delivered} emails)"),
        delivered as f64 / took.as_secs_f64(),
        "emails/s",
        "",
    ));

    // 3. Log-ins against the Argon2 ceiling, with other traffic measured meanwhile.
    let hash = argon2_hash_time()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ceiling = cores as f64 / hash.as_secs_f64();
    rows.push(BenchRow::new(
        "one Argon2id hash (m=19456, t=2, p=1)",
        hash.as_secs_f64() * 1000.0,
        "ms",
        "",
    ));
    rows.push(BenchRow::new(
        "Argon2 ceiling (cores / hash time)",
        ceiling,
        "log-ins/s",
        "",
    ));
    // The formula assumes hashes on all cores run as fast as one alone; whether this
    // machine gets that (memory bandwidth, shared physical cores) is measured too.
    let parallel = argon2_parallel_rate(cores, if plan.quick { 2 } else { 16 })?;
    rows.push(BenchRow::new(
        format!("Argon2 on {cores} threads at once, nothing else running"),
        parallel,
        &format!("hashes/s ({:.0}% of ceiling)", 100.0 * parallel / ceiling),
        "",
    ));
    // First the storm alone (the log-in rate), then the storm with ordinary traffic
    // alongside (how long that traffic waits, and what it costs the log-ins).
    let (logins, _) = login_storm(portal, &http, &known, &unknown, plan.login_storm, false).await?;
    let share = |rate: f64| {
        format!(
            "log-ins/s ({:.0}% of ceiling, {:.0}% of all-threads rate)",
            100.0 * rate / ceiling,
            100.0 * rate / parallel
        )
    };
    rows.push(BenchRow::new(
        "log-ins, 64 clients",
        logins,
        &share(logins),
        ">= 90% of ceiling",
    ));
    let (logins, during) =
        login_storm(portal, &http, &known, &unknown, plan.login_storm, true).await?;
    rows.push(BenchRow::new(
        "log-ins, 64 clients, with ~200 other req/s",
        logins,
        &share(logins),
        "",
    ));
    rows.push(BenchRow::new(
        "recovery + page loads p99 during log-in storm",
        during.p(99.0),
        "ms",
        "< 50",
    ));
    rows.push(BenchRow::new(
        "portal: memory under load (peak RSS)",
        portal.peak_rss_mib()?,
        "MiB",
        "",
    ));

    // The storm's recovery requests queued a few emails: end to end needs an empty queue.
    drain_outbox(portal, &http).await?;

    // 4. End to end: "Restore password" to the email readable in the sink API.
    let e2e = end_to_end(portal, &http, &known, plan.e2e_requests).await?;
    rows.push(BenchRow::new(
        "restore password -> email in sink p50",
        e2e.p(50.0),
        "ms",
        "",
    ));
    rows.push(BenchRow::new(
        "restore password -> email in sink p99",
        e2e.p(99.0),
        "ms",
        "< 50",
    ));
    Ok(())
}

/// A portal process on free loopback ports with a fresh database; killed on drop.
struct PortalProcess {
    child: Child,
    base: String,
    /// The operator listener (`/metrics`).
    admin: String,
    sink: String,
    _dir: PathBuf,
}

impl PortalProcess {
    fn start(bin: &Path) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("portal-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let [web, smtp, sink, admin] = [free_port()?, free_port()?, free_port()?, free_port()?];
        let db = format!("sqlite://{}", dir.join("portal.db").display());
        let child = Command::new(bin)
            .env("PORTAL_LISTEN", format!("127.0.0.1:{web}"))
            .env("PORTAL_ADMIN_LISTEN", format!("127.0.0.1:{admin}"))
            .env("PORTAL_DATABASE_URL", db)
            .env("PORTAL_SINK_SMTP", format!("127.0.0.1:{smtp}"))
            .env("PORTAL_SINK_HTTP", format!("127.0.0.1:{sink}"))
            .env("PORTAL_DEMO_ACCOUNTS", "")
            // The load comes from one address and hits a few accounts many times: lift the
            // per-client and per-account limits so that the full path (outbox write
            // included) is what is measured, not the limiter's early answer. Log-in
            // attempts are taken from their budget before the password is checked, so
            // concurrent log-ins to one account count against it while in flight.
            .env("PORTAL_RECOVERY_PER_IP_PER_HOUR", "1000000000")
            .env("PORTAL_RECOVERY_PER_ACCOUNT_PER_HOUR", "1000000000")
            .env("PORTAL_LOGIN_FAILURES_PER_IP", "1000000000")
            .env("PORTAL_LOGIN_FAILURES_PER_ACCOUNT", "1000000000")
            .env("PORTAL_SIGNUPS_PER_IP_PER_HOUR", "1000000000")
            .env("PORTAL_TOKEN_GUESSES_PER_IP", "1000000000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("Failed to start {}", bin.display()))?;
        Ok(Self {
            child,
            base: format!("http://127.0.0.1:{web}"),
            admin: format!("http://127.0.0.1:{admin}"),
            sink: format!("http://127.0.0.1:{sink}"),
            _dir: dir,
        })
    }

    async fn wait_ready(&self, http: &reqwest::Client) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{}/readyz", self.base)).send().await
                && r.status().is_success()
                && http
                    .get(format!("{}/api/v1/messages", self.sink))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the portal did not become ready within 30 s");
            }
            // Start-up poll of a child process (not mail): nothing to wait on but the port.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn status_kib(&self, field: &str) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status
            .lines()
            .find(|l| l.starts_with(field))
            .with_context(|| format!("{field} not in /proc status"))?;
        let kib: f64 = line
            .split_whitespace()
            .nth(1)
            .context("bad /proc status line")?
            .parse()?;
        Ok(kib)
    }
    fn rss_mib(&self) -> anyhow::Result<f64> {
        Ok(self.status_kib("VmRSS:")? / 1024.0)
    }
    fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        Ok(self.status_kib("VmHWM:")? / 1024.0)
    }
}

impl Drop for PortalProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Signs up `n` accounts through the API and confirms them through the sink.
async fn create_accounts(
    portal: &PortalProcess,
    http: &reqwest::Client,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let sink = SinkClient::new(&portal.sink);
    let mut emails = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("known-{i}@bench.example");
        let r = http
            .post(format!("{}/api/v1/accounts", portal.base))
            .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("sign-up of {email} answered {}", r.status());
        }
        let msg = sink
            .wait_for(&format!("to:{email}"), Duration::from_secs(30))
            .await?;
        let token = token_from_links(&msg.links).context("no token in the confirmation email")?;
        let r = http
            .post(format!("{}/api/v1/accounts/confirm", portal.base))
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("confirmation of {email} answered {}", r.status());
        }
        emails.push(email);
    }
    sink.delete_all().await?;
    Ok(emails)
}

fn token_from_links(links: &[String]) -> Option<String> {
    links.iter().find_map(|l| {
        let url = url::Url::parse(l).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    })
}

/// Latencies in milliseconds.
#[derive(Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn p(&self, pct: f64) -> f64 {
        percentile(&self.0, pct)
    }
}

fn percentile(v: &[f64], pct: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((pct / 100.0) * (s.len() - 1) as f64).round() as usize;
    s[rank.min(s.len() - 1)]
}

struct Load {
    all: Samples,
    elapsed: Duration,
}

impl Load {
    fn rate(&self) -> f64 {
        self.all.0.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// `total` recovery requests over 64 concurrent clients through the JSON API.
async fn recovery_load(
    portal: &PortalProcess,
    http: &reqwest::Client,
    known: &[String],
    unknown: &[String],
    total: usize,
) -> anyhow::Result<Load> {
    let url = format!("{}/api/v1/password-recovery", portal.base);
    let clients = (0..CLIENTS)
        .map(|_| {
            let url = url.clone();
            (http.clone(), move |http: &reqwest::Client, email: &str| {
                http.post(&url).json(&serde_json::json!({ "email": email }))
            })
        })
        .collect();
    closed_loop(clients, known, unknown, total, |s| {
        s == reqwest::StatusCode::ACCEPTED
    })
    .await
}

/// The same through the HTML form: each client keeps its own cookies and CSRF token.
async fn recovery_form_load(
    portal: &PortalProcess,
    known: &[String],
    unknown: &[String],
    total: usize,
) -> anyhow::Result<Load> {
    let url = format!("{}/forgot-password", portal.base);
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let http = reqwest::Client::builder().cookie_store(true).build()?;
        let page = http.get(&url).send().await?.text().await?;
        let csrf = hidden_value(&page, "csrf_token").context("no csrf_token on the form")?;
        let url = url.clone();
        clients.push((http, move |http: &reqwest::Client, email: &str| {
            http.post(&url)
                .form(&[("csrf_token", csrf.as_str()), ("email", email)])
        }));
    }
    closed_loop(clients, known, unknown, total, |s| s.is_success()).await
}

/// `total` requests, half to known and half to unknown addresses, shared by the
/// clients, each sending its next request as soon as its previous answer is read.
/// `request` builds a client's request for an address; an answer `ok` refuses ends
/// the run with an error.
async fn closed_loop<F>(
    clients: Vec<(reqwest::Client, F)>,
    known: &[String],
    unknown: &[String],
    total: usize,
    ok: fn(reqwest::StatusCode) -> bool,
) -> anyhow::Result<Load>
where
    F: Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder + Send + 'static,
{
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (http, request) in clients {
        let next = next.clone();
        let (known, unknown) = (known.to_vec(), unknown.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= total {
                    return anyhow::Ok(lat);
                }
                let t = Instant::now();
                let r = request(&http, pick(&known, &unknown, i)).send().await?;
                if !ok(r.status()) {
                    bail!("a recovery request answered {}", r.status());
                }
                r.bytes().await?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    collect(tasks, started).await
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Vec<f64>>>>,
    started: Instant,
) -> anyhow::Result<Load> {
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(Load {
        all: Samples(all),
        elapsed: started.elapsed(),
    })
}

fn pick<'a>(known: &'a [String], unknown: &'a [String], i: usize) -> &'a str {
    if i.is_multiple_of(2) {
        &known[(i / 2) % known.len()]
    } else {
        &unknown[(i / 2) % unknown.len()]
    }
}

fn hidden_value(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\""))?;
    let rest = &page[at..];
    let v = rest.find("value=\"")? + "value=\"".len();
    let end = rest[v..].find('"')?;
    Some(rest[v..v + end].to_owned())
}

/// Difference of median latencies (known - unknown) over `n` requests each, sent one at
/// a time and interleaved so that drift hits both alike; 95% bootstrap interval.
async fn timing_difference(
    portal: &PortalProcess,
    http: &reqwest::Client,
    known: &[String],
    unknown: &[String],
    n: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let url = format!("{}/api/v1/password-recovery", portal.base);
    let (mut k, mut u) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..2 * n {
        let email = pick(known, unknown, i);
        let t = Instant::now();
        let r = http
            .post(&url)
            .json(&serde_json::json!({ "email": email }))
            .send()
            .await?;
        r.bytes().await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if i % 2 == 0 { k.push(ms) } else { u.push(ms) }
    }
    let diff = percentile(&k, 50.0) - percentile(&u, 50.0);
    let (lo, hi) = bootstrap_median_diff(&k, &u, 1000);
    Ok((diff, lo, hi))
}

fn bootstrap_median_diff(a: &[f64], b: &[f64], rounds: usize) -> (f64, f64) {
    // A small xorshift: the resampling needs speed and repeatability, not secrecy.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |len: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % len as u64) as usize
    };
    let mut diffs = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let ra: Vec<f64> = (0..a.len()).map(|_| a[next(a.len())]).collect();
        let rb: Vec<f64> = (0..b.len()).map(|_| b[next(b.len())]).collect();
        diffs.push(percentile(&ra, 50.0) - percentile(&rb, 50.0));
    }
    (percentile(&diffs, 2.5), percentile(&diffs, 97.5))
}

/// `n` Argon2id hashes with the portal's default parameters in memory allocated once
/// (as the portal's hashing threads do); the time of each.
fn argon2_hashes(n: usize) -> anyhow::Result<Vec<Duration>> {
    use argon2::{Algorithm, Argon2, Block, Params, Version};
    let params = Params::new(19456, 2, 1, Some(32)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut memory = vec![Block::new(); params.block_count()];
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut out = [0u8; 32];
    (0..n)
        .map(|_| {
            let t = Instant::now();
            argon
                .hash_password_into_with_memory(
                    PASSWORD.as_bytes(),
                    b"bench-salt-16byt",
                    &mut out,
                    &mut memory,
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(t.elapsed())
        })
        .collect()
}

/// Time of one Argon2id hash, best of a few.
fn argon2_hash_time() -> anyhow::Result<Duration> {
    argon2_hashes(5)?
        .into_iter()
        .min()
        .context("no hash was timed")
}

/// Hashes per second with `threads` threads each hashing `each` times in its own
/// memory, all at once.
fn argon2_parallel_rate(threads: usize, each: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| std::thread::spawn(move || argon2_hashes(each)))
        .collect();
    for w in workers {
        w.join()
            .map_err(|_| anyhow::anyhow!("an Argon2 thread panicked"))??;
    }
    Ok((threads * each) as f64 / started.elapsed().as_secs_f64())
}

/// 64 clients log in for `length`; with `others`, 4 more clients, each sending one
/// request every [`OTHER_TRAFFIC_EVERY`] (recovery requests and log-in page loads, about
/// 200 per second in all: ordinary traffic, not a second flood), measure how long those
/// wait.
async fn login_storm(
    portal: &PortalProcess,
    http: &reqwest::Client,
    known: &[String],
    unknown: &[String],
    length: Duration,
    others: bool,
) -> anyhow::Result<(f64, Samples)> {
    let stop = Arc::new(AtomicBool::new(false));
    let logins = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut storm = Vec::new();
    for c in 0..CLIENTS {
        let (http, stop, logins) = (http.clone(), stop.clone(), logins.clone());
        let url = format!("{}/api/v1/sessions", portal.base);
        let email = known[c % known.len()].clone();
        storm.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let r = http
                    .post(&url)
                    .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
                    .send()
                    .await?;
                if r.status() != reqwest::StatusCode::CREATED {
                    bail!("log-in answered {}", r.status());
                }
                logins.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    let mut background = Vec::new();
    for c in 0..if others { 4 } else { 0 } {
        let (http, stop) = (http.clone(), stop.clone());
        let base = portal.base.clone();
        let (known, unknown) = (known.to_vec(), unknown.to_vec());
        background.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = c;
            let mut pace = tokio::time::interval(OTHER_TRAFFIC_EVERY);
            pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !stop.load(Ordering::Relaxed) {
                pace.tick().await;
                let t = Instant::now();
                let r = if i % 2 == 0 {
                    http.get(format!("{base}/login")).send().await?
                } else {
                    http.post(format!("{base}/api/v1/password-recovery"))
                        .json(&serde_json::json!({ "email": pick(&known, &unknown, i / 2) }))
                        .send()
                        .await?
                };
                r.bytes().await?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                i += 1;
            }
            anyhow::Ok(lat)
        }));
    }
    tokio::time::sleep(length).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    for t in storm {
        t.await??;
    }
    let mut lat = Vec::new();
    for t in background {
        lat.extend(t.await??);
    }
    let rate = logins.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64();
    Ok((rate, Samples(lat)))
}

/// One request at a time: submit the recovery request, then long-poll the sink until
/// the email for that address is readable.
async fn end_to_end(
    portal: &PortalProcess,
    http: &reqwest::Client,
    known: &[String],
    n: usize,
) -> anyhow::Result<Samples> {
    let sink = SinkClient::new(&portal.sink);
    let url = format!("{}/api/v1/password-recovery", portal.base);
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let email = &known[i % known.len()];
        sink.delete_all().await?;
        let t = Instant::now();
        http.post(&url)
            .json(&serde_json::json!({ "email": email }))
            .send()
            .await?
            .error_for_status()?;
        sink.wait_for(&format!("to:{email}"), Duration::from_secs(10))
            .await?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Samples(lat))
}

/// Waits until the emails queued by the load phases have all been delivered: the outbox
/// is empty and the portal's sent counter has not moved for a second. Returns how many
/// were delivered meanwhile and how long that took (quiet second excluded).
async fn drain_outbox(
    portal: &PortalProcess,
    http: &reqwest::Client,
) -> anyhow::Result<(u64, Duration)> {
    let started = Instant::now();
    let first = metric(portal, http, "portal_mail_sent_total").await?;
    let (mut last, mut last_change) = (first, started);
    let deadline = started + Duration::from_secs(900);
    loop {
        let sent = metric(portal, http, "portal_mail_sent_total").await?;
        if sent != last {
            (last, last_change) = (sent, Instant::now());
        } else if last_change.elapsed() > Duration::from_secs(1)
            && metric(portal, http, "portal_outbox_pending").await? == 0.0
        {
            return Ok(((last - first) as u64, last_change - started));
        }
        if Instant::now() > deadline {
            bail!("the outbox did not drain within 15 minutes");
        }
        // Polling a counter for a benchmark's quiet period, not waiting for an email.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The sum of a metric's series in the portal's Prometheus text.
async fn metric(portal: &PortalProcess, http: &reqwest::Client, name: &str) -> anyhow::Result<f64> {
    let text = http
        .get(format!("{}/metrics", portal.admin))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum())
}
