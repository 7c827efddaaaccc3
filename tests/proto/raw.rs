//! A raw HTTP/2 client for byte-exact tests: frames are built by hand (HPACK without Huffman
//! coding or indexing, so header blocks are plain bytes) and read back one by one, with the
//! server's SETTINGS and PINGs acknowledged as a real client would.

#![allow(dead_code)]

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::GUARD;

pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Frame types and flags (RFC 9113 §6).
pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const CONTINUATION: u8 = 0x9;
pub const END_STREAM: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const ACK: u8 = 0x1;

// Error codes (RFC 9113 §7).
pub const PROTOCOL_ERROR: u32 = 0x1;
pub const FRAME_SIZE_ERROR: u32 = 0x6;
pub const REFUSED_STREAM: u32 = 0x7;
pub const COMPRESSION_ERROR: u32 = 0x9;
pub const ENHANCE_YOUR_CALM: u32 = 0xb;

pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An HPACK block for `GET path` (static-table method and scheme, literal path and authority,
/// no Huffman coding), plus `extra` literal fields.
pub fn request_block(path: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let literal = |out: &mut Vec<u8>, s: &[u8]| {
        assert!(s.len() < 127, "short strings only");
        out.push(s.len() as u8);
        out.extend_from_slice(s);
    };
    let mut b = vec![0x82, 0x86]; // :method GET, :scheme http
    b.push(0x04); // :path, literal value without indexing
    literal(&mut b, path.as_bytes());
    b.push(0x01); // :authority
    literal(&mut b, b"khz.test");
    for (n, v) in extra {
        b.push(0x00);
        literal(&mut b, n.as_bytes());
        literal(&mut b, v.as_bytes());
    }
    b
}

/// A frame read from the server.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn code(&self) -> u32 {
        let at = if self.kind == GOAWAY { 4 } else { 0 };
        u32::from_be_bytes(self.payload[at..at + 4].try_into().unwrap())
    }
}

/// A raw HTTP/2 client connection.
pub struct Raw {
    tcp: TcpStream,
    /// Acknowledge the server's PINGs (as every real client does).
    pub ack_pings: bool,
}

impl Raw {
    /// Connects, sends the preface and an empty SETTINGS frame.
    pub async fn connect(addr: SocketAddr) -> Raw {
        let mut raw = Raw::bare(addr).await;
        raw.send(&[PREFACE, &frame(SETTINGS, 0, 0, &[])].concat())
            .await;
        raw
    }

    pub async fn bare(addr: SocketAddr) -> Raw {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.set_nodelay(true).unwrap();
        Raw {
            tcp,
            ack_pings: true,
        }
    }

    /// Sends bytes; a server that already closed is fine.
    pub async fn send(&mut self, bytes: &[u8]) {
        let _ = tokio::time::timeout(GUARD, self.tcp.write_all(bytes)).await;
    }

    /// The next frame, or `None` when the server closed. SETTINGS are acknowledged.
    pub async fn next(&mut self) -> Option<Frame> {
        let mut head = [0u8; 9];
        let read = tokio::time::timeout(GUARD, self.tcp.read_exact(&mut head))
            .await
            .expect("a frame or a close from the server in time");
        read.ok()?;
        let len = (head[0] as usize) << 16 | (head[1] as usize) << 8 | head[2] as usize;
        let mut payload = vec![0u8; len];
        tokio::time::timeout(GUARD, self.tcp.read_exact(&mut payload))
            .await
            .expect("frame payload in time")
            .ok()?;
        let f = Frame {
            kind: head[3],
            flags: head[4],
            stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
            payload,
        };
        if f.kind == SETTINGS && f.flags & ACK == 0 {
            self.send(&frame(SETTINGS, ACK, 0, &[])).await;
        }
        if f.kind == PING && f.flags & ACK == 0 && self.ack_pings {
            self.send(&frame(PING, ACK, 0, &f.payload)).await;
        }
        Some(f)
    }

    /// Reads until a frame matches; fails if the connection closes first.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Frame) -> bool) -> Frame {
        let mut seen = Vec::new();
        loop {
            match self.next().await {
                Some(f) if pred(&f) => return f,
                Some(f) => seen.push(f),
                None => panic!("connection closed before {what}; frames: {seen:?}"),
            }
        }
    }

    /// Reads until GOAWAY and returns its error code.
    pub async fn goaway(&mut self) -> u32 {
        self.until("GOAWAY", |f| f.kind == GOAWAY).await.code()
    }

    /// Reads until RST_STREAM on `stream` and returns its error code.
    pub async fn reset(&mut self, stream: u32) -> u32 {
        self.until("RST_STREAM", |f| f.kind == RST_STREAM && f.stream == stream)
            .await
            .code()
    }

    /// Sends `GET path` on `stream` (END_STREAM) and waits for its response HEADERS.
    pub async fn get_ok(&mut self, stream: u32, path: &str) {
        self.send(&frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            stream,
            &request_block(path, &[]),
        ))
        .await;
        self.until("the response", |f| f.kind == HEADERS && f.stream == stream)
            .await;
    }
}
