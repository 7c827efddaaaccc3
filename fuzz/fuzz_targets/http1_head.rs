//! Arbitrary bytes into the HTTP/1.1 head parser, with the default limits and with tiny ones.
//! Properties: no panic; a complete head is no longer than the input, parses again the same from
//! exactly its own bytes, and every accessor of the parsed request stays inside the head.
#![no_main]

use bytes::Bytes;
use khz::__bench::{attach_head, parse_head, H1Config};
use khz::protocol::Request;
use libfuzzer_sys::fuzz_target;

fn check(data: &[u8], cfg: &H1Config) {
    let mut req = Request::default();
    let Ok(Some(n)) = parse_head(data, cfg, &mut req) else {
        return;
    };
    assert!(
        n <= data.len(),
        "head length {n} beyond input {}",
        data.len()
    );
    assert!(
        n <= cfg.max_header_bytes,
        "head of {n} bytes over the limit"
    );
    // The head alone parses to the same length.
    let mut again = Request::default();
    assert_eq!(parse_head(&data[..n], cfg, &mut again).ok(), Some(Some(n)));
    attach_head(&mut req, Bytes::copy_from_slice(&data[..n]));
    let _ = req.method();
    let uri = req.uri();
    assert!(uri.len() <= cfg.max_uri_len);
    let path = req.path();
    assert!(
        uri.starts_with(path) || uri.contains(path),
        "path {path:?} not in {uri:?}"
    );
    let _ = req.query_string();
    assert!(req.headers().len() <= cfg.max_headers.max(1));
    for (name, value) in req.headers().iter() {
        let _ = (name.len(), value.len());
    }
    let _ = (req.content_length(), req.is_chunked(), req.keep_alive());
    let _ = req.expects_continue();
}

fuzz_target!(|data: &[u8]| {
    check(data, &H1Config::default());
    let tiny = H1Config {
        max_header_bytes: 64,
        max_headers: 2,
        max_uri_len: 8,
        ..H1Config::default()
    };
    check(data, &tiny);
});
