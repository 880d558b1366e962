//! Python virtual environments under `target/`, made on first use, for the tools and
//! targets xtask runs (schemathesis, the Django target). Packages come from the package
//! index through pip, by name.

use std::path::{Path, PathBuf};

use anyhow::Context;
use xshell::{Shell, cmd};

/// The Python of the venv at `venv`, made anew when it is absent, half-made or points at
/// a Python that is gone.
pub fn python(sh: &Shell, venv: &Path) -> anyhow::Result<PathBuf> {
    let python = venv.join("bin/python");
    let usable = cmd!(sh, "{python} -m pip --version")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok();
    if !usable {
        let _ = std::fs::remove_dir_all(venv);
        cmd!(sh, "python3 -m venv {venv}")
            .run()
            .context("python3 -m venv failed (on Debian: apt-get install python3-venv)")?;
    }
    Ok(python)
}

/// `pip install REQUIREMENT` into the venv whose Python is `python`.
pub fn install(sh: &Shell, python: &Path, requirement: &str) -> anyhow::Result<()> {
    cmd!(
        sh,
        "{python} -m pip install --quiet --disable-pip-version-check {requirement}"
    )
    .run()
    .with_context(|| format!("pip could not install {requirement}"))
}
