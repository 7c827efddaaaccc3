//! [`Upgraded`]: a connection handed over to the app after its response head was sent — for
//! `101 Switching Protocols` upgrades (WebSocket, custom protocols) and Hertz-style hijacking.
//!
//! It reads first the bytes the driver had already buffered past the request (a client may
//! send its first frames right behind the upgrade request), then the socket; writes go straight
//! to the socket. Timeouts and limits of HTTP no longer apply: the new owner sets its own.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What an upgraded connection's byte stream must provide.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// The future that takes over a connection.
pub type UpgradeFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Called with the connection once the response head is out.
pub type OnUpgrade = Box<dyn FnOnce(Upgraded) -> UpgradeFuture + Send + 'static>;

/// A taken-over connection: an [`AsyncRead`] + [`AsyncWrite`] byte stream.
pub struct Upgraded {
    io: Box<dyn Io>,
    read_ahead: Bytes,
    peer: SocketAddr,
}

impl fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upgraded")
            .field("peer", &self.peer)
            .field("read_ahead", &self.read_ahead.len())
            .finish()
    }
}

impl Upgraded {
    pub(crate) fn new<S>(io: S, read_ahead: Bytes, peer: SocketAddr) -> Upgraded
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        Upgraded {
            io: Box::new(io),
            read_ahead,
            peer,
        }
    }

    /// The client's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }
}

impl AsyncRead for Upgraded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.read_ahead.is_empty() {
            let n = self.read_ahead.len().min(buf.remaining());
            buf.put_slice(&self.read_ahead[..n]);
            self.read_ahead.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn read_ahead_comes_first_then_the_stream() {
        let (a, mut b) = tokio::io::duplex(64);
        let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let mut up = Upgraded::new(a, Bytes::from_static(b"early "), peer);
        b.write_all(b"late").await.unwrap();
        drop(b);
        let mut got = String::new();
        up.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "early late");
    }
}
