//! One listener per epoll worker, made from the listener the server bound. When that socket has
//! `SO_REUSEPORT` set, every further worker binds a sibling socket on the same address with the
//! same option, and the kernel spreads incoming connections over the siblings (each worker
//! then has its own accept queue). Otherwise every worker gets a duplicate descriptor of the
//! one socket and they all accept from its single queue — correct everywhere, just with the
//! wake-ups of a shared queue.

use std::io;
use std::net::TcpListener;

use socket2::{Domain, Protocol, SockRef, Socket, Type};

/// Accept queue length of the sibling sockets.
const SIBLING_BACKLOG: i32 = 1024;

/// Turns `listener` into `n` listeners on the same address (the first is `listener` itself).
pub fn split(listener: TcpListener, n: usize) -> io::Result<Vec<TcpListener>> {
    let n = n.max(1);
    let mut out = Vec::with_capacity(n);
    let reuse_port = reuse_port_enabled(&listener);
    let addr = listener.local_addr()?;
    for _ in 1..n {
        let next = if reuse_port {
            sibling(addr)?
        } else {
            listener.try_clone()?
        };
        next.set_nonblocking(true)?;
        out.push(next);
    }
    listener.set_nonblocking(true)?;
    out.insert(0, listener);
    Ok(out)
}

/// Whether `listener` was bound with `SO_REUSEPORT`.
pub fn reuse_port_enabled(listener: &TcpListener) -> bool {
    #[cfg(unix)]
    {
        SockRef::from(listener).reuse_port().unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = listener;
        false
    }
}

/// A new `SO_REUSEPORT` listener on `addr` (which already has one).
fn sibling(addr: std::net::SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    if addr.is_ipv6() {
        let _ = socket.set_only_v6(false);
    }
    socket.bind(&addr.into())?;
    socket.listen(SIBLING_BACKLOG)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_listener_is_duplicated() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        assert!(!reuse_port_enabled(&l));
        let all = split(l, 3).unwrap();
        assert_eq!(all.len(), 3);
        for l in &all {
            assert_eq!(l.local_addr().unwrap(), addr);
        }
    }

    #[test]
    #[cfg(unix)]
    fn reuse_port_listener_gets_siblings_that_accept() {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
        socket.set_reuse_port(true).unwrap();
        socket
            .bind(
                &"127.0.0.1:0"
                    .parse::<std::net::SocketAddr>()
                    .unwrap()
                    .into(),
            )
            .unwrap();
        socket.listen(16).unwrap();
        let l: TcpListener = socket.into();
        let addr = l.local_addr().unwrap();
        let all = split(l, 2).unwrap();
        assert!(all.iter().all(reuse_port_enabled));
        assert_eq!(all[1].local_addr().unwrap(), addr);
        // Connections land on one of the siblings; between them they accept all.
        let clients: Vec<_> = (0..8)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        let mut accepted = 0;
        for l in &all {
            while l.accept().is_ok() {
                accepted += 1;
            }
        }
        assert_eq!(accepted, clients.len());
    }
}
