//! A static site: a directory served under `/` with precompressed variants, a download with a
//! proper file name, and a JSON status route. Run with
//! `cargo run --example static_site -- ./public`, then:
//!
//! ```text
//! curl -i http://127.0.0.1:8888/                        # ./public/index.html
//! curl -i -H 'Accept-Encoding: gzip' http://127.0.0.1:8888/app.js   # app.js.gz if present
//! curl -i -r 0-99 http://127.0.0.1:8888/big.bin          # 206 Partial Content
//! curl -OJ http://127.0.0.1:8888/download                 # saved as "site export.zip"
//! curl -i http://127.0.0.1:8888/.env                     # 404: dotfiles are hidden
//! curl -i http://127.0.0.1:8888/.well-known/security.txt # served (WellKnownOnly)
//! ```
//!
//! `PORT` overrides the port (0 picks a free one); `BROWSE=1` lists directories without an index.

use khz::app::fs::{Dotfiles, StaticDir};
use khz::prelude::*;

struct Root(std::path::PathBuf);

async fn download(ctx: &mut RequestContext) {
    let Some(root) = ctx.state::<Root>().map(|r| r.0.join("export.zip")) else {
        return ctx.not_found();
    };
    ctx.file_attachment(root, "site export.zip").await;
}

async fn status(ctx: &mut RequestContext) {
    ctx.json(StatusCode::OK, &serde_json::json!({ "ok": true }));
}

#[tokio::main]
async fn main() -> khz::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "./public".to_owned());
    let port = std::env::var("PORT").unwrap_or_else(|_| "8888".to_owned());
    let browse = std::env::var("BROWSE").is_ok_and(|v| v == "1");
    let server = Server::default()
        .addr(format!("127.0.0.1:{port}"))
        .with_state(Root(root.clone().into()));
    server.get("/api/status", status);
    server.get("/download", download);
    server.static_fs(
        "/",
        StaticDir::new(root)
            .precompressed(true)
            .browse(browse)
            // ACME challenges and security.txt; `.env`, `.git/` and the rest stay hidden.
            .dotfiles(Dotfiles::WellKnownOnly)
            .cache_control("public, max-age=60"),
    );
    server.spin().await
}
