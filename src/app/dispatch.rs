//! Request dispatch: the frozen app (route table with each route's complete handler chain,
//! built by `build.rs`) and what serves one request — decode the path, look up the route
//! (falling back from HEAD to GET), fill the parameters, handle near misses (trailing-slash and
//! fixed-path redirects, 405 with `Allow`, 404), then run the chain. Redirects, 404/405 and
//! protocol rejections run the server middleware too, so an access log sees every answer.
//! [`AppService`] is the [`HttpService`] the protocol layer calls.

use std::sync::Arc;

use bytestring::ByteString;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};

use super::context::RequestContext;
use super::error::ErrorRenderer;
use super::handler::Chain;
use super::keys::StateMap;
pub(crate) use super::server::ContinueHook;
use crate::protocol::{BodyMode, ConnInfo, HttpService, Rejection};
use crate::route::Router;

/// One registered route, frozen.
pub(crate) struct RouteInfo {
    pub(crate) pattern: String,
    pub(crate) handler_name: &'static str,
    pub(crate) param_names: Vec<String>,
    pub(crate) chain: Chain,
    pub(crate) stream_body: bool,
}

/// Router behaviour switches (Hertz names).
#[derive(Debug, Clone)]
pub(crate) struct RouteOptions {
    pub(crate) redirect_trailing_slash: bool,
    pub(crate) redirect_fixed_path: bool,
    pub(crate) handle_method_not_allowed: bool,
    pub(crate) use_raw_path: bool,
}

/// The frozen application shared by all connections.
pub(crate) struct App {
    pub(crate) router: Router<usize>,
    pub(crate) routes: Vec<RouteInfo>,
    pub(crate) no_route: Chain,
    /// Every chain's first handler is the recovery middleware: run it inline.
    pub(crate) recovery_first: bool,
    pub(crate) no_method: Chain,
    /// Server middleware, then the handler sending a pending redirect.
    pub(crate) redirect: Chain,
    /// Server middleware, then the handler rendering a protocol rejection.
    pub(crate) rejected: Chain,
    pub(crate) opts: RouteOptions,
    pub(crate) state: StateMap,
    pub(crate) continue_hook: Option<ContinueHook>,
    /// Renders bind errors (`Server::bind_error_handler`); `None`: the default JSON.
    pub(crate) bind_error_hook: Option<super::bind::BindErrorHook>,
    /// Renders error answers (`Server::error_handler`); `None`: JSON or text.
    pub(crate) error_renderer: Option<ErrorRenderer>,
    /// Largest body read into memory (`max_request_body_size`).
    pub(crate) max_body_bytes: usize,
    /// Every request body is streamed.
    pub(crate) stream_all: bool,
    /// Some route streams its body (so bodies need routing before they are read).
    pub(crate) any_stream_route: bool,
    pub(crate) max_stream_body: Option<u64>,
    /// Trusted proxies and forwarding headers for `client_ip`.
    pub(crate) client_ip: super::client_ip::ClientIpConfig,
    /// Limits of multipart parsing.
    #[cfg(feature = "multipart")]
    pub(crate) multipart: super::multipart::MultipartLimits,
}

/// The outcome of routing a request, cached in the context when it happens before the body is
/// read (to decide on 100-continue or body streaming) so dispatch does not route twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Routed {
    /// Not routed yet.
    #[default]
    Pending,
    Matched,
    Missed,
    /// The path is not valid percent-encoded UTF-8.
    BadPath,
}

/// The app as the protocol layer's service.
pub(crate) struct AppService {
    pub(crate) app: Arc<App>,
}

impl HttpService for AppService {
    type Exchange = RequestContext;

    fn new_exchange(&self, info: ConnInfo) -> RequestContext {
        RequestContext::new(self.app.clone(), info)
    }

    fn call<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
    ) -> impl std::future::Future<Output = ()> + Send + 'a {
        dispatch(&self.app, ctx)
    }

    fn body_mode(&self, ctx: &mut RequestContext) -> BodyMode {
        let app = &self.app;
        let stream = app.stream_all
            || (app.any_stream_route
                && route_once(app, ctx) == Routed::Matched
                && ctx.route.is_some_and(|i| app.routes[i].stream_body));
        if stream {
            BodyMode::Stream {
                limit: app.max_stream_body,
            }
        } else {
            BodyMode::Buffer
        }
    }

    /// A protocol rejection runs the server middleware (so an access log sees it, with the
    /// rejection in `ctx.error()`) and is rendered by the server's error renderer.
    async fn reject(&self, ctx: &mut RequestContext, rejection: Rejection) {
        let app = &*self.app;
        if rejection.head_parsed() {
            // Path, route and parameters for the middleware; nothing is served from them.
            route_once(app, ctx);
        }
        ctx.reset_response();
        ctx.error = Some(Box::new(rejection));
        ctx.chain = Some(app.rejected.clone());
        ctx.next_index = 0;
        ctx.aborted = false;
        run_chain(app, ctx).await;
    }

    fn accept_continue(&self, ctx: &mut RequestContext) -> bool {
        let Some(hook) = self.app.continue_hook.as_ref() else {
            return true;
        };
        // Let the hook see the path, the matched route and its parameters.
        route_once(&self.app, ctx);
        hook(ctx)
    }
}

/// Routes the request unless that already happened for it, and returns the outcome.
pub(crate) fn route_once(app: &App, ctx: &mut RequestContext) -> Routed {
    if ctx.routed == Routed::Pending {
        ctx.routed = if !prepare_path(ctx, app.opts.use_raw_path) {
            Routed::BadPath
        } else if route(app, ctx) {
            Routed::Matched
        } else {
            Routed::Missed
        };
    }
    ctx.routed
}

/// Serves one request on `ctx`.
pub(crate) async fn dispatch(app: &App, ctx: &mut RequestContext) {
    match route_once(app, ctx) {
        Routed::Matched => {}
        Routed::BadPath => {
            ctx.render_error(StatusCode::BAD_REQUEST, "invalid percent-encoding in path");
            return;
        }
        Routed::Missed | Routed::Pending => handle_miss(app, ctx),
    }
    run_chain(app, ctx).await;
}

/// Runs the chain already chosen for `ctx`.
async fn run_chain(app: &App, ctx: &mut RequestContext) {
    if app.recovery_first {
        // The chain's first entry is the recovery middleware: do its work here, on the stack,
        // and start the chain after it — one boxed future and one chain step less per request.
        ctx.next_index = 1;
        ctx.next_recovering().await;
    } else {
        ctx.next().await;
    }
}

/// Fills the context's routing path: the request path, with `%XX` escapes decoded unless
/// routing on raw paths. Returns false if the decoded path is not UTF-8. (A copy into a
/// reused buffer: cheaper per request than a shared view, which costs two atomic operations;
/// parameters become views into the head only when a handler asks for one.)
fn prepare_path(ctx: &mut RequestContext, use_raw_path: bool) -> bool {
    let raw = ctx.req.path();
    ctx.routing_path.clear();
    if use_raw_path || !raw.as_bytes().contains(&b'%') {
        ctx.routing_path.push_str(raw);
        ctx.path_is_raw = true;
        return true;
    }
    ctx.path_is_raw = false;
    let mut bytes = std::mem::take(&mut ctx.routing_path).into_bytes();
    bytes.extend(percent_decode(raw.as_bytes()));
    match String::from_utf8(bytes) {
        Ok(s) => {
            ctx.routing_path = s;
            true
        }
        Err(_) => false,
    }
}

/// `part` (a sub-slice of `head`) as a view sharing `head`'s memory; copied if it is not one.
pub(crate) fn view(head: &bytes::Bytes, part: &str) -> ByteString {
    let start = (part.as_ptr() as usize).wrapping_sub(head.as_ptr() as usize);
    if part.is_empty() || start > head.len() || head.len() - start < part.len() {
        return ByteString::from(part);
    }
    ByteString::try_from(head.slice(start..start + part.len()))
        .unwrap_or_else(|_| ByteString::from(part))
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
pub fn percent_decode(input: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *input.get(i)?;
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                input.get(i + 1).copied().and_then(hex),
                input.get(i + 2).copied().and_then(hex),
            ) {
                i += 3;
                return Some(h << 4 | l);
            }
        }
        i += 1;
        Some(b)
    })
}

/// Percent-encodes what may not appear raw in a `Location` path.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Looks up the route and records it with its parameters. Returns false on a miss.
fn route(app: &App, ctx: &mut RequestContext) -> bool {
    let path: &str = &ctx.routing_path;
    let method = ctx.req.method();
    // Static routes first: one hash probe, nothing to record but the route.
    if let Some(&id) = app.router.find_static(method, path) {
        ctx.params.clear();
        ctx.route = Some(id);
        ctx.chain = Some(app.routes[id].chain.clone());
        return true;
    }
    let found = app.router.find(method, path).or_else(|| {
        (method == Method::HEAD)
            .then(|| app.router.find(&Method::GET, path))
            .flatten()
    });
    let Some(m) = found else {
        return false;
    };
    let base = path.as_ptr() as usize;
    ctx.params.clear();
    for (_, value) in m.params.iter() {
        let start = (value.as_ptr() as usize).saturating_sub(base);
        ctx.params
            .push((start as u32, (start + value.len()) as u32));
    }
    let id = *m.value;
    ctx.route = Some(id);
    ctx.chain = Some(app.routes[id].chain.clone());
    true
}

/// Chooses the chain for a request no route matched: a redirect (trailing slash, fixed
/// path), 405 with `Allow`, or 404 — each after the server middleware.
fn handle_miss(app: &App, ctx: &mut RequestContext) {
    let method = ctx.req.method().clone();
    let path = ctx.routing_path.clone(); // a miss: the copy does not matter
    if method != Method::CONNECT && &*path != "/" {
        let target = if app.opts.redirect_trailing_slash {
            app.router.trailing_slash_redirect(&method, &path)
        } else {
            None
        }
        .or_else(|| {
            app.opts
                .redirect_fixed_path
                .then(|| app.router.fixed_path_redirect(&method, &path))
                .flatten()
        });
        if let Some(target) = target {
            let mut location = encode_path(&target);
            if let Some(q) = ctx.req.query_string() {
                location.push('?');
                location.push_str(q);
            }
            let status = if method == Method::GET {
                StatusCode::MOVED_PERMANENTLY
            } else {
                StatusCode::TEMPORARY_REDIRECT
            };
            ctx.pending_redirect = Some((status, location));
            ctx.chain = Some(app.redirect.clone());
            return;
        }
    }
    if app.opts.handle_method_not_allowed {
        let mut allowed = app.router.allowed_methods(&path, &method);
        // HEAD is served by the GET route when it has none of its own.
        if allowed.contains(&Method::GET) && !allowed.contains(&Method::HEAD) {
            allowed.push(Method::HEAD);
        }
        if !allowed.is_empty() {
            let list = allowed
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(v) = HeaderValue::from_str(&list) {
                ctx.resp.set_header(header::ALLOW, v);
            }
            ctx.resp.set_status(StatusCode::METHOD_NOT_ALLOWED);
            ctx.chain = Some(app.no_method.clone());
            return;
        }
    }
    ctx.resp.set_status(StatusCode::NOT_FOUND);
    ctx.chain = Some(app.no_route.clone());
}

/// The last handler of the redirect chain: sends the redirect dispatch decided on.
pub(crate) async fn send_redirect(ctx: &mut RequestContext) {
    if let Some((status, location)) = ctx.pending_redirect.take() {
        ctx.redirect(status, location);
    }
}

/// The last handler of the rejection chain: renders the protocol rejection.
pub(crate) async fn render_rejection(ctx: &mut RequestContext) {
    if let Some(e) = ctx.error.take() {
        e.render(ctx);
        ctx.error = Some(e);
    }
}

/// The default last handler for unmatched paths.
pub(crate) async fn default_not_found(ctx: &mut RequestContext) {
    ctx.render_error(StatusCode::NOT_FOUND, "404 page not found");
}

/// The default last handler for a known path with an unregistered method.
pub(crate) async fn default_method_not_allowed(ctx: &mut RequestContext) {
    let allow = ctx.resp.header(&header::ALLOW).cloned();
    ctx.render_error(StatusCode::METHOD_NOT_ALLOWED, "405 method not allowed");
    if let Some(allow) = allow {
        ctx.resp.set_header(header::ALLOW, allow);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_and_encoding() {
        let d: Vec<u8> = percent_decode(b"/a%20b/%E2%9C%93/%zz/%4").collect();
        assert_eq!(d, "/a b/\u{2713}/%zz/%4".as_bytes());
        assert_eq!(encode_path("/a b/100%/ü"), "/a%20b/100%25/%C3%BC");
    }

    async fn echo_param(ctx: &mut RequestContext) {
        let x = ctx.param_or("x", "-");
        ctx.string(StatusCode::OK, x);
    }

    #[tokio::test]
    async fn params_are_views_or_decoded_copies() {
        use crate::app::Server;
        use crate::ut::perform_request;
        let s = Server::new();
        s.get("/p/:x/tail", echo_param);
        for (url, want) in [
            ("/p/abc/tail", "abc"),
            ("/p/a%20b/tail", "a b"),
            ("/p/%C3%BC/tail?q=1", "\u{fc}"),
        ] {
            let r = perform_request(&s, Method::GET, url, "", &[]).await;
            assert_eq!(r.text(), want, "{url}");
        }
        let raw = Server::new().use_raw_path(true);
        raw.get("/p/:x/tail", echo_param);
        let r = perform_request(&raw, Method::GET, "/p/a%20b/tail", "", &[]).await;
        assert_eq!(r.text(), "a%20b");
    }
}
