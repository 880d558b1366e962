//! `cargo xtask conformance --target django`: the suite against Django's stock password
//! views (`fixtures/targets/django/`), a portal this project did not write.
//!
//! Makes a venv under `target/` with Django 5.2 from the package index, migrates a fresh
//! SQLite database, starts `mailsink` and Django's development server on free loopback
//! ports (ready when the log-in page answers 200), runs the suite with
//! `profiles/django.toml` and stops both, whatever the outcome. The database and the
//! sink's and Django's logs are in `target/conformance-django/run-<pid>/`, removed after
//! a green run and kept after a failure.

use std::fs::File;
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

/// The Django release line the target is written for.
const DJANGO: &str = "Django>=5.2,<5.3";
/// How long Django and the sink may take to come up.
const STARTUP: Duration = Duration::from_secs(60);

/// Runs the suite against the Django target; `args` go to the conformance runner.
pub fn run(sh: &Shell, args: &[String]) -> anyhow::Result<()> {
    let root = crate::project_root();
    let python = django_python(sh, &root.join("target/venv-django"))?;
    cmd!(sh, "cargo build --package mailsink --package conformance").run()?;

    // One directory per run, so that runs side by side do not share a database.
    let dir = root
        .join("target/conformance-django")
        .join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let project = root.join("fixtures/targets/django");
    let manage = project.join("manage.py");
    let database = dir.join("db.sqlite3");
    // The profile's provisioning command (run by the suite from the workspace root with
    // target/venv-django's Python) inherits the database.
    let _db = sh.push_env("DJANGO_DATABASE", &database);
    // No __pycache__ in the fixture's tree (the provisioning command inherits this).
    let _pyc = sh.push_env("PYTHONDONTWRITEBYTECODE", "1");
    cmd!(sh, "{python} {manage} migrate --noinput")
        .quiet()
        .ignore_stdout()
        .run()
        .context("migrating the Django target's database")?;

    let (sink, smtp, sink_http) = start_sink(&root.join("target/debug/mailsink"), &dir)?;
    let port = free_port()?;
    let mut server = Command::new(&python);
    server
        .arg(&manage)
        .args(["runserver", &format!("127.0.0.1:{port}"), "--noreload"])
        .env("DJANGO_DATABASE", &database)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("DJANGO_EMAIL_HOST", smtp.ip().to_string())
        .env("DJANGO_EMAIL_PORT", smtp.port().to_string());
    let mut django = Guarded::spawn(server, &dir.join("django.log"), "Django")?;
    let base = format!("http://127.0.0.1:{port}/");
    django.wait_ready(port, "/accounts/login/")?;
    println!(
        "Django target: {base} (mail: {sink_http}), logs in {}",
        dir.display()
    );

    let conformance = root.join("target/debug/conformance");
    let profile = root.join("profiles/django.toml");
    let outcome = cmd!(
        sh,
        "{conformance} --profile {profile} --base-url {base} --sink-url {sink_http} {args...}"
    )
    .run();
    drop(django);
    drop(sink);
    outcome.with_context(|| {
        format!(
            "the conformance suite failed against the Django target (report above; \
             Django's and the sink's logs in {})",
            dir.display()
        )
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// This venv's Python with Django 5.2 installed (made and installed on first use).
fn django_python(sh: &Shell, venv: &Path) -> anyhow::Result<PathBuf> {
    let python = venv.join("bin/python");
    let has_django = cmd!(
        sh,
        "{python} -c 'import django, sys; sys.exit(django.VERSION[:2] != (5, 2))'"
    )
    .quiet()
    .ignore_stderr()
    .run()
    .is_ok();
    if has_django {
        return Ok(python);
    }
    let python = crate::venv::python(sh, venv)?;
    crate::venv::install(sh, &python, DJANGO)?;
    Ok(python)
}

/// Starts `mailsink` on free ports; its SMTP address and its HTTP API's URL, read from
/// its banner.
fn start_sink(bin: &Path, dir: &Path) -> anyhow::Result<(Guarded, SocketAddr, String)> {
    let mut command = Command::new(bin);
    command
        .args(["--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(File::create(dir.join("mailsink.log"))?));
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let stdout = child.stdout.take().context("mailsink's stdout")?;
    let sink = Guarded {
        child,
        name: "mailsink",
        log: dir.join("mailsink.log"),
    };
    // `mailsink: SMTP on <addr>, web UI and API on <url>`; the rest is read and dropped.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("mailsink: SMTP on ") {
                let _ = tx.send(rest.to_owned());
            }
        }
    });
    let banner = rx
        .recv_timeout(STARTUP)
        .map_err(|_| anyhow::anyhow!("mailsink did not start (see {})", sink.log.display()))?;
    let (smtp, http) = banner
        .split_once(", web UI and API on ")
        .with_context(|| format!("unexpected mailsink banner {banner:?}"))?;
    let smtp: SocketAddr = smtp.parse().context("mailsink's SMTP address")?;
    Ok((sink, smtp, http.trim().to_owned()))
}

/// A free loopback port, for a server that cannot be told port 0 (`runserver`).
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A child process, killed (by its own PID) and reaped when dropped.
struct Guarded {
    child: Child,
    name: &'static str,
    log: PathBuf,
}

impl Guarded {
    /// Starts `command` with its output going to `log`.
    fn spawn(mut command: Command, log: &Path, name: &'static str) -> anyhow::Result<Self> {
        let out = File::create(log)?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone()?))
            .stderr(Stdio::from(out));
        let child = command
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        Ok(Self {
            child,
            name,
            log: log.to_owned(),
        })
    }

    /// Polls `GET path` on the port until it answers 200; fails early if the process
    /// exits. Polled: Django's server says nothing when it starts accepting.
    #[allow(clippy::disallowed_methods)]
    fn wait_ready(&mut self, port: u16, path: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if http_status(port, path).is_ok_and(|s| s == 200) {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} stopped ({status}) before answering (see {})",
                    self.name,
                    self.log.display()
                );
            }
            if started.elapsed() > STARTUP {
                bail!(
                    "{} did not answer 200 at {path} within {STARTUP:?} (see {})",
                    self.name,
                    self.log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status of `GET path` on 127.0.0.1:`port` (plain HTTP/1.1 over a socket, so that
/// xtask needs no HTTP client).
fn http_status(port: u16, path: &str) -> anyhow::Result<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 16];
    stream.read_exact(&mut head)?;
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP answer: {line:?}"))
}
