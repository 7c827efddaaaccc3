//! Recovery: turns a panic anywhere further down the chain into a 500 for that request only.
//! The panic is caught at the `await` of the rest of the chain, logged with the method, path and
//! panic message, and the partial response is discarded. The connection and every other request
//! go on. Requires `panic = "unwind"` (the default).

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use http::StatusCode;

use crate::app::RequestContext;

/// Catches panics of later handlers and answers `500 Internal Server Error`.
///
/// ```
/// use khz::prelude::*;
/// let mut server = Server::new();
/// server.middleware(khz::middleware::recovery); // Server::default() already has it
/// ```
pub async fn recovery(ctx: &mut RequestContext) {
    let outcome = AssertUnwindSafe(ctx.next()).catch_unwind().await;
    if let Err(panic) = outcome {
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(non-string panic payload)");
        tracing::error!(
            method = %ctx.method(),
            path = ctx.path(),
            panic = message,
            "handler panicked; answering 500"
        );
        ctx.reset_response();
        ctx.abort_with_msg(
            StatusCode::INTERNAL_SERVER_ERROR,
            "500 internal server error",
        );
    }
}
