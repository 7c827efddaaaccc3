//! Limits of multipart parsing, set with [`Server`] options and frozen into the app: total
//! body size, size of one part, number of parts, how much of one uploaded file is kept in
//! memory before it is spooled to a temporary file, and where those files go.

use std::path::PathBuf;

use crate::app::Server;

/// Multipart limits of one server (see the option table in `options.rs`).
#[derive(Debug, Clone)]
pub(crate) struct MultipartLimits {
    /// Largest multipart body in bytes (boundaries and part headers included) → 413.
    pub(crate) max_size: u64,
    /// Largest content of one part in bytes → 413.
    pub(crate) max_part_size: u64,
    /// Most parts in one body → 413.
    pub(crate) max_parts: usize,
    /// Uploaded files up to this size stay in memory; larger ones are spooled to disk.
    pub(crate) memory_threshold: usize,
    /// Directory of spooled uploads (`None`: the system temporary directory).
    pub(crate) temp_dir: Option<PathBuf>,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        MultipartLimits {
            max_size: 64 << 20,
            max_part_size: 32 << 20,
            max_parts: 1000,
            memory_threshold: 1 << 20,
            temp_dir: None,
        }
    }
}

impl Server {
    /// Largest `multipart/form-data` body in bytes, boundaries and part headers included
    /// (default 64 MiB; larger → 413). On a buffered route the body is also bounded by
    /// [`max_request_body_size`](Server::max_request_body_size); to accept large uploads,
    /// stream the route's body ([`Route::stream_body`](crate::app::Route::stream_body)) and
    /// raise this limit.
    pub fn max_multipart_size(mut self, bytes: u64) -> Self {
        self.opts.multipart.max_size = bytes;
        self
    }

    /// Largest content of one multipart part — a text value or a file — in bytes (default
    /// 32 MiB; larger → 413).
    pub fn max_multipart_part_size(mut self, bytes: u64) -> Self {
        self.opts.multipart.max_part_size = bytes;
        self
    }

    /// Most parts in one multipart body (default 1000, as Go's `mime/multipart`; more →
    /// 413).
    pub fn max_multipart_parts(mut self, parts: usize) -> Self {
        self.opts.multipart.max_parts = parts;
        self
    }

    /// Uploaded files of up to this many bytes are kept in memory by
    /// [`multipart_form`](crate::app::RequestContext::multipart_form); larger ones are
    /// written to a temporary file as they arrive (default 1 MiB).
    pub fn multipart_memory_threshold(mut self, bytes: usize) -> Self {
        self.opts.multipart.memory_threshold = bytes;
        self
    }

    /// Directory for spooled uploads (default: the system temporary directory). The files
    /// are deleted when the request ends unless persisted.
    pub fn multipart_temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.opts.multipart.temp_dir = Some(dir.into());
        self
    }
}
