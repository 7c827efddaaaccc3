//! Transport engines as an abstraction: [`Engine`] (accepts connections on a listener and runs
//! a [`ConnHandler`] on each), the [`ConnHandler`] the protocol layer implements, and
//! [`Transport`], the user's choice between the two built-in engines:
//! [`StdEngine`](super::StdEngine) (one accept loop, tasks on the caller's tokio runtime) and
//! [`EpollEngine`](super::EpollEngine) (one event loop per core, each with its own listener and
//! its own single-threaded runtime). The accept loop both run is in `accept.rs`.

use std::future::Future;
use std::io;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
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
///   uneven work — blocking-ish code, long CPU bursts — that work stealing evens out (an
///   optional watchdog thread keeps the runtime's I/O serviced while a handler blocks a worker).
/// - `Epoll`: thread-per-core. `workers` threads (default: the CPUs this process may run on),
///   each with its own `SO_REUSEPORT` listener and its own single-threaded runtime over epoll;
///   a connection lives on the thread that accepted it, so wake-ups never cross threads.
///   Cheapest per request and the lowest tail latency for short handlers; a handler that
///   blocks stalls the other connections of its thread (not those of other threads).
///
/// More engines may come: match with a wildcard arm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
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
