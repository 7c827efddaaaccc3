//! Finding the file a request names, safely. Runs on the blocking pool (`std::fs`), all of it
//! in one hop per request.
//!
//! The request's relative path is split on `/` and refused outright (404) if any segment is
//! `..`, or holds a NUL, a backslash or another control character (or, on Windows, a `:` drive
//! or stream separator). What remains is joined to the root and **canonicalized** — symlinks
//! resolved — and must still lie inside the canonical root: a symlink that leads outside is as
//! good as a missing file. Index files and precompressed siblings pass the same check. Note that
//! a percent-encoded `..` or `/` never gets this far undecoded: the router decodes the path once,
//! and the checks run on the decoded segments.

use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use super::encoding::Coding;
use super::StaticDir;

/// An open file, ready to be sent.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) file: File,
    pub(crate) meta: Metadata,
    /// The name the content type is guessed from (the requested one, not a `.gz` sibling's).
    pub(crate) name: PathBuf,
    /// The coding of a precompressed sibling being sent instead of the file.
    pub(crate) coding: Option<Coding>,
}

/// One entry of a directory listing.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) is_dir: bool,
}

/// What a request under a static directory resolves to.
#[derive(Debug)]
pub(crate) enum Lookup {
    File(Opened),
    /// A directory asked for without its trailing slash.
    AddSlash,
    Listing(Vec<Entry>),
    NotFound,
}

/// The segments of a request path relative to the root, or `None` if it must be refused.
pub(crate) fn segments(rel: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    for seg in rel.split('/') {
        let bad_char = seg.chars().any(|c| c == '\\' || c.is_control());
        let drive = cfg!(windows) && seg.contains(':');
        match seg {
            "" | "." => {}
            ".." => return None,
            _ if bad_char || drive => return None,
            _ => out.push(seg),
        }
    }
    Some(out)
}

/// `path` canonicalized, if it exists and lies inside `root` (any path when `root` is `None`).
fn contained(root: Option<&Path>, path: &Path) -> Option<PathBuf> {
    let real = fs::canonicalize(path).ok()?;
    match root {
        Some(root) if !real.starts_with(root) => {
            tracing::debug!(path = %path.display(), "refused: resolves outside the static root");
            None
        }
        _ => Some(real),
    }
}

/// Opens `path` if it is a regular file inside `root`, or — when the client accepts one of
/// `codings` — its precompressed sibling instead. `Ok(None)`: nothing servable there.
pub(crate) fn open_file(
    root: Option<&Path>,
    path: &Path,
    codings: &[Coding],
) -> io::Result<Option<Opened>> {
    let Some(real) = contained(root, path) else {
        return Ok(None);
    };
    if !fs::metadata(&real)?.is_file() {
        return Ok(None);
    }
    for &coding in codings {
        let mut sibling = real.clone().into_os_string();
        sibling.push(coding.extension());
        let Some(sibling) = contained(root, Path::new(&sibling)) else {
            continue;
        };
        if let Ok(file) = File::open(&sibling) {
            let meta = file.metadata()?;
            if meta.is_file() {
                let name = path.to_path_buf();
                let coding = Some(coding);
                return Ok(Some(Opened {
                    file,
                    meta,
                    name,
                    coding,
                }));
            }
        }
    }
    let file = File::open(&real)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    let name = path.to_path_buf();
    Ok(Some(Opened {
        file,
        meta,
        name,
        coding: None,
    }))
}

/// Resolves `rel` (the decoded path after the static prefix) under `cfg`'s root.
pub(crate) fn lookup(cfg: &StaticDir, rel: &str, codings: &[Coding]) -> io::Result<Lookup> {
    let Some(segs) = segments(rel) else {
        tracing::debug!(path = rel, "refused static path");
        return Ok(Lookup::NotFound);
    };
    let root = match fs::canonicalize(&cfg.root) {
        Ok(root) => root,
        Err(e) => {
            tracing::warn!(root = %cfg.root.display(), error = %e, "static root unavailable");
            return Ok(Lookup::NotFound);
        }
    };
    let mut path = root.clone();
    path.extend(&segs);
    let Some(real) = contained(Some(&root), &path) else {
        return Ok(Lookup::NotFound);
    };
    if !fs::metadata(&real)?.is_dir() {
        // `file.txt/` names a directory that is not there.
        if rel.ends_with('/') {
            return Ok(Lookup::NotFound);
        }
        return Ok(match open_file(Some(&root), &path, codings)? {
            Some(opened) => Lookup::File(opened),
            None => Lookup::NotFound,
        });
    }
    if !rel.is_empty() && !rel.ends_with('/') {
        return Ok(Lookup::AddSlash);
    }
    for index in &cfg.index_files {
        if let Some(opened) = open_file(Some(&root), &real.join(index), codings)? {
            return Ok(Lookup::File(opened));
        }
    }
    if !cfg.browse {
        return Ok(Lookup::NotFound);
    }
    let mut entries = Vec::new();
    for entry in fs::read_dir(&real)? {
        let entry = entry?;
        let is_dir = entry.file_type()?.is_dir();
        let name = entry.file_name().to_string_lossy().into_owned();
        entries.push(Entry { name, is_dir });
    }
    entries.sort_by(|a, b| (!a.is_dir, &a.name).cmp(&(!b.is_dir, &b.name)));
    Ok(Lookup::Listing(entries))
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn refuses_traversal_and_odd_characters() {
        assert_eq!(segments("a/b.txt"), Some(vec!["a", "b.txt"]));
        assert_eq!(segments("/a//./b/"), Some(vec!["a", "b"]));
        assert_eq!(segments(""), Some(vec![]));
        assert_eq!(segments("..."), Some(vec!["..."]));
        for bad in [
            "..", "a/../b", "../x", "a/..", "a\\..\\b", "a\0b", "a\nb", "a\x7fb",
        ] {
            assert_eq!(segments(bad), None, "{bad:?}");
        }
    }
}
