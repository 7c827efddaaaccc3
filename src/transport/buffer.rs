//! The adaptive linked read buffer of a connection.
//!
//! Bytes read from a socket land in a chain of nodes ([`BytesMut`]s). Reads go into the spare
//! capacity of the last node; when it is full, a new node is *linked* behind it instead of the
//! whole buffer being reallocated and copied, so a request head that spans several reads never
//! outgrows a fixed `bufio`-style buffer. Consumers work on the front: [`LinkBuffer::peek`],
//! [`LinkBuffer::skip`] and [`LinkBuffer::split_to`], which hands out a zero-copy [`Bytes`] view
//! whenever the range lies inside one node (the common case). Only a range that straddles nodes
//! is copied once into a node of its own.
//!
//! The size of new nodes adapts to the sizes of the messages the connection has carried (see
//! [`LinkBuffer::observe`]): small GETs keep nodes small, large uploads grow them, so memory per
//! idle connection stays low while big messages need few reads. Once every view handed out from
//! a node has been dropped, the node's memory is reclaimed in place, so a keep-alive connection in
//! steady state reads into the same allocation again and again.
//!
//! A connection that has gone quiet gives everything back ([`LinkBuffer::release_idle`]), and a
//! buffer without nodes does not allocate one to *wait* for data: its next read lands in a stack
//! buffer first and is copied into a node sized for it once bytes have arrived (see
//! [`LinkBuffer::read_from`]). So a fresh or long-idle connection holds no node at all.
//!
//! This module knows nothing of HTTP.

use std::collections::VecDeque;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Poll};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

/// Smallest node the buffer allocates.
pub const MIN_NODE: usize = 1024;
/// Largest node chosen by adaptation (a single message may still ask for a bigger one).
pub const MAX_NODE: usize = 64 * 1024;
/// A read is never attempted with less spare room than this.
const MIN_READ: usize = 512;
/// Initial estimate of a message size (head + body) on a new connection.
const INITIAL_ESTIMATE: usize = 1024;
/// Most bytes the first read of a buffer without nodes takes (through a stack buffer).
const LEAN_READ: usize = 4096;

/// A chain of byte nodes filled by socket reads and consumed from the front.
#[derive(Debug)]
pub struct LinkBuffer {
    nodes: VecDeque<Node>,
    len: usize,
    /// Exponentially weighted moving average of observed message sizes.
    estimate: usize,
}

#[derive(Debug)]
struct Node {
    buf: BytesMut,
    /// Capacity the node was allocated with; lets the buffer drop oversized nodes once traffic
    /// has become small again.
    allocated: usize,
}

impl Node {
    fn with_capacity(n: usize) -> Node {
        Node {
            buf: BytesMut::with_capacity(n),
            allocated: n,
        }
    }
}

impl Default for LinkBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl LinkBuffer {
    /// An empty buffer. Allocates nothing until the first read.
    pub fn new() -> Self {
        LinkBuffer {
            nodes: VecDeque::new(),
            len: 0,
            estimate: INITIAL_ESTIMATE,
        }
    }

    /// Number of readable bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no bytes are readable.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of linked nodes (for tests and diagnostics).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes of node memory the buffer holds: the sum of its nodes' allocation sizes.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.nodes.iter().map(|n| n.allocated).sum()
    }

    /// Gives back every node — including the one kept for reuse — and the node list itself,
    /// when no readable bytes are left: for a connection that has been idle for a while. The
    /// size estimate is kept, so the next node still fits the connection's traffic. Does
    /// nothing while bytes are buffered.
    pub fn release_idle(&mut self) {
        if self.len == 0 {
            self.nodes = VecDeque::new();
        }
    }

    /// The size the next newly linked node will have.
    pub fn node_size(&self) -> usize {
        (self.estimate.saturating_mul(4))
            .next_power_of_two()
            .clamp(MIN_NODE, MAX_NODE)
    }

    /// Records the size of one complete message that passed through the buffer, so the size of
    /// future nodes follows the traffic.
    pub fn observe(&mut self, message_len: usize) {
        // EWMA with weight 1/4 for the new sample.
        let sample = message_len.min(MAX_NODE);
        self.estimate = (self.estimate * 3 + sample) / 4;
    }

    /// The readable bytes of the first node: the longest prefix available without copying.
    #[inline]
    pub fn front(&self) -> &[u8] {
        self.nodes.front().map_or(&[], |n| &n.buf[..])
    }

    /// `n` contiguous readable bytes from the front, or `None` if fewer than `n` are buffered.
    /// Straddling nodes are merged first (one copy of those `n` bytes).
    pub fn peek(&mut self, n: usize) -> Option<&[u8]> {
        if n > self.len {
            return None;
        }
        self.make_contiguous(n);
        Some(&self.front()[..n])
    }

    /// Ensures the first node holds at least `n` bytes (`n` is clamped to [`Self::len`]).
    pub fn make_contiguous(&mut self, n: usize) {
        let n = n.min(self.len);
        let front_len = self.nodes.front().map_or(0, |f| f.buf.len());
        if front_len >= n {
            return;
        }
        let mut merged = Node::with_capacity(n.max(self.node_size()));
        let mut need = n;
        while need > 0 {
            let Some(node) = self.nodes.front_mut() else {
                break;
            };
            let take = need.min(node.buf.len());
            merged.buf.extend_from_slice(&node.buf[..take]);
            node.buf.advance(take);
            need -= take;
            if node.buf.is_empty() {
                self.nodes.pop_front();
            }
        }
        self.nodes.push_front(merged);
    }

    /// Discards `n` bytes from the front (clamped to [`Self::len`]).
    pub fn skip(&mut self, n: usize) {
        let mut left = n.min(self.len);
        self.len -= left;
        while left > 0 {
            let Some(node) = self.nodes.front_mut() else {
                break;
            };
            let take = left.min(node.buf.len());
            node.buf.advance(take);
            left -= take;
            if node.buf.is_empty() && self.nodes.len() > 1 {
                self.nodes.pop_front();
            }
        }
    }

    /// Removes the first `n` bytes and returns them as a [`Bytes`] (clamped to [`Self::len`]).
    /// Zero-copy when they lie in one node, which is the common case.
    pub fn split_to(&mut self, n: usize) -> Bytes {
        let n = n.min(self.len);
        if n == 0 {
            return Bytes::new();
        }
        self.make_contiguous(n);
        self.len -= n;
        let more_nodes = self.nodes.len() > 1;
        let Some(node) = self.nodes.front_mut() else {
            return Bytes::new();
        };
        let out = node.buf.split_to(n).freeze();
        if node.buf.is_empty() && more_nodes {
            self.nodes.pop_front();
        }
        out
    }

    /// Appends bytes (copying them); used by in-memory producers and tests.
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        let tail = self.tail_for_write(data.len().max(1));
        tail.extend_from_slice(data);
        self.len += data.len();
    }

    /// Appends bytes in a node of their own, so tests and fuzzers can place a node boundary
    /// exactly. Like [`link_node`](Self::link_node), it first drops an empty tail, so the front
    /// node is never empty while bytes are buffered (readers such as the chunked decoder rely
    /// on [`front`](Self::front) being non-empty then).
    pub fn extend_in_new_node(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if self.nodes.back().is_some_and(|t| t.buf.is_empty()) {
            self.nodes.pop_back();
        }
        let mut node = Node::with_capacity(data.len());
        node.buf.extend_from_slice(data);
        self.nodes.push_back(node);
        self.len += data.len();
    }

    /// Returns the last node, ready to take at least `min` more bytes, linking a new node (or
    /// reclaiming the last one in place) when needed.
    fn tail_for_write(&mut self, min: usize) -> &mut BytesMut {
        if !self.prepare_tail(min) {
            self.link_node(min);
        }
        match self.nodes.back_mut() {
            Some(tail) => &mut tail.buf,
            None => unreachable!("a node was just ensured"),
        }
    }

    /// Readies the last node to take at least `min` more bytes without a new allocation, if it
    /// can (reclaiming it in place, or growing it for a message of known size). Returns false
    /// when a new node is needed; an oversized empty tail is dropped on the way.
    fn prepare_tail(&mut self, min: usize) -> bool {
        let target = self.node_size();
        let want = min.max(MIN_READ);
        let Some(tail) = self.nodes.back_mut() else {
            return false;
        };
        let spare = tail.buf.capacity() - tail.buf.len();
        if tail.buf.is_empty() && tail.allocated > target.max(want) * 4 {
            // Traffic became small: give the oversized node back (now, not once its spare
            // room has been used up by many small messages).
            self.nodes.pop_back();
            false
        } else if spare >= want {
            true
        } else if min > MIN_READ && !tail.buf.is_empty() {
            // A message of known size is arriving: grow this node (copying the part already
            // read, at most one node) so the message ends up contiguous.
            tail.buf.reserve(want);
            tail.allocated = tail.allocated.max(tail.buf.capacity());
            true
        } else if tail.buf.len() <= target / 2 {
            // Little unread data: compact in place if every view of the node is gone.
            let goal = target.max(want + tail.buf.len());
            tail.buf.try_reclaim(goal - tail.buf.len())
        } else {
            false
        }
    }

    /// Links a new node of the adapted size (at least `min` bytes, at least a minimal read),
    /// replacing an empty tail.
    fn link_node(&mut self, min: usize) {
        if self.nodes.back().is_some_and(|t| t.buf.is_empty()) {
            self.nodes.pop_back();
        }
        let size = self.node_size().max(min.max(MIN_READ));
        self.nodes.push_back(Node::with_capacity(size));
    }

    /// Reads once from `io` into the buffer, with room for at least `hint` bytes (pass 0 when
    /// nothing specific is expected; a body reader passes the bytes it still needs, so a large
    /// body lands in one node). Returns the number of bytes read; 0 means end of stream.
    ///
    /// An empty buffer never allocates a node to *wait* in: when it has no node that can take
    /// the read in place (a new buffer, one after [`release_idle`](Self::release_idle), or one
    /// whose only node is too small) and `hint` ≤ 4 KiB, the bytes are read into a stack buffer
    /// that exists only during each poll and copied into a node once they are there. The first
    /// message of a connection (or of an idle period) gets a node of exactly its size; the next
    /// one a node of the adapted size, which later messages reuse in place — so a busy
    /// connection reads without allocating, and one that sent a single request holds a few
    /// dozen bytes, not a node.
    pub async fn read_from<R: AsyncRead + Unpin + ?Sized>(
        &mut self,
        io: &mut R,
        hint: usize,
    ) -> io::Result<usize> {
        if !self.prepare_tail(hint) {
            if self.len == 0 && hint <= LEAN_READ {
                return self.read_lean(io).await;
            }
            self.link_node(hint);
        }
        let Some(tail) = self.nodes.back_mut() else {
            unreachable!("a node was just ensured")
        };
        let n = io.read_buf(&mut tail.buf).await?;
        self.len += n;
        Ok(n)
    }

    /// One read through a stack buffer, copied into a node only once bytes have arrived.
    async fn read_lean<R: AsyncRead + Unpin + ?Sized>(&mut self, io: &mut R) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            let mut scratch = [MaybeUninit::<u8>::uninit(); LEAN_READ];
            let mut out = ReadBuf::uninit(&mut scratch);
            ready!(Pin::new(&mut *io).poll_read(cx, &mut out))?;
            let got = out.filled();
            if got.is_empty() {
                // End of stream: nothing to keep.
            } else if self.nodes.is_empty() && got.len() < LEAN_READ {
                // The first message after a quiet spell, likely whole: a node of exactly its
                // size. Should the connection stay busy, the next read links a full node.
                let mut node = Node::with_capacity(got.len());
                node.buf.extend_from_slice(got);
                self.nodes.push_back(node);
                self.len += got.len();
            } else {
                self.extend_from_slice(got);
            }
            Poll::Ready(Ok(got.len()))
        })
        .await
    }
}

#[cfg(test)]
#[path = "buffer_props.rs"]
mod props;

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn peek_then_split_a_head_off_the_front() {
        let mut buf = LinkBuffer::new();
        buf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\nrest");
        assert_eq!(buf.peek(3), Some(&b"GET"[..]));
        let head = buf.split_to(18); // zero-copy view
        assert_eq!(&head[..], b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(buf.len(), 4);
    }

    #[test]
    fn an_emptied_buffer_keeps_its_node_until_released() {
        let mut buf = LinkBuffer::new();
        buf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        buf.skip(buf.len());
        assert!(buf.capacity() > 0); // kept for the next request
        buf.release_idle();
        assert_eq!(buf.capacity(), 0);
    }

    #[test]
    fn split_within_one_node_is_zero_copy() {
        let mut b = LinkBuffer::new();
        b.extend_from_slice(b"hello world");
        let front_ptr = b.front().as_ptr();
        let hello = b.split_to(5);
        assert_eq!(&hello[..], b"hello");
        assert_eq!(hello.as_ptr(), front_ptr, "no copy expected");
        assert_eq!(b.front(), b" world");
    }

    #[test]
    fn straddling_range_is_merged_once() {
        let mut b = LinkBuffer::new();
        b.extend_from_slice(&vec![b'a'; 600]);
        // Fill the first node so the next write links a new one.
        let spare = {
            let t = b.tail_for_write(1);
            t.capacity() - t.len()
        };
        b.extend_from_slice(&vec![b'b'; spare]);
        b.extend_from_slice(b"tail-bytes");
        assert!(b.node_count() >= 2);
        let total = b.len();
        let all = b.peek(total).unwrap().to_vec();
        assert_eq!(all.len(), total);
        assert!(all.ends_with(b"tail-bytes"));
        assert_eq!(b.node_count(), 1);
    }

    #[test]
    fn skip_and_release_across_nodes() {
        let mut b = LinkBuffer::new();
        b.extend_from_slice(&[1u8; 3000]);
        let spare = {
            let t = b.tail_for_write(1);
            t.capacity() - t.len()
        };
        b.extend_from_slice(&vec![2u8; spare + 10]);
        let before = b.len();
        b.skip(3000 + spare);
        assert_eq!(b.len(), before - 3000 - spare);
        assert_eq!(b.front(), &[2u8; 10][..]);
        assert_eq!(b.node_count(), 1);
    }

    #[test]
    fn clamps_out_of_range_requests() {
        let mut b = LinkBuffer::new();
        b.extend_from_slice(b"abc");
        assert!(b.peek(4).is_none());
        assert_eq!(&b.split_to(10)[..], b"abc");
        b.skip(5);
        assert!(b.is_empty());
        assert_eq!(b.split_to(1).len(), 0);
    }

    #[test]
    fn node_reclaimed_in_place_once_views_are_dropped() {
        let mut b = LinkBuffer::new();
        b.extend_from_slice(&[7u8; 700]);
        let first_alloc = b.front().as_ptr();
        for _ in 0..50 {
            let v = b.split_to(700);
            drop(v);
            b.extend_from_slice(&[7u8; 700]);
        }
        assert_eq!(b.node_count(), 1);
        // The same allocation is reused: after compaction data starts at the node's base again.
        assert_eq!(b.front().as_ptr(), first_alloc);
    }

    #[test]
    fn held_views_stay_valid_when_buffer_moves_on() {
        let mut b = LinkBuffer::new();
        b.extend_from_slice(b"first-message");
        let held = b.split_to(13);
        for i in 0..100u8 {
            b.extend_from_slice(&[i; 300]);
            b.skip(300);
        }
        assert_eq!(&held[..], b"first-message");
    }

    #[test]
    fn node_size_adapts_to_traffic() {
        let mut b = LinkBuffer::new();
        let initial = b.node_size();
        for _ in 0..20 {
            b.observe(16 * 1024);
        }
        assert!(b.node_size() > initial);
        assert!(b.node_size() <= MAX_NODE);
        for _ in 0..40 {
            b.observe(100);
        }
        assert_eq!(b.node_size(), MIN_NODE);
    }

    /// Reads one message of `len` bytes from a source that delivers it in one piece, as a
    /// connection's driver does: unspecific reads until it is complete, split out, observed.
    /// Returns where the message lay in memory.
    async fn pass_message(b: &mut LinkBuffer, len: usize) -> *const u8 {
        let data = vec![b'm'; len];
        let mut src = &data[..];
        while b.len() < len {
            let n = b.read_from(&mut src, 0).await.unwrap();
            assert!(n > 0);
        }
        let message = b.split_to(len);
        assert_eq!(message, data);
        b.observe(len);
        message.as_ptr()
    }

    #[tokio::test]
    async fn nodes_grow_for_large_messages_and_shrink_back_for_small_ones() {
        let mut b = LinkBuffer::new();
        pass_message(&mut b, 200).await;
        let small = b.capacity();
        assert!(
            small <= 4096,
            "a first small request gets a small node ({small})"
        );

        // Large messages: the estimate grows and so do the nodes, until one message fits in
        // a single node (read without any merge copy).
        for _ in 0..12 {
            pass_message(&mut b, 20_000).await;
        }
        assert_eq!(b.node_size(), MAX_NODE);
        let data = vec![b'x'; 20_000];
        let mut src = &data[..];
        b.read_from(&mut src, 0).await.unwrap();
        assert_eq!(b.len(), 20_000, "the whole message arrived in one read");
        assert_eq!(b.node_count(), 1);
        assert!(b.capacity() >= 32 * 1024, "grown: {}", b.capacity());
        b.skip(20_000);

        // Small messages again: the big node is given back after a few, not kept forever.
        for _ in 0..30 {
            pass_message(&mut b, 200).await;
        }
        assert_eq!(b.node_size(), MIN_NODE);
        assert!(
            b.capacity() <= 2 * MIN_NODE,
            "shrunk back: {} bytes held",
            b.capacity()
        );
    }

    #[tokio::test]
    async fn steady_small_traffic_reuses_one_node() {
        let mut b = LinkBuffer::new();
        let first = pass_message(&mut b, 300).await;
        assert_eq!(
            b.capacity(),
            300,
            "a lone first message gets a node of its size"
        );
        let second = pass_message(&mut b, 300).await;
        assert_ne!(first, second);
        let held = b.capacity();
        assert_eq!(held, b.node_size(), "a busy connection gets a full node");
        let node = second as usize..second as usize + held;
        for _ in 0..200 {
            let at = pass_message(&mut b, 300).await as usize;
            assert!(
                node.contains(&at),
                "every message lands in the same allocation"
            );
        }
        assert_eq!((b.capacity(), b.node_count()), (held, 1));
    }

    #[tokio::test]
    async fn idle_release_gives_every_node_back_and_waiting_allocates_none() {
        let mut b = LinkBuffer::new();
        pass_message(&mut b, 500).await;
        b.extend_from_slice(b"pending");
        b.release_idle();
        assert_eq!(b.len(), 7, "never while bytes are buffered");
        b.skip(7);
        assert!(b.capacity() > 0);
        b.release_idle();
        assert_eq!((b.capacity(), b.node_count()), (0, 0));

        // Waiting for data that has not arrived holds no node.
        let (mut client, mut server) = tokio::io::duplex(64);
        assert!(b.read_from(&mut server, 0).now_or_never().is_none());
        assert_eq!(b.capacity(), 0);

        // Data then lands in a fresh node sized for the traffic seen before the release.
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        let n = b.read_from(&mut server, 0).await.unwrap();
        assert_eq!(n, 18);
        assert_eq!(b.node_count(), 1);
        assert_eq!(b.capacity(), 18, "a node of exactly the message's size");
        assert_eq!(&b.split_to(n)[..], b"GET / HTTP/1.1\r\n\r\n");
        // End of stream reads as 0 without allocating either.
        b.release_idle();
        drop(client);
        assert_eq!(b.read_from(&mut server, 0).await.unwrap(), 0);
        assert_eq!(b.capacity(), 0);
    }

    #[tokio::test]
    async fn a_fresh_buffer_reads_more_than_the_stack_buffer_in_several_reads() {
        let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let mut src = &data[..];
        let mut b = LinkBuffer::new();
        let first = b.read_from(&mut src, 0).await.unwrap();
        assert_eq!(first, LEAN_READ);
        while b.len() < data.len() {
            assert!(b.read_from(&mut src, 0).await.unwrap() > 0);
        }
        assert_eq!(&b.split_to(data.len())[..], &data[..]);
    }

    #[tokio::test]
    async fn reads_from_async_source_with_size_hint() {
        let data = vec![9u8; 200_000];
        let mut src = &data[..];
        let mut b = LinkBuffer::new();
        while b.len() < data.len() {
            let want = data.len() - b.len();
            let n = b.read_from(&mut src, want).await.unwrap();
            assert!(n > 0);
        }
        // The size hint made the body land in a single node: no merge needed.
        assert_eq!(b.node_count(), 1);
        let body = b.split_to(data.len());
        assert_eq!(&body[..], &data[..]);
    }
}
