//! Listening sockets. [`ListenOptions`] are the socket options a server's user may choose;
//! [`bind`] creates a TCP listener on any [`SocketAddr`] with them (`SO_REUSEADDR`, a deep
//! backlog, optionally `SO_REUSEPORT`); [`from_std`] adopts a listener the caller already bound
//! (systemd socket activation, tests that bind port 0 first). Accepted streams get
//! `TCP_NODELAY` in the accept loop.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;

/// Socket options for a listener.
#[derive(Debug, Clone)]
pub struct ListenOptions {
    /// `SO_REUSEADDR` (default on): restart without waiting for `TIME_WAIT` sockets.
    pub reuse_addr: bool,
    /// `SO_REUSEPORT` (default off): several listeners on one port, load-balanced by the kernel.
    pub reuse_port: bool,
    /// Accept queue length (default 1024).
    pub backlog: i32,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            reuse_addr: true,
            reuse_port: false,
            backlog: 1024,
        }
    }
}

/// Binds a non-blocking TCP listener on `addr`. Must be called within a tokio runtime.
pub(crate) fn bind(addr: SocketAddr, opts: &ListenOptions) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(opts.reuse_addr)?;
    #[cfg(unix)]
    socket.set_reuse_port(opts.reuse_port)?;
    if addr.is_ipv6() {
        // Let `[::]` accept IPv4 too where the OS allows it; ignore failure (some OSes fix it).
        let _ = socket.set_only_v6(false);
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(opts.backlog)?;
    TcpListener::from_std(socket.into())
}

/// Adopts an already bound `std` listener. Must be called within a tokio runtime.
pub(crate) fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_port_zero_and_reports_real_port() {
        let l = bind("127.0.0.1:0".parse().unwrap(), &ListenOptions::default()).unwrap();
        assert_ne!(l.local_addr().unwrap().port(), 0);
    }

    #[tokio::test]
    async fn adopts_std_listener() {
        let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_l.local_addr().unwrap();
        let l = from_std(std_l).unwrap();
        assert_eq!(l.local_addr().unwrap(), addr);
    }
}
