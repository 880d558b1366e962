//! The loads the portal is measured under, and the statistics of what they measured.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::*;

#[derive(Default)]
pub(super) struct Samples(pub(super) Vec<f64>);

impl Samples {
    pub(super) fn p(&self, pct: f64) -> f64 {
        percentile(&self.0, pct)
    }
}

/// The statistics the conformance suite judges the same gap with (one file, no
/// dependency on the suite).
#[path = "../../../conformance/src/stats.rs"]
mod stats;
pub(super) use stats::{bootstrap_median_diff, percentile};

pub(super) struct Load {
    pub(super) all: Samples,
    pub(super) elapsed: Duration,
}

impl Load {
    pub(super) fn rate(&self) -> f64 {
        self.all.0.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// `total` recovery requests over 64 concurrent clients through the JSON API.
pub(super) async fn recovery_load(
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
pub(super) async fn recovery_form_load(
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
pub(super) async fn closed_loop<F>(
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

pub(super) async fn collect(
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

pub(super) fn pick<'a>(known: &'a [String], unknown: &'a [String], i: usize) -> &'a str {
    if i.is_multiple_of(2) {
        &known[(i / 2) % known.len()]
    } else {
        &unknown[(i / 2) % unknown.len()]
    }
}

pub(super) fn hidden_value(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\""))?;
    let rest = &page[at..];
    let v = rest.find("value=\"")? + "value=\"".len();
    let end = rest[v..].find('"')?;
    Some(rest[v..v + end].to_owned())
}

/// Difference of median latencies (known - unknown) over `n` requests each, sent one at
/// a time and interleaved so that drift hits both alike; 95% bootstrap interval.
pub(super) async fn timing_difference(
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

/// `n` Argon2id hashes with the portal's default parameters in memory allocated once
/// (as the portal's hashing threads do); the time of each.
pub(super) fn argon2_hashes(n: usize) -> anyhow::Result<Vec<Duration>> {
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
pub(super) fn argon2_hash_time() -> anyhow::Result<Duration> {
    argon2_hashes(5)?
        .into_iter()
        .min()
        .context("no hash was timed")
}

/// Hashes per second with `threads` threads each hashing `each` times in its own
/// memory, all at once.
pub(super) fn argon2_parallel_rate(threads: usize, each: usize) -> anyhow::Result<f64> {
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
pub(super) async fn login_storm(
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
