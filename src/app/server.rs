//! [`Server`]: route registration, middleware, hooks and state, before the server runs.
//!
//! Routes are checked when they are registered — an invalid pattern or a conflict is an `Err`
//! naming both routes, never a panic at serve time. Each route's chain (server middleware,
//! then each enclosing group's middleware, then the handler) is assembled when the server
//! starts, so middleware applies to a group's routes regardless of registration order.

use std::future::Future;
use std::ops::Range;
use std::sync::Arc;

use http::Method;

use super::context::RequestContext;
use super::engine::{self, App, AppService, ContinueHook, RouteInfo};
use super::handler::{BoxFuture, Chain, Handler, NamedHandler};
use super::keys::StateMap;
use super::options::Options;
pub use super::route_handle::Route;
use crate::route::{self, Router};
use crate::{Error, ErrorKind, Result};

pub(crate) type Hook = Arc<dyn Fn() -> BoxFuture<'static, Result<()>> + Send + Sync>;

pub(crate) struct GroupData {
    pub(crate) prefix: String,
    pub(crate) parent: Option<usize>,
    pub(crate) middleware: Vec<NamedHandler>,
}

pub(crate) struct PendingRoute {
    pub(crate) method: Method,
    pub(crate) pattern: String,
    pub(crate) group: usize,
    pub(crate) handler: NamedHandler,
    /// Whether the route's request body is streamed to the handler.
    pub(crate) stream_body: bool,
}

/// A route as listed by [`Server::routes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDesc {
    /// The method.
    pub method: Method,
    /// The full pattern, e.g. `/v1/users/:id`.
    pub path: String,
    /// The type name of the handler, e.g. `my_app::users::show`.
    pub handler: String,
    /// Number of handlers in the chain, middleware included.
    pub chain_len: usize,
}

/// An HTTP server: register routes and middleware, then [`spin`](Server::spin).
///
/// ```no_run
/// use khz::prelude::*;
///
/// async fn hello(ctx: &mut RequestContext) {
///     let name = ctx.param("name").unwrap_or("world").to_owned();
///     ctx.string(StatusCode::OK, format!("Hello, {name}!"));
/// }
///
/// #[tokio::main]
/// async fn main() -> khz::Result<()> {
///     let mut server = Server::default().addr("127.0.0.1:8888");
///     server.get("/hello/:name", hello)?;
///     server.spin().await
/// }
/// ```
pub struct Server {
    pub(crate) opts: Options,
    pub(crate) router: Router<usize>,
    pub(crate) routes: Vec<PendingRoute>,
    pub(crate) groups: Vec<GroupData>,
    pub(crate) no_route: Vec<NamedHandler>,
    pub(crate) no_method: Vec<NamedHandler>,
    pub(crate) state: StateMap,
    pub(crate) on_run: Vec<Hook>,
    pub(crate) on_shutdown: Vec<Hook>,
    pub(crate) continue_hook: Option<ContinueHook>,
    pub(crate) bind_error_hook: Option<super::bind::BindErrorHook>,
    pub(crate) listener: Option<std::net::TcpListener>,
    /// Every chain starts with the recovery middleware (set by `Server::default`), which
    /// dispatch then runs inline instead of as a boxed chain step.
    pub(crate) recovery_first: bool,
}

impl Default for Server {
    /// A server with the recovery middleware (a panicking handler answers 500), like Hertz's
    /// `server.Default()`.
    fn default() -> Self {
        let mut s = Server::new();
        s.middleware(crate::middleware::recovery);
        // Group middleware is only ever appended: recovery stays first in every chain.
        s.recovery_first = true;
        s
    }
}

/// Joins a group prefix and a relative path the way Hertz does.
fn join_paths(prefix: &str, relative: &str) -> String {
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

impl Server {
    /// A server without any middleware.
    pub fn new() -> Self {
        Server {
            opts: Options::default(),
            router: Router::new(),
            routes: Vec::new(),
            groups: vec![GroupData {
                prefix: "/".to_owned(),
                parent: None,
                middleware: Vec::new(),
            }],
            no_route: Vec::new(),
            no_method: Vec::new(),
            state: StateMap::default(),
            on_run: Vec::new(),
            on_shutdown: Vec::new(),
            continue_hook: None,
            bind_error_hook: None,
            listener: None,
            recovery_first: false,
        }
    }

    /// Adds shared state that handlers read with [`RequestContext::state`].
    pub fn with_state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Adds server-wide middleware (runs for every route, and for 404/405 answers).
    pub fn middleware<H: Handler>(&mut self, handler: H) -> &mut Self {
        self.groups[0].middleware.push(NamedHandler::new(handler));
        self
    }

    /// A route group under `prefix` with its own middleware.
    pub fn group(&mut self, prefix: &str) -> RouterGroup<'_> {
        let id = self.add_group(0, prefix);
        RouterGroup { server: self, id }
    }

    /// Registers `handler` for `method` (any method, including custom ones) at `path`.
    pub fn handle<H: Handler>(
        &mut self,
        method: Method,
        path: &str,
        handler: H,
    ) -> Result<Route<'_>> {
        let ids = self.register(0, method, path, NamedHandler::new(handler))?;
        Ok(Route::new(self, ids))
    }

    /// Registers `handler` at `path` for every standard method.
    pub fn any<H: Handler>(&mut self, path: &str, handler: H) -> Result<Route<'_>> {
        let ids = self.register_any(0, path, NamedHandler::new(handler))?;
        Ok(Route::new(self, ids))
    }

    /// Handler(s) for requests no route matches (after server middleware). Default: 404
    /// `404 page not found`.
    pub fn no_route<H: Handler>(&mut self, handler: H) -> &mut Self {
        self.no_route.push(NamedHandler::new(handler));
        self
    }

    /// Handler(s) for paths that exist under other methods, when
    /// [`handle_method_not_allowed`](Server::handle_method_not_allowed) is on. Default: 405
    /// `405 method not allowed` with `Allow`.
    pub fn no_method<H: Handler>(&mut self, handler: H) -> &mut Self {
        self.no_method.push(NamedHandler::new(handler));
        self
    }

    /// Runs `hook` before the server starts listening; hooks run in order and an error aborts
    /// start-up.
    pub fn on_run<F, Fut>(&mut self, hook: F) -> &mut Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.on_run.push(Arc::new(move || Box::pin(hook())));
        self
    }

    /// Runs `hook` when graceful shutdown begins; hooks run concurrently, bounded by the exit
    /// wait time.
    pub fn on_shutdown<F, Fut>(&mut self, hook: F) -> &mut Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.on_shutdown.push(Arc::new(move || Box::pin(hook())));
        self
    }

    /// Decides whether a request with `Expect: 100-continue` may send its body; `false`
    /// answers 417. By default every request may.
    pub fn continue_handler<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn(&RequestContext) -> bool + Send + Sync + 'static,
    {
        self.continue_hook = Some(Arc::new(f));
        self
    }

    /// Every registered route in registration order.
    pub fn routes(&self) -> Vec<RouteDesc> {
        self.routes
            .iter()
            .map(|r| RouteDesc {
                method: r.method.clone(),
                path: r.pattern.clone(),
                handler: r.handler.name.to_owned(),
                chain_len: self.group_middleware(r.group).len() + 1,
            })
            .collect()
    }

    fn add_group(&mut self, parent: usize, prefix: &str) -> usize {
        let full = join_paths(&self.groups[parent].prefix, prefix);
        self.groups.push(GroupData {
            prefix: full,
            parent: Some(parent),
            middleware: Vec::new(),
        });
        self.groups.len() - 1
    }

    fn register(
        &mut self,
        group: usize,
        method: Method,
        path: &str,
        h: NamedHandler,
    ) -> Result<Range<usize>> {
        let pattern = join_paths(&self.groups[group].prefix, path);
        let id = self.routes.len();
        self.router
            .insert(&method, &pattern, id)
            .map_err(|e| Error::from_source(ErrorKind::Route, e))?;
        self.routes.push(PendingRoute {
            method,
            pattern,
            group,
            handler: h,
            stream_body: false,
        });
        Ok(id..id + 1)
    }

    fn register_any(&mut self, group: usize, path: &str, h: NamedHandler) -> Result<Range<usize>> {
        let first = self.routes.len();
        for m in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
            Method::HEAD,
            Method::OPTIONS,
            Method::CONNECT,
            Method::TRACE,
        ] {
            self.register(group, m, path, h.clone())?;
        }
        Ok(first..self.routes.len())
    }

    /// Middleware applying to routes of `group`: outermost group first.
    fn group_middleware(&self, group: usize) -> Vec<&NamedHandler> {
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

    fn chain(&self, group: usize, tail: &[NamedHandler]) -> Chain {
        self.group_middleware(group)
            .into_iter()
            .chain(tail)
            .map(|h| h.handler.clone())
            .collect()
    }

    /// Freezes the registrations into the app that serves requests.
    pub(crate) fn build_app(&self) -> Result<App> {
        let mut routes = Vec::with_capacity(self.routes.len());
        for r in &self.routes {
            routes.push(RouteInfo {
                pattern: r.pattern.clone(),
                handler_name: r.handler.name,
                param_names: route::param_names(&r.pattern)
                    .map_err(|e| Error::from_source(ErrorKind::Route, e))?,
                chain: self.chain(r.group, std::slice::from_ref(&r.handler)),
                stream_body: r.stream_body,
            });
        }
        let fallback = |user: &[NamedHandler], default: NamedHandler| {
            if user.is_empty() {
                self.chain(0, &[default])
            } else {
                self.chain(0, user)
            }
        };
        Ok(App {
            router: self.router.clone(),
            routes,
            no_route: fallback(&self.no_route, NamedHandler::new(engine::default_not_found)),
            no_method: fallback(
                &self.no_method,
                NamedHandler::new(engine::default_method_not_allowed),
            ),
            opts: self.opts.route.clone(),
            state: self.state.clone(),
            continue_hook: self.continue_hook.clone(),
            bind_error_hook: self.bind_error_hook.clone(),
            recovery_first: self.recovery_first,
            max_body_bytes: self.opts.h1.max_body_bytes,
            stream_all: self.opts.stream_request_body,
            any_stream_route: self.routes.iter().any(|r| r.stream_body),
            max_stream_body: self.opts.max_stream_body_size,
            client_ip: self.opts.client_ip.clone(),
            #[cfg(feature = "multipart")]
            multipart: self.opts.multipart.clone(),
        })
    }

    pub(crate) fn build_service(&self) -> Result<AppService> {
        Ok(AppService {
            app: Arc::new(self.build_app()?),
        })
    }
}

/// A group of routes sharing a path prefix and middleware. Groups nest.
///
/// ```
/// # use khz::prelude::*;
/// # async fn auth(ctx: &mut RequestContext) { ctx.next().await }
/// # async fn list(ctx: &mut RequestContext) {}
/// let mut server = Server::new();
/// let mut v1 = server.group("/v1");
/// v1.middleware(auth);
/// v1.get("/notes", list).unwrap();
/// let mut admin = v1.group("/admin");
/// admin.get("/stats", list).unwrap();
/// assert_eq!(server.routes()[1].path, "/v1/admin/stats");
/// ```
pub struct RouterGroup<'s> {
    server: &'s mut Server,
    id: usize,
}

impl RouterGroup<'_> {
    /// Adds middleware for this group's routes (and nested groups').
    pub fn middleware<H: Handler>(&mut self, handler: H) -> &mut Self {
        self.server.groups[self.id]
            .middleware
            .push(NamedHandler::new(handler));
        self
    }

    /// A nested group.
    pub fn group(&mut self, prefix: &str) -> RouterGroup<'_> {
        let id = self.server.add_group(self.id, prefix);
        RouterGroup {
            server: self.server,
            id,
        }
    }

    /// The group's full prefix.
    pub fn base_path(&self) -> &str {
        &self.server.groups[self.id].prefix
    }

    /// Registers `handler` for `method` at `path` under this group.
    pub fn handle<H: Handler>(
        &mut self,
        method: Method,
        path: &str,
        handler: H,
    ) -> Result<Route<'_>> {
        let ids = self
            .server
            .register(self.id, method, path, NamedHandler::new(handler))?;
        Ok(Route::new(self.server, ids))
    }

    /// Registers `handler` at `path` under this group for every standard method.
    pub fn any<H: Handler>(&mut self, path: &str, handler: H) -> Result<Route<'_>> {
        let ids = self
            .server
            .register_any(self.id, path, NamedHandler::new(handler))?;
        Ok(Route::new(self.server, ids))
    }
}

macro_rules! method_shortcuts {
    ($ty:ty) => {
        impl $ty {
            method_shortcuts!(@one get GET "GET");
            method_shortcuts!(@one post POST "POST");
            method_shortcuts!(@one put PUT "PUT");
            method_shortcuts!(@one delete DELETE "DELETE");
            method_shortcuts!(@one patch PATCH "PATCH");
            method_shortcuts!(@one head HEAD "HEAD");
            method_shortcuts!(@one options OPTIONS "OPTIONS");
        }
    };
    (@one $name:ident $method:ident $doc:literal) => {
        #[doc = concat!("Registers a `", $doc, "` route; an invalid or conflicting path is an `Err`.")]
        pub fn $name<H: Handler>(&mut self, path: &str, handler: H) -> Result<Route<'_>> {
            self.handle(Method::$method, path, handler)
        }
    };
}

method_shortcuts!(Server);
method_shortcuts!(RouterGroup<'_>);

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
}
