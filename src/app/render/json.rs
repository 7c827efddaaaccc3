//! JSON renderers and the HTML escaping that makes [`RequestContext::json`] match Hertz.
//!
//! Hertz's `c.JSON` and `c.IndentedJSON` serialize with sonic's `ConfigStd` (or Go's
//! `encoding/json` where sonic is unavailable), which escapes `<`, `>`, `&`, U+2028 and U+2029
//! inside strings as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`, so the JSON can be
//! embedded in HTML `<script>` blocks safely; `c.PureJSON` turns that off. sonic-rs, like
//! serde_json, escapes only what JSON requires (`"`, `\` and control characters), so khz runs
//! one pass over the serialized bytes for `json` and `indented_json`: it rewrites in place in the
//! response's scratch buffer and does nothing when none of those characters occur. Outside
//! strings serialized JSON never contains them, so the pass cannot touch the structure.

use http::header::{self, HeaderValue};
use http::StatusCode;
use serde::Serialize;

use crate::app::RequestContext;

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

/// Indentation of [`RequestContext::indented_json`]: four spaces, as Hertz's `IndentedJSON`.
const INDENT: &[u8] = b"    ";

/// How a JSON body is laid out and escaped.
#[derive(Clone, Copy)]
pub(crate) enum Style {
    /// Compact, HTML characters escaped ([`RequestContext::json`]).
    Compact,
    /// Compact, HTML characters left as they are.
    Pure,
    /// Indented, HTML characters escaped.
    Indented,
}

impl RequestContext {
    /// Answers `status` with `value` as JSON **without** HTML escaping: `<`, `>` and `&` stay as
    /// they are (Hertz `PureJSON`; unlike Hertz, no newline is appended). Use it when the JSON
    /// is never embedded in HTML; [`json`](RequestContext::json) escapes them.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// # use khz::ut::perform_request;
    /// async fn h(ctx: &mut RequestContext) {
    ///     ctx.pure_json(StatusCode::OK, &serde_json::json!({"html": "<b>&</b>"}));
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let s = Server::new();
    /// # s.get("/", h);
    /// let res = perform_request(&s, Method::GET, "/", "", &[]).await;
    /// assert_eq!(res.text(), r#"{"html":"<b>&</b>"}"#);
    /// # }
    /// ```
    pub fn pure_json<T: Serialize + ?Sized>(&mut self, status: StatusCode, value: &T) {
        self.render_json(status, value, Style::Pure);
    }

    /// Answers `status` with `value` as JSON indented by four spaces, HTML characters escaped
    /// like [`json`](RequestContext::json) (Hertz `IndentedJSON`).
    ///
    /// ```
    /// # use khz::prelude::*;
    /// # use khz::ut::perform_request;
    /// async fn h(ctx: &mut RequestContext) {
    ///     ctx.indented_json(StatusCode::OK, &serde_json::json!({"a": [1]}));
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let s = Server::new();
    /// # s.get("/", h);
    /// let res = perform_request(&s, Method::GET, "/", "", &[]).await;
    /// assert_eq!(res.text(), "{\n    \"a\": [\n        1\n    ]\n}");
    /// # }
    /// ```
    pub fn indented_json<T: Serialize + ?Sized>(&mut self, status: StatusCode, value: &T) {
        self.render_json(status, value, Style::Indented);
    }

    pub(crate) fn render_json<T: Serialize + ?Sized>(
        &mut self,
        status: StatusCode,
        value: &T,
        style: Style,
    ) {
        let out = self.resp.scratch_body();
        let result = match style {
            Style::Compact | Style::Pure => sonic_rs::to_writer(&mut *out, value),
            Style::Indented => {
                let pretty = sonic_rs::format::PrettyFormatter::with_indent(INDENT);
                value.serialize(&mut sonic_rs::Serializer::with_formatter(&mut *out, pretty))
            }
        };
        match result {
            Ok(()) => {
                if !matches!(style, Style::Pure) {
                    escape_html(out);
                }
                self.resp.set_status(status);
                self.resp.set_header(header::CONTENT_TYPE, APPLICATION_JSON);
            }
            Err(e) => {
                tracing::error!(error = %e, route = self.full_path(), "JSON serialization failed");
                self.resp.clear();
                self.resp.set_status(StatusCode::INTERNAL_SERVER_ERROR);
            }
        }
    }
}

/// The escape of the byte (or of the 3-byte sequence ending in it) at `buf[i]`, scanning
/// backwards: `<`, `>`, `&`, and the last byte of U+2028 / U+2029 (`E2 80 A8` / `E2 80 A9`).
fn escape_at(buf: &[u8], i: usize) -> Option<(&'static [u8; 6], usize)> {
    match buf[i] {
        b'<' => Some((b"\\u003c", 1)),
        b'>' => Some((b"\\u003e", 1)),
        b'&' => Some((b"\\u0026", 1)),
        last @ (0xA8 | 0xA9) if i >= 2 && buf[i - 1] == 0x80 && buf[i - 2] == 0xE2 => {
            Some((if last == 0xA8 { b"\\u2028" } else { b"\\u2029" }, 3))
        }
        _ => None,
    }
}

/// Escapes `<`, `>`, `&`, U+2028 and U+2029 in serialized JSON, in place (Go's
/// `json.HTMLEscape`). Only grows the buffer when something needs escaping.
pub(crate) fn escape_html(buf: &mut Vec<u8>) {
    // The common case, nothing to escape, settled by two vectorised scans.
    if memchr::memchr3(b'<', b'>', b'&', buf).is_none() && memchr::memchr(0xE2, buf).is_none() {
        return;
    }
    let mut extra = 0;
    for i in 0..buf.len() {
        if let Some((_, len)) = escape_at(buf, i) {
            extra += 6 - len;
        }
    }
    if extra == 0 {
        return;
    }
    let mut read = buf.len();
    buf.resize(read + extra, 0);
    let mut write = buf.len();
    // Back to front: `write` stays ahead of `read`, so unread bytes are never overwritten.
    while read > 0 {
        match escape_at(buf, read - 1) {
            Some((esc, len)) => {
                read -= len;
                write -= 6;
                buf[write..write + 6].copy_from_slice(esc);
            }
            None => {
                read -= 1;
                write -= 1;
                buf[write] = buf[read];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    fn escaped(s: &str) -> String {
        let mut v = s.as_bytes().to_vec();
        escape_html(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn escapes_like_go_html_escape() {
        assert_eq!(escaped(r#"{"a":"x"}"#), r#"{"a":"x"}"#);
        assert_eq!(
            escaped("{\"h\":\"<a href='x'>&amp;</a>\"}"),
            r#"{"h":"\u003ca href='x'\u003e\u0026amp;\u003c/a\u003e"}"#
        );
        assert_eq!(
            escaped("[\"\u{2028}é\u{2029}\u{2027}\"]"),
            "[\"\\u2028é\\u2029\u{2027}\"]"
        );
        assert_eq!(escaped("<"), "\\u003c");
        assert_eq!(escaped("\u{2028}"), "\\u2028");
    }
}
