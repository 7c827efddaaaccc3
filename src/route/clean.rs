//! Path cleaning for the fixed-path redirect.
//!
//! Part of the route layer (a radix router on `matchit` with Hertz
//! semantics). [`clean_path`] is the lexical normalisation Hertz applies
//! before its case-insensitive lookup: like Go's `path.Clean`, but the result
//! always starts with `/` and keeps a trailing slash. It works on text only —
//! no file system, no percent-decoding — and never fails.

use std::borrow::Cow;

/// Returns the canonical form of a URL path.
///
/// * the result starts with `/` (an empty input becomes `/`);
/// * runs of `/` collapse to one;
/// * `.` segments are dropped and `..` removes the segment before it
///   (`..` at the root stays at the root);
/// * a trailing slash is kept (a trailing `/.` also yields one), except that
///   the root is just `/`.
///
/// Borrows the input when it is already clean.
///
/// ```
/// use khz::route::clean_path;
///
/// assert_eq!(clean_path("//foo/./bar/../baz/"), "/foo/baz/");
/// assert_eq!(clean_path("a/.."), "/");
/// assert!(matches!(clean_path("/ok/path"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn clean_path(path: &str) -> Cow<'_, str> {
    if is_clean(path) {
        return Cow::Borrowed(path);
    }
    let mut kept: Vec<&str> = Vec::new();
    let mut last = "";
    for seg in path.split('/') {
        last = seg;
        match seg {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            name => kept.push(name),
        }
    }
    let trailing = path.ends_with('/') || last == ".";
    let mut out = String::with_capacity(path.len() + 1);
    for seg in &kept {
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() || trailing {
        out.push('/');
    }
    Cow::Owned(out)
}

/// True when [`clean_path`] would return `path` unchanged.
fn is_clean(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let mut parts = rest.split('/').peekable();
    while let Some(seg) = parts.next() {
        let is_last = parts.peek().is_none();
        match seg {
            "." | ".." => return false,
            "" if !is_last => return false,
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            // already clean
            ("/", "/"),
            ("/abc", "/abc"),
            ("/a/b/c", "/a/b/c"),
            ("/abc/", "/abc/"),
            ("/a/b/c/", "/a/b/c/"),
            // no leading slash
            ("", "/"),
            ("a/", "/a/"),
            ("abc", "/abc"),
            ("abc/def", "/abc/def"),
            ("a/b/c", "/a/b/c"),
            // doubled slashes
            ("//", "/"),
            ("///", "/"),
            ("/abc//", "/abc/"),
            ("/abc/def//", "/abc/def/"),
            ("/a/b/c//", "/a/b/c/"),
            ("/abc//def//ghi", "/abc/def/ghi"),
            ("//abc", "/abc"),
            ("///abc", "/abc"),
            ("//abc//", "/abc/"),
            // `.`
            (".", "/"),
            ("./", "/"),
            ("/.", "/"),
            ("/abc/./def", "/abc/def"),
            ("/./abc/def", "/abc/def"),
            ("/abc/.", "/abc/"),
            ("/abc/./", "/abc/"),
            // `..`
            ("..", "/"),
            ("../", "/"),
            ("../../", "/"),
            ("../..", "/"),
            ("../../abc", "/abc"),
            ("/..", "/"),
            ("/abc/def/ghi/../jkl", "/abc/def/jkl"),
            ("/abc/def/../ghi/../jkl", "/abc/jkl"),
            ("/abc/def/..", "/abc"),
            ("/abc/def/../", "/abc/"),
            ("/abc/def/../..", "/"),
            ("/abc/def/../../..", "/"),
            ("/abc/def/../../../ghi/jkl/../../../mno", "/mno"),
            // combinations
            ("abc/./../def", "/def"),
            ("abc//./../def", "/def"),
            ("abc/../../././../def", "/def"),
            ("//foo/../Bar", "/Bar"),
            // names that merely contain dots are ordinary
            ("/a/.../b", "/a/.../b"),
            ("/a/..b/.c", "/a/..b/.c"),
            ("/caf\u{e9}/./\u{e9}t\u{e9}/", "/caf\u{e9}/\u{e9}t\u{e9}/"),
        ];
        for (input, want) in cases {
            let got = clean_path(input);
            assert_eq!(got, want, "clean_path({input:?})");
            // Cleaning is idempotent.
            assert_eq!(clean_path(&got), want, "clean_path(clean_path({input:?}))");
            assert!(matches!(clean_path(want), Cow::Borrowed(_)), "{want:?}");
            assert_eq!(matches!(got, Cow::Borrowed(_)), input == want, "{input:?}");
        }
    }
}
