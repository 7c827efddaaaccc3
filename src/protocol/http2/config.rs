//! Limits and switches of the HTTP/2 server ([`H2Config`]) and how they become an `h2` server
//! builder. The limits that HTTP/1.1 and HTTP/2 share (body size, URI length, header count,
//! read / idle / write timeouts, `Date` and `Server` headers) come from the
//! [`H1Config`](crate::protocol::http1::H1Config) so one set of server options governs both.
//!
//! The `h2` crate's protections against rapid-reset floods (CVE-2023-44487: at most
//! [`max_pending_accept_reset_streams`](H2Config::max_pending_accept_reset_streams) streams
//! reset before they were accepted, and at most
//! [`max_local_error_reset_streams`](H2Config::max_local_error_reset_streams) streams reset for
//! the peer's protocol errors) and against CONTINUATION floods (a header block is never
//! buffered past `max_header_list_size`) stay on: exceeding them ends the connection with
//! GOAWAY `ENHANCE_YOUR_CALM`.

use std::time::Duration;

/// Configuration of the HTTP/2 connection driver.
#[derive(Debug, Clone)]
pub struct H2Config {
    /// Most streams a client may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`); a
    /// stream over it is refused with RST_STREAM `REFUSED_STREAM`. Default 200.
    pub max_concurrent_streams: u32,
    /// Initial flow-control window of each stream, in bytes: how much of a request body the
    /// client may send before the handler consumes it. Default 1 MiB.
    pub initial_stream_window_size: u32,
    /// Initial flow-control window of the whole connection. Default 2 MiB.
    pub initial_connection_window_size: u32,
    /// Largest frame payload the server accepts (16 KiB ..= 16 MiB − 1). Default 16 KiB.
    pub max_frame_size: u32,
    /// Largest decoded header list (`SETTINGS_MAX_HEADER_LIST_SIZE`); a larger request head
    /// is answered 431 and its stream reset. `None`: the server's `max_header_bytes`.
    pub max_header_list_size: Option<u32>,
    /// Interval of keep-alive PINGs; `None` (default) sends none.
    pub keep_alive_interval: Option<Duration>,
    /// Time a keep-alive PING may wait for its acknowledgement before the connection is
    /// dropped. Default 20 s.
    pub keep_alive_timeout: Duration,
    /// Streams reset by the client before the server accepted them, at most (rapid-reset
    /// protection). Default 20, as in `h2`.
    pub max_pending_accept_reset_streams: usize,
    /// Streams the server may reset because of the client's protocol errors, at most, before
    /// it sends GOAWAY `ENHANCE_YOUR_CALM`. Default 1024, as in `h2`.
    pub max_local_error_reset_streams: usize,
    /// Response bytes buffered per stream before a streamed body waits for the client's
    /// window. Default 400 KiB, as in `h2`.
    pub max_send_buffer_size: usize,
}

impl Default for H2Config {
    fn default() -> Self {
        H2Config {
            max_concurrent_streams: 200,
            initial_stream_window_size: 1024 * 1024,
            initial_connection_window_size: 2 * 1024 * 1024,
            max_frame_size: 16 * 1024,
            max_header_list_size: None,
            keep_alive_interval: None,
            keep_alive_timeout: Duration::from_secs(20),
            max_pending_accept_reset_streams: 20,
            max_local_error_reset_streams: 1024,
            max_send_buffer_size: 400 * 1024,
        }
    }
}

/// Smallest and largest legal `SETTINGS_MAX_FRAME_SIZE` (RFC 9113 §6.5.2).
pub(crate) const FRAME_SIZE_RANGE: std::ops::RangeInclusive<u32> = 16_384..=16_777_215;
/// Largest legal flow-control window (RFC 9113 §6.9.1).
pub(crate) const MAX_WINDOW: u32 = (1 << 31) - 1;

impl H2Config {
    /// Checks the values `h2` would refuse (or panic on). Returns the problem.
    pub(crate) fn validate(&self) -> Result<(), &'static str> {
        if !FRAME_SIZE_RANGE.contains(&self.max_frame_size) {
            return Err("http2_max_frame_size must be between 16384 and 16777215");
        }
        if self.initial_stream_window_size > MAX_WINDOW
            || self.initial_connection_window_size > MAX_WINDOW
        {
            return Err("HTTP/2 window sizes must be at most 2^31 - 1");
        }
        if self.max_concurrent_streams == 0 {
            return Err("http2_max_concurrent_streams must be at least 1");
        }
        if self.max_send_buffer_size > u32::MAX as usize {
            return Err("http2_max_send_buffer_size must fit in 32 bits");
        }
        if self.keep_alive_interval.is_some_and(|d| d.is_zero())
            || self.keep_alive_timeout.is_zero()
        {
            return Err("HTTP/2 keep-alive interval and timeout must be greater than zero");
        }
        Ok(())
    }

    /// The `h2` server builder for these settings; `max_header_bytes` is the fallback of
    /// `max_header_list_size`.
    pub(crate) fn builder(&self, max_header_bytes: usize) -> h2::server::Builder {
        let header_list = self
            .max_header_list_size
            .unwrap_or_else(|| u32::try_from(max_header_bytes).unwrap_or(u32::MAX));
        let mut b = h2::server::Builder::new();
        b.max_concurrent_streams(self.max_concurrent_streams)
            .initial_window_size(self.initial_stream_window_size.min(MAX_WINDOW))
            .initial_connection_window_size(self.initial_connection_window_size.min(MAX_WINDOW))
            .max_frame_size(
                self.max_frame_size
                    .clamp(*FRAME_SIZE_RANGE.start(), *FRAME_SIZE_RANGE.end()),
            )
            .max_header_list_size(header_list)
            .max_pending_accept_reset_streams(self.max_pending_accept_reset_streams)
            .max_local_error_reset_streams(Some(self.max_local_error_reset_streams))
            .max_send_buffer_size(self.max_send_buffer_size.min(u32::MAX as usize));
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert_eq!(H2Config::default().validate(), Ok(()));
        let bad = H2Config {
            max_frame_size: 1000,
            ..H2Config::default()
        };
        assert!(bad.validate().unwrap_err().contains("max_frame_size"));
        let bad = H2Config {
            initial_stream_window_size: u32::MAX,
            ..H2Config::default()
        };
        assert!(bad.validate().is_err());
    }
}
