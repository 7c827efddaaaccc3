//! [`Route`]: what registering a route returns — a handle for what belongs to that route
//! alone: its own middleware and whether its request body is streamed.

use std::fmt;
use std::ops::Range;

use super::handler::{Handler, NamedHandler};
use super::server::Registry;

/// The route (or, for [`any`](crate::app::Server::any), the routes) just registered.
///
/// ```
/// # use khz::prelude::*;
/// # async fn upload(ctx: &mut RequestContext) {}
/// # async fn audit(ctx: &mut RequestContext) { ctx.next().await }
/// let server = Server::new();
/// server.post("/upload", upload).middleware(audit).stream_body();
/// ```
pub struct Route<'s> {
    reg: &'s Registry,
    ids: Range<usize>,
}

impl<'s> Route<'s> {
    pub(crate) fn new(reg: &'s Registry, ids: Range<usize>) -> Self {
        Route { reg, ids }
    }

    /// Adds middleware to this route alone (Hertz `h.GET("/x", mw, handler)`): it runs after
    /// the server's and the groups' middleware and right before the handler, in the order
    /// added.
    pub fn middleware<H: Handler>(self, handler: H) -> Self {
        let named = NamedHandler::new(handler);
        let mut regs = self.reg.lock();
        for i in self.ids.clone() {
            regs.routes[i].middleware.push(named.clone());
        }
        drop(regs);
        self
    }

    /// Streams this route's request body: the handler runs as soon as the head has arrived
    /// and reads the body with [`body_stream`](crate::app::RequestContext::body_stream) (or
    /// [`read_body`](crate::app::RequestContext::read_body)), so an upload of any size passes
    /// through a few buffers instead of memory. The size limit is
    /// [`max_stream_body_size`](crate::app::Server::max_stream_body_size), not
    /// [`max_request_body_size`](crate::app::Server::max_request_body_size).
    pub fn stream_body(self) -> Self {
        let mut regs = self.reg.lock();
        for i in self.ids.clone() {
            regs.routes[i].stream_body = true;
        }
        drop(regs);
        self
    }

    /// The full pattern of the route, e.g. `/v1/users/:id`, with the base path as it is now.
    pub fn path(&self) -> String {
        let regs = self.reg.lock();
        if self.ids.start < regs.routes.len() {
            regs.pattern_of(self.ids.start)
        } else {
            String::new()
        }
    }
}

impl fmt::Debug for Route<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("path", &self.path())
            .field("routes", &self.ids.len())
            .finish()
    }
}
