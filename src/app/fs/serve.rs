//! Sending an opened file: content type, validators, preconditions, byte ranges (several as
//! `multipart/byteranges`, see `byteranges`), and the body
//! streamed from disk in 64 KiB reads as a [`Body::SizedStream`] (so it goes out with a
//! `Content-Length`, never read whole into memory). Shared by static directories, static files
//! and [`RequestContext::file`].

use std::io::SeekFrom;

use futures_util::TryStreamExt;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::byteranges::Parts;
use super::conditional::{self, Conditions, Validators, Verdict};
use super::range::{self, RangeAnswer};
use super::resolve::Opened;
use crate::app::RequestContext;
use crate::protocol::{Body, BoxError};

/// Size of each read from disk.
const READ_SIZE: usize = 64 * 1024;

/// Response headers a file answer carries besides its own.
#[derive(Debug, Default, Clone)]
pub(crate) struct Extra {
    /// `Vary: Accept-Encoding` (precompressed variants may exist).
    pub(crate) vary_encoding: bool,
    pub(crate) cache_control: Option<HeaderValue>,
}

/// The `Content-Type` for a file named `name`: by extension (`mime_guess`), text types in
/// UTF-8, `application/octet-stream` when unknown.
pub(crate) fn content_type(name: &std::path::Path) -> HeaderValue {
    let Some(mime) = mime_guess::from_path(name).first() else {
        return HeaderValue::from_static("application/octet-stream");
    };
    let text =
        mime.type_() == mime_guess::mime::TEXT || mime.essence_str() == "application/javascript";
    let value = if text && mime.get_param(mime_guess::mime::CHARSET).is_none() {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

fn conditions(ctx: &RequestContext) -> Conditions {
    let list = |name: &str| {
        let values: Vec<&str> = ctx
            .headers()
            .get_all(name)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    };
    Conditions {
        if_match: list("if-match"),
        if_none_match: list("if-none-match"),
        if_modified_since: ctx.header_str("if-modified-since").map(str::to_owned),
        if_unmodified_since: ctx.header_str("if-unmodified-since").map(str::to_owned),
    }
}

fn set(ctx: &mut RequestContext, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        ctx.response_mut().set_header(name, v);
    }
}

/// Answers the request on `ctx` with `opened`.
pub(crate) async fn send_file(ctx: &mut RequestContext, opened: Opened, extra: &Extra) {
    let len = opened.meta.len();
    let validators = Validators::of(&opened.meta, opened.coding);
    set(ctx, header::ETAG, &validators.etag);
    if let Some(date) = validators.last_modified() {
        set(ctx, header::LAST_MODIFIED, &date);
    }
    if extra.vary_encoding {
        ctx.response_mut()
            .append_header(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if let Some(cc) = &extra.cache_control {
        ctx.response_mut()
            .set_header(header::CACHE_CONTROL, cc.clone());
    }
    let method = ctx.method().clone();
    match conditional::evaluate(&conditions(ctx), &method, &validators) {
        Verdict::Proceed => {}
        Verdict::NotModified => return ctx.not_modified(),
        Verdict::Failed => {
            return ctx.string(StatusCode::PRECONDITION_FAILED, "412 precondition failed")
        }
    }
    ctx.response_mut()
        .set_header(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let range = match ctx.header_str("range") {
        Some(r) if method == Method::GET || method == Method::HEAD => {
            let applies = ctx
                .header_str("if-range")
                .is_none_or(|ir| conditional::if_range_holds(ir, &validators));
            if applies {
                range::answer(r, len)
            } else {
                RangeAnswer::Full
            }
        }
        _ => RangeAnswer::Full,
    };
    let (status, start, count) = match range {
        RangeAnswer::Full => (StatusCode::OK, 0, len),
        RangeAnswer::Partial { start, end } => {
            set(
                ctx,
                header::CONTENT_RANGE,
                &format!("bytes {start}-{end}/{len}"),
            );
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeAnswer::Multi(ranges) => return send_parts(ctx, opened, ranges),
        RangeAnswer::Unsatisfiable => {
            set(ctx, header::CONTENT_RANGE, &format!("bytes */{len}"));
            return ctx.string(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "416 range not satisfiable",
            );
        }
    };
    set_coding(ctx, &opened);
    let mut file = tokio::fs::File::from_std(opened.file);
    // HEAD sends the length only: no need to position the file.
    if start > 0 && method != Method::HEAD {
        if let Err(e) = file.seek(SeekFrom::Start(start)).await {
            tracing::error!(error = %e, path = %opened.name.display(), "seek failed");
            ctx.reset_response();
            return ctx.string(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 internal server error",
            );
        }
    }
    let stream = ReaderStream::with_capacity(file.take(count), READ_SIZE).map_err(BoxError::from);
    let content_type = content_type(&opened.name);
    let resp = ctx.response_mut();
    resp.set_status(status);
    resp.set_header(header::CONTENT_TYPE, content_type);
    resp.set_body(Body::SizedStream(count, Box::pin(stream)));
}

/// `Content-Encoding` for a precompressed variant.
fn set_coding(ctx: &mut RequestContext, opened: &Opened) {
    if let Some(coding) = opened.coding {
        ctx.response_mut().set_header(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(coding.token()),
        );
    }
}

/// Answers several ranges of `opened` with a `206` `multipart/byteranges` body.
fn send_parts(ctx: &mut RequestContext, opened: Opened, ranges: Vec<(u64, u64)>) {
    let content_type = content_type(&opened.name);
    let part_type = content_type.to_str().unwrap_or("application/octet-stream");
    let parts = Parts::new(ranges, opened.meta.len(), part_type);
    let multipart = format!("multipart/byteranges; boundary={}", parts.boundary);
    set_coding(ctx, &opened);
    set(ctx, header::CONTENT_TYPE, &multipart);
    let len = parts.len();
    let body = parts.into_stream(tokio::fs::File::from_std(opened.file));
    let resp = ctx.response_mut();
    resp.set_status(StatusCode::PARTIAL_CONTENT);
    resp.set_body(Body::SizedStream(len, body));
}
