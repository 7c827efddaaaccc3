//! External HTTP/2 clients against a real server: `curl --http2-prior-knowledge` (h2c) and an
//! `h2load` smoke run (many streams over several connections). Both binaries are required (CI
//! installs curl and nghttp2-client); a missing one fails the test and says so. The same over
//! TLS (`curl --http2 -k`, `h2load` on `https://`) is in `tls.rs`.

mod common;

use std::process::Command;

use khz::prelude::*;

async fn ok(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "ok");
}

async fn echo(ctx: &mut RequestContext) {
    let body = ctx.body().clone();
    ctx.set_header("x-protocol", format!("{:?}", ctx.protocol()));
    ctx.data(StatusCode::OK, "application/octet-stream", body);
}

async fn h2c_server() -> std::net::SocketAddr {
    let s = common::server().h2c(true);
    s.get("/ok", ok);
    s.post("/echo", echo);
    let (handle, addr) = common::start(s).await;
    std::mem::forget(handle);
    addr
}

/// Runs curl, returning (stdout, stderr). Fails if curl is missing or fails.
fn curl(args: &[&str]) -> (String, String) {
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("the `curl` binary is required: {e}"));
    assert!(
        out.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_http2_prior_knowledge() {
    let addr = h2c_server().await;
    let url = format!("http://{addr}/echo");
    let (out, _) = tokio::task::spawn_blocking(move || {
        curl(&[
            "--http2-prior-knowledge",
            "-i",
            "--data-binary",
            "from curl",
            &url,
        ])
    })
    .await
    .unwrap();
    assert!(out.starts_with("HTTP/2 200"), "{out}");
    assert!(out.contains("x-protocol: HTTP/2.0"), "{out}");
    assert!(out.ends_with("from curl"), "{out}");
}

/// Runs h2load and returns its output; fails if it is missing.
pub fn h2load(args: &[&str]) -> String {
    let out = Command::new("h2load")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("the `h2load` binary (nghttp2-client) is required: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "h2load failed: {text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2load_smoke() {
    let addr = h2c_server().await;
    let url = format!("http://{addr}/ok");
    let out =
        tokio::task::spawn_blocking(move || h2load(&["-n", "2000", "-c", "4", "-m", "50", &url]))
            .await
            .unwrap();
    assert!(
        out.contains("2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored"),
        "{out}"
    );
    assert!(out.contains("status codes: 2000 2xx"), "{out}");
}
