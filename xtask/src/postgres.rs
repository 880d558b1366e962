//! A throwaway PostgreSQL cluster for the test run: its own data directory and port on
//! 127.0.0.1, run as the `postgres` user when we are root (initdb refuses root), removed
//! when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

pub struct TempCluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl TempCluster {
    pub fn start() -> anyhow::Result<Self> {
        let bin = find_bin_dir().context(
            "PostgreSQL server binaries not found (install Debian's `postgresql`, or set DATABASE_URL)",
        )?;
        let as_postgres = is_root();
        let base = std::env::temp_dir().join(format!("xtask-pg-{}", std::process::id()));
        let data = base.join("data");
        std::fs::create_dir_all(&base)?;
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&base))?;
        }
        let port = free_port()?;
        let cluster = Self {
            bin,
            data,
            port,
            as_postgres,
        };
        cluster.pg(
            "initdb",
            &[
                "-D",
                path_str(&cluster.data)?,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
        )?;
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} -c fsync=off -c max_connections=300",
            path_str(&base)?
        );
        let log = base.join("postgres.log");
        cluster.pg(
            "pg_ctl",
            &[
                "-D",
                path_str(&cluster.data)?,
                "-o",
                &opts,
                "-l",
                path_str(&log)?,
                "-w",
                "start",
            ],
        )?;
        println!("PostgreSQL test cluster on 127.0.0.1:{port}");
        Ok(cluster)
    }

    /// Superuser URL of the cluster's default database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args);
        run(&mut cmd)
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        if let Some(d) = self.data.to_str() {
            let _ = self.pg("pg_ctl", &["-D", d, "-m", "immediate", "-w", "stop"]);
        }
        if let Some(base) = self.data.parent() {
            let _ = std::fs::remove_dir_all(base);
        }
    }
}

fn find_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn path_str(p: &Path) -> anyhow::Result<&str> {
    p.to_str().context("non UTF-8 temporary path")
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("Failed to run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} exited with {status}");
    }
    Ok(())
}
