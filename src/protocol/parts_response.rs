//! What HTTP/2 and HTTP/3 share when sending a [`Response`]: the head as `http`'s response
//! type, the body as bytes or a stream, the trailers as a header map.
//!
//! The head: the status, `Content-Type` (or the default plain-text type for a non-empty body,
//! as on HTTP/1.1), the handler's headers minus the connection-specific ones both protocols
//! forbid (`Connection`, `Keep-Alive`, `Proxy-Connection`, `Transfer-Encoding`, `Upgrade`,
//! `TE`; RFC 9113 §8.2.2, RFC 9114 §4.2), then `Server`, `Date` and `Content-Length` the way
//! the HTTP/1.1 encoder adds them.

use std::cell::RefCell;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;

use crate::common::date;
use crate::protocol::http1::encode::status_has_body;
use crate::protocol::http1::H1Config;
use crate::protocol::response::{Body, BodyStream, Response};

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// Header fields that are meaningless or forbidden in HTTP/2 (RFC 9113 §8.2.2), plus
/// `Content-Length`, which the driver sets itself.
fn is_dropped(name: &HeaderName) -> bool {
    name == header::CONNECTION
        || name == header::TRANSFER_ENCODING
        || name == header::UPGRADE
        || name == header::TE
        || name == header::CONTENT_LENGTH
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

/// The current `Date` as a header value, rebuilt only when the formatted second changes (a
/// clone of a cached value is a reference-count bump, not an allocation).
fn date_value() -> Option<HeaderValue> {
    thread_local! {
        static CACHED: RefCell<Option<([u8; date::DATE_LEN], HeaderValue)>> =
            const { RefCell::new(None) };
    }
    date::with_date(|now| {
        CACHED.with(|c| {
            let mut c = c.borrow_mut();
            match &*c {
                Some((bytes, v)) if bytes == now => Some(v.clone()),
                _ => {
                    let v = HeaderValue::from_bytes(now).ok()?;
                    *c = Some((*now, v.clone()));
                    Some(v)
                }
            }
        })
    })
}

/// The response head for `resp`, whose body has `len` bytes (`None`: streamed).
/// `advertise`: add the configured `Alt-Svc` (HTTP/2; not on HTTP/3 itself).
pub(crate) fn head(
    resp: &Response,
    cfg: &H1Config,
    len: Option<u64>,
    advertise: bool,
) -> http::Response<()> {
    let mut out = http::Response::new(());
    *out.status_mut() = resp.status();
    let has_body = status_has_body(resp.status());
    let headers = out.headers_mut();
    match resp.content_type() {
        Some(ct) => {
            headers.insert(header::CONTENT_TYPE, ct.clone());
        }
        None if has_body && len != Some(0) && cfg.default_content_type => {
            headers.insert(header::CONTENT_TYPE, TEXT_PLAIN);
        }
        None => {}
    }
    for (name, value) in resp.other_headers() {
        if !is_dropped(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Some(server) = cfg.server_header {
        if !headers.contains_key(header::SERVER) {
            headers.insert(header::SERVER, HeaderValue::from_static(server));
        }
    }
    if cfg.date_header && !headers.contains_key(header::DATE) {
        if let Some(v) = date_value() {
            headers.insert(header::DATE, v);
        }
    }
    if let (true, Some(alt_svc)) = (advertise, &cfg.alt_svc) {
        if !headers.contains_key(header::ALT_SVC) {
            headers.insert(header::ALT_SVC, alt_svc.clone());
        }
    }
    if let (true, Some(n)) = (has_body, len) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    out
}

/// A response body ready to go out.
pub(crate) enum Payload {
    /// In memory (the scratch buffer is copied, every other kind is handed over as it is).
    Bytes(Bytes),
    /// A stream, of exactly this many bytes when sized.
    Stream(BodyStream, Option<u64>),
}

fn payload(resp: &mut Response) -> Payload {
    match resp.take_body() {
        Body::Empty => Payload::Bytes(Bytes::new()),
        Body::Static(b) => Payload::Bytes(Bytes::from_static(b)),
        Body::Bytes(b) => Payload::Bytes(b),
        Body::Vec(v) => Payload::Bytes(Bytes::from(v)),
        Body::Scratch => {
            resp.set_body(Body::Scratch);
            Payload::Bytes(Bytes::copy_from_slice(resp.body_bytes()))
        }
        Body::Stream(s) => Payload::Stream(s, None),
        Body::SizedStream(n, s) => Payload::Stream(s, Some(n)),
    }
}

/// The response's trailer fields as a header map (connection-specific names dropped), if any.
fn trailer_map(resp: &Response) -> Option<HeaderMap> {
    if !resp.has_trailers() {
        return None;
    }
    let mut map = HeaderMap::with_capacity(resp.trailers().len());
    for (name, value) in resp.trailers() {
        if !is_dropped(name) {
            map.append(name.clone(), value.clone());
        }
    }
    Some(map)
}

/// A response taken apart for sending: its body, the body's length when known, the trailers
/// to send (none for a HEAD request or a status without a body), and whether the status has
/// no body at all.
pub(crate) struct Prepared {
    pub(crate) body: Payload,
    pub(crate) len: Option<u64>,
    pub(crate) trailers: Option<HeaderMap>,
    pub(crate) no_body: bool,
}

/// Takes `resp` apart for sending over `protocol` (an upgrade request becomes a 500, see
/// [`refuse_upgrade`]). `head_only`: a HEAD request (the length stays, the trailers go).
pub(crate) fn prepare(resp: &mut Response, protocol: &str, head_only: bool) -> Prepared {
    refuse_upgrade(resp, protocol);
    let no_body = !status_has_body(resp.status());
    let body = if no_body {
        resp.take_body();
        Payload::Bytes(Bytes::new())
    } else {
        payload(resp)
    };
    let len = match &body {
        Payload::Bytes(b) => Some(b.len() as u64),
        Payload::Stream(_, sized) => *sized,
    };
    let trailers = if no_body || head_only {
        None
    } else {
        trailer_map(resp)
    };
    Prepared {
        body,
        len,
        trailers,
        no_body,
    }
}

/// Replaces a response that asks to take over the connection (upgrade or hijack — HTTP/1.1
/// only) with a 500 naming `protocol`, and logs why.
fn refuse_upgrade(resp: &mut Response, protocol: &str) {
    if resp.take_upgrade().is_none() {
        return;
    }
    tracing::error!(
        "a handler asked to take over the connection (upgrade/hijack) on an {protocol} stream: \
         that is HTTP/1.1-only; answering 500"
    );
    resp.clear();
    resp.set_status(StatusCode::INTERNAL_SERVER_ERROR);
    resp.set_header(header::CONTENT_TYPE, TEXT_PLAIN);
    resp.set_body(match protocol {
        "HTTP/3" => "connection upgrade is not available over HTTP/3",
        _ => "connection upgrade is not available over HTTP/2",
    });
}
