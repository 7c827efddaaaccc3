//! Protocol errors of HTTP/1.1 and the precise status each one is answered with.
//!
//! | condition | status |
//! |---|---|
//! | malformed request line, header, chunk size; obs-fold; missing `Host` on 1.1; both `Content-Length` and `Transfer-Encoding`; conflicting `Content-Length`s; unsupported transfer coding; bad target | 400 |
//! | client too slow to send a request (read timeout) | 408 |
//! | body larger than the limit | 413 |
//! | request target longer than the limit | 414 |
//! | an `Expect` other than `100-continue`, or a refused continue | 417 |
//! | header section (or trailers) larger than the limit, or too many headers | 431 |
//! | HTTP version other than 1.0 / 1.1 | 505 |
//!
//! Each error response is plain text naming the reason, carries `Connection: close`, and the
//! reason is logged.

use std::fmt;

use http::StatusCode;

/// Why a request was rejected, with the status to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolError {
    /// The status sent to the client.
    pub status: StatusCode,
    /// A short, stable reason (also the response body).
    pub reason: &'static str,
}

impl ProtocolError {
    pub(crate) const fn new(status: StatusCode, reason: &'static str) -> Self {
        ProtocolError { status, reason }
    }

    pub(crate) const fn bad_request(reason: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.reason)
    }
}

impl std::error::Error for ProtocolError {}

pub(crate) const TIMEOUT: ProtocolError =
    ProtocolError::new(StatusCode::REQUEST_TIMEOUT, "request not received in time");
pub(crate) const BODY_TOO_LARGE: ProtocolError =
    ProtocolError::new(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
pub(crate) const URI_TOO_LONG: ProtocolError =
    ProtocolError::new(StatusCode::URI_TOO_LONG, "request target too long");
pub(crate) const HEADERS_TOO_LARGE: ProtocolError = ProtocolError::new(
    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
    "request header section too large",
);
pub(crate) const TOO_MANY_HEADERS: ProtocolError = ProtocolError::new(
    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
    "too many header fields",
);
pub(crate) const VERSION: ProtocolError = ProtocolError::new(
    StatusCode::HTTP_VERSION_NOT_SUPPORTED,
    "HTTP version not supported",
);
pub(crate) const EXPECTATION: ProtocolError =
    ProtocolError::new(StatusCode::EXPECTATION_FAILED, "expectation not supported");
pub(crate) const CONTINUE_REFUSED: ProtocolError =
    ProtocolError::new(StatusCode::EXPECTATION_FAILED, "100-continue refused");
pub(crate) const INCOMPLETE_BODY: ProtocolError =
    ProtocolError::bad_request("connection closed before the body was complete");
