//! [`Route`]: what registering a route returns — a handle for settings that belong to that
//! route alone, such as streaming its request body.

use std::fmt;
use std::ops::Range;

use super::server::Server;

/// The route (or, for [`any`](Server::any), the routes) just registered.
///
/// ```
/// # use khz::prelude::*;
/// # async fn upload(ctx: &mut RequestContext) {}
/// let mut server = Server::new();
/// server.post("/upload", upload)?.stream_body();
/// # Ok::<(), khz::Error>(())
/// ```
pub struct Route<'s> {
    server: &'s mut Server,
    ids: Range<usize>,
}

impl<'s> Route<'s> {
    pub(crate) fn new(server: &'s mut Server, ids: Range<usize>) -> Self {
        Route { server, ids }
    }

    /// Streams this route's request body: the handler runs as soon as the head has arrived
    /// and reads the body with [`body_stream`](crate::app::RequestContext::body_stream) (or
    /// [`read_body`](crate::app::RequestContext::read_body)), so an upload of any size passes
    /// through a few buffers instead of memory. The size limit is
    /// [`max_stream_body_size`](Server::max_stream_body_size), not
    /// [`max_request_body_size`](Server::max_request_body_size).
    pub fn stream_body(self) -> Self {
        for i in self.ids.clone() {
            self.server.routes[i].stream_body = true;
        }
        self
    }

    /// The full pattern of the route, e.g. `/v1/users/:id`.
    pub fn path(&self) -> &str {
        self.server
            .routes
            .get(self.ids.start)
            .map_or("", |r| r.pattern.as_str())
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
