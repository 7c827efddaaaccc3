//! The chunk-size line of a chunked body, parsed exactly as RFC 9112 §7.1 writes it:
//! `chunk-size [ chunk-ext ] CRLF`, with
//! `chunk-ext = *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )`.
//!
//! Nothing else passes: a CR or LF that is not the terminating CRLF, any control character,
//! an unterminated quoted-string, a missing or bad token, junk before or after the size — each
//! is a 400 naming the fault. A lenient reading here is a request-smuggling hole: a front proxy
//! that ends the line at a bare LF frames the body differently from a server that does not.
//! The parser is called on the buffered front of the line and rejects as soon as a bad byte is
//! buffered, so a malformed line never waits for a CRLF that may not come. `body.rs` drives it
//! and bounds the extension bytes of a whole body.

use crate::protocol::rejection::Rejection;

/// A complete chunk-size line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkLine {
    /// Bytes of the line, CRLF included.
    pub used: usize,
    /// The chunk size.
    pub size: u64,
    /// Bytes of the extensions (between the size and the CRLF).
    pub ext_len: usize,
}

pub(crate) const INVALID_SIZE: Rejection = Rejection::bad_request("invalid chunk size");
pub(crate) const SIZE_OVERFLOW: Rejection = Rejection::bad_request("chunk size too large");
pub(crate) const INVALID_EXT: Rejection = Rejection::bad_request("invalid chunk extension");
pub(crate) const UNTERMINATED_QUOTE: Rejection =
    Rejection::bad_request("unterminated quoted-string in chunk extension");
pub(crate) const BAD_LINE_END: Rejection =
    Rejection::bad_request("chunk size line not ended by CRLF");
pub(crate) const EXT_TOO_LONG: Rejection = Rejection::bad_request("chunk extensions too long");

/// `tchar` of RFC 9110 §5.6.2.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `qdtext` of RFC 9110 §5.6.4: HTAB, SP, visible ASCII but `"` and `\`, obs-text.
fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

/// The second byte of a `quoted-pair`: HTAB, SP, VCHAR, obs-text.
fn is_pair_char(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21..=0x7E | 0x80..=0xFF)
}

/// Parses the chunk-size line at the start of `buf`. `Ok(None)`: every buffered byte is valid
/// so far but the line is not complete. More than `ext_budget` extension bytes →
/// "chunk extensions too long", as soon as they are buffered.
pub(crate) fn parse_chunk_line(
    buf: &[u8],
    ext_budget: usize,
) -> Result<Option<ChunkLine>, Rejection> {
    let mut size: u64 = 0;
    let mut i = 0;
    while let Some(&b) = buf.get(i) {
        let Some(d) = (b as char).to_digit(16) else {
            break;
        };
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(d)))
            .ok_or(SIZE_OVERFLOW)?;
        i += 1;
    }
    if i == buf.len() {
        return Ok(None);
    }
    if i == 0 {
        return Err(INVALID_SIZE);
    }
    let ext_start = i;
    let mut p = Scan { buf, i };
    let ext_end = match p.extensions(ext_start, ext_budget)? {
        Some(end) => end,
        None => return Ok(None),
    };
    Ok(Some(ChunkLine {
        used: ext_end + 2,
        size,
        ext_len: ext_end - ext_start,
    }))
}

/// A cursor over the extension part; every method returns `Ok(None)` when the buffer ends.
struct Scan<'a> {
    buf: &'a [u8],
    i: usize,
}

/// `Ok(None)` out of the enclosing function when the input ends.
macro_rules! more {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return Ok(None),
        }
    };
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.i).copied()
    }

    /// Skips BWS (`*( SP / HTAB )`); the byte after it.
    fn bws(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if b != b' ' && b != b'\t' {
                return Some(b);
            }
            self.i += 1;
        }
        None
    }

    /// Skips `1*tchar`; the byte after it. No tchar at all → `INVALID_EXT`.
    fn token(&mut self) -> Result<Option<u8>, Rejection> {
        let start = self.i;
        while let Some(b) = self.peek() {
            if !is_tchar(b) {
                return if self.i == start {
                    Err(INVALID_EXT)
                } else {
                    Ok(Some(b))
                };
            }
            self.i += 1;
        }
        Ok(None)
    }

    /// Skips a quoted-string starting at the `"` under the cursor; the byte after it.
    fn quoted(&mut self) -> Result<Option<u8>, Rejection> {
        self.i += 1;
        loop {
            let b = more!(self.peek());
            self.i += 1;
            match b {
                b'"' => return Ok(self.peek()),
                b'\\' => {
                    let c = more!(self.peek());
                    if !is_pair_char(c) {
                        return Err(UNTERMINATED_QUOTE);
                    }
                    self.i += 1;
                }
                b'\r' | b'\n' => return Err(UNTERMINATED_QUOTE),
                b if is_qdtext(b) => {}
                _ => return Err(INVALID_EXT),
            }
        }
    }

    /// `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] ) CRLF` from the
    /// cursor; the index of the CR.
    fn extensions(&mut self, start: usize, budget: usize) -> Result<Option<usize>, Rejection> {
        let over = |i: usize| i - start > budget;
        loop {
            let b = self.bws();
            if over(self.i) {
                return Err(EXT_TOO_LONG);
            }
            match more!(b) {
                b'\r' => {
                    let at = self.i;
                    if at != start && matches!(self.buf[at - 1], b' ' | b'\t') {
                        // BWS is allowed only before ";" or "=".
                        return Err(INVALID_EXT);
                    }
                    return match self.buf.get(at + 1) {
                        None => Ok(None),
                        Some(b'\n') => Ok(Some(at)),
                        Some(_) => Err(BAD_LINE_END),
                    };
                }
                b';' => self.i += 1,
                b'\n' => return Err(BAD_LINE_END),
                _ if self.i == start => return Err(INVALID_SIZE),
                _ => return Err(INVALID_EXT),
            }
            more!(self.bws());
            let after_name = self.token();
            if over(self.i) {
                return Err(EXT_TOO_LONG);
            }
            let mut b = more!(after_name?);
            if b == b' ' || b == b'\t' {
                b = more!(self.bws());
            }
            if b != b'=' {
                continue;
            }
            self.i += 1;
            let b = more!(self.bws());
            let after_value = if b == b'"' {
                self.quoted()
            } else {
                self.token()
            };
            if over(self.i) {
                return Err(EXT_TOO_LONG);
            }
            more!(after_value?);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[u8]) -> Result<Option<ChunkLine>, Rejection> {
        parse_chunk_line(line, 4096)
    }

    fn ok(line: &[u8]) -> (u64, usize) {
        let l = parse(line)
            .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(line)))
            .unwrap_or_else(|| panic!("{:?}: incomplete", String::from_utf8_lossy(line)));
        assert_eq!(
            l.used,
            line.len() - 4,
            "{:?}",
            String::from_utf8_lossy(line)
        );
        (l.size, l.ext_len)
    }

    fn bad(line: &[u8]) -> &'static str {
        match parse(line) {
            Err(e) => e.reason(),
            Ok(v) => panic!("{:?} accepted: {v:?}", String::from_utf8_lossy(line)),
        }
    }

    #[test]
    fn valid_lines() {
        assert_eq!(ok(b"0\r\nNEXT"), (0, 0));
        assert_eq!(ok(b"1aF\r\nNEXT"), (0x1af, 0));
        assert_eq!(ok(b"000000000000000000010\r\nNEXT"), (16, 0));
        assert_eq!(ok(b"ffffffffffffffff\r\nNEXT").0, u64::MAX);
        assert_eq!(ok(b"5;\tname\r\nNEXT"), (5, 6));
        for line in [
            &b"5;a\r\nNEXT"[..],
            b"5;a=b\r\nNEXT",
            b"5 ; a = b\r\nNEXT",
            b"5\t;\ta\t=\t\"q\"\r\nNEXT",
            b"5;a=\"\"\r\nNEXT",
            b"5;a=\"x\\\"y\"\r\nNEXT",
            b"5;a=\"x;y=z\"\r\nNEXT",
            b"5;!#$%&'*+-.^_`|~09AZaz=!#$%&'*+-.^_`|~\r\nNEXT",
            b"5;a;b=1;c=\"2\" ;d\r\nNEXT",
            b"5;a=\"\xff obs-text\"\r\nNEXT",
        ] {
            assert_eq!(ok(line).0, 5);
        }
    }

    #[test]
    fn partial_lines_wait_for_more() {
        for line in [
            &b""[..],
            b"5",
            b"5;",
            b"5;a",
            b"5;a=",
            b"5;a=\"x",
            b"5;a=\"x\\",
            b"5;a=\"x\"",
            b"5 ",
            b"5;a\r",
        ] {
            assert_eq!(parse(line), Ok(None), "{:?}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn invalid_lines() {
        assert_eq!(bad(b";a\r\n"), "invalid chunk size");
        assert_eq!(bad(b" 5\r\n"), "invalid chunk size");
        assert_eq!(bad(b"+5\r\n"), "invalid chunk size");
        assert_eq!(bad(b"5x\r\n"), "invalid chunk size");
        assert_eq!(bad(b"0x5\r\n"), "invalid chunk size");
        assert_eq!(bad(b"5 \r\n"), "invalid chunk extension");
        assert_eq!(bad(b"5;a \r\n"), "invalid chunk extension");
        assert_eq!(bad(b"1ffffffffffffffff\r\n"), "chunk size too large");
        assert_eq!(bad(b"2;\nxx\r\n"), "invalid chunk extension");
        assert_eq!(bad(b"3;x\nabc\r\n"), "chunk size line not ended by CRLF");
        assert_eq!(bad(b"3\n"), "chunk size line not ended by CRLF");
        assert_eq!(bad(b"3\rx"), "chunk size line not ended by CRLF");
        assert_eq!(bad(b"3;a\rb\r\n"), "chunk size line not ended by CRLF");
        assert_eq!(bad(b"3;\x00\r\n"), "invalid chunk extension");
        assert_eq!(bad(b"3;a\x00\r\n"), "invalid chunk extension");
        assert_eq!(bad(b"3;a=\r\n"), "invalid chunk extension");
        assert_eq!(
            bad(b"3;a=\"x\r\n"),
            "unterminated quoted-string in chunk extension"
        );
        assert_eq!(
            bad(b"3;a=\"x\\\r\n"),
            "unterminated quoted-string in chunk extension"
        );
        assert_eq!(bad(b"3;a=\"x\x01\"\r\n"), "invalid chunk extension");
        assert_eq!(bad(b"3;a=\"x\"y\r\n"), "invalid chunk extension");
        assert_eq!(bad(b"3;a=b c\r\n"), "invalid chunk extension");
        assert_eq!(bad(b"3;a@b\r\n"), "invalid chunk extension");
        assert_eq!(bad(b"3;;\r\n"), "invalid chunk extension");
        assert_eq!(bad(b"3;=b\r\n"), "invalid chunk extension");
        assert_eq!(bad(b"3;a==b\r\n"), "invalid chunk extension");
        assert_eq!(bad(b"3;a=\x7f\r\n"), "invalid chunk extension");
    }

    #[test]
    fn extension_budget_is_enforced_early() {
        let mut line = b"3;a=".to_vec();
        line.extend(std::iter::repeat_n(b'x', 100));
        assert_eq!(
            parse_chunk_line(&line, 50).unwrap_err().reason(),
            "chunk extensions too long"
        );
        line.extend_from_slice(b"\r\n");
        assert_eq!(parse_chunk_line(&line, 103).unwrap().unwrap().ext_len, 103);
        assert_eq!(
            parse_chunk_line(&line, 102).unwrap_err().reason(),
            "chunk extensions too long"
        );
    }
}
