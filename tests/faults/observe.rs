//! What a server under test did, as the fault tests see it: its log lines ([`LogBook`], filled
//! from this process's tracing events by [`server_log`] or from a child's stderr) and the
//! panics of its threads that nobody asked for ([`unexpected_panics`]).
//!
//! Waiting on a [`LogBook`] is event-driven (every new line wakes the waiters); the guard is
//! only a failure bound.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::watch;

/// Longest a test waits for a log line before failing.
pub const LOG_GUARD: Duration = Duration::from_secs(10);

/// Log lines, in arrival order, that tests can count and wait for.
#[derive(Clone)]
pub struct LogBook {
    inner: Arc<Inner>,
}

struct Inner {
    lines: Mutex<Vec<String>>,
    changed: watch::Sender<usize>,
}

impl LogBook {
    /// An empty book.
    pub fn new() -> Self {
        LogBook {
            inner: Arc::new(Inner {
                lines: Mutex::new(Vec::new()),
                changed: watch::Sender::new(0),
            }),
        }
    }

    /// Adds a line and wakes the waiters.
    pub fn push(&self, line: String) {
        self.inner
            .lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
        self.inner.changed.send_modify(|n| *n += 1);
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.inner
            .lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The lines that match `pred`.
    pub fn matching(&self, pred: impl Fn(&str) -> bool) -> Vec<String> {
        self.lines().into_iter().filter(|l| pred(l)).collect()
    }

    /// Waits until a line matching `pred` is in the book and returns it; fails the test after
    /// [`LOG_GUARD`], naming `what` and showing the book.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_until(what, |lines| lines.iter().any(|l| pred(l)))
            .await;
        self.matching(&pred).swap_remove(0)
    }

    /// Waits until `cond` holds for the lines in the book; fails the test after [`LOG_GUARD`],
    /// naming `what` and showing the book.
    pub async fn wait_until(&self, what: &str, cond: impl Fn(&[String]) -> bool) {
        let deadline = tokio::time::Instant::now() + LOG_GUARD;
        let mut changed = self.inner.changed.subscribe();
        loop {
            if cond(&self.lines()) {
                return;
            }
            if tokio::time::timeout_at(deadline, changed.changed())
                .await
                .is_err()
            {
                panic!(
                    "no log line {what} within {LOG_GUARD:?}; log so far:\n{}",
                    self.lines().join("\n")
                );
            }
        }
    }
}

/// A `tracing` writer that files each formatted event into a [`LogBook`].
struct BookWriter {
    book: LogBook,
    buf: Vec<u8>,
}

impl Write for BookWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for BookWriter {
    fn drop(&mut self) {
        for line in String::from_utf8_lossy(&self.buf).lines() {
            self.book.push(line.to_owned());
        }
    }
}

/// The log of every khz server in this test process, at debug level (installed as the global
/// `tracing` subscriber on first use). Tests find their own lines by peer address.
pub fn server_log() -> &'static LogBook {
    static BOOK: OnceLock<LogBook> = OnceLock::new();
    BOOK.get_or_init(|| {
        let book = LogBook::new();
        let sink = book.clone();
        let installed = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_thread_names(true)
            .with_writer(move || BookWriter {
                book: sink.clone(),
                buf: Vec::new(),
            })
            .try_init();
        assert!(
            installed.is_ok(),
            "another tracing subscriber was installed first"
        );
        book
    })
}

/// Panic messages that mark a panic as deliberate (the tests' exploding handlers).
pub const DELIBERATE: &str = "on purpose";

static UNEXPECTED: AtomicUsize = AtomicUsize::new(0);

/// Starts counting panics on server threads (epoll workers, tokio runtime workers) whose
/// message does not say [`DELIBERATE`]; the previous hook still prints them.
pub fn watch_panics() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
                .unwrap_or("");
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("");
            let server_thread = name.starts_with("khz-epoll-") || name.starts_with("tokio-");
            if server_thread && !payload.contains(DELIBERATE) {
                UNEXPECTED.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

/// How many unexpected panics server threads had since [`watch_panics`].
pub fn unexpected_panics() -> usize {
    UNEXPECTED.load(Ordering::SeqCst)
}
