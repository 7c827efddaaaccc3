//! Random Hertz patterns inserted into the `Router`, random paths looked up, checked against a
//! naive segment-by-segment matcher. Properties: no panic; a failed insert changes nothing; a
//! found route matches the path by the model, with the same parameters; a static route is
//! found at its own path; a path some route matches is found (by that route or another one).
#![no_main]

use arbitrary::Unstructured;
use http::Method;
use khz::__bench::Router;
use libfuzzer_sys::fuzz_target;

const STATIC: &[&str] = &["a", "b", "ab", "v1", "", "x.y", "é", "%41", "{", "}"];

fn pattern(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let n = u.int_in_range(0..=4)?;
    let mut p = String::new();
    for i in 0..n {
        p.push('/');
        match u.int_in_range(0..=5)? {
            0..=2 => p.push_str(u.choose(STATIC)?),
            3 => p.push_str(&format!(":p{i}")),
            4 => p.push_str(&format!("v:q{i}")),
            _ => p.push_str("*w"),
        }
    }
    if p.is_empty() || u.ratio(1, 8)? {
        p.push('/');
    }
    Ok(p)
}

fn path(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let n = u.int_in_range(0..=5)?;
    let mut p = String::new();
    for _ in 0..n {
        p.push('/');
        p.push_str(u.choose(STATIC)?);
    }
    if p.is_empty() || u.ratio(1, 8)? {
        p.push('/');
    }
    Ok(p)
}

/// The model: `Some(params)` when `pattern` matches `path`.
fn naive(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
    let ps: Vec<&str> = pattern.split('/').collect();
    let qs: Vec<&str> = path.split('/').collect();
    let mut params = Vec::new();
    for (i, seg) in ps.iter().enumerate() {
        if let Some(name) = seg.strip_prefix('*') {
            let rest = if i < qs.len() {
                qs[i..].join("/")
            } else {
                return None;
            };
            params.push((name.to_owned(), rest));
            return Some(params);
        }
        let q = qs.get(i)?;
        match seg.find(':') {
            Some(at) => {
                let (prefix, name) = (&seg[..at], &seg[at + 1..]);
                let value = q.strip_prefix(prefix)?;
                if value.is_empty() {
                    return None;
                }
                params.push((name.to_owned(), value.to_owned()));
            }
            None if seg == q => {}
            None => return None,
        }
    }
    (ps.len() == qs.len()).then_some(params)
}

fn run(data: &[u8]) -> arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let mut router = Router::new();
    let mut accepted: Vec<String> = Vec::new();
    for attempt in 0..u.int_in_range(1..=12)? {
        let p = pattern(&mut u)?;
        let before = router.len();
        match router.insert(&Method::GET, &p, attempt) {
            Ok(()) => accepted.push(p),
            Err(_) => {
                assert_eq!(
                    router.len(),
                    before,
                    "a failed insert of {p:?} left a route"
                );
                accepted.push(String::new()); // keeps indexes = attempts
            }
        }
    }
    let live = || accepted.iter().enumerate().filter(|(_, p)| !p.is_empty());
    for (i, p) in live() {
        if !p.contains([':', '*']) {
            let m = router
                .find(&Method::GET, p)
                .expect("a static route is found at its path");
            assert_eq!(*m.value, i, "static {p:?} found {:?}", accepted[*m.value]);
            assert_eq!(router.find_static(&Method::GET, p), Some(&i));
        }
    }
    for _ in 0..u.int_in_range(1..=8)? {
        let q = path(&mut u)?;
        let found = router.find(&Method::GET, &q);
        if let Some(m) = &found {
            let p = &accepted[*m.value];
            assert!(!p.is_empty(), "found a route whose insert failed");
            let want = naive(p, &q).unwrap_or_else(|| panic!("{p:?} found for {q:?}"));
            for (name, value) in &want {
                assert_eq!(
                    m.params.get(name),
                    Some(value.as_str()),
                    "{p:?} {q:?} {name}"
                );
            }
            assert_eq!(m.params.len(), want.len());
        } else if let Some((_, p)) = live().find(|(_, p)| naive(p, &q).is_some()) {
            panic!("{q:?} matches {p:?} but nothing was found; routes: {accepted:?}");
        }
        let _ = router.allowed_methods(&q, &Method::POST);
        let _ = router.trailing_slash_redirect(&Method::GET, &q);
        let _ = router.fixed_path_redirect(&Method::GET, &q);
        let _ = khz::route::clean_path(&q);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
