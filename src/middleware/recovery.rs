//! Recovery: turns a panic anywhere further down the chain into a 500 for that request only.
//! The panic is caught at the `await` of the rest of the chain
//! ([`RequestContext::next_recovering`]), logged with the method, path and panic message, and the
//! partial response is discarded. The connection and every other request go on. Requires
//! `panic = "unwind"` (the default). `Server::default()` mounts it first in every chain and runs
//! it inline, without a boxed future of its own.

use crate::app::RequestContext;

/// Catches panics of later handlers and answers `500 Internal Server Error`.
///
/// ```
/// use khz::prelude::*;
/// let server = Server::new();
/// server.middleware(khz::middleware::recovery); // Server::default() already has it
/// ```
pub async fn recovery(ctx: &mut RequestContext) {
    ctx.next_recovering().await;
}
