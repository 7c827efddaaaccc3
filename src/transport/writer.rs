//! The batching write buffer of a connection.
//!
//! Protocol encoders append small pieces (status line, headers, short bodies) into one contiguous
//! byte vector ([`WriteBuffer::malloc`], [`WriteBuffer::write`]); large bodies that already live in
//! a [`Bytes`] are queued by reference ([`WriteBuffer::write_bytes`]) instead of being copied.
//! [`WriteBuffer::flush`] then hands everything to the socket with as few syscalls as possible:
//! one `write` when only the vector is used, vectored writes (`writev`) otherwise. Responses to
//! pipelined requests accumulate here and leave in one flush.
//!
//! This module knows nothing of HTTP.

use std::io::{self, IoSlice};

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
///
/// ```
/// use khz::transport::WriteBuffer;
/// let mut w = WriteBuffer::new();
/// w.write(b"HTTP/1.1 200 OK\r\n");
/// w.malloc(2).copy_from_slice(b"\r\n");
/// w.write_bytes(bytes::Bytes::from(vec![b'x'; 10_000]));
/// assert_eq!(w.len(), 19 + 10_000);
/// ```
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

    /// Appends `n` bytes and returns them for the caller to fill in.
    pub fn malloc(&mut self, n: usize) -> &mut [u8] {
        let start = self.buf.len();
        self.buf.resize(start + n, 0);
        &mut self.buf[start..]
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

    async fn write_vectored_all<W: AsyncWrite + Unpin + ?Sized>(
        &mut self,
        io: &mut W,
    ) -> io::Result<()> {
        // Segments in order: buf[prev..off], queued chunk, ..., buf[last..].
        let mut segs: Vec<&[u8]> = Vec::with_capacity(self.queued.len() * 2 + 1);
        let mut prev = 0;
        for (off, chunk) in &self.queued {
            if *off > prev {
                segs.push(&self.buf[prev..*off]);
            }
            segs.push(chunk);
            prev = *off;
        }
        if prev < self.buf.len() {
            segs.push(&self.buf[prev..]);
        }
        let mut first = 0; // first segment not fully written
        let mut offset = 0; // bytes of segs[first] already written
        while first < segs.len() {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let mut k = 0;
            for (i, seg) in segs[first..].iter().take(MAX_IOV).enumerate() {
                iov[k] = IoSlice::new(if i == 0 { &seg[offset..] } else { seg });
                k += 1;
            }
            let mut n = io.write_vectored(&iov[..k]).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            while n > 0 && first < segs.len() {
                let rest = segs[first].len() - offset;
                if n >= rest {
                    n -= rest;
                    first += 1;
                    offset = 0;
                } else {
                    offset += n;
                    n = 0;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::task::{Context, Poll};

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

    #[test]
    fn malloc_returns_fillable_tail() {
        let mut w = WriteBuffer::new();
        w.write(b"ab");
        w.malloc(3).copy_from_slice(b"cde");
        assert_eq!(w.vec_mut().as_slice(), b"abcde");
    }
}
