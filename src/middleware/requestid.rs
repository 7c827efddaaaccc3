//! Request ID (cargo feature `requestid`; Hertz: `hertz-contrib/requestid`): every request gets
//! an ID — the one the client or a proxy in front sent in `X-Request-ID` (or the header you
//! choose), or a new one — that handlers and later middleware read with [`request_id`], that
//! logs can carry, and that the response echoes in the same header.
//!
//! An incoming ID is kept only if it is 1 to 128 characters of `A–Z a–z 0–9 - _ . : + / =`
//! (what UUIDs, ULIDs, base64 and trace IDs use); anything else — control characters, spaces,
//! an overlong value — is replaced, so a client cannot smuggle text into your logs through it.
//! New IDs are random UUIDs (version 4 format) from a per-thread generator seeded by the
//! operating system: unique enough to correlate logs, not a secret (use a token for that), and
//! cheap — no lock, no system call per request. [`RequestId::generator`] plugs in another.
//!
//! ```
//! use khz::prelude::*;
//! use khz::middleware::requestid::{request_id, RequestId};
//!
//! async fn hello(ctx: &mut RequestContext) {
//!     let id = request_id(ctx).unwrap_or_default();
//!     ctx.string(StatusCode::OK, format!("request {id}"));
//! }
//!
//! let server = Server::default();
//! server.middleware(RequestId::new()); // or RequestId::new().header("X-Trace-ID")
//! server.get("/", hello);
//! ```

use std::cell::Cell;
use std::hash::BuildHasher;
use std::sync::Arc;

use http::header::{HeaderName, HeaderValue};

use crate::app::{BoxFuture, ByteString, Handler, RequestContext};

/// Longest incoming ID kept.
const MAX_LEN: usize = 128;

/// The request's ID in the context's keys (read it with [`request_id`]).
#[derive(Debug, Clone)]
struct Id(ByteString);

/// The request ID middleware; see the module docs.
#[derive(Clone)]
pub struct RequestId {
    header: HeaderName,
    generator: Arc<dyn Fn() -> String + Send + Sync>,
}

impl std::fmt::Debug for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestId")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestId {
    /// `X-Request-ID`, random UUIDs for requests without a usable one.
    pub fn new() -> Self {
        RequestId {
            header: HeaderName::from_static("x-request-id"),
            generator: Arc::new(random_uuid),
        }
    }

    /// Reads and echoes the ID in header `name` instead.
    ///
    /// # Panics
    /// If `name` is not a valid header name (a programming error, caught at start-up).
    pub fn header(mut self, name: &str) -> Self {
        self.header = HeaderName::try_from(name)
            .unwrap_or_else(|_| panic!("RequestId::header: {name:?} is not a header name"));
        self
    }

    /// Makes new IDs with `f` (e.g. a ULID or a snowflake generator). An ID that is not a valid
    /// header value is replaced by a random UUID.
    pub fn generator(mut self, f: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.generator = Arc::new(f);
        self
    }

    /// The ID for a request that sent `incoming`.
    fn choose(&self, incoming: Option<ByteString>) -> ByteString {
        match incoming {
            Some(id) if acceptable(id.as_bytes()) => id,
            _ => {
                let id = (self.generator)();
                if HeaderValue::from_str(&id).is_ok() && !id.is_empty() {
                    ByteString::from(id)
                } else {
                    ByteString::from(random_uuid())
                }
            }
        }
    }
}

impl Handler for RequestId {
    fn call<'a>(&'a self, ctx: &'a mut RequestContext) -> BoxFuture<'a> {
        Box::pin(async move {
            let id = self.choose(ctx.header(self.header.as_str()));
            ctx.set(Id(id.clone()));
            ctx.next().await;
            // Echoed whatever the rest of the chain answered (errors and aborts included),
            // unless a handler set the header itself.
            if ctx.response().header(&self.header).is_none() {
                ctx.set_header(self.header.clone(), &*id);
            }
        })
    }
}

/// The request's ID, once the [`RequestId`] middleware ran for it.
pub fn request_id(ctx: &RequestContext) -> Option<ByteString> {
    ctx.get::<Id>().map(|id| id.0.clone())
}

/// Whether an incoming ID is kept (see the module docs).
fn acceptable(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'+' | b'/' | b'=')
        })
}

/// A random UUID in version 4 format from a per-thread xorshift generator seeded from the
/// process's random hasher keys (themselves from the operating system).
fn random_uuid() -> String {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    let next = || {
        STATE.with(|s| {
            // xorshift64*
            let mut x = s.get();
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            s.set(x);
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        })
    };
    let (hi, lo) = (next(), next());
    let hi = (hi & !0xF000) | 0x4000; // version 4
    let lo = (lo & !(0b11 << 62)) | (0b10 << 62); // RFC 9562 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

fn seed() -> u64 {
    let thread = std::thread::current().id();
    let time = std::time::SystemTime::now();
    std::collections::hash_map::RandomState::new().hash_one((thread, time)) | 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_v4_shape_and_differ() {
        let a = random_uuid();
        let b = random_uuid();
        assert_ne!(a, b);
        for id in [&a, &b] {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12],
                "{id}"
            );
            assert!(parts[2].starts_with('4'), "version 4: {id}");
            assert!(
                matches!(&parts[3][..1], "8" | "9" | "a" | "b"),
                "variant: {id}"
            );
        }
    }

    #[test]
    fn only_plain_ids_are_kept() {
        assert!(acceptable(b"0b6f2c1e-1a2b-4c3d-8e9f-001122334455"));
        assert!(acceptable(b"01ARZ3NDEKTSV4RRFFQ69G5FAV"));
        assert!(acceptable(b"abc/def+ghi=="));
        for bad in [&b""[..], b"a b", b"a\r\nX-Admin: 1", b"a\x00", b"\xc3\xa9"] {
            assert!(!acceptable(bad), "{bad:?}");
        }
        assert!(!acceptable(&[b'a'; MAX_LEN + 1]));
    }
}
