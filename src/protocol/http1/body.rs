//! Decoding a chunked request body (RFC 9112 §7.1), trailers included, as a sans-I/O state
//! machine over the linked buffer. The connection driver (and the streamed-body pump) feeds
//! it: it decodes what is buffered and says how many more bytes it would like; the driver reads
//! and calls again. Chunk-size lines (`chunk_line.rs`: the RFC grammar, extensions included,
//! CRLF only), the CRLF after each chunk and the trailer section (field-line grammar, CRLF only,
//! the header limits) are checked strictly (400 on violation, and the connection closes); the
//! extensions of a body together may take at most [`MAX_CHUNK_EXT_BYTES`]; the running total is
//! checked against the body limit as chunk sizes arrive (413 before the oversized data is read).

use bytes::BytesMut;

use super::chunk_line::parse_chunk_line;
use super::config::H1Config;
use super::error;
use super::parse::parse_trailers;
use crate::protocol::rejection::Rejection;
use crate::protocol::request::Request;
use crate::transport::LinkBuffer;

/// Longest chunk-size line accepted (size + extensions).
const MAX_CHUNK_LINE: usize = 4096;
/// Most chunk-extension bytes (everything between the chunk sizes and their CRLFs) accepted in
/// one body, all chunks together. More → 400 "chunk extensions too long". Extensions carry
/// nothing khz uses; the bound keeps a peer from making the server parse an endless stream of
/// them around one-byte chunks.
pub const MAX_CHUNK_EXT_BYTES: usize = 4096;
/// Largest read hint while copying chunk data (the data is copied out anyway).
const MAX_READ_HINT: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// What the decoder needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The body and its trailers are complete.
    Done,
    /// More input is needed; the value is a hint of how many bytes would help.
    NeedMore(usize),
}

/// Chunked body decoder.
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: State,
    total: u64,
    max: u64,
    ext_bytes: usize,
}

impl ChunkedDecoder {
    /// A decoder enforcing `max_body` bytes of decoded data.
    pub fn new(max_body: usize) -> Self {
        ChunkedDecoder {
            state: State::Size,
            total: 0,
            max: max_body as u64,
            ext_bytes: 0,
        }
    }

    /// Decodes what `buf` holds, appending data to `out` and storing trailers in `req`.
    pub fn decode(
        &mut self,
        buf: &mut LinkBuffer,
        out: &mut BytesMut,
        req: &mut Request,
        cfg: &H1Config,
    ) -> Result<Progress, Rejection> {
        loop {
            match self.state {
                State::Done => return Ok(Progress::Done),
                State::Size => {
                    let front = buf.front();
                    let budget = MAX_CHUNK_EXT_BYTES - self.ext_bytes;
                    match parse_chunk_line(front, budget)? {
                        Some(line) => {
                            buf.skip(line.used);
                            self.ext_bytes += line.ext_len;
                            if line.size == 0 {
                                self.state = State::Trailers;
                            } else {
                                self.total = self.total.saturating_add(line.size);
                                if self.total > self.max {
                                    return Err(error::BODY_TOO_LARGE);
                                }
                                self.state = State::Data(line.size);
                            }
                        }
                        None if front.len() > MAX_CHUNK_LINE => {
                            return Err(Rejection::bad_request("chunk size line too long"))
                        }
                        None if buf.len() > front.len() => {
                            // The line continues in the next node: merge (bounded) and retry.
                            buf.make_contiguous(MAX_CHUNK_LINE + 2);
                        }
                        None => return Ok(Progress::NeedMore(0)),
                    }
                }
                State::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Progress::NeedMore(
                            usize::try_from(left)
                                .unwrap_or(usize::MAX)
                                .min(MAX_READ_HINT),
                        ));
                    }
                    let front = buf.front();
                    let take = front.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    out.extend_from_slice(&front[..take]);
                    buf.skip(take);
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd => match buf.peek(2) {
                    None => return Ok(Progress::NeedMore(2)),
                    Some(b"\r\n") => {
                        buf.skip(2);
                        self.state = State::Size;
                    }
                    Some(_) => return Err(Rejection::bad_request("missing CRLF after chunk data")),
                },
                State::Trailers => {
                    // Trailers are rare and short: make the whole section contiguous.
                    buf.make_contiguous(cfg.max_header_bytes + 2);
                    let front = buf.front();
                    if front.starts_with(b"\r\n") {
                        buf.skip(2);
                        self.state = State::Done;
                        continue;
                    }
                    if front.first() == Some(&b'\n') {
                        // The section's end as a bare LF: waiting for more would hang.
                        return Err(Rejection::bad_request("trailer line not ended by CRLF"));
                    }
                    if front.len() < 2 {
                        return Ok(Progress::NeedMore(0));
                    }
                    match parse_trailers(front, cfg, &mut req.trailers)? {
                        Some(n) => {
                            req.trailer_block = buf.split_to(n);
                            self.state = State::Done;
                        }
                        None => return Ok(Progress::NeedMore(0)),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "body_props.rs"]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], max: usize) -> Result<(Vec<u8>, Request, usize), Rejection> {
        let cfg = H1Config::default();
        let mut req = Request::default();
        let mut dec = ChunkedDecoder::new(max);
        let mut out = BytesMut::new();
        let mut buf = LinkBuffer::new();
        // Feed one byte at a time to exercise every partial state.
        for (i, b) in input.iter().enumerate() {
            buf.extend_from_slice(&[*b]);
            if dec.decode(&mut buf, &mut out, &mut req, &cfg)? == Progress::Done {
                return Ok((out.to_vec(), req, input.len() - i - 1 + buf.len()));
            }
        }
        Err(Rejection::bad_request("incomplete"))
    }

    #[test]
    fn decodes_chunks_byte_by_byte() {
        let (body, _, rest) =
            decode_all(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\nNEXT", 100).unwrap();
        assert_eq!(body, b"hello world");
        assert_eq!(rest, 4);
    }

    #[test]
    fn reads_trailers() {
        let (body, req, _) = decode_all(
            b"3\r\nabc\r\n0\r\nX-Checksum: 42\r\nX-Other: y\r\n\r\n",
            100,
        )
        .unwrap();
        assert_eq!(body, b"abc");
        assert_eq!(req.trailers().get("x-checksum"), Some(&b"42"[..]));
        assert_eq!(req.trailers().len(), 2);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            decode_all(b"zz\r\n", 100).unwrap_err().reason(),
            "invalid chunk size"
        );
        assert_eq!(
            decode_all(b"3\r\nabcX\r\n0\r\n\r\n", 100)
                .unwrap_err()
                .reason(),
            "missing CRLF after chunk data"
        );
        assert_eq!(
            decode_all(b"0\r\nbad trailer\r\n\r\n", 100)
                .unwrap_err()
                .reason(),
            "invalid trailer section"
        );
    }

    #[test]
    fn smuggling_shapes_are_refused_as_soon_as_buffered() {
        for (input, reason) in [
            (&b"2;\nxx\r\n45\r\n0\r\n\r\n"[..], "invalid chunk extension"),
            (
                b"3;x\nabc\r\n0\r\n\r\n",
                "chunk size line not ended by CRLF",
            ),
            (b"3;\x00\r\nabc\r\n0\r\n\r\n", "invalid chunk extension"),
            (
                b"3;a=\"x\r\nabc\r\n0\r\n\r\n",
                "unterminated quoted-string in chunk extension",
            ),
            (b"0\r\nX: y\n\r\n", "trailer line not ended by CRLF"),
            (b"0\r\n\n", "trailer line not ended by CRLF"),
            (b"0\r\nX: y\nZ: w\r\n\r\n", "trailer line not ended by CRLF"),
            (b"0\n\r\n", "chunk size line not ended by CRLF"),
        ] {
            let err = decode_all(input, 100).unwrap_err();
            assert_eq!(err.reason(), reason, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn extension_bytes_are_bounded_per_body() {
        let ext = format!(";n={}", "v".repeat(1000));
        let mut body = String::new();
        for _ in 0..4 {
            body.push_str(&format!("1{ext}\r\nx\r\n"));
        }
        let ok = format!("{body}0\r\n\r\n");
        assert_eq!(decode_all(ok.as_bytes(), 100).unwrap().0, b"xxxx");
        let over = format!("{body}1{ext}\r\nx\r\n0\r\n\r\n");
        assert_eq!(
            decode_all(over.as_bytes(), 100).unwrap_err().reason(),
            "chunk extensions too long"
        );
    }

    #[test]
    fn enforces_limit_before_reading_data() {
        let err = decode_all(b"ffff\r\n", 100).unwrap_err();
        assert_eq!(err.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn chunk_size_line_straddling_nodes_is_merged() {
        let cfg = H1Config::default();
        let mut req = Request::default();
        let mut dec = ChunkedDecoder::new(100);
        let mut out = BytesMut::new();
        let mut buf = LinkBuffer::new();
        buf.extend_in_new_node(b"1");
        buf.extend_in_new_node(b"0\r\n0123456789abcdef\r\n0\r\n\r\n");
        assert_eq!(
            dec.decode(&mut buf, &mut out, &mut req, &cfg).unwrap(),
            Progress::Done
        );
        assert_eq!(&out[..], b"0123456789abcdef");
        assert!(buf.is_empty());
    }
}
