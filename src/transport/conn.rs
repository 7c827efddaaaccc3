//! One accepted connection: the byte stream plus its [`LinkBuffer`] for reading and its
//! [`WriteBuffer`] for writing, with deadline-bounded fill and flush operations and a careful
//! close. The protocol layer drives a `Conn`; it never touches the socket directly. `Conn` is
//! generic over the stream so TLS streams and in-memory pipes plug in the same way.
//!
//! Waiting for the next message is two-phase ([`Conn::fill_idle`]): a connection that is busy
//! keeps its buffers between messages (so steady traffic allocates nothing), one that stays
//! quiet past a release time gives both buffers' memory back and waits on holding none.

use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Poll};
use std::time::Duration;

use futures_util::future::{Either, FutureExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

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
}

/// `fut`, failing with `TimedOut` once `deadline` passes. A plain function (not an `async fn`)
/// so the future is stored once, not once as an argument and again inside the timeout.
fn with_deadline<T, F>(deadline: Option<Instant>, fut: F) -> impl Future<Output = io::Result<T>>
where
    F: Future<Output = io::Result<T>>,
{
    match deadline {
        None => Either::Left(fut),
        Some(d) => Either::Right(
            tokio::time::timeout_at(d, fut)
                .map(|r| r.unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))),
        ),
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

    /// The underlying stream (for protocol upgrades and hijacking).
    pub fn io_mut(&mut self) -> &mut S {
        &mut self.parts.io
    }

    /// Reads once into the read buffer, expecting `hint` more bytes (0 if unknown). Returns the
    /// bytes read, 0 on end of stream, or `TimedOut` when `deadline` passes first.
    pub fn fill(
        &mut self,
        hint: usize,
        deadline: Option<Instant>,
    ) -> impl Future<Output = io::Result<usize>> + Send + '_ {
        let Parts { io, reader, .. } = &mut *self.parts;
        with_deadline(deadline, reader.read_from(io, hint))
    }

    /// Waits for the first bytes of the next message on a connection between messages, like
    /// [`fill`](Self::fill) with no hint, in two phases: until `release_at` the buffers stay as
    /// they are (a busy connection reuses them without allocating); if nothing arrived by then,
    /// their memory is given back ([`release_idle`](Self::release_idle)) and the wait goes on
    /// without holding any until `deadline`, which ends it with `TimedOut`. A `release_at` at
    /// or past `deadline` skips the release.
    ///
    /// ```no_run
    /// # async fn next(conn: &mut khz::transport::Conn) -> std::io::Result<usize> {
    /// use std::time::Duration;
    /// use tokio::time::Instant;
    /// let now = Instant::now();
    /// conn.fill_idle(now + Duration::from_secs(1), now + Duration::from_secs(60)).await
    /// # }
    /// ```
    pub async fn fill_idle(&mut self, release_at: Instant, deadline: Instant) -> io::Result<usize> {
        if release_at < deadline {
            let Parts { io, reader, .. } = &mut *self.parts;
            if let Ok(read) = tokio::time::timeout_at(release_at, reader.read_from(io, 0)).await {
                return read;
            }
            self.release_idle();
        }
        self.fill(0, Some(deadline)).await
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
        let Parts { io, writer, .. } = &mut *self.parts;
        let pending = !writer.is_empty();
        with_deadline(deadline, async move {
            if pending {
                writer.flush(io).await
            } else {
                Ok(())
            }
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
        let now = Instant::now();
        let n = conn
            .fill_idle(now + Duration::from_secs(1), now + Duration::from_secs(60))
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
            .fill_idle(
                start + Duration::from_secs(1),
                start + Duration::from_secs(5),
            )
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
        let waiting = conn.fill_idle(
            start + Duration::from_secs(1),
            start + Duration::from_secs(60),
        );
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
