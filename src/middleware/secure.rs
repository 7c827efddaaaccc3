//! Secure response headers (cargo feature `secure`; Hertz: `hertz-contrib/secure`, Go's
//! `unrolled/secure`): the headers that tell browsers to be careful with your responses, added
//! to every response the rest of the chain produced — errors and 404s included — unless a
//! handler set the same header itself.
//!
//! On by default: `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
//! `Referrer-Policy: strict-origin-when-cross-origin`. Opt-in: `Strict-Transport-Security`
//! ([`SecureHeaders::hsts`]; browsers ignore it on plain HTTP, RFC 6797 §8.1, so a server that
//! also speaks HTTP loses nothing) and `Content-Security-Policy`
//! ([`SecureHeaders::content_security_policy`]). Values are checked once, when the middleware
//! is built.
//!
//! ```
//! use std::time::Duration;
//! use khz::prelude::*;
//! use khz::middleware::secure::SecureHeaders;
//!
//! let server = Server::default();
//! server.middleware(
//!     SecureHeaders::new()
//!         .hsts(Duration::from_secs(31_536_000), true, false)
//!         .content_security_policy("default-src 'self'")
//!         .frame_options(Some("SAMEORIGIN")),
//! );
//! ```

use std::time::Duration;

use http::header::{self, HeaderName, HeaderValue};

use crate::app::{BoxFuture, Handler, RequestContext};

/// The secure-headers middleware; see the module docs.
#[derive(Debug, Clone)]
pub struct SecureHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Default for SecureHeaders {
    fn default() -> Self {
        Self::new()
    }
}

impl SecureHeaders {
    /// `nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: strict-origin-when-cross-origin`.
    pub fn new() -> Self {
        SecureHeaders {
            headers: vec![
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
                (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
                (
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("strict-origin-when-cross-origin"),
                ),
            ],
        }
    }

    /// Sets (`Some`) or drops (`None`) header `name`.
    ///
    /// # Panics
    /// If `value` is not a valid header value (a programming error, caught at start-up).
    fn with(mut self, name: HeaderName, value: Option<&str>) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        if let Some(v) = value {
            let v = HeaderValue::from_str(v)
                .unwrap_or_else(|_| panic!("SecureHeaders: invalid value for {name}: {v:?}"));
            self.headers.push((name, v));
        }
        self
    }

    /// `Strict-Transport-Security: max-age=…[; includeSubDomains][; preload]`.
    pub fn hsts(self, max_age: Duration, include_subdomains: bool, preload: bool) -> Self {
        let mut v = format!("max-age={}", max_age.as_secs());
        if include_subdomains {
            v.push_str("; includeSubDomains");
        }
        if preload {
            v.push_str("; preload");
        }
        self.with(header::STRICT_TRANSPORT_SECURITY, Some(&v))
    }

    /// `Content-Security-Policy: policy`.
    pub fn content_security_policy(self, policy: &str) -> Self {
        self.with(header::CONTENT_SECURITY_POLICY, Some(policy))
    }

    /// `X-Frame-Options` (`DENY`, `SAMEORIGIN`), or `None` for none.
    pub fn frame_options(self, value: Option<&str>) -> Self {
        self.with(header::X_FRAME_OPTIONS, value)
    }

    /// `Referrer-Policy`, or `None` for none.
    pub fn referrer_policy(self, value: Option<&str>) -> Self {
        self.with(header::REFERRER_POLICY, value)
    }

    /// `X-Content-Type-Options: nosniff` on (default) or off.
    pub fn nosniff(self, on: bool) -> Self {
        self.with(header::X_CONTENT_TYPE_OPTIONS, on.then_some("nosniff"))
    }
}

impl Handler for SecureHeaders {
    fn call<'a>(&'a self, ctx: &'a mut RequestContext) -> BoxFuture<'a> {
        Box::pin(async move {
            ctx.next().await;
            for (name, value) in &self.headers {
                if ctx.response().header(name).is_none() {
                    ctx.response_mut().set_header(name.clone(), value.clone());
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_replace_and_drop_headers() {
        let s = SecureHeaders::new()
            .hsts(Duration::from_secs(60), true, true)
            .frame_options(None)
            .nosniff(false);
        let names: Vec<&str> = s.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["referrer-policy", "strict-transport-security"]);
        assert_eq!(s.headers[1].1, "max-age=60; includeSubDomains; preload");
    }
}
