//! Request parsing throughput of the HTTP/1.1 protocol layer: `parse_head` on a minimal
//! wrk-style GET, a browser-like GET (~700 bytes, 12 headers) and a POST head with
//! `Content-Length`, next to bare `httparse` on the browser GET as the baseline (the difference
//! is what khz adds: spans, limits, framing and smuggling checks); and the chunked body decoder
//! on a 16 KiB body sent in 1 KiB chunks. All figures are bytes of input per second.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use khz::__bench::{parse_head, ChunkedDecoder, H1Config, LinkBuffer, Progress};
use khz::protocol::Request;

const WRK_GET: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";

const BROWSER_GET: &[u8] = b"GET /api/v1/users/12345/profile?tab=activity&page=2 HTTP/1.1\r\n\
Host: www.example.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Referer: https://www.example.com/api/v1/users/12345\r\n\
Connection: keep-alive\r\n\
Cookie: session=8f2a1c3e9b7d4f60a5e2c1b0d9f8e7a6; theme=dark; _ga=GA1.2.1234567890.1700000000\r\n\
Upgrade-Insecure-Requests: 1\r\n\
Sec-Fetch-Dest: document\r\n\
Sec-Fetch-Mode: navigate\r\n\
If-None-Match: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"\r\n\r\n";

const POST_HEAD: &[u8] = b"POST /api/v1/notes HTTP/1.1\r\n\
Host: api.example.com\r\n\
User-Agent: curl/8.5.0\r\n\
Accept: application/json\r\n\
Content-Type: application/json\r\n\
Content-Length: 1024\r\n\r\n";

fn bench_parse_head(c: &mut Criterion) {
    let cfg = H1Config::default();
    let mut group = c.benchmark_group("parse_head");
    for (name, input) in [
        ("wrk_get", WRK_GET),
        ("browser_get", BROWSER_GET),
        ("post_content_length", POST_HEAD),
    ] {
        let mut req = Request::default();
        assert_eq!(
            parse_head(input, &cfg, &mut req).ok().flatten(),
            Some(input.len()),
            "{name} must parse completely"
        );
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| parse_head(black_box(input), &cfg, &mut req).ok().flatten())
        });
    }
    group.finish();
}

fn bench_httparse_baseline(c: &mut Criterion) {
    let mut group = c.benchmark_group("httparse");
    group.throughput(Throughput::Bytes(BROWSER_GET.len() as u64));
    group.bench_function("browser_get", |b| {
        b.iter(|| {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut req = httparse::Request::new(&mut headers);
            req.parse(black_box(BROWSER_GET)).ok()
        })
    });
    group.finish();
}

/// A 16 KiB body framed as sixteen 1 KiB chunks and the last chunk.
fn chunked_body() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..16u8 {
        out.extend_from_slice(b"400\r\n");
        out.extend_from_slice(&[b'a' + i; 1024]);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn bench_chunked(c: &mut Criterion) {
    let cfg = H1Config::default();
    let input = chunked_body();
    let mut group = c.benchmark_group("chunked_decoder");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("16k_in_1k_chunks", |b| {
        b.iter_batched(
            || {
                let mut buf = LinkBuffer::new();
                buf.extend_from_slice(&input);
                (buf, BytesMut::with_capacity(16 * 1024), Request::default())
            },
            |(mut buf, mut out, mut req)| {
                let mut dec = ChunkedDecoder::new(cfg.max_body_bytes);
                let done = dec.decode(&mut buf, &mut out, &mut req, &cfg);
                assert!(matches!(done, Ok(Progress::Done)));
                (buf, out, req)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_parse_head,
    bench_httparse_baseline,
    bench_chunked
);
criterion_main!(benches);
