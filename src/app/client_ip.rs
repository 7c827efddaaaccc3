//! The client's IP address behind reverse proxies: [`RequestContext::client_ip`] and the server
//! options that say which proxies to believe ([`Server::trusted_proxies`],
//! [`Server::client_ip_headers`]).
//!
//! By default no proxy is trusted and the client IP is the TCP peer's address — safer than
//! Hertz, which trusts every address and so lets any client spoof `X-Forwarded-For`. Once the
//! peer is a trusted proxy, the forwarding headers are read in order (`X-Forwarded-For`, then
//! `X-Real-IP`): each list is walked right to left, skipping trusted proxies, and the first
//! untrusted address is the client. A header holding garbage is ignored as a whole (no hop
//! behind an unparsable one can be believed); when no header yields an address, the peer's is
//! used. The configuration is frozen into the app when the server starts.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use super::context::RequestContext;
use super::server::Server;
use crate::{Error, ErrorKind, Result};

/// Which peers are trusted proxies and which headers they forward the client address in.
#[derive(Debug, Clone)]
pub(crate) struct ClientIpConfig {
    trusted: Vec<IpNet>,
    headers: Vec<String>,
}

impl Default for ClientIpConfig {
    fn default() -> Self {
        ClientIpConfig {
            trusted: Vec::new(),
            headers: vec!["x-forwarded-for".to_owned(), "x-real-ip".to_owned()],
        }
    }
}

impl ClientIpConfig {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client address for a request from `peer`; `header_values(name)` yields every value
    /// of request header `name` (lower-case).
    pub(crate) fn resolve<'c, 'h, F, I>(&'c self, peer: IpAddr, header_values: F) -> IpAddr
    where
        F: Fn(&'c str) -> I,
        I: Iterator<Item = &'h [u8]>,
    {
        let peer = peer.to_canonical();
        if !self.is_trusted(peer) {
            return peer;
        }
        self.headers
            .iter()
            .find_map(|name| self.walk_header(header_values(name)))
            .unwrap_or(peer)
    }

    /// Walks every value of one header (all lines, in order, as one comma-separated list)
    /// from the right. `None` if the header is absent, empty, or holds an unparsable hop.
    fn walk_header<'h>(&self, values: impl Iterator<Item = &'h [u8]>) -> Option<IpAddr> {
        let mut hops = Vec::new();
        for value in values {
            let text = std::str::from_utf8(value).ok()?;
            for hop in text.split(',') {
                hops.push(parse_hop(hop)?);
            }
        }
        let mut rest = hops.iter().rev().peekable();
        while let Some(&ip) = rest.next() {
            // The leftmost address is the client even if it is a trusted one.
            if rest.peek().is_none() || !self.is_trusted(ip) {
                return Some(ip);
            }
        }
        None
    }
}

/// One forwarded hop: an IP, optionally with a port (`1.2.3.4:80`, `[::1]:80`) or in brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<IpAddr>()
                .ok()
        })?;
    Some(ip.to_canonical())
}

/// Parses `10.0.0.0/8`, `fd00::/8`, or a bare address (a single host).
fn parse_net(s: &str) -> Result<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            Error::new(
                ErrorKind::Config,
                format!("trusted_proxies: {s:?} is neither a CIDR nor an IP address"),
            )
        })
}

impl Server {
    /// Trusts the proxies in these networks (`"10.0.0.0/8"`, `"fd00::/8"`) or at these
    /// addresses (`"127.0.0.1"`) to report the client address in forwarding headers; see
    /// [`RequestContext::client_ip`]. Replaces an earlier list. An entry that is neither a
    /// CIDR nor an address is reported by `start` / `spin`, naming it.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// let server = Server::default().trusted_proxies(["10.0.0.0/8", "127.0.0.1"]);
    /// ```
    pub fn trusted_proxies<I, S>(mut self, proxies: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut nets = Vec::new();
        for p in proxies {
            match parse_net(p.as_ref()) {
                Ok(net) => nets.push(net),
                Err(e) => self.option_errors.push(e),
            }
        }
        self.opts.client_ip.trusted = nets;
        self
    }

    /// The headers a trusted proxy puts the client address in, tried in order (default
    /// `X-Forwarded-For`, then `X-Real-IP`). Each is read as a comma-separated list of
    /// addresses, nearest proxy last.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// let server = Server::default()
    ///     .trusted_proxies(["10.0.0.0/8"])
    ///     .client_ip_headers(["CF-Connecting-IP", "X-Forwarded-For"]);
    /// ```
    pub fn client_ip_headers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.opts.client_ip.headers = names
            .into_iter()
            .map(|n| n.as_ref().trim().to_ascii_lowercase())
            .collect();
        self
    }
}

impl RequestContext {
    /// The client's IP address (Hertz `ClientIP`).
    ///
    /// Without [`trusted_proxies`](Server::trusted_proxies) this is the TCP peer's address
    /// and forwarding headers are ignored — a client cannot claim to be someone else. When the
    /// peer is a trusted proxy, the [`client_ip_headers`](Server::client_ip_headers) are
    /// consulted (right to left, skipping trusted proxies); garbage in them is ignored.
    /// IPv4-mapped IPv6 addresses are returned as IPv4.
    ///
    /// ```
    /// use khz::prelude::*;
    ///
    /// async fn whoami(ctx: &mut RequestContext) {
    ///     let ip = ctx.client_ip().to_string();
    ///     ctx.string(StatusCode::OK, ip);
    /// }
    /// ```
    pub fn client_ip(&self) -> std::net::IpAddr {
        let headers = self.headers();
        self.app
            .client_ip
            .resolve(self.remote_addr().ip(), |name| headers.get_all(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(trusted: &[&str]) -> ClientIpConfig {
        ClientIpConfig {
            trusted: trusted.iter().map(|t| parse_net(t).unwrap()).collect(),
            ..ClientIpConfig::default()
        }
    }

    fn resolve(cfg: &ClientIpConfig, peer: &str, headers: &[(&str, &str)]) -> String {
        let peer: IpAddr = peer.parse().unwrap();
        cfg.resolve(peer, |name| {
            headers
                .iter()
                .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_bytes())
        })
        .to_string()
    }

    #[test]
    fn nets_and_bare_addresses_parse_garbage_does_not() {
        assert_eq!(parse_net("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            parse_net(" 127.0.0.1 ").unwrap().to_string(),
            "127.0.0.1/32"
        );
        assert_eq!(parse_net("::1").unwrap().to_string(), "::1/128");
        for bad in ["10.0.0.0/33", "10.0.0", "", "localhost", "1.2.3.4/8/1"] {
            let e = parse_net(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
        }
    }

    #[test]
    fn hops_with_ports_brackets_and_mapped_addresses() {
        assert_eq!(parse_hop(" 1.2.3.4 "), "1.2.3.4".parse().ok());
        assert_eq!(parse_hop("1.2.3.4:8080"), "1.2.3.4".parse().ok());
        assert_eq!(parse_hop("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
        assert_eq!(parse_hop("[2001:db8::1]"), "2001:db8::1".parse().ok());
        assert_eq!(parse_hop("::ffff:10.1.2.3"), "10.1.2.3".parse().ok());
        assert_eq!(parse_hop("unknown"), None);
        assert_eq!(parse_hop(""), None);
    }

    #[test]
    fn walks_right_to_left_across_header_lines() {
        let cfg = config(&["10.0.0.0/8"]);
        let xff = [
            ("x-forwarded-for", "203.0.113.9, 198.51.100.1"),
            ("X-Forwarded-For", "10.0.0.2"),
        ];
        assert_eq!(resolve(&cfg, "10.0.0.1", &xff), "198.51.100.1");
        // Every hop trusted: the leftmost one is the client.
        let all = [("x-forwarded-for", "10.9.9.9, 10.0.0.2")];
        assert_eq!(resolve(&cfg, "10.0.0.1", &all), "10.9.9.9");
        // A mapped peer address is trusted like its IPv4 form.
        assert_eq!(resolve(&cfg, "::ffff:10.0.0.1", &xff), "198.51.100.1");
    }
}
