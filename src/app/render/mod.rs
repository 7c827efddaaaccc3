//! Renderers of [`RequestContext`](super::RequestContext) beyond the basic ones in
//! `context_response.rs`: JSON variants ([`json`](super::RequestContext::json) escapes HTML like
//! Hertz, [`pure_json`](super::RequestContext::pure_json) does not,
//! [`indented_json`](super::RequestContext::indented_json)), bare statuses
//! ([`not_found`](super::RequestContext::not_found),
//! [`not_modified`](super::RequestContext::not_modified)), streams of known length
//! ([`sized_stream`](super::RequestContext::sized_stream)), files
//! ([`file`](super::RequestContext::file),
//! [`file_attachment`](super::RequestContext::file_attachment), served through the static-file
//! machinery in [`fs`](super::fs)) and, with the `templates` feature, HTML templates
//! (`html`, in `templates`).

mod file;
pub(crate) mod json;
mod status;
mod stream;
#[cfg(feature = "templates")]
pub mod templates;

pub use file::content_disposition;
#[cfg(feature = "templates")]
pub use templates::HtmlTemplates;
