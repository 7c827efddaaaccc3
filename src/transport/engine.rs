//! Transport engines: what accepts connections and runs a [`ConnHandler`] on each.
//!
//! [`Transport`] is the abstraction the app layer programs against; [`StdTransport`] is the
//! "std" engine on tokio: one accept loop, one task per connection on whatever runtime the
//! server runs on (multi-thread by default). Graceful shutdown is cooperative: cancelling the
//! [`Shutdown`] signal stops the accept loop at once and tells every connection handler to
//! finish its in-flight request and close; the [`TaskTracker`] lets the caller wait for them.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use super::conn::Conn;
use super::shutdown::Shutdown;

/// Serves one connection. Implemented by the protocol layer.
pub trait ConnHandler: Send + Sync + 'static {
    /// Drives `conn` until it closes. `shutdown` is cancelled when the server starts draining.
    fn serve_conn(
        &self,
        conn: Conn<TcpStream>,
        shutdown: Shutdown,
    ) -> impl Future<Output = ()> + Send;
}

/// A transport engine: accepts connections on a listener and serves each with a handler.
pub trait Transport: Send + Sync + 'static {
    /// Accepts until `shutdown` is cancelled; connection tasks are spawned on `tracker`.
    fn serve<H: ConnHandler>(
        &self,
        listener: TcpListener,
        handler: Arc<H>,
        shutdown: Shutdown,
        tracker: TaskTracker,
    ) -> impl Future<Output = io::Result<()>> + Send;
}

/// The "std" engine: tokio tasks, one per connection.
#[derive(Debug, Clone)]
pub struct StdTransport {
    max_connections: usize,
}

impl StdTransport {
    /// An engine that keeps at most `max_connections` connections open; at the limit it stops
    /// accepting (new clients wait in the kernel's backlog) until one closes. 0 means no limit.
    pub fn new(max_connections: usize) -> Self {
        StdTransport { max_connections }
    }
}

/// Accept errors that concern one connection only; the loop just goes on.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

impl Transport for StdTransport {
    async fn serve<H: ConnHandler>(
        &self,
        listener: TcpListener,
        handler: Arc<H>,
        shutdown: Shutdown,
        tracker: TaskTracker,
    ) -> io::Result<()> {
        let local = listener.local_addr()?;
        let limit =
            (self.max_connections > 0).then(|| Arc::new(Semaphore::new(self.max_connections)));
        loop {
            let permit = match &limit {
                None => None,
                Some(sem) => tokio::select! {
                    biased;
                    _ = shutdown.draining() => return Ok(()),
                    p = sem.clone().acquire_owned() => match p {
                        Ok(p) => Some(p),
                        Err(_) => return Ok(()),
                    },
                },
            };
            let accepted = tokio::select! {
                biased;
                _ = shutdown.draining() => return Ok(()),
                r = listener.accept() => r,
            };
            match accepted {
                Ok((stream, peer)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!(%peer, error = %e, "set TCP_NODELAY failed");
                    }
                    let conn = Conn::new(stream, peer, local);
                    let handler = handler.clone();
                    let token = shutdown.clone();
                    tracker.spawn(async move {
                        handler.serve_conn(conn, token).await;
                        drop(permit);
                    });
                }
                Err(e) if is_per_connection(&e) => continue,
                Err(e) => {
                    // Typically EMFILE/ENFILE: back off briefly instead of spinning.
                    tracing::error!(error = %e, "accept failed; retrying in 50ms");
                    tokio::select! {
                        _ = shutdown.draining() => return Ok(()),
                        _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                    }
                }
            }
        }
    }
}
