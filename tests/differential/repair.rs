//! khz's documented leniencies, undone, so that strict llhttp can judge the rest of a request
//! khz accepted. Each rewrite turns what khz tolerates into the form both parsers accept, with
//! the meaning the RFC gives it; everything else is copied byte for byte, so a framing
//! difference anywhere survives the rewrite and llhttp still sees it:
//!
//! - a bare LF ending a head line becomes CRLF (RFC 9112 §2.2: a recipient MAY accept one;
//!   the chunked body and trailers get no such tolerance from khz, and no rewrite here);
//! - a method llhttp doesn't know becomes `GET` (RFC 9110 §9.1: any token is a method; llhttp
//!   accepts only a fixed list);
//! - a byte ≥ 0x80 in the target becomes `x` (khz routes raw UTF-8 paths, as nginx and Go do;
//!   llhttp refuses them);
//! - a tab in a `Content-Length` or `Transfer-Encoding` value becomes a space (both are OWS
//!   around the value, RFC 9110 §5.5; llhttp refuses only a trailing tab);
//! - whitespace around `;` and `=` in a chunk-size line is dropped (the BWS of RFC 9112 §7.1.1,
//!   which "a recipient MUST … remove before interpreting"; llhttp refuses it).
//!
//! The rewrite needs where khz ended the head and whether it read a chunked body; if those
//! were wrong, llhttp's verdict on the rewritten bytes shows it.

/// `input` rewritten, and how many bytes longer the rewrite made the first request.
pub struct Repaired {
    pub bytes: Vec<u8>,
    pub delta: isize,
}

pub fn repair(input: &[u8], head_len: usize, chunked: bool, methods: &[String]) -> Repaired {
    let mut out = Vec::with_capacity(input.len() + 16);
    repair_head(&input[..head_len], methods, &mut out);
    let body = &input[head_len..];
    let body_end = if chunked {
        repair_chunks(body, &mut out)
    } else {
        0
    };
    let delta = out.len() as isize - (head_len + body_end) as isize;
    out.extend_from_slice(&body[body_end..]);
    Repaired { bytes: out, delta }
}

/// Whether `method` needs rewriting to `GET` before llhttp sees it.
pub fn unknown_method(method: &str, methods: &[String]) -> bool {
    !methods.iter().any(|m| m == method)
}

/// khz's target with the same byte rewrite as the head's.
pub fn target_bytes(target: &[u8]) -> Vec<u8> {
    target
        .iter()
        .map(|&b| if b >= 0x80 { b'x' } else { b })
        .collect()
}

fn repair_head(head: &[u8], methods: &[String], out: &mut Vec<u8>) {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, &b) in head.iter().enumerate() {
        if b == b'\n' {
            let end = if i > start && head[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            lines.push(&head[start..end]);
            start = i + 1;
        }
    }
    let mut request_line_seen = false;
    for line in lines {
        if line.is_empty() {
            out.extend_from_slice(b"\r\n");
            continue;
        }
        if !request_line_seen {
            request_line_seen = true;
            repair_request_line(line, methods, out);
        } else if let Some(colon) = framing_field(line) {
            out.extend_from_slice(&line[..colon]);
            out.extend(
                line[colon..]
                    .iter()
                    .map(|&b| if b == b'\t' { b' ' } else { b }),
            );
        } else {
            out.extend_from_slice(line);
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Where the value starts in a `Content-Length` or `Transfer-Encoding` field line.
fn framing_field(line: &[u8]) -> Option<usize> {
    ["content-length:", "transfer-encoding:"]
        .iter()
        .find_map(|name| {
            let n = name.len();
            (line.len() >= n && line[..n].eq_ignore_ascii_case(name.as_bytes())).then_some(n)
        })
}

fn repair_request_line(line: &[u8], methods: &[String], out: &mut Vec<u8>) {
    let mut parts = line.splitn(2, |&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    let rest = parts.next();
    match std::str::from_utf8(method) {
        Ok(m) if unknown_method(m, methods) => out.extend_from_slice(b"GET"),
        _ => out.extend_from_slice(method),
    }
    let Some(rest) = rest else { return };
    out.push(b' ');
    let target_end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
    out.extend(target_bytes(&rest[..target_end]));
    out.extend_from_slice(&rest[target_end..]);
}

/// Copies the chunked body at the start of `body` with BWS dropped from its chunk-size lines
/// (an unfinished one too); returns how many input bytes it covered (up to the last-chunk
/// line; the trailer section after it is copied unchanged).
fn repair_chunks(body: &[u8], out: &mut Vec<u8>) -> usize {
    let mut at = 0;
    loop {
        let eol = body[at..].windows(2).position(|w| w == b"\r\n");
        let line = &body[at..eol.map_or(body.len(), |e| at + e)];
        let size_len = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        let size = usize::from_str_radix(std::str::from_utf8(&line[..size_len]).unwrap_or("x"), 16);
        out.extend_from_slice(&line[..size_len]);
        drop_bws(&line[size_len..], out);
        let Some(eol) = eol else {
            return body.len(); // the input ends inside this line
        };
        out.extend_from_slice(b"\r\n");
        at += eol + 2;
        match size {
            Ok(0) | Err(_) => return at,
            Ok(n) => {
                let end = (at + n + 2).min(body.len());
                out.extend_from_slice(&body[at..end]);
                at = end;
            }
        }
    }
}

/// A chunk extension with the whitespace outside quoted strings removed.
fn drop_bws(ext: &[u8], out: &mut Vec<u8>) {
    let mut quoted = false;
    let mut escaped = false;
    for &b in ext {
        if quoted {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                quoted = false;
            }
        } else if b == b' ' || b == b'\t' {
            continue;
        } else {
            quoted = b == b'"';
            out.push(b);
        }
    }
}
