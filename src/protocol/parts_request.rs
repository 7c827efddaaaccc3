//! Turning an HTTP/2 or HTTP/3 request head — decoded by `h2` or `h3` into `http`'s
//! [`Parts`] — into the crate's [`Request`], so every accessor above the protocol layer works
//! as it does for HTTP/1.1.
//!
//! The pseudo-headers and header fields are rendered once into a head buffer shaped like an
//! HTTP/1.1 head (`METHOD target HTTP/2` or `HTTP/3`, `name: value` lines, `Host` from
//! `:authority` when the client sent no `host` field) and the request's spans point into it.
//! Names arrive lower-case and already validated by the codec (connection-specific fields such
//! as `Connection` or `Transfer-Encoding` are a protocol error there), so nothing is parsed
//! again. The HTTP/1.1 limits that have a meaning here apply: `max_uri_len` (414) and
//! `max_headers` (431); `:authority` and `host` must be `host [":" port]` as an HTTP/1.1
//! `Host` must (400 "invalid Host" on that stream).

use bytes::Bytes;
use http::header::{self, HeaderMap};
use http::request::Parts;
use http::{StatusCode, Version};

use crate::protocol::authority::is_valid_authority;
use crate::protocol::http1::H1Config;
use crate::protocol::rejection::Rejection;
use crate::protocol::request::{Framing, HeaderSpan, Request, Span};

/// Appends `name: value\r\n` to `buf` and returns the spans of name and value.
fn push_field(buf: &mut Vec<u8>, name: &[u8], value: &[u8]) -> HeaderSpan {
    let name_start = buf.len();
    buf.extend_from_slice(name);
    let name = Span::new(name_start, buf.len());
    buf.extend_from_slice(b": ");
    let value_start = buf.len();
    buf.extend_from_slice(value);
    let value = Span::new(value_start, buf.len());
    buf.extend_from_slice(b"\r\n");
    HeaderSpan { name, value }
}

/// Fills `req` from the decoded head of an HTTP/2 request (an HTTP/3 one when `parts.version`
/// says so).
pub fn fill_request(req: &mut Request, parts: &Parts, cfg: &H1Config) -> Result<(), Rejection> {
    let target = match parts.uri.path_and_query() {
        Some(pq) => pq.as_str(),
        // CONNECT carries only an authority.
        None => parts.uri.authority().map_or("/", |a| a.as_str()),
    };
    // `:path` is origin-form (`/…`) or `*`; `h2` passes a `:path` such as `?x` through, which
    // would leave the routing path empty ("" where HTTP/1.1 would answer 400).
    if parts.uri.path_and_query().is_some() && !target.starts_with('/') && target != "*" {
        return Err(Rejection::bad_request(
            "request target is not an absolute path",
        ));
    }
    if target.len() > cfg.max_uri_len {
        return Err(Rejection::new(
            StatusCode::URI_TOO_LONG,
            "request target too long",
        ));
    }
    let bad_authority = parts
        .uri
        .authority()
        .is_some_and(|a| a.as_str().is_empty() || !is_valid_authority(a.as_str().as_bytes()));
    let bad_host = parts
        .headers
        .get_all(header::HOST)
        .iter()
        .any(|v| !is_valid_authority(v.as_bytes().trim_ascii()));
    if bad_authority || bad_host {
        return Err(Rejection::bad_request("invalid Host"));
    }
    let authority = parts
        .uri
        .authority()
        .filter(|_| !parts.headers.contains_key(header::HOST));
    let fields = parts.headers.len() + usize::from(authority.is_some());
    if fields > cfg.max_headers {
        return Err(Rejection::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "too many header fields",
        ));
    }

    let method = parts.method.as_str();
    let mut buf = Vec::with_capacity(
        method.len()
            + target.len()
            + 16
            + parts
                .headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len() + 4)
                .sum::<usize>()
            + authority.map_or(0, |a| a.as_str().len() + 8),
    );
    buf.extend_from_slice(method.as_bytes());
    buf.push(b' ');
    let target_start = buf.len();
    buf.extend_from_slice(target.as_bytes());
    let target_end = buf.len();
    let version = if parts.version == Version::HTTP_3 {
        Version::HTTP_3
    } else {
        Version::HTTP_2
    };
    buf.extend_from_slice(if version == Version::HTTP_3 {
        b" HTTP/3\r\n"
    } else {
        b" HTTP/2\r\n"
    });

    req.headers.clear();
    if let Some(a) = authority {
        req.headers
            .push(push_field(&mut buf, b"host", a.as_str().as_bytes()));
    }
    for (name, value) in &parts.headers {
        req.headers.push(push_field(
            &mut buf,
            name.as_str().as_bytes(),
            value.as_bytes(),
        ));
    }
    buf.extend_from_slice(b"\r\n");

    let query_at = target.find('?');
    let path_end = target_start + query_at.unwrap_or(target.len());
    req.method = parts.method.clone();
    req.version = version;
    req.target = Span::new(target_start, target_end);
    req.path = Span::new(target_start, path_end);
    req.query = query_at.map(|q| Span::new(target_start + q + 1, target_end));
    req.framing = Framing {
        content_length: parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok()),
        chunked: false,
        keep_alive: true,
        expect_continue: parts
            .headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue")),
    };
    req.head = Bytes::from(buf);
    Ok(())
}

/// Stores request trailers the way the HTTP/1.1 driver stores chunked trailers.
pub(crate) fn fill_trailers(req: &mut Request, trailers: &HeaderMap) {
    let mut buf = Vec::new();
    req.trailers.clear();
    for (name, value) in trailers {
        req.trailers.push(push_field(
            &mut buf,
            name.as_str().as_bytes(),
            value.as_bytes(),
        ));
    }
    req.trailer_block = Bytes::from(buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(req: http::Request<()>) -> Parts {
        req.into_parts().0
    }

    #[test]
    fn head_renders_with_spans_and_host_from_authority() {
        let p = parts(
            http::Request::builder()
                .method("POST")
                .uri("https://example.test/a%20b?x=1&y=2")
                .header("content-length", "4")
                .header("cookie", "a=1")
                .header("cookie", "b=2")
                .body(())
                .unwrap(),
        );
        let mut req = Request::default();
        fill_request(&mut req, &p, &H1Config::default()).unwrap();
        assert_eq!(req.method(), "POST");
        assert_eq!(req.version(), Version::HTTP_2);
        assert_eq!(req.uri(), "/a%20b?x=1&y=2");
        assert_eq!(req.path(), "/a%20b");
        assert_eq!(req.query_string(), Some("x=1&y=2"));
        assert_eq!(req.headers().get_str("Host"), Some("example.test"));
        assert_eq!(req.headers().get_all("cookie").count(), 2);
        assert_eq!(req.content_length(), Some(4));
        assert!(req.keep_alive());
    }

    #[test]
    fn limits_apply() {
        let cfg = H1Config {
            max_uri_len: 16,
            max_headers: 2,
            ..H1Config::default()
        };
        let mut req = Request::default();
        let long = parts(
            http::Request::builder()
                .uri("http://h/0123456789abcdefghij")
                .body(())
                .unwrap(),
        );
        assert_eq!(
            fill_request(&mut req, &long, &cfg).unwrap_err().status(),
            StatusCode::URI_TOO_LONG
        );
        let many = parts(
            http::Request::builder()
                .uri("http://h/")
                .header("a", "1")
                .header("b", "2")
                .body(())
                .unwrap(),
        );
        assert_eq!(
            fill_request(&mut req, &many, &cfg).unwrap_err().status(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }

    #[test]
    fn malformed_authority_is_400() {
        let mut req = Request::default();
        for uri in ["http://user@h/", "http://a:b/x"] {
            let p = parts(http::Request::builder().uri(uri).body(()).unwrap());
            let err = fill_request(&mut req, &p, &H1Config::default()).unwrap_err();
            assert_eq!(err.reason(), "invalid Host", "{uri}");
        }
        let p = parts(
            http::Request::builder()
                .uri("/x")
                .header("host", "a b")
                .body(())
                .unwrap(),
        );
        let err = fill_request(&mut req, &p, &H1Config::default()).unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let p = parts(
            http::Request::builder()
                .uri("https://[::1]:8443/x")
                .body(())
                .unwrap(),
        );
        fill_request(&mut req, &p, &H1Config::default()).unwrap();
        assert_eq!(req.headers().get_str("Host"), Some("[::1]:8443"));
    }

    #[test]
    fn a_path_without_its_leading_slash_is_refused() {
        // Found by the `h2_request` fuzz target: `:path` `?@` left the request path empty.
        let p = parts(http::Request::builder().uri("s://-?@").body(()).unwrap());
        assert_eq!(p.uri.path_and_query().map(|pq| pq.as_str()), Some("?@"));
        let mut req = Request::default();
        let e = fill_request(&mut req, &p, &H1Config::default()).unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let star = parts(
            http::Request::builder()
                .method("OPTIONS")
                .uri("*")
                .body(())
                .unwrap(),
        );
        fill_request(&mut req, &star, &H1Config::default()).unwrap();
        assert_eq!(req.path(), "*");
    }

    #[test]
    fn trailers_land_in_the_request() {
        let mut req = Request::default();
        let mut t = HeaderMap::new();
        t.insert("x-checksum", "abc".parse().unwrap());
        fill_trailers(&mut req, &t);
        assert_eq!(req.trailers().get_str("X-Checksum"), Some("abc"));
    }
}
