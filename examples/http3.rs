//! HTTP/1.1, HTTP/2 and HTTP/3 on one port number: TLS on TCP 8443 (ALPN `h2`, `http/1.1`)
//! and QUIC on UDP 8443, with a self-signed certificate for `localhost` / `127.0.0.1` made by
//! `rcgen` at start (or your own: `TLS_CERT` / `TLS_KEY`, PEM paths). Run with
//! `cargo run --example http3 --features http3`, then:
//!
//! ```text
//! curl -k https://localhost:8443/                        # HTTP/2 by ALPN: "hello over HTTP/2.0"
//! curl -k --http1.1 https://localhost:8443/              # HTTP/1.1
//! curl -k --http3-only https://localhost:8443/json       # HTTP/3, if `curl -V` lists HTTP3
//! curl -k -d 'hi there' https://localhost:8443/echo      # POST, echoed back
//! curl -k -sI https://localhost:8443/ | grep -i alt-svc  # alt-svc: h3=":8443"; ma=86400
//! ```
//!
//! Browsers find HTTP/3 through that `Alt-Svc` header and use it for later requests — but
//! only with a certificate they trust; with a clicked-through self-signed one they usually stay
//! on HTTP/2 (use e.g. mkcert's local CA through `TLS_CERT` / `TLS_KEY`). `PORT` overrides the
//! port number (TCP and UDP alike).

use khz::prelude::*;
use serde::Serialize;

#[derive(Serialize)]
struct Hello {
    message: &'static str,
    protocol: String,
}

/// Says which protocol carried the request: `HTTP/1.1`, `HTTP/2.0` or `HTTP/3.0`.
async fn which(ctx: &mut RequestContext) {
    let version = ctx.protocol();
    ctx.string(StatusCode::OK, format!("hello over {version:?}\n"));
}

async fn json(ctx: &mut RequestContext) {
    let protocol = format!("{:?}", ctx.protocol());
    ctx.json(
        StatusCode::OK,
        &Hello {
            message: "Hello, World!",
            protocol,
        },
    );
}

/// Sends the request body back with its content type.
async fn echo(ctx: &mut RequestContext) {
    let body = ctx.body().clone();
    let ty = ctx
        .content_type()
        .unwrap_or("application/octet-stream")
        .to_owned();
    ctx.data(StatusCode::OK, ty, body);
}

#[tokio::main]
async fn main() -> khz::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let port = std::env::var("PORT").unwrap_or_else(|_| "8443".to_owned());
    // Kept until the end of `main`: the PEM files are read by `tls_pem`, and the directory is
    // removed when the server has stopped.
    let dir = tempfile::tempdir()?;
    let (cert, key) = match (std::env::var("TLS_CERT"), std::env::var("TLS_KEY")) {
        (Ok(cert), Ok(key)) => (cert.into(), key.into()),
        _ => self_signed(dir.path())?,
    };
    let server = Server::default()
        .addr(format!("127.0.0.1:{port}"))
        .tls_pem(&cert, &key) // TCP: HTTP/2 and HTTP/1.1 by ALPN
        .http3(true); // UDP, same port number: HTTP/3; Alt-Svc on the TCP responses
    server.get("/", which);
    server.get("/json", json);
    server.post("/echo", echo);
    println!("try (certificate: {}):", cert.display());
    println!("  curl -k https://localhost:{port}/                   # HTTP/2");
    println!("  curl -k --http1.1 https://localhost:{port}/         # HTTP/1.1");
    println!(
        "  curl -k --http3-only https://localhost:{port}/json  # HTTP/3 (if curl -V lists HTTP3)"
    );
    println!("  curl -k -d 'hi there' https://localhost:{port}/echo");
    println!("  a browser at https://localhost:{port}/ moves to HTTP/3 via Alt-Svc with a trusted certificate");
    server.spin().await
}

/// Writes a self-signed certificate for `localhost` and `127.0.0.1` and its key into `dir`.
fn self_signed(dir: &std::path::Path) -> khz::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| khz::Error::from_source(khz::ErrorKind::Config, e))?;
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem())?;
    std::fs::write(&key, made.signing_key.serialize_pem())?;
    Ok((cert, key))
}
