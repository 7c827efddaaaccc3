//! [`Server`]: options, then registrations — routes, groups, middleware, hooks — then
//! [`spin`](Server::spin).
//!
//! **One builder style, two kinds of call.** Options configure the server and are chained when
//! it is made (`Server::default().addr(..).read_timeout(..)`, each `self -> Self`).
//! Registrations (routes, groups, middleware, hooks) take `&self`, so any number of groups and
//! nested groups can be alive at once, as in Hertz:
//!
//! ```
//! use khz::prelude::*;
//! # async fn auth(ctx: &mut RequestContext) { ctx.next().await }
//! # async fn list(ctx: &mut RequestContext) {}
//! # async fn audit(ctx: &mut RequestContext) { ctx.next().await }
//! let server = Server::default();
//! let v1 = server.group("/v1").middleware(auth);
//! let v2 = server.group("/v2");
//! v1.get("/notes", list).middleware(audit); // per-route middleware
//! v2.get("/notes", list);
//! assert_eq!(server.routes()[0].path, "/v1/notes");
//! ```
//!
//! Nothing here fails: an invalid pattern, a route conflict or an option that cannot work is
//! collected, and [`start`](Server::start) / [`spin`](Server::spin) return one `Err` listing
//! every problem (both routes of each conflict) before anything is served — never a panic.
//! Option values are resolved when the server starts, so the order of setters never matters.
//!
//! Each route's chain is server middleware → each enclosing group's middleware (outermost
//! first) → the route's own middleware → the handler, assembled at start. Calling
//! `group(prefix)` again with the same prefix on the same parent returns the same group (its
//! middleware included), so a re-opened group can never leave a route unprotected.

use std::future::Future;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};

use http::Method;

use super::context::RequestContext;
use super::error::ErrorRenderer;
use super::handler::{BoxFuture, Handler, NamedHandler};
use super::keys::StateMap;
use super::options::Options;
pub use super::route_handle::Route;
use crate::Result;

pub(crate) type Hook = Arc<dyn Fn() -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// Decides whether a request with `Expect: 100-continue` may send its body.
pub(crate) type ContinueHook = Arc<dyn Fn(&RequestContext) -> bool + Send + Sync>;

pub(crate) struct GroupData {
    /// The prefix as given, relative to the parent group.
    pub(crate) prefix: String,
    pub(crate) parent: Option<usize>,
    pub(crate) middleware: Vec<NamedHandler>,
}

pub(crate) struct PendingRoute {
    pub(crate) method: Method,
    /// The path as given, relative to the group.
    pub(crate) path: String,
    pub(crate) group: usize,
    pub(crate) handler: NamedHandler,
    /// The route's own middleware, run after the groups' and before the handler.
    pub(crate) middleware: Vec<NamedHandler>,
    /// Whether the route's request body is streamed to the handler.
    pub(crate) stream_body: bool,
}

/// Everything registered with `&self` calls, behind one lock (taken only while registering
/// and once at start, never while serving).
#[derive(Default)]
pub(crate) struct Registrations {
    pub(crate) base_path: String,
    pub(crate) routes: Vec<PendingRoute>,
    pub(crate) groups: Vec<GroupData>,
    pub(crate) no_route: Vec<NamedHandler>,
    pub(crate) no_method: Vec<NamedHandler>,
    pub(crate) on_run: Vec<Hook>,
    pub(crate) on_shutdown: Vec<Hook>,
    pub(crate) continue_hook: Option<ContinueHook>,
    pub(crate) bind_error_hook: Option<super::bind::BindErrorHook>,
    pub(crate) error_renderer: Option<ErrorRenderer>,
}

/// The registrations of a server, shared by the handles ([`RouterGroup`], [`Route`]) that add
/// to them.
pub(crate) struct Registry(Mutex<Registrations>);

impl Registry {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Registrations> {
        // A panic while registering leaves nothing half-written that matters: keep going.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A route as listed by [`Server::routes`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteDesc {
    /// The method.
    pub method: Method,
    /// The full pattern, e.g. `/v1/users/:id`.
    pub path: String,
    /// The type name of the handler, e.g. `my_app::users::show`.
    pub handler: String,
    /// The type names of the middleware that run before the handler, outermost first:
    /// server, groups, then the route's own.
    pub middleware: Vec<String>,
}

/// An HTTP server: set options, register routes and middleware, then [`spin`](Server::spin).
///
/// ```no_run
/// use khz::prelude::*;
///
/// async fn hello(ctx: &mut RequestContext) {
///     let name = ctx.param("name").unwrap_or_default();
///     ctx.string(StatusCode::OK, name); // a view into the request: no copy, no allocation
/// }
///
/// #[tokio::main]
/// async fn main() -> khz::Result<()> {
///     let server = Server::default().addr("127.0.0.1:8888");
///     server.get("/hello/:name", hello);
///     server.spin().await // a conflicting route would be an Err here, listing both routes
/// }
/// ```
pub struct Server {
    pub(crate) opts: Options,
    pub(crate) reg: Registry,
    pub(crate) state: StateMap,
    pub(crate) listener: Option<std::net::TcpListener>,
    /// Errors of options that could not be applied (reported by `start`).
    pub(crate) option_errors: Vec<crate::Error>,
    /// Every chain starts with the recovery middleware (set by `Server::default`), which
    /// dispatch then runs inline instead of as a boxed chain step.
    pub(crate) recovery_first: bool,
}

impl Default for Server {
    /// A server with the recovery middleware (a panicking handler answers 500), like Hertz's
    /// `server.Default()`.
    fn default() -> Self {
        let s = Server::new();
        s.middleware(crate::middleware::recovery);
        // Server middleware comes first in every chain and is only ever appended: recovery
        // stays first.
        Server {
            recovery_first: true,
            ..s
        }
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.opts.addr)
            .field("routes", &self.reg.lock().routes.len())
            .finish_non_exhaustive()
    }
}

/// Joins a group prefix and a relative path the way Hertz does.
pub(crate) fn join_paths(prefix: &str, relative: &str) -> String {
    if relative.is_empty() {
        return prefix.to_owned();
    }
    let mut out = prefix.trim_end_matches('/').to_owned();
    if !relative.starts_with('/') {
        out.push('/');
    }
    out.push_str(relative);
    out
}

impl Registrations {
    /// The full prefix of `group`: the base path, then each enclosing group's prefix.
    pub(crate) fn prefix_of(&self, group: usize) -> String {
        let mut chain = Vec::new();
        let mut at = Some(group);
        while let Some(g) = at {
            chain.push(g);
            at = self.groups[g].parent;
        }
        let base = if self.base_path.is_empty() {
            "/"
        } else {
            &self.base_path
        };
        chain
            .iter()
            .rev()
            .skip(1) // the root group's prefix is the base path
            .fold(base.to_owned(), |acc, &g| {
                join_paths(&acc, &self.groups[g].prefix)
            })
    }

    /// The full pattern of route `id`.
    pub(crate) fn pattern_of(&self, id: usize) -> String {
        let r = &self.routes[id];
        join_paths(&self.prefix_of(r.group), &r.path)
    }

    /// Middleware of `group` and its enclosing groups, outermost first.
    pub(crate) fn group_middleware(&self, group: usize) -> Vec<&NamedHandler> {
        let mut ids = Vec::new();
        let mut at = Some(group);
        while let Some(g) = at {
            ids.push(g);
            at = self.groups[g].parent;
        }
        ids.iter()
            .rev()
            .flat_map(|&g| self.groups[g].middleware.iter())
            .collect()
    }

    /// The group under `parent` with `prefix`: the existing one if it was opened before.
    fn group(&mut self, parent: usize, prefix: &str) -> usize {
        let same = |p: &str| p.trim_end_matches('/') == prefix.trim_end_matches('/');
        if let Some(id) = self
            .groups
            .iter()
            .position(|g| g.parent == Some(parent) && same(&g.prefix))
        {
            return id;
        }
        self.groups.push(GroupData {
            prefix: prefix.to_owned(),
            parent: Some(parent),
            middleware: Vec::new(),
        });
        self.groups.len() - 1
    }

    fn add(
        &mut self,
        group: usize,
        methods: &[Method],
        path: &str,
        h: NamedHandler,
    ) -> Range<usize> {
        let first = self.routes.len();
        for m in methods {
            self.routes.push(PendingRoute {
                method: m.clone(),
                path: path.to_owned(),
                group,
                handler: h.clone(),
                middleware: Vec::new(),
                stream_body: false,
            });
        }
        first..self.routes.len()
    }
}

/// The methods `any` registers.
const ANY: [Method; 9] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::HEAD,
    Method::OPTIONS,
    Method::CONNECT,
    Method::TRACE,
];

impl Server {
    /// A server without any middleware (see [`Server::default`] for one with recovery).
    pub fn new() -> Self {
        let regs = Registrations {
            groups: vec![GroupData {
                prefix: String::new(),
                parent: None,
                middleware: Vec::new(),
            }],
            ..Registrations::default()
        };
        Server {
            opts: Options::default(),
            reg: Registry(Mutex::new(regs)),
            state: StateMap::default(),
            listener: None,
            option_errors: Vec::new(),
            recovery_first: false,
        }
    }

    /// Adds shared state that handlers read with [`RequestContext::state`].
    pub fn with_state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Adds server-wide middleware: it runs for every route, for 404/405 answers, redirects
    /// and requests the protocol layer rejected (413, 431 …; see
    /// [`RequestContext::error`]).
    pub fn middleware<H: Handler>(&self, handler: H) -> &Self {
        self.reg.lock().groups[0]
            .middleware
            .push(NamedHandler::new(handler));
        self
    }

    /// The route group under `prefix`, with its own middleware; the same group again when
    /// `prefix` was opened before.
    pub fn group(&self, prefix: &str) -> RouterGroup<'_> {
        let id = self.reg.lock().group(0, prefix);
        RouterGroup { reg: &self.reg, id }
    }

    /// Registers `handler` for `method` (any method, including custom ones) at `path`.
    pub fn handle<H: Handler>(&self, method: Method, path: &str, handler: H) -> Route<'_> {
        self.root().handle(method, path, handler)
    }

    /// Registers `handler` at `path` for every standard method.
    pub fn any<H: Handler>(&self, path: &str, handler: H) -> Route<'_> {
        self.root().any(path, handler)
    }

    /// Registers `handler` for each of `methods` at `path` (one route each; the returned
    /// [`Route`] covers them all).
    pub fn handle_many<H: Handler>(&self, methods: &[Method], path: &str, handler: H) -> Route<'_> {
        self.root().handle_many(methods, path, handler)
    }

    fn root(&self) -> RouterGroup<'_> {
        RouterGroup {
            reg: &self.reg,
            id: 0,
        }
    }

    /// Handler(s) for requests no route matches (after server middleware). Default: 404
    /// rendered by [`render_error`](RequestContext::render_error).
    pub fn no_route<H: Handler>(&self, handler: H) -> &Self {
        self.reg.lock().no_route.push(NamedHandler::new(handler));
        self
    }

    /// Handler(s) for paths that exist under other methods, when
    /// [`handle_method_not_allowed`](Server::handle_method_not_allowed) is on. Default: 405
    /// with `Allow`, rendered by [`render_error`](RequestContext::render_error).
    pub fn no_method<H: Handler>(&self, handler: H) -> &Self {
        self.reg.lock().no_method.push(NamedHandler::new(handler));
        self
    }

    /// Runs `hook` before the server starts listening; hooks run in order and an error aborts
    /// start-up.
    pub fn on_run<F, Fut>(&self, hook: F) -> &Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.reg
            .lock()
            .on_run
            .push(Arc::new(move || Box::pin(hook())));
        self
    }

    /// Runs `hook` when graceful shutdown begins; hooks run concurrently, bounded by the exit
    /// wait time.
    pub fn on_shutdown<F, Fut>(&self, hook: F) -> &Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.reg
            .lock()
            .on_shutdown
            .push(Arc::new(move || Box::pin(hook())));
        self
    }

    /// Decides whether a request with `Expect: 100-continue` may send its body; `false`
    /// answers 417. By default every request may.
    pub fn continue_handler<F>(&self, f: F) -> &Self
    where
        F: Fn(&RequestContext) -> bool + Send + Sync + 'static,
    {
        self.reg.lock().continue_hook = Some(Arc::new(f));
        self
    }

    /// Renders every error answer the server makes itself — handler errors without their own
    /// rendering, protocol rejections (400, 408, 413, 414, 431, 505 …), the default 404/405 —
    /// instead of the built-in JSON-or-text ([`RequestContext::render_error_default`]).
    ///
    /// ```
    /// use khz::prelude::*;
    /// let server = Server::new();
    /// server.error_handler(|ctx: &mut RequestContext, status: StatusCode, message: &str| {
    ///     ctx.json(status, &serde_json::json!({"error": message, "status": status.as_u16()}));
    /// });
    /// ```
    pub fn error_handler<F>(&self, f: F) -> &Self
    where
        F: Fn(&mut RequestContext, http::StatusCode, &str) + Send + Sync + 'static,
    {
        self.reg.lock().error_renderer = Some(Arc::new(f));
        self
    }

    /// Every registered route in registration order, with its whole chain by name.
    pub fn routes(&self) -> Vec<RouteDesc> {
        let regs = self.reg.lock();
        (0..regs.routes.len())
            .map(|id| {
                let r = &regs.routes[id];
                let middleware = regs
                    .group_middleware(r.group)
                    .into_iter()
                    .chain(r.middleware.iter())
                    .map(|h| h.name.to_owned())
                    .collect();
                RouteDesc {
                    method: r.method.clone(),
                    path: regs.pattern_of(id),
                    handler: r.handler.name.to_owned(),
                    middleware,
                }
            })
            .collect()
    }
}

/// A group of routes sharing a path prefix and middleware; a cheap `Copy` handle into its
/// server. Groups nest, and any number of them can be alive at once.
///
/// ```
/// # use khz::prelude::*;
/// # async fn auth(ctx: &mut RequestContext) { ctx.next().await }
/// # async fn list(ctx: &mut RequestContext) {}
/// let server = Server::new();
/// let v1 = server.group("/v1").middleware(auth);
/// v1.get("/notes", list);
/// let admin = v1.group("/admin");
/// admin.get("/stats", list);
/// assert_eq!(server.routes()[1].path, "/v1/admin/stats");
/// assert_eq!(server.routes()[1].middleware.len(), 1); // auth, from /v1
/// ```
#[derive(Clone, Copy)]
pub struct RouterGroup<'s> {
    reg: &'s Registry,
    id: usize,
}

impl std::fmt::Debug for RouterGroup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterGroup")
            .field("prefix", &self.base_path())
            .finish()
    }
}

impl<'s> RouterGroup<'s> {
    /// Adds middleware for this group's routes (and nested groups'); returns the group, so
    /// `server.group("/v1").middleware(auth)` reads as one line.
    pub fn middleware<H: Handler>(&self, handler: H) -> RouterGroup<'s> {
        self.reg.lock().groups[self.id]
            .middleware
            .push(NamedHandler::new(handler));
        *self
    }

    /// A nested group (the same one when `prefix` was opened here before).
    pub fn group(&self, prefix: &str) -> RouterGroup<'s> {
        let id = self.reg.lock().group(self.id, prefix);
        RouterGroup { reg: self.reg, id }
    }

    /// The group's full prefix.
    pub fn base_path(&self) -> String {
        self.reg.lock().prefix_of(self.id)
    }

    /// Registers `handler` for `method` at `path` under this group.
    pub fn handle<H: Handler>(&self, method: Method, path: &str, handler: H) -> Route<'s> {
        self.handle_many(&[method], path, handler)
    }

    /// Registers `handler` at `path` under this group for every standard method.
    pub fn any<H: Handler>(&self, path: &str, handler: H) -> Route<'s> {
        self.handle_many(&ANY, path, handler)
    }

    /// Registers `handler` for each of `methods` at `path` under this group.
    pub fn handle_many<H: Handler>(&self, methods: &[Method], path: &str, handler: H) -> Route<'s> {
        let ids = self
            .reg
            .lock()
            .add(self.id, methods, path, NamedHandler::new(handler));
        Route::new(self.reg, ids)
    }
}

macro_rules! method_shortcuts {
    ([$($gen:tt)*] $ty:ty, $route:ty) => {
        impl $($gen)* $ty {
            method_shortcuts!(@one $route; get GET "GET");
            method_shortcuts!(@one $route; post POST "POST");
            method_shortcuts!(@one $route; put PUT "PUT");
            method_shortcuts!(@one $route; delete DELETE "DELETE");
            method_shortcuts!(@one $route; patch PATCH "PATCH");
            method_shortcuts!(@one $route; head HEAD "HEAD");
            method_shortcuts!(@one $route; options OPTIONS "OPTIONS");
        }
    };
    (@one $route:ty; $name:ident $method:ident $doc:literal) => {
        #[doc = concat!("Registers a `", $doc, "` route. An invalid or conflicting path is reported by `start`.")]
        pub fn $name<H: Handler>(&self, path: &str, handler: H) -> $route {
            self.handle(Method::$method, path, handler)
        }
    };
}

method_shortcuts!([] Server, Route<'_>);
method_shortcuts!([<'s>] RouterGroup<'s>, Route<'s>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_hertz() {
        assert_eq!(join_paths("/", "/a"), "/a");
        assert_eq!(join_paths("/v1", "/a"), "/v1/a");
        assert_eq!(join_paths("/v1/", "a/"), "/v1/a/");
        assert_eq!(join_paths("/v1", ""), "/v1");
        assert_eq!(join_paths("/v1", "/"), "/v1/");
    }

    async fn h(_: &mut RequestContext) {}

    #[test]
    fn groups_live_side_by_side_and_reopen() {
        let s = Server::new();
        let v1 = s.group("/v1").middleware(h);
        let v2 = s.group("/v2");
        v2.get("/x", h);
        v1.get("/x", h);
        let again = s.group("/v1/");
        again.get("/y", h);
        let routes = s.routes();
        assert_eq!(routes[0].path, "/v2/x");
        assert_eq!(routes[1].path, "/v1/x");
        assert_eq!(routes[2].path, "/v1/y");
        assert_eq!(
            routes[2].middleware.len(),
            1,
            "the re-opened group keeps its middleware"
        );
    }

    #[test]
    fn base_path_applies_whenever_it_is_set() {
        let s = Server::new();
        s.get("/a", h);
        s.group("/g").get("/b", h);
        let s = s.base_path("/api");
        let paths: Vec<_> = s.routes().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/api/a", "/api/g/b"]);
    }
}
