//! Redirect targets for near-miss paths: trailing slash and fixed path.
//!
//! Part of the route layer (a radix router on `matchit` with Hertz
//! semantics). When a lookup misses, the app may ask for a better path to
//! redirect to, as Hertz's `RedirectTrailingSlash` and `RedirectFixedPath`
//! do. These run only on a miss, so unlike `find` they may allocate. The
//! case-insensitive step walks the method's registered patterns (not the
//! `matchit` tree, which only matches exactly) and every candidate it builds
//! is confirmed with an exact lookup before it is returned.

use http::Method;

use super::clean::clean_path;
use super::pattern::Segment;
use super::router::Router;

/// Rank of a segment kind in the case-insensitive search: lower wins, the
/// same order the tree gives exact matches.
const STATIC: u8 = 0;
const PREFIXED_PARAM: u8 = 1;
const PARAM: u8 = 2;
const CATCH_ALL: u8 = 3;

impl<T> Router<T> {
    /// The path to redirect to when `path` misses for `method` but the same
    /// path with its trailing slash removed (or added) matches.
    ///
    /// `None` when `path` matches as it is, when neither variant matches,
    /// for `/` itself and for anything not starting with `/`.
    ///
    /// ```
    /// use khz::__bench::Router; // internal; the hidden door of benches and tests
    /// use http::Method;
    ///
    /// let mut router = Router::new();
    /// router.insert(&Method::GET, "/static/*filepath", ()).unwrap();
    /// assert_eq!(router.trailing_slash_redirect(&Method::GET, "/static").as_deref(), Some("/static/"));
    /// ```
    pub fn trailing_slash_redirect(&self, method: &Method, path: &str) -> Option<String> {
        if !path.starts_with('/') || path == "/" || self.matches(method, path) {
            return None;
        }
        let other = toggle_trailing_slash(path);
        self.matches(method, &other).then_some(other)
    }

    /// The corrected path to redirect to when `path` misses for `method`
    /// only because it is unclean or differs in ASCII case (Hertz's
    /// `RedirectFixedPath`).
    ///
    /// Cleans `path` with [`clean_path`], then tries in turn: the cleaned
    /// path exactly; the cleaned path case-insensitively against `method`'s
    /// patterns (static text takes the registered case, parameter and
    /// catch-all values stay as given); and both again with the trailing
    /// slash toggled. Returns the first hit if it differs from `path`.
    ///
    /// ```
    /// use khz::__bench::Router; // internal; the hidden door of benches and tests
    /// use http::Method;
    ///
    /// let mut router = Router::new();
    /// router.insert(&Method::GET, "/users/:id", ()).unwrap();
    /// assert_eq!(router.fixed_path_redirect(&Method::GET, "//USERS/./AbC").as_deref(), Some("/users/AbC"));
    /// ```
    pub fn fixed_path_redirect(&self, method: &Method, path: &str) -> Option<String> {
        self.tree(method)?;
        let cleaned = clean_path(path);
        if self.matches(method, &cleaned) {
            return (cleaned != path).then(|| cleaned.into_owned());
        }
        let toggled = (cleaned != "/").then(|| toggle_trailing_slash(&cleaned));
        let fixed = self.case_insensitive(method, &cleaned).or_else(|| {
            let toggled = toggled.as_deref()?;
            if self.matches(method, toggled) {
                return Some(toggled.to_owned());
            }
            self.case_insensitive(method, toggled)
        })?;
        (fixed != path).then_some(fixed)
    }

    /// Matches `path` against `method`'s patterns ignoring ASCII case and
    /// returns the best-ranked corrected path that the tree really matches.
    fn case_insensitive(&self, method: &Method, path: &str) -> Option<String> {
        let mut candidates: Vec<(Vec<u8>, String)> = self
            .routes
            .iter()
            .filter(|r| r.method == *method)
            .filter_map(|r| match_ignoring_case(r.pattern.segments(), path))
            .collect();
        candidates.sort();
        candidates
            .into_iter()
            .map(|(_, fixed)| fixed)
            .find(|fixed| self.matches(method, fixed))
    }
}

fn toggle_trailing_slash(path: &str) -> String {
    match path.strip_suffix('/') {
        Some(without) => without.to_owned(),
        None => format!("{path}/"),
    }
}

/// Matches `path` against a pattern's segments, comparing static text
/// ASCII-case-insensitively. Returns the segment ranks (for choosing among
/// several hits) and the path rewritten with the pattern's static text.
fn match_ignoring_case(segments: &[Segment], path: &str) -> Option<(Vec<u8>, String)> {
    let mut rest = path.strip_prefix('/')?;
    let mut ranks = Vec::with_capacity(segments.len());
    let mut fixed = String::with_capacity(path.len());
    let mut pending = segments.iter().peekable();
    while let Some(segment) = pending.next() {
        fixed.push('/');
        let (piece, after) = match rest.find('/') {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        match segment {
            Segment::Static(text) => {
                if !piece.eq_ignore_ascii_case(text) {
                    return None;
                }
                fixed.push_str(text);
                ranks.push(STATIC);
            }
            Segment::Param { prefix, name: _ } => {
                let head = piece.get(..prefix.len())?;
                let value = piece.get(prefix.len()..)?;
                if !head.eq_ignore_ascii_case(prefix) || value.is_empty() {
                    return None;
                }
                fixed.push_str(prefix);
                fixed.push_str(value);
                ranks.push(if prefix.is_empty() {
                    PARAM
                } else {
                    PREFIXED_PARAM
                });
            }
            Segment::CatchAll { name: _ } => {
                // The rest of the path, slashes included; may be empty (the
                // hidden alias matches that), confirmed by the caller.
                fixed.push_str(rest);
                ranks.push(CATCH_ALL);
                return Some((ranks, fixed));
            }
        }
        match (after, pending.peek()) {
            (Some(next), Some(_)) => rest = next,
            (None, None) => return Some((ranks, fixed)),
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[&str]) -> Router<usize> {
        let mut r = Router::new();
        for (i, p) in routes.iter().enumerate() {
            if let Err(e) = r.insert(&Method::GET, p, i) {
                panic!("{p}: {e}");
            }
        }
        r
    }

    fn tsr(r: &Router<usize>, path: &str) -> Option<String> {
        r.trailing_slash_redirect(&Method::GET, path)
    }

    fn fixed(r: &Router<usize>, path: &str) -> Option<String> {
        r.fixed_path_redirect(&Method::GET, path)
    }

    #[test]
    fn trailing_slash_both_directions() {
        let r = router(&[
            "/",
            "/foo",
            "/bar/",
            "/users/:id",
            "/teams/:id/",
            "/static/*p",
            "/both",
            "/both/",
        ]);
        assert_eq!(tsr(&r, "/foo/").as_deref(), Some("/foo"));
        assert_eq!(tsr(&r, "/bar").as_deref(), Some("/bar/"));
        assert_eq!(tsr(&r, "/users/42/").as_deref(), Some("/users/42"));
        assert_eq!(tsr(&r, "/teams/7").as_deref(), Some("/teams/7/"));
        assert_eq!(tsr(&r, "/static").as_deref(), Some("/static/"));
        // Matches as it is, or neither variant matches: no redirect.
        assert_eq!(tsr(&r, "/foo"), None);
        assert_eq!(tsr(&r, "/both/"), None);
        assert_eq!(tsr(&r, "/static/"), None);
        assert_eq!(tsr(&r, "/nope"), None);
        assert_eq!(tsr(&r, "/nope/"), None);
        // Never for the root, nor for paths without a leading slash.
        assert_eq!(tsr(&r, "/"), None);
        assert_eq!(tsr(&r, ""), None);
        assert_eq!(tsr(&r, "foo/"), None);
        // Other methods have their own trees.
        assert_eq!(r.trailing_slash_redirect(&Method::POST, "/foo/"), None);
    }

    #[test]
    fn trailing_slash_to_root() {
        let r = router(&["/"]);
        assert_eq!(tsr(&r, "//").as_deref(), Some("/"));
        let r = router(&["/x"]);
        assert_eq!(tsr(&r, "/"), None);
    }

    #[test]
    fn fixed_path_cleans_and_fixes_case() {
        let r = router(&[
            "/bar",
            "/users/new",
            "/users/:id",
            "/users/:id/Posts",
            "/v:version/Items",
            "/static/*filepath",
            "/dir/",
        ]);
        assert_eq!(fixed(&r, "//foo/../bar").as_deref(), Some("/bar"));
        assert_eq!(fixed(&r, "//foo/../Bar").as_deref(), Some("/bar"));
        assert_eq!(fixed(&r, "/BAR").as_deref(), Some("/bar"));
        assert_eq!(fixed(&r, "/USERS/42").as_deref(), Some("/users/42"));
        assert_eq!(fixed(&r, "/USERS/AbC").as_deref(), Some("/users/AbC"));
        // Static beats the parameter when both match ignoring case.
        assert_eq!(fixed(&r, "/USERS/NEW").as_deref(), Some("/users/new"));
        assert_eq!(
            fixed(&r, "/users/X/posts").as_deref(),
            Some("/users/X/Posts")
        );
        assert_eq!(fixed(&r, "/V2/items").as_deref(), Some("/v2/Items"));
        assert_eq!(
            fixed(&r, "/STATIC/CSS/Site.css").as_deref(),
            Some("/static/CSS/Site.css")
        );
        assert_eq!(fixed(&r, "/Static/").as_deref(), Some("/static/"));
        assert_eq!(fixed(&r, "/a/../static/./x").as_deref(), Some("/static/x"));
        // Trailing slash variant of the cleaned path.
        assert_eq!(fixed(&r, "/Bar/").as_deref(), Some("/bar"));
        assert_eq!(fixed(&r, "/DIR").as_deref(), Some("/dir/"));
        assert_eq!(fixed(&r, "//dir").as_deref(), Some("/dir/"));
        // Already right, or nothing close: no redirect.
        assert_eq!(fixed(&r, "/bar"), None);
        assert_eq!(fixed(&r, "/users/42"), None);
        assert_eq!(fixed(&r, "/nope"), None);
        assert_eq!(fixed(&r, "/users"), None);
        assert_eq!(fixed(&r, "/V/items"), None);
        assert_eq!(r.fixed_path_redirect(&Method::POST, "/BAR"), None);
    }

    #[test]
    fn fixed_path_handles_root_and_non_ascii() {
        let r = router(&["/", "/Caf\u{e9}/:x"]);
        assert_eq!(fixed(&r, "//").as_deref(), Some("/"));
        assert_eq!(fixed(&r, "").as_deref(), Some("/"));
        assert_eq!(
            fixed(&r, "/cAF\u{e9}/\u{c9}").as_deref(),
            Some("/Caf\u{e9}/\u{c9}")
        );
        // Non-ASCII letters are not case-folded.
        assert_eq!(fixed(&r, "/caf\u{c9}/x"), None);
    }

    #[test]
    fn candidate_ranking() {
        let segs = |p: &str| {
            super::super::pattern::Pattern::parse(p)
                .unwrap()
                .segments()
                .to_vec()
        };
        let hit = |p: &str, path: &str| match_ignoring_case(&segs(p), path);
        assert_eq!(
            hit("/a/:b/*c", "/A/x/y/z"),
            Some((vec![0, 2, 3], "/a/x/y/z".to_owned()))
        );
        assert_eq!(hit("/v:x", "/V1"), Some((vec![1], "/v1".to_owned())));
        assert_eq!(hit("/v:x", "/v"), None);
        assert_eq!(hit("/a/", "/A"), None);
        assert_eq!(hit("/a", "/A/"), None);
        assert_eq!(hit("/a", "a"), None);
    }
}
