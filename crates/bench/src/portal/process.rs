//! The portal under test as a process of its own, and what is read from it (its
//! accounts, its outbox, its metrics).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use mailsink::client::SinkClient;

use crate::free_port;

use super::*;

/// A portal process on free loopback ports with a fresh database; killed on drop.
pub(super) struct PortalProcess {
    pub(super) child: Child,
    pub(super) base: String,
    /// The operator listener (`/metrics`).
    pub(super) admin: String,
    pub(super) sink: String,
    pub(super) _dir: PathBuf,
}

impl PortalProcess {
    pub(super) fn start(bin: &Path) -> anyhow::Result<Self> {
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

    pub(super) async fn wait_ready(&self, http: &reqwest::Client) -> anyhow::Result<()> {
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

    pub(super) fn status_kib(&self, field: &str) -> anyhow::Result<f64> {
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
    pub(super) fn rss_mib(&self) -> anyhow::Result<f64> {
        Ok(self.status_kib("VmRSS:")? / 1024.0)
    }
    pub(super) fn peak_rss_mib(&self) -> anyhow::Result<f64> {
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

/// Signs up `n` accounts through the API and confirms them through the sink.
pub(super) async fn create_accounts(
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

pub(super) fn token_from_links(links: &[String]) -> Option<String> {
    links.iter().find_map(|l| {
        let url = url::Url::parse(l).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    })
}

/// One request at a time: submit the recovery request, then long-poll the sink until
/// the email for that address is readable.
pub(super) async fn end_to_end(
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
pub(super) async fn drain_outbox(
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
pub(super) async fn metric(
    portal: &PortalProcess,
    http: &reqwest::Client,
    name: &str,
) -> anyhow::Result<f64> {
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
