//! [`UploadedFile`]: a file part of a parsed multipart form, kept in memory when small and in a
//! temporary file when not, and the spool that decides which while the part arrives.
//!
//! A spooled file is a `tempfile` temporary path: it is deleted when the [`UploadedFile`] is
//! dropped — when the request ends, since the context owns the parsed form — unless it was
//! moved away with [`UploadedFile::persist`].

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use tempfile::TempPath;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

/// Where an upload's content lives.
#[derive(Debug, Clone)]
enum Storage {
    Memory(Bytes),
    /// Shared by the clones of an upload; the file is deleted when the last one is dropped.
    Disk(Arc<TempPath>),
}

/// A file uploaded in a multipart form (Hertz `FormFile`'s `*multipart.FileHeader`).
///
/// ```
/// use khz::prelude::*;
///
/// async fn avatar(ctx: &mut RequestContext) {
///     if let Err(e) = ctx.multipart_form().await {
///         return e.abort(ctx);
///     }
///     let Some(file) = ctx.form_file("avatar") else {
///         return ctx.abort_with_msg(StatusCode::BAD_REQUEST, "no avatar");
///     };
///     let dest = format!("/srv/avatars/{}", file.file_name());
///     let saved = ctx.save_uploaded_file(file, &dest).await;
///     match saved {
///         Ok(()) => ctx.string(StatusCode::CREATED, dest),
///         Err(_) => ctx.abort_with_status(StatusCode::INTERNAL_SERVER_ERROR),
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct UploadedFile {
    field_name: String,
    raw_file_name: String,
    content_type: Option<String>,
    size: u64,
    storage: Storage,
}

impl UploadedFile {
    /// The form field the file was sent in.
    pub fn field_name(&self) -> &str {
        &self.field_name
    }

    /// The file name without any directory part the client may have sent (`../a/b.png` →
    /// `b.png`; `..` → empty), so it cannot point outside a directory it is joined to. Check
    /// it is not empty before using it as a name.
    pub fn file_name(&self) -> &str {
        let base = self
            .raw_file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default();
        if base == "." || base == ".." {
            ""
        } else {
            base
        }
    }

    /// The file name exactly as the client sent it.
    pub fn raw_file_name(&self) -> &str {
        &self.raw_file_name
    }

    /// The part's `Content-Type`, as the client declared it.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether the content is held in memory (else in a temporary file).
    pub fn is_in_memory(&self) -> bool {
        matches!(self.storage, Storage::Memory(_))
    }

    /// The temporary file holding the content, if it was spooled to disk.
    pub fn temp_path(&self) -> Option<&Path> {
        match &self.storage {
            Storage::Memory(_) => None,
            Storage::Disk(p) => Some(p),
        }
    }

    /// The whole content in memory (a spooled file is read back).
    pub async fn bytes(&self) -> io::Result<Bytes> {
        match &self.storage {
            Storage::Memory(b) => Ok(b.clone()),
            Storage::Disk(p) => tokio::fs::read(&**p).await.map(Bytes::from),
        }
    }

    /// Opens the content for reading.
    pub async fn open(&self) -> io::Result<UploadReader> {
        let inner = match &self.storage {
            Storage::Memory(b) => Reader::Memory(io::Cursor::new(b.clone())),
            Storage::Disk(p) => Reader::Disk(tokio::fs::File::open(&**p).await?),
        };
        Ok(UploadReader { inner })
    }

    /// Writes a copy of the content to `path` (replacing an existing file). The upload
    /// itself stays readable; its temporary file is still deleted when the request ends.
    pub async fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        match &self.storage {
            Storage::Memory(b) => tokio::fs::write(path, b).await,
            Storage::Disk(p) => tokio::fs::copy(&**p, path).await.map(|_| ()),
        }
    }

    /// Moves the content to `path` and keeps it there: a spooled file is renamed (copied
    /// when `path` is on another file system), so even a large upload is not copied.
    /// Take ownership of the files with
    /// [`take_multipart_form`](crate::app::RequestContext::take_multipart_form).
    pub async fn persist(self, path: impl AsRef<Path>) -> io::Result<PathBuf> {
        let dest = path.as_ref().to_owned();
        match self.storage {
            Storage::Memory(b) => tokio::fs::write(&dest, b).await?,
            Storage::Disk(shared) => match Arc::try_unwrap(shared) {
                Ok(temp) => {
                    if tokio::fs::rename(&*temp, &dest).await.is_err() {
                        // Most likely another file system: copy; `temp` is deleted on drop.
                        tokio::fs::copy(&*temp, &dest).await?;
                    } else {
                        // Renamed away: nothing left to delete.
                        let _ = temp.keep();
                    }
                }
                // Other clones still read the temporary file: leave it to them, copy.
                Err(shared) => {
                    tokio::fs::copy(&**shared, &dest).await?;
                }
            },
        }
        Ok(dest)
    }
}

/// Reads an [`UploadedFile`]'s content ([`UploadedFile::open`]); implements
/// [`tokio::io::AsyncRead`].
#[derive(Debug)]
pub struct UploadReader {
    inner: Reader,
}

#[derive(Debug)]
enum Reader {
    Memory(io::Cursor<Bytes>),
    Disk(tokio::fs::File),
}

impl AsyncRead for UploadReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Reader::Memory(c) => Pin::new(c).poll_read(cx, buf),
            Reader::Disk(f) => Pin::new(f).poll_read(cx, buf),
        }
    }
}

/// Collects one file part: in memory up to the threshold, then in a temporary file.
pub(crate) struct Spool {
    threshold: usize,
    dir: Option<PathBuf>,
    memory: BytesMut,
    disk: Option<(tokio::fs::File, TempPath)>,
    size: u64,
}

impl Spool {
    pub(crate) fn new(threshold: usize, dir: Option<PathBuf>) -> Spool {
        Spool {
            threshold,
            dir,
            memory: BytesMut::new(),
            disk: None,
            size: 0,
        }
    }

    /// Appends a chunk, moving everything to a temporary file once over the threshold.
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.size += chunk.len() as u64;
        if self.disk.is_none() && self.memory.len() + chunk.len() <= self.threshold {
            self.memory.extend_from_slice(chunk);
            return Ok(());
        }
        if self.disk.is_none() {
            let (mut file, path) = create_temp(self.dir.clone()).await?;
            file.write_all(&self.memory).await?;
            self.memory = BytesMut::new();
            self.disk = Some((file, path));
        }
        if let Some((file, _)) = &mut self.disk {
            file.write_all(chunk).await?;
        }
        Ok(())
    }

    /// Finishes the part into an [`UploadedFile`].
    pub(crate) async fn finish(
        self,
        field_name: String,
        raw_file_name: String,
        content_type: Option<String>,
    ) -> io::Result<UploadedFile> {
        let storage = match self.disk {
            None => Storage::Memory(self.memory.freeze()),
            Some((mut file, path)) => {
                file.flush().await?;
                Storage::Disk(Arc::new(path))
            }
        };
        Ok(UploadedFile {
            field_name,
            raw_file_name,
            content_type,
            size: self.size,
            storage,
        })
    }
}

/// Creates a temporary file (off the async workers, like `tokio::fs`).
async fn create_temp(dir: Option<PathBuf>) -> io::Result<(tokio::fs::File, TempPath)> {
    let named = tokio::task::spawn_blocking(move || {
        let mut builder = tempfile::Builder::new();
        builder.prefix("khz-upload-");
        match dir {
            Some(dir) => builder.tempfile_in(dir),
            None => builder.tempfile(),
        }
    })
    .await
    .map_err(io::Error::other)??;
    let (file, path) = named.into_parts();
    Ok((tokio::fs::File::from_std(file), path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn file(raw_name: &str) -> UploadedFile {
        UploadedFile {
            field_name: "f".into(),
            raw_file_name: raw_name.into(),
            content_type: None,
            size: 0,
            storage: Storage::Memory(Bytes::new()),
        }
    }

    #[test]
    fn file_names_lose_their_directories() {
        assert_eq!(file("a.png").file_name(), "a.png");
        assert_eq!(file("../../etc/passwd").file_name(), "passwd");
        assert_eq!(file("C:\\Users\\me\\cv.pdf").file_name(), "cv.pdf");
        assert_eq!(file("..").file_name(), "");
        assert_eq!(file("dir/").file_name(), "");
        assert_eq!(file("../x").raw_file_name(), "../x");
    }

    #[tokio::test]
    async fn spool_stays_in_memory_up_to_the_threshold_then_moves_to_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut small = Spool::new(8, Some(dir.path().into()));
        small.write(b"abcd").await.unwrap();
        small.write(b"efgh").await.unwrap();
        let f = small.finish("f".into(), "a".into(), None).await.unwrap();
        assert!(f.is_in_memory());
        assert_eq!(&f.bytes().await.unwrap()[..], b"abcdefgh");

        let mut big = Spool::new(8, Some(dir.path().into()));
        for part in [&b"abcd"[..], b"efgh", b"i"] {
            big.write(part).await.unwrap();
        }
        let f = big.finish("f".into(), "a".into(), None).await.unwrap();
        assert!(!f.is_in_memory());
        assert_eq!(f.size(), 9);
        let path = f.temp_path().unwrap().to_owned();
        assert!(path.starts_with(dir.path()));
        let mut read = Vec::new();
        f.open()
            .await
            .unwrap()
            .read_to_end(&mut read)
            .await
            .unwrap();
        assert_eq!(read, b"abcdefghi");
        drop(f);
        assert!(!path.exists(), "the temporary file is deleted on drop");
    }

    #[tokio::test]
    async fn persist_renames_the_spooled_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::new(0, Some(dir.path().into()));
        spool.write(b"kept").await.unwrap();
        let f = spool.finish("f".into(), "a".into(), None).await.unwrap();
        let temp = f.temp_path().unwrap().to_owned();
        let dest = dir.path().join("kept.bin");
        f.persist(&dest).await.unwrap();
        assert!(!temp.exists());
        assert_eq!(std::fs::read(&dest).unwrap(), b"kept");
    }
}
