//! What the fault tests share: a server on either engine, the handlers they mount (which
//! thread am I on, large and huge bodies, a handler that panics, one that blocks its thread),
//! and client helpers (reset a connection, read at least so much, find connections by worker).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use khz::prelude::*;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::common::{Client, GUARD};
use crate::observe::DELIBERATE;

/// The body of `/big`: large enough that a few of them fill the socket buffers.
pub const BIG: usize = 64 * 1024;
/// The body of `/huge`: far more than the kernel buffers hold, so writing it takes a while.
pub const HUGE: usize = 16 * 1024 * 1024;
/// Most connections a test opens while looking for one on a given worker.
pub const MAX_PROBES: usize = 64;

/// A server on `127.0.0.1:0` served by `engine` (`workers` event loops for epoll), with the
/// recovery middleware (`Server::default()`) or without any (`Server::new()`).
pub fn server_for(engine: Transport, recovery: bool, workers: usize) -> Server {
    let s = if recovery {
        Server::default()
    } else {
        Server::new()
    };
    s.print_routes(false)
        .addr("127.0.0.1:0")
        .transport(engine)
        .workers(workers)
}

/// The name of the thread that runs the handler: `khz-epoll-<i>` on the epoll engine.
pub fn thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned()
}

pub async fn who(ctx: &mut RequestContext) {
    ctx.string(StatusCode::OK, thread_name());
}

/// `BIG` bytes that differ per response index `i` (a window into a repeating pattern).
pub fn big_body(i: usize) -> Bytes {
    static PATTERN: OnceLock<Bytes> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| (0..BIG + 251).map(|j| (j % 251) as u8).collect());
    let start = (i * 7) % 251;
    pattern.slice(start..start + BIG)
}

/// `/big?i=N`: `big_body(N)`, with `x-index: N`.
pub async fn big(ctx: &mut RequestContext) {
    let i: usize = ctx.query("i").and_then(|v| v.parse().ok()).unwrap_or(0);
    ctx.set_header("x-index", i.to_string());
    ctx.data(StatusCode::OK, "application/octet-stream", big_body(i));
}

pub async fn huge(ctx: &mut RequestContext) {
    static BODY: OnceLock<Bytes> = OnceLock::new();
    let body = BODY.get_or_init(|| Bytes::from(vec![b'h'; HUGE])).clone();
    ctx.data(StatusCode::OK, "application/octet-stream", body);
}

pub async fn boom(_ctx: &mut RequestContext) {
    panic!("handler exploded {DELIBERATE}");
}

/// What `/block` needs: where to announce it blocks, and what to block on.
pub struct Gate {
    pub entered: mpsc::UnboundedSender<String>,
    pub release: Mutex<std::sync::mpsc::Receiver<()>>,
}

/// Blocks its thread — not just its task — until the test sends on the gate (or drops it).
pub async fn block(ctx: &mut RequestContext) {
    let gate = ctx.state::<Gate>().expect("gate state");
    let _ = gate.entered.send(thread_name());
    let released = gate
        .release
        .lock()
        .map(|rx| rx.recv().is_ok())
        .unwrap_or(false);
    let answer = if released { "released" } else { "abandoned" };
    ctx.string(StatusCode::OK, answer);
}

/// Resets `stream`: `SO_LINGER` 0 and close makes the kernel send RST instead of FIN. Returns
/// the client's address (the server logs it as the peer).
pub fn reset(stream: TcpStream) -> String {
    let peer = stream.local_addr().expect("client address").to_string();
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER 0");
    drop(stream);
    peer
}

/// Reads from `stream` until `buf` holds at least `n` bytes (guarded).
pub async fn read_at_least(stream: &mut TcpStream, buf: &mut Vec<u8>, n: usize) {
    let mut chunk = vec![0u8; 64 * 1024];
    while buf.len() < n {
        let got = tokio::time::timeout(GUARD, stream.read(&mut chunk))
            .await
            .expect("no data from the server in time")
            .expect("read");
        assert_ne!(got, 0, "server closed after {} of {n} bytes", buf.len());
        buf.extend_from_slice(&chunk[..got]);
    }
}

/// Sends `GET /who` and returns the worker thread that answered.
pub async fn ask_who(c: &mut Client) -> String {
    let r = c.request("GET /who HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(r.status, 200, "/who: {r:?}");
    r.text()
}

/// Connections grouped by the worker thread serving them: two groups of `per_group`. On the
/// epoll engine (`workers(2)`) each group is one worker's (`khz-epoll-<i>`); the std engine has
/// no affinity, so its two groups are just connections.
pub async fn connections_by_worker(
    addr: SocketAddr,
    engine: Transport,
    per_group: usize,
) -> Vec<(String, Vec<Client>)> {
    let mut groups: BTreeMap<String, Vec<Client>> = BTreeMap::new();
    let mut plain = Vec::new();
    for _ in 0..MAX_PROBES {
        let mut c = Client::connect(addr).await;
        let name = ask_who(&mut c).await;
        if engine == Transport::Std {
            plain.push((name, c));
            if plain.len() == 2 * per_group {
                let second = plain.split_off(per_group);
                let name = plain[0].0.clone();
                let firsts = plain.into_iter().map(|(_, c)| c).collect();
                let seconds = second.into_iter().map(|(_, c)| c).collect();
                return vec![(name.clone(), firsts), (name, seconds)];
            }
            continue;
        }
        assert!(
            name.starts_with("khz-epoll-"),
            "epoll: handler ran on {name:?}, not on a worker"
        );
        let group = groups.entry(name).or_default();
        if group.len() < per_group {
            group.push(c);
        }
        if groups.len() == 2 && groups.values().all(|g| g.len() == per_group) {
            return groups.into_iter().collect();
        }
    }
    panic!(
        "{engine:?}: {MAX_PROBES} connections did not give {per_group} on each of two workers: {:?}",
        groups.iter().map(|(n, g)| (n, g.len())).collect::<Vec<_>>()
    );
}
