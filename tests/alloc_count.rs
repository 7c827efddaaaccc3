//! Proves the allocation budget by counting, not timing: in steady state a keep-alive GET
//! allocates nothing in transport and protocol, nothing in the app layer for an endpoint handler
//! — returning `()` or `Result::Ok`, or writing a path parameter back into the body (a view into
//! the request, not a copy) — (its future is stored inline, see `app/handler.rs`;
//! `Server::default()`'s recovery runs inline too), and one boxed future per middleware that
//! awaits the rest of the chain. A counting global allocator tallies every allocation of the process.
//! The server runs on its own thread on a current-thread tokio runtime; the client is a blocking
//! `TcpStream` on the test thread that writes a fixed request and reads the fixed-length
//! response into a stack buffer, so it allocates nothing per request. After a warm-up that
//! brings every buffer to its steady size, the allocations over N requests on one connection
//! are counted per scenario. All scenarios run in sequence in one `#[test]`, alone in this
//! binary, so nothing else allocates meanwhile. Every scenario runs on both engines: std (the
//! server's tasks on the server thread's runtime) and epoll (one worker thread with its own
//! runtime).
//!
//! `KHZ_ALLOC_TRACE=<scenario>` (or `<engine>/<scenario>`) prints a backtrace for the first few allocations counted in
//! that scenario (its assertions are then skipped, as the tracing itself allocates).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use khz::__bench::{
    Engine, EpollEngine, Exchange, H1Config, Http1, HttpService, StdEngine, TaskTracker,
};
use khz::prelude::*;
use khz::protocol::{Body, ConnInfo, Request, Response};
use khz::transport::{Shutdown, Transport};
use serde::Serialize;
use tokio::sync::oneshot;

// ----- the counting allocator ---------------------------------------------------------------

static ALLOCS: AtomicU64 = AtomicU64::new(0);
/// Backtraces still to print (only while `TRACING` is set).
static TRACE_LEFT: AtomicUsize = AtomicUsize::new(0);
static TRACING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Set while this thread is inside the tracing hook, so the hook's own allocations are not
    /// traced again.
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

struct Counting;

impl Counting {
    fn record(&self) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        if TRACING.load(Ordering::Relaxed) {
            trace_allocation();
        }
    }
}

#[cold]
fn trace_allocation() {
    let entered = IN_HOOK.try_with(|h| !h.replace(true)).unwrap_or(false);
    if !entered {
        return;
    }
    if TRACE_LEFT
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
    {
        let bt = std::backtrace::Backtrace::force_capture();
        eprintln!("----- allocation -----\n{bt}");
    }
    let _ = IN_HOOK.try_with(|h| h.set(false));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract is upheld by `System`; the extra work (an atomic increment, and when
// tracing a re-entrancy-guarded backtrace) never touches the memory being managed.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.record();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.record();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.record();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ----- the server side ----------------------------------------------------------------------

/// Keep-alive requests counted per scenario.
const N: u64 = 10_000;
/// Requests before counting starts, so buffers reach their steady size.
const WARMUP: u64 = 2_000;
/// Room for the runtime's occasional internal allocations (and the `Date` cache's once-a-second
/// refresh) during a measured run.
const SLACK: u64 = 50;

/// A server running on its own thread with a current-thread runtime.
struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Running {
    fn start<F, Fut>(serve: F) -> Running
    where
        F: FnOnce(mpsc::Sender<SocketAddr>, oneshot::Receiver<()>) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop, stop_rx) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(serve(ready_tx, stop_rx));
        });
        let addr = ready_rx.recv().expect("server failed to start");
        Running { addr, stop, thread }
    }

    fn stop(self) {
        let _ = self.stop.send(());
        self.thread.join().expect("server thread panicked");
    }
}

/// Serves a `Server` built on the server thread until stopped.
fn run_app(build: fn() -> Server, engine: Transport) -> Running {
    Running::start(move |ready, stop| async move {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let server = build()
            .listener(std_listener)
            .print_routes(false)
            .transport(engine)
            .workers(1);
        let handle = server.start().await.expect("start");
        ready.send(handle.local_addr()).expect("report address");
        let _ = stop.await;
        handle.shutdown().await.expect("graceful shutdown");
    })
}

/// The tiniest service: a static body, nothing boxed.
struct Hello;

struct HelloExchange {
    req: Request,
    resp: Response,
}

impl Exchange for HelloExchange {
    fn request_mut(&mut self) -> &mut Request {
        &mut self.req
    }
    fn response_mut(&mut self) -> &mut Response {
        &mut self.resp
    }
    fn reset(&mut self) {
        self.req.clear();
        self.resp.clear();
    }
}

impl HttpService for Hello {
    type Exchange = HelloExchange;

    fn new_exchange(&self, _: ConnInfo) -> HelloExchange {
        HelloExchange {
            req: Request::default(),
            resp: Response::default(),
        }
    }

    fn call<'a>(&'a self, ex: &'a mut HelloExchange) -> impl Future<Output = ()> + Send + 'a {
        ex.resp.set_body(Body::Static(b"Hello, World!"));
        std::future::ready(())
    }
}

/// Transport + protocol only: the engine driving `Http1` with [`Hello`].
fn run_protocol_only(engine: Transport) -> Running {
    Running::start(move |ready, stop| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        ready
            .send(listener.local_addr().expect("local address"))
            .expect("report address");
        let handler = Arc::new(Http1::new(Arc::new(Hello), H1Config::default()));
        let (shutdown, tracker) = (Shutdown::new(), TaskTracker::new());
        let serving = async {
            match engine {
                Transport::Std => {
                    StdEngine::new(0)
                        .serve(listener, handler, shutdown.clone(), tracker.clone())
                        .await
                }
                Transport::Epoll => {
                    EpollEngine::new(1, 0)
                        .serve(listener, handler, shutdown.clone(), tracker.clone())
                        .await
                }
                other => panic!("no engine {other:?} in this test"),
            }
        };
        tokio::select! {
            r = serving => r.expect("accept loop"),
            _ = stop => {}
        }
        shutdown.trigger();
        tracker.close();
        tracker.wait().await;
    })
}

// ----- handlers -----------------------------------------------------------------------------

#[derive(Serialize)]
struct Message<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct Post {
    user_id: u64,
    post_id: u64,
}

async fn plaintext(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, "Hello, World!");
}

async fn pass_through(ctx: &mut RequestContext) {
    ctx.next().await;
}

async fn json(ctx: &mut RequestContext) {
    ctx.json(
        StatusCode::OK,
        &Message {
            message: "Hello, World!",
        },
    );
}

async fn user_post(ctx: &mut RequestContext) {
    let id = |name| ctx.param(name).and_then(|v| v.parse::<u64>().ok());
    match (id("id"), id("post_id")) {
        (Some(user_id), Some(post_id)) => ctx.json(StatusCode::OK, &Post { user_id, post_id }),
        _ => ctx.status(StatusCode::BAD_REQUEST),
    }
}

async fn result_ok(ctx: &mut RequestContext) -> khz::Result<()> {
    ctx.string(StatusCode::OK, "Hello, World!");
    Ok(())
}

/// Reads a path parameter and writes it back as the body: no copy, no allocation.
async fn param_echo(ctx: &mut RequestContext) {
    let word = ctx.param_or("word", "");
    ctx.string(StatusCode::OK, word);
}

fn result_server() -> Server {
    let s = Server::default();
    s.get("/plaintext", result_ok);
    s.get("/echo/:word", param_echo);
    s
}

fn plain_server() -> Server {
    let s = Server::new();
    s.get("/plaintext", plaintext);
    s
}

fn middleware_server() -> Server {
    let s = Server::new();
    s.middleware(pass_through);
    s.get("/plaintext", plaintext);
    s
}

fn default_server() -> Server {
    let s = Server::default();
    s.get("/plaintext", plaintext);
    s
}

fn json_server() -> Server {
    let s = Server::new();
    s.get("/json", json);
    s.get("/api/users/:id/posts/:post_id", user_post);
    s
}

// ----- the client side ----------------------------------------------------------------------

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

/// Sends `request` once and reads the whole response, returning its length; checks the body.
fn first_response(s: &mut TcpStream, request: &[u8], body: &[u8]) -> usize {
    s.write_all(request).expect("write");
    let mut got = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = s.read(&mut chunk).expect("read");
        assert!(n > 0, "server closed the connection");
        got.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(head)) = resp.parse(&got) {
            assert_eq!(resp.code, Some(200), "{}", String::from_utf8_lossy(&got));
            let len: usize = resp
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                .expect("Content-Length");
            if got.len() >= head + len {
                assert_eq!(got.len(), head + len, "no extra bytes expected");
                assert_eq!(&got[head..], body, "unexpected body");
                return got.len();
            }
        }
    }
}

/// Starts a server for a scenario on the given engine.
type Starter = fn(Transport) -> Running;

struct Scenario {
    name: &'static str,
    path: &'static str,
    body: &'static [u8],
    /// Allocations per request the budget allows.
    expected: u64,
}

/// Counts the allocations of N keep-alive requests after the warm-up; returns the total.
fn count(addr: SocketAddr, sc: &Scenario, trace: bool) -> u64 {
    let request = get(sc.path);
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_nodelay(true).expect("nodelay");
    let len = first_response(&mut s, &request, sc.body);
    let mut buf = [0u8; 512];
    assert!(len <= buf.len(), "response larger than the client buffer");
    let mut round_trip = |s: &mut TcpStream| {
        s.write_all(&request).expect("write");
        s.read_exact(&mut buf[..len]).expect("read");
        assert!(buf.starts_with(b"HTTP/1.1 200 OK\r\n"));
    };
    for _ in 0..WARMUP {
        round_trip(&mut s);
    }
    if trace {
        TRACE_LEFT.store(5, Ordering::Relaxed);
        TRACING.store(true, Ordering::Relaxed);
    }
    let before = ALLOCS.load(Ordering::SeqCst);
    for _ in 0..N {
        round_trip(&mut s);
    }
    let after = ALLOCS.load(Ordering::SeqCst);
    TRACING.store(false, Ordering::Relaxed);
    after - before
}

#[test]
fn allocations_per_keep_alive_request() {
    let trace = std::env::var("KHZ_ALLOC_TRACE").ok();
    let scenarios: [(Scenario, Starter); 8] = [
        (
            Scenario {
                name: "protocol_only",
                path: "/plaintext",
                body: b"Hello, World!",
                expected: 0,
            },
            run_protocol_only,
        ),
        (
            Scenario {
                name: "app_plain",
                path: "/plaintext",
                body: b"Hello, World!",
                expected: 0,
            },
            |e| run_app(plain_server, e),
        ),
        (
            Scenario {
                name: "app_one_middleware",
                path: "/plaintext",
                body: b"Hello, World!",
                expected: 1,
            },
            |e| run_app(middleware_server, e),
        ),
        (
            Scenario {
                name: "app_default_recovery",
                path: "/plaintext",
                body: b"Hello, World!",
                expected: 0,
            },
            |e| run_app(default_server, e),
        ),
        (
            Scenario {
                name: "app_json",
                path: "/json",
                body: br#"{"message":"Hello, World!"}"#,
                expected: 0,
            },
            |e| run_app(json_server, e),
        ),
        (
            Scenario {
                name: "app_two_params_json",
                path: "/api/users/12345/posts/678",
                body: br#"{"user_id":12345,"post_id":678}"#,
                expected: 0,
            },
            |e| run_app(json_server, e),
        ),
        (
            Scenario {
                name: "app_result_ok",
                path: "/plaintext",
                body: b"Hello, World!",
                expected: 0,
            },
            |e| run_app(result_server, e),
        ),
        (
            Scenario {
                name: "app_param_echo",
                path: "/echo/Hello,World!",
                body: b"Hello,World!",
                expected: 0,
            },
            |e| run_app(result_server, e),
        ),
    ];
    let mut failures = Vec::new();
    for engine in [Transport::Std, Transport::Epoll] {
        for (sc, start) in &scenarios {
            check(engine, sc, *start, trace.as_deref(), &mut failures);
        }
    }
    assert!(failures.is_empty(), "over budget: {failures:#?}");
}

/// Runs one scenario on one engine; records a failure when over (or under) budget.
fn check(
    engine: Transport,
    sc: &Scenario,
    start: Starter,
    trace: Option<&str>,
    failures: &mut Vec<String>,
) {
    let label = format!("{}/{}", engine.name(), sc.name);
    {
        let traced = trace == Some(sc.name) || trace == Some(label.as_str());
        let server = start(engine);
        let allocs = count(server.addr, sc, traced);
        server.stop();
        let per_request = allocs as f64 / N as f64;
        println!(
            "{label:<28} {allocs:>6} allocations / {N} requests = {per_request:.4} per request \
             (budget {})",
            sc.expected
        );
        if traced {
            return;
        }
        let (low, high) = (sc.expected * N, sc.expected * N + SLACK);
        if !(low..=high).contains(&allocs) {
            failures.push(format!(
                "{label}: {allocs} allocations, expected {low}..={high}"
            ));
        }
    }
}
