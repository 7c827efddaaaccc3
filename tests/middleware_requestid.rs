//! The `requestid` middleware end to end (feature `requestid`), over HTTP/1.1, h2c, HTTP/2 over
//! TLS and HTTP/3: an ID is generated when none came, a plain incoming one is kept, a hostile
//! one replaced; handlers read it; the response echoes it — on errors and aborts too.
#![cfg(feature = "requestid")]

mod common;
mod proto;

use khz::middleware::requestid::{request_id, RequestId};
use khz::prelude::*;
use proto::Proto;

/// Answers with the ID the handler sees.
async fn show(ctx: &mut RequestContext) {
    let id = request_id(ctx).unwrap_or_default();
    ctx.string(StatusCode::OK, id);
}

async fn fails(_ctx: &mut RequestContext) -> khz::Result<()> {
    Err(khz::Error::status(StatusCode::BAD_REQUEST, "nope"))
}

fn is_uuid_v4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && parts[2].starts_with('4')
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_generated_kept_or_replaced_and_echoed_over_every_protocol() {
    for proto in Proto::all_with_h3() {
        let s = common::server();
        s.middleware(RequestId::new());
        s.get("/id", show);
        s.get("/fails", fails);
        let (_h, addr) = proto.start(s).await;
        let mut c = proto.client(addr).await;

        // None sent: a new UUID, the same for handler and response; a new one per request.
        let r = c.get("/id").await;
        let id = r.header("x-request-id").expect("echoed").to_owned();
        assert!(is_uuid_v4(&id), "{proto}: {id}");
        assert_eq!(r.text(), id, "{proto}: the handler sees the echoed ID");
        let again = c.get("/id").await;
        assert_ne!(again.header("x-request-id"), Some(id.as_str()), "{proto}");

        // A plain incoming ID is propagated.
        let r = c
            .request("GET", "/id", &[("x-request-id", "trace-01ARZ3NDEK:42")], "")
            .await;
        assert_eq!(
            r.header("x-request-id"),
            Some("trace-01ARZ3NDEK:42"),
            "{proto}"
        );
        assert_eq!(r.text(), "trace-01ARZ3NDEK:42", "{proto}");

        // A hostile or overlong one is replaced.
        let long = "a".repeat(129);
        for bad in ["has space", long.as_str(), "semi;colon"] {
            let r = c.request("GET", "/id", &[("x-request-id", bad)], "").await;
            let got = r.header("x-request-id").expect("echoed");
            assert!(is_uuid_v4(got), "{proto}: {bad:?} became {got:?}");
        }

        // Echoed on an error answer and on a 404 (the middleware runs for both).
        let r = c.get("/fails").await;
        assert_eq!(r.status, 400, "{proto}");
        assert!(r.header("x-request-id").is_some_and(is_uuid_v4), "{proto}");
        let r = c.get("/nowhere").await;
        assert_eq!(r.status, 404, "{proto}");
        assert!(r.header("x-request-id").is_some_and(is_uuid_v4), "{proto}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_name_and_generator_are_configurable() {
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let next = counter.clone();
    let s = common::server();
    s.middleware(RequestId::new().header("X-Trace-ID").generator(move || {
        format!(
            "t{}",
            next.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        )
    }));
    s.get("/id", show);
    let (_h, addr) = common::start(s).await;
    let r = common::get(addr, "/id").await;
    assert_eq!(r.text(), "t0");
    assert_eq!(r.header("x-trace-id"), Some("t0"));
    assert_eq!(r.header("x-request-id"), None);
    assert_eq!(common::get(addr, "/id").await.text(), "t1");
}
