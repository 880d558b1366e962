//! The accept loop the SMTP and POP3 listeners share: a task per connection, a cap on
//! open sessions (past it a short refusal, then close), a shutdown token of its own for
//! each session, and a back-off when accepting fails.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Accepts connections on `listener` until `cancel` fires. Each one is served by
/// `serve` in a task of its own, with a child token of `cancel` (each session polls its
/// token on every read, and one shared token would make them all contend for one
/// lock). Past `max` open sessions, `busy` answers the connection instead.
pub(crate) async fn accept_loop<Serve, Served, Busy, Refused>(
    protocol: &'static str,
    listener: TcpListener,
    cancel: CancellationToken,
    max: usize,
    serve: Serve,
    busy: Busy,
) where
    Serve: Fn(TcpStream, SocketAddr, CancellationToken) -> Served,
    Served: Future<Output = io::Result<()>> + Send + 'static,
    Busy: Fn(TcpStream, SocketAddr) -> Refused,
    Refused: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(max));
    loop {
        let accepted = tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    tokio::spawn(busy(stream, peer));
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let session = serve(stream, peer, cancel.child_token());
                tokio::spawn(async move {
                    let _permit = permit;
                    if let Err(e) = session.await {
                        tracing::debug!(%peer, error = %e, "{protocol} session ended with an error");
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "{protocol} accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
