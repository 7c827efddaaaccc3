//! Reading the HTTP/1.1 response `perform_request` gets back from the real connection driver:
//! interim (1xx) responses skipped, the body framed by `Content-Length`, chunked encoding (with
//! trailers) or the end of the connection. A body that ends early — a streamed response whose
//! stream failed — is reported as such, never passed off as complete.

use bytes::{Buf, Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue};
use http::StatusCode;
use tokio::io::{AsyncRead, AsyncReadExt};

/// A response read off the wire.
pub(super) struct WireResponse {
    pub(super) status: StatusCode,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    pub(super) trailers: Vec<(HeaderName, HeaderValue)>,
    pub(super) body: Bytes,
    /// Why the body is incomplete, if it is.
    pub(super) body_error: Option<String>,
}

/// A parsed head: status, headers and its length in bytes.
type Head = (StatusCode, Vec<(HeaderName, HeaderValue)>, usize);

/// Header lines as `http` types (a line that is not a valid name or value is skipped).
fn fields(lines: &[httparse::Header<'_>]) -> Vec<(HeaderName, HeaderValue)> {
    lines
        .iter()
        .filter_map(|h| {
            Some((
                HeaderName::from_bytes(h.name.as_bytes()).ok()?,
                HeaderValue::from_bytes(h.value).ok()?,
            ))
        })
        .collect()
}

fn parse_head(buf: &[u8]) -> Result<Option<Head>, String> {
    let mut slots = [httparse::EMPTY_HEADER; 128];
    let mut resp = httparse::Response::new(&mut slots);
    match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => {
            let status = resp
                .code
                .and_then(|c| StatusCode::from_u16(c).ok())
                .ok_or("bad status code")?;
            Ok(Some((status, fields(resp.headers), n)))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(format!("malformed response head: {e}")),
    }
}

/// Reads more bytes into `buf`; false at the end of the stream.
async fn fill<R: AsyncRead + Unpin>(io: &mut R, buf: &mut BytesMut) -> bool {
    buf.reserve(8192);
    matches!(io.read_buf(buf).await, Ok(n) if n > 0)
}

fn header<'a>(headers: &'a [(HeaderName, HeaderValue)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.to_str().ok())
}

/// Reads one final response from `io`; `head_only`: the request was HEAD (no body follows).
/// `continued` learns whether the server sent `100 Continue` (true) or answered without it
/// (false), for a client holding its body back behind `Expect: 100-continue`.
pub(super) async fn read_response<R: AsyncRead + Unpin>(
    io: &mut R,
    head_only: bool,
    mut continued: Option<tokio::sync::oneshot::Sender<bool>>,
) -> Result<WireResponse, String> {
    let mut buf = BytesMut::new();
    let (status, headers) = loop {
        match parse_head(&buf)? {
            Some((status, headers, n)) => {
                buf.advance(n);
                if status == StatusCode::CONTINUE {
                    if let Some(tx) = continued.take() {
                        let _ = tx.send(true);
                    }
                }
                if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
                    continue; // 100 Continue and friends
                }
                if let Some(tx) = continued.take() {
                    let _ = tx.send(false);
                }
                break (status, headers);
            }
            None => {
                if !fill(io, &mut buf).await {
                    return Err("connection closed before a response".to_owned());
                }
            }
        }
    };
    let mut out = WireResponse {
        status,
        headers,
        trailers: Vec::new(),
        body: Bytes::new(),
        body_error: None,
    };
    let no_body = head_only
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    if no_body {
        return Ok(out);
    }
    let chunked = header(&out.headers, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        read_chunked(io, &mut buf, &mut out).await;
    } else if let Some(len) = header(&out.headers, "content-length").and_then(|v| v.parse().ok()) {
        let len: usize = len;
        while buf.len() < len {
            if !fill(io, &mut buf).await {
                out.body_error = Some(format!(
                    "connection closed after {} of {len} body bytes",
                    buf.len()
                ));
                out.body = buf.split().freeze();
                return Ok(out);
            }
        }
        out.body = buf.split_to(len).freeze();
    } else {
        while fill(io, &mut buf).await {}
        out.body = buf.split().freeze();
    }
    Ok(out)
}

/// Decodes a chunked body (and its trailers) into `out`.
async fn read_chunked<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    out: &mut WireResponse,
) {
    let mut body = BytesMut::new();
    loop {
        let Some(line_end) = buf.windows(2).position(|w| w == b"\r\n") else {
            if !fill(io, buf).await {
                return incomplete(out, body, "connection closed inside a chunk size line");
            }
            continue;
        };
        let line = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        let size_text = line.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            return incomplete(out, body, "malformed chunk size");
        };
        if size == 0 {
            buf.advance(line_end + 2);
            // Trailers, then the final CRLF.
            loop {
                let mut slots = [httparse::EMPTY_HEADER; 64];
                match httparse::parse_headers(buf, &mut slots) {
                    Ok(httparse::Status::Complete((_, parsed))) => {
                        out.trailers = fields(parsed);
                        out.body = body.freeze();
                        return;
                    }
                    Ok(httparse::Status::Partial) => {
                        if !fill(io, buf).await {
                            return incomplete(out, body, "connection closed inside the trailers");
                        }
                    }
                    Err(_) => return incomplete(out, body, "malformed trailers"),
                }
            }
        }
        let need = line_end + 2 + size + 2;
        while buf.len() < need {
            if !fill(io, buf).await {
                body.extend_from_slice(&buf[(line_end + 2).min(buf.len())..]);
                return incomplete(out, body, "connection closed inside a chunk");
            }
        }
        body.extend_from_slice(&buf[line_end + 2..line_end + 2 + size]);
        buf.advance(need);
    }
}

fn incomplete(out: &mut WireResponse, body: BytesMut, why: &str) {
    out.body = body.freeze();
    out.body_error = Some(why.to_owned());
}
