//! The portal's figures (`cargo xtask bench`): recovery-request throughput and latency,
//! enumeration by timing, log-in throughput against the machine's Argon2 ceiling (with
//! latency of other requests during the log-in storm), end-to-end recovery email latency,
//! and memory. The portal runs as its own process (the binary a self-hoster runs), on a
//! fresh SQLite file, with its embedded sink; load comes from this process over loopback.

mod load;
mod process;

use std::path::Path;
use std::time::Duration;

use crate::row::BenchRow;
use load::*;
use process::*;

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
            println!("{}", crate::row::table(&rows));
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
