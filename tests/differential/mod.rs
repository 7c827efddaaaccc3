//! The parts of `parser_differential.rs`: the request generator, khz's verdict on one input
//! (head parser, framing, chunked decoder — the same calls the HTTP/1.1 driver makes), llhttp's
//! verdicts through `llhttp_ref.js` under Node, and the comparison rules.

mod generate;
mod repair;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use bytes::{Bytes, BytesMut};
use khz::__bench::{attach_head, parse_head, ChunkedDecoder, H1Config, LinkBuffer, Progress};
use khz::protocol::Request;

pub use generate::cases;
pub use repair::{repair, Repaired};

/// What one parser made of the first request in an input.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Parsed whole.
    Complete(Message),
    /// Refused, with the parser's reason.
    Refused(String),
    /// Wants more bytes (of the head, for khz).
    Incomplete,
    /// khz only: has the head, wants more of the body.
    IncompleteBody,
}

/// A request parsed whole: everything a proxy and a server must agree on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub method: String,
    pub target: Vec<u8>,
    pub version: String,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Vec<u8>,
    /// Bytes the request took: where the next one starts.
    pub consumed: usize,
}

/// khz's reading of one input, with the default limits.
pub struct KhzRun {
    pub verdict: Verdict,
    /// Where the head ended and whether a chunked body followed, once the head parsed.
    pub head: Option<(usize, bool)>,
}

/// khz's verdict, with the default limits.
pub fn khz_verdict(input: &[u8]) -> Verdict {
    khz_parse(input).verdict
}

/// khz's verdict and where it found the head's end.
pub fn khz_parse(input: &[u8]) -> KhzRun {
    let cfg = H1Config::default();
    let mut req = Request::default();
    let refused =
        |r: khz::protocol::Rejection| Verdict::Refused(format!("{} {}", r.status(), r.reason()));
    let n = match parse_head(input, &cfg, &mut req) {
        Err(r) => {
            return KhzRun {
                verdict: refused(r),
                head: None,
            }
        }
        Ok(None) => {
            return KhzRun {
                verdict: Verdict::Incomplete,
                head: None,
            }
        }
        Ok(Some(n)) => n,
    };
    attach_head(&mut req, Bytes::copy_from_slice(&input[..n]));
    let head = Some((n, req.is_chunked()));
    let rest = &input[n..];
    let (body, used) = if req.is_chunked() {
        let mut dec = ChunkedDecoder::new(cfg.max_body_bytes);
        let mut buf = LinkBuffer::new();
        buf.extend_from_slice(rest);
        let mut out = BytesMut::new();
        match dec.decode(&mut buf, &mut out, &mut req, &cfg) {
            Ok(Progress::Done) => (out.to_vec(), rest.len() - buf.len()),
            Ok(Progress::NeedMore(_)) => {
                return KhzRun {
                    verdict: Verdict::IncompleteBody,
                    head,
                }
            }
            Err(r) => {
                return KhzRun {
                    verdict: refused(r),
                    head,
                }
            }
        }
    } else {
        let len = usize::try_from(req.content_length().unwrap_or(0)).unwrap_or(usize::MAX);
        if rest.len() < len {
            return KhzRun {
                verdict: Verdict::IncompleteBody,
                head,
            };
        }
        (rest[..len].to_vec(), len)
    };
    let verdict = Verdict::Complete(Message {
        method: req.method().as_str().to_owned(),
        target: req.uri().as_bytes().to_vec(),
        version: match req.version() {
            http::Version::HTTP_10 => "1.0".into(),
            _ => "1.1".into(),
        },
        fields: req
            .headers()
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.to_vec()))
            .collect(),
        body,
        consumed: n + used,
    });
    KhzRun { verdict, head }
}

/// llhttp's verdicts on every input, in one run of Node, and the methods llhttp knows.
/// `mode` is `strict` or a list of llhttp lenient flags.
pub fn llhttp_verdicts(inputs: &[Vec<u8>], mode: &str) -> (Vec<Verdict>, Vec<String>) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/differential/llhttp_ref.js"
    );
    let mut child = Command::new("node")
        .arg(script)
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("Node.js (`node`) runs the reference parser; scripts/test installs it");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let lines: String = inputs.iter().map(|i| hex(i) + "\n").collect();
    let writer = std::thread::spawn(move || stdin.write_all(lines.as_bytes()));
    let mut text = String::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_string(&mut text)
        .expect("reading the reference's answers");
    writer
        .join()
        .expect("stdin writer")
        .expect("writing the cases to node");
    assert!(
        child.wait().expect("node exits").success(),
        "llhttp_ref.js failed"
    );
    let mut lines = text.lines();
    let head: serde_json::Value =
        serde_json::from_str(lines.next().expect("version line")).expect("JSON");
    let version = head["llhttp"].as_str().unwrap_or("0");
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 9,
        "llhttp {version} predates the strict chunk-extension rules (9.x); use Node.js ≥ 20"
    );
    let methods = head["methods"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| Some(m.as_str()?.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let verdicts: Vec<Verdict> = lines.map(parse_reference).collect();
    assert_eq!(verdicts.len(), inputs.len(), "one answer per case");
    (verdicts, methods)
}

fn parse_reference(line: &str) -> Verdict {
    let v: serde_json::Value = serde_json::from_str(line).expect("JSON answer");
    let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    match v["k"].as_str() {
        Some("complete") => Verdict::Complete(Message {
            method: text("method"),
            target: unhex(&text("url")),
            version: text("version"),
            fields: v["headers"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            let s = |i: usize| unhex(p[i].as_str().unwrap_or_default());
                            (s(0), s(1))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            body: unhex(&text("body")),
            consumed: v["consumed"].as_u64().map_or(usize::MAX, |c| c as usize),
        }),
        Some("error") => Verdict::Refused(format!("{} {}", text("code"), text("reason"))),
        _ => Verdict::Incomplete,
    }
}

/// llhttp's verdict on the repaired input (see `repair.rs`), for a request khz parsed the
/// head of.
pub struct Judged<'a> {
    pub verdict: &'a Verdict,
    /// How many bytes longer the repair made the first request.
    pub delta: isize,
    /// The methods llhttp knows (others were rewritten to `GET`).
    pub methods: &'a [String],
}

/// Why khz's verdict `k` disagrees with llhttp's — `strict` on the input as it is, `repaired`
/// on the input with khz's documented leniencies undone — or `None` when it doesn't.
/// `stricter` lists khz's deliberate refusals (see the rules in `parser_differential.rs`).
pub fn disagreement(
    k: &Verdict,
    strict: &Verdict,
    repaired: Option<Judged<'_>>,
    stricter: &[(&str, &str)],
) -> Option<String> {
    let listed = |reason: &str| stricter.iter().any(|(r, _)| reason.contains(r));
    match (k, strict) {
        // Rule 1: what khz accepts, llhttp reads the same way (leniencies undone).
        (Verdict::Complete(km), _) => {
            let Some(j) = repaired else {
                return Some("khz accepted without a head".into());
            };
            match j.verdict {
                Verdict::Complete(lm) => differs(&as_repaired(km, &j), lm),
                other => Some(format!("khz accepted; llhttp: {other:?}")),
            }
        }
        // Rule 2: what llhttp accepts, khz accepts, or refuses for a listed reason.
        (Verdict::Refused(reason), Verdict::Complete(_)) if !listed(reason) => {
            Some(format!("khz refused ({reason}) what llhttp parses whole"))
        }
        (Verdict::Refused(reason), Verdict::Incomplete) if !listed(reason) => Some(format!(
            "khz refused ({reason}) where llhttp waits for more"
        )),
        // Rule 3: khz never waits where llhttp has finished, nor inside a body llhttp refused.
        (Verdict::Incomplete | Verdict::IncompleteBody, Verdict::Complete(_)) => {
            Some("khz waits for more where llhttp parsed the request whole".into())
        }
        (Verdict::IncompleteBody, _) => match repaired.map(|j| j.verdict) {
            Some(Verdict::Incomplete) => None,
            other => Some(format!("khz waits for more of the body; llhttp: {other:?}")),
        },
        _ => None,
    }
}

/// khz's message as llhttp should see the repaired input.
fn as_repaired(m: &Message, j: &Judged<'_>) -> Message {
    let mut m = m.clone();
    if repair::unknown_method(&m.method, j.methods) {
        m.method = "GET".into();
    }
    m.target = repair::target_bytes(&m.target);
    m.consumed = m.consumed.saturating_add_signed(j.delta);
    m
}

fn differs(k: &Message, l: &Message) -> Option<String> {
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut diffs = Vec::new();
    if k.consumed != l.consumed {
        diffs.push(format!("consumed {} vs {}", k.consumed, l.consumed));
    }
    if k.method != l.method {
        diffs.push(format!("method {} vs {}", k.method, l.method));
    }
    if k.target != l.target {
        diffs.push(format!(
            "target {:?} vs {:?}",
            show(&k.target),
            show(&l.target)
        ));
    }
    if k.version != l.version {
        diffs.push(format!("version {} vs {}", k.version, l.version));
    }
    if k.fields != l.fields {
        let f = |m: &Message| {
            m.fields
                .iter()
                .map(|(n, v)| format!("{}: {}", show(n), show(v)))
                .collect::<Vec<_>>()
        };
        diffs.push(format!("fields {:?} vs {:?}", f(k), f(l)));
    }
    if k.body != l.body {
        diffs.push(format!("body {:?} vs {:?}", show(&k.body), show(&l.body)));
    }
    (!diffs.is_empty()).then(|| format!("khz vs llhttp: {}", diffs.join("; ")))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}
