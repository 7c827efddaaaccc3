//! The refusals of HTTP/1.1 and the precise status each one is answered with.
//!
//! | condition | status |
//! |---|---|
//! | malformed request line, header, chunk-size line (size, extensions, bare CR/LF), trailer section (bare LF); chunk extensions over 4 KiB per body; obs-fold; missing `Host` on 1.1, or a `Host` / absolute-form authority that is not `host [":" port]`; both `Content-Length` and `Transfer-Encoding`; conflicting `Content-Length`s; unsupported transfer coding; bad target | 400 |
//! | client too slow to send a request (read timeout) | 408 |
//! | body larger than the limit | 413 |
//! | request target longer than the limit | 414 |
//! | an `Expect` other than `100-continue`, or a refused continue | 417 |
//! | header section (or trailers) larger than the limit, or too many headers | 431 |
//! | HTTP version other than 1.0 / 1.1 | 505 |
//!
//! Each refusal is a [`Rejection`]: it is logged with its reason, the service renders the
//! response ([`HttpService::reject`](crate::protocol::service::HttpService::reject); plain text
//! naming the reason by default), and the response goes out with `Connection: close`. The parser
//! and the body decoder produce them without knowing whether the head is complete; the
//! connection driver marks those found after the head ([`Rejection::with_head`]).

use http::StatusCode;

use crate::protocol::rejection::Rejection;

pub(crate) const TIMEOUT: Rejection =
    Rejection::new(StatusCode::REQUEST_TIMEOUT, "request not received in time");
pub(crate) const BODY_TOO_LARGE: Rejection =
    Rejection::new(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
pub(crate) const URI_TOO_LONG: Rejection =
    Rejection::new(StatusCode::URI_TOO_LONG, "request target too long");
pub(crate) const HEADERS_TOO_LARGE: Rejection = Rejection::new(
    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
    "request header section too large",
);
pub(crate) const TOO_MANY_HEADERS: Rejection = Rejection::new(
    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
    "too many header fields",
);
pub(crate) const VERSION: Rejection = Rejection::new(
    StatusCode::HTTP_VERSION_NOT_SUPPORTED,
    "HTTP version not supported",
);
pub(crate) const EXPECTATION: Rejection =
    Rejection::new(StatusCode::EXPECTATION_FAILED, "expectation not supported");
pub(crate) const CONTINUE_REFUSED: Rejection =
    Rejection::new(StatusCode::EXPECTATION_FAILED, "100-continue refused");
/// The peer stopped sending mid-body: nobody to answer, the connection closes silently.
pub(crate) const INCOMPLETE_BODY: Rejection =
    Rejection::bad_request("connection closed before the body was complete");
