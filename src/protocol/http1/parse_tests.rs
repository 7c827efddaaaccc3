//! Unit tests of the head parser: request forms, framing rules, limits and status mapping.

use super::*;
use http::StatusCode;

fn cfg() -> H1Config {
    H1Config::default()
}

fn parse(input: &[u8]) -> Result<Option<(usize, Request)>, Rejection> {
    let mut req = Request::default();
    let n = parse_head(input, &cfg(), &mut req)?;
    Ok(n.map(|n| {
        req.head = bytes::Bytes::copy_from_slice(&input[..n]);
        (n, req)
    }))
}

fn status_of(input: &[u8]) -> StatusCode {
    match parse(input) {
        Err(e) => e.status(),
        Ok(Some(_)) => StatusCode::OK,
        Ok(None) => StatusCode::CONTINUE,
    }
}

#[test]
fn parses_origin_form_with_query_and_headers() {
    let raw = b"GET /users/7?x=1&y=2 HTTP/1.1\r\nHost: a\r\nX-Trace: abc\r\n\r\nNEXT";
    let (n, req) = parse(raw).unwrap().unwrap();
    assert_eq!(n, raw.len() - 4);
    assert_eq!(req.method(), Method::GET);
    assert_eq!(req.version(), Version::HTTP_11);
    assert_eq!(req.uri(), "/users/7?x=1&y=2");
    assert_eq!(req.path(), "/users/7");
    assert_eq!(req.query_string(), Some("x=1&y=2"));
    assert_eq!(req.header("x-trace"), Some(&b"abc"[..]));
    assert_eq!(req.header("X-TRACE"), Some(&b"abc"[..]));
    assert!(req.keep_alive());
}

#[test]
fn header_values_are_views_into_the_head() {
    let raw = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    let (_, req) = parse(raw).unwrap().unwrap();
    let host = req.header("host").unwrap();
    let head = req.raw_head();
    let start = host.as_ptr() as usize - head.as_ptr() as usize;
    assert_eq!(&head[start..start + host.len()], b"example.com");
}

#[test]
fn absolute_and_asterisk_forms() {
    let (_, req) = parse(b"GET http://example.com/a/b?q HTTP/1.1\r\nHost: example.com\r\n\r\n")
        .unwrap()
        .unwrap();
    assert_eq!(req.path(), "/a/b");
    assert_eq!(req.query_string(), Some("q"));
    let (_, req) = parse(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap()
        .unwrap();
    assert_eq!(req.path(), "*");
    assert_eq!(
        status_of(b"GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status_of(b"GET users HTTP/1.1\r\nHost: a\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
    // An absolute-form target without a path stands for `/` (RFC 9110 §4.2.3).
    for (target, query) in [("http://host", None), ("http://host:8080?q=1", Some("q=1"))] {
        let head = format!("GET {target} HTTP/1.1\r\nHost: host\r\n\r\n");
        let (_, req) = parse(head.as_bytes()).unwrap().unwrap();
        assert_eq!(
            (req.uri(), req.path(), req.query_string()),
            (target, "/", query)
        );
    }
    assert_eq!(
        status_of(b"GET http://?q HTTP/1.1\r\nHost: a\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status_of(b"GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn partial_heads_ask_for_more() {
    assert_eq!(
        status_of(b"GET / HTTP/1.1\r\nHost: a\r\n"),
        StatusCode::CONTINUE
    );
    assert_eq!(status_of(b"GE"), StatusCode::CONTINUE);
    assert_eq!(status_of(b""), StatusCode::CONTINUE);
}

#[test]
fn keep_alive_rules() {
    let ka = |raw: &[u8]| parse(raw).unwrap().unwrap().1.keep_alive();
    assert!(ka(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert!(!ka(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    ));
    assert!(!ka(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Close\r\n\r\n"
    ));
    assert!(!ka(b"GET / HTTP/1.0\r\n\r\n"));
    assert!(ka(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

#[test]
fn framing_rules() {
    let (_, req) = parse(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
        .unwrap()
        .unwrap();
    assert_eq!(req.content_length(), Some(5));
    let (_, req) = parse(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t5 \r\n\r\n")
        .unwrap()
        .unwrap();
    assert_eq!(req.content_length(), Some(5));
    let (_, req) = parse(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n")
        .unwrap()
        .unwrap();
    assert!(req.is_chunked());

    let bad = [
        &b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    ];
    for raw in bad {
        assert_eq!(
            status_of(raw),
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
    assert_eq!(
        status_of(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
        StatusCode::NOT_IMPLEMENTED
    );
}

#[test]
fn host_rules() {
    assert_eq!(
        status_of(b"GET / HTTP/1.1\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status_of(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(status_of(b"GET / HTTP/1.0\r\n\r\n"), StatusCode::OK);
}

#[test]
fn host_must_be_host_and_port() {
    let reason = |raw: &[u8]| parse(raw).err().map(|e| e.reason());
    for good in ["a", "a:80", "[::1]:80", "", "10.0.0.1:8080"] {
        let raw = format!("GET / HTTP/1.1\r\nHost: {good}\r\n\r\n");
        assert_eq!(reason(raw.as_bytes()), None, "{good:?}");
    }
    for bad in ["a b", "a:b", "user@h", "[::1", "a:80:80", "h/x"] {
        let raw = format!("GET / HTTP/1.1\r\nHost: {bad}\r\n\r\n");
        assert_eq!(reason(raw.as_bytes()), Some("invalid Host"), "{bad:?}");
        let raw = format!("GET / HTTP/1.0\r\nHost: {bad}\r\n\r\n");
        assert_eq!(reason(raw.as_bytes()), Some("invalid Host"), "1.0 {bad:?}");
    }
    for bad in [
        "http://user@h/",
        "http:///x",
        "http://a:b/",
        "https://[::1/",
    ] {
        let raw = format!("GET {bad} HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(reason(raw.as_bytes()), Some("invalid Host"), "{bad:?}");
    }
    assert_eq!(
        reason(b"GET http://[::1]:8080/x HTTP/1.1\r\nHost: a\r\n\r\n"),
        None
    );
}

#[test]
fn trailers_need_crlf_and_respect_the_header_limits() {
    let cfg = H1Config {
        max_headers: 2,
        max_header_bytes: 64,
        ..H1Config::default()
    };
    let run = |raw: &[u8]| parse_trailers(raw, &cfg, &mut Vec::new());
    assert_eq!(run(b"X: y\r\n\r\nNEXT"), Ok(Some(8)));
    assert_eq!(run(b"X: y\r\n"), Ok(None));
    for raw in [&b"X: y\n\r\n"[..], b"X: y\r\n\n", b"\n", b"X: y\nZ"] {
        assert_eq!(
            run(raw).unwrap_err().reason(),
            "trailer line not ended by CRLF",
            "{:?}",
            String::from_utf8_lossy(raw)
        );
    }
    assert_eq!(
        run(b"A: 1\r\nB: 2\r\nC: 3\r\n\r\n").unwrap_err(),
        error::TOO_MANY_HEADERS
    );
    let long = format!("A: {}\r\n\r\n", "x".repeat(80));
    assert_eq!(run(long.as_bytes()).unwrap_err(), error::HEADERS_TOO_LARGE);
    assert_eq!(
        run(b"Bad Name: v\r\n\r\n").unwrap_err().reason(),
        "invalid trailer section"
    );
    assert_eq!(
        run(b"X: a\rb\r\n\r\n").unwrap_err().reason(),
        "invalid trailer section"
    );
}

#[test]
fn expect_rules() {
    let (_, req) =
        parse(b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
            .unwrap()
            .unwrap();
    assert!(req.expects_continue());
    assert_eq!(
        status_of(b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n"),
        StatusCode::EXPECTATION_FAILED
    );
}

#[test]
fn syntax_errors_map_to_precise_statuses() {
    assert_eq!(
        status_of(b"GET / HTTP/2.0\r\n\r\n"),
        StatusCode::HTTP_VERSION_NOT_SUPPORTED
    );
    assert_eq!(
        status_of(b"GET / HTTP/1.2\r\nHost: a\r\n\r\n"),
        StatusCode::HTTP_VERSION_NOT_SUPPORTED
    );
    assert_eq!(
        status_of(b"GET / HTTX/1.1\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status_of(b"GET  / HTTP/1.1\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status_of(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status_of(b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  folded\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status_of(b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n"),
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn limits() {
    let mut c = cfg();
    c.max_uri_len = 64;
    c.max_header_bytes = 1024;
    c.max_headers = 4;
    let check = |raw: &[u8]| {
        let mut req = Request::default();
        match parse_head(raw, &c, &mut req) {
            Ok(Some(_)) => StatusCode::OK,
            Ok(None) => StatusCode::CONTINUE,
            Err(e) => e.status(),
        }
    };
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(100));
    assert_eq!(check(long_target.as_bytes()), StatusCode::URI_TOO_LONG);
    // An endless request line is refused before the line ends.
    let endless = format!("GET /{}", "a".repeat(200));
    assert_eq!(check(endless.as_bytes()), StatusCode::URI_TOO_LONG);
    let big_header = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(2000)
    );
    assert_eq!(
        check(big_header.as_bytes()),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let endless_headers = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}", "v".repeat(2000));
    assert_eq!(
        check(endless_headers.as_bytes()),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let many = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n";
    assert_eq!(check(many), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
}

#[test]
fn reused_request_is_fully_replaced() {
    let mut req = Request::default();
    let first = b"POST /a?q HTTP/1.1\r\nHost: a\r\nX-One: 1\r\nContent-Length: 2\r\n\r\n";
    parse_head(first, &cfg(), &mut req).unwrap().unwrap();
    req.clear();
    let second = b"GET /b HTTP/1.1\r\nHost: b\r\n\r\n";
    let n = parse_head(second, &cfg(), &mut req).unwrap().unwrap();
    req.head = bytes::Bytes::copy_from_slice(&second[..n]);
    assert_eq!(req.path(), "/b");
    assert_eq!(req.query_string(), None);
    assert_eq!(req.headers().len(), 1);
    assert_eq!(req.content_length(), None);
}
