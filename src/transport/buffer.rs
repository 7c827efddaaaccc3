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
//! This module knows nothing of HTTP.

use std::collections::VecDeque;
use std::io;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Smallest node the buffer allocates.
pub const MIN_NODE: usize = 1024;
/// Largest node chosen by adaptation (a single message may still ask for a bigger one).
pub const MAX_NODE: usize = 64 * 1024;
/// A read is never attempted with less spare room than this.
const MIN_READ: usize = 512;
/// Initial estimate of a message size (head + body) on a new connection.
const INITIAL_ESTIMATE: usize = 1024;

/// A chain of byte nodes filled by socket reads and consumed from the front.
///
/// ```
/// use khz::transport::LinkBuffer;
/// let mut buf = LinkBuffer::new();
/// buf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\nrest");
/// assert_eq!(buf.peek(3), Some(&b"GET"[..]));
/// let head = buf.split_to(18); // zero-copy view
/// assert_eq!(&head[..], b"GET / HTTP/1.1\r\n\r\n");
/// assert_eq!(buf.len(), 4);
/// ```
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

    /// Drops every node that holds no readable bytes, except the last one, which stays for reuse.
    pub fn release(&mut self) {
        while self.nodes.len() > 1 && self.nodes.front().is_some_and(|n| n.buf.is_empty()) {
            self.nodes.pop_front();
        }
    }

    /// Appends bytes (copying them); used by in-memory producers and tests.
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        let tail = self.tail_for_write(data.len().max(1));
        tail.extend_from_slice(data);
        self.len += data.len();
    }

    /// Appends bytes in a node of their own, so tests can place a node boundary exactly.
    #[cfg(test)]
    pub(crate) fn extend_in_new_node(&mut self, data: &[u8]) {
        let mut node = Node::with_capacity(data.len());
        node.buf.extend_from_slice(data);
        self.nodes.push_back(node);
        self.len += data.len();
    }

    /// Returns the last node, ready to take at least `min` more bytes, linking a new node (or
    /// reclaiming the last one in place) when needed.
    fn tail_for_write(&mut self, min: usize) -> &mut BytesMut {
        let target = self.node_size();
        let want = min.max(MIN_READ);
        let needs_new = match self.nodes.back_mut() {
            None => true,
            Some(tail) => {
                let spare = tail.buf.capacity() - tail.buf.len();
                if spare >= want {
                    false
                } else if tail.buf.is_empty() && tail.allocated > target.max(want) * 4 {
                    // Traffic became small: give the oversized node back.
                    self.nodes.pop_back();
                    true
                } else if min > MIN_READ && !tail.buf.is_empty() {
                    // A message of known size is arriving: grow this node (copying the part
                    // already read, at most one node) so the message ends up contiguous.
                    tail.buf.reserve(want);
                    tail.allocated = tail.allocated.max(tail.buf.capacity());
                    false
                } else if tail.buf.len() <= target / 2 {
                    // Little unread data: compact in place if every view of the node is gone.
                    let goal = target.max(want + tail.buf.len());
                    !tail.buf.try_reclaim(goal - tail.buf.len())
                } else {
                    true
                }
            }
        };
        if needs_new {
            if self.nodes.back().is_some_and(|t| t.buf.is_empty()) {
                self.nodes.pop_back();
            }
            self.nodes.push_back(Node::with_capacity(target.max(want)));
        }
        match self.nodes.back_mut() {
            Some(tail) => &mut tail.buf,
            None => unreachable!("a node was just ensured"),
        }
    }

    /// Reads once from `io` into the buffer, with room for at least `hint` bytes (pass 0 when
    /// nothing specific is expected; a body reader passes the bytes it still needs, so a large
    /// body lands in one node). Returns the number of bytes read; 0 means end of stream.
    pub async fn read_from<R: AsyncRead + Unpin + ?Sized>(
        &mut self,
        io: &mut R,
        hint: usize,
    ) -> io::Result<usize> {
        let tail = self.tail_for_write(hint);
        let n = io.read_buf(tail).await?;
        self.len += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        b.release();
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
