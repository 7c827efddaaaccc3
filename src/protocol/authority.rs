//! Checking a request's authority — the `Host` header, the authority of an absolute-form
//! target, HTTP/2's `:authority` — against RFC 3986's `host [ ":" port ]` (what RFC 9110 §7.2
//! calls `uri-host [ ":" port ]`): a reg-name (unreserved, pct-encoded, sub-delims; an IPv4
//! address is one too), or an IP-literal `[IPv6]` / `[vX.future]`, then an optional port of
//! digits only. No spaces, no userinfo (`user@`), nothing else. Both HTTP drivers call it so a
//! malformed authority is a 400 whichever protocol carried it — the router, virtual-host logic
//! and redirects above never see a host that a proxy may have read differently.

use std::net::Ipv6Addr;

/// Whether `v` is a valid `host [ ":" port ]`. An empty host is valid here (RFC 9110 §7.2
/// allows `Host:` with an empty value); callers that need a host check for emptiness.
pub(crate) fn is_valid_authority(v: &[u8]) -> bool {
    let (host, port) = if v.first() == Some(&b'[') {
        let Some(close) = v.iter().position(|&b| b == b']') else {
            return false;
        };
        if !is_ip_literal(&v[1..close]) {
            return false;
        }
        match &v[close + 1..] {
            [] => return true,
            [b':', port @ ..] => (&v[..0], port),
            _ => return false,
        }
    } else {
        match v.iter().position(|&b| b == b':') {
            Some(i) => (&v[..i], &v[i + 1..]),
            None => (v, &v[..0]),
        }
    };
    is_reg_name(host) && port.iter().all(u8::is_ascii_digit)
}

/// The host part of a valid authority (`[::1]:80` → `[::1]`), for emptiness checks.
pub(crate) fn host_of(v: &[u8]) -> &[u8] {
    if v.first() == Some(&b'[') {
        let end = v.iter().position(|&b| b == b']').map_or(v.len(), |i| i + 1);
        return &v[..end];
    }
    let end = v.iter().position(|&b| b == b':').unwrap_or(v.len());
    &v[..end]
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// `reg-name = *( unreserved / pct-encoded / sub-delims )` (covers IPv4 addresses).
fn is_reg_name(v: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = v.get(i) {
        if b == b'%' {
            match v.get(i + 1..i + 3) {
                Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else if is_unreserved(b) || is_sub_delim(b) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// The inside of `[...]`: an IPv6 address, or `IPvFuture = "v" 1*HEXDIG "." 1*( unreserved /
/// sub-delims / ":" )`.
fn is_ip_literal(v: &[u8]) -> bool {
    if let [b'v' | b'V', rest @ ..] = v {
        let Some(dot) = rest.iter().position(|&b| b == b'.') else {
            return false;
        };
        let (ver, tail) = (&rest[..dot], &rest[dot + 1..]);
        return !ver.is_empty()
            && ver.iter().all(u8::is_ascii_hexdigit)
            && !tail.is_empty()
            && tail
                .iter()
                .all(|&b| is_unreserved(b) || is_sub_delim(b) || b == b':');
    }
    std::str::from_utf8(v).is_ok_and(|s| s.parse::<Ipv6Addr>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_authorities() {
        for v in [
            "",
            "a",
            "example.com",
            "example.com:8080",
            "a:",
            "127.0.0.1:80",
            "[::1]",
            "[::1]:80",
            "[2001:db8::7]:443",
            "[v1.fe:80]",
            "xn--bcher-kva.example",
            "a%20b",
            "a!$&'()*+,;=b",
            "UPPER.case_~-",
        ] {
            assert!(is_valid_authority(v.as_bytes()), "{v:?} refused");
        }
    }

    #[test]
    fn invalid_authorities() {
        for v in [
            "a b",
            " a",
            "a:b",
            "a:80:80",
            "a:8 0",
            "user@h",
            "user:pw@h:80",
            "[::1",
            "[::1]x",
            "[::1]:x",
            "::1",
            "[zz]",
            "[v.x]",
            "[v1.]",
            "a%2",
            "a%zz",
            "a/b",
            "a?b",
            "a#b",
            "a\tb",
            "a\"b",
            "h\u{e9}",
            "a\\b",
        ] {
            assert!(!is_valid_authority(v.as_bytes()), "{v:?} accepted");
        }
    }

    #[test]
    fn host_part() {
        assert_eq!(host_of(b"[::1]:80"), b"[::1]");
        assert_eq!(host_of(b"a:80"), b"a");
        assert_eq!(host_of(b":80"), b"");
    }
}
