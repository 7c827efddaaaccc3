//! Hertz route-pattern syntax: parsing, validation and conversion to `matchit`.
//!
//! Part of the route layer (a radix router on `matchit` with Hertz
//! semantics; it knows nothing of sockets or handlers). A Hertz pattern is
//! `/`-separated segments where a segment is static text, `prefix:name` (one
//! parameter running to the end of the segment, optionally after static
//! text) or `*name` (a catch-all that must be the whole, last segment).
//! [`Pattern::parse`] checks all of that up front so that `matchit` is only
//! ever handed routes it accepts, and renders the `matchit` form (`{name}`,
//! `{*name}`, literal braces doubled). The parsed segments are kept for the
//! case-insensitive fixed-path lookup.

use super::error::RouteError;

/// `matchit` renames parameters to the letters `a`..=`z` internally and
/// panics past that, so a route may hold at most this many `:name`s.
const MAX_PARAMS: usize = 26;

/// One `/`-separated piece of a parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Literal text (possibly empty, e.g. after a trailing slash).
    Static(String),
    /// `prefix:name` — `prefix` is literal and may be empty.
    Param { prefix: String, name: String },
    /// `*name` — the rest of the path; always the last segment.
    CatchAll { name: String },
}

/// A validated Hertz route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    raw: String,
    segments: Vec<Segment>,
}

impl Pattern {
    /// Parses and validates `route` (Hertz syntax).
    pub(crate) fn parse(route: &str) -> Result<Pattern, RouteError> {
        let Some(rest) = route.strip_prefix('/') else {
            return Err(RouteError::invalid(route, "a route must start with `/`"));
        };
        let pieces: Vec<&str> = rest.split('/').collect();
        let last = pieces.len() - 1;
        let mut segments = Vec::with_capacity(pieces.len());
        for (i, seg) in pieces.iter().copied().enumerate() {
            segments.push(parse_segment(route, seg, i == last)?);
        }
        let pattern = Pattern {
            raw: route.to_owned(),
            segments,
        };
        pattern.check_names()?;
        Ok(pattern)
    }

    /// The pattern as registered, in Hertz syntax.
    pub(crate) fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed segments, in order.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Parameter and catch-all names in pattern order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Static(_) => None,
            Segment::Param { name, .. } | Segment::CatchAll { name } => Some(name.as_str()),
        })
    }

    /// The catch-all's name, if the pattern ends in one.
    pub(crate) fn catch_all_name(&self) -> Option<&str> {
        match self.segments.last() {
            Some(Segment::CatchAll { name }) => Some(name),
            _ => None,
        }
    }

    /// The route in `matchit` syntax.
    pub(crate) fn to_matchit(&self) -> String {
        render(&self.segments, None)
    }

    /// For a pattern ending in `*name`: the `matchit` route of the same path
    /// with the catch-all segment left empty (`/static/*p` → `/static/`).
    /// It is registered as a hidden alias so the catch-all also matches an
    /// empty remainder, as Hertz does.
    pub(crate) fn empty_catch_all_alias(&self) -> Option<String> {
        let (last, init) = self.segments.split_last()?;
        match last {
            Segment::CatchAll { .. } => Some(render(init, Some(""))),
            _ => None,
        }
    }

    fn check_names(&self) -> Result<(), RouteError> {
        let names: Vec<&str> = self.names().collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(RouteError::invalid(
                    &self.raw,
                    format!("parameter name `{name}` is used more than once"),
                ));
            }
        }
        let params = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Param { .. }))
            .count();
        if params > MAX_PARAMS {
            return Err(RouteError::invalid(
                &self.raw,
                format!("too many parameters ({params}); at most {MAX_PARAMS} `:name`s per route"),
            ));
        }
        Ok(())
    }
}

/// Returns the parameter and catch-all names of a Hertz pattern, in order.
///
/// ```
/// use khz::__bench::param_names; // internal; the hidden door of benches and tests
///
/// let names = param_names("/repos/:owner/:repo/*path").unwrap();
/// assert_eq!(names, ["owner", "repo", "path"]);
/// assert!(param_names("no-slash").is_err());
/// ```
pub fn param_names(pattern: &str) -> Result<Vec<String>, RouteError> {
    Ok(Pattern::parse(pattern)?
        .names()
        .map(str::to_owned)
        .collect())
}

fn parse_segment(route: &str, seg: &str, is_last: bool) -> Result<Segment, RouteError> {
    let Some(at) = seg.find([':', '*']) else {
        return Ok(Segment::Static(seg.to_owned()));
    };
    let (prefix, wild) = seg.split_at(at);
    let name = &wild[1..];
    if wild.starts_with('*') {
        if !prefix.is_empty() {
            return Err(RouteError::invalid(
                route,
                format!("catch-all `*` must begin its segment, found in `{seg}`"),
            ));
        }
        if !is_last {
            return Err(RouteError::invalid(
                route,
                format!("catch-all `{seg}` must be the last segment of the route"),
            ));
        }
        check_name(route, seg, "catch-all `*`", name)?;
        return Ok(Segment::CatchAll {
            name: name.to_owned(),
        });
    }
    check_name(route, seg, "parameter `:`", name)?;
    Ok(Segment::Param {
        prefix: prefix.to_owned(),
        name: name.to_owned(),
    })
}

fn check_name(route: &str, seg: &str, kind: &str, name: &str) -> Result<(), RouteError> {
    if name.is_empty() {
        return Err(RouteError::invalid(
            route,
            format!("{kind} in segment `{seg}` has an empty name"),
        ));
    }
    if name.contains([':', '*']) {
        return Err(RouteError::invalid(
            route,
            format!("segment `{seg}` holds more than one wildcard; only one `:name` or `*name` is allowed per segment"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(RouteError::invalid(
            route,
            format!(
                "name `{name}` in segment `{seg}` contains {bad:?}; names may only use ASCII letters, \
                 digits and `_` (a parameter runs to the end of its segment, suffixes are not supported)"
            ),
        ));
    }
    Ok(())
}

/// Renders segments in `matchit` syntax; `tail`, if given, is appended as
/// one more static segment.
fn render(segments: &[Segment], tail: Option<&str>) -> String {
    let mut out = String::new();
    for seg in segments {
        out.push('/');
        match seg {
            Segment::Static(text) => escape_into(&mut out, text),
            Segment::Param { prefix, name } => {
                escape_into(&mut out, prefix);
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
            Segment::CatchAll { name } => {
                out.push_str("{*");
                out.push_str(name);
                out.push('}');
            }
        }
    }
    if let Some(tail) = tail {
        out.push('/');
        escape_into(&mut out, tail);
    }
    out
}

/// Doubles `{` and `}` so `matchit` reads them as literal text.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        out.push(c);
        if c == '{' || c == '}' {
            out.push(c);
        }
    }
}

/// Undoes [`escape_into`] on a whole `matchit` route: the form `matchit`
/// uses when it names the existing route in a conflict.
pub(crate) fn unescape_matchit(route: &str) -> String {
    let mut out = String::with_capacity(route.len());
    let mut chars = route.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if (c == '{' || c == '}') && chars.peek() == Some(&c) {
            chars.next();
        }
    }
    out
}

/// Best-effort translation of an unescaped `matchit` route back to Hertz
/// syntax (`{id}` → `:id`, `{*p}` → `*p`, anything else left literal). Only
/// used when a conflicting route cannot be found among the registered ones.
pub(crate) fn matchit_to_hertz(route: &str) -> String {
    let mut out = String::with_capacity(route.len());
    let mut rest = route;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let wild = after
            .find('}')
            .map(|close| (&after[..close], &after[close + 1..]));
        match wild {
            Some((inner, tail)) if is_wild(inner) => {
                match inner.strip_prefix('*') {
                    Some(name) => {
                        out.push('*');
                        out.push_str(name);
                    }
                    None => {
                        out.push(':');
                        out.push_str(inner);
                    }
                }
                rest = tail;
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_wild(inner: &str) -> bool {
    let name = inner.strip_prefix('*').unwrap_or(inner);
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(route: &str) -> String {
        match Pattern::parse(route) {
            Err(RouteError::Invalid { route: r, reason }) => {
                assert_eq!(r, route);
                reason
            }
            other => panic!("{route}: expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn converts_to_matchit() {
        let cases = [
            ("/", "/"),
            ("/users/:id", "/users/{id}"),
            ("/v:version/x", "/v{version}/x"),
            ("/img-:id", "/img-{id}"),
            ("/static/*filepath", "/static/{*filepath}"),
            ("/*all", "/{*all}"),
            ("/{lit}/:id/", "/{{lit}}/{id}/"),
            ("/a}b/{:x", "/a}}b/{{{x}"),
            ("/caf\u{e9}//x", "/caf\u{e9}//x"),
        ];
        for (hertz, want) in cases {
            let p = Pattern::parse(hertz).unwrap();
            assert_eq!(p.to_matchit(), want, "{hertz}");
            assert_eq!(p.as_str(), hertz);
        }
    }

    #[test]
    fn alias_for_catch_all() {
        let alias = |r: &str| Pattern::parse(r).unwrap().empty_catch_all_alias();
        assert_eq!(alias("/static/*p").as_deref(), Some("/static/"));
        assert_eq!(alias("/*p").as_deref(), Some("/"));
        assert_eq!(alias("/u/:id/{f}/*p").as_deref(), Some("/u/{id}/{{f}}/"));
        assert_eq!(alias("/static/:p"), None);
        assert_eq!(alias("/"), None);
    }

    #[test]
    fn names_in_order() {
        assert_eq!(
            param_names("/a/:x/b-:y/*z").unwrap(),
            ["x", "y", "z"].map(String::from)
        );
        assert!(param_names("/plain").unwrap().is_empty());
        let p = Pattern::parse("/a/*rest").unwrap();
        assert_eq!(p.catch_all_name(), Some("rest"));
    }

    #[test]
    fn invalid_patterns_have_precise_reasons() {
        assert_eq!(reason(""), "a route must start with `/`");
        assert_eq!(reason("users/:id"), "a route must start with `/`");
        assert_eq!(
            reason("/users/:"),
            "parameter `:` in segment `:` has an empty name"
        );
        assert_eq!(
            reason("/static/*"),
            "catch-all `*` in segment `*` has an empty name"
        );
        assert_eq!(
            reason("/static/*p/x"),
            "catch-all `*p` must be the last segment of the route"
        );
        assert_eq!(
            reason("/static/*p/"),
            "catch-all `*p` must be the last segment of the route"
        );
        assert_eq!(
            reason("/file*p"),
            "catch-all `*` must begin its segment, found in `file*p`"
        );
        assert_eq!(
            reason("/:a/:a"),
            "parameter name `a` is used more than once"
        );
        assert_eq!(
            reason("/:a/*a"),
            "parameter name `a` is used more than once"
        );
        assert!(reason("/:a:b").contains("more than one wildcard"));
        assert!(reason("/:a*b").contains("more than one wildcard"));
        assert!(reason("/:a.png").contains("contains '.'"));
        assert!(reason("/:{x}").contains("contains '{'"));
    }

    #[test]
    fn too_many_params_is_an_error_not_a_panic() {
        let ok: String = (0..26).map(|i| format!("/:p{i}")).collect();
        assert!(Pattern::parse(&ok).is_ok());
        let bad: String = (0..27).map(|i| format!("/:p{i}")).collect();
        assert!(reason(&bad).contains("too many parameters (27)"));
    }

    #[test]
    fn unescape_and_back_to_hertz() {
        assert_eq!(unescape_matchit("/{{lit}}/{id}"), "/{lit}/{id}");
        assert_eq!(unescape_matchit("/a}}b/{{{x}"), "/a}b/{{x}");
        assert_eq!(matchit_to_hertz("/users/{id}/f/{*p}"), "/users/:id/f/*p");
        assert_eq!(matchit_to_hertz("/{lit"), "/{lit");
        assert_eq!(matchit_to_hertz("/{a.b}/{}"), "/{a.b}/{}");
    }
}
