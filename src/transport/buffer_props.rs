//! Model test of [`LinkBuffer`]: random sequences of appends (of every size, so nodes are
//! linked, reclaimed and grown), splits, skips, merges, peeks, size observations and idle
//! releases are applied both to the buffer and to a plain byte queue; after every step the
//! buffer must hold exactly the model's bytes, in order, whatever its node layout.

use std::collections::VecDeque;

use proptest::prelude::*;

use super::LinkBuffer;

#[derive(Debug, Clone)]
enum Op {
    Extend(Vec<u8>),
    SplitTo(usize),
    Skip(usize),
    MakeContiguous(usize),
    Peek(usize),
    Observe(usize),
    ReleaseIdle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..3000).prop_map(Op::Extend),
        2 => (0usize..4000).prop_map(Op::SplitTo),
        1 => (0usize..4000).prop_map(Op::Skip),
        1 => (0usize..4000).prop_map(Op::MakeContiguous),
        1 => (0usize..4000).prop_map(Op::Peek),
        1 => (0usize..70_000).prop_map(Op::Observe),
        1 => Just(Op::ReleaseIdle),
    ]
}

fn take(model: &mut VecDeque<u8>, n: usize) -> Vec<u8> {
    let n = n.min(model.len());
    model.drain(..n).collect()
}

proptest! {
    #[test]
    fn behaves_like_a_byte_queue(ops in prop::collection::vec(op(), 1..60)) {
        let mut buf = LinkBuffer::new();
        let mut model: VecDeque<u8> = VecDeque::new();
        for op in ops {
            match op {
                Op::Extend(data) => {
                    buf.extend_from_slice(&data);
                    model.extend(data);
                }
                Op::SplitTo(n) => {
                    let got = buf.split_to(n);
                    prop_assert_eq!(&got[..], &take(&mut model, n)[..]);
                }
                Op::Skip(n) => {
                    buf.skip(n);
                    take(&mut model, n);
                }
                Op::MakeContiguous(n) => {
                    buf.make_contiguous(n);
                    prop_assert!(buf.front().len() >= n.min(model.len()));
                }
                Op::Peek(n) => {
                    let want: Vec<u8> = model.iter().take(n).copied().collect();
                    match buf.peek(n) {
                        Some(got) => prop_assert_eq!(got, &want[..]),
                        None => prop_assert!(n > model.len()),
                    }
                }
                Op::Observe(n) => buf.observe(n),
                Op::ReleaseIdle => buf.release_idle(),
            }
            prop_assert_eq!(buf.len(), model.len());
            prop_assert_eq!(buf.is_empty(), model.is_empty());
            let front = buf.front();
            prop_assert!(front.len() <= model.len());
            prop_assert!(model.iter().take(front.len()).eq(front.iter()));
        }
        // Everything left comes out in order.
        let rest = buf.split_to(usize::MAX);
        prop_assert_eq!(&rest[..], &model.iter().copied().collect::<Vec<u8>>()[..]);
        prop_assert!(buf.is_empty());
    }
}
