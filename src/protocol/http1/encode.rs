//! Encoding HTTP/1.1 responses into the connection's write buffer.
//!
//! The head is formatted directly into the buffer (status line, `Server`, cached `Date`, the
//! handler's headers in Title-Case, then framing: `Content-Length` or `Transfer-Encoding:
//! chunked`, and `Connection` when needed). Nothing is allocated: numbers go through `itoa`, the
//! date is copied from the per-thread cache, and large bodies held in [`Bytes`] are queued by
//! reference instead of being copied.

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{StatusCode, Version};

use super::config::H1Config;
use crate::common::date;
use crate::protocol::response::{Body, Response};
use crate::transport::WriteBuffer;

/// How the body of a response is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length: n`.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// No length; the body ends when the connection closes (streams to HTTP/1.0 clients).
    CloseDelimited,
    /// Status codes that never carry a body (1xx, 204, 304): no length header at all.
    NoBody,
}

/// Whether a response with `status` can carry a body.
pub(crate) fn status_has_body(status: StatusCode) -> bool {
    !(status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED)
}

/// The framing for `resp` sent to a client speaking `version`.
pub fn framing_for(resp: &Response, version: Version) -> Framing {
    if !status_has_body(resp.status()) {
        return Framing::NoBody;
    }
    // Trailers need chunked framing (HTTP/1.0 has none: they are dropped there).
    if resp.has_trailers() && version == Version::HTTP_11 {
        return Framing::Chunked;
    }
    if let Body::SizedStream(n, _) = resp.body() {
        // A length beyond `usize` (32-bit targets) falls back to the unsized framing below.
        if let Ok(n) = usize::try_from(*n) {
            return Framing::Length(n);
        }
    }
    match resp.body_len() {
        Some(n) => Framing::Length(n),
        None if version == Version::HTTP_10 => Framing::CloseDelimited,
        None => Framing::Chunked,
    }
}

fn write_status_line(out: &mut Vec<u8>, status: StatusCode) {
    if status == StatusCode::OK {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        return;
    }
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Writes `Content-Length: <n>\r\n` with one copy into `out`.
fn write_content_length(out: &mut Vec<u8>, n: usize) {
    const PREFIX: &[u8] = b"Content-Length: ";
    let mut line = [0u8; PREFIX.len() + 20 + 2];
    line[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n).as_bytes();
    let end = PREFIX.len() + digits.len();
    line[PREFIX.len()..end].copy_from_slice(digits);
    line[end..end + 2].copy_from_slice(b"\r\n");
    out.extend_from_slice(&line[..end + 2]);
}

/// Writes a lowercase header name in Title-Case (`content-type` → `Content-Type`).
fn write_title_case(out: &mut Vec<u8>, name: &str) {
    let mut upper = true;
    for &b in name.as_bytes() {
        out.push(if upper { b.to_ascii_uppercase() } else { b });
        upper = b == b'-';
    }
}

/// Framing headers the encoder owns; a handler's values for them are not sent.
fn is_framing_header(name: &HeaderName) -> bool {
    name == header::CONTENT_LENGTH
        || name == header::TRANSFER_ENCODING
        || name == header::CONNECTION
}

/// Writes the response head.
/// `Alt-Svc: <value>` unless the handler set its own (HTTP/3 advertised; a cold path: only
/// servers with HTTP/3 on have a value).
#[cold]
fn write_alt_svc(out: &mut Vec<u8>, resp: &Response, value: &http::HeaderValue) {
    if resp
        .other_headers()
        .iter()
        .any(|(n, _)| n == header::ALT_SVC)
    {
        return;
    }
    out.extend_from_slice(b"Alt-Svc: ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

pub fn encode_head(
    w: &mut WriteBuffer,
    resp: &Response,
    cfg: &H1Config,
    framing: Framing,
    keep_alive: bool,
    version: Version,
) {
    let out = w.vec_mut();
    write_status_line(out, resp.status());
    let mut has_server = false;
    let mut has_date = false;
    let has_body = !matches!(framing, Framing::NoBody | Framing::Length(0));
    match resp.content_type() {
        Some(ct) => {
            out.extend_from_slice(b"Content-Type: ");
            out.extend_from_slice(ct.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        None if has_body && cfg.default_content_type => {
            out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
        }
        None => {}
    }
    for (name, value) in resp.other_headers() {
        if is_framing_header(name) {
            continue;
        }
        has_server |= name == header::SERVER;
        has_date |= name == header::DATE;
        write_title_case(out, name.as_str());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let (Some(server), false) = (cfg.server_header, has_server) {
        out.extend_from_slice(b"Server: ");
        out.extend_from_slice(server.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if cfg.date_header && !has_date {
        date::with_date_line(|line| out.extend_from_slice(line));
    }
    if let Some(alt_svc) = &cfg.alt_svc {
        write_alt_svc(out, resp, alt_svc);
    }
    match framing {
        Framing::Length(n) => write_content_length(out, n),
        Framing::Chunked => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
            if resp.has_trailers() {
                out.extend_from_slice(b"Trailer: ");
                for (i, (name, _)) in resp.trailers().iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    write_title_case(out, name.as_str());
                }
                out.extend_from_slice(b"\r\n");
            }
        }
        Framing::CloseDelimited | Framing::NoBody => {}
    }
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        out.extend_from_slice(b"Connection: upgrade\r\n");
    } else if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    } else if version == Version::HTTP_10 {
        out.extend_from_slice(b"Connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes a complete (non-stream) body.
pub fn encode_body(w: &mut WriteBuffer, resp: &Response) {
    match resp.body() {
        Body::Bytes(b) => w.write_bytes(b.clone()),
        Body::Stream(_) | Body::SizedStream(..) | Body::Empty => {}
        _ => w.write(resp.body_bytes()),
    }
}

/// Writes one chunk of a chunked body (empty chunks are skipped: they would end the body).
pub(crate) fn encode_chunk(w: &mut WriteBuffer, data: Bytes) {
    if data.is_empty() {
        return;
    }
    let mut hex = [0u8; 16];
    let digits = hex_digits(data.len(), &mut hex);
    w.write(digits);
    w.write(b"\r\n");
    w.write_bytes(data);
    w.write(b"\r\n");
}

/// Writes an in-memory body as one chunk followed by the last chunk and the trailers.
pub(crate) fn encode_body_chunked(w: &mut WriteBuffer, resp: &Response) {
    let body = match resp.body() {
        Body::Bytes(b) => b.clone(),
        Body::Stream(_) | Body::SizedStream(..) | Body::Empty => Bytes::new(),
        _ => Bytes::copy_from_slice(resp.body_bytes()),
    };
    encode_chunk(w, body);
    encode_last_chunk(w, resp.trailers());
}

/// Writes the last chunk and the trailer fields, if any.
pub(crate) fn encode_last_chunk(w: &mut WriteBuffer, trailers: &[(HeaderName, HeaderValue)]) {
    if trailers.is_empty() {
        w.write(b"0\r\n\r\n");
        return;
    }
    let out = w.vec_mut();
    out.extend_from_slice(b"0\r\n");
    for (name, value) in trailers {
        write_title_case(out, name.as_str());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

fn hex_digits(mut n: usize, buf: &mut [u8; 16]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[n & 0xf];
        n >>= 4;
        if n == 0 || i == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn head_text(resp: &Response, cfg: &H1Config, keep_alive: bool, version: Version) -> String {
        let mut w = WriteBuffer::new();
        encode_head(
            &mut w,
            resp,
            cfg,
            framing_for(resp, version),
            keep_alive,
            version,
        );
        encode_body(&mut w, resp);
        String::from_utf8(w.vec_mut().clone()).unwrap()
    }

    #[test]
    fn plain_200_with_defaults() {
        let cfg = H1Config {
            date_header: false,
            ..H1Config::default()
        };
        let mut r = Response::default();
        r.set_body("Hello, World!");
        assert_eq!(
            head_text(&r, &cfg, true, Version::HTTP_11),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nServer: khz\r\n\
             Content-Length: 13\r\n\r\nHello, World!"
        );
    }

    #[test]
    fn user_headers_title_cased_and_framing_owned_by_encoder() {
        let cfg = H1Config {
            date_header: false,
            server_header: None,
            ..H1Config::default()
        };
        let mut r = Response::default();
        r.set_status(StatusCode::CREATED);
        r.set_header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r.set_header(
            HeaderName::from_static("x-request-id"),
            HeaderValue::from_static("abc"),
        );
        r.set_header(header::CONTENT_LENGTH, HeaderValue::from_static("999"));
        r.set_body("{}");
        assert_eq!(
            head_text(&r, &cfg, false, Version::HTTP_11),
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Request-Id: abc\r\n\
             Content-Length: 2\r\nConnection: close\r\n\r\n{}"
        );
    }

    #[test]
    fn no_content_has_no_length_and_http10_keepalive_is_announced() {
        let cfg = H1Config {
            date_header: false,
            server_header: None,
            ..H1Config::default()
        };
        let mut r = Response::default();
        r.set_status(StatusCode::NO_CONTENT);
        assert_eq!(
            head_text(&r, &cfg, true, Version::HTTP_10),
            "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n"
        );
    }

    #[test]
    fn date_comes_from_cache() {
        let r = Response::default();
        let text = head_text(&r, &H1Config::default(), true, Version::HTTP_11);
        let line = text.lines().find(|l| l.starts_with("Date: ")).unwrap();
        assert_eq!(line.len(), 6 + date::DATE_LEN);
    }

    #[test]
    fn sized_streams_are_framed_by_length() {
        let stream = || -> crate::protocol::BodyStream { Box::pin(futures_util::stream::empty()) };
        let mut r = Response::default();
        r.set_body(Body::SizedStream(1234, stream()));
        assert_eq!(framing_for(&r, Version::HTTP_11), Framing::Length(1234));
        assert_eq!(framing_for(&r, Version::HTTP_10), Framing::Length(1234));
        r.set_body(Body::Stream(stream()));
        assert_eq!(framing_for(&r, Version::HTTP_11), Framing::Chunked);
        r.set_body(Body::SizedStream(9, stream()));
        r.set_status(StatusCode::NOT_MODIFIED);
        assert_eq!(framing_for(&r, Version::HTTP_11), Framing::NoBody);
    }

    #[test]
    fn chunks_are_hex_framed() {
        let mut w = WriteBuffer::new();
        encode_chunk(&mut w, Bytes::from_static(&[b'a'; 26]));
        encode_chunk(&mut w, Bytes::new());
        encode_last_chunk(&mut w, &[]);
        let mut expected = b"1a\r\n".to_vec();
        expected.extend_from_slice(&[b'a'; 26]);
        expected.extend_from_slice(b"\r\n0\r\n\r\n");
        assert_eq!(w.vec_mut().as_slice(), expected.as_slice());
    }
}
