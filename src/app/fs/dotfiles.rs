//! Which dotfiles a static directory serves ([`StaticDir::dotfiles`](super::StaticDir::dotfiles)).
//!
//! A *dotfile* is any path segment starting with `.` — `.env`, `.git/config`,
//! `a/.htpasswd` — checked on the decoded path, so `%2eenv` is `.env`. The rule covers every
//! name khz derives from a request too: index files and precompressed `x.br` / `x.gz` siblings,
//! and the entries a directory listing shows. A hidden path answers `404`, exactly like a
//! missing one, so its existence does not leak.

/// Whether a static directory serves dotfiles — paths with a segment starting with `.`.
///
/// ```
/// use khz::app::fs::{Dotfiles, StaticDir};
/// // ACME challenges and security.txt, but never `.env` or `.git/`:
/// let dir = StaticDir::new("./public").dotfiles(Dotfiles::WellKnownOnly);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Dotfiles {
    /// The default: every path with a dotfile segment answers `404` and listings leave such
    /// entries out.
    #[default]
    Hidden,
    /// Dotfiles are served and listed like any other file (a conscious choice: `.env`, `.git/`
    /// and `.htpasswd` in the root would be public).
    Allow,
    /// Only the `.well-known/` directory at the top of the static root (RFC 8615) and what lies
    /// under it; every other dotfile — including one inside `.well-known/` — stays hidden.
    WellKnownOnly,
}

impl Dotfiles {
    /// Whether the path made of `segs` (relative to the root, no `.` or `..` segments) may be
    /// served.
    pub(crate) fn allows<'a>(self, segs: impl IntoIterator<Item = &'a str>) -> bool {
        match self {
            Dotfiles::Allow => true,
            Dotfiles::Hidden => segs.into_iter().all(|s| !s.starts_with('.')),
            Dotfiles::WellKnownOnly => segs
                .into_iter()
                .enumerate()
                .all(|(i, s)| !s.starts_with('.') || (i == 0 && s == ".well-known")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dotfiles::{self, *};

    fn ok(d: Dotfiles, path: &str) -> bool {
        d.allows(path.split('/').filter(|s| !s.is_empty()))
    }

    #[test]
    fn rules() {
        for p in ["", "a.txt", "a/b.c", "a/b./c.", "x/y.env"] {
            for d in [Hidden, Allow, WellKnownOnly] {
                assert!(ok(d, p), "{d:?} {p}");
            }
        }
        for p in [
            ".env",
            ".git/config",
            "a/.htpasswd",
            ".well-known/x",
            "a/.b/c",
        ] {
            assert!(!ok(Hidden, p), "{p}");
            assert!(ok(Allow, p), "{p}");
        }
        assert!(ok(WellKnownOnly, ".well-known/acme-challenge/tok"));
        assert!(ok(WellKnownOnly, ".well-known"));
        assert!(ok(WellKnownOnly, "plain/file"));
        for p in [
            ".env",
            "a/.well-known/x",
            ".well-known/.secret",
            ".well-knownx/y",
        ] {
            assert!(!ok(WellKnownOnly, p), "{p}");
        }
    }
}
