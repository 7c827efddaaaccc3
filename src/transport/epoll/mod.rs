//! The "epoll" engine: thread-per-core. `workers` OS threads, each with its own event loop — a
//! single-threaded tokio runtime, whose I/O driver is epoll (through mio) — and its own
//! listener: `SO_REUSEPORT` siblings bound to the same address so the kernel spreads new
//! connections over the threads, or, for a listener bound without `SO_REUSEPORT`, duplicates of
//! that one socket that every worker accepts from. A connection stays on the thread that
//! accepted it for its whole life: its reads, timers and wake-ups never cross threads, and no
//! work-stealing scheduler runs. Threads can be pinned to the CPUs the process may use.
//!
//! Why a current-thread tokio runtime rather than a hand-written executor over raw epoll:
//! handlers stay ordinary `async fn`s that may use tokio's timers, I/O and `spawn` (they land on
//! the worker's own runtime), and the protocol layer is shared with the std engine unchanged.
//! Measured (callgrind, user-space instructions per keep-alive request, and syscalls per
//! request under wrk): the worker does what the canned-response `limit` peer — itself a
//! current-thread tokio loop — does in the kernel (one `recv`, one `send`, ~0.3 `epoll_wait`
//! per request), so the executor costs nothing a hand-written epoll loop would save; see
//! `benches/README.md`.
//!
//! - [`listeners`]: one listener per worker out of the one the server bound.
//! - `worker`: a worker thread: pinning, its runtime, its accept loop, its connections.
//! - [`affinity`]: the CPUs the process may run on, and pinning a thread to one.

pub mod affinity;
pub mod listeners;
mod worker;

use std::io;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::accept::connection_limit;
use super::engine::{ConnHandler, Engine};
use super::shutdown::Shutdown;

/// Work started on each worker's runtime as the worker starts (given the worker's index): the
/// HTTP/3 endpoint of that worker.
pub(crate) type WorkerHook = Arc<dyn Fn(usize) + Send + Sync>;

/// The thread-per-core engine.
#[derive(Clone)]
pub struct EpollEngine {
    workers: usize,
    pin_cpus: bool,
    max_connections: usize,
    on_worker_start: Option<WorkerHook>,
}

impl std::fmt::Debug for EpollEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpollEngine")
            .field("workers", &self.workers)
            .field("pin_cpus", &self.pin_cpus)
            .field("max_connections", &self.max_connections)
            .field("on_worker_start", &self.on_worker_start.is_some())
            .finish()
    }
}

impl EpollEngine {
    /// An engine with `workers` event-loop threads (0 = one per CPU this process may use) and
    /// at most `max_connections` open connections over all of them (0 = no limit).
    pub fn new(workers: usize, max_connections: usize) -> Self {
        EpollEngine {
            workers,
            pin_cpus: false,
            max_connections,
            on_worker_start: None,
        }
    }

    /// Runs `hook(index)` on each worker's runtime when the worker starts, before it accepts
    /// (tasks it spawns live on that worker's thread).
    pub(crate) fn on_worker_start(mut self, hook: Option<WorkerHook>) -> Self {
        self.on_worker_start = hook;
        self
    }

    /// Pins worker `i` to the `i`-th CPU this process may use (round-robin; Linux only, a
    /// no-op elsewhere). Off by default.
    pub fn pin_cpus(mut self, on: bool) -> Self {
        self.pin_cpus = on;
        self
    }

    /// The number of worker threads this engine starts.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            affinity::cpu_count()
        }
    }
}

impl Engine for EpollEngine {
    async fn serve<H: ConnHandler>(
        &self,
        listener: TcpListener,
        handler: Arc<H>,
        shutdown: Shutdown,
        tracker: TaskTracker,
    ) -> io::Result<()> {
        let listener = listener.into_std()?;
        let per_worker = listeners::split(listener, self.worker_count())?;
        let cpus = if self.pin_cpus {
            affinity::allowed_cpus()
        } else {
            Vec::new()
        };
        let limit = connection_limit(self.max_connections);
        // Cancelled if this future is dropped before the workers stopped accepting (the
        // runtime that awaited it went away): the workers then stop at once, dropping their
        // connections, as the std engine's tasks are dropped with their runtime.
        let abort = CancellationToken::new();
        let abort_on_drop = abort.clone().drop_guard();
        let mut stopped = Vec::with_capacity(per_worker.len());
        for (index, listener) in per_worker.into_iter().enumerate() {
            let (accepting_done, done) = oneshot::channel();
            let job = worker::Worker {
                index,
                cpu: (!cpus.is_empty()).then(|| cpus[index % cpus.len()]),
                listener,
                handler: handler.clone(),
                shutdown: shutdown.clone(),
                tracker: tracker.clone(),
                limit: limit.clone(),
                on_start: self.on_worker_start.clone(),
                abort: abort.clone(),
                accepting_done,
            };
            std::thread::Builder::new()
                .name(format!("khz-epoll-{index}"))
                .spawn(move || job.run())?;
            stopped.push(done);
        }
        let mut result = Ok(());
        for done in stopped {
            match done.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(_) => {
                    result = Err(io::Error::other(
                        "an epoll worker thread stopped unexpectedly",
                    ))
                }
            }
        }
        // Every worker stopped accepting: from here on they finish their connections (the
        // graceful drain) and exit by themselves.
        abort_on_drop.disarm();
        result
    }
}
