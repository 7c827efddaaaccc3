//! Property tests of the request head parser (part of the default `cargo test`): arbitrary
//! bytes, and valid heads with a few bytes overwritten, never panic and never claim more bytes
//! than they were given; valid generated heads (token methods, origin-form targets with a query,
//! token header names with visible-ASCII values, a valid `Host`) parse back to the same method,
//! path, query and headers, whatever follows them.

use proptest::prelude::*;

use super::*;

const TOKEN: &str = "[-!#$%&'*+.^_`|~0-9A-Za-z]{1,10}";

/// Header names the parser gives a meaning to (framing, Host, Expect): left out of the random
/// headers so a valid head stays valid.
const SPECIAL: [&str; 5] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
];

#[derive(Debug, Clone)]
struct Head {
    method: String,
    path: String,
    query: Option<String>,
    host: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn wire(&self) -> Vec<u8> {
        let mut s = format!("{} {}", self.method, self.path);
        if let Some(q) = &self.query {
            s.push('?');
            s.push_str(q);
        }
        s.push_str(" HTTP/1.1\r\nHost: ");
        s.push_str(&self.host);
        s.push_str("\r\n");
        for (n, v) in &self.headers {
            s.push_str(&format!("{n}: {v}\r\n"));
        }
        s.push_str("\r\n");
        s.into_bytes()
    }
}

fn head() -> impl Strategy<Value = Head> {
    (
        TOKEN,
        "(/[-A-Za-z0-9._~!$&'()*+,;=:@%]{0,8}){1,4}",
        prop::option::of("[-A-Za-z0-9._~!$&'()*+,;=:@%/?]{0,16}"),
        "[a-z0-9.-]{0,12}(:[0-9]{1,5})?",
        prop::collection::vec(
            (
                TOKEN.prop_filter("no special header", |n| {
                    !SPECIAL.iter().any(|s| s.eq_ignore_ascii_case(n))
                }),
                "([!-~]([ \t!-~]{0,20}[!-~])?)?",
            ),
            0..10,
        ),
    )
        .prop_map(|(method, path, query, host, headers)| Head {
            method,
            path,
            query,
            host,
            headers,
        })
}

fn parse_bytes(input: &[u8]) -> Result<Option<(usize, Request)>, Rejection> {
    let mut req = Request::default();
    let n = parse_head(input, &H1Config::default(), &mut req)?;
    Ok(n.map(|n| {
        req.head = bytes::Bytes::copy_from_slice(&input[..n]);
        (n, req)
    }))
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(Some((n, _))) = parse_bytes(&input) {
            prop_assert!(n <= input.len());
        }
    }

    #[test]
    fn damaged_heads_never_panic(
        h in head(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut wire = h.wire();
        for (at, b) in edits {
            let i = at.index(wire.len());
            wire[i] = b;
        }
        if let Ok(Some((n, _))) = parse_bytes(&wire) {
            prop_assert!(n <= wire.len());
        }
    }

    #[test]
    fn valid_heads_parse_back(h in head(), tail in prop::collection::vec(any::<u8>(), 0..32)) {
        let wire = h.wire();
        let input = [&wire[..], &tail[..]].concat();
        let parsed = parse_bytes(&input);
        let Ok(Some((n, req))) = parsed else {
            return Err(TestCaseError::fail(format!(
                "{:?}: {parsed:?}",
                String::from_utf8_lossy(&wire)
            )));
        };
        prop_assert_eq!(n, wire.len());
        prop_assert_eq!(req.method().as_str(), h.method.as_str());
        prop_assert_eq!(req.path(), h.path.as_str());
        prop_assert_eq!(req.query_string(), h.query.as_deref());
        prop_assert_eq!(req.headers().get_str("host"), Some(h.host.as_str()));
        let got: Vec<(String, String)> = req
            .headers()
            .iter()
            .skip(1)
            .map(|(n, v)| (n.to_owned(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        prop_assert_eq!(got, h.headers);
    }
}
