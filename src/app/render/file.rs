//! [`RequestContext::file`] and [`RequestContext::file_attachment`] (Hertz `File`,
//! `FileAttachment`), and the `Content-Disposition` encoding they use.
//!
//! Files are sent like static files (see [`fs`](crate::app::fs)): streamed with a
//! `Content-Length`, content type from the extension, a strong `ETag`, `Last-Modified`,
//! conditional and `Range` requests honoured. The path is the application's, taken as it is:
//! never pass request input to it unchecked — mount a [`StaticDir`](crate::app::fs::StaticDir)
//! for that.

use std::path::Path;

use http::header::{self, HeaderValue};
use http::StatusCode;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::app::fs::{self, resolve, serve};
use crate::app::RequestContext;

/// RFC 5987 `attr-char`s stay; everything else in `filename*` is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// A `Content-Disposition` value: `disposition` (`attachment` or `inline`) with `filename`.
///
/// Control characters are dropped. A name of plain printable ASCII goes in `filename="…"`
/// (quotes and backslashes escaped); any other name gets an ASCII fallback (`_` for what
/// cannot be shown) plus the exact UTF-8 name in `filename*=UTF-8''…` (RFC 6266, RFC 5987),
/// which every current browser prefers.
///
/// ```
/// use khz::app::render::content_disposition;
/// assert_eq!(content_disposition("attachment", "report.pdf"), r#"attachment; filename="report.pdf""#);
/// assert_eq!(
///     content_disposition("attachment", "résumé 1.pdf"),
///     r#"attachment; filename="r_sum_ 1.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.pdf"#,
/// );
/// ```
pub fn content_disposition(disposition: &str, filename: &str) -> HeaderValue {
    let name: String = filename.chars().filter(|c| !c.is_control()).collect();
    let mut fallback = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                fallback.push('\\');
                fallback.push(c);
            }
            ' '..='~' => fallback.push(c),
            _ => fallback.push('_'),
        }
    }
    let mut value = format!("{disposition}; filename=\"{fallback}\"");
    if !name.is_ascii() {
        value.push_str("; filename*=UTF-8''");
        value.extend(utf8_percent_encode(&name, ATTR_CHAR));
    }
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

impl RequestContext {
    /// Sends the file at `path`: streamed from disk with a `Content-Length`, `Content-Type`
    /// from its extension, a strong `ETag` and `Last-Modified`, answering conditional requests
    /// (`304`, `412`) and byte ranges (`206`, `416`). A missing file (or a directory) answers
    /// `404`, an unreadable one `403`. Headers set before the call are kept.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// async fn report(ctx: &mut RequestContext) {
    ///     ctx.file("./reports/latest.pdf").await;
    /// }
    /// ```
    pub async fn file(&mut self, path: impl AsRef<Path>) {
        let path = path.as_ref().to_path_buf();
        match fs::blocking(move || resolve::open_path(&path)).await {
            Ok(Some(opened)) => serve::send_file(self, opened, &serve::Extra::default()).await,
            Ok(None) => self.not_found(),
            Err(e) => fs::io_failure(self, &e),
        }
    }

    /// Sends the file at `path` like [`file`](RequestContext::file), as a download named
    /// `filename` (`Content-Disposition: attachment`, see [`content_disposition`]).
    ///
    /// ```
    /// # use khz::prelude::*;
    /// async fn export(ctx: &mut RequestContext) {
    ///     ctx.file_attachment("./exports/2024.csv", "Überblick 2024.csv").await;
    /// }
    /// ```
    pub async fn file_attachment(&mut self, path: impl AsRef<Path>, filename: &str) {
        self.file(path).await;
        let status = self.response().status();
        if status == StatusCode::OK || status == StatusCode::PARTIAL_CONTENT {
            let value = content_disposition("attachment", filename);
            self.response_mut()
                .set_header(header::CONTENT_DISPOSITION, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn disposition_encoding() {
        assert_eq!(
            content_disposition("attachment", "a \"quoted\" \\ name.txt"),
            r#"attachment; filename="a \"quoted\" \\ name.txt""#
        );
        assert_eq!(
            content_disposition("attachment", "evil\r\nSet-Cookie: x.txt"),
            r#"attachment; filename="evilSet-Cookie: x.txt""#
        );
        assert_eq!(
            content_disposition("inline", "日本.txt"),
            r#"inline; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"#
        );
    }
}
