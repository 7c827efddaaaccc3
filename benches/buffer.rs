//! Costs of the transport buffers. `LinkBuffer`: the steady-state cycle of one keep-alive
//! request (200 bytes in, split out as a zero-copy view, view dropped — the node is reclaimed in
//! place), a pipelined batch (16 × 40 bytes in one read, split into 16 views), and a head that
//! straddles two nodes (the one case that copies: `peek` merges it). `WriteBuffer`: 16 small
//! responses batched and flushed in one write into `tokio::io::sink()`.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use khz::__bench::{LinkBuffer, WriteBuffer};

/// A response the size of a plaintext benchmark answer.
const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: khz\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n\r\nHello, World!";

fn bench_keep_alive_cycle(c: &mut Criterion) {
    let request = [b'r'; 200];
    let mut buf = LinkBuffer::new();
    // Reach steady state first: the node exists and is reclaimed in place from now on.
    for _ in 0..4 {
        buf.extend_from_slice(&request);
        drop(buf.split_to(request.len()));
    }
    let mut group = c.benchmark_group("link_buffer");
    group.throughput(Throughput::Bytes(request.len() as u64));
    group.bench_function("keep_alive_200b", |b| {
        b.iter(|| {
            buf.extend_from_slice(black_box(&request));
            let view = buf.split_to(request.len());
            black_box(view.len())
        })
    });

    let batch = [b'p'; 16 * 40];
    group.throughput(Throughput::Bytes(batch.len() as u64));
    group.bench_function("pipelined_16x40b", |b| {
        b.iter(|| {
            buf.extend_from_slice(black_box(&batch));
            let mut views: [Bytes; 16] = Default::default();
            for v in &mut views {
                *v = buf.split_to(40);
            }
            black_box(views)
        })
    });
    group.finish();
}

/// A buffer whose 700-byte head lies 600 bytes in the first node and 100 in a second one.
fn straddling(head: &[u8]) -> LinkBuffer {
    let mut buf = LinkBuffer::new();
    let node = buf.node_size();
    let split = 600;
    buf.extend_from_slice(&vec![b'j'; node - split]);
    buf.extend_from_slice(&head[..split]);
    // Holding a view of the first node stops it from being reclaimed, so the rest of the head
    // has to go into a newly linked node.
    let junk = buf.split_to(node - split);
    buf.extend_from_slice(&head[split..]);
    drop(junk);
    assert_eq!(buf.node_count(), 2, "head must straddle two nodes");
    buf
}

fn bench_straddling_peek(c: &mut Criterion) {
    let head = [b'h'; 700];
    let mut group = c.benchmark_group("link_buffer");
    group.throughput(Throughput::Bytes(head.len() as u64));
    group.bench_function("peek_merges_straddling_700b", |b| {
        b.iter_batched(
            || straddling(&head),
            |mut buf| {
                let merged = buf.peek(head.len()).map(<[u8]>::len);
                black_box(merged);
                buf
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn bench_write_flush(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut w = WriteBuffer::new();
    let mut sink = tokio::io::sink();
    let mut group = c.benchmark_group("write_buffer");
    group.throughput(Throughput::Bytes((16 * RESPONSE.len()) as u64));
    group.bench_function("batch_16_responses_flush", |b| {
        b.iter(|| {
            for _ in 0..16 {
                w.write(black_box(RESPONSE));
            }
            rt.block_on(w.flush(&mut sink)).expect("flush into sink");
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_keep_alive_cycle,
    bench_straddling_peek,
    bench_write_flush
);
criterion_main!(benches);
