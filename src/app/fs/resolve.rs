//! Finding the file a request names, safely. Runs on the blocking pool, all of it in one hop
//! per request.
//!
//! The request's relative path is split on `/` and refused outright (404) if any segment is
//! `..`, or holds a NUL, a backslash or another control character (or, on Windows, a `:` drive
//! or stream separator), or is a dotfile the [`Dotfiles`] option hides. What remains is opened
//! beneath the root by `open` — symlinks followed only while they stay inside the root, with
//! no window between the check and the open — so a symlink that leads outside is as good as a
//! missing file. Index files and precompressed siblings pass the same checks (dotfile rule
//! included), and a listing leaves out the entries the dotfile rule hides. Note that a
//! percent-encoded `..`, `.` or `/` never gets this far undecoded: the router decodes the path
//! once, and the checks run on the decoded segments.

use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use super::encoding::Coding;
use super::open::Root;
use super::{Dotfiles, StaticDir};

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

/// An opened regular file, or `None` if `file` is something else.
fn regular(file: File, name: PathBuf, coding: Option<Coding>) -> io::Result<Option<Opened>> {
    let meta = file.metadata()?;
    Ok(meta.is_file().then_some(Opened {
        file,
        meta,
        name,
        coding,
    }))
}

/// Opens the file at `path` for [`RequestContext::file`](crate::app::RequestContext::file): a
/// path the application chose, so symlinks are followed wherever they lead. `Ok(None)`: not
/// a regular file.
pub(crate) fn open_path(path: &Path) -> io::Result<Option<Opened>> {
    // Checked before opening: opening a FIFO would block.
    if !fs::metadata(path)?.is_file() {
        return Ok(None);
    }
    regular(File::open(path)?, path.to_path_buf(), None)
}

/// Opens `segs` under `root` if it is a regular file whose path `dotfiles` allows (already
/// opened as `file`), or — when the client accepts one of `codings` — its precompressed
/// sibling instead. `Ok(None)`: nothing servable there.
fn open_file(
    root: &Root,
    dotfiles: Dotfiles,
    segs: &[&str],
    file: File,
    codings: &[Coding],
) -> io::Result<Option<Opened>> {
    let name: PathBuf = root.path().join(segs.iter().collect::<PathBuf>());
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    if let Some((last, parent)) = segs.split_last() {
        for &coding in codings {
            let sibling = format!("{last}{}", coding.extension());
            let mut path = parent.to_vec();
            path.push(&sibling);
            if !dotfiles.allows(path.iter().copied()) {
                continue;
            }
            if let Some(file) = root.open_beneath(&path)? {
                if let Some(opened) = regular(file, name.clone(), Some(coding))? {
                    return Ok(Some(opened));
                }
            }
        }
    }
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
    if !cfg.dotfiles.allows(segs.iter().copied()) {
        tracing::debug!(path = rel, "refused: a hidden dotfile");
        return Ok(Lookup::NotFound);
    }
    let root = match Root::open(&cfg.root) {
        Ok(root) => root,
        Err(e) => {
            tracing::warn!(root = %cfg.root.display(), error = %e, "static root unavailable");
            return Ok(Lookup::NotFound);
        }
    };
    let Some(found) = root.open_beneath(&segs)? else {
        return Ok(Lookup::NotFound);
    };
    if !found.metadata()?.is_dir() {
        // `file.txt/` names a directory that is not there.
        if rel.ends_with('/') {
            return Ok(Lookup::NotFound);
        }
        return Ok(
            match open_file(&root, cfg.dotfiles, &segs, found, codings)? {
                Some(opened) => Lookup::File(opened),
                None => Lookup::NotFound,
            },
        );
    }
    if !rel.is_empty() && !rel.ends_with('/') {
        return Ok(Lookup::AddSlash);
    }
    for index in &cfg.index_files {
        let Some(index) = segments(index) else {
            continue;
        };
        let mut path = segs.clone();
        path.extend(index);
        if !cfg.dotfiles.allows(path.iter().copied()) {
            continue;
        }
        let Some(file) = root.open_beneath(&path)? else {
            continue;
        };
        if let Some(opened) = open_file(&root, cfg.dotfiles, &path, file, codings)? {
            return Ok(Lookup::File(opened));
        }
    }
    if !cfg.browse {
        return Ok(Lookup::NotFound);
    }
    let mut entries: Vec<Entry> = root
        .list(&found, &segs)?
        .into_iter()
        .filter(|(name, _)| {
            cfg.dotfiles
                .allows(segs.iter().copied().chain(std::iter::once(name.as_str())))
        })
        .map(|(name, is_dir)| Entry { name, is_dir })
        .collect();
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
