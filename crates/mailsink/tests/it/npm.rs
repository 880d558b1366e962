//! Mailpit's published npm client, `mailpit-api`, unchanged against our sink
//! (`tests/npm/mailpit-api.mjs`): send, read state, tags, info, chaos and release.
//!
//! The client is installed beforehand, not by this test (tests never reach beyond
//! loopback): `cargo xtask ci` installs it by name with npm into
//! `target/npm-mailpit-api` and names that directory in `MAILSINK_NPM_CLIENT`. Without
//! that variable the test says so and passes; with it, a missing client or a missing
//! `node` is a failure. Every call of the client goes to the sinks on 127.0.0.1.

use std::path::PathBuf;

use crate::helpers::*;

/// Where the client is installed, when the run provides it.
fn installed() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("MAILSINK_NPM_CLIENT")?);
    assert!(
        dir.join("node_modules/mailpit-api/package.json").exists(),
        "MAILSINK_NPM_CLIENT={} holds no mailpit-api (npm install --prefix DIR mailpit-api@2)",
        dir.display()
    );
    Some(dir)
}

#[tokio::test]
async fn the_mailpit_api_npm_client_works_unchanged() {
    let Some(dir) = installed() else {
        println!(
            "skipped: MAILSINK_NPM_CLIENT is not set (cargo xtask ci installs the client and sets it)"
        );
        return;
    };
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
