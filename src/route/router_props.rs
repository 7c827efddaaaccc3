//! Model test of the router: random route tables of static segments, `:params` and `*catch-alls`
//! over a tiny alphabet (so that routes overlap and conflict often), and random paths. Checked
//! against a naive matcher: every route the router reports really matches the path, with the
//! parameter values the naive matcher extracts for that pattern; an exact static route is
//! always found for its own path; a conflicting insert is an `Err`, never a panic.

use http::Method;
use proptest::prelude::*;

use super::Router;

/// One pattern segment.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "ab", "c"]).prop_map(str::to_owned),
        2 => prop::sample::select(vec![":x", ":y"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec!["*rest"]).prop_map(str::to_owned),
    ]
}

fn pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 0..4).prop_map(|segs| format!("/{}", segs.join("/")))
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!["a", "b", "ab", "c", "zz", ""]),
        0..5,
    )
    .prop_map(|segs| format!("/{}", segs.join("/")))
}

/// The parameters `pattern` binds on `path`, if it matches (Hertz syntax, naively).
fn naive(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
    let pat: Vec<&str> = pattern[1..].split('/').collect();
    let mut rest = &path[1..];
    let mut params = Vec::new();
    for (i, seg) in pat.iter().enumerate() {
        if let Some(name) = seg.strip_prefix('*') {
            if i + 1 != pat.len() {
                return None;
            }
            params.push((name.to_owned(), rest.to_owned()));
            return Some(params);
        }
        let (head, tail) = match rest.find('/') {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        if let Some(name) = seg.strip_prefix(':') {
            if head.is_empty() {
                return None;
            }
            params.push((name.to_owned(), head.to_owned()));
        } else if *seg != head {
            return None;
        }
        match tail {
            Some(t) if i + 1 < pat.len() => rest = t,
            None if i + 1 == pat.len() => return Some(params),
            _ => return None,
        }
    }
    None
}

proptest! {
    #[test]
    fn matches_are_sound(patterns in prop::collection::vec(pattern(), 1..12),
                         paths in prop::collection::vec(path(), 1..20)) {
        let mut router = Router::new();
        let mut inserted: Vec<String> = Vec::new();
        for p in &patterns {
            if router.insert(&Method::GET, p, inserted.len()).is_ok() {
                inserted.push(p.clone());
            }
        }
        for p in &inserted {
            if !p.contains(':') && !p.contains('*') {
                let m = router.find(&Method::GET, p);
                prop_assert!(m.is_some(), "static route {} not found", p);
                if let Some(m) = m {
                    prop_assert_eq!(&inserted[*m.value], p);
                }
            }
        }
        for path in &paths {
            if let Some(m) = router.find(&Method::GET, path) {
                let pattern = &inserted[*m.value];
                let want = naive(pattern, path);
                prop_assert!(want.is_some(), "{} matched {} but does not fit it", path, pattern);
                let got: Vec<(String, String)> = m
                    .params
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                prop_assert_eq!(got, want.unwrap_or_default(), "{} on {}", path, pattern);
            }
        }
    }
}
