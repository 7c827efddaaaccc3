//! Graceful shutdown as one HTTP/1.1 connection sees it: [`DrainWatch`] registers the
//! connection task with the server's drain signal once, then answers "draining?" with one
//! atomic load per idle wait; [`until_draining`] races an idle read against it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::transport::Shutdown;

/// The drain signal as one connection's idle waits see it. The waiter future is polled once,
/// which registers the connection task's waker with the signal; from then on a drain wakes the
/// task whatever it is doing, and each later idle wait only checks the flag (one atomic load)
/// instead of polling the waiter again (which takes the signal's lock).
pub(super) struct DrainWatch<'s, D> {
    shutdown: &'s Shutdown,
    waiter: Pin<&'s mut D>,
    armed: bool,
}

impl<'s, D: Future<Output = ()>> DrainWatch<'s, D> {
    /// Watches `shutdown` through `waiter` (its `draining()` future, fused).
    pub(super) fn new(shutdown: &'s Shutdown, waiter: Pin<&'s mut D>) -> Self {
        DrainWatch {
            shutdown,
            waiter,
            armed: false,
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.armed {
            return if self.shutdown.is_draining() {
                Poll::Ready(())
            } else {
                Poll::Pending
            };
        }
        let polled = self.waiter.as_mut().poll(cx);
        self.armed = polled.is_pending();
        polled
    }
}

/// Runs `fut` unless draining starts first (then `None`).
pub(super) async fn until_draining<T, D>(
    fut: impl Future<Output = T>,
    draining: &mut DrainWatch<'_, D>,
) -> Option<T>
where
    D: Future<Output = ()>,
{
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(r) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(r));
        }
        draining.poll(cx).map(|()| None)
    })
    .await
}
