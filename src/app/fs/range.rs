//! `Range: bytes=…` requests (RFC 9110 §14): which part of a representation of `len` bytes a
//! request asks for.
//!
//! A single satisfiable range becomes a `206 Partial Content`; a header whose ranges are all
//! unsatisfiable a `416` (except for an empty file, which is simply sent whole, as Go's
//! `http.ServeContent` does: some clients put a `Range` on every request). **Several
//! satisfiable ranges** become a `206` with a `multipart/byteranges` body (`byteranges`), the
//! parts in the order asked (unsatisfiable ones dropped) — unless together they ask for more
//! bytes than the file holds (overlapping ranges, a way to make the server send the same bytes
//! many times over), which is answered with the whole file (`200`), as Go does. A header that
//! is not a well-formed byte-range set (another unit, `5-2`, signs, garbage) or has more than
//! 32 ranges is ignored, as the RFC allows.

/// What to send in answer to a `Range` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RangeAnswer {
    /// The whole representation (no range, an ignored one, or overlapping ones).
    Full,
    /// Bytes `start..=end` (`206`).
    Partial { start: u64, end: u64 },
    /// Several inclusive ranges, in the order asked (`206`, `multipart/byteranges`).
    Multi(Vec<(u64, u64)>),
    /// None of the ranges overlaps the representation (`416`).
    Unsatisfiable,
}

/// Most range specs looked at; a longer set is ignored (answered in full).
const MAX_SPECS: usize = 32;

/// A parsed `first-last`, `first-` or `-suffix` spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    From(u64, Option<u64>),
    Suffix(u64),
}

/// Decimal digits only (no sign, no space); values past `u64::MAX` saturate.
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse().unwrap_or(u64::MAX))
}

fn parse_spec(s: &str) -> Option<Spec> {
    let (first, last) = s.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return number(last).map(Spec::Suffix);
    }
    let first = number(first)?;
    if last.is_empty() {
        return Some(Spec::From(first, None));
    }
    let last = number(last)?;
    (last >= first).then_some(Spec::From(first, Some(last)))
}

/// The byte range `spec` selects out of `len` bytes, if it is satisfiable.
fn select(spec: Spec, len: u64) -> Option<(u64, u64)> {
    match spec {
        Spec::From(first, _) if first >= len => None,
        Spec::From(first, last) => Some((first, last.map_or(len - 1, |l| l.min(len - 1)))),
        Spec::Suffix(0) => None,
        Spec::Suffix(_) if len == 0 => None,
        Spec::Suffix(n) => Some((len.saturating_sub(n), len - 1)),
    }
}

/// Answers the `Range` header `value` for a representation of `len` bytes.
pub(crate) fn answer(value: &str, len: u64) -> RangeAnswer {
    let value = value.trim();
    let Some((unit, set)) = value.split_once('=') else {
        return RangeAnswer::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeAnswer::Full;
    }
    let mut specs = Vec::new();
    for part in set.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if specs.len() == MAX_SPECS {
            return RangeAnswer::Full;
        }
        match parse_spec(part) {
            Some(spec) => specs.push(spec),
            None => return RangeAnswer::Full,
        }
    }
    let satisfiable: Vec<(u64, u64)> = specs.iter().filter_map(|&s| select(s, len)).collect();
    match (specs.len(), satisfiable.first()) {
        (0, _) => RangeAnswer::Full,
        (_, None) if len == 0 => RangeAnswer::Full,
        (_, None) => RangeAnswer::Unsatisfiable,
        (_, Some(&(start, end))) if satisfiable.len() == 1 => RangeAnswer::Partial { start, end },
        _ => {
            let total = satisfiable
                .iter()
                .fold(0u64, |sum, (s, e)| sum.saturating_add(e - s + 1));
            if total > len {
                RangeAnswer::Full
            } else {
                RangeAnswer::Multi(satisfiable)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{answer, RangeAnswer::*};

    #[test]
    fn single_ranges() {
        assert_eq!(answer("bytes=0-9", 100), Partial { start: 0, end: 9 });
        assert_eq!(answer("bytes=90-200", 100), Partial { start: 90, end: 99 });
        assert_eq!(answer("bytes=10-", 100), Partial { start: 10, end: 99 });
        assert_eq!(answer("bytes=-10", 100), Partial { start: 90, end: 99 });
        assert_eq!(answer("bytes=-1000", 100), Partial { start: 0, end: 99 });
        assert_eq!(answer("Bytes = 5-5 ", 100), Partial { start: 5, end: 5 });
        assert_eq!(
            answer("bytes=0-99999999999999999999999", 7),
            Partial { start: 0, end: 6 }
        );
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(answer("bytes=100-", 100), Unsatisfiable);
        assert_eq!(answer("bytes=100-200", 100), Unsatisfiable);
        assert_eq!(answer("bytes=-0", 100), Unsatisfiable);
        assert_eq!(answer("bytes=100-,200-300", 100), Unsatisfiable);
        // An empty file is sent whole rather than refused.
        assert_eq!(answer("bytes=0-10", 0), Full);
    }

    #[test]
    fn ignored_or_full() {
        for h in [
            "items=0-5",
            "bytes",
            "bytes=",
            "bytes=5-2",
            "bytes=a-b",
            "bytes=+1-2",
            "bytes=1-2-3",
            "bytes=0-1,2-x",
            "bytes= -",
            "bytes=--5",
        ] {
            assert_eq!(answer(h, 100), Full, "{h}");
        }
        let many = format!("bytes={}", vec!["0-1"; 40].join(","));
        assert_eq!(answer(&many, 100), Full);
        // Overlapping ranges asking for more than the file: the whole file.
        assert_eq!(answer("bytes=0-99,0-99", 100), Full);
        assert_eq!(answer("bytes=0-60,40-", 100), Full);
    }

    #[test]
    fn several_ranges() {
        assert_eq!(answer("bytes=0-1,5-9", 100), Multi(vec![(0, 1), (5, 9)]));
        assert_eq!(answer("bytes=-10, 0-0", 100), Multi(vec![(90, 99), (0, 0)]));
        // Unsatisfiable ones are dropped; one left is a plain 206.
        assert_eq!(
            answer("bytes=0-1,500-600,5-9", 100),
            Multi(vec![(0, 1), (5, 9)])
        );
        assert_eq!(
            answer("bytes=500-600,5-9", 100),
            Partial { start: 5, end: 9 }
        );
        // Small overlaps stay within the file's size: allowed.
        assert_eq!(answer("bytes=0-5,5-9", 100), Multi(vec![(0, 5), (5, 9)]));
    }
}
