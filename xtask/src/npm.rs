//! npm packages under `target/`, installed by name on first use, for the tests that
//! drive a published JavaScript client (the tests never install anything themselves).

use std::path::PathBuf;

use anyhow::Context;
use xshell::{Shell, cmd};

/// Mailpit's published client; its major version is the contract the sink keeps.
const MAILPIT_API: &str = "mailpit-api@2";

/// Installs `mailpit-api` into `target/npm-mailpit-api` unless it is there; returns
/// that directory (what `MAILSINK_NPM_CLIENT` names for the sink's test).
pub fn mailpit_api(sh: &Shell) -> anyhow::Result<PathBuf> {
    let dir = crate::project_root().join("target").join("npm-mailpit-api");
    if dir.join("node_modules/mailpit-api/package.json").exists() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir)?;
    cmd!(
        sh,
        "npm install --no-audit --no-fund --prefix {dir} {MAILPIT_API}"
    )
    .run()
    .with_context(|| {
        format!("npm could not install {MAILPIT_API} (on Debian: apt-get install nodejs npm)")
    })?;
    Ok(dir)
}
