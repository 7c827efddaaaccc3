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

/// Length of a whole `Date` header line: `Date: ` + the date + CRLF.
pub const DATE_LINE_LEN: usize = DATE_LEN + 8;

struct Cached {
    second: u64,
    /// `Date: <IMF-fixdate>\r\n`; the date alone is `line[6..6 + DATE_LEN]`.
    line: [u8; DATE_LINE_LEN],
}

const EMPTY_LINE: [u8; DATE_LINE_LEN] = {
    let mut line = [b' '; DATE_LINE_LEN];
    let prefix = b"Date: ";
    let mut i = 0;
    while i < prefix.len() {
        line[i] = prefix[i];
        i += 1;
    }
    line[DATE_LINE_LEN - 2] = b'\r';
    line[DATE_LINE_LEN - 1] = b'\n';
    line
};

thread_local! {
    static CACHE: RefCell<Cached> = const { RefCell::new(Cached { second: u64::MAX, line: EMPTY_LINE }) };
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
    with_date_line(|line| {
        let mut date = [0u8; DATE_LEN];
        date.copy_from_slice(&line[6..6 + DATE_LEN]);
        f(&date)
    })
}

/// Calls `f` with the whole pre-rendered header line `Date: <IMF-fixdate>\r\n` — what an
/// HTTP/1.1 encoder copies into its output in one piece.
///
/// ```
/// khz::common::date::with_date_line(|line| {
///     assert!(line.starts_with(b"Date: ") && line.ends_with(b" GMT\r\n"));
/// });
/// ```
pub fn with_date_line<R>(f: impl FnOnce(&[u8; DATE_LINE_LEN]) -> R) -> R {
    let second = now_seconds();
    CACHE.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.second != second {
            let mut date = [0u8; DATE_LEN];
            format_into(UNIX_EPOCH + Duration::from_secs(second), &mut date);
            cached.line[6..6 + DATE_LEN].copy_from_slice(&date);
            cached.second = second;
        }
        f(&cached.line)
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
    fn date_line_wraps_the_cached_date() {
        let line = with_date_line(|l| *l);
        let date = with_date(|d| *d);
        assert_eq!(&line[..6], b"Date: ");
        assert_eq!(&line[DATE_LINE_LEN - 2..], b"\r\n");
        // The second may tick between the two reads; the prefix up to the time never differs.
        assert_eq!(&line[6..6 + 17], &date[..17]);
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
