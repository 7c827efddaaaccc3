//! Differential test of khz's HTTP/1.1 request parsing — the head parser (`parse_head`), the
//! body framing it decides, and the chunked decoder — against **llhttp**, the parser of
//! Node.js's HTTP server, on 50,000 generated requests: well-formed ones, the smuggling shapes
//! we know, and random byte mutations of both (`differential/generate.rs`).
//!
//! Why llhttp is a fair reference: it shares no code or lineage with khz's parsers (httparse
//! descends from picohttpparser; llhttp is a state machine generated from its own TypeScript
//! grammar); it is strict by default (`kLenientNone`: CRLF only, chunk extensions checked since
//! the 2024 chunk-extension smuggling reports, no `Content-Length` beside `Transfer-Encoding`,
//! no duplicate `Content-Length`); and it parses a large share of the web's traffic, so its
//! reading is the one a front proxy is likely to have. Node is on every machine of this kind
//! and `scripts/test` installs it elsewhere; without it the test fails, it never skips.
//!
//! Rules, for the first request of each input:
//! 1. **khz never accepts what llhttp reads differently.** Whatever khz parses whole, llhttp
//!    parses to the same method, target, version, fields, body and — above all — the same
//!    length, i.e. where the next request starts. llhttp judges the input with khz's few
//!    documented leniencies undone (`differential/repair.rs`: a bare LF ending a *head* line,
//!    extension methods, raw UTF-8 in the target, a tab after a framing field's value, BWS in a
//!    chunk extension) and everything else byte for byte.
//! 2. **khz refuses only for a reason.** What strict llhttp parses whole (or still waits on),
//!    khz parses the same way or refuses with one of the reasons in [`STRICTER`]: rules khz
//!    adds on purpose.
//! 3. **khz never waits where llhttp has an answer**: not after llhttp parsed the request
//!    whole, and not inside a body llhttp refused (the "hangs instead of 400" class).

mod differential;

use differential::{
    cases, disagreement, khz_parse, khz_verdict, llhttp_verdicts, repair, Judged, KhzRun, Message,
    Repaired, Verdict,
};

/// Refusals khz makes on purpose where llhttp accepts (or still waits), with why they are right.
const STRICTER: [(&str, &str); 13] = [
    ("missing Host", "RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host"),
    ("multiple Host headers", "RFC 9112 §3.2: … or with more than one Host field line"),
    ("invalid Host", "RFC 9112 §3.2: … or with an invalid one; llhttp does not look into values"),
    (
        "request target must start with '/'",
        "RFC 9112 §3.2: asterisk-form is for OPTIONS only; absolute-form is an http(s) URI",
    ),
    ("invalid request target", "RFC 9112 §3.2: a fragment is not part of any request-target"),
    (
        "malformed request line",
        "RFC 9112 §3: exactly one SP between the parts; llhttp allows several",
    ),
    ("malformed HTTP version", "the same, before the version"),
    (
        "HTTP version not supported",
        "RFC 9110 §15.6.6: 505 for HTTP/0.9 and 2.0+ on an HTTP/1.1 connection (llhttp parses them)",
    ),
    (
        "invalid line ending",
        "a bare CR (llhttp skips one before the request line); RFC 9112 §2.2 allows only bare LF",
    ),
    (
        "Transfer-Encoding in an HTTP/1.0 request",
        "RFC 9112 §6.1: such framing MUST be treated as faulty",
    ),
    (
        "chunked is not the final transfer coding",
        "RFC 9112 §6.1: chunked at most once, and last; llhttp accepts `chunked` twice",
    ),
    (
        "unsupported transfer coding",
        "RFC 9112 §6.1: 501 for a coding khz does not decode (gzip, …)",
    ),
    (
        "invalid chunk extension",
        "RFC 9112 §7.1.1: chunk-ext-name is a token; llhttp accepts an empty one (`;=b`)",
    ),
];

#[test]
fn khz_and_llhttp_frame_every_request_alike() {
    let inputs = cases(50_000);
    let (strict, methods) = llhttp_verdicts(&inputs, "strict");
    // khz's reading of each, and the repaired input for those khz parsed the head of.
    let runs: Vec<KhzRun> = inputs.iter().map(|i| khz_parse(i)).collect();
    let repairs: Vec<Option<Repaired>> = inputs
        .iter()
        .zip(&runs)
        .map(|(input, run)| {
            run.head
                .map(|(n, chunked)| repair(input, n, chunked, &methods))
        })
        .collect();
    let repaired_inputs: Vec<Vec<u8>> = repairs
        .iter()
        .map(|r| r.as_ref().map_or_else(Vec::new, |r| r.bytes.clone()))
        .collect();
    let (judged, _) = llhttp_verdicts(&repaired_inputs, "strict");

    let mut failures = Vec::new();
    let mut kinds = std::collections::BTreeMap::<String, (usize, String)>::new();
    let mut stats = [0usize; 4];
    for (i, input) in inputs.iter().enumerate() {
        let k = &runs[i].verdict;
        stats[match (k, &strict[i]) {
            (Verdict::Complete(_), Verdict::Complete(_)) => 0,
            (Verdict::Refused(_), Verdict::Refused(_)) => 1,
            (Verdict::Complete(_), _) => 2,
            _ => 3,
        }] += 1;
        let j = repairs[i].as_ref().map(|r| Judged {
            verdict: &judged[i],
            delta: r.delta,
            methods: &methods,
        });
        if let Some(why) = disagreement(k, &strict[i], j, &STRICTER) {
            let e = kinds
                .entry(why.clone())
                .or_insert_with(|| (0, format!("{:?}", String::from_utf8_lossy(input))));
            e.0 += 1;
            failures.push(why);
        }
    }
    eprintln!(
        "{} cases: both parsed whole {}, both refused {}, khz parsed whole what strict llhttp \
         refused but repaired llhttp read alike {}, other {}",
        inputs.len(),
        stats[0],
        stats[1],
        stats[2],
        stats[3]
    );
    assert!(
        stats[0] > 2_000 && stats[1] > 2_000,
        "the generator no longer covers both accepted and refused requests: {stats:?}"
    );
    assert!(
        failures.is_empty(),
        "{} disagreements with llhttp, by kind (with the first input of each):\n{}",
        failures.len(),
        kinds
            .iter()
            .map(|(k, (n, i))| format!("{n:6} {k}\n         e.g. {i}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

/// The comparison itself can fail: a khz reading that frames a body one byte longer than
/// llhttp, or accepts a body llhttp refuses, is reported.
#[test]
fn a_framing_disagreement_is_reported() {
    let input = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET".to_vec();
    let (s, methods) = llhttp_verdicts(std::slice::from_ref(&input), "strict");
    let Verdict::Complete(mut m) = khz_verdict(&input) else {
        panic!("khz refused a plain request")
    };
    let judged = |v| {
        Some(Judged {
            verdict: v,
            delta: 0,
            methods: &methods,
        })
    };
    let k = Verdict::Complete(m.clone());
    assert_eq!(disagreement(&k, &s[0], judged(&s[0]), &STRICTER), None);
    m.consumed += 1;
    let why = disagreement(&Verdict::Complete(m), &s[0], judged(&s[0]), &STRICTER);
    assert!(why.is_some_and(|w| w.contains("consumed")));

    let smuggle = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
                    2;\nxx\r\n45\r\n0\r\n\r\n"
        .to_vec();
    let (s, _) = llhttp_verdicts(std::slice::from_ref(&smuggle), "strict");
    assert!(
        matches!(s[0], Verdict::Refused(_)),
        "llhttp accepted {:?}",
        s[0]
    );
    assert!(matches!(khz_verdict(&smuggle), Verdict::Refused(_)));
    // Had khz accepted it, the test would say so.
    let fake = Verdict::Complete(Message::default());
    assert!(disagreement(&fake, &s[0], judged(&s[0]), &STRICTER).is_some());
    // And had khz waited for more of the body, too (the hang the issue reported).
    assert!(disagreement(&Verdict::IncompleteBody, &s[0], judged(&s[0]), &STRICTER).is_some());
}
