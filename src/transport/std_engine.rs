//! The "std" engine: one accept loop on the caller's tokio runtime, one task per connection on
//! whatever runtime the server runs on (multi-thread, work-stealing by default). Graceful
//! shutdown is cooperative: cancelling the [`Shutdown`] signal stops the accept loop at once and
//! tells every connection handler to finish its in-flight request and close; the
//! [`TaskTracker`] lets the caller wait for them. Opt-in ([`StdEngine::watchdog`]): on a
//! multi-thread runtime a watchdog thread (`transport/watchdog.rs`) keeps the runtime serving
//! while a handler blocks a worker thread, until the last connection has finished.

use std::io;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use super::accept::{accept_loop, connection_limit};
use super::engine::{ConnHandler, Engine};
use super::shutdown::Shutdown;
use super::watchdog::Watchdog;

/// The "std" engine: tokio tasks, one per connection.
#[derive(Debug, Clone)]
pub struct StdEngine {
    max_connections: usize,
    watchdog: bool,
}

impl StdEngine {
    /// An engine that keeps at most `max_connections` connections open; at the limit it stops
    /// accepting (new clients wait in the kernel's backlog) until one closes. 0 means no limit.
    pub fn new(max_connections: usize) -> Self {
        StdEngine {
            max_connections,
            watchdog: false,
        }
    }

    /// Runs the watchdog while serving (off by default; on a multi-thread runtime only; see
    /// `transport/watchdog.rs`): a thread that wakes an idle worker when another one is stuck
    /// in a task, so a blocking handler does not stop the other connections.
    pub(crate) fn watchdog(mut self, on: bool) -> Self {
        self.watchdog = on;
        self
    }
}

impl Engine for StdEngine {
    async fn serve<H: ConnHandler>(
        &self,
        listener: TcpListener,
        handler: Arc<H>,
        shutdown: Shutdown,
        tracker: TaskTracker,
    ) -> io::Result<()> {
        let limit = connection_limit(self.max_connections);
        let watchdog = if self.watchdog {
            Watchdog::start(tokio::runtime::Handle::current())
        } else {
            None
        };
        let connections = tracker.clone();
        let result = accept_loop(listener, handler, shutdown, tracker, limit).await;
        if let Some(watchdog) = watchdog {
            // Draining connections may block too: watch until they are done (or the runtime
            // goes away, dropping this task).
            tokio::spawn(async move {
                connections.wait().await;
                drop(watchdog);
            });
        }
        result
    }
}
