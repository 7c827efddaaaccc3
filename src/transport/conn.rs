//! One accepted connection: the byte stream plus its [`LinkBuffer`] for reading and its
//! [`WriteBuffer`] for writing, with deadline-bounded fill and flush operations and a careful
//! close. The protocol layer drives a `Conn`; it never touches the socket directly. `Conn` is
//! generic over the stream so TLS streams and in-memory pipes plug in the same way.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::buffer::LinkBuffer;
use super::writer::WriteBuffer;

/// Most bytes discarded while lingering before a close.
const LINGER_MAX_BYTES: usize = 256 * 1024;

/// An accepted connection with its buffers.
#[derive(Debug)]
pub struct Conn<S = TcpStream> {
    io: S,
    reader: LinkBuffer,
    writer: WriteBuffer,
    peer: SocketAddr,
    local: SocketAddr,
}

async fn with_deadline<T>(
    deadline: Option<Instant>,
    fut: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match deadline {
        None => fut.await,
        Some(d) => match tokio::time::timeout_at(d, fut).await {
            Ok(r) => r,
            Err(_) => Err(io::ErrorKind::TimedOut.into()),
        },
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
            io,
            reader: LinkBuffer::new(),
            writer: WriteBuffer::new(),
            peer,
            local,
        }
    }

    /// The remote address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The local address the connection was accepted on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Gives up the connection: the stream and the bytes read but not consumed yet. Pending
    /// writes are dropped, so flush first.
    pub fn into_parts(mut self) -> (S, bytes::Bytes) {
        let unread = self.reader.len();
        let rest = self.reader.split_to(unread);
        (self.io, rest)
    }

    /// The read buffer.
    pub fn reader(&mut self) -> &mut LinkBuffer {
        &mut self.reader
    }

    /// The write buffer.
    pub fn writer(&mut self) -> &mut WriteBuffer {
        &mut self.writer
    }

    /// The underlying stream (for protocol upgrades and hijacking).
    pub fn io_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// Reads once into the read buffer, expecting `hint` more bytes (0 if unknown). Returns the
    /// bytes read, 0 on end of stream, or `TimedOut` when `deadline` passes first.
    pub async fn fill(&mut self, hint: usize, deadline: Option<Instant>) -> io::Result<usize> {
        let Conn {
            io, reader, peer, ..
        } = self;
        let read = with_deadline(deadline, reader.read_from(io, hint)).await;
        log_failure(&read, *peer, "connection read failed");
        read
    }

    /// Writes out and flushes the write buffer, or fails with `TimedOut` when `deadline` passes.
    pub async fn flush(&mut self, deadline: Option<Instant>) -> io::Result<()> {
        if self.writer.is_empty() {
            return Ok(());
        }
        let Conn {
            io, writer, peer, ..
        } = self;
        let flushed = with_deadline(deadline, writer.flush(io)).await;
        log_failure(&flushed, *peer, "connection write failed");
        flushed
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
        if self.io.shutdown().await.is_err() {
            return;
        }
        let Some(linger) = linger else {
            return;
        };
        let until = Instant::now() + linger;
        let mut scratch = [0u8; 4096];
        let mut discarded = 0usize;
        while discarded < LINGER_MAX_BYTES {
            match tokio::time::timeout_at(until, self.io.read(&mut scratch)).await {
                Ok(Ok(n)) if n > 0 => discarded += n,
                _ => break,
            }
        }
    }
}
