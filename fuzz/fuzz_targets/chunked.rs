//! Arbitrary bytes as a chunked body, fed to `ChunkedDecoder` through a `LinkBuffer` in random
//! splits (the split points come from the input's first bytes), in a bounded number of steps.
//! Properties: no panic, no hang, never more data than `max_body`, and the outcome (data,
//! error, or "needs more") is the same whether the body arrives whole or in pieces.
#![no_main]

use bytes::BytesMut;
use khz::__bench::{ChunkedDecoder, H1Config, LinkBuffer, Progress};
use khz::protocol::Request;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq)]
enum Outcome {
    /// Decoded data and how many input bytes the body took (what follows is the next request).
    Done(Vec<u8>, usize),
    Rejected,
    /// All input consumed, the decoder still wants more.
    Incomplete,
}

fn decode(pieces: &[&[u8]], new_nodes: bool, cfg: &H1Config, max: usize) -> Outcome {
    let mut dec = ChunkedDecoder::new(max);
    let mut buf = LinkBuffer::new();
    let mut out = BytesMut::new();
    let mut req = Request::default();
    let mut next = 0;
    let mut fed = 0;
    // Each call either finishes, fails, or asks for more input: pieces + 1 calls suffice.
    for _ in 0..=pieces.len() {
        match dec.decode(&mut buf, &mut out, &mut req, cfg) {
            Ok(Progress::Done) => {
                assert!(out.len() <= max);
                return Outcome::Done(out.to_vec(), fed - buf.len());
            }
            Err(_) => return Outcome::Rejected,
            Ok(Progress::NeedMore(_)) => {
                assert!(out.len() <= max);
                let Some(piece) = pieces.get(next) else {
                    return Outcome::Incomplete;
                };
                next += 1;
                fed += piece.len();
                if new_nodes {
                    buf.extend_in_new_node(piece);
                } else {
                    buf.extend_from_slice(piece);
                }
            }
        }
    }
    Outcome::Incomplete
}

fuzz_target!(|data: &[u8]| {
    // [n_cuts][cut bytes…][max_body: 2 bytes][body]
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 16);
    if rest.len() < n + 2 {
        return;
    }
    let (cuts, rest) = rest.split_at(n);
    let max = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
    let body = &rest[2..];
    let mut pieces = Vec::new();
    let mut at = 0;
    for &c in cuts {
        let end = (at + usize::from(c)).min(body.len());
        pieces.push(&body[at..end]);
        at = end;
    }
    pieces.push(&body[at..]);

    let cfg = H1Config {
        max_header_bytes: 256,
        max_headers: 8,
        ..H1Config::default()
    };
    let whole = decode(&[body], false, &cfg, max);
    let split = decode(&pieces, true, &cfg, max);
    let appended = decode(&pieces, false, &cfg, max);
    assert_eq!(whole, split, "whole vs split into nodes {pieces:?}");
    assert_eq!(whole, appended, "whole vs appended {pieces:?}");
});
