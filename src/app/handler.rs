//! What a handler is. Handlers and middleware share one shape: an `async fn` taking
//! `&mut RequestContext` and returning `()` or `Result<(), E>` ([`HandlerOutput`]; an `Err`
//! answers through [`ResponseError`](super::ResponseError) and stops the chain). The
//! [`Handler`] trait is implemented for every such function (and for any type a user
//! implements it for); the handler chain stores `Arc<dyn Handler>`. The chain runs a handler's
//! future inline in its own frame when it is small (up to 128 bytes: a typical endpoint
//! handler's), so calling it costs no allocation; a larger one (middleware holding the rest of
//! the chain, handlers with big await states) is boxed — one allocation per such call.
//!
//! ```
//! use khz::prelude::*;
//!
//! async fn hello(ctx: &mut RequestContext) {
//!     ctx.string(StatusCode::OK, "hello");
//! }
//!
//! async fn fallible(ctx: &mut RequestContext) -> khz::Result<()> {
//!     let n: u32 = ctx.query("n").unwrap_or_default().parse().or_status(StatusCode::BAD_REQUEST)?;
//!     ctx.string(StatusCode::OK, (n + 1).to_string());
//!     Ok(())
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
//! # takes(fallible);
//! # takes(greet);
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::context::RequestContext;
use super::error::HandlerOutput;

/// A boxed, `Send` future borrowing the request context.
pub type BoxFuture<'a, T = ()> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Largest handler future stored inline by the chain.
const INLINE_FUTURE_BYTES: usize = 128;

pin_project_lite::pin_project! {
    /// A handler's future as the chain runs it: stored inline when it fits, otherwise boxed.
    /// Not nameable outside khz (the trait method returning it is hidden).
    pub struct Inline<'a> {
        #[pin]
        fut: stackfuture::StackFuture<'a, (), INLINE_FUTURE_BYTES>,
    }
}

impl<'a> Inline<'a> {
    #[inline]
    fn new<F: Future<Output = ()> + Send + 'a>(f: F) -> Self {
        Inline {
            fut: stackfuture::StackFuture::from_or_box(f),
        }
    }

    #[inline]
    fn boxed(f: BoxFuture<'a>) -> Self {
        Inline {
            fut: stackfuture::StackFuture::from(f),
        }
    }
}

impl Future for Inline<'_> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.project().fut.poll(cx)
    }
}

/// A request handler or middleware.
pub trait Handler: Send + Sync + 'static {
    /// Runs the handler on `ctx`. An error is answered by the handler itself (for example
    /// with [`RequestContext::abort_with_error`]).
    fn call<'a>(&'a self, ctx: &'a mut RequestContext) -> BoxFuture<'a>;

    /// What the chain calls: the default boxes [`call`](Self::call)'s future; the
    /// implementation for `async fn` handlers stores small futures inline.
    #[doc(hidden)]
    fn call_inline<'a>(&'a self, ctx: &'a mut RequestContext) -> Inline<'a> {
        Inline::boxed(self.call(ctx))
    }
}

/// Helper trait that lets plain `async fn(&mut RequestContext) -> impl HandlerOutput` items be
/// handlers on stable Rust: it names the future type for each lifetime. Implemented
/// automatically.
pub trait AsyncHandlerFn<'a>: Send + Sync + 'static {
    /// The future returned for a context borrowed for `'a`.
    type Fut: Future<Output: HandlerOutput> + Send + 'a;
    /// Calls the function.
    fn call_fn(&self, ctx: &'a mut RequestContext) -> Self::Fut;
}

impl<'a, F, Fut> AsyncHandlerFn<'a> for F
where
    F: Fn(&'a mut RequestContext) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'a,
    Fut::Output: HandlerOutput,
{
    type Fut = Fut;
    #[inline]
    fn call_fn(&self, ctx: &'a mut RequestContext) -> Fut {
        self(ctx)
    }
}

/// Runs an `async fn` handler and answers its error, if it returned one.
#[inline]
async fn run_fn<F>(f: &F, ctx: &mut RequestContext)
where
    F: for<'a> AsyncHandlerFn<'a>,
{
    let outcome = f.call_fn(&mut *ctx).await.into_result();
    if let Err(e) = outcome {
        ctx.fail(e);
    }
}

impl<F> Handler for F
where
    F: for<'a> AsyncHandlerFn<'a>,
{
    #[inline]
    fn call<'a>(&'a self, ctx: &'a mut RequestContext) -> BoxFuture<'a> {
        Box::pin(run_fn(self, ctx))
    }

    #[inline]
    fn call_inline<'a>(&'a self, ctx: &'a mut RequestContext) -> Inline<'a> {
        Inline::new(run_fn(self, ctx))
    }
}

/// A handler made from a closure returning a boxed future; see [`handler_fn`].
pub struct FnHandler<F>(F);

impl<F, O> Handler for FnHandler<F>
where
    F: for<'a> Fn(&'a mut RequestContext) -> BoxFuture<'a, O> + Send + Sync + 'static,
    O: HandlerOutput,
{
    #[inline]
    fn call<'a>(&'a self, ctx: &'a mut RequestContext) -> BoxFuture<'a> {
        Box::pin(async move {
            let outcome = (self.0)(&mut *ctx).await.into_result();
            if let Err(e) = outcome {
                ctx.fail(e);
            }
        })
    }
}

/// Turns a closure `|ctx| Box::pin(async move { ... })` into a [`Handler`]. Useful when the
/// handler captures state; plain `async fn` items need no wrapper. The future may return `()`
/// or a `Result` like an `async fn` handler.
pub fn handler_fn<F, O>(f: F) -> FnHandler<F>
where
    F: for<'a> Fn(&'a mut RequestContext) -> BoxFuture<'a, O> + Send + Sync + 'static,
    O: HandlerOutput,
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
        let s = Server::new();
        s.get("/small", small);
        s.get("/large", large);
        let r = perform_request(&s, Method::GET, "/small", "", &[]).await;
        assert_eq!(r.text(), "small");
        let r = perform_request(&s, Method::GET, "/large", "", &[]).await;
        assert_eq!(r.text(), "large");
    }
}
