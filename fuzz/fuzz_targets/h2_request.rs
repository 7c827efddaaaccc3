//! The HTTP/2 head → `Request` conversion (`fill_request`) from arbitrary `http::request::Parts`
//! (method, URI and fields built from the input, as `h2` would hand them over). Properties: no
//! panic; within the limits, the request reads back the method, target, path, query and every
//! field it was given, and `Host` comes from `:authority` when no `host` field was sent.
#![no_main]

use arbitrary::Arbitrary;
use http::header::{HeaderName, HeaderValue};
use http::{Method, Uri};
use khz::__bench::{fill_request, H1Config};
use khz::protocol::Request;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: &'a [u8],
    uri: &'a [u8],
    fields: Vec<(&'a [u8], &'a [u8])>,
    tiny: bool,
}

fuzz_target!(|input: Input<'_>| {
    let Ok(method) = Method::from_bytes(input.method) else {
        return;
    };
    let Ok(uri) = Uri::try_from(input.uri) else {
        return;
    };
    let mut builder = http::Request::builder()
        .method(method.clone())
        .uri(uri.clone());
    let mut sent = Vec::new();
    for (n, v) in input.fields.iter().take(64) {
        let (Ok(n), Ok(v)) = (HeaderName::from_bytes(n), HeaderValue::from_bytes(v)) else {
            continue;
        };
        sent.push((n.clone(), v.clone()));
        builder = builder.header(n, v);
    }
    let Ok(req) = builder.body(()) else {
        return;
    };
    let (parts, ()) = req.into_parts();
    let cfg = if input.tiny {
        H1Config {
            max_uri_len: 8,
            max_headers: 2,
            ..H1Config::default()
        }
    } else {
        H1Config::default()
    };
    let mut out = Request::default();
    if fill_request(&mut out, &parts, &cfg).is_err() {
        return;
    }
    assert_eq!(out.method(), &method);
    let target = out.uri();
    assert!(target.len() <= cfg.max_uri_len);
    if let Some(pq) = uri.path_and_query() {
        assert_eq!(target, pq.as_str());
        assert_eq!(out.path(), pq.path());
        assert_eq!(out.query_string(), pq.query());
    }
    let headers = out.headers();
    assert!(headers.len() <= cfg.max_headers);
    for (n, v) in &sent {
        assert!(
            headers.get_all(n.as_str()).any(|got| got == v.as_bytes()),
            "field {n}: {v:?} lost"
        );
    }
    if let Some(a) = uri.authority() {
        if !sent.iter().any(|(n, _)| n == http::header::HOST) {
            assert_eq!(headers.get("host"), Some(a.as_str().as_bytes()));
        }
    }
    let _ = (
        out.content_length(),
        out.expects_continue(),
        out.keep_alive(),
    );
});
