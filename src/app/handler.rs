//! What a handler is. Handlers and middleware share one shape: an `async fn` taking
//! `&mut RequestContext`. The [`Handler`] trait is implemented for every such function (and for
//! any type a user implements it for); the handler chain stores `Arc<dyn Handler>`. Calling one
//! through the chain gives an [`InlineFuture`]: a future of up to [`INLINE_FUTURE_BYTES`] bytes
//! (a typical endpoint handler's) is stored inline in the caller's frame, so it costs no
//! allocation; a larger one (middleware holding the rest of the chain, handlers with big await
//! states) is boxed — one allocation per such call.
//!
//! ```
//! use khz::prelude::*;
//!
//! async fn hello(ctx: &mut RequestContext) {
//!     ctx.string(StatusCode::OK, "hello");
//! }
//!
//! // Closures that capture state go through `handler_fn`, which fixes their signature.
//! let greeting = std::sync::Arc::new(String::from("hi"));
//! let greet = khz::app::handler_fn(move |ctx: &mut RequestContext| {
//!     let greeting = greeting.clone();
//!     Box::pin(async move { ctx.string(StatusCode::OK, greeting.to_string()) })
//! });
//! # fn takes(_: impl khz::app::Handler) {}
//! # takes(hello);
//! # takes(greet);
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::context::RequestContext;

/// A boxed, `Send` future borrowing the request context.
pub type BoxFuture<'a, T = ()> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Largest handler future stored inline by [`Handler::call_inline`].
pub const INLINE_FUTURE_BYTES: usize = 128;

/// A handler's future as the chain runs it: stored inline when it fits in
/// [`INLINE_FUTURE_BYTES`], otherwise boxed.
pub type InlineFuture<'a> = stackfuture::StackFuture<'a, (), INLINE_FUTURE_BYTES>;

/// A request handler or middleware.
pub trait Handler: Send + Sync + 'static {
    /// Runs the handler on `ctx`.
    fn call<'a>(&'a self, ctx: &'a mut RequestContext) -> BoxFuture<'a>;

    /// Runs the handler on `ctx` without boxing its future when it is small: what the chain
    /// calls. The default wraps [`call`](Self::call)'s boxed future; the implementation for
    /// `async fn` handlers stores their future inline.
    fn call_inline<'a>(&'a self, ctx: &'a mut RequestContext) -> InlineFuture<'a> {
        InlineFuture::from(self.call(ctx))
    }
}

/// Helper trait that lets plain `async fn(&mut RequestContext)` items be handlers on stable
/// Rust: it names the future type for each lifetime. Implemented automatically.
pub trait AsyncHandlerFn<'a>: Send + Sync + 'static {
    /// The future returned for a context borrowed for `'a`.
    type Fut: Future<Output = ()> + Send + 'a;
    /// Calls the function.
    fn call_fn(&self, ctx: &'a mut RequestContext) -> Self::Fut;
}

impl<'a, F, Fut> AsyncHandlerFn<'a> for F
where
    F: Fn(&'a mut RequestContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'a,
{
    type Fut = Fut;
    #[inline]
    fn call_fn(&self, ctx: &'a mut RequestContext) -> Fut {
        self(ctx)
    }
}

impl<F> Handler for F
where
    F: for<'a> AsyncHandlerFn<'a>,
{
    #[inline]
    fn call<'a>(&'a self, ctx: &'a mut RequestContext) -> BoxFuture<'a> {
        Box::pin(self.call_fn(ctx))
    }

    #[inline]
    fn call_inline<'a>(&'a self, ctx: &'a mut RequestContext) -> InlineFuture<'a> {
        InlineFuture::from_or_box(self.call_fn(ctx))
    }
}

/// A handler made from a closure returning a boxed future; see [`handler_fn`].
pub struct FnHandler<F>(F);

impl<F> Handler for FnHandler<F>
where
    F: for<'a> Fn(&'a mut RequestContext) -> BoxFuture<'a> + Send + Sync + 'static,
{
    #[inline]
    fn call<'a>(&'a self, ctx: &'a mut RequestContext) -> BoxFuture<'a> {
        (self.0)(ctx)
    }
}

/// Turns a closure `|ctx| Box::pin(async move { ... })` into a [`Handler`]. Useful when the
/// handler captures state; plain `async fn` items need no wrapper.
pub fn handler_fn<F>(f: F) -> FnHandler<F>
where
    F: for<'a> Fn(&'a mut RequestContext) -> BoxFuture<'a> + Send + Sync + 'static,
{
    FnHandler(f)
}

/// A handler in a chain, with the name shown in the route table.
#[derive(Clone)]
pub(crate) struct NamedHandler {
    pub(crate) handler: Arc<dyn Handler>,
    pub(crate) name: &'static str,
}

impl NamedHandler {
    pub(crate) fn new<H: Handler>(h: H) -> Self {
        NamedHandler {
            handler: Arc::new(h),
            name: std::any::type_name::<H>(),
        }
    }
}

/// An immutable handler chain: middleware first, the route's handler last.
pub(crate) type Chain = Arc<[Arc<dyn Handler>]>;

#[cfg(test)]
mod tests {
    use http::{Method, StatusCode};

    use super::*;
    use crate::app::ut::perform_request;
    use crate::app::Server;

    async fn small(ctx: &mut RequestContext) {
        ctx.string(StatusCode::OK, "small");
    }

    /// Holds a 4 KiB array across an await: far too big to be stored inline.
    async fn large(ctx: &mut RequestContext) {
        let mut scratch = [0u8; 4096];
        scratch[4095] = b'e';
        tokio::task::yield_now().await;
        ctx.string(StatusCode::OK, format!("larg{}", scratch[4095] as char));
    }

    fn inline_size<'a, F: Future + 'a>(_: &dyn Fn(&'a mut RequestContext) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    #[test]
    fn future_sizes_decide_inline_or_boxed() {
        assert!(inline_size(&small) <= INLINE_FUTURE_BYTES);
        assert!(inline_size(&large) > INLINE_FUTURE_BYTES);
    }

    #[tokio::test]
    async fn inline_and_boxed_handler_futures_both_run() {
        let mut s = Server::new();
        s.get("/small", small).unwrap();
        s.get("/large", large).unwrap();
        let r = perform_request(&s, Method::GET, "/small", "", &[]).await;
        assert_eq!(r.text(), "small");
        let r = perform_request(&s, Method::GET, "/large", "", &[]).await;
        assert_eq!(r.text(), "large");
    }
}
