//! Operation sequences on `LinkBuffer`, checked against a `Vec<u8>` model: after every step the
//! lengths agree, the front is a prefix of the model, and what comes out is what the model says.
#![no_main]

use arbitrary::Arbitrary;
use khz::__bench::LinkBuffer;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Extend(Vec<u8>),
    ExtendInNewNode(Vec<u8>),
    /// A run of one byte, long enough to cross node sizes.
    ExtendRun(u8, u16),
    SplitTo(u16),
    Skip(u16),
    Peek(u16),
    MakeContiguous(u16),
    Observe(u16),
    ReleaseIdle,
}

fuzz_target!(|ops: Vec<Op>| {
    let mut buf = LinkBuffer::new();
    let mut model: Vec<u8> = Vec::new();
    for op in ops.into_iter().take(256) {
        match op {
            Op::Extend(d) => {
                buf.extend_from_slice(&d);
                model.extend_from_slice(&d);
            }
            Op::ExtendInNewNode(d) => {
                buf.extend_in_new_node(&d);
                model.extend_from_slice(&d);
            }
            Op::ExtendRun(b, n) => {
                let d = vec![b; usize::from(n)];
                buf.extend_from_slice(&d);
                model.extend_from_slice(&d);
            }
            Op::SplitTo(n) => {
                let n = usize::from(n);
                let got = buf.split_to(n);
                let want: Vec<u8> = model.drain(..n.min(model.len())).collect();
                assert_eq!(&got[..], &want[..]);
            }
            Op::Skip(n) => {
                buf.skip(usize::from(n));
                model.drain(..usize::from(n).min(model.len()));
            }
            Op::Peek(n) => {
                let n = usize::from(n);
                match buf.peek(n) {
                    Some(got) => assert_eq!(got, &model[..n]),
                    None => assert!(n > model.len()),
                }
            }
            Op::MakeContiguous(n) => {
                let n = usize::from(n);
                buf.make_contiguous(n);
                assert!(buf.front().len() >= n.min(model.len()));
            }
            Op::Observe(n) => buf.observe(usize::from(n)),
            Op::ReleaseIdle => buf.release_idle(),
        }
        assert_eq!(buf.len(), model.len());
        assert_eq!(buf.is_empty(), model.is_empty());
        let front = buf.front();
        assert!(
            model.starts_with(front),
            "front is not a prefix of the model"
        );
        // Readers (the chunked decoder) make progress only if bytes show at the front.
        assert_eq!(
            front.is_empty(),
            model.is_empty(),
            "empty front with bytes buffered"
        );
        assert!(buf.node_size() > 0);
    }
    let rest = buf.split_to(usize::MAX);
    assert_eq!(&rest[..], &model[..]);
    assert!(buf.is_empty());
});
