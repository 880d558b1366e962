//! A TCP relay between the portal and the mail sink that a scenario can switch off and on:
//! "the mail server is down" without stopping the sink, so the messages it already holds
//! stay readable and the port stays the same.

use std::net::SocketAddr;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running relay; dropping it stops accepting.
#[derive(Debug)]
pub struct Relay {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Relay {
    /// Listens on `127.0.0.1:0` and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (up, rx) = watch::channel(true);
        let task = tokio::spawn(accept_loop(listener, upstream, rx));
        Ok(Self { addr, up, task })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Up: forward new connections. Down: cut every open connection (pooled SMTP
    /// connections included) and close new ones at once, before any greeting.
    pub fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }

    /// Whether the relay forwards.
    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, rx: watch::Receiver<bool>) {
    while let Ok((inbound, _)) = listener.accept().await {
        if !*rx.borrow() {
            drop(inbound);
            continue;
        }
        let mut rx = rx.clone();
        tokio::spawn(async move {
            let mut inbound = inbound;
            let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                return;
            };
            tokio::select! {
                _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
                _ = rx.wait_for(|up| !*up) => {}
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    }

    async fn round_trip(addr: SocketAddr) -> std::io::Result<Vec<u8>> {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(b"ping").await?;
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf).await?;
        Ok(buf.to_vec())
    }

    #[tokio::test]
    async fn forwards_when_up_refuses_when_down_and_recovers() {
        let relay = Relay::start(echo_server().await).await.unwrap();
        assert_eq!(round_trip(relay.addr()).await.unwrap(), b"ping");
        relay.set_up(false);
        assert!(!relay.is_up());
        assert!(round_trip(relay.addr()).await.is_err());
        relay.set_up(true);
        assert_eq!(round_trip(relay.addr()).await.unwrap(), b"ping");
    }

    #[tokio::test]
    async fn going_down_cuts_open_connections() {
        let relay = Relay::start(echo_server().await).await.unwrap();
        let mut s = TcpStream::connect(relay.addr()).await.unwrap();
        s.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf).await.unwrap();
        relay.set_up(false);
        let mut rest = Vec::new();
        // The relay closes its side: the read ends (EOF or reset) instead of hanging.
        let _ = s.read_to_end(&mut rest).await;
        assert!(rest.is_empty());
    }
}
