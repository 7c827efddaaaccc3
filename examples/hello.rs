//! The quick-start server: plaintext, JSON, a route with a parameter, and a route group with
//! its own middleware. Run with `cargo run --example hello`, then:
//!
//! ```text
//! curl http://127.0.0.1:8888/
//! curl http://127.0.0.1:8888/json
//! curl http://127.0.0.1:8888/hello/khz
//! curl -H 'Authorization: Bearer secret' http://127.0.0.1:8888/v1/whoami
//! ```
//!
//! `PORT` overrides the port (0 picks a free one).

use std::time::Instant;

use khz::prelude::*;
use serde::Serialize;

#[derive(Serialize)]
struct Message<'a> {
    message: &'a str,
}

async fn plaintext(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "Hello, World!");
}

async fn json(ctx: &mut RequestContext) {
    ctx.json(
        StatusCode::OK,
        &Message {
            message: "Hello, World!",
        },
    );
}

async fn hello(ctx: &mut RequestContext) {
    let name = ctx.param_or("name", "world");
    ctx.string(StatusCode::OK, format!("Hello, {name}!"));
}

/// Server-wide middleware: measures the rest of the chain (the "onion").
async fn timing(ctx: &mut RequestContext) {
    let started = Instant::now();
    ctx.next().await;
    ctx.set_header("x-elapsed-us", started.elapsed().as_micros().to_string());
}

struct User(String);

/// Group middleware: a toy bearer-token check that stores the user for the handler.
async fn auth(ctx: &mut RequestContext) {
    match ctx.header("authorization").as_deref() {
        Some("Bearer secret") => ctx.set(User("alice".to_owned())),
        _ => return ctx.abort_with_msg(StatusCode::UNAUTHORIZED, "missing or bad token"),
    }
    ctx.next().await;
}

async fn whoami(ctx: &mut RequestContext) {
    let name = ctx
        .get::<User>()
        .map_or("nobody", |u| u.0.as_str())
        .to_owned();
    ctx.json(StatusCode::OK, &Message { message: &name });
}

#[tokio::main]
async fn main() -> khz::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let port = std::env::var("PORT").unwrap_or_else(|_| "8888".to_owned());
    let server = Server::default().addr(format!("127.0.0.1:{port}"));
    server.middleware(timing);
    server.get("/", plaintext);
    server.get("/json", json);
    server.get("/hello/:name", hello);
    let v1 = server.group("/v1").middleware(auth);
    v1.get("/whoami", whoami);
    server.spin().await
}
