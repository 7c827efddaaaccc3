//! Limits and switches of the HTTP/3 server ([`H3Config`]): the QUIC transport numbers and
//! the `h3` connection builder. The limits HTTP/3 shares with HTTP/1.1 and HTTP/2 — body size,
//! URI length, header count and size (`SETTINGS_MAX_FIELD_SECTION_SIZE` = `max_header_bytes`),
//! read and write timeouts, `Date` and `Server` headers — come from the server's
//! [`H1Config`](crate::protocol::http1::H1Config), so one set of options governs all three.

use std::time::Duration;

use crate::transport::quic::QuicSettings;

/// Configuration of the HTTP/3 server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct H3Config {
    /// A connection that carried no packet for this long is closed (QUIC idle timeout); one
    /// without requests is sent GOAWAY after the server's idle timeout. Default 30 s.
    pub idle_timeout: Duration,
    /// Requests (bidirectional streams) a client may have open at once; the client cannot open
    /// more until one ends. Default 200, as HTTP/2's.
    pub max_concurrent_streams: u32,
    /// Bytes of a request body a client may send ahead of the handler reading them, per
    /// stream (QUIC flow control). Default 1 MiB.
    pub stream_receive_window: u32,
    /// The same for all streams of a connection together. Default 8 MiB.
    pub connection_receive_window: u32,
    /// Interval of QUIC PINGs that keep a quiet connection alive; `None` (default): none.
    pub keep_alive_interval: Option<Duration>,
    /// Accept 0-RTT (TLS early data) from clients resuming a session: their first requests
    /// arrive one round trip sooner, but may be replayed by an attacker, so while the
    /// handshake is incomplete only safe methods (GET, HEAD, OPTIONS, TRACE) are served and
    /// every other request is answered `425 Too Early` (RFC 8470) — the client retries it
    /// after the handshake. Default off.
    pub zero_rtt: bool,
    /// Send GREASE (reserved frame and setting types) so clients keep tolerating unknown
    /// ones (RFC 9114 §7.2.8). Default off: one frame less per response.
    pub send_grease: bool,
}

impl Default for H3Config {
    fn default() -> Self {
        H3Config {
            idle_timeout: Duration::from_secs(30),
            max_concurrent_streams: 200,
            stream_receive_window: 1024 * 1024,
            connection_receive_window: 8 * 1024 * 1024,
            keep_alive_interval: None,
            zero_rtt: false,
            send_grease: false,
        }
    }
}

/// Largest QUIC variable-length integer (RFC 9000 §16), the bound of windows and stream counts.
const MAX_VARINT: u64 = (1 << 62) - 1;

impl H3Config {
    /// Checks the values QUIC cannot carry. Returns the problem.
    pub(crate) fn validate(&self) -> Result<(), &'static str> {
        if self.max_concurrent_streams == 0 {
            return Err("http3 max_concurrent_streams must be at least 1");
        }
        if self.stream_receive_window == 0 || self.connection_receive_window == 0 {
            return Err("HTTP/3 receive windows must be greater than zero");
        }
        // quinn's idle timeout is in milliseconds, at most 2^62 − 1 of them.
        if self.idle_timeout.is_zero() || self.idle_timeout.as_millis() > u128::from(MAX_VARINT) {
            return Err("HTTP/3 idle timeout must be greater than zero");
        }
        if self.keep_alive_interval.is_some_and(|d| d.is_zero()) {
            return Err("HTTP/3 keep-alive interval must be greater than zero");
        }
        Ok(())
    }

    /// The QUIC transport numbers; `handshake_timeout` is the server's TLS handshake timeout.
    pub(crate) fn quic(&self, handshake_timeout: Duration) -> QuicSettings {
        QuicSettings {
            idle_timeout: self.idle_timeout,
            max_bidi_streams: self.max_concurrent_streams,
            stream_window: self.stream_receive_window,
            connection_window: self.connection_receive_window,
            keep_alive_interval: self.keep_alive_interval,
            zero_rtt: self.zero_rtt,
            handshake_timeout,
        }
    }

    /// The `h3` connection builder; `max_header_bytes` bounds a decoded header section (a
    /// larger one is answered 431 by `h3`).
    pub(crate) fn builder(&self, max_header_bytes: usize) -> h3::server::Builder {
        let mut b = h3::server::builder();
        b.max_field_section_size(max_header_bytes as u64)
            .send_grease(self.send_grease);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert_eq!(H3Config::default().validate(), Ok(()));
        let bad = H3Config {
            max_concurrent_streams: 0,
            ..H3Config::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .contains("max_concurrent_streams"));
        let bad = H3Config {
            idle_timeout: Duration::ZERO,
            ..H3Config::default()
        };
        assert!(bad.validate().unwrap_err().contains("idle timeout"));
    }
}
