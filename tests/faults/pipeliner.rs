//! The back-pressure client: pipelines `GET /big?i=N` requests (padded, so the request
//! direction fills up after a few hundred) on a non-blocking socket and reads nothing, until the
//! socket says `WouldBlock`.

use std::io::{ErrorKind, Write};
use std::net::SocketAddr;

use khz::prelude::Transport;

/// Header padding per pipelined request, so that the request direction fills up after a few
/// hundred requests.
const PAD: usize = 16 * 1024;
/// Bound on the request bytes the client may write before it must hit `WouldBlock`: far more
/// than the kernel's socket buffers hold, far less than "reads without bound".
const MAX_PIPELINED_BYTES: usize = 64 * 1024 * 1024;

/// A client that pipelines `GET /big?i=N` requests on a non-blocking socket without reading.
pub struct Pipeliner {
    pub stream: std::net::TcpStream,
    /// Requests started (the last one perhaps partly written).
    pub sent: usize,
    /// The request being written, and how much of it is written.
    current: Vec<u8>,
    off: usize,
    pub total: usize,
}

impl Pipeliner {
    pub fn connect(addr: SocketAddr) -> Pipeliner {
        let stream = std::net::TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream.set_nonblocking(true).expect("non-blocking");
        Pipeliner {
            stream,
            sent: 0,
            current: Self::request(0),
            off: 0,
            total: 0,
        }
    }

    fn request(i: usize) -> Vec<u8> {
        let pad = "p".repeat(PAD);
        format!("GET /big?i={i} HTTP/1.1\r\nHost: x\r\nX-Pad: {pad}\r\n\r\n").into_bytes()
    }

    /// Writes requests until the socket says `WouldBlock`; returns the bytes written. Fails the
    /// test past [`MAX_PIPELINED_BYTES`].
    pub fn write_until_blocked(&mut self, engine: Transport) -> usize {
        let before = self.total;
        loop {
            assert!(
                self.total <= MAX_PIPELINED_BYTES,
                "{engine:?}: {} bytes of requests accepted without WouldBlock: the server keeps \
                 reading a connection whose responses are not read",
                self.total
            );
            match self.stream.write(&self.current[self.off..]) {
                Ok(0) => panic!("{engine:?}: write returned 0"),
                Ok(n) => {
                    if self.off == 0 {
                        self.sent += 1;
                    }
                    self.off += n;
                    self.total += n;
                    if self.off == self.current.len() {
                        self.current = Self::request(self.sent);
                        self.off = 0;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return self.total - before,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("{engine:?}: pipelining write failed: {e}"),
            }
        }
    }

    /// What is left of a partly written last request.
    pub fn rest(&self) -> &[u8] {
        if self.off == 0 {
            &[]
        } else {
            &self.current[self.off..]
        }
    }
}
