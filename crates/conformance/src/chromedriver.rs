//! Starts Debian's `chromedriver` on a free loopback port for browser mode and stops it
//! (by its own PID) when the run ends; keeps the Chromium sessions scenarios have
//! finished with, so that the next scenario in the same language takes one instead of
//! starting a Chromium.

use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// Debian's Chromium: the browser itself, not `/usr/bin/chromium`, Debian's launcher
/// script, which runs a shell, greps /proc/cpuinfo and adds flags that load extensions
/// on every start.
pub const CHROMIUM: &str = "/usr/lib/chromium/chromium";
/// Debian's ChromeDriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Headless, and quiet on the network: without the background-networking flags Chromium
/// keeps dialling out; as root `--no-sandbox` is required. The rest cut work nobody
/// looks at: no GPU, extensions, translation, crash reporting, audio or password store,
/// no throttling of pages that run side by side, and a small window (screenshots keep
/// their images: nothing is blocked).
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,LensOverlay",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--mute-audio",
    "--password-store=basic",
    "--window-size=1024,768",
];

/// Sessions whose scenario has ended, cleaned and ready for another. Starting a
/// Chromium costs about a second and a half of CPU on a 2-core machine, and every
/// scenario used to start one; taking a parked session costs a few milliseconds.
static PARKED: Mutex<Vec<Parked>> = Mutex::new(Vec::new());

/// A session at rest: on `about:blank`, without cookies.
struct Parked {
    webdriver: String,
    language: String,
    client: fantoccini::Client,
}

/// A parked session of `webdriver` whose pages are asked for in `language`, if any.
pub fn take_parked(webdriver: &str, language: &str) -> Option<fantoccini::Client> {
    let mut parked = PARKED.lock().unwrap_or_else(|e| e.into_inner());
    let i = parked
        .iter()
        .position(|p| p.webdriver == webdriver && p.language == language)?;
    Some(parked.swap_remove(i).client)
}

/// Cleans a session a scenario has finished with and parks it for the next one: every
/// cookie of the browser deleted (all hosts and paths, through Chromium's DevTools
/// command, which WebDriver's "delete all cookies" is not: it only reaches the cookies
/// of the current page), then a blank page. A session that cannot be cleaned is closed.
pub async fn park(webdriver: &str, language: &str, client: fantoccini::Client) {
    let cleaned = async {
        let id = client.session_id().await?.context("no session id")?;
        let answer = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()?
            .post(format!("{webdriver}/session/{id}/goog/cdp/execute"))
            .json(&serde_json::json!({ "cmd": "Network.clearBrowserCookies", "params": {} }))
            .send()
            .await?;
        anyhow::ensure!(
            answer.status().is_success(),
            "clearing cookies answered {}",
            answer.status()
        );
        client.goto("about:blank").await?;
        anyhow::Ok(())
    }
    .await;
    match cleaned {
        Ok(()) => PARKED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Parked {
                webdriver: webdriver.to_owned(),
                language: language.to_owned(),
                client,
            }),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "closing a session that could not be cleaned");
            let _ = client.close().await;
        }
    }
}

/// A running chromedriver.
#[derive(Debug)]
pub struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    /// Starts chromedriver on a free port and waits until it says it is ready.
    pub async fn start() -> anyhow::Result<Self> {
        for path in [CHROMIUM, CHROMEDRIVER] {
            anyhow::ensure!(
                std::path::Path::new(path).exists(),
                "{path} is missing: browser mode needs Debian's chromium and chromium-driver \
                 (apt-get install -y chromium chromium-driver)"
            );
        }
        // Ask the kernel for a free port, then hand it to chromedriver.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {CHROMEDRIVER}"))?;
        let stdout = child.stdout.take().context("chromedriver's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await? {
                if line.contains("started successfully") {
                    return Ok::<bool, std::io::Error>(true);
                }
            }
            Ok(false)
        })
        .await;
        match ready {
            Ok(Ok(true)) => {}
            other => anyhow::bail!("chromedriver did not start on port {port}: {other:?}"),
        }
        // Keep draining its output so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }

    /// The WebDriver endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops chromedriver: asks it to shut down (it quits what it started and reaps its
    /// children), and kills it by its PID if it has not exited within five seconds.
    pub async fn stop(mut self) {
        let parked: Vec<Parked> = {
            let mut all = PARKED.lock().unwrap_or_else(|e| e.into_inner());
            let (mine, others) = std::mem::take(&mut *all)
                .into_iter()
                .partition(|p| p.webdriver == self.url);
            *all = others;
            mine
        };
        futures::future::join_all(parked.into_iter().map(|p| p.client.close())).await;
        let asked = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .map(|c| c.get(format!("{}/shutdown", self.url)).send());
        if let Ok(request) = asked {
            let _ = request.await;
        }
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.start_kill();
            let _ = self.child.wait().await;
        }
    }
}
