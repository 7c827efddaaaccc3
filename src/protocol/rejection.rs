//! [`Rejection`]: a request the protocol layer refused before (or instead of) calling the
//! service — a malformed or oversized head, a body over the limit, a client too slow, an
//! expectation refused. The drivers log it and hand it to
//! [`HttpService::reject`](crate::protocol::service::HttpService::reject), which fills the
//! response (plain text naming the reason by default); the driver then sends that response as
//! the last one of the connection (HTTP/1.1) or of the stream (HTTP/2). The HTTP/1.1 status
//! table is in `http1/error.rs`.

use std::fmt;

use http::StatusCode;

/// A request the protocol layer refused (400, 408, 413, 414, 417, 431, 505 …) before or instead
/// of calling the service.
///
/// ```
/// # fn show(rejection: &khz::protocol::Rejection) {
/// // e.g. "413 Payload Too Large: request body too large"
/// println!("{rejection}: head parsed: {}", rejection.head_parsed());
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    status: StatusCode,
    reason: &'static str,
    head_parsed: bool,
}

impl Rejection {
    /// A rejection of a request whose head was not parsed.
    pub(crate) const fn new(status: StatusCode, reason: &'static str) -> Self {
        Rejection {
            status,
            reason,
            head_parsed: false,
        }
    }

    /// A 400 Bad Request with `reason`.
    pub(crate) const fn bad_request(reason: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }

    /// The same rejection, marked as coming after (`true`) or before the head was parsed.
    pub(crate) const fn with_head(self, parsed: bool) -> Self {
        Rejection {
            head_parsed: parsed,
            ..self
        }
    }

    /// The status the client is answered with (unless the service chooses another).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// A short, stable reason, e.g. `"request body too large"` (the default response body).
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// Whether the request head was parsed: the method, target and headers are in the
    /// exchange's request (its body is not). `false`: the request is empty.
    pub fn head_parsed(&self) -> bool {
        self.head_parsed
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.reason)
    }
}

impl std::error::Error for Rejection {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_status_and_reason() {
        let r = Rejection::new(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
        assert_eq!(
            r.to_string(),
            "413 Payload Too Large: request body too large"
        );
        assert!(!r.head_parsed());
        assert!(r.with_head(true).head_parsed());
        assert_eq!(r.with_head(true).with_head(false), r);
    }
}
