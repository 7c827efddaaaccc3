//! Server lifecycle: start on port 0 (`listener` and `addr`), graceful shutdown (in-flight
//! requests finish with `Connection: close`, idle connections close at once, new connections are
//! refused), the exit wait time, `on_run` / `on_shutdown` hooks, and start-up failures.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use khz::prelude::*;
use tokio::sync::{mpsc, Notify};

struct Gate {
    entered: mpsc::UnboundedSender<()>,
    release: Arc<Notify>,
}

async fn blocked(ctx: &mut RequestContext) {
    let gate = ctx.state::<Gate>().expect("gate state");
    let release = gate.release.clone();
    gate.entered.send(()).expect("test listens");
    release.notified().await;
    ctx.string(StatusCode::OK, "finished");
}

type Log = Arc<Mutex<Vec<&'static str>>>;
type Configure = fn(Server) -> Server;

fn log_hook(
    log: &Log,
    entry: &'static str,
) -> impl Fn() -> futures_util::future::Ready<khz::Result<()>> {
    let log = log.clone();
    move || {
        log.lock().unwrap().push(entry);
        futures_util::future::ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addr_with_port_zero_reports_the_real_port() {
    let s = Server::default().print_routes(false).addr("127.0.0.1:0");
    s.get("/ok", ok);
    let (handle, addr) = start(s).await;
    assert_still_serving(addr).await;
    tokio::time::timeout(GUARD, handle.shutdown())
        .await
        .expect("shutdown in time")
        .expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_in_flight_request_with_connection_close() {
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let (down_tx, mut down) = mpsc::unbounded_channel::<()>();
    let release = Arc::new(Notify::new());
    let s = server()
        .exit_wait_time(Duration::from_secs(30))
        .with_state(Gate {
            entered: entered_tx,
            release: release.clone(),
        });
    s.get("/blocked", blocked);
    s.get("/ok", ok);
    s.on_shutdown(move || {
        let down_tx = down_tx.clone();
        async move {
            down_tx.send(()).expect("test listens");
            Ok(())
        }
    });
    let (handle, addr) = start(s).await;

    // An idle keep-alive connection and a busy one.
    let mut idle = Client::connect(addr).await;
    let r = idle.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(!r.closes());
    let mut busy = Client::connect(addr).await;
    busy.send("GET /blocked HTTP/1.1\r\nHost: x\r\n\r\n").await;
    entered.recv().await.expect("handler entered");

    let shutdown = tokio::spawn(handle.shutdown());
    // The hooks run once accepting has stopped.
    tokio::time::timeout(GUARD, down.recv())
        .await
        .expect("on_shutdown hook ran")
        .expect("hook sent");

    // Idle: closed at once, without a response.
    idle.expect_eof().await;
    // New connections are refused.
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown began"
    );
    // In flight: finishes, told to close.
    release.notify_one();
    let r = busy.read_response().await;
    assert_eq!((r.status, r.text().as_str()), (200, "finished"));
    assert!(
        r.closes(),
        "in-flight response during drain carries Connection: close"
    );
    busy.expect_eof().await;

    let result = tokio::time::timeout(GUARD, shutdown)
        .await
        .expect("shutdown finishes once the request is done")
        .expect("shutdown task");
    result.expect("graceful shutdown succeeds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_on_shutdown() {
    let s = server().exit_wait_time(Duration::from_secs(60));
    s.get("/ok", ok);
    let (handle, addr) = start(s).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut c = Client::connect(addr).await;
        let r = c.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(!r.closes());
        clients.push(c);
    }
    // Far below the exit wait time: idle connections are not waited for.
    tokio::time::timeout(GUARD, handle.shutdown())
        .await
        .expect("shutdown did not wait for idle connections")
        .expect("clean shutdown");
    for c in &mut clients {
        c.expect_eof().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_gives_up_after_the_exit_wait_time() {
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let s = server()
        .exit_wait_time(Duration::from_millis(200))
        .with_state(Gate {
            entered: entered_tx,
            release: release.clone(),
        });
    s.get("/blocked", blocked);
    let (handle, addr) = start(s).await;
    let mut busy = Client::connect(addr).await;
    busy.send("GET /blocked HTTP/1.1\r\nHost: x\r\n\r\n").await;
    entered.recv().await.expect("handler entered");

    let err = tokio::time::timeout(GUARD, handle.shutdown())
        .await
        .expect("shutdown returns after the exit wait time")
        .expect_err("a stuck request makes shutdown time out");
    assert_eq!(err.kind(), ErrorKind::ShutdownTimeout);
    release.notify_one();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_run_hooks_run_in_order_before_start_returns() {
    let log: Log = Arc::default();
    let s = server();
    s.get("/ok", ok);
    s.on_run(log_hook(&log, "run 1"));
    s.on_run(log_hook(&log, "run 2"));
    s.on_shutdown(log_hook(&log, "shutdown a"));
    s.on_shutdown(|| async { Err(Error::new(ErrorKind::Other, "hook fails")) });
    s.on_shutdown(log_hook(&log, "shutdown b"));
    let (handle, addr) = start(s).await;
    assert_eq!(*log.lock().unwrap(), ["run 1", "run 2"]);
    assert_still_serving(addr).await;
    assert_eq!(
        *log.lock().unwrap(),
        ["run 1", "run 2"],
        "no hook per request"
    );

    // A failing on_shutdown hook is logged, not fatal; the others still run.
    tokio::time::timeout(GUARD, handle.shutdown())
        .await
        .expect("shutdown in time")
        .expect("clean shutdown");
    let mut after = log.lock().unwrap().clone();
    after[2..].sort_unstable();
    assert_eq!(after, ["run 1", "run 2", "shutdown a", "shutdown b"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_on_run_hook_aborts_start() {
    let log: Log = Arc::default();
    let listener = loopback_listener();
    let addr = listener.local_addr().unwrap();
    let s = Server::default().print_routes(false).listener(listener);
    s.get("/ok", ok);
    s.on_run(log_hook(&log, "first"));
    s.on_run(|| async { Err(Error::new(ErrorKind::Other, "database unreachable")) });
    s.on_run(log_hook(&log, "never"));
    let err = try_start(s).await.expect_err("start must fail");
    assert_eq!(err.kind(), ErrorKind::Hook);
    assert!(
        err.to_string().contains("database unreachable"),
        "the hook's error is named: {err}"
    );
    assert_eq!(*log.lock().unwrap(), ["first"], "later hooks do not run");
    // Nothing serves on the listener that was handed over.
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the listener must be closed after a failed start"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_options_fail_start() {
    let cases: [(&str, Configure); 4] = [
        ("max_header_bytes", |s| s.max_header_bytes(10)),
        ("max_headers", |s| s.max_headers(0)),
        ("timeouts", |s| s.read_timeout(Duration::ZERO)),
        ("address", |s| s.addr("not an address")),
    ];
    for (what, configure) in cases {
        let s = configure(Server::new().print_routes(false).addr("127.0.0.1:0"));
        let err = try_start(s).await.expect_err(what);
        assert_eq!(err.kind(), ErrorKind::Config, "{what}: {err}");
    }
}
