//! Opening a path beneath the static root so that the containment check and the open are one
//! step: no window in which a path component can be swapped for a symlink leading out.
//!
//! On Linux the root is opened once per request and every file under it with `openat2(2)` and
//! `RESOLVE_BENEATH`: the kernel follows symlinks only while they stay beneath the root
//! directory, so what is opened is what was checked. `RESOLVE_BENEATH` refuses absolute
//! symlinks, even ones pointing back inside the root; for those (and any other refusal) the
//! path is canonicalized, checked to lie inside the canonical root, and the canonical path —
//! which has no symlinks left — is opened again with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`,
//! so a symlink put there in between makes the open fail instead of leading out. Where
//! `openat2` is missing (kernels before 5.6: `ENOSYS`, remembered) the canonical path is
//! opened with `O_NOFOLLOW` (the last component cannot be a symlink). Elsewhere it is the
//! canonicalize check followed by a plain open. Files are opened with `O_NONBLOCK` on Linux, so
//! a FIFO under the root cannot park a blocking-pool thread.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// The static root of one request: its canonical path (and, on Linux, an open directory).
#[derive(Debug)]
pub(crate) struct Root {
    path: PathBuf,
    #[cfg(target_os = "linux")]
    dir: std::os::fd::OwnedFd,
}

/// `Ok(None)` for errors that mean "nothing there", the error otherwise.
fn missing<T>(e: io::Error) -> io::Result<Option<T>> {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Ok(None),
        _ => Err(e),
    }
}

/// `missing` for an errno; `ENXIO` (a socket or a device without a driver) is nothing servable.
#[cfg(target_os = "linux")]
fn missing_errno<T>(e: rustix::io::Errno) -> io::Result<Option<T>> {
    if e == rustix::io::Errno::NXIO {
        return Ok(None);
    }
    missing(e.into())
}

/// `segs` as a relative path; the root itself is `.`.
fn relative(segs: &[&str]) -> PathBuf {
    if segs.is_empty() {
        PathBuf::from(".")
    } else {
        segs.iter().collect()
    }
}

impl Root {
    /// Canonicalizes (and on Linux opens) the root directory at `root`.
    pub(crate) fn open(root: &Path) -> io::Result<Root> {
        let path = fs::canonicalize(root)?;
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let dir = rustix::fs::open(&path, flags, Mode::empty())?;
            Ok(Root { path, dir })
        }
        #[cfg(not(target_os = "linux"))]
        Ok(Root { path })
    }

    /// The canonical path of the root.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// `rel` canonicalized, if it exists and lies inside the root.
    fn canonical(&self, rel: &Path) -> Option<PathBuf> {
        let real = fs::canonicalize(self.path.join(rel)).ok()?;
        if real.starts_with(&self.path) {
            Some(real)
        } else {
            tracing::debug!(path = %rel.display(), "refused: resolves outside the static root");
            None
        }
    }

    /// Opens the file or directory named by `segs` (relative to the root, already checked for
    /// `..` and odd characters). `Ok(None)`: missing, or it leads outside the root.
    #[cfg(target_os = "linux")]
    pub(crate) fn open_beneath(&self, segs: &[&str]) -> io::Result<Option<File>> {
        use std::sync::atomic::{AtomicBool, Ordering};

        /// Cleared when the kernel answers `openat2` with `ENOSYS`.
        static OPENAT2: AtomicBool = AtomicBool::new(true);
        let mut unsupported = false;
        let found = self.open_linux(segs, OPENAT2.load(Ordering::Relaxed), &mut unsupported);
        if unsupported {
            tracing::debug!("no openat2 (ENOSYS): static files fall back to O_NOFOLLOW");
            OPENAT2.store(false, Ordering::Relaxed);
        }
        found
    }

    /// [`open_beneath`](Self::open_beneath) with `openat2` (when `openat2` is true) or with
    /// the `O_NOFOLLOW` fallback; `unsupported` is set when the kernel lacks `openat2`.
    #[cfg(target_os = "linux")]
    fn open_linux(
        &self,
        segs: &[&str],
        mut openat2: bool,
        unsupported: &mut bool,
    ) -> io::Result<Option<File>> {
        use rustix::fs::{Mode, OFlags, ResolveFlags};
        use rustix::io::Errno;

        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
        let rel = relative(segs);
        if openat2 {
            let how = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
            match rustix::fs::openat2(&self.dir, &rel, flags, Mode::empty(), how) {
                Ok(fd) => return Ok(Some(File::from(fd))),
                Err(Errno::NOSYS) => (openat2, *unsupported) = (false, true),
                // An absolute symlink, one leading out, or a loop: settled below.
                Err(Errno::XDEV | Errno::LOOP) => {}
                Err(e) => return missing_errno(e),
            }
        }
        let Some(real) = self.canonical(&rel) else {
            return Ok(None);
        };
        if openat2 {
            let inner = real.strip_prefix(&self.path).unwrap_or(Path::new(""));
            let inner = if inner.as_os_str().is_empty() {
                Path::new(".")
            } else {
                inner
            };
            let how = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS;
            return match rustix::fs::openat2(&self.dir, inner, flags, Mode::empty(), how) {
                Ok(fd) => Ok(Some(File::from(fd))),
                // Swapped for a symlink since it was canonicalized.
                Err(Errno::XDEV | Errno::LOOP) => Ok(None),
                Err(e) => missing_errno(e),
            };
        }
        match rustix::fs::open(&real, flags | OFlags::NOFOLLOW, Mode::empty()) {
            Ok(fd) => Ok(Some(File::from(fd))),
            Err(Errno::LOOP) => Ok(None),
            Err(e) => missing_errno(e),
        }
    }

    /// Opens the file or directory named by `segs` (relative to the root, already checked for
    /// `..` and odd characters). `Ok(None)`: missing, not a file or directory, or it leads
    /// outside the root.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn open_beneath(&self, segs: &[&str]) -> io::Result<Option<File>> {
        let Some(real) = self.canonical(&relative(segs)) else {
            return Ok(None);
        };
        let meta = fs::metadata(&real)?;
        if !meta.is_file() && !meta.is_dir() {
            return Ok(None);
        }
        File::open(&real).map(Some).or_else(missing)
    }

    /// The entries of the directory `dir` (opened by [`open_beneath`](Self::open_beneath) from
    /// `segs`): names, and whether each is a directory (symlinks are not followed).
    #[cfg(target_os = "linux")]
    pub(crate) fn list(&self, dir: &File, _segs: &[&str]) -> io::Result<Vec<(String, bool)>> {
        use rustix::fs::{AtFlags, FileType};
        let mut out = Vec::new();
        for entry in rustix::fs::Dir::read_from(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if name.to_bytes() == b"." || name.to_bytes() == b".." {
                continue;
            }
            let is_dir = match entry.file_type() {
                FileType::Unknown => {
                    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
                    FileType::from_raw_mode(st.st_mode) == FileType::Directory
                }
                t => t == FileType::Directory,
            };
            out.push((name.to_string_lossy().into_owned(), is_dir));
        }
        Ok(out)
    }

    /// The entries of the directory named by `segs`: names, and whether each is a directory
    /// (symlinks are not followed).
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn list(&self, _dir: &File, segs: &[&str]) -> io::Result<Vec<(String, bool)>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(self.path.join(relative(segs)))? {
            let entry = entry?;
            let is_dir = entry.file_type()?.is_dir();
            out.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
        }
        Ok(out)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::Root;
    use std::io::Read;
    use std::os::unix::fs::symlink;

    /// The text of the file `segs` opens, `None` if refused.
    fn read(found: std::io::Result<Option<std::fs::File>>) -> Option<String> {
        let mut text = String::new();
        found
            .expect("no I/O error")?
            .read_to_string(&mut text)
            .ok()?;
        Some(text)
    }

    /// `<tmp>/r` with `f`, `d/g`, symlinks inside (relative and absolute) and out.
    fn tree() -> (tempfile::TempDir, Root) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("r");
        std::fs::create_dir_all(root.join("d")).unwrap();
        std::fs::write(root.join("f"), "in").unwrap();
        std::fs::write(root.join("d/g"), "deep").unwrap();
        std::fs::write(dir.path().join("secret"), "out").unwrap();
        symlink("f", root.join("rel-in")).unwrap();
        symlink(root.join("f"), root.join("abs-in")).unwrap();
        symlink(root.join("d"), root.join("abs-dir")).unwrap();
        symlink("../secret", root.join("rel-out")).unwrap();
        symlink(dir.path().join("secret"), root.join("abs-out")).unwrap();
        symlink(dir.path(), root.join("dir-out")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        let root = Root::open(&root).unwrap();
        (dir, root)
    }

    const CASES: [(&[&str], Option<&str>); 10] = [
        (&["f"], Some("in")),
        (&["d", "g"], Some("deep")),
        (&["rel-in"], Some("in")),
        (&["abs-in"], Some("in")),
        (&["abs-dir", "g"], Some("deep")),
        (&["rel-out"], None),
        (&["abs-out"], None),
        (&["dir-out", "secret"], None),
        (&["loop"], None),
        (&["missing"], None),
    ];

    #[test]
    fn opens_inside_and_refuses_outside() {
        let (_dir, root) = tree();
        for (segs, want) in CASES {
            assert_eq!(read(root.open_beneath(segs)).as_deref(), want, "{segs:?}");
        }
        assert!(root.open_beneath(&[]).unwrap().is_some(), "the root itself");
    }

    /// The paths a kernel without `openat2` takes, forced.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_fallbacks_agree() {
        let (_dir, root) = tree();
        for openat2 in [true, false] {
            for (segs, want) in CASES {
                let mut unsupported = false;
                let found = root.open_linux(segs, openat2, &mut unsupported);
                assert_eq!(read(found).as_deref(), want, "{segs:?} openat2={openat2}");
            }
        }
    }
}
