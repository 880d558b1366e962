//! `cargo xtask api-contract`: the JSON API against its own OpenAPI document.
//!
//! Starts the real `portal` binary (debug build) on a free loopback port, with a fresh
//! SQLite file, its embedded mail sink, rate limits lifted and one demo account; logs
//! that account in twice; then runs schemathesis with every check on
//! `/api/openapi.json`: generated requests (valid and invalid) to every operation, each
//! answer checked against the document (status, content type, headers, body schema),
//! invalid data refused, valid data taken, no 5xx. One session serves the authenticated
//! operations, the other `DELETE /sessions/current` (which ends the session it gets).
//! What the document cannot say is in `xtask/schemathesis.toml`. schemathesis lives in a
//! Python venv under `target/`, made on first use.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

/// The schemathesis release this check is written for (its CLI and settings).
const SCHEMATHESIS: &str = "4.32.5";
/// Test cases per operation and phase: about half a minute of requests here.
const EXAMPLES: u32 = 100;
/// A fixed seed, so that a run repeats (`--seed` to explore).
const SEED: &str = "20261129";
const DEMO_EMAIL: &str = "contract@example.com";
const DEMO_PASSWORD: &str = "Cobalt-Meadow-Lantern-42";
/// The portal's rate limits, lifted so that the fuzzer's hundreds of failed log-ins and
/// wrong tokens from one address still reach the code behind the limits.
const LIMITS: [&str; 8] = [
    "PORTAL_RECOVERY_PER_ACCOUNT_PER_HOUR",
    "PORTAL_RECOVERY_PER_IP_PER_HOUR",
    "PORTAL_LOGIN_FAILURES_PER_ACCOUNT",
    "PORTAL_LOGIN_FAILURES_PER_DEVICE",
    "PORTAL_LOGIN_FAILURES_PER_IP",
    "PORTAL_SIGNUP_EMAILS_PER_ADDRESS_PER_HOUR",
    "PORTAL_SIGNUPS_PER_IP_PER_HOUR",
    "PORTAL_TOKEN_GUESSES_PER_IP",
];

#[derive(Debug, clap::Args)]
pub struct ApiContract {
    /// Test cases per operation and phase.
    #[arg(long, default_value_t = EXAMPLES)]
    max_examples: u32,
    /// Seed of the generated data.
    #[arg(long, default_value = SEED)]
    seed: String,
    /// Use `target/debug/portal` as it is (no `cargo build`).
    #[arg(long)]
    no_build: bool,
}

impl ApiContract {
    /// What `cargo xtask ci` runs, after its tests have built the binary.
    pub fn for_ci() -> Self {
        Self {
            max_examples: EXAMPLES,
            seed: SEED.to_owned(),
            no_build: true,
        }
    }

    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        let root = crate::project_root();
        let schemathesis = install_schemathesis(sh, &root.join("target/venv"))?;
        if !self.no_build {
            cmd!(sh, "cargo build --package portal").run()?;
        }
        let dir = ScratchDir::new()?;
        let portal = Portal::start(&root.join("target/debug/portal"), &dir.0)?;
        let session = log_in(&portal.base)?;
        let logout_session = log_in(&portal.base)?;

        let config = root.join("xtask/schemathesis.toml");
        let spec = format!("{}/api/openapi.json", portal.base);
        let examples = self.max_examples.to_string();
        let seed = &self.seed;
        // schemathesis keeps its caches in the working directory: the scratch one.
        let _cwd = sh.push_dir(&dir.0);
        let started = Instant::now();
        cmd!(
            sh,
            "{schemathesis} --config-file {config} run {spec} --checks all
                --max-examples {examples} --seed {seed} --no-color"
        )
        .env("PORTAL_CONTRACT_SESSION", session)
        .env("PORTAL_CONTRACT_LOGOUT_SESSION", logout_session)
        .run()
        .context("the API does not keep to its OpenAPI document (schemathesis above)")?;
        println!(
            "api-contract: every check passed in {:.0?}",
            started.elapsed()
        );
        Ok(())
    }
}

/// The schemathesis CLI of the venv at `venv`, which is made and given the pinned
/// release unless it already has it.
fn install_schemathesis(sh: &Shell, venv: &Path) -> anyhow::Result<PathBuf> {
    let bin = venv.join("bin/schemathesis");
    let version = cmd!(sh, "{bin} --version")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default();
    if version.trim().ends_with(&format!("version {SCHEMATHESIS}")) {
        return Ok(bin);
    }
    let python = crate::venv::python(sh, venv)?;
    crate::venv::install(sh, &python, &format!("schemathesis=={SCHEMATHESIS}"))?;
    Ok(bin)
}

/// A portal process with the settings above; killed on drop.
struct Portal {
    child: Child,
    base: String,
}

impl Portal {
    fn start(bin: &Path, dir: &Path) -> anyhow::Result<Self> {
        let accounts = dir.join("demo-accounts.json");
        let demo = demo_accounts_json(true);
        std::fs::write(&accounts, demo)?;
        let mut command = Command::new(bin);
        // Nothing from the caller's environment (a relay, a database, a public URL).
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PORTAL_") {
                command.env_remove(name);
            }
        }
        for limit in LIMITS {
            command.env(limit, "1000000000");
        }
        let db = format!("sqlite://{}", dir.join("portal.db").display());
        command
            .env("PORTAL_LISTEN", "127.0.0.1:0")
            .env("PORTAL_ADMIN_LISTEN", "127.0.0.1:0")
            .env("PORTAL_SINK_SMTP", "127.0.0.1:0")
            .env("PORTAL_SINK_HTTP", "127.0.0.1:0")
            .env("PORTAL_DATABASE_URL", db)
            .env("PORTAL_DEMO_ACCOUNTS", &accounts)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .with_context(|| format!("Failed to start {}", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut portal = Self {
            child,
            base: String::new(),
        };
        // The banner names the bound address (`Listening <addr>`); the rest of stdout is
        // read and dropped so that the portal never blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.trim().strip_prefix("Listening") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => portal.base = format!("http://{addr}"),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                bail!("the portal stopped before listening (its error is above)")
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                bail!("the portal did not listen within 60 s")
            }
        }
        Ok(portal)
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `POST /api/v1/sessions` as the demo account: a bearer token. Plain HTTP/1.1 over a
/// loopback socket, so that xtask needs no HTTP client of its own.
fn log_in(base: &str) -> anyhow::Result<String> {
    use std::io::{Read as _, Write as _};
    let addr = base
        .strip_prefix("http://")
        .context("the portal's base URL is not http://")?;
    let body = demo_accounts_json(false);
    let mut stream = std::net::TcpStream::connect(addr)
        .with_context(|| format!("Failed to connect to the portal at {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "POST /api/v1/sessions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer.split_whitespace().nth(1).unwrap_or_default();
    if status != "201" {
        bail!("the demo account's log-in answered {status}: {answer}");
    }
    let token = answer
        .split("\"token\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .filter(|t| !t.is_empty())
        .context("no token in the log-in answer")?;
    Ok(token.to_owned())
}

/// The demo account as JSON: the list the portal seeds (`list`), or one log-in body.
/// Its address and password are plain ASCII, so no escaping is needed.
fn demo_accounts_json(list: bool) -> String {
    let one = format!(r#"{{"email":"{DEMO_EMAIL}","password":"{DEMO_PASSWORD}"}}"#);
    if list { format!("[{one}]") } else { one }
}

/// A fresh directory under the system's temporary one; removed on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("portal-api-contract-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
