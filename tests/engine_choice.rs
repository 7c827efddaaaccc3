//! Proves the suite runs on the engine it claims: a handler reports the name of the thread it
//! runs on, which is `khz-epoll-<i>` exactly when the server runs on the epoll engine. This file
//! is its own test crate (std engine) and a module of `tests/epoll.rs` (epoll engine), so each
//! build checks that the start helpers — `common::start`, `Proto::start`, `At::start` — hand
//! the server to `common::engine()`.

mod common;
mod proto;

use common::*;
use khz::prelude::*;
use proto::{At, Proto};

/// Answers with the name of the thread the handler runs on.
async fn thread_name(ctx: &mut RequestContext) {
    let name = std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_owned();
    ctx.string(StatusCode::OK, name);
}

fn assert_on_engine(thread: &str, how: &str) {
    let on_epoll = thread.starts_with("khz-epoll-");
    match engine() {
        Transport::Epoll => assert!(
            on_epoll,
            "{how}: handler ran on {thread:?}, not an epoll worker"
        ),
        Transport::Std => assert!(!on_epoll, "{how}: handler ran on epoll worker {thread:?}"),
        other => panic!("no engine {other:?} in this test"),
    }
}

#[test]
fn the_crate_name_picks_the_engine() {
    let expected = if env!("CARGO_CRATE_NAME") == "epoll" {
        Transport::Epoll
    } else {
        Transport::Std
    };
    assert_eq!(engine(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_of_every_start_helper_run_on_the_chosen_engine() {
    let s = server();
    s.get("/thread", thread_name);
    let (_h, addr) = start(s).await;
    assert_on_engine(&get(addr, "/thread").await.text(), "common::start");

    for p in Proto::all() {
        let s = bare_server();
        s.get("/thread", thread_name);
        let (_h, addr) = p.start(s).await;
        let r = p.client(addr).await.get("/thread").await;
        assert_on_engine(&r.text(), &format!("Proto::start over {p}"));

        let s = server();
        s.get("/thread", thread_name);
        let at = At::start(p, s).await;
        assert_on_engine(
            &at.get("/thread").await.text(),
            &format!("At::start over {p}"),
        );
    }
}

#[tokio::test]
async fn a_server_built_without_the_helpers_is_moved_onto_the_engine_by_start() {
    // `Server::new()` says nothing about the engine; `common::start` decides.
    let s = Server::new()
        .print_routes(false)
        .listener(loopback_listener());
    s.get("/thread", thread_name);
    let (_h, addr) = start(s).await;
    assert_on_engine(
        &get(addr, "/thread").await.text(),
        "Server::new + common::start",
    );
}

/// Connections a test opens to see them spread over the epoll workers: with two workers and
/// the kernel's `SO_REUSEPORT` hash over the client port, all landing on one worker has a
/// chance of 2^-31.
const SPREAD_CONNECTIONS: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_addr_bound_server_spreads_connections_over_its_workers() {
    // `addr` (not `listener`) is the production path: on epoll, one SO_REUSEPORT listener per
    // worker. The suite's other servers get a plain listener, whose descriptor workers share.
    let s = Server::new()
        .print_routes(false)
        .addr("127.0.0.1:0")
        .workers(2);
    s.get("/thread", thread_name);
    let (handle, addr) = start(s).await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..SPREAD_CONNECTIONS {
        let thread = get(addr, "/thread").await.text();
        assert_on_engine(&thread, "addr-bound server");
        seen.insert(thread);
    }
    if engine() == Transport::Epoll {
        let workers: Vec<_> = seen.iter().map(String::as_str).collect();
        assert_eq!(
            workers,
            ["khz-epoll-0", "khz-epoll-1"],
            "connections reach every worker"
        );
    }
    tokio::time::timeout(GUARD, handle.shutdown())
        .await
        .expect("shutdown in time")
        .expect("clean shutdown");
}

/// HTTP/3 runs on the chosen engine too: on epoll one QUIC endpoint per worker, on
/// `SO_REUSEPORT` siblings, so connections from different client ports reach every worker.
#[cfg(feature = "http3")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http3_connections_run_on_the_chosen_engine_and_spread_over_its_workers() {
    let s = server()
        .tls(proto::server_tls_config(proto::test_cert()))
        .http3(true)
        .workers(2);
    s.get("/thread", thread_name);
    let handle = try_start(s).await.expect("server starts");
    let udp = handle.http3_addr().expect("HTTP/3 on");
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..SPREAD_CONNECTIONS {
        // A new client endpoint each time: a new source port, a new 4-tuple hash.
        let mut c = proto::h3::h3_connect(udp).await;
        let thread = c.get("/thread").await.text();
        assert_on_engine(&thread, "HTTP/3");
        seen.insert(thread);
    }
    if engine() == Transport::Epoll {
        let workers: Vec<_> = seen.iter().map(String::as_str).collect();
        assert_eq!(
            workers,
            ["khz-epoll-0", "khz-epoll-1"],
            "QUIC reaches every worker"
        );
    }
    tokio::time::timeout(GUARD, handle.shutdown())
        .await
        .expect("shutdown in time")
        .expect("clean shutdown");
}
