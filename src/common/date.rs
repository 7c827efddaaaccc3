//! The cached `Date` header value. Formatting an HTTP date costs far more than copying 29 bytes,
//! so each thread keeps the formatted value of the current second and re-formats it only when the
//! second changes: at most once a second per thread, never per request. Reading it allocates
//! nothing, and the "which second is it" check reads the kernel's coarse real-time clock on
//! Linux (no hardware clock read; a few nanoseconds).

use std::cell::RefCell;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const DATE_LEN: usize = 29;

struct Cached {
    second: u64,
    value: [u8; DATE_LEN],
}

thread_local! {
    static CACHE: RefCell<Cached> = const { RefCell::new(Cached { second: u64::MAX, value: [b' '; DATE_LEN] }) };
}

fn format_into(now: SystemTime, out: &mut [u8; DATE_LEN]) {
    let mut cursor = &mut out[..];
    // `HttpDate`'s Display always writes exactly DATE_LEN bytes; a short write would leave spaces.
    let _ = write!(cursor, "{}", httpdate::HttpDate::from(now));
}

/// Calls `f` with the current `Date` header value (IMF-fixdate, 29 ASCII bytes).
///
/// ```
/// khz::common::date::with_date(|d| {
///     assert_eq!(d.len(), 29);
///     assert!(d.ends_with(b" GMT"));
/// });
/// ```
pub fn with_date<R>(f: impl FnOnce(&[u8; DATE_LEN]) -> R) -> R {
    let second = now_seconds();
    CACHE.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.second != second {
            format_into(UNIX_EPOCH + Duration::from_secs(second), &mut cached.value);
            cached.second = second;
        }
        f(&cached.value)
    })
}

/// Seconds since the Unix epoch, from a clock that is cheap to read.
fn now_seconds() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let ts = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
        u64::try_from(ts.tv_sec).unwrap_or(0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instant() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let mut out = [0u8; DATE_LEN];
        format_into(t, &mut out);
        assert_eq!(&out, b"Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn cached_value_parses_as_now() {
        let parsed = with_date(|d| httpdate::parse_http_date(std::str::from_utf8(d).unwrap()));
        let parsed = parsed.unwrap();
        let diff = SystemTime::now()
            .duration_since(parsed)
            .unwrap_or(Duration::ZERO);
        assert!(diff < Duration::from_secs(5));
    }
}
