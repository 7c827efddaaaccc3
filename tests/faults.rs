//! Faults, on both transport engines (`Transport::Std` and `Transport::Epoll`; every case is
//! one function per engine sharing a body, and failures name the engine): clients that reset
//! mid-request or mid-response, a client that pipelines without reading (write back-pressure),
//! running out of file descriptors (`EMFILE`, in a child process with a lowered
//! `RLIMIT_NOFILE`), and handlers that block or panic on one worker. In every case the other
//! connections and workers keep serving.
//!
//! Waiting is event-driven throughout (responses, log lines, the child's output); the timeouts
//! are failure guards. The one deliberate pause is the measurement window of the busy-loop
//! detector in the `EMFILE` case.

#[cfg(target_os = "linux")]
#[path = "faults/child.rs"]
mod child;
mod common;
#[cfg(target_os = "linux")]
#[path = "faults/emfile.rs"]
mod emfile;
#[path = "faults/observe.rs"]
mod observe;
#[path = "faults/pipeliner.rs"]
mod pipeliner;
#[path = "faults/support.rs"]
mod support;

use std::sync::Mutex;

use common::*;
use khz::prelude::*;
use observe::{server_log, unexpected_panics, watch_panics};
use pipeliner::Pipeliner;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

// ----- 1. resets ---------------------------------------------------------------------------

/// A client resets after half a head, after half a body, and while the server writes a 16 MiB
/// response. Each time the server logs the failure (naming the peer) and does not panic; a
/// keep-alive connection opened before the resets and a fresh one are served afterwards.
async fn resets_mid_request(engine: Transport) {
    let log = server_log();
    watch_panics();
    let panics = unexpected_panics();
    let s = server_for(engine, true, 2);
    s.get("/ok", ok);
    s.post("/echo", echo);
    s.get("/huge", huge);
    let (_handle, addr) = start_as_configured(s).await;
    let mut kept = Client::connect(addr).await;
    let r = kept.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.status, 200, "{engine:?}");

    // Half a head.
    let mut c = TcpStream::connect(addr).await.expect("connect");
    c.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Half: ")
        .await
        .expect("write");
    let peer = reset(c);
    log.wait_for("about the reset mid-head", |l| {
        l.contains(&peer) && l.contains("connection read failed")
    })
    .await;

    // Half a body: the interim 100 shows the server parsed the head and waits for the body.
    let mut c = TcpStream::connect(addr).await.expect("connect");
    c.write_all(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n",
    )
    .await
    .expect("write");
    let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut got = Vec::new();
    read_at_least(&mut c, &mut got, interim.len()).await;
    assert_eq!(got, interim, "{engine:?}: interim response");
    c.write_all(&[b'b'; 500]).await.expect("write half a body");
    let peer = reset(c);
    log.wait_for("about the reset mid-body", |l| {
        l.contains(&peer) && l.contains("request abandoned")
    })
    .await;

    // While the server writes 16 MiB: the client takes the head and a little, then resets.
    let mut c = TcpStream::connect(addr).await.expect("connect");
    c.write_all(b"GET /huge HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut got = Vec::new();
    read_at_least(&mut c, &mut got, 256 * 1024).await;
    assert!(
        got.starts_with(b"HTTP/1.1 200 OK\r\n"),
        "{engine:?}: {:?}",
        String::from_utf8_lossy(&got[..64])
    );
    let peer = reset(c);
    log.wait_for("about the reset mid-response", |l| {
        l.contains(&peer) && l.contains("connection write failed")
    })
    .await;

    // The connection kept open across the resets, and a fresh one.
    let r = kept.request("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"), "{engine:?}");
    assert_still_serving(addr).await;
    assert_eq!(
        unexpected_panics(),
        panics,
        "{engine:?}: a server thread panicked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_mid_request_std() {
    resets_mid_request(Transport::Std).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_mid_request_epoll() {
    resets_mid_request(Transport::Epoll).await;
}

// ----- 2. back-pressure --------------------------------------------------------------------

/// Bound on the rounds of "serve others, then try the stalled connection again".
const MAX_ROUNDS: usize = 50;

/// A client pipelines requests for 64 KiB responses and reads nothing. The server must stop
/// reading that connection once its responses cannot leave: the client's non-blocking writes
/// hit `WouldBlock` after a bounded number of bytes, and still do after other connections were
/// served meanwhile (on the same worker for epoll, `workers(1)`). Then the client reads: every
/// response arrives, complete, in order, byte-exact.
async fn back_pressure(engine: Transport) {
    watch_panics();
    let panics = unexpected_panics();
    let s = server_for(engine, true, 1);
    s.get("/ok", ok);
    s.get("/big", big);
    let (_handle, addr) = start_as_configured(s).await;

    let mut pipe = Pipeliner::connect(addr);
    assert!(pipe.write_until_blocked(engine) > 0, "{engine:?}");
    let mut other = Client::connect(addr).await;
    let mut rounds = 0;
    loop {
        // Meanwhile, other connections are served normally.
        let i = 1000 + rounds;
        let r = other
            .request(format!("GET /big?i={i} HTTP/1.1\r\nHost: x\r\n\r\n"))
            .await;
        assert_eq!(r.status, 200, "{engine:?}");
        assert!(r.body == big_body(i), "{engine:?}: other connection's body");
        assert_still_serving(addr).await;
        // The server had all that time to read on: blocked still means it stopped reading.
        if pipe.write_until_blocked(engine) == 0 {
            break;
        }
        rounds += 1;
        assert!(
            rounds < MAX_ROUNDS,
            "{engine:?}: the stalled connection keeps taking bytes ({} so far)",
            pipe.total
        );
    }
    let sent = pipe.sent;
    eprintln!(
        "{engine:?}: {sent} requests ({} bytes) pipelined until the server stopped reading \
         ({rounds} extra rounds)",
        pipe.total
    );
    assert!(sent > 1, "{engine:?}: blocked before a second request");

    // Now read everything (finishing the last request meanwhile).
    let rest = pipe.rest().to_vec();
    let stream = TcpStream::from_std(pipe.stream).expect("to tokio");
    let (mut rd, mut wr) = stream.into_split();
    let finish = async move {
        wr.write_all(&rest).await.expect("finish the last request");
        wr
    };
    let read_all = async {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 256 * 1024];
        for i in 0..sent {
            let (resp, used) = loop {
                match parse_response(&buf, false, false) {
                    Ok(Some(done)) => break done,
                    Ok(None) => {}
                    Err(e) => panic!("{engine:?}: response {i} unparseable: {e}"),
                }
                let n = tokio::time::timeout(GUARD, rd.read(&mut chunk))
                    .await
                    .unwrap_or_else(|_| panic!("{engine:?}: response {i} of {sent} stalled"))
                    .expect("read");
                assert_ne!(n, 0, "{engine:?}: closed before response {i} of {sent}");
                buf.extend_from_slice(&chunk[..n]);
            };
            buf.drain(..used);
            assert_eq!(resp.status, 200, "{engine:?}: response {i}");
            assert_eq!(
                resp.header("x-index"),
                Some(i.to_string().as_str()),
                "{engine:?}: out of order"
            );
            assert!(resp.body == big_body(i), "{engine:?}: body {i} differs");
        }
        assert!(buf.is_empty(), "{engine:?}: bytes after the last response");
    };
    let (_wr, ()) = tokio::join!(finish, read_all);
    assert_eq!(
        unexpected_panics(),
        panics,
        "{engine:?}: a server thread panicked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_pressure_std() {
    back_pressure(Transport::Std).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_pressure_epoll() {
    back_pressure(Transport::Epoll).await;
}

// ----- 3. EMFILE ---------------------------------------------------------------------------

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emfile_std() {
    emfile::emfile(Transport::Std, "emfile_std").await;
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emfile_epoll() {
    emfile::emfile(Transport::Epoll, "emfile_epoll").await;
}

// ----- 4. a blocking handler ---------------------------------------------------------------

/// Runs `test` on a current-thread runtime of its own, handing it a 2-worker multi-thread
/// runtime to start the server on: a server runtime stalled by a blocking handler cannot stall
/// the test's guards, so the test fails instead of hanging.
fn with_server_runtime<Fut>(test: impl FnOnce(tokio::runtime::Handle) -> Fut)
where
    Fut: std::future::Future<Output = ()>,
{
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    let test_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test runtime");
    test_rt.block_on(test(server_rt.handle().clone()));
    server_rt.shutdown_timeout(GUARD);
}

/// A handler blocks its thread. On the epoll engine the connections of the other worker keep
/// being served; on the std engine (a multi-thread runtime) all other connections do. Released,
/// the blocked request completes and its worker serves again.
async fn blocking_handler(engine: Transport, server_rt: tokio::runtime::Handle) {
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    // Dropping the sender (also when the test fails) unblocks the handler.
    let (release, release_rx) = std::sync::mpsc::channel();
    // The std engine keeps serving others only with its watchdog on (opt-in).
    let s = server_for(engine, true, 2)
        .std_watchdog(engine == Transport::Std)
        .with_state(Gate {
            entered: entered_tx,
            release: Mutex::new(release_rx),
        });
    s.get("/who", who);
    s.get("/block", block);
    let handle = server_rt
        .spawn(s.start())
        .await
        .expect("start task")
        .expect("server starts");
    let addr = handle.local_addr();
    let mut groups = connections_by_worker(addr, engine, 1).await;
    let (other_worker, mut others) = groups.pop().expect("second group");
    let (blocked_worker, mut blocked) = groups.pop().expect("first group");
    let (mut blocked, mut other) = (blocked.remove(0), others.remove(0));

    blocked.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let ran_on = tokio::time::timeout(GUARD, entered.recv())
        .await
        .expect("the blocking handler did not start")
        .expect("gate open");
    if engine == Transport::Epoll {
        assert_eq!(
            ran_on, blocked_worker,
            "epoll: the blocking request's worker"
        );
    }

    for _ in 0..3 {
        let name = ask_who(&mut other).await;
        if engine == Transport::Epoll {
            assert_eq!(name, other_worker, "epoll: the other connection moved");
        }
    }
    if engine == Transport::Std {
        // No worker affinity: new connections are served too.
        for _ in 0..3 {
            let mut c = Client::connect(addr).await;
            ask_who(&mut c).await;
        }
    }

    release.send(()).expect("the handler waits");
    let r = blocked.read_response().await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "released"),
        "{engine:?}"
    );
    let name = ask_who(&mut blocked).await;
    if engine == Transport::Epoll {
        assert_eq!(name, blocked_worker, "epoll: the released worker serves");
    }
}

#[test]
fn blocking_handler_std() {
    with_server_runtime(|rt| blocking_handler(Transport::Std, rt));
}

#[test]
fn blocking_handler_epoll() {
    with_server_runtime(|rt| blocking_handler(Transport::Epoll, rt));
}

// ----- 5. a panicking handler --------------------------------------------------------------

/// Reads what follows a request whose handler panicked without recovery, which must be a
/// `500` or the close of the connection with nothing sent.
async fn expect_500_or_close(c: &mut Client, engine: Transport) {
    loop {
        match parse_response(c.buffered(), false, false) {
            Ok(Some((r, _))) => {
                assert_eq!(r.status, 500, "{engine:?}: after a panic: {r:?}");
                return;
            }
            Ok(None) => {}
            Err(e) => panic!("{engine:?}: garbage after a panic: {e}"),
        }
        if c.fill().await == 0 {
            assert!(
                c.buffered().is_empty(),
                "{engine:?}: half a response after a panic: {:?}",
                String::from_utf8_lossy(c.buffered())
            );
            return;
        }
    }
}

/// A handler panics on one worker: with recovery (`Server::default()`) that request gets a 500
/// and its connection goes on; without (`Server::new()`) the connection gets a 500 or closes.
/// Either way the worker is alive: its other connections, the other worker's, and new ones are
/// served.
async fn panicking_handler(engine: Transport, recovery: bool) {
    let s = server_for(engine, recovery, 2);
    s.get("/who", who);
    s.get("/panic", boom);
    let (_handle, addr) = start_as_configured(s).await;
    let mut groups = connections_by_worker(addr, engine, 2).await;
    let (other_worker, mut others) = groups.pop().expect("second group");
    let (worker, mut same) = groups.pop().expect("first group");
    let mut sibling = same.pop().expect("two on the worker");
    let mut victim = same.pop().expect("two on the worker");

    if recovery {
        let r = victim
            .request("GET /panic HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        assert_eq!(r.status, 500, "{engine:?}: recovery answers 500");
        assert!(!r.closes(), "{engine:?}: the connection survives");
        let name = ask_who(&mut victim).await;
        if engine == Transport::Epoll {
            assert_eq!(name, worker, "epoll: same connection, same worker");
        }
    } else {
        victim.send("GET /panic HTTP/1.1\r\nHost: x\r\n\r\n").await;
        expect_500_or_close(&mut victim, engine).await;
    }
    // The worker that ran the panic serves its other connection ...
    let name = ask_who(&mut sibling).await;
    if engine == Transport::Epoll {
        assert_eq!(name, worker, "epoll: the sibling connection moved");
    }
    // ... and the other worker, and new connections, are untouched.
    let name = ask_who(&mut others[0]).await;
    if engine == Transport::Epoll {
        assert_eq!(name, other_worker, "epoll: the other connection moved");
    }
    let mut fresh = Client::connect(addr).await;
    ask_who(&mut fresh).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panicking_handler_std() {
    panicking_handler(Transport::Std, true).await;
    panicking_handler(Transport::Std, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panicking_handler_epoll() {
    panicking_handler(Transport::Epoll, true).await;
    panicking_handler(Transport::Epoll, false).await;
}
