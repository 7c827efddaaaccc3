//! Validators of a file (`ETag`, `Last-Modified`) and conditional requests (RFC 9110 §13):
//! `If-Match`, `If-Unmodified-Since` (→ `412`), `If-None-Match`, `If-Modified-Since` (→ `304`
//! for GET/HEAD) and `If-Range`, evaluated in the order the RFC prescribes.
//!
//! The `ETag` is **strong** — `"<inode>-<size>-<mtime in ns>"` in hex, Apache's default
//! validator — when the platform reports an inode and a modification time with a sub-second
//! part: a changed file gets a new mtime (or, replaced by rename, a new inode), so the tag names
//! one byte sequence. Each precompressed variant is its own file and gets its own tag, with
//! `-br` / `-gz` appended so variants never share one. When the validator is not good enough —
//! no inode (non-Unix), no mtime, or an mtime in whole seconds (a coarse filesystem, or times
//! set by an archive tool), where two writes in one second could share it — the tag is weak,
//! `W/"<size>-<mtime in ns>"`. Per the RFC `If-None-Match` uses the weak comparison (either
//! kind matches); `If-Match` and `If-Range` the strong one, so they work with a strong tag
//! (`If-Match` → proceed or `412`, `If-Range` → resume or the whole file) and never match a
//! weak one. Clients can also resume with `If-Range: <Last-Modified date>`, which matches when
//! the date is exactly the file's modification time. Dates are compared at one-second
//! resolution.

use std::fs::Metadata;
use std::time::{SystemTime, UNIX_EPOCH};

use http::Method;

use super::encoding::Coding;

/// The validators of one representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Validators {
    /// The entity tag, quotes (and `W/` when weak) included.
    pub(crate) etag: String,
    /// Modification time in whole seconds since the epoch, if the platform reports one.
    pub(crate) modified: Option<u64>,
}

impl Validators {
    /// Validators of a file of `len` bytes with inode number `inode`, last modified at
    /// `mtime`, served with `coding`.
    pub(crate) fn new(
        len: u64,
        mtime: Option<SystemTime>,
        inode: Option<u64>,
        coding: Option<Coding>,
    ) -> Self {
        let since = mtime.and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        let nanos = since.map_or(0, |d| d.as_nanos());
        let suffix = coding.map_or("", Coding::etag_suffix);
        let fine_mtime = since.is_some_and(|d| d.subsec_nanos() != 0);
        let etag = match inode {
            Some(ino) if fine_mtime => format!("\"{ino:x}-{len:x}-{nanos:x}{suffix}\""),
            _ => format!("W/\"{len:x}-{nanos:x}{suffix}\""),
        };
        Validators {
            etag,
            modified: since.map(|d| d.as_secs()),
        }
    }

    /// Validators of the file described by `meta`, served with `coding`.
    pub(crate) fn of(meta: &Metadata, coding: Option<Coding>) -> Self {
        #[cfg(unix)]
        let inode = Some(std::os::unix::fs::MetadataExt::ino(meta));
        #[cfg(not(unix))]
        let inode = None;
        Validators::new(meta.len(), meta.modified().ok(), inode, coding)
    }

    /// The `Last-Modified` value.
    pub(crate) fn last_modified(&self) -> Option<String> {
        let secs = self.modified?;
        Some(httpdate::fmt_http_date(
            UNIX_EPOCH + std::time::Duration::from_secs(secs),
        ))
    }
}

/// The conditional headers of a request (first value of each; `If-Match` / `If-None-Match`
/// lists joined with commas).
#[derive(Debug, Default, Clone)]
pub(crate) struct Conditions {
    pub(crate) if_match: Option<String>,
    pub(crate) if_none_match: Option<String>,
    pub(crate) if_modified_since: Option<String>,
    pub(crate) if_unmodified_since: Option<String>,
}

/// What the preconditions decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Serve the representation.
    Proceed,
    /// `304 Not Modified`.
    NotModified,
    /// `412 Precondition Failed`.
    Failed,
}

/// One entity tag of a list: whether it is weak, and its opaque part (quotes included).
fn entity_tags(list: &str) -> impl Iterator<Item = (bool, &str)> {
    let mut rest = list;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return None;
        }
        let weak = rest.starts_with("W/");
        let tag = if weak { &rest[2..] } else { rest };
        // An opaque tag is `"…"` with no `"` inside; anything else ends the list.
        let end = tag
            .strip_prefix('"')
            .and_then(|t| t.find('"'))
            .map(|i| i + 2);
        let Some(end) = end else {
            rest = "";
            return None;
        };
        rest = &tag[end..];
        Some((weak, &tag[..end]))
    })
}

fn opaque(etag: &str) -> (bool, &str) {
    match etag.strip_prefix("W/") {
        Some(tag) => (true, tag),
        None => (false, etag),
    }
}

/// Whether `list` (`*` or entity tags) matches `etag` with the weak comparison.
fn matches_weak(list: &str, etag: &str) -> bool {
    let (_, mine) = opaque(etag);
    list.trim() == "*" || entity_tags(list).any(|(_, tag)| tag == mine)
}

/// Whether `list` matches `etag` with the strong comparison (neither may be weak).
fn matches_strong(list: &str, etag: &str) -> bool {
    let (my_weak, mine) = opaque(etag);
    list.trim() == "*" || entity_tags(list).any(|(weak, tag)| !weak && !my_weak && tag == mine)
}

fn date_secs(value: &str) -> Option<u64> {
    let t = httpdate::parse_http_date(value.trim()).ok()?;
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// Evaluates the preconditions of a request with `method` against `v` (RFC 9110 §13.2.2).
pub(crate) fn evaluate(c: &Conditions, method: &Method, v: &Validators) -> Verdict {
    if let Some(list) = &c.if_match {
        if !matches_strong(list, &v.etag) {
            return Verdict::Failed;
        }
    } else if let (Some(date), Some(modified)) = (
        c.if_unmodified_since.as_deref().and_then(date_secs),
        v.modified,
    ) {
        if modified > date {
            return Verdict::Failed;
        }
    }
    let safe = method == Method::GET || method == Method::HEAD;
    if let Some(list) = &c.if_none_match {
        if matches_weak(list, &v.etag) {
            return if safe {
                Verdict::NotModified
            } else {
                Verdict::Failed
            };
        }
    } else if let (true, Some(date), Some(modified)) = (
        safe,
        c.if_modified_since.as_deref().and_then(date_secs),
        v.modified,
    ) {
        if modified <= date {
            return Verdict::NotModified;
        }
    }
    Verdict::Proceed
}

/// Whether `If-Range: value` lets a `Range` apply: a date equal to the modification time, or a
/// strongly matching entity tag (never, for a weak tag).
pub(crate) fn if_range_holds(value: &str, v: &Validators) -> bool {
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        return matches_strong(value, &v.etag);
    }
    matches!((date_secs(value), v.modified), (Some(d), Some(m)) if d == m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn v() -> Validators {
        Validators::new(
            10,
            Some(UNIX_EPOCH + Duration::new(1_700_000_000, 5)),
            Some(0xab),
            None,
        )
    }

    /// The same file on a platform without inodes: a weak tag.
    fn weak() -> Validators {
        Validators::new(
            10,
            Some(UNIX_EPOCH + Duration::new(1_700_000_000, 5)),
            None,
            None,
        )
    }

    fn when(f: impl FnOnce(&mut Conditions)) -> Verdict {
        let mut c = Conditions::default();
        f(&mut c);
        evaluate(&c, &Method::GET, &v())
    }

    const BEFORE: &str = "Tue, 14 Nov 2023 22:13:19 GMT";
    const AT: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

    #[test]
    fn validators_look_right() {
        let v = v();
        let ns = 1_700_000_000_000_000_005u128;
        assert_eq!(v.etag, format!("\"ab-a-{ns:x}\""));
        assert_eq!(weak().etag, format!("W/\"a-{ns:x}\""));
        assert_eq!(v.last_modified().as_deref(), Some(AT));
        let br = Validators::new(
            10,
            Some(UNIX_EPOCH + Duration::new(9, 1)),
            Some(1),
            Some(Coding::Br),
        );
        assert_eq!(br.etag, "\"1-a-218711a01-br\"");
        let gz = Validators::new(10, None, Some(1), Some(Coding::Gzip));
        assert_eq!((gz.etag.as_str(), gz.modified), ("W/\"a-0-gz\"", None));
        // Whole seconds (a coarse filesystem) are not good enough for a strong tag.
        let coarse = Validators::new(10, Some(UNIX_EPOCH + Duration::from_secs(9)), Some(1), None);
        assert_eq!(coarse.etag, "W/\"a-218711a00\"");
    }

    #[test]
    fn none_match_and_modified_since() {
        let tag = v().etag;
        assert_eq!(
            when(|c| c.if_none_match = Some(tag.clone())),
            Verdict::NotModified
        );
        let list = format!("\"x\", W/{tag}");
        assert_eq!(when(|c| c.if_none_match = Some(list)), Verdict::NotModified);
        assert_eq!(
            when(|c| c.if_none_match = Some("*".into())),
            Verdict::NotModified
        );
        assert_eq!(
            when(|c| c.if_none_match = Some("\"other\"".into())),
            Verdict::Proceed
        );
        assert_eq!(
            when(|c| c.if_modified_since = Some(AT.into())),
            Verdict::NotModified
        );
        assert_eq!(
            when(|c| c.if_modified_since = Some(BEFORE.into())),
            Verdict::Proceed
        );
        assert_eq!(
            when(|c| c.if_modified_since = Some("garbage".into())),
            Verdict::Proceed
        );
        // If-None-Match wins over If-Modified-Since.
        assert_eq!(
            when(|c| {
                c.if_none_match = Some("\"other\"".into());
                c.if_modified_since = Some(AT.into());
            }),
            Verdict::Proceed
        );
        let c = Conditions {
            if_none_match: Some(v().etag),
            ..Conditions::default()
        };
        assert_eq!(evaluate(&c, &Method::POST, &v()), Verdict::Failed);
    }

    #[test]
    fn match_and_unmodified_since() {
        assert_eq!(when(|c| c.if_match = Some("*".into())), Verdict::Proceed);
        assert_eq!(when(|c| c.if_match = Some(v().etag)), Verdict::Proceed);
        let list = format!("\"x\", {}", v().etag);
        assert_eq!(when(|c| c.if_match = Some(list)), Verdict::Proceed);
        assert_eq!(
            when(|c| c.if_match = Some(format!("W/{}", v().etag))),
            Verdict::Failed,
            "a weak tag never matches strongly"
        );
        let c = Conditions {
            if_match: Some(weak().etag),
            ..Conditions::default()
        };
        assert_eq!(evaluate(&c, &Method::GET, &weak()), Verdict::Failed);
        assert_eq!(when(|c| c.if_match = Some("\"x\"".into())), Verdict::Failed);
        assert_eq!(
            when(|c| c.if_unmodified_since = Some(AT.into())),
            Verdict::Proceed
        );
        assert_eq!(
            when(|c| c.if_unmodified_since = Some(BEFORE.into())),
            Verdict::Failed
        );
    }

    #[test]
    fn if_range() {
        assert!(if_range_holds(AT, &v()));
        assert!(!if_range_holds(BEFORE, &v()));
        assert!(if_range_holds(&v().etag, &v()));
        assert!(!if_range_holds(&format!("W/{}", v().etag), &v()));
        assert!(!if_range_holds(&weak().etag, &weak()));
        assert!(!if_range_holds("\"x\"", &v()));
        assert!(!if_range_holds("nonsense", &v()));
    }

    #[test]
    fn entity_tag_lists() {
        let tags: Vec<_> = entity_tags(" W/\"a,b\" ,\"c\",, \"d").collect();
        assert_eq!(tags, vec![(true, "\"a,b\""), (false, "\"c\"")]);
    }
}
