//! One epoll worker thread: optionally pinned to a CPU, it builds its own single-threaded
//! runtime (I/O driver = epoll, timers), runs the shared accept loop on its own listener, and
//! spawns every accepted connection as a task of that runtime — so the connection is polled,
//! woken and timed on this thread only. After draining starts it stops accepting, reports so,
//! and keeps running until the server's tracked connections have finished.

use std::io;
use std::sync::Arc;

use tokio::sync::{oneshot, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::affinity;
use crate::transport::accept::accept_loop;
use crate::transport::engine::ConnHandler;
use crate::transport::shutdown::Shutdown;

/// Everything a worker thread needs.
pub(super) struct Worker<H> {
    pub index: usize,
    pub cpu: Option<usize>,
    pub listener: std::net::TcpListener,
    pub handler: Arc<H>,
    pub shutdown: Shutdown,
    pub tracker: TaskTracker,
    pub limit: Option<Arc<Semaphore>>,
    /// Run on this worker's runtime before it accepts (HTTP/3's endpoint).
    pub on_start: Option<super::WorkerHook>,
    /// Stop now, dropping connections (the engine's future was dropped).
    pub abort: CancellationToken,
    /// Told when this worker stopped accepting (with the accept loop's result).
    pub accepting_done: oneshot::Sender<io::Result<()>>,
}

impl<H: ConnHandler> Worker<H> {
    /// The thread's body.
    pub fn run(self) {
        let Worker {
            index,
            cpu,
            listener,
            handler,
            shutdown,
            tracker,
            limit,
            on_start,
            abort,
            accepting_done,
        } = self;
        if let Some(cpu) = cpu {
            affinity::pin_current_thread(cpu);
        }
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = accepting_done.send(Err(e));
                return;
            }
        };
        rt.block_on(async move {
            if let Some(start) = on_start {
                start(index);
            }
            let accepting = async {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                accept_loop(listener, handler, shutdown, tracker.clone(), limit).await
            };
            let result = tokio::select! {
                r = accepting => r,
                _ = abort.cancelled() => return,
            };
            if let Err(e) = &result {
                tracing::error!(worker = index, error = %e, "epoll worker stopped accepting");
            }
            let _ = accepting_done.send(result);
            // Serve this thread's remaining connections until the whole server has drained.
            tokio::select! {
                _ = tracker.wait() => {}
                _ = abort.cancelled() => {}
            }
        });
        // Dropping the runtime drops whatever is left on it.
        drop(rt);
    }
}
