//! mailcrab's SMTP engine (the `mailcrab` library crate) as a process of its own: the
//! peer our sink is measured against with an external client (`smtp-source`).
//!
//! Usage: `mailcrab-peer PORT`. It serves SMTP on `127.0.0.1:PORT` (no TLS, no AUTH, as
//! mailcrab runs by default), prints `ready` once the port accepts connections, counts
//! every message the engine hands over, and when its standard input closes prints
//! `received N` and exits. Messages the counting task fell behind on (the engine's
//! channel holds 128) are still counted: the engine accepted them.

use std::io::{BufRead as _, Write as _};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

fn main() -> anyhow::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .context("usage: mailcrab-peer PORT")?
        .parse()
        .context("PORT must be a number")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the tokio runtime")?;
    let received = Arc::new(AtomicU64::new(0));
    let token = CancellationToken::new();
    runtime.block_on(async {
        let host = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let (tx, mut rx) = tokio::sync::broadcast::channel(128);
        tokio::spawn(mailcrab::mail_server(host, port, tx, false, token.clone()));
        let counter = received.clone();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(_) => counter.fetch_add(1, Ordering::Relaxed),
                    Err(RecvError::Lagged(n)) => counter.fetch_add(n, Ordering::Relaxed),
                    Err(RecvError::Closed) => break,
                };
            }
        });
        // Start-up poll of the engine's listener: there is nothing else to wait on.
        for _ in 0..200 {
            if tokio::net::TcpStream::connect((host, port)).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        anyhow::bail!("mailcrab did not listen on port {port} within 5 s")
    })?;
    println!("ready");
    std::io::stdout().flush()?;
    // Serve until the parent closes our standard input.
    for line in std::io::stdin().lock().lines() {
        line?;
    }
    token.cancel();
    println!("received {}", received.load(Ordering::Relaxed));
    Ok(())
}
