//! The protocol-level response that handlers fill in and the encoders write out.
//!
//! A [`Response`] is a status, an ordered list of headers and a [`Body`]. It lives as long as
//! the connection and is cleared between requests, keeping its header list and its *scratch*
//! buffer — a reusable byte vector that renderers (e.g. JSON) write bodies into — so producing a
//! typical response allocates nothing. Framing headers (`Content-Length`, `Transfer-Encoding`,
//! `Connection`) belong to the encoder; `Date` and `Server` are added by it unless set here.

use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;
use http::header::{self, HeaderName, HeaderValue};
use http::StatusCode;

use super::upgraded::OnUpgrade;

/// An error from a body stream.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A streamed body: chunks sent as they come (chunked encoding on HTTP/1.1).
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send + 'static>>;

/// A response body. New kinds may be added: match with a wildcard arm.
#[derive(Default)]
#[non_exhaustive]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// A static byte string (no allocation, no copy until encoding).
    Static(&'static [u8]),
    /// Shared bytes.
    Bytes(Bytes),
    /// An owned vector (e.g. a `String` handed over by a handler).
    Vec(Vec<u8>),
    /// The response's reusable scratch buffer holds the body (set by the scratch-buffer API).
    #[doc(hidden)]
    Scratch,
    /// A stream of chunks of unknown total length.
    Stream(BodyStream),
    /// A stream of exactly this many bytes (e.g. a file): sent with `Content-Length` instead of
    /// chunked. A stream that ends early or fails closes the connection (the head is already
    /// out); bytes past the announced length are never sent.
    SizedStream(u64, BodyStream),
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Static(b) => write!(f, "Static({} bytes)", b.len()),
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::Vec(b) => write!(f, "Vec({} bytes)", b.len()),
            Body::Scratch => f.write_str("Scratch"),
            Body::Stream(_) => f.write_str("Stream"),
            Body::SizedStream(n, _) => write!(f, "SizedStream({n} bytes)"),
        }
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::Static(s.as_bytes())
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Body::Static(s)
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::Vec(s.into_bytes())
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body::Vec(v)
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::Bytes(b)
    }
}

/// A string view (such as `ctx.param(..)`) is sent without a copy.
impl From<bytestring::ByteString> for Body {
    fn from(s: bytestring::ByteString) -> Self {
        Body::Bytes(s.into_bytes())
    }
}

/// An HTTP response under construction.
///
/// `Content-Type` is kept in a slot of its own (almost every response has exactly one), the
/// other headers in insertion order.
pub struct Response {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Body,
    scratch: Vec<u8>,
    close: bool,
    upgrade: Option<OnUpgrade>,
    trailers: Vec<(HeaderName, HeaderValue)>,
    /// Counts status and body writes (never reset): the app's chain compares it across a
    /// handler call to tell whether that handler answered.
    writes: u32,
}

impl Default for Response {
    fn default() -> Self {
        Response {
            status: StatusCode::OK,
            content_type: None,
            headers: Vec::new(),
            body: Body::Empty,
            scratch: Vec::new(),
            close: false,
            upgrade: None,
            trailers: Vec::new(),
            writes: 0,
        }
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .finish()
    }
}

impl Response {
    /// The status code (200 unless set).
    #[inline]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Sets the status code.
    #[inline]
    pub fn set_status(&mut self, status: StatusCode) {
        self.status = status;
        self.writes = self.writes.wrapping_add(1);
    }

    /// How many times the status or body was set, ever (a counter that only moves forward).
    #[inline]
    pub(crate) fn writes(&self) -> u32 {
        self.writes
    }

    /// Sets header `name`, replacing earlier values.
    pub fn set_header(&mut self, name: HeaderName, value: HeaderValue) {
        if name == header::CONTENT_TYPE {
            self.content_type = Some(value);
        } else if let Some(i) = self.headers.iter().position(|(n, _)| *n == name) {
            self.headers[i].1 = value;
            let mut j = i + 1;
            while j < self.headers.len() {
                if self.headers[j].0 == name {
                    self.headers.remove(j);
                } else {
                    j += 1;
                }
            }
        } else {
            self.headers.push((name, value));
        }
    }

    /// Adds a value for `name`, keeping earlier ones (e.g. several `Set-Cookie`).
    pub fn append_header(&mut self, name: HeaderName, value: HeaderValue) {
        if name == header::CONTENT_TYPE {
            self.content_type = Some(value);
        } else {
            self.headers.push((name, value));
        }
    }

    /// The first value of `name`.
    pub fn header(&self, name: &HeaderName) -> Option<&HeaderValue> {
        if name == header::CONTENT_TYPE {
            return self.content_type.as_ref();
        }
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The `Content-Type`, if set.
    #[inline]
    pub fn content_type(&self) -> Option<&HeaderValue> {
        self.content_type.as_ref()
    }

    /// Removes every value of `name`.
    pub fn remove_header(&mut self, name: &HeaderName) {
        if name == header::CONTENT_TYPE {
            self.content_type = None;
        }
        self.headers.retain(|(n, _)| n != name);
    }

    /// All headers: `Content-Type` first, then the others in insertion order.
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.content_type
            .iter()
            .map(|v| (&header::CONTENT_TYPE, v))
            .chain(self.headers.iter().map(|(n, v)| (n, v)))
    }

    /// The headers other than `Content-Type`, in insertion order.
    #[inline]
    pub fn other_headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: impl Into<Body>) {
        self.body = body.into();
        self.writes = self.writes.wrapping_add(1);
    }

    /// Takes the body out, leaving [`Body::Empty`] (streams are consumed this way).
    pub fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.body)
    }

    /// Clears the scratch buffer, makes it the body, and returns it for writing.
    pub fn scratch_body(&mut self) -> &mut Vec<u8> {
        self.scratch.clear();
        self.body = Body::Scratch;
        self.writes = self.writes.wrapping_add(1);
        &mut self.scratch
    }

    /// The body bytes if the body is not a stream (empty for streams).
    pub fn body_bytes(&self) -> &[u8] {
        match &self.body {
            Body::Empty | Body::Stream(_) | Body::SizedStream(..) => &[],
            Body::Static(b) => b,
            Body::Bytes(b) => b,
            Body::Vec(v) => v,
            Body::Scratch => &self.scratch,
        }
    }

    /// The length of an in-memory body, or `None` for a stream (sized or not; see
    /// [`Body::SizedStream`] for the announced length of a sized one).
    pub fn body_len(&self) -> Option<usize> {
        match &self.body {
            Body::Stream(_) | Body::SizedStream(..) => None,
            _ => Some(self.body_bytes().len()),
        }
    }

    /// Asks the protocol to close the connection after this response.
    pub fn set_connection_close(&mut self, close: bool) {
        self.close = close;
    }

    /// Whether the connection will be closed after this response.
    pub fn connection_close(&self) -> bool {
        self.close
    }

    /// Hands the connection to `on_upgrade` once this response's head (and body, if any) is
    /// sent. With status 101 the head carries `Connection: upgrade`; with any other status the
    /// response is close-delimited (no length) and the connection is not reused.
    pub fn set_upgrade(&mut self, on_upgrade: OnUpgrade) {
        self.upgrade = Some(on_upgrade);
    }

    /// Whether the connection will be handed over after this response.
    pub fn has_upgrade(&self) -> bool {
        self.upgrade.is_some()
    }

    /// Takes the upgrade callback (the protocol driver does, after sending the head).
    pub fn take_upgrade(&mut self) -> Option<OnUpgrade> {
        self.upgrade.take()
    }

    /// Adds a trailer field, sent after the body: on HTTP/2 as a trailing HEADERS frame, on
    /// HTTP/1.1 after the last chunk (the body is then sent chunked, and a `Trailer` header
    /// announces the names). HTTP/1.0 clients, HEAD requests and responses without a body get
    /// none.
    pub fn append_trailer(&mut self, name: HeaderName, value: HeaderValue) {
        self.trailers.push((name, value));
    }

    /// The trailer fields, in insertion order.
    pub fn trailers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.trailers
    }

    /// Whether trailer fields are set.
    pub fn has_trailers(&self) -> bool {
        !self.trailers.is_empty()
    }

    /// Clears status, headers and body (keeping allocations) for the next request.
    pub fn clear(&mut self) {
        self.upgrade = None;
        self.trailers.clear();
        self.status = StatusCode::OK;
        self.content_type = None;
        self.headers.clear();
        self.body = Body::Empty;
        self.scratch.clear();
        self.close = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_header_replaces_all_values_append_keeps_them() {
        let mut r = Response::default();
        r.append_header(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        r.append_header(header::SET_COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(r.headers().count(), 2);
        r.set_header(header::SET_COOKIE, HeaderValue::from_static("c=3"));
        let all: Vec<_> = r.headers().map(|(_, v)| v.clone()).collect();
        assert_eq!(all, vec![HeaderValue::from_static("c=3")]);
    }

    #[test]
    fn scratch_body_is_reused() {
        let mut r = Response::default();
        r.scratch_body().extend_from_slice(b"{\"a\":1}");
        assert_eq!(r.body_bytes(), b"{\"a\":1}");
        let cap = r.scratch.capacity();
        r.clear();
        assert!(r.body_bytes().is_empty());
        r.scratch_body().extend_from_slice(b"x");
        assert_eq!(r.scratch.capacity(), cap);
    }
}
