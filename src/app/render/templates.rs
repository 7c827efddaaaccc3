//! HTML templates with [minijinja](https://docs.rs/minijinja) (feature `templates`): load them
//! on the server ([`Server::load_html_glob`], Hertz `LoadHTMLGlob`, or a ready
//! [`minijinja::Environment`] with [`Server::html_environment`]) and render them with
//! [`RequestContext::html`] (Hertz `c.HTML`).
//!
//! Templates loaded from a glob are named by their file name (`templates/index.html` →
//! `index.html`, as in Hertz) and always HTML-escaped, whatever their extension — Hertz's
//! `html/template` escapes every template too. An environment handed over as it is keeps its own
//! settings (minijinja escapes `.html`, `.htm` and `.xml` templates by default). The
//! environment is shared by all requests; rendering writes into the response's reusable
//! buffer.
//!
//! ```no_run
//! use khz::prelude::*;
//!
//! async fn index(ctx: &mut RequestContext) {
//!     ctx.html(StatusCode::OK, "index.html", &serde_json::json!({ "title": "Hello" }));
//! }
//!
//! # #[tokio::main] async fn main() -> khz::Result<()> {
//! let server = Server::default().load_html_glob("templates/*.html");
//! server.get("/", index);
//! server.spin().await
//! # }
//! ```

use std::path::Path;

use http::header::{self, HeaderValue};
use http::StatusCode;
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment};
use serde::Serialize;

use crate::app::{RequestContext, Server};
use crate::{Error, ErrorKind, Result};

const TEXT_HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// The server's HTML templates, shared by all requests (read them in a handler with
/// `ctx.state::<HtmlTemplates>()` to render something other than a response body).
#[derive(Debug, Clone)]
pub struct HtmlTemplates {
    env: Environment<'static>,
}

impl HtmlTemplates {
    /// The minijinja environment holding the templates.
    pub fn environment(&self) -> &Environment<'static> {
        &self.env
    }
}

fn template_error(what: String, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::with_source(ErrorKind::Config, format!("{what}: {e}"), e)
}

impl Server {
    /// Loads every file matching the glob `pattern` (e.g. `"templates/**/*.html"`) as an HTML
    /// template named by its file name; templates escape HTML whatever their extension. May be
    /// called more than once to add templates; a name already loaded is an error, as is an
    /// unreadable file, a template syntax error, or a pattern matching no file — reported by
    /// `start` / `spin`.
    pub fn load_html_glob(mut self, pattern: &str) -> Self {
        if let Err(e) = self.try_load_html_glob(pattern) {
            self.option_errors.push(e);
        }
        self
    }

    fn try_load_html_glob(&mut self, pattern: &str) -> Result<()> {
        let paths = glob::glob(pattern)
            .map_err(|e| template_error(format!("bad template glob {pattern:?}"), e))?;
        let mut env = match self.state.get::<HtmlTemplates>() {
            Some(t) => t.env.clone(),
            None => {
                let mut env = Environment::new();
                env.set_auto_escape_callback(|_| AutoEscape::Html);
                env
            }
        };
        let mut loaded = 0;
        for path in paths {
            let path = path.map_err(|e| template_error(format!("reading {pattern:?}"), e))?;
            if !path.is_file() {
                continue;
            }
            let name = template_name(&path)?;
            if env.get_template(&name).is_ok() {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!("two templates named {name:?} (second: {})", path.display()),
                ));
            }
            let source = std::fs::read_to_string(&path)
                .map_err(|e| template_error(format!("reading {}", path.display()), e))?;
            env.add_template_owned(name, source)
                .map_err(|e| template_error(format!("template {}", path.display()), e))?;
            loaded += 1;
        }
        if loaded == 0 {
            return Err(Error::new(
                ErrorKind::Config,
                format!("no template matches {pattern:?}"),
            ));
        }
        self.state.insert(HtmlTemplates { env });
        Ok(())
    }

    /// Uses `env` for [`RequestContext::html`], replacing templates loaded before. Use it for
    /// filters, globals, a `path_loader`, or templates compiled into the binary.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// let mut env = minijinja::Environment::new();
    /// env.add_template("hello.html", "<p>Hello, {{ name }}!</p>").unwrap();
    /// let server = Server::new().html_environment(env);
    /// ```
    pub fn html_environment(mut self, env: Environment<'static>) -> Self {
        self.state.insert(HtmlTemplates { env });
        self
    }
}

fn template_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!("template file name is not UTF-8: {}", path.display()),
            )
        })
}

impl RequestContext {
    /// Answers `status` with the template `name` rendered with `data`
    /// (`text/html; charset=utf-8`). No templates loaded, an unknown name or a render error
    /// yields a 500 and a logged error.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// # use khz::ut::perform_request;
    /// async fn hello(ctx: &mut RequestContext) {
    ///     let name = ctx.param_or("name", "world");
    ///     ctx.html(StatusCode::OK, "hello.html", &serde_json::json!({ "name": name }));
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut env = minijinja::Environment::new();
    /// env.add_template("hello.html", "<p>Hello, {{ name }}!</p>").unwrap();
    /// let server = Server::new().html_environment(env);
    /// server.get("/hello/:name", hello);
    /// let res = perform_request(&server, Method::GET, "/hello/%3Cb%3E", "", &[]).await;
    /// assert_eq!(res.text(), "<p>Hello, &lt;b&gt;!</p>");
    /// # }
    /// ```
    pub fn html<T: Serialize + ?Sized>(&mut self, status: StatusCode, name: &str, data: &T) {
        let app = self.app.clone();
        let Some(templates) = app.state.get::<HtmlTemplates>() else {
            tracing::error!(template = name, "html: no templates loaded");
            return self.render_failed();
        };
        let out = self.resp.scratch_body();
        let result = templates
            .env
            .get_template(name)
            .and_then(|t| t.render_captured_to(Value::from(Serde(data)), &mut *out));
        match result {
            Ok(_) => {
                self.resp.set_status(status);
                self.resp.set_header(header::CONTENT_TYPE, TEXT_HTML);
            }
            Err(e) => {
                tracing::error!(template = name, error = %e, route = self.full_path(), "template rendering failed");
                self.render_failed();
            }
        }
    }

    fn render_failed(&mut self) {
        self.resp.clear();
        self.resp.set_status(StatusCode::INTERNAL_SERVER_ERROR);
    }
}
