//! Static files: a directory served under a route prefix ([`Server::static_dir`],
//! [`Server::static_fs`] with [`StaticDir`] options) and single files
//! ([`Server::static_file`]); Hertz's `Static`, `StaticFS` and `StaticFile`.
//!
//! Each registers `GET` and `HEAD` routes through the normal route API (a `/*filepath`
//! catch-all under the prefix, so they show in [`Server::routes`]) with a [`ServeDir`] or
//! [`ServeFile`] handler. A request is resolved on the blocking pool in one hop
//! (`resolve`: traversal checks, the [`Dotfiles`] rule, index files, precompressed siblings;
//! `open`: every file opened beneath the root with no window for a symlink swap — `openat2`
//! with `RESOLVE_BENEATH` on Linux) and answered by `serve`: content type (`mime_guess`),
//! strong `ETag` and `Last-Modified` with conditional requests (`conditional`), `Range`
//! (`range`), `Accept-Ranges: bytes`, and the body streamed from disk with a `Content-Length`.
//! Directory listings (`listing`) are off unless [`StaticDir::browse`] turns them on.
//!
//! What a client can and cannot reach:
//!
//! - **Dotfiles are hidden by default**: a path with any segment starting with `.` (`/.env`,
//!   `/.git/config`, `/a/.htpasswd`, `/%2eenv` once decoded) answers `404`, and listings leave
//!   such entries out; [`StaticDir::dotfiles`] allows them all or only `.well-known/`.
//! - **Containment**: `..` segments, backslashes and control characters answer `404`;
//!   symlinks are followed only while they stay inside the root, checked and opened in one
//!   step (see `open` for the platforms without `openat2`).
//! - **Ranges**: one range gets a `206` with `Content-Range`; several (`Range: bytes=0-1,5-9`)
//!   a `206` with a `multipart/byteranges` body (`byteranges`), parts in the order asked —
//!   unless together they ask for more bytes than the file holds (overlaps: a way to make the
//!   server send the same bytes many times over), which gets the whole file (`200`).
//!
//! ```no_run
//! use khz::prelude::*;
//! use khz::app::fs::StaticDir;
//!
//! # #[tokio::main] async fn main() -> khz::Result<()> {
//! let server = Server::default();
//! server.static_dir("/assets", "./public");
//! server.static_file("/favicon.ico", "./public/favicon.ico");
//! server.static_fs(
//!     "/docs",
//!     StaticDir::new("./site").precompressed(true).cache_control("public, max-age=3600"),
//! );
//! server.spin().await
//! # }
//! ```

mod byteranges;
mod conditional;
mod dotfiles;
mod encoding;
mod listing;
mod open;
mod range;
pub(crate) mod resolve;
pub(crate) mod serve;

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::header::HeaderValue;
use http::{Method, StatusCode};

use super::handler::{BoxFuture, Handler};
use super::server::{Route, RouterGroup, Server};
use super::RequestContext;
use resolve::Lookup;

pub use dotfiles::Dotfiles;

/// The name of the catch-all parameter of static-directory routes.
const PARAM: &str = "filepath";

/// Options of a static directory; mount it with [`Server::static_fs`].
///
/// Defaults: index file `index.html`, no precompressed variants, no directory listing, no
/// `Cache-Control`, dotfiles hidden ([`Dotfiles::Hidden`]).
///
/// ```
/// use khz::app::fs::StaticDir;
/// let dir = StaticDir::new("./public")
///     .index_files(["index.html", "index.htm"])
///     .precompressed(true)
///     .browse(false);
/// ```
#[derive(Debug, Clone)]
pub struct StaticDir {
    pub(crate) root: PathBuf,
    pub(crate) index_files: Vec<String>,
    pub(crate) precompressed: bool,
    pub(crate) browse: bool,
    pub(crate) cache_control: Option<HeaderValue>,
    pub(crate) dotfiles: Dotfiles,
}

impl StaticDir {
    /// Serves the files under `root` (resolved, symlinks included, when a request comes).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StaticDir {
            root: root.into(),
            index_files: vec!["index.html".to_owned()],
            precompressed: false,
            browse: false,
            cache_control: None,
            dotfiles: Dotfiles::Hidden,
        }
    }

    /// File names tried, in order, for a request naming a directory (default `index.html`;
    /// empty: none). A directory asked for without its trailing slash is first redirected
    /// (`301`) to the path with it, so relative links in the index page work.
    pub fn index_files<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.index_files = names.into_iter().map(Into::into).collect();
        self
    }

    /// Serves a precompressed sibling — `file.br`, `file.gz` — in place of `file` when the
    /// client's `Accept-Encoding` allows it (quality values respected, `q=0` excluded, Brotli
    /// preferred between equals), with `Content-Encoding` and the original file's content type.
    /// Responses then carry `Vary: Accept-Encoding`. Default off. (Hertz's `Compress` compresses
    /// on the fly into cache files; khz serves what the build step compressed.)
    pub fn precompressed(mut self, on: bool) -> Self {
        self.precompressed = on;
        self
    }

    /// Lists a directory that has no index file as an HTML page (default off: `404`).
    pub fn browse(mut self, on: bool) -> Self {
        self.browse = on;
        self
    }

    /// A `Cache-Control` value for every file served, e.g. `"public, max-age=3600"`. An
    /// invalid value is refused and logged.
    pub fn cache_control(mut self, value: impl TryInto<HeaderValue>) -> Self {
        match value.try_into() {
            Ok(v) => self.cache_control = Some(v),
            Err(_) => tracing::error!("invalid Cache-Control value refused"),
        }
        self
    }

    /// Which dotfiles — paths with a segment starting with `.`, such as `.env`, `.git/config`
    /// or `a/.htpasswd` — are served. Default [`Dotfiles::Hidden`]: all of them answer `404`
    /// and listings leave them out. [`Dotfiles::WellKnownOnly`] opens `.well-known/` (ACME
    /// challenges, `security.txt`) and nothing else; [`Dotfiles::Allow`] serves them all.
    /// Precompressed siblings and index files follow the same rule.
    pub fn dotfiles(mut self, rule: Dotfiles) -> Self {
        self.dotfiles = rule;
        self
    }

    fn extra(&self) -> serve::Extra {
        serve::Extra {
            vary_encoding: self.precompressed,
            cache_control: self.cache_control.clone(),
        }
    }
}

/// The handler behind [`Server::static_fs`]: serves the file named by the route's `*filepath`
/// parameter from a [`StaticDir`]. Mount it yourself to put a static directory under a group
/// with middleware:
///
/// ```
/// use khz::prelude::*;
/// use khz::app::fs::{ServeDir, StaticDir};
/// # async fn auth(ctx: &mut RequestContext) { ctx.next().await }
/// let server = Server::new();
/// let private = server.group("/private");
/// private.middleware(auth);
/// private.get("/*filepath", ServeDir::new(StaticDir::new("./private")));
/// # Ok::<(), khz::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServeDir {
    dir: Arc<StaticDir>,
}

impl ServeDir {
    /// A handler serving `dir`.
    pub fn new(dir: StaticDir) -> Self {
        ServeDir { dir: Arc::new(dir) }
    }
}

impl Handler for ServeDir {
    fn call<'a>(&'a self, ctx: &'a mut RequestContext) -> BoxFuture<'a> {
        Box::pin(serve_dir(&self.dir, ctx))
    }
}

/// The handler behind [`Server::static_file`]: always serves one file.
#[derive(Debug, Clone)]
pub struct ServeFile {
    path: Arc<Path>,
}

impl ServeFile {
    /// A handler serving the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ServeFile {
            path: Arc::from(path.into()),
        }
    }
}

impl Handler for ServeFile {
    fn call<'a>(&'a self, ctx: &'a mut RequestContext) -> BoxFuture<'a> {
        Box::pin(ctx.file(self.path.clone()))
    }
}

/// The decoded path under the static prefix. The router decodes the path once unless the
/// server routes on raw paths; then it is decoded here, once — never twice.
fn relative_path(ctx: &RequestContext) -> Option<String> {
    let rel = ctx.param_str(PARAM).unwrap_or_default();
    if !ctx.app.opts.use_raw_path {
        return Some(rel.to_owned());
    }
    percent_encoding::percent_decode_str(rel)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

/// Runs filesystem work on the blocking pool.
pub(crate) async fn blocking<T, F>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e)))
}

/// Answers a filesystem error: `404` for missing paths, `403` for permissions, `500` (logged)
/// for the rest.
pub(crate) fn io_failure(ctx: &mut RequestContext, e: &io::Error) {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => ctx.not_found(),
        io::ErrorKind::PermissionDenied => {
            ctx.reset_response();
            ctx.string(StatusCode::FORBIDDEN, "403 forbidden");
        }
        _ => {
            tracing::error!(error = %e, path = ctx.path(), "serving a file failed");
            ctx.reset_response();
            ctx.string(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 internal server error",
            );
        }
    }
}

/// `301` to the request path with a slash appended (query kept).
fn add_slash(ctx: &mut RequestContext) {
    let raw = ctx.request().path();
    // Never `//host/…`: a protocol-relative Location would leave the site.
    let mut location = format!("/{}/", raw.trim_start_matches('/'));
    if let Some(q) = ctx.query_string() {
        location.push('?');
        location.push_str(q);
    }
    ctx.redirect(StatusCode::MOVED_PERMANENTLY, location);
}

async fn serve_dir(dir: &Arc<StaticDir>, ctx: &mut RequestContext) {
    let Some(rel) = relative_path(ctx) else {
        return ctx.not_found();
    };
    let codings = if dir.precompressed {
        let values = ctx.headers().get_all("accept-encoding");
        encoding::accepted(values.filter_map(|v| std::str::from_utf8(v).ok()))
    } else {
        Vec::new()
    };
    let job = {
        let dir = dir.clone();
        blocking(move || resolve::lookup(&dir, &rel, &codings))
    };
    match job.await {
        Ok(Lookup::File(opened)) => serve::send_file(ctx, opened, &dir.extra()).await,
        Ok(Lookup::AddSlash) => add_slash(ctx),
        Ok(Lookup::Listing(entries)) => {
            let page = listing::page(ctx.path(), &entries);
            ctx.data(StatusCode::OK, "text/html; charset=utf-8", page);
        }
        Ok(Lookup::NotFound) => ctx.not_found(),
        Err(e) => io_failure(ctx, &e),
    }
}

/// `prefix` + `/*filepath`.
fn dir_pattern(prefix: &str) -> String {
    format!("{}/*{PARAM}", prefix.trim_end_matches('/'))
}

macro_rules! static_methods {
    ([$($gen:tt)*] $ty:ty, $route:ty) => {
        impl $($gen)* $ty {
            /// Serves the files under `root` at `prefix` (`GET` and `HEAD` on
            /// `prefix/*filepath`) with default [`StaticDir`] options (Hertz `Static`).
            ///
            /// `GET /assets/css/site.css` answers `./public/css/site.css`; `..`, symlinks out of
            /// the root and other escapes answer `404`.
            pub fn static_dir(&self, prefix: &str, root: impl Into<PathBuf>) -> $route {
                self.static_fs(prefix, StaticDir::new(root))
            }

            /// Serves a [`StaticDir`] at `prefix` (`GET` and `HEAD` on `prefix/*filepath`;
            /// Hertz `StaticFS`).
            pub fn static_fs(&self, prefix: &str, dir: StaticDir) -> $route {
                self.handle_many(&[Method::GET, Method::HEAD], &dir_pattern(prefix), ServeDir::new(dir))
            }

            /// Serves the file at `file` for `GET` and `HEAD` on `path` (Hertz `StaticFile`),
            /// with validators, conditional and range requests like [`RequestContext::file`].
            pub fn static_file(&self, path: &str, file: impl Into<PathBuf>) -> $route {
                self.handle_many(&[Method::GET, Method::HEAD], path, ServeFile::new(file))
            }
        }
    };
}

static_methods!([] Server, Route<'_>);
static_methods!([<'s>] RouterGroup<'s>, Route<'s>);

#[cfg(test)]
mod tests {
    use super::dir_pattern;

    #[test]
    fn patterns() {
        assert_eq!(dir_pattern("/assets"), "/assets/*filepath");
        assert_eq!(dir_pattern("/assets/"), "/assets/*filepath");
        assert_eq!(dir_pattern("/"), "/*filepath");
    }
}
