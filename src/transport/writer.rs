//! The batching write buffer of a connection.
//!
//! Protocol encoders append small pieces (status line, headers, short bodies) into one contiguous
//! byte vector ([`WriteBuffer::write`], [`WriteBuffer::vec_mut`]); large bodies that already live in
//! a [`Bytes`] are queued by reference ([`WriteBuffer::write_bytes`]) instead of being copied.
//! [`WriteBuffer::flush`] then hands everything to the socket with as few syscalls as possible:
//! one `write` when only the vector is used, vectored writes (`writev`) otherwise. Responses to
//! pipelined requests accumulate here and leave in one flush.
//!
//! This module knows nothing of HTTP.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Poll};

use bytes::Bytes;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Bodies shorter than this are copied into the contiguous buffer instead of being queued.
const COPY_THRESHOLD: usize = 4096;
/// Most segments handed to one `writev` call.
const MAX_IOV: usize = 64;
/// After a flush, a buffer that grew beyond this is shrunk back.
const SHRINK_ABOVE: usize = 256 * 1024;
/// Capacity kept after shrinking.
const SHRINK_TO: usize = 16 * 1024;

/// Outgoing bytes of a connection, flushed in batches.
#[derive(Debug, Default)]
pub struct WriteBuffer {
    buf: Vec<u8>,
    /// Queued large chunks, each with the offset in `buf` it must follow.
    queued: Vec<(usize, Bytes)>,
    queued_len: usize,
}

impl WriteBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        WriteBuffer::default()
    }

    /// Total bytes waiting to be flushed.
    pub fn len(&self) -> usize {
        self.buf.len() + self.queued_len
    }

    /// Whether nothing waits to be flushed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a copy of `data`.
    #[inline]
    pub fn write(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Appends `data`: copied when short, otherwise queued by reference (no copy).
    pub fn write_bytes(&mut self, data: Bytes) {
        if data.len() < COPY_THRESHOLD {
            self.buf.extend_from_slice(&data);
        } else {
            self.queued_len += data.len();
            self.queued.push((self.buf.len(), data));
        }
    }

    /// The contiguous part, for encoders that format into it directly.
    #[inline]
    pub fn vec_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Drops everything not yet flushed.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.queued.clear();
        self.queued_len = 0;
    }

    /// Bytes of memory the buffer holds (its capacity), whether or not they are in use.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity() + self.queued.capacity() * std::mem::size_of::<(usize, Bytes)>()
    }

    /// Gives back all memory when nothing waits to be flushed: for a connection that has been
    /// idle for a while. A busy connection keeps its capacity between requests instead, so
    /// steady-state traffic does not allocate. Does nothing while bytes are pending.
    pub fn release_idle(&mut self) {
        if self.is_empty() {
            self.buf = Vec::new();
            self.queued = Vec::new();
        }
    }

    /// Writes everything to `io` and flushes it. On error the buffer's content is unspecified
    /// and the connection should be closed.
    pub async fn flush<W: AsyncWrite + Unpin + ?Sized>(&mut self, io: &mut W) -> io::Result<()> {
        if self.queued.is_empty() {
            if !self.buf.is_empty() {
                io.write_all(&self.buf).await?;
            }
        } else {
            self.write_vectored_all(io).await?;
        }
        io.flush().await?;
        self.clear();
        if self.buf.capacity() > SHRINK_ABOVE {
            self.buf.shrink_to(SHRINK_TO);
        }
        Ok(())
    }

    /// Writes every segment with vectored writes. The `IoSlice` array lives on the stack of
    /// each poll only, never in the future's state: a connection waiting on a slow reader holds
    /// just the count of bytes written so far.
    async fn write_vectored_all<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        io: &mut W,
    ) -> io::Result<()> {
        let total = self.len();
        let mut written = 0;
        std::future::poll_fn(|cx| {
            while written < total {
                let mut iov = [IoSlice::new(&[]); MAX_IOV];
                let k = self.fill_iov(written, &mut iov);
                let n = ready!(Pin::new(&mut *io).poll_write_vectored(cx, &iov[..k]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                written += n;
            }
            Poll::Ready(Ok(()))
        })
        .await
    }

    /// The segments in order: `buf[prev..off]`, a queued chunk, …, `buf[last..]`.
    fn segments(&self) -> impl Iterator<Item = &[u8]> {
        let mut prev = 0;
        self.queued
            .iter()
            .flat_map(move |(off, chunk)| {
                let before = &self.buf[prev..*off];
                prev = *off;
                [before, &chunk[..]]
            })
            .chain(std::iter::once_with(move || {
                let last = self.queued.last().map_or(0, |(off, _)| *off);
                &self.buf[last..]
            }))
            .filter(|seg| !seg.is_empty())
    }

    /// Fills `iov` with the unwritten segments, skipping the first `skip` bytes; returns how
    /// many slots were filled.
    fn fill_iov<'a>(&'a self, mut skip: usize, iov: &mut [IoSlice<'a>]) -> usize {
        let mut k = 0;
        for seg in self.segments() {
            if k == iov.len() {
                break;
            }
            if skip >= seg.len() {
                skip -= seg.len();
                continue;
            }
            iov[k] = IoSlice::new(&seg[skip..]);
            skip = 0;
            k += 1;
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    #[test]
    fn copies_small_writes_and_queues_large_bytes() {
        let mut w = WriteBuffer::new();
        w.write(b"HTTP/1.1 200 OK\r\n");
        w.vec_mut().extend_from_slice(b"\r\n");
        w.write_bytes(Bytes::from(vec![b'x'; 10_000]));
        assert_eq!(w.len(), 19 + 10_000);
        assert_eq!(
            w.vec_mut().len(),
            19,
            "the large body is queued, not copied"
        );
    }

    #[test]
    fn a_cleared_buffer_keeps_its_capacity_until_released() {
        let mut w = WriteBuffer::new();
        w.write(b"HTTP/1.1 204 No Content\r\n\r\n");
        w.clear();
        assert!(w.capacity() > 0);
        w.release_idle();
        assert_eq!(w.capacity(), 0);
    }

    /// A sink that accepts at most `step` bytes per call, to exercise partial writes.
    struct Trickle {
        out: Vec<u8>,
        step: usize,
        calls: usize,
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let n = buf.len().min(self.step);
            self.out.extend_from_slice(&buf[..n]);
            self.calls += 1;
            Poll::Ready(Ok(n))
        }
        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let mut left = self.step;
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(left);
                self.out.extend_from_slice(&b[..take]);
                left -= take;
                n += take;
                if left == 0 {
                    break;
                }
            }
            self.calls += 1;
            Poll::Ready(Ok(n))
        }
        fn is_write_vectored(&self) -> bool {
            true
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn interleaves_copied_and_queued_segments_in_order() {
        let mut w = WriteBuffer::new();
        let big1 = Bytes::from(vec![b'A'; 5000]);
        let big2 = Bytes::from(vec![b'B'; 7000]);
        w.write(b"head1|");
        w.write_bytes(big1.clone());
        w.write(b"|head2|");
        w.write_bytes(Bytes::from_static(b"small"));
        w.write_bytes(big2.clone());
        w.write(b"|end");
        let mut expected = b"head1|".to_vec();
        expected.extend_from_slice(&big1);
        expected.extend_from_slice(b"|head2|small");
        expected.extend_from_slice(&big2);
        expected.extend_from_slice(b"|end");
        assert_eq!(w.len(), expected.len());
        let mut sink = Trickle {
            out: Vec::new(),
            step: 999,
            calls: 0,
        };
        w.flush(&mut sink).await.unwrap();
        assert_eq!(sink.out, expected);
        assert!(w.is_empty());
    }

    #[tokio::test]
    async fn contiguous_only_is_one_write() {
        let mut w = WriteBuffer::new();
        for _ in 0..16 {
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
        let mut sink = Trickle {
            out: Vec::new(),
            step: usize::MAX,
            calls: 0,
        };
        w.flush(&mut sink).await.unwrap();
        assert_eq!(sink.calls, 1);
        assert_eq!(sink.out.len(), 16 * 38);
    }

    #[tokio::test]
    async fn more_segments_than_one_writev_takes_leave_in_order() {
        let mut w = WriteBuffer::new();
        let mut expected = Vec::new();
        for i in 0..(MAX_IOV as u8 + 20) {
            let head = [b'h', i];
            let chunk = Bytes::from(vec![i; COPY_THRESHOLD + usize::from(i)]);
            w.write(&head);
            w.write_bytes(chunk.clone());
            if i % 3 == 0 {
                // Two queued chunks back to back: no contiguous bytes between them.
                w.write_bytes(chunk.clone());
                expected.extend_from_slice(&head);
                expected.extend_from_slice(&chunk);
            } else {
                expected.extend_from_slice(&head);
            }
            expected.extend_from_slice(&chunk);
        }
        w.write(b"end");
        expected.extend_from_slice(b"end");
        let mut sink = Trickle {
            out: Vec::new(),
            step: 70_000,
            calls: 0,
        };
        w.flush(&mut sink).await.unwrap();
        assert_eq!(sink.out.len(), expected.len());
        assert!(sink.out == expected, "bytes out of order");
        assert!(sink.calls > 1);
    }

    #[tokio::test]
    async fn a_pending_flush_holds_no_iovec_array() {
        // The flush future is part of every connection's state while it writes; the `IoSlice`
        // array (1 KiB) must live on the stack of each poll, not in the future.
        let mut w = WriteBuffer::new();
        w.write_bytes(Bytes::from(vec![0; COPY_THRESHOLD]));
        let mut sink = tokio::io::sink();
        let flush = w.flush(&mut sink);
        let size = std::mem::size_of_val(&flush);
        assert!(
            size < MAX_IOV * std::mem::size_of::<IoSlice<'_>>() / 2,
            "{size} bytes"
        );
        flush.await.unwrap();
    }

    #[tokio::test]
    async fn idle_release_gives_the_capacity_back_once_flushed() {
        let mut w = WriteBuffer::new();
        w.write(&[b'x'; 300]);
        w.write_bytes(Bytes::from(vec![b'y'; COPY_THRESHOLD]));
        w.release_idle();
        assert_eq!(
            w.len(),
            300 + COPY_THRESHOLD,
            "never while bytes are pending"
        );
        let mut sink = Trickle {
            out: Vec::new(),
            step: usize::MAX,
            calls: 0,
        };
        w.flush(&mut sink).await.unwrap();
        assert!(w.capacity() >= 300, "a busy connection keeps its buffer");
        w.release_idle();
        assert_eq!(w.capacity(), 0);
        // And it works as before afterwards.
        w.write(b"again");
        w.flush(&mut sink).await.unwrap();
        assert!(sink.out.ends_with(b"again"));
    }
}
