//! khz as a peer in the shared benchmark harness (`../shared/bench/`): the same four endpoints
//! and the same 78-route table (`benches/routes.txt`) as the axum, actix-web, hyper and
//! may-minihttp peers. Listens on `$PORT` (default 8080) with `$WORKERS` worker threads
//! (default 1, like the peers) on the engine `$KHZ_ENGINE` names (`std`, the default, or
//! `epoll`; `KHZ_PIN=1` pins epoll workers to CPUs), serving HTTP/1.1 and h2c (HTTP/2 with
//! prior knowledge) on the same port. With the `tls` feature and `$TLS_CERT` / `$TLS_KEY` (PEM
//! files) set, it serves HTTPS instead (`h2` and `http/1.1` by ALPN); built with `http3` too,
//! it then also serves HTTP/3 on UDP `$PORT` — what the harness's HTTP/3 mode (`H3=1`) expects
//! of a peer whose `H3` field is `1`. With the epoll engine, QUIC runs on the runtime
//! `spin_blocking` makes for start-up and signals, one shared endpoint beside the workers.
//!
//! ```text
//! cargo build --release --example peer
//! EXTRA_PEERS="khz|1|0||$PWD/target/release/examples/peer;khz-epoll|1|0|KHZ_ENGINE=epoll|$PWD/target/release/examples/peer" \
//!     ../shared/bench/compare.sh limit may hyper axum actix khz khz-epoll
//! H2C=1 ../shared/bench/run.sh khz target/release/examples/peer        # h2load -c10 -m100
//! cargo build --release --example peer --features http3                # HTTP/3 (oha) + h2 over TLS
//! H3=1 EXTRA_PEERS="khz|1|0||$PWD/target/release/examples/peer|1" ../shared/bench/compare.sh salvo h3raw khz
//! ```

use khz::prelude::*;
use serde::Serialize;

const ROUTES: &str = include_str!("../benches/routes.txt");

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[derive(Serialize)]
struct UserPost {
    user_id: u64,
    post_id: u64,
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

async fn echo(ctx: &mut RequestContext) {
    let body = ctx.body().clone();
    ctx.data(StatusCode::OK, "application/octet-stream", body);
}

async fn user_post(ctx: &mut RequestContext) {
    let id = ctx.param("id").and_then(|v| v.parse().ok());
    let post = ctx.param("post_id").and_then(|v| v.parse().ok());
    match (id, post) {
        (Some(user_id), Some(post_id)) => ctx.json(StatusCode::OK, &UserPost { user_id, post_id }),
        _ => ctx.status(StatusCode::BAD_REQUEST),
    }
}

async fn generic(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "ok");
}

/// HTTPS from PEM files, and HTTP/3 on UDP at the same port number when built with `http3`.
#[cfg(feature = "tls")]
fn with_tls(server: Server, cert: String, key: String) -> Server {
    let server = server.tls_pem(cert, key);
    #[cfg(feature = "http3")]
    let server = server.http3(true);
    server
}

fn main() -> khz::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_owned());
    let workers = std::env::var("WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1);
    let engine = match std::env::var("KHZ_ENGINE") {
        Ok(name) => Transport::from_name(&name).ok_or_else(|| {
            khz::Error::new(
                khz::ErrorKind::Config,
                format!("KHZ_ENGINE={name:?}: expected \"std\" or \"epoll\""),
            )
        })?,
        Err(_) => Transport::Std,
    };
    let pin = std::env::var("KHZ_PIN").is_ok_and(|v| v == "1");
    let server = Server::default()
        .transport(engine)
        .cpu_affinity(pin)
        .addr(format!("0.0.0.0:{port}"))
        .workers(workers)
        .print_routes(false)
        .h2c(true);
    #[cfg(feature = "tls")]
    let server = match (std::env::var("TLS_CERT"), std::env::var("TLS_KEY")) {
        (Ok(cert), Ok(key)) => with_tls(server, cert, key),
        _ => server,
    };
    for line in ROUTES.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(path), Some(handler)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(khz::Error::new(
                khz::ErrorKind::Config,
                format!("bad route line: {line}"),
            ));
        };
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|e| khz::Error::from_source(khz::ErrorKind::Config, e))?;
        match handler {
            "plaintext" => server.handle(method, path, plaintext),
            "json" => server.handle(method, path, json),
            "echo" => server.handle(method, path, echo),
            "user_post" => server.handle(method, path, user_post),
            _ => server.handle(method, path, generic),
        };
    }
    server.spin_blocking()
}
