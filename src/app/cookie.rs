//! Cookies of [`RequestContext`]: writing them (`set_cookie`, `delete_cookie`, `remove_cookie`)
//! and listing the ones a request sent (`cookies`; a single one is `RequestContext::cookie`).
//!
//! Cookies are built with the [`cookie`](https://docs.rs/cookie) crate's [`Cookie`], re-exported
//! here with [`SameSite`], [`Expiration`] and the [`time`] crate, so no extra dependency is
//! needed. Every cookie becomes its own `Set-Cookie` header — they are never folded into one
//! line. Attributes: `Max-Age`, `Expires`, `Path`, `Domain`, `Secure`, `HttpOnly`, `SameSite`
//! (`Strict`, `Lax`, `None` — which implies `Secure`) and `Partitioned` (CHIPS; implies
//! `Secure`). A cookie that would break the header (a name that is not a token, a value with
//! bytes outside RFC 6265's cookie-octets, a `;` or control byte in `Path`/`Domain`) is refused
//! and logged, never sent.

use std::fmt::Write as _;

pub use ::cookie::time;
pub use ::cookie::{Cookie, CookieBuilder, Expiration, SameSite};
use http::header::{self, HeaderValue};

use super::context::RequestContext;

/// RFC 7230 `tchar`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// RFC 6265 `cookie-value`: cookie-octets, optionally inside one pair of double quotes.
fn is_cookie_value(s: &str) -> bool {
    let inner = s
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(s);
    inner
        .bytes()
        .all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

/// An attribute value (`Path`, `Domain`) that cannot end the attribute or the header early.
fn is_attribute_value(s: &str) -> bool {
    s.bytes().all(|b| b != b';' && !b.is_ascii_control())
}

/// Why a cookie cannot be sent, or `None` if it can.
fn refusal(c: &Cookie<'_>) -> Option<&'static str> {
    if !is_token(c.name()) {
        return Some("cookie name is not a token");
    }
    if !is_cookie_value(c.value()) {
        return Some("cookie value has bytes outside cookie-octets");
    }
    let bad_attr = |v: Option<&str>| v.is_some_and(|v| !is_attribute_value(v));
    if bad_attr(c.path()) || bad_attr(c.domain()) {
        return Some("cookie Path or Domain contains ';' or a control byte");
    }
    None
}

impl RequestContext {
    /// Adds a `Set-Cookie` header for `cookie` (Hertz `SetCookie`); earlier cookies are kept.
    /// Accepts a [`Cookie`] or its builder.
    ///
    /// ```
    /// use khz::app::cookie::{time::Duration, Cookie, SameSite};
    /// use khz::prelude::*;
    ///
    /// async fn login(ctx: &mut RequestContext) {
    ///     ctx.set_cookie(
    ///         Cookie::build(("session", "abc123"))
    ///             .path("/")
    ///             .http_only(true)
    ///             .secure(true)
    ///             .same_site(SameSite::Lax)
    ///             .max_age(Duration::hours(12)),
    ///     );
    ///     // Set-Cookie: session=abc123; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=43200
    ///     ctx.string(StatusCode::OK, "welcome");
    /// }
    /// ```
    ///
    /// A cookie whose name, value, `Path` or `Domain` would corrupt the header is not sent;
    /// the refusal is logged at `error`.
    pub fn set_cookie<'c>(&mut self, cookie: impl Into<Cookie<'c>>) {
        let cookie = cookie.into();
        if let Some(reason) = refusal(&cookie) {
            tracing::error!(
                route = self.full_path(),
                name = cookie.name(),
                reason,
                "cookie refused"
            );
            return;
        }
        // `Display` renders the `Set-Cookie` form: name=value and the attributes.
        let mut line = String::with_capacity(64);
        let _ = write!(line, "{cookie}");
        match HeaderValue::from_str(&line) {
            Ok(v) => self.resp.append_header(header::SET_COOKIE, v),
            Err(_) => tracing::error!(route = self.full_path(), "cookie refused"),
        }
    }

    /// Tells the client to drop cookie `name` set for `Path=/`: sends
    /// `Set-Cookie: name=; Path=/; Max-Age=0`. For a cookie set with another `Path` or a
    /// `Domain`, use [`remove_cookie`](RequestContext::remove_cookie) with the same ones.
    pub fn delete_cookie(&mut self, name: &str) {
        self.remove_cookie(Cookie::build((name.to_owned(), "")).path("/"));
    }

    /// Tells the client to drop `cookie`: sends it with an empty value and `Max-Age=0`,
    /// keeping its `Path` and `Domain` (which must match the ones it was set with).
    ///
    /// ```
    /// use khz::app::cookie::Cookie;
    /// use khz::prelude::*;
    ///
    /// async fn logout(ctx: &mut RequestContext) {
    ///     // Set-Cookie: prefs=; Path=/app; Domain=example.com; Max-Age=0
    ///     ctx.remove_cookie(Cookie::build("prefs").path("/app").domain("example.com"));
    ///     ctx.delete_cookie("session"); // Set-Cookie: session=; Path=/; Max-Age=0
    /// }
    /// ```
    pub fn remove_cookie<'c>(&mut self, cookie: impl Into<Cookie<'c>>) {
        let mut cookie = cookie.into();
        cookie.set_value("");
        cookie.unset_expires();
        cookie.set_max_age(time::Duration::ZERO);
        self.set_cookie(cookie);
    }

    /// Every `(name, value)` cookie the request sent, across all `Cookie` headers, in order.
    /// Values in double quotes are returned without them; malformed pairs are skipped.
    pub fn cookies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.req
            .headers()
            .get_all("cookie")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(parse_cookie_header)
    }
}

/// The `(name, value)` pairs of one `Cookie` header value, in order: values in double quotes
/// without them, malformed pairs skipped. Not API (reached by the fuzzers through the hidden
/// door `khz::__bench`).
#[doc(hidden)]
pub fn parse_cookie_header(value: &str) -> impl Iterator<Item = (&str, &str)> {
    value
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let unquoted = v.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
            (k.trim(), unquoted.unwrap_or(v))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_values_and_attributes_are_checked() {
        assert_eq!(refusal(&Cookie::new("a", "b")), None);
        assert_eq!(refusal(&Cookie::new("a", "\"quoted\"")), None);
        assert_eq!(refusal(&Cookie::new("a", "")), None);
        assert!(refusal(&Cookie::new("", "b")).is_some());
        assert!(refusal(&Cookie::new("a b", "b")).is_some());
        assert!(refusal(&Cookie::new("a;", "b")).is_some());
        for bad in [
            "x y",
            "x;y",
            "x,y",
            "x\\y",
            "\"x",
            "caf\u{e9}",
            "x\r\nSet-Cookie: y=1",
        ] {
            assert!(refusal(&Cookie::new("a", bad)).is_some(), "{bad:?}");
        }
        let c = Cookie::build(("a", "b"))
            .path("/; Domain=evil.example")
            .build();
        assert!(refusal(&c).is_some());
        let c = Cookie::build(("a", "b")).domain("x\u{7f}").build();
        assert!(refusal(&c).is_some());
    }
}
