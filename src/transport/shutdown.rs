//! The drain signal shared by an engine and its connections. Checking it ([`Shutdown::is_draining`])
//! is one atomic load, cheap enough for every request; waiting for it
//! ([`Shutdown::draining`]) is a future a connection can race against a read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

/// A cloneable "the server is draining" signal.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    flag: Arc<AtomicBool>,
    token: CancellationToken,
}

impl Shutdown {
    /// A signal not yet triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts draining: wakes every waiter of [`Shutdown::draining`].
    pub fn trigger(&self) {
        self.flag.store(true, Ordering::Release);
        self.token.cancel();
    }

    /// Whether draining has started.
    #[inline]
    pub fn is_draining(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Resolves once draining has started.
    pub async fn draining(&self) {
        self.token.cancelled().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn trigger_wakes_waiters_and_sets_flag() {
        let s = Shutdown::new();
        let waiter = {
            let s = s.clone();
            tokio::spawn(async move { s.draining().await })
        };
        assert!(!s.is_draining());
        s.trigger();
        assert!(s.is_draining());
        waiter.await.unwrap();
    }
}
