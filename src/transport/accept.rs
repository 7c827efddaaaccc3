//! The accept loop both engines run on each of their listeners: accepts until the server
//! drains, spawning one tracked task per connection on the current runtime. Per-connection
//! accept errors are skipped, resource exhaustion (`EMFILE`, `ENFILE`, `ENOBUFS`) is logged once
//! and retried with a pause instead of a busy loop (its end is logged once too, as soon as an
//! attempt finds resources again, whether or not a client waits), and the connection limit
//! pauses accepting while it is reached.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use super::conn::Conn;
use super::engine::ConnHandler;
use super::shutdown::Shutdown;

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

/// One accept attempt that does not wait: `None` when no connection is pending.
fn try_accept(listener: &TcpListener) -> Option<io::Result<(TcpStream, SocketAddr)>> {
    let mut cx = Context::from_waker(Waker::noop());
    match listener.poll_accept(&mut cx) {
        Poll::Ready(r) => Some(r),
        Poll::Pending => None,
    }
}

/// Pause between accept attempts while the process is out of descriptors (or memory).
const EXHAUSTED_PAUSE: Duration = Duration::from_millis(50);

/// Accepts on `listener` until `shutdown`, spawning one tracked task per connection on the
/// current runtime; with `limit`, at most that many connections are open at once.
pub(crate) async fn accept_loop<H: ConnHandler>(
    listener: TcpListener,
    handler: Arc<H>,
    shutdown: Shutdown,
    tracker: TaskTracker,
    limit: Option<Arc<Semaphore>>,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    // Set while accepting fails for want of resources: logged once on entry, once on exit.
    let mut exhausted = false;
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
        let accepted = if exhausted {
            // Out of resources a moment ago. Accepting fails with EMFILE even when no client
            // waits, so one attempt that finds the queue empty means descriptors are back.
            match try_accept(&listener) {
                Some(r) => r,
                None => {
                    exhausted = false;
                    tracing::warn!(%local, "accepting connections again");
                    continue;
                }
            }
        } else {
            tokio::select! {
                biased;
                _ = shutdown.draining() => return Ok(()),
                r = listener.accept() => r,
            }
        };
        match accepted {
            Ok((stream, peer)) => {
                if exhausted {
                    exhausted = false;
                    tracing::warn!(%local, "accepting connections again");
                }
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
                // Typically EMFILE/ENFILE: pending clients wait in the kernel's backlog until a
                // descriptor frees up. Log the first failure only, then poll at a slow pace.
                if !exhausted {
                    exhausted = true;
                    tracing::error!(
                        %local,
                        error = %e,
                        "accept failed; pausing accepts until resources free up (retrying every {}ms, logged once)",
                        EXHAUSTED_PAUSE.as_millis()
                    );
                }
                tokio::select! {
                    _ = shutdown.draining() => return Ok(()),
                    _ = tokio::time::sleep(EXHAUSTED_PAUSE) => {}
                }
            }
        }
    }
}

/// The connection limit shared by every accept loop of one engine (`None` = unlimited).
pub(crate) fn connection_limit(max_connections: usize) -> Option<Arc<Semaphore>> {
    (max_connections > 0).then(|| Arc::new(Semaphore::new(max_connections)))
}
