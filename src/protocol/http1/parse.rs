//! Parsing an HTTP/1.1 request head with `httparse`, straight out of the front of the linked
//! buffer, into a [`Request`] made of byte ranges (no header bytes are copied).
//!
//! Beyond syntax (httparse), this enforces what keeps the server safe: size limits (414, 431),
//! exactly one `Host` on HTTP/1.1, a well-formed `host [":" port]` in `Host` and in an
//! absolute-form target (`authority.rs`), unambiguous body framing (no `Content-Length` together with
//! `Transfer-Encoding`, no conflicting lengths, chunked as the final coding — the request
//! smuggling rules of RFC 9112 §6), and it records keep-alive and `Expect` for the driver.

use std::mem::MaybeUninit;

use http::{Method, Version};

use super::config::H1Config;
use super::error;
use crate::protocol::authority::{host_of, is_valid_authority};
use crate::protocol::rejection::Rejection;
use crate::protocol::request::{Framing, HeaderSpan, Request, Span};

/// Upper bound of [`H1Config::max_headers`]: the size of the on-stack header array.
pub(crate) const MAX_HEADERS: usize = 256;

/// A `Host` header or absolute-form authority that is not `host [":" port]`.
const INVALID_HOST: Rejection = Rejection::bad_request("invalid Host");

type RawHeaders<'b> = [MaybeUninit<httparse::Header<'b>>; MAX_HEADERS];

fn header_array<'b>() -> RawHeaders<'b> {
    [const { MaybeUninit::uninit() }; MAX_HEADERS]
}

/// Tries to parse a request head at the start of `buf`.
///
/// Returns `Ok(Some(n))` when the head is complete and `n` bytes long (the request's spans are
/// then relative to `buf[0]`), `Ok(None)` when more bytes are needed, or the error to answer.
pub fn parse_head(
    buf: &[u8],
    cfg: &H1Config,
    req: &mut Request,
) -> Result<Option<usize>, Rejection> {
    let mut raw = header_array();
    let max = cfg.max_headers.clamp(1, MAX_HEADERS);
    let mut parsed = httparse::Request::new(&mut []);
    let status = match parsed.parse_with_uninit_headers(buf, &mut raw[..max]) {
        Ok(s) => s,
        Err(e) => return Err(map_error(e, buf)),
    };
    let n = match status {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return partial_limits(buf, cfg).map(|()| None),
    };
    if n > cfg.max_header_bytes {
        return Err(error::HEADERS_TOO_LARGE);
    }
    let (Some(method), Some(target), Some(version)) = (parsed.method, parsed.path, parsed.version)
    else {
        return Err(Rejection::bad_request("incomplete request line"));
    };
    if target.len() > cfg.max_uri_len {
        return Err(error::URI_TOO_LONG);
    }
    req.method = Method::from_bytes(method.as_bytes())
        .map_err(|_| Rejection::bad_request("invalid method"))?;
    req.version = if version == 0 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let target_span = Span::within(buf, target.as_bytes());
    set_target(req, target, target_span)?;
    req.headers.clear();
    for h in parsed.headers.iter() {
        req.headers.push(HeaderSpan {
            name: Span::within(buf, h.name.as_bytes()),
            value: Span::within(buf, h.value),
        });
    }
    req.framing = analyze_headers(parsed.headers, req.version)?;
    Ok(Some(n))
}

/// Parses a trailer section (after the last chunk) at the start of `buf` into `spans`.
/// `Ok(Some(n))` when complete. The field lines follow the header grammar (httparse) with the
/// header limits (`max_headers`, `max_header_bytes`), and every line ends in CRLF: a bare LF
/// is refused here although the head tolerates one (RFC 9112 §2.2), because a trailer section
/// framed differently by a proxy and by khz is a smuggling vector.
pub(crate) fn parse_trailers(
    buf: &[u8],
    cfg: &H1Config,
    spans: &mut Vec<HeaderSpan>,
) -> Result<Option<usize>, Rejection> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let max = cfg.max_headers.clamp(1, raw.len());
    match httparse::parse_headers(buf, &mut raw[..max]) {
        Ok(httparse::Status::Complete((n, headers))) => {
            if n > cfg.max_header_bytes {
                return Err(error::HEADERS_TOO_LARGE);
            }
            if has_bare_lf(&buf[..n]) {
                return Err(Rejection::bad_request("trailer line not ended by CRLF"));
            }
            spans.clear();
            for h in headers {
                spans.push(HeaderSpan {
                    name: Span::within(buf, h.name.as_bytes()),
                    value: Span::within(buf, h.value),
                });
            }
            Ok(Some(n))
        }
        Ok(httparse::Status::Partial) if buf.len() > cfg.max_header_bytes => {
            Err(error::HEADERS_TOO_LARGE)
        }
        Ok(httparse::Status::Partial) if has_bare_lf(buf) => {
            Err(Rejection::bad_request("trailer line not ended by CRLF"))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(error::TOO_MANY_HEADERS),
        Err(_) => Err(Rejection::bad_request("invalid trailer section")),
    }
}

/// Whether some LF in `buf` is not preceded by a CR.
fn has_bare_lf(buf: &[u8]) -> bool {
    buf.iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || buf[i - 1] != b'\r'))
}

/// Limits that apply while the head is still incomplete.
fn partial_limits(buf: &[u8], cfg: &H1Config) -> Result<(), Rejection> {
    let line_done = memchr_newline(buf);
    if !line_done && buf.len() > cfg.max_uri_len + 64 {
        // Method, spaces and version take at most a few dozen bytes beyond the target.
        return Err(error::URI_TOO_LONG);
    }
    if buf.len() > cfg.max_header_bytes {
        return Err(error::HEADERS_TOO_LARGE);
    }
    Ok(())
}

fn memchr_newline(buf: &[u8]) -> bool {
    buf.contains(&b'\n')
}

fn map_error(e: httparse::Error, buf: &[u8]) -> Rejection {
    match e {
        httparse::Error::TooManyHeaders => error::TOO_MANY_HEADERS,
        httparse::Error::Version if looks_like_http_version(buf) => error::VERSION,
        httparse::Error::Version => Rejection::bad_request("malformed HTTP version"),
        httparse::Error::HeaderName => Rejection::bad_request("invalid header name"),
        httparse::Error::HeaderValue => Rejection::bad_request("invalid header value"),
        httparse::Error::NewLine => Rejection::bad_request("invalid line ending"),
        httparse::Error::Token => Rejection::bad_request("malformed request line"),
        _ => Rejection::bad_request("malformed request"),
    }
}

/// Whether the request line is well-formed (`METHOD SP target SP HTTP/x.y`, exactly three
/// parts) with a version other than 1.0 and 1.1 — the only case that earns a 505 rather than a
/// 400.
fn looks_like_http_version(buf: &[u8]) -> bool {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end]);
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if method.is_empty() || target.is_empty() {
        return false;
    }
    matches!(version, [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
        if major.is_ascii_digit() && minor.is_ascii_digit()
            && !matches!((major, minor), (b'1', b'0') | (b'1', b'1')))
}

/// Splits the request target into path and query, accepting origin-form (`/p?q`),
/// absolute-form (`http://host/p?q`) and asterisk-form (`*`, OPTIONS only).
fn set_target(req: &mut Request, target: &str, span: Span) -> Result<(), Rejection> {
    // httparse hands the target out as `&str`, so it is valid UTF-8 already. One pass finds
    // the query and refuses fragments.
    let bytes = target.as_bytes();
    let mut query_at = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'#' => return Err(Rejection::bad_request("invalid request target")),
            b'?' if query_at.is_none() => query_at = Some(i),
            _ => {}
        }
    }
    let path_start = match bytes.first() {
        Some(b'/') => 0,
        Some(b'*') if bytes.len() == 1 && req.method == Method::OPTIONS => 0,
        _ => absolute_path_start(target)?,
    };
    let path_end = query_at.unwrap_or(bytes.len()).max(path_start);
    let base = span.start as usize;
    req.target = span;
    req.path = Span::new(base + path_start, base + path_end);
    req.query = query_at.map(|q| Span::new(base + q + 1, base + bytes.len()));
    Ok(())
}

/// Where the path of an absolute-form target (`http://host/path`) starts. The path may be
/// empty (`http://host` or `http://host?q`): it then stands for `/` (RFC 9110 §4.2.3), which
/// [`Request::path`] answers.
fn absolute_path_start(target: &str) -> Result<usize, Rejection> {
    let Some(after_scheme) = strip_scheme(target) else {
        return Err(Rejection::bad_request("request target must start with '/'"));
    };
    let scheme_len = target.len() - after_scheme.len();
    let i = after_scheme
        .bytes()
        .position(|b| b == b'/' || b == b'?')
        .unwrap_or(after_scheme.len());
    // An http(s) URI with an empty host is invalid (RFC 9110 §4.2.1).
    let authority = &after_scheme.as_bytes()[..i];
    if !is_valid_authority(authority) || host_of(authority).is_empty() {
        return Err(INVALID_HOST);
    }
    Ok(scheme_len + i)
}

fn strip_scheme(target: &str) -> Option<&str> {
    let lower_starts = |p: &str| {
        target.len() >= p.len() && target.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    if lower_starts("http://") {
        Some(&target[7..])
    } else if lower_starts("https://") {
        Some(&target[8..])
    } else {
        None
    }
}

fn trim(v: &[u8]) -> &[u8] {
    v.trim_ascii()
}

/// Parses a `Content-Length` value: one decimal number (surrounding whitespace aside). A list,
/// even of identical values, is refused (RFC 9110 §8.6 allows either; no sender needs a list,
/// and nginx, llhttp and Go refuse one too).
fn parse_content_length(v: &[u8]) -> Result<u64, Rejection> {
    let part = trim(v);
    if part.is_empty() || part.len() > 19 || !part.iter().all(u8::is_ascii_digit) {
        return Err(Rejection::bad_request("invalid Content-Length"));
    }
    Ok(part
        .iter()
        .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0')))
}

fn analyze_headers(
    headers: &[httparse::Header<'_>],
    version: Version,
) -> Result<Framing, Rejection> {
    let mut content_length: Option<u64> = None;
    let mut te_seen = false;
    let mut chunked_last = false;
    let mut other_coding = false;
    let mut hosts = 0;
    let mut close = false;
    let mut keep_alive_token = false;
    let mut expect_continue = false;
    for h in headers {
        let name = h.name.as_bytes();
        // Dispatch on the length first: most headers (Accept, User-Agent, …) match none of the
        // five the framing depends on and are skipped after one comparison.
        match name.len() {
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                if content_length.is_some() {
                    return Err(Rejection::bad_request("duplicate Content-Length"));
                }
                content_length = Some(parse_content_length(h.value)?);
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                te_seen = true;
                for coding in h.value.split(|&b| b == b',').map(trim) {
                    if coding.is_empty() {
                        // `chunked,` or `, chunked`: RFC 9110 §5.6.1 tolerates empty list
                        // elements, but a front proxy that matches the value exactly would
                        // not see chunked here — a classic way to smuggle a body.
                        return Err(Rejection::bad_request("invalid Transfer-Encoding"));
                    }
                    if chunked_last {
                        // Something after `chunked`: chunked is not the final coding.
                        chunked_last = false;
                        other_coding = true;
                        break;
                    }
                    if coding.eq_ignore_ascii_case(b"chunked") {
                        chunked_last = true;
                    } else {
                        other_coding = true;
                    }
                }
            }
            4 if name.eq_ignore_ascii_case(b"host") => {
                if !is_valid_authority(trim(h.value)) {
                    return Err(INVALID_HOST);
                }
                hosts += 1;
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for token in h.value.split(|&b| b == b',').map(trim) {
                    if token.eq_ignore_ascii_case(b"close") {
                        close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        keep_alive_token = true;
                    }
                }
            }
            6 if name.eq_ignore_ascii_case(b"expect") => {
                if trim(h.value).eq_ignore_ascii_case(b"100-continue") {
                    expect_continue = version == Version::HTTP_11;
                } else {
                    return Err(error::EXPECTATION);
                }
            }
            _ => {}
        }
    }
    if te_seen {
        if content_length.is_some() {
            return Err(Rejection::bad_request(
                "both Content-Length and Transfer-Encoding",
            ));
        }
        if version == Version::HTTP_10 {
            return Err(Rejection::bad_request(
                "Transfer-Encoding in an HTTP/1.0 request",
            ));
        }
        if !chunked_last {
            return Err(Rejection::bad_request(
                "chunked is not the final transfer coding",
            ));
        }
        if other_coding {
            return Err(Rejection::new(
                http::StatusCode::NOT_IMPLEMENTED,
                "unsupported transfer coding",
            ));
        }
    }
    if version == Version::HTTP_11 && hosts == 0 {
        return Err(Rejection::bad_request("missing Host header"));
    }
    if hosts > 1 {
        return Err(Rejection::bad_request("multiple Host headers"));
    }
    let keep_alive = if version == Version::HTTP_11 {
        !close
    } else {
        keep_alive_token && !close
    };
    Ok(Framing {
        content_length,
        chunked: te_seen,
        keep_alive,
        expect_continue,
    })
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "parse_props.rs"]
mod props;
