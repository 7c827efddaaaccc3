//! One accepted connection: the byte stream plus its [`LinkBuffer`] for reading and its
//! [`WriteBuffer`] for writing, with deadline-bounded fill and flush operations and a careful
//! close. The protocol layer drives a `Conn`; it never touches the socket directly. `Conn` is
//! generic over the stream so TLS streams and in-memory pipes plug in the same way.
//!
//! Waiting for the next message is two-phase ([`Conn::fill_idle`]): a connection that is busy
//! keeps its buffers between messages (so steady traffic allocates nothing), one that stays
//! quiet past a release time gives both buffers' memory back and waits on holding none.
//!
//! Every deadline of a connection is served by one timer of its own, armed lazily: it moves
//! earlier when a nearer deadline is asked for but never later, and re-arms when it fires
//! before the deadline in force. A keep-alive connection therefore touches the runtime's timer
//! wheel about once per timeout period rather than once per request, and the `_within`
//! variants ([`Conn::fill_within`], [`Conn::flush_within`]) read the clock only if the I/O
//! actually has to wait.

use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Poll};
use std::time::Duration;

use futures_util::future::FutureExt;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use super::buffer::LinkBuffer;
use super::writer::WriteBuffer;

/// Most bytes discarded while lingering before a close.
const LINGER_MAX_BYTES: usize = 256 * 1024;
/// Size of the stack buffer lingering reads into.
const LINGER_READ: usize = 4096;

/// An accepted connection with its buffers.
///
/// The stream, the buffers and the addresses live in one heap block: a `Conn` is a pointer, so
/// the futures that own or move it along (engine task, protocol suite, driver, close) each hold
/// 8 bytes of it instead of a copy of the whole.
#[derive(Debug)]
pub struct Conn<S = TcpStream> {
    parts: Box<Parts<S>>,
}

#[derive(Debug)]
struct Parts<S> {
    io: S,
    reader: LinkBuffer,
    writer: WriteBuffer,
    peer: SocketAddr,
    local: SocketAddr,
    /// The connection's one timer, armed lazily (see [`poll_deadline`]).
    timer: Option<Pin<Box<Sleep>>>,
}

/// How long an I/O operation may wait.
#[derive(Debug, Clone, Copy)]
enum Limit {
    None,
    At(Instant),
    /// This long after the operation first has to wait (the clock is read then, not before).
    After(Duration),
}

/// `fut`, failing with `TimedOut` once `limit` passes, timed by the connection's `timer`.
async fn timed<T, F>(timer: &mut Option<Pin<Box<Sleep>>>, limit: Limit, fut: F) -> io::Result<T>
where
    F: Future<Output = io::Result<T>>,
{
    let mut fut = std::pin::pin!(fut);
    let mut deadline = match limit {
        Limit::At(at) => Some(at),
        Limit::None | Limit::After(_) => None,
    };
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(r) = fut.as_mut().poll(cx) {
            return Poll::Ready(r);
        }
        let at = match (deadline, limit) {
            (Some(at), _) => at,
            (None, Limit::After(t)) => *deadline.get_or_insert(Instant::now() + t),
            (None, _) => return Poll::Pending,
        };
        match poll_deadline(timer, cx, at) {
            Poll::Ready(()) => Poll::Ready(Err(io::ErrorKind::TimedOut.into())),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// Polls the connection's timer for `deadline`: ready once it has passed, otherwise a wake-up
/// is registered for no later than `deadline`.
///
/// The timer is armed lazily, which makes deadlines nearly free on a busy connection: it is
/// moved earlier when a nearer deadline is asked for, but never later — a later deadline
/// (each new request pushes the idle deadline on) leaves it as it is, and when it fires before
/// the deadline now in force it is simply re-armed. So a keep-alive connection touches the
/// timer wheel about once per timeout period instead of once per request.
fn poll_deadline(
    timer: &mut Option<Pin<Box<Sleep>>>,
    cx: &mut std::task::Context<'_>,
    deadline: Instant,
) -> Poll<()> {
    let sleep = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
    if sleep.deadline() > deadline {
        sleep.as_mut().reset(deadline);
    }
    loop {
        match sleep.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(()) if Instant::now() >= deadline => return Poll::Ready(()),
            // It fired for an earlier deadline that no longer applies.
            Poll::Ready(()) => sleep.as_mut().reset(deadline),
        }
    }
}

/// Logs a failed read or write (a reset, a broken pipe) at debug level; deadlines are the
/// protocol's to report.
fn log_failure<T>(result: &io::Result<T>, peer: SocketAddr, what: &str) {
    if let Err(e) = result {
        if e.kind() != io::ErrorKind::TimedOut {
            tracing::debug!(%peer, error = %e, "{what}");
        }
    }
}

impl<S> Conn<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    /// Wraps an accepted stream.
    pub fn new(io: S, peer: SocketAddr, local: SocketAddr) -> Self {
        Conn {
            parts: Box::new(Parts {
                io,
                reader: LinkBuffer::new(),
                writer: WriteBuffer::new(),
                peer,
                local,
                timer: None,
            }),
        }
    }

    /// The remote address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.parts.peer
    }

    /// The local address the connection was accepted on.
    pub fn local_addr(&self) -> SocketAddr {
        self.parts.local
    }

    /// Gives up the connection: the stream and the bytes read but not consumed yet. Pending
    /// writes are dropped, so flush first.
    pub fn into_parts(self) -> (S, bytes::Bytes) {
        let mut parts = *self.parts;
        let unread = parts.reader.len();
        let rest = parts.reader.split_to(unread);
        (parts.io, rest)
    }

    /// The read buffer.
    pub fn reader(&mut self) -> &mut LinkBuffer {
        &mut self.parts.reader
    }

    /// The write buffer.
    pub fn writer(&mut self) -> &mut WriteBuffer {
        &mut self.parts.writer
    }

    /// Reads once into the read buffer, expecting `hint` more bytes (0 if unknown). Returns the
    /// bytes read, 0 on end of stream, or `TimedOut` when `deadline` passes first.
    pub fn fill(
        &mut self,
        hint: usize,
        deadline: Option<Instant>,
    ) -> impl Future<Output = io::Result<usize>> + Send + '_ {
        self.fill_limited(hint, deadline.map_or(Limit::None, Limit::At))
    }

    /// Like [`fill`](Self::fill), failing with `TimedOut` once the read has waited `timeout`.
    /// The clock is read only if the read has to wait at all.
    pub fn fill_within(
        &mut self,
        hint: usize,
        timeout: Duration,
    ) -> impl Future<Output = io::Result<usize>> + Send + '_ {
        self.fill_limited(hint, Limit::After(timeout))
    }

    fn fill_limited(
        &mut self,
        hint: usize,
        limit: Limit,
    ) -> impl Future<Output = io::Result<usize>> + Send + '_ {
        let Parts {
            io,
            reader,
            timer,
            peer,
            ..
        } = &mut *self.parts;
        let peer = *peer;
        let read = timed(timer, limit, reader.read_from(io, hint));
        read.map(move |r| {
            log_failure(&r, peer, "connection read failed");
            r
        })
    }

    /// Waits for the first bytes of the next message on a connection between messages, like
    /// [`fill_within`](Self::fill_within) with no hint, in two phases: for `release_after`
    /// the buffers stay as they are (a busy connection reuses them without allocating); if
    /// nothing arrived by then, their memory is given back
    /// ([`release_idle`](Self::release_idle)) and the wait goes on without holding any, until
    /// `timeout` (counted from the start of the wait) ends it with `TimedOut`. A
    /// `release_after` at or past `timeout` skips the release.
    pub async fn fill_idle(
        &mut self,
        release_after: Duration,
        timeout: Duration,
    ) -> io::Result<usize> {
        if release_after >= timeout {
            return self.fill_within(0, timeout).await;
        }
        match self.fill_within(0, release_after).await {
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
            done => return done,
        }
        self.release_idle();
        self.fill_within(0, timeout - release_after).await
    }

    /// Gives back the memory of both buffers if they are empty (see
    /// [`LinkBuffer::release_idle`] and [`WriteBuffer::release_idle`]); the next read allocates
    /// a node only once bytes arrive.
    pub fn release_idle(&mut self) {
        self.parts.reader.release_idle();
        self.parts.writer.release_idle();
    }

    /// Writes out and flushes the write buffer, or fails with `TimedOut` when `deadline` passes.
    pub fn flush(
        &mut self,
        deadline: Option<Instant>,
    ) -> impl Future<Output = io::Result<()>> + Send + '_ {
        self.flush_limited(deadline.map_or(Limit::None, Limit::At))
    }

    /// Like [`flush`](Self::flush), failing with `TimedOut` once the write has waited
    /// `timeout` for the peer. A flush that completes at once never reads the clock.
    pub fn flush_within(
        &mut self,
        timeout: Duration,
    ) -> impl Future<Output = io::Result<()>> + Send + '_ {
        self.flush_limited(Limit::After(timeout))
    }

    fn flush_limited(&mut self, limit: Limit) -> impl Future<Output = io::Result<()>> + Send + '_ {
        let Parts {
            io,
            writer,
            timer,
            peer,
            ..
        } = &mut *self.parts;
        let peer = *peer;
        let pending = !writer.is_empty();
        let write = timed(timer, limit, async move {
            if pending {
                writer.flush(io).await
            } else {
                Ok(())
            }
        });
        write.map(move |r| {
            log_failure(&r, peer, "connection write failed");
            r
        })
    }

    /// Flushes what is pending and closes the connection. With `linger`, the write side is shut
    /// down first and incoming bytes are read and discarded (up to a bound) until the peer
    /// closes or `linger` elapses: closing a socket with unread input makes the kernel send a
    /// reset that can destroy the response the peer has not read yet (e.g. a 413 sent before
    /// the body was consumed).
    pub async fn close(mut self, deadline: Option<Instant>, linger: Option<Duration>) {
        if self.flush(deadline).await.is_err() {
            return;
        }
        let io = &mut self.parts.io;
        if io.shutdown().await.is_err() {
            return;
        }
        let Some(linger) = linger else {
            return;
        };
        let until = Instant::now() + linger;
        let mut discarded = 0usize;
        while discarded < LINGER_MAX_BYTES {
            match tokio::time::timeout_at(until, discard(io)).await {
                Ok(Ok(n)) if n > 0 => discarded += n,
                _ => break,
            }
        }
    }
}

/// Reads once from `io` and throws the bytes away; returns how many there were. The buffer is
/// on the stack of each poll, so the future (part of every connection's state) stays small.
async fn discard<S: AsyncRead + Unpin>(io: &mut S) -> io::Result<usize> {
    std::future::poll_fn(|cx| {
        let mut scratch = [MaybeUninit::<u8>::uninit(); LINGER_READ];
        let mut out = ReadBuf::uninit(&mut scratch);
        ready!(Pin::new(&mut *io).poll_read(cx, &mut out))?;
        Poll::Ready(Ok(out.filled().len()))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{duplex, AsyncReadExt, DuplexStream};

    fn conn() -> (Conn<DuplexStream>, DuplexStream) {
        let (client, server) = duplex(64 * 1024);
        let addr: SocketAddr = ([127, 0, 0, 1], 1).into();
        (Conn::new(server, addr, addr), client)
    }

    /// One request/response exchange, leaving both buffers with capacity.
    async fn exchange(conn: &mut Conn<DuplexStream>, client: &mut DuplexStream) {
        client.write_all(b"ping").await.unwrap();
        let n = conn
            .fill_idle(Duration::from_secs(1), Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(&conn.reader().split_to(n)[..], b"ping");
        conn.writer().write(b"pong");
        conn.flush(None).await.unwrap();
        let mut pong = [0u8; 4];
        client.read_exact(&mut pong).await.unwrap();
        assert_eq!(&pong, b"pong");
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_times_out_after_waiting_its_timeout() {
        let (mut conn, _client) = conn();
        let start = Instant::now();
        let err = conn
            .fill_within(0, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_nearer_deadline_moves_the_armed_timer_earlier() {
        let (mut conn, _client) = conn();
        let start = Instant::now();
        // Arm the timer for a far deadline, and leave before it fires.
        let far = conn.fill(0, Some(start + Duration::from_secs(60)));
        assert!(tokio::time::timeout(Duration::from_millis(10), far)
            .await
            .is_err());
        // A nearer deadline must not wait for the far one.
        let err = conn
            .fill(0, Some(start + Duration::from_secs(1)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_timer_armed_for_an_earlier_deadline_is_rearmed_not_fatal() {
        let (mut conn, mut client) = conn();
        let start = Instant::now();
        // Arm the timer for +1 s, then leave that wait.
        let near = conn.fill(0, Some(start + Duration::from_secs(1)));
        assert!(tokio::time::timeout(Duration::from_millis(10), near)
            .await
            .is_err());
        // A later deadline leaves the armed timer alone; when it fires at +1 s the read must
        // go on waiting, and the data sent at +3 s must arrive.
        let waiting = conn.fill(0, Some(start + Duration::from_secs(10)));
        let late = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            client.write_all(b"data").await.unwrap();
        };
        let (read, ()) = tokio::join!(waiting, late);
        assert_eq!(read.unwrap(), 4);
        // The data came 3 s after the second wait started (10 ms after `start`).
        assert_eq!(start.elapsed(), Duration::from_millis(3010));
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_connection_keeps_its_buffers() {
        let (mut conn, mut client) = conn();
        exchange(&mut conn, &mut client).await;
        exchange(&mut conn, &mut client).await;
        let held = (conn.reader().capacity(), conn.writer().capacity());
        assert!(held.0 > 0 && held.1 > 0);
        // The next message arrives before the release time: nothing is given back.
        exchange(&mut conn, &mut client).await;
        assert_eq!((conn.reader().capacity(), conn.writer().capacity()), held);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_gives_its_buffers_back_and_still_works() {
        let (mut conn, mut client) = conn();
        exchange(&mut conn, &mut client).await;
        exchange(&mut conn, &mut client).await;
        assert!(conn.reader().capacity() > 0 && conn.writer().capacity() > 0);

        // Nothing arrives: past the release time the buffers are given back, and the wait
        // goes on until the deadline.
        let start = Instant::now();
        let err = conn
            .fill_idle(Duration::from_secs(1), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        assert_eq!(conn.reader().capacity(), 0);
        assert_eq!(conn.writer().capacity(), 0);

        // The connection reads and writes as before.
        exchange(&mut conn, &mut client).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_arriving_after_the_release_is_read_whole() {
        let (mut conn, mut client) = conn();
        exchange(&mut conn, &mut client).await;
        let start = Instant::now();
        let waiting = conn.fill_idle(Duration::from_secs(1), Duration::from_secs(60));
        let late = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            client.write_all(b"late message").await.unwrap();
        };
        let (read, ()) = tokio::join!(waiting, late);
        assert_eq!(read.unwrap(), 12);
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        assert_eq!(&conn.reader().split_to(12)[..], b"late message");
    }

    #[tokio::test]
    async fn lingering_close_discards_input_until_the_peer_closes() {
        const GUARD: Duration = Duration::from_secs(10);
        let (client, server) = duplex(1024);
        let addr: SocketAddr = ([127, 0, 0, 1], 1).into();
        let mut conn = Conn::new(server, addr, addr);
        conn.writer()
            .write(b"HTTP/1.1 413 Payload Too Large\r\n\r\n");
        let closing = tokio::spawn(conn.close(None, Some(Duration::from_secs(60))));
        let (mut rx, mut tx) = tokio::io::split(client);
        // The response arrives, then the end of the server's write side...
        let mut response = Vec::new();
        tokio::time::timeout(GUARD, rx.read_to_end(&mut response))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(response, b"HTTP/1.1 413 Payload Too Large\r\n\r\n");
        // ...while the server goes on reading: far more than the pipe holds gets through.
        tokio::time::timeout(GUARD, tx.write_all(&[b'x'; 100_000]))
            .await
            .unwrap()
            .unwrap();
        // Once the peer is gone, the close completes (long before the linger time).
        drop((rx, tx));
        tokio::time::timeout(GUARD, closing).await.unwrap().unwrap();
    }
}
