//! [`MultipartForm`]: a whole multipart body read at once — text values in memory, files as
//! [`UploadedFile`]s (in memory up to the threshold, spooled to disk beyond it).

use super::error::FormError;
use super::file::{Spool, UploadedFile};
use super::limits::MultipartLimits;
use super::stream::Multipart;

/// A parsed `multipart/form-data` body (Hertz `MultipartForm`): text values and files by field
/// name, in the order they arrived. See
/// [`RequestContext::multipart_form`](crate::app::RequestContext::multipart_form).
///
/// A part is a file when its `Content-Disposition` has a non-empty `filename`; otherwise its
/// content is a text value (as Go's `mime/multipart` does — a browser's empty file input is
/// a value). Parts without a `name` are skipped.
#[derive(Debug, Default)]
pub struct MultipartForm {
    values: Vec<(String, String)>,
    files: Vec<UploadedFile>,
}

impl MultipartForm {
    /// The first text value of field `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values(name).next()
    }

    /// Every text value of field `name`, in order.
    pub fn values<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + 'n
    where
        'a: 'n,
    {
        self.values
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every `(name, value)` text pair, in order.
    pub fn value_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The first file of field `name`.
    pub fn file(&self, name: &str) -> Option<&UploadedFile> {
        self.files(name).next()
    }

    /// Every file of field `name`, in order.
    pub fn files<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a UploadedFile> + 'n
    where
        'a: 'n,
    {
        self.files.iter().filter(move |f| f.field_name() == name)
    }

    /// All files, in order.
    pub fn all_files(&self) -> &[UploadedFile] {
        &self.files
    }

    /// Takes the files out (e.g. to [`persist`](UploadedFile::persist) them).
    pub fn into_files(self) -> Vec<UploadedFile> {
        self.files
    }

    /// Reads every part of `multipart`.
    pub(crate) async fn read(
        mut multipart: Multipart,
        limits: &MultipartLimits,
    ) -> Result<MultipartForm, FormError> {
        let mut form = MultipartForm::default();
        while let Some(mut field) = multipart.next_field().await? {
            let Some(name) = field.name().map(str::to_owned) else {
                while field.chunk().await?.is_some() {}
                continue;
            };
            if !field.is_file() {
                form.values.push((name, field.text().await?));
                continue;
            }
            let raw_file_name = field.file_name().unwrap_or_default().to_owned();
            let content_type = field.content_type().map(str::to_owned);
            let mut spool = Spool::new(limits.memory_threshold, limits.temp_dir.clone());
            while let Some(chunk) = field.chunk().await? {
                spool.write(&chunk).await?;
            }
            let file = spool.finish(name, raw_file_name, content_type).await?;
            form.files.push(file);
        }
        Ok(form)
    }
}
