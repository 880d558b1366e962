//! Mailpit's published npm client, `mailpit-api`, unchanged against our sink
//! (`tests/npm/mailpit-api.mjs`): send, read state, tags, info, chaos and release.
//!
//! The package is installed by name with npm into `target/tmp/npm-mailpit-api` once (npm
//! reaches its registry for that install only; later runs reuse it); every call of the
//! client goes to the sinks on 127.0.0.1. Without `npm` and `node` the test says so and
//! passes (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::*;

/// The client's major version: its calls are the contract, a new major may change them.
const PACKAGE: &str = "mailpit-api@2";

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Installs the client unless a run before did; returns its directory.
fn install() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-mailpit-api");
    if dir.join("node_modules/mailpit-api/package.json").exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            "--prefix",
        ])
        .arg(&dir)
        .arg(PACKAGE)
        .output()
        .expect("npm runs");
    assert!(
        out.status.success(),
        "npm install {PACKAGE} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

#[tokio::test]
async fn the_mailpit_api_npm_client_works_unchanged() {
    if !have("npm") || !have("node") {
        println!("skipped: npm and node are not installed (apt-get install nodejs npm)");
        return;
    }
    let dir = tokio::task::spawn_blocking(install).await.unwrap();
    let (relay, sink) = relaying_pair().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/npm/mailpit-api.mjs");
    let out = tokio::process::Command::new("node")
        .arg(script)
        .arg(sink.http_url())
        .env("MAILPIT_API_DIR", &dir)
        .env("SINK_RELAY_TO", "bob@relay.test")
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for call in [
        "sendMessage",
        "setReadStatus",
        "tags",
        "getInfo getConfiguration",
        "chaos",
        "releaseMessage",
    ] {
        assert!(stdout.contains(&format!("ok {call}\n")), "{stdout}");
    }
    let released = relay.wait_for("to:bob@relay.test", WAIT).await.unwrap();
    assert_eq!(released.subject, "Welcome from npm");
}
