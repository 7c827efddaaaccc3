//! Inputs the fuzz targets (`fuzz/`) once failed on, replayed on stable in `cargo test`. Each
//! test names its target and what went wrong; the fix is in the module named there.

use bytes::BytesMut;
use khz::__bench::{ChunkedDecoder, H1Config, LinkBuffer, Progress};
use khz::protocol::Request;

/// `chunked` (seed `seed-simple`): a body fed in pieces, each in a node of its own, hung the
/// decoder. `LinkBuffer::extend_in_new_node` linked the new node behind the empty node that
/// `skip` keeps, so `front()` was empty while bytes were buffered and the decoder's data
/// state looped without progress (fixed in `transport/buffer.rs`).
#[test]
fn chunked_body_in_separate_nodes_decodes() {
    let cfg = H1Config::default();
    let mut dec = ChunkedDecoder::new(1024);
    let mut buf = LinkBuffer::new();
    let mut out = BytesMut::new();
    let mut req = Request::default();
    let mut pieces: &[&[u8]] = &[b"3\r\n", b"abc\r\n", b"0\r\n\r\n"];
    for _ in 0..8 {
        match dec.decode(&mut buf, &mut out, &mut req, &cfg).unwrap() {
            Progress::Done => break,
            Progress::NeedMore(_) => {
                let (first, rest) = pieces.split_first().expect("decoder wants more than sent");
                buf.extend_in_new_node(first);
                pieces = rest;
            }
        }
    }
    assert_eq!(&out[..], b"abc");
    assert!(pieces.is_empty() && buf.is_empty());
}

/// `link_buffer`: the front node is never empty while bytes are buffered, whichever way the
/// bytes were appended.
#[test]
fn front_is_never_empty_while_bytes_are_buffered() {
    let mut buf = LinkBuffer::new();
    buf.extend_in_new_node(b"ab");
    buf.skip(2); // keeps the (now empty) only node
    buf.extend_in_new_node(b"");
    buf.extend_in_new_node(b"cd");
    assert_eq!(buf.front(), b"cd");
    buf.skip(2);
    buf.extend_from_slice(b"ef");
    assert_eq!(buf.front(), b"ef");
}

/// `chunked` (seed `seed-empty-size-lf-trailer`): an empty chunk-size line (`\r\n`, ` \r\n`,
/// `;x\r\n`) was read as the last chunk by `httparse::parse_chunk_size`, and a bare `\n` then
/// ended the trailers, so `\r\n\n` passed for a complete body. RFC 9112 wants
/// `chunk-size = 1*HEXDIG`: each is a 400 now (`protocol/http1/chunk_line.rs`).
#[test]
fn an_empty_chunk_size_line_is_refused() {
    let cfg = H1Config::default();
    for body in [&b"\r\n\n"[..], b" \r\n\r\n", b";x\r\n\r\n", b"\r\n\r\n"] {
        let mut dec = ChunkedDecoder::new(1024);
        let mut buf = LinkBuffer::new();
        buf.extend_from_slice(body);
        let mut out = BytesMut::new();
        let mut req = Request::default();
        let err = dec
            .decode(&mut buf, &mut out, &mut req, &cfg)
            .expect_err("an empty chunk size must be refused");
        assert_eq!(err.status(), http::StatusCode::BAD_REQUEST, "{body:?}");
    }
}
