//! The `multipart/byteranges` body answering a `Range` header with several ranges (RFC 9110
//! §14.6): one part per range, in the order asked, each with its own `Content-Type` and
//! `Content-Range`, read from disk in 64 KiB pieces. The total length is known before the first
//! byte goes out, so the body is sent with a `Content-Length` like any file.

use std::hash::{BuildHasher, Hasher};
use std::io::SeekFrom;

use bytes::{Bytes, BytesMut};
use futures_util::stream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::protocol::{BodyStream, BoxError};

/// Size of each read from disk.
const READ_SIZE: u64 = 64 * 1024;

/// The parts of a multipart answer: their heads, ranges and closing delimiter.
#[derive(Debug)]
pub(crate) struct Parts {
    /// The boundary (to announce in `Content-Type`).
    pub(crate) boundary: String,
    heads: Vec<Bytes>,
    ranges: Vec<(u64, u64)>,
    tail: Bytes,
}

impl Parts {
    /// The parts for `ranges` (inclusive, satisfiable) of a `len`-byte file of `content_type`.
    pub(crate) fn new(ranges: Vec<(u64, u64)>, len: u64, content_type: &str) -> Parts {
        // A fresh random key per call (std's hasher seeds): no file can be crafted to hold it.
        let random = |i: u64| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(i);
            h.finish()
        };
        let boundary = format!("{:016x}{:016x}", random(1), random(2));
        let heads = ranges
            .iter()
            .enumerate()
            .map(|(i, (start, end))| {
                let lead = if i == 0 { "" } else { "\r\n" };
                Bytes::from(format!(
                    "{lead}--{boundary}\r\nContent-Type: {content_type}\r\n\
                     Content-Range: bytes {start}-{end}/{len}\r\n\r\n"
                ))
            })
            .collect();
        let tail = Bytes::from(format!("\r\n--{boundary}--\r\n"));
        Parts {
            boundary,
            heads,
            ranges,
            tail,
        }
    }

    /// The body's length in bytes.
    pub(crate) fn len(&self) -> u64 {
        let heads: u64 = self.heads.iter().map(|h| h.len() as u64).sum();
        let data: u64 = self.ranges.iter().map(|(s, e)| e - s + 1).sum();
        heads + data + self.tail.len() as u64
    }

    /// The body: each head followed by its range of `file`, then the closing delimiter.
    pub(crate) fn into_stream(self, file: tokio::fs::File) -> BodyStream {
        struct State {
            file: tokio::fs::File,
            parts: Parts,
            /// The part being sent, and how many of its bytes are still to read.
            part: usize,
            left: Option<u64>,
            done: bool,
        }
        let state = State {
            file,
            parts: self,
            part: 0,
            left: None,
            done: false,
        };
        Box::pin(stream::try_unfold(state, |mut st| async move {
            if st.done {
                return Ok::<_, BoxError>(None);
            }
            let Some(&(start, end)) = st.parts.ranges.get(st.part) else {
                st.done = true;
                let tail = st.parts.tail.clone();
                return Ok(Some((tail, st)));
            };
            let Some(left) = st.left else {
                st.file.seek(SeekFrom::Start(start)).await?;
                st.left = Some(end - start + 1);
                let head = st.parts.heads[st.part].clone();
                return Ok(Some((head, st)));
            };
            let want = left.min(READ_SIZE);
            // `want` is at most READ_SIZE: the cast cannot truncate.
            let mut buf = BytesMut::zeroed(want as usize);
            let n = st.file.read(&mut buf).await?;
            if n == 0 {
                return Err("file shorter than its announced length".into());
            }
            buf.truncate(n);
            let left = left - n as u64;
            if left == 0 {
                st.part += 1;
                st.left = None;
            } else {
                st.left = Some(left);
            }
            Ok(Some((buf.freeze(), st)))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::Parts;
    use futures_util::TryStreamExt;

    #[tokio::test]
    async fn parts_and_length_agree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let parts = Parts::new(vec![(0, 0), (150_000, 199_999), (10, 19)], 200_000, "x/y");
        let (len, b) = (parts.len(), parts.boundary.clone());
        let file = tokio::fs::File::open(&path).await.unwrap();
        let chunks: Vec<_> = parts.into_stream(file).try_collect().await.unwrap();
        let body: Vec<u8> = chunks.concat();
        assert_eq!(body.len() as u64, len);
        let head = |range: &str| {
            let type_ = "Content-Type: x/y";
            format!("\r\n--{b}\r\n{type_}\r\nContent-Range: bytes {range}/200000\r\n\r\n")
        };
        let mut want = head("0-0").as_bytes()[2..].to_vec();
        want.extend_from_slice(&data[..1]);
        want.extend(head("150000-199999").bytes());
        want.extend_from_slice(&data[150_000..]);
        want.extend(head("10-19").bytes());
        want.extend_from_slice(&data[10..20]);
        want.extend(format!("\r\n--{b}--\r\n").bytes());
        assert!(body == want);
    }
}
