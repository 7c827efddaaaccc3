//! The std engine's watchdog, in the spirit of Go's `sysmon`: keeps a multi-thread tokio
//! runtime's I/O driver (and timers) serviced while one worker thread is stuck in a task — a
//! handler that blocks its thread, or computes for long. The engine runs it only when asked
//! (`StdEngine::watchdog`).
//!
//! Why it is needed: tokio's workers take turns parking on the I/O driver. A worker woken by
//! the driver runs the woken task itself and, when that was the only task, wakes no sibling.
//! If that task then blocks the thread, the siblings sleep on, nobody polls the driver, and no
//! other connection is served until the task lets go (tokio's own remedy, the "eager driver
//! handoff", is unstable). The watchdog is an OS thread that reads the runtime's stable metrics
//! every [`TICK`]: a worker that is active (even park/unpark count) and has neither parked nor
//! unparked since the previous tick has been busy with one run for a whole tick. Then, if some
//! worker is not in that state, the watchdog spawns an empty task from outside the runtime; that
//! wakes an idle worker, which runs it and, with nothing else to do, parks on the free driver
//! and serves the other connections. On an idle runtime every worker is parked and the watchdog
//! only reads a few atomics per tick.

use std::sync::mpsc;
use std::time::Duration;

use tokio::runtime::{Handle, RuntimeFlavor};

/// How often the watchdog looks: a stuck worker is noticed within two ticks.
const TICK: Duration = Duration::from_millis(50);

/// A running watchdog thread; dropping it stops the thread.
#[derive(Debug)]
pub(crate) struct Watchdog {
    _stop: mpsc::Sender<()>,
}

impl Watchdog {
    /// Starts watching the runtime behind `handle`. `None` where there is nothing to watch
    /// (a current-thread runtime) or the metrics are not available on this target.
    pub(crate) fn start(handle: Handle) -> Option<Watchdog> {
        if handle.runtime_flavor() != RuntimeFlavor::MultiThread || !cfg!(target_has_atomic = "64")
        {
            return None;
        }
        let (stop, stopped) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("khz-watchdog".to_owned())
            .spawn(move || watch(&handle, &stopped));
        match spawned {
            Ok(_) => Some(Watchdog { _stop: stop }),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the runtime watchdog");
                None
            }
        }
    }
}

/// The watchdog thread's body: runs until the [`Watchdog`] is dropped.
#[cfg(target_has_atomic = "64")]
fn watch(handle: &Handle, stopped: &mpsc::Receiver<()>) {
    let metrics = handle.metrics();
    let workers = metrics.num_workers();
    let mut seen: Vec<u64> = (0..workers)
        .map(|w| metrics.worker_park_unpark_count(w))
        .collect();
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
        let mut stuck = 0;
        for (worker, last) in seen.iter_mut().enumerate() {
            let now = metrics.worker_park_unpark_count(worker);
            if now % 2 == 0 && now == *last {
                stuck += 1;
            }
            *last = now;
        }
        if stuck > 0 && stuck < workers {
            // Wakes an idle worker (the task itself does nothing).
            drop(handle.spawn(async {}));
        }
    }
}

#[cfg(not(target_has_atomic = "64"))]
fn watch(_handle: &Handle, _stopped: &mpsc::Receiver<()>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_watchdog_on_a_current_thread_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(Watchdog::start(rt.handle().clone()).is_none());
    }

    #[test]
    #[cfg(target_has_atomic = "64")]
    fn a_blocked_worker_does_not_stall_timers() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let _watchdog = Watchdog::start(rt.handle().clone()).expect("multi-thread runtime");
        let (fired_tx, fired) = mpsc::channel();
        let (entered_tx, entered) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        // A timer that fires after the block below started ...
        rt.spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            fired_tx.send(()).unwrap();
        });
        // ... and a task woken by the driver that then blocks its worker thread.
        rt.spawn(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            entered_tx.send(()).unwrap();
            let _ = released.recv();
        });
        entered.recv().unwrap();
        let outcome = fired.recv_timeout(Duration::from_secs(10));
        drop(release);
        assert!(
            outcome.is_ok(),
            "the timer did not fire while a worker was blocked"
        );
    }
}
