//! Transport engines: what accepts connections and runs a [`ConnHandler`] on each.
//!
//! [`Engine`] is the abstraction the app layer programs against, and [`Transport`] the user's
//! choice between the two built-in engines: [`StdEngine`](super::StdEngine) (one accept loop,
//! tasks on the caller's tokio runtime) and [`EpollEngine`](super::EpollEngine) (one event loop
//! per core, each with its own listener and its own single-threaded runtime). Both share the
//! accept loop below: per-connection accept errors are skipped, resource exhaustion (`EMFILE`,
//! `ENFILE`, `ENOBUFS`) is logged once and retried with a pause instead of a busy loop (its end
//! is logged once too, as soon as an attempt finds resources again, whether or not a client
//! waits), and the connection limit pauses accepting while it is reached.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
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
pub trait Engine: Send + Sync + 'static {
    /// Accepts until `shutdown` is cancelled; connection tasks are tracked by `tracker`.
    /// Resolves once no listener accepts any more.
    fn serve<H: ConnHandler>(
        &self,
        listener: TcpListener,
        handler: Arc<H>,
        shutdown: Shutdown,
        tracker: TaskTracker,
    ) -> impl Future<Output = io::Result<()>> + Send;
}

/// Which engine serves the connections (Hertz's `WithTransport`: standard vs netpoll).
///
/// - `Std` (default): one accept loop on the caller's tokio runtime; connections are tasks of
///   that (usually multi-thread, work-stealing) runtime. Best when handlers do a lot of
///   uneven work — blocking-ish code, long CPU bursts — that work stealing evens out (a
///   watchdog thread keeps the runtime's I/O serviced while a handler blocks a worker).
/// - `Epoll`: thread-per-core. `workers` threads (default: the CPUs this process may run on),
///   each with its own `SO_REUSEPORT` listener and its own single-threaded runtime over epoll;
///   a connection lives on the thread that accepted it, so wake-ups never cross threads.
///   Cheapest per request and the lowest tail latency for short handlers; a handler that
///   blocks stalls the other connections of its thread (not those of other threads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transport {
    /// The tokio engine: tasks on the caller's runtime.
    #[default]
    Std,
    /// The thread-per-core engine: one event loop and listener per worker thread.
    Epoll,
}

impl Transport {
    /// The engine named by `name` (`"std"` or `"epoll"`, case-insensitive).
    pub fn from_name(name: &str) -> Option<Transport> {
        match name.trim().to_ascii_lowercase().as_str() {
            "std" | "tokio" | "standard" => Some(Transport::Std),
            "epoll" | "netpoll" => Some(Transport::Epoll),
            _ => None,
        }
    }

    /// The engine's name as [`Transport::from_name`] accepts it.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Std => "std",
            Transport::Epoll => "epoll",
        }
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

/// The accept loop both engines run on each listener: accepts until `shutdown`, spawning one
/// tracked task per connection on the current runtime.
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
