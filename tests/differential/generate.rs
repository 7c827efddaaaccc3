//! Requests for the differential test: the known smuggling shapes first, then requests built
//! from the grammar's pieces (methods, target forms, versions, `Host` forms, every framing —
//! none, `Content-Length`, chunked with extensions and trailers, conflicting ones — and a
//! pipelined request behind), most of them then mutated at random: a hostile byte inserted or
//! replaced, a byte dropped, a CRLF cut to LF or CR, a line doubled, a space slipped in, the
//! input cut short. A fixed seed: every run tests the same inputs.

/// xorshift64*: small, deterministic, good enough to pick from lists.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// `n` inputs (the fixed vectors included).
pub fn cases(n: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out: Vec<Vec<u8>> = KNOWN.iter().map(|k| k.to_vec()).collect();
    while out.len() < n {
        let mut req = request(&mut rng);
        if rng.chance(60) {
            for _ in 0..1 + rng.below(3) {
                mutate(&mut rng, &mut req);
            }
        }
        out.push(req);
    }
    out
}

/// Smuggling shapes from the issue tracker and the literature, each as one input.
const KNOWN: &[&[u8]] = &[
    b"POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2;\nxx\r\n45\r\n0\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x\nabc\r\n0\r\n\r\n",
    b"POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;\x00\r\nabc\r\n0\r\n\r\n",
    b"POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\"x\r\nabc\r\n0\r\n\r\n",
    b"POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n folded\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\nabc\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n 3\r\nabc\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\rabc\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\rX: y\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\x00X: y\r\n\r\n",
    b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
    b"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET http://a@b/ HTTP/1.1\r\nHost: b\r\n\r\n",
    b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
];

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"];
const TARGETS: &[&str] = &[
    "/",
    "/a/b?c=d&e",
    "/%41%2f",
    "http://h.example/p?q",
    "http://h.example:8080",
    "*",
    "/x;y",
    "/a#f",
    "//a",
    "/\u{e9}",
    "/a?b=c d",
];
const VERSIONS: &[&str] = &[
    "HTTP/1.0",
    "HTTP/1.2",
    "HTTP/2.0",
    "HTTP/0.9",
    "HTTP/1.10",
    "http/1.1",
    "HTTP/1",
];
const HOSTS: &[&str] = &[
    "a",
    "a:80",
    "h.example",
    "[::1]:8080",
    "127.0.0.1",
    "a b",
    "",
    "a:",
    "a:x",
    "a/b",
];
const EXTRAS: &[&str] = &[
    "Accept: */*",
    "X-Empty:",
    "X-Sp:   v  ",
    "X-Tab:\tv\t",
    "Cookie: a=b; c=d",
    "Connection: keep-alive",
    "Connection: close",
    "User-Agent: differential/1.0",
    "X-Utf8: \u{e9}t\u{e9}",
    "X-Quote: \"a,b\"",
];
const TE: &[&str] = &[
    "chunked",
    "Chunked",
    "CHUNKED",
    "gzip, chunked",
    "chunked, gzip",
    "chunked ",
    "gzip",
    "chunked,chunked",
    "identity",
];
const EXTS: &[&str] = &[
    ";a",
    ";a=b",
    ";a=\"x y\"",
    ";a=\"q\\\"\"",
    " ; a = b",
    ";a;b=c",
    ";=b",
    ";a=",
    ";a=\"unterminated",
    ";\"x\"",
    ";a=b c",
    ";a\t=\tb",
    ";a=\"\\\u{1}\"",
];
const HOSTILE: &[u8] = b"\r\n\x00 \t\";=:,\x7f\x80\xff\\a0Fx+-/?#@[%\x0b";
const NEXT: &[u8] = b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n";

/// One request from the grammar's pieces, mostly well-formed.
fn request(rng: &mut Rng) -> Vec<u8> {
    let mut r = Vec::new();
    if rng.chance(5) {
        r.extend_from_slice(b"\r\n");
    }
    let method = *rng.pick(METHODS);
    let target = if method == "OPTIONS" && rng.chance(50) {
        "*"
    } else {
        rng.pick(TARGETS)
    };
    let version = if rng.chance(85) {
        "HTTP/1.1"
    } else {
        rng.pick(VERSIONS)
    };
    r.extend_from_slice(format!("{method} {target} {version}\r\n").as_bytes());
    let mut fields: Vec<String> = (0..rng.below(4))
        .map(|_| (*rng.pick(EXTRAS)).to_owned())
        .collect();
    if rng.chance(90) {
        let host = if rng.chance(70) { "a" } else { rng.pick(HOSTS) };
        let at = rng.below(fields.len() + 1);
        fields.insert(at, format!("Host: {host}"));
    }
    let body = match rng.below(10) {
        0..=2 => Vec::new(),
        3..=5 => {
            let data: Vec<u8> = (0..rng.below(20)).map(|i| b'a' + (i % 26) as u8).collect();
            let len = match rng.below(10) {
                0 => data.len() + 1,
                1 if !data.is_empty() => data.len() - 1,
                _ => data.len(),
            };
            fields.push(format!("Content-Length: {len}"));
            data
        }
        6..=8 => {
            let te = if rng.chance(70) {
                "chunked"
            } else {
                rng.pick(TE)
            };
            fields.push(format!("Transfer-Encoding: {te}"));
            chunked_body(rng)
        }
        _ => {
            fields.push("Content-Length: 5".into());
            fields.push("Transfer-Encoding: chunked".into());
            chunked_body(rng)
        }
    };
    for f in &fields {
        r.extend_from_slice(f.as_bytes());
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(&body);
    if rng.chance(30) {
        r.extend_from_slice(NEXT);
    }
    r
}

fn chunked_body(rng: &mut Rng) -> Vec<u8> {
    let mut b = Vec::new();
    for _ in 0..rng.below(4) {
        let size = 1 + rng.below(16);
        let hex = match rng.below(4) {
            0 => format!("{size:X}"),
            1 => format!("00{size:x}"),
            _ => format!("{size:x}"),
        };
        b.extend_from_slice(hex.as_bytes());
        if rng.chance(30) {
            b.extend_from_slice(rng.pick(EXTS).as_bytes());
        }
        b.extend_from_slice(b"\r\n");
        b.extend((0..size).map(|i| b'A' + (i % 26) as u8));
        b.extend_from_slice(b"\r\n");
    }
    b.push(b'0');
    if rng.chance(20) {
        b.extend_from_slice(rng.pick(EXTS).as_bytes());
    }
    b.extend_from_slice(b"\r\n");
    if rng.chance(20) {
        b.extend_from_slice(b"X-Trailer: t\r\n");
    }
    b.extend_from_slice(b"\r\n");
    b
}

/// One random damage to `r`.
fn mutate(rng: &mut Rng, r: &mut Vec<u8>) {
    if r.is_empty() {
        return;
    }
    let at = rng.below(r.len());
    let crlfs: Vec<usize> = r
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"\r\n")
        .map(|(i, _)| i)
        .collect();
    match rng.below(8) {
        0 => r.insert(at, *rng.pick(HOSTILE)),
        1 => r[at] = *rng.pick(HOSTILE),
        2 => {
            r.remove(at);
        }
        3 if !crlfs.is_empty() => {
            let i = *rng.pick(&crlfs);
            r.remove(i);
        }
        4 if !crlfs.is_empty() => {
            let i = *rng.pick(&crlfs);
            r.remove(i + 1);
        }
        5 if !crlfs.is_empty() => {
            // Double a line (from after one CRLF to the end of the next).
            let i = *rng.pick(&crlfs);
            if let Some(&j) = crlfs.iter().find(|&&j| j > i) {
                let line = r[i + 2..j + 2].to_vec();
                r.splice(j + 2..j + 2, line);
            }
        }
        6 => {
            let spots: Vec<usize> = r
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b':' || b == b'\r' || b == b';')
                .map(|(i, _)| i)
                .collect();
            if !spots.is_empty() {
                let i = *rng.pick(&spots);
                r.insert(i, if rng.chance(50) { b' ' } else { b'\t' });
            }
        }
        _ => r.truncate(at),
    }
}
