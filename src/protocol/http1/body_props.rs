//! Property tests of the chunked decoder (part of the default `cargo test`, the stable-toolchain
//! guard of issue 11 beside the fuzz targets): random valid chunked encodings — random chunk
//! sizes written with random case and leading zeros, random valid extensions (BWS, tokens,
//! quoted-strings with quoted-pairs), random trailers — fed at random split points, some into
//! nodes of their own, decode to the same body and trailers and leave the bytes after them in
//! the buffer; a bare LF, NUL or bare CR inserted into a size line, or a trailer line ended by a
//! bare LF, is always refused; arbitrary bytes never panic. The generator writes the grammar
//! out independently of `chunk_line.rs`, from RFC 9112 §7.1 and RFC 9110 §5.6.

use bytes::BytesMut;
use proptest::prelude::*;

use super::{ChunkedDecoder, Progress};
use crate::protocol::http1::config::H1Config;
use crate::protocol::rejection::Rejection;
use crate::protocol::request::Request;
use crate::transport::LinkBuffer;

const TOKEN: &str = "[-!#$%&'*+.^_`|~0-9A-Za-z]{1,8}";
const BWS: &str = "[ \t]{0,2}";

/// A quoted-string: qdtext as is, `"` and `\` escaped, other bytes escaped when a quoted-pair
/// allows them, dropped otherwise (controls).
fn quoted_string() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..12).prop_map(|raw| {
        let mut q = vec![b'"'];
        for b in raw {
            match b {
                b'"' | b'\\' => q.extend_from_slice(&[b'\\', b]),
                b'\t' | b' '..=b'~' | 0x80..=0xFF => q.push(b),
                _ => {}
            }
        }
        q.push(b'"');
        q
    })
}

/// `BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ]`.
fn extension() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![TOKEN.prop_map(String::into_bytes), quoted_string()];
    (BWS, BWS, TOKEN, prop::option::of((BWS, BWS, value))).prop_map(|(b1, b2, name, value)| {
        let mut e = b1.into_bytes();
        e.push(b';');
        e.extend_from_slice(b2.as_bytes());
        e.extend_from_slice(name.as_bytes());
        if let Some((b3, b4, v)) = value {
            e.extend_from_slice(b3.as_bytes());
            e.push(b'=');
            e.extend_from_slice(b4.as_bytes());
            e.extend_from_slice(&v);
        }
        e
    })
}

/// A size line: the size in hex (random case, leading zeros), extensions, CRLF.
fn size_line(size: usize) -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        0usize..3,
        prop::collection::vec(extension(), 0..3),
    )
        .prop_map(move |(upper, zeros, exts)| {
            let hex = if upper {
                format!("{size:X}")
            } else {
                format!("{size:x}")
            };
            let mut line = "0".repeat(zeros).into_bytes();
            line.extend_from_slice(hex.as_bytes());
            for e in exts {
                line.extend_from_slice(&e);
            }
            line.extend_from_slice(b"\r\n");
            line
        })
}

/// A chunk: its size line and data.
fn chunk() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    prop::collection::vec(any::<u8>(), 1..200)
        .prop_flat_map(|data| (size_line(data.len()), Just(data)))
}

/// One valid chunked body: (encoding, body, trailers, offsets of every size line).
#[derive(Debug, Clone)]
struct Encoded {
    wire: Vec<u8>,
    body: Vec<u8>,
    trailers: Vec<(String, String)>,
    /// `(start, end)` of each size line's text before its CRLF.
    lines: Vec<(usize, usize)>,
    /// Where the trailer section starts.
    trailers_at: usize,
}

fn encoded() -> impl Strategy<Value = Encoded> {
    (
        prop::collection::vec(chunk(), 0..12),
        size_line(0),
        prop::collection::vec((TOKEN, "[!-~]{0,10}"), 0..4),
    )
        .prop_map(|(chunks, last, trailers)| {
            let mut e = Encoded {
                wire: Vec::new(),
                body: Vec::new(),
                trailers,
                lines: Vec::new(),
                trailers_at: 0,
            };
            for (line, data) in chunks {
                let start = e.wire.len();
                e.wire.extend_from_slice(&line);
                e.lines.push((start, e.wire.len() - 2));
                e.wire.extend_from_slice(&data);
                e.wire.extend_from_slice(b"\r\n");
                e.body.extend_from_slice(&data);
            }
            let start = e.wire.len();
            e.wire.extend_from_slice(&last);
            e.lines.push((start, e.wire.len() - 2));
            e.trailers_at = e.wire.len();
            for (name, value) in &e.trailers {
                e.wire
                    .extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            }
            e.wire.extend_from_slice(b"\r\n");
            e
        })
}

/// What feeding the whole input gave.
#[derive(Debug)]
enum Outcome {
    Done {
        body: Vec<u8>,
        req: Box<Request>,
        left: Vec<u8>,
        /// Whether it finished before the last piece was fed.
        early: bool,
    },
    Rejected(Rejection),
    Incomplete,
}

/// Feeds `input` cut at `cuts` (indexes, any order), every other piece into a node of its own,
/// calling the decoder once per piece: a bounded loop, so a decoder that stalls shows up as
/// `Incomplete`, never as a hung test.
fn feed(input: &[u8], cuts: &[usize], max_body: usize) -> Outcome {
    let cfg = H1Config::default();
    let mut req = Request::default();
    let mut dec = ChunkedDecoder::new(max_body);
    let mut out = BytesMut::new();
    let mut buf = LinkBuffer::new();
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.push(input.len());
    points.sort_unstable();
    points.dedup();
    let mut from = 0;
    for (i, &to) in points.iter().enumerate() {
        // A node of its own only behind buffered bytes: `extend_in_new_node` behind the empty
        // node a drained buffer keeps would leave an empty front before readable bytes, a
        // state real reads never produce (`link_node` replaces an empty tail).
        if i % 2 == 0 || buf.is_empty() {
            buf.extend_from_slice(&input[from..to]);
        } else if to > from {
            buf.extend_in_new_node(&input[from..to]);
        }
        from = to;
        match dec.decode(&mut buf, &mut out, &mut req, &cfg) {
            Ok(Progress::Done) => {
                let mut left = Vec::new();
                while !buf.is_empty() {
                    let n = buf.front().len();
                    left.extend_from_slice(buf.front());
                    buf.skip(n);
                }
                left.extend_from_slice(&input[to..]);
                return Outcome::Done {
                    body: out.to_vec(),
                    req: Box::new(req),
                    left,
                    early: to < input.len(),
                };
            }
            Ok(Progress::NeedMore(_)) => {}
            Err(e) => return Outcome::Rejected(e),
        }
    }
    Outcome::Incomplete
}

fn fail(wire: &[u8], got: &Outcome) -> TestCaseError {
    TestCaseError::fail(format!("{:?}: {got:?}", String::from_utf8_lossy(wire)))
}

const TAIL: &[u8] = b"GET / HTTP/1.1\r\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_encodings_decode_to_the_body(
        e in encoded(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let wire = [&e.wire[..], TAIL].concat();
        match feed(&wire, &cuts, usize::MAX) {
            Outcome::Done { body, req, left, .. } => {
                prop_assert_eq!(&body, &e.body);
                prop_assert_eq!(left, TAIL.to_vec());
                let got: Vec<(String, String)> = req
                    .trailers()
                    .iter()
                    .map(|(n, v)| (n.to_owned(), String::from_utf8_lossy(v).into_owned()))
                    .collect();
                prop_assert_eq!(&got, &e.trailers);
            }
            other => return Err(fail(&e.wire, &other)),
        }
        // Without bytes after it, the body completes with its last byte, not before.
        match feed(&e.wire, &cuts, e.body.len()) {
            Outcome::Done { early, left, .. } => prop_assert!(!early && left.is_empty()),
            other => return Err(fail(&e.wire, &other)),
        }
    }

    #[test]
    fn a_bad_byte_in_a_size_line_is_refused(
        e in encoded(),
        line in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        bad in prop::sample::select(vec![b'\n', b'\0', b'\r', 0x01, 0x7f]),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let (start, end) = e.lines[line.index(e.lines.len())];
        let pos = start + at.index(end - start + 1);
        let mut wire = e.wire.clone();
        wire.insert(pos, bad);
        match feed(&wire, &cuts, usize::MAX) {
            Outcome::Rejected(r) => prop_assert_eq!(r.status(), http::StatusCode::BAD_REQUEST),
            other => return Err(fail(&wire, &other)),
        }
    }

    #[test]
    fn a_trailer_line_ended_by_a_bare_lf_is_refused(
        e in encoded(),
        which in any::<prop::sample::Index>(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        // Every CRLF of the trailer section, the empty last line included.
        let crs: Vec<usize> = (e.trailers_at..e.wire.len())
            .filter(|&i| e.wire[i] == b'\r')
            .collect();
        let mut wire = e.wire.clone();
        wire.remove(crs[which.index(crs.len())]);
        let wire = [&wire[..], TAIL].concat();
        match feed(&wire, &cuts, usize::MAX) {
            Outcome::Rejected(r) => prop_assert_eq!(r.status(), http::StatusCode::BAD_REQUEST),
            other => return Err(fail(&wire, &other)),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        input in prop::collection::vec(any::<u8>(), 0..600),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        max_body in 0usize..1000,
    ) {
        if let Outcome::Done { body, .. } = feed(&input, &cuts, max_body) {
            prop_assert!(body.len() <= max_body);
        }
    }

    #[test]
    fn mostly_valid_bytes_never_panic(
        e in encoded(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut wire = e.wire.clone();
        for (at, b) in edits {
            let i = at.index(wire.len());
            wire[i] = b;
        }
        let _ = feed(&wire, &cuts, 1 << 20);
    }
}
