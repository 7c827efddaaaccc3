//! The protocol-level request: a parsed head that *borrows nothing and copies nothing*.
//!
//! The raw head bytes are split out of the connection's linked buffer as one zero-copy
//! [`Bytes`]; the request line parts and every header are stored as byte ranges into it. Header
//! access ([`Request::header`], [`HeaderView`]) reads straight from those bytes. The `Vec` of
//! ranges is kept across the requests of a connection, so parsing a request in steady state
//! allocates nothing.

use std::fmt;

use bytes::Bytes;
use http::{Method, Version};

/// A byte range inside a buffer (u32 is plenty: heads are limited far below 4 GiB).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    #[inline]
    pub(crate) fn of<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    /// The span of `part`, which must be a sub-slice of `base`.
    pub(crate) fn within(base: &[u8], part: &[u8]) -> Span {
        let start = (part.as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
        Span::new(start, start + part.len())
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderSpan {
    pub(crate) name: Span,
    pub(crate) value: Span,
}

/// How the request body is framed and what the head asked of the connection.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Framing {
    pub(crate) content_length: Option<u64>,
    pub(crate) chunked: bool,
    pub(crate) keep_alive: bool,
    pub(crate) expect_continue: bool,
}

impl Framing {
    /// Whether a body follows the head (chunked, or a non-zero `Content-Length`).
    pub(crate) fn has_body(&self) -> bool {
        self.chunked || self.content_length.unwrap_or(0) > 0
    }
}

/// A parsed HTTP request.
pub struct Request {
    pub(crate) head: Bytes,
    pub(crate) method: Method,
    pub(crate) version: Version,
    pub(crate) target: Span,
    pub(crate) path: Span,
    pub(crate) query: Option<Span>,
    pub(crate) headers: Vec<HeaderSpan>,
    pub(crate) trailer_block: Bytes,
    pub(crate) trailers: Vec<HeaderSpan>,
    pub(crate) body: Bytes,
    /// The body still arriving from the connection, when the service asked to stream it.
    pub(crate) body_stream: Option<crate::protocol::RequestBody>,
    pub(crate) framing: Framing,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            head: Bytes::new(),
            method: Method::GET,
            version: Version::HTTP_11,
            target: Span::default(),
            path: Span::default(),
            query: None,
            headers: Vec::new(),
            trailer_block: Bytes::new(),
            trailers: Vec::new(),
            body: Bytes::new(),
            body_stream: None,
            framing: Framing::default(),
        }
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("uri", &self.uri())
            .field("version", &self.version)
            .field("headers", &self.headers())
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Gives `req` the head bytes its spans point into, as the HTTP/1.1 driver does after
/// [`parse_head`](crate::protocol::http1::parse::parse_head). Not API: for the fuzz targets,
/// through the hidden door `khz::__bench`.
pub fn attach_head(req: &mut Request, head: Bytes) {
    req.head = head;
}

/// Makes `req`'s body a stream that yields `chunks` in order and ends, as the HTTP/1.1 driver
/// streams a body arriving in pieces. Not API: for the fuzz targets, through `khz::__bench`.
pub fn attach_body_chunks(req: &mut Request, chunks: Vec<Bytes>) {
    let (tx, rx) = tokio::sync::mpsc::channel(chunks.len().max(1));
    for chunk in chunks {
        let _ = tx.try_send(Ok(chunk));
    }
    req.body_stream = Some(crate::protocol::RequestBody::channel(rx));
}

fn as_str(b: &[u8]) -> &str {
    // Targets are validated as UTF-8 at parse time and header names are ASCII tokens, so this
    // never falls back in practice; it just avoids `unsafe` and panics.
    std::str::from_utf8(b).unwrap_or_default()
}

impl Request {
    /// The request method.
    #[inline]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The HTTP version.
    #[inline]
    pub fn version(&self) -> Version {
        self.version
    }

    /// The request target exactly as sent (e.g. `/users/1?x=2`).
    #[inline]
    pub fn uri(&self) -> &str {
        as_str(self.target.of(&self.head))
    }

    /// The path part of the target, still percent-encoded (e.g. `/a%20b`); `/` for an
    /// absolute-form target without one (`http://host?q`), empty when no head was parsed.
    #[inline]
    pub fn path(&self) -> &str {
        match as_str(self.path.of(&self.head)) {
            "" if self.target.start != self.target.end => "/",
            p => p,
        }
    }

    /// The query string after `?`, if any, still encoded.
    #[inline]
    pub fn query_string(&self) -> Option<&str> {
        self.query.map(|q| as_str(q.of(&self.head)))
    }

    /// The headers (names as sent; look-ups are ASCII case-insensitive).
    #[inline]
    pub fn headers(&self) -> HeaderView<'_> {
        HeaderView {
            buf: &self.head,
            spans: &self.headers,
        }
    }

    /// The first value of header `name` (case-insensitive).
    #[inline]
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers().get(name)
    }

    /// Trailer fields sent after a chunked body.
    pub fn trailers(&self) -> HeaderView<'_> {
        HeaderView {
            buf: &self.trailer_block,
            spans: &self.trailers,
        }
    }

    /// The body, fully read.
    #[inline]
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Whether the body is still arriving as a stream (taken with [`Request::take_body_stream`]).
    pub fn has_body_stream(&self) -> bool {
        self.body_stream.is_some()
    }

    /// Takes the body as a stream: the live stream if the body is streamed, otherwise the
    /// buffered body as one chunk (which [`Request::body`] keeps returning).
    pub fn take_body_stream(&mut self) -> crate::protocol::RequestBody {
        self.body_stream
            .take()
            .unwrap_or_else(|| crate::protocol::RequestBody::once(self.body.clone()))
    }

    /// Replaces the body (used by middleware that decodes or rewrites it).
    pub fn set_body(&mut self, body: Bytes) {
        self.body = body;
    }

    /// The declared `Content-Length`, if the body is not chunked.
    pub fn content_length(&self) -> Option<u64> {
        self.framing.content_length
    }

    /// Whether the body was sent with `Transfer-Encoding: chunked`.
    pub fn is_chunked(&self) -> bool {
        self.framing.chunked
    }

    /// Whether the client asked to keep the connection open (version default + `Connection`).
    pub fn keep_alive(&self) -> bool {
        self.framing.keep_alive
    }

    /// Whether the client sent `Expect: 100-continue`.
    pub fn expects_continue(&self) -> bool {
        self.framing.expect_continue
    }

    /// The raw head bytes (request line and header section, with the final CRLF CRLF).
    pub fn raw_head(&self) -> &Bytes {
        &self.head
    }

    /// Clears everything, keeping allocations for the next request.
    pub fn clear(&mut self) {
        self.head = Bytes::new();
        self.method = Method::GET;
        self.version = Version::HTTP_11;
        self.target = Span::default();
        self.path = Span::default();
        self.query = None;
        self.headers.clear();
        self.trailer_block = Bytes::new();
        self.trailers.clear();
        self.body = Bytes::new();
        self.body_stream = None;
        self.framing = Framing::default();
    }
}

/// A read-only view of a header block.
#[derive(Clone, Copy)]
pub struct HeaderView<'a> {
    buf: &'a [u8],
    spans: &'a [HeaderSpan],
}

impl<'a> HeaderView<'a> {
    /// The first value of `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.get_all(name).next()
    }

    /// The first value of `name` if it is valid UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&'a str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        let buf = self.buf;
        self.spans
            .iter()
            .filter(move |h| h.name.of(buf).eq_ignore_ascii_case(name.as_bytes()))
            .map(move |h| h.value.of(buf))
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// All `(name, value)` pairs in order of arrival.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        let buf = self.buf;
        self.spans
            .iter()
            .map(move |h| (as_str(h.name.of(buf)), h.value.of(buf)))
    }

    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

impl fmt::Debug for HeaderView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (k, String::from_utf8_lossy(v))))
            .finish()
    }
}
