//! Static files through a real server: index files and the redirect to a trailing slash, 404s,
//! content types, validators and every conditional request (304 / 412 / 200), byte ranges
//! (206, suffix, open-ended, 416, several → `multipart/byteranges`, overlapping → 200), a
//! resumed download checked byte for byte, precompressed `.gz` / `.br` siblings chosen by
//! `Accept-Encoding`, directory listings, path traversal attempts sent as raw bytes, dotfiles
//! (hidden, allowed, `.well-known/` only), a symlink swapped in and out while requests run,
//! and a 64 MiB file streamed whole.
//!
//! What does not depend on HTTP/1.1 bytes runs over every protocol (`Proto::all()`: HTTP/1.1 on
//! raw sockets, h2c and HTTP/2 over TLS through hyper's client).

mod common;
mod proto;

use std::path::{Path, PathBuf};

use common::*;
use khz::app::fs::{Dotfiles, StaticDir};
use khz::prelude::*;
use proto::{At, Proto};
use tempfile::TempDir;

const SECRET: &str = "TOP-SECRET-OUTSIDE-THE-ROOT";

/// `n` bytes that never repeat a 64-bit word within a test file (xorshift64*).
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(n);
    out
}

/// A temp dir holding `public/` (the root) and, beside it, `secret.txt` that must never be
/// served.
struct Site {
    dir: TempDir,
    big: Vec<u8>,
}

impl Site {
    fn root(&self) -> PathBuf {
        self.dir.path().join("public")
    }

    fn secret(&self) -> PathBuf {
        self.dir.path().join("secret.txt")
    }
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("public");
    let big = noise(300 * 1024 + 17, 0x5eed);
    write(&dir.path().join("secret.txt"), SECRET);
    write(&root.join("index.html"), "<h1>home</h1>");
    write(&root.join("style.css"), "body{}");
    write(&root.join("app.js"), "let a=1;");
    write(&root.join("data.json"), "{}");
    write(&root.join("logo.png"), [0x89, b'P', b'N', b'G']);
    write(&root.join("blob.unknownext"), "??");
    write(&root.join("big.bin"), &big);
    write(&root.join("empty.txt"), "");
    write(&root.join("docs/index.html"), "<h1>docs</h1>");
    write(&root.join("docs/guide.txt"), "guide");
    write(&root.join("nodex/a.txt"), "a");
    write(&root.join("page.html"), "<p>plain page</p>");
    write(&root.join("page.html.gz"), "GZIP-BYTES");
    write(&root.join("page.html.br"), "BROTLI-BYTES");
    write(&root.join("only-gz.css"), "plain css");
    write(&root.join("only-gz.css.gz"), "GZ-CSS");
    write(&root.join("a b/ü.txt"), "unicode");
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(dir.path().join("secret.txt"), root.join("link-out")).unwrap();
        symlink(dir.path(), root.join("dir-out")).unwrap();
        symlink(root.join("style.css"), root.join("link-in.css")).unwrap();
        symlink("../secret.txt", root.join("rel-out")).unwrap();
        symlink("style.css", root.join("rel-in.css")).unwrap();
    }
    // Dotfiles, hidden unless `StaticDir::dotfiles` says otherwise.
    write(&root.join(".env"), "DB_PASSWORD=hunter2");
    write(&root.join(".env.gz"), "GZ-DOTENV");
    write(&root.join(".git/config"), "[core] git-config");
    write(&root.join("sub/.hidden"), "hidden-in-sub");
    write(&root.join("sub/seen.txt"), "seen");
    write(&root.join(".well-known/x"), "well-known-x");
    write(&root.join(".well-known/.y"), "dot-in-well-known");
    Site { dir, big }
}

async fn start_at(proto: Proto, s: Server) -> (khz::app::ServerHandle, At) {
    let (h, addr) = proto.start(s).await;
    (h, At { proto, addr })
}

async fn serve_with(proto: Proto, dir: StaticDir) -> (khz::app::ServerHandle, At) {
    let s = server();
    s.get("/ok", ok);
    s.static_fs("/assets", dir);
    start_at(proto, s).await
}

async fn serve(proto: Proto, site: &Site) -> (khz::app::ServerHandle, At) {
    serve_with(proto, StaticDir::new(site.root())).await
}

/// `method path` with extra header lines, on a fresh connection: raw bytes for HTTP/1.1,
/// hyper's client for HTTP/2.
async fn req(at: At, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    at.request(method, path, headers, "").await
}

/// `GET path` on a fresh connection.
async fn get(at: At, path: &str) -> Resp {
    req(at, "GET", path, &[]).await
}

#[tokio::test]
async fn index_files_redirects_and_not_found() {
    for proto in Proto::all() {
        let site = site();
        let (_h, at) = serve(proto, &site).await;

        let r = get(at, "/assets/").await;
        assert_eq!((r.status, r.text().as_str()), (200, "<h1>home</h1>"));
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        let r = get(at, "/assets/docs/").await;
        assert_eq!((r.status, r.text().as_str()), (200, "<h1>docs</h1>"));

        let r = get(at, "/assets/docs?x=1").await;
        assert_eq!(r.status, 301);
        assert_eq!(r.header("location"), Some("/assets/docs/?x=1"));
        let r = get(at, "/assets").await;
        assert_eq!((r.status, r.header("location")), (301, Some("/assets/")));

        for missing in [
            "/assets/nope.txt",
            "/assets/docs/nope/",
            "/assets/nodex/",
            "/assets/style.css/",
        ] {
            let r = get(at, missing).await;
            assert_eq!(
                (r.status, r.text().as_str()),
                (404, "404 page not found"),
                "{missing}"
            );
        }
        let r = get(at, "/assets/a%20b/%C3%BC.txt").await;
        assert_eq!((r.status, r.text().as_str()), (200, "unicode"));
    }
}

#[tokio::test]
async fn custom_index_files_and_listing() {
    for proto in Proto::all() {
        let site = site();
        let dir = StaticDir::new(site.root())
            .index_files(["guide.txt"])
            .browse(true);
        let (_h, at) = serve_with(proto, dir).await;
        let r = get(at, "/assets/docs/").await;
        assert_eq!((r.status, r.text().as_str()), (200, "guide"));
        let r = get(at, "/assets/nodex/").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(
            r.text().contains("<a href=\"./a.txt\">a.txt</a>"),
            "{}",
            r.text()
        );
        let r = get(at, "/assets/").await;
        assert!(
            r.text().contains("<a href=\"./a%20b/\">a b/</a>"),
            "{}",
            r.text()
        );
        assert!(!r.text().contains(SECRET));
    }
}

#[tokio::test]
async fn content_types() {
    for proto in Proto::all() {
        let site = site();
        let (_h, at) = serve(proto, &site).await;
        for (path, ct) in [
            ("/assets/index.html", "text/html; charset=utf-8"),
            ("/assets/style.css", "text/css; charset=utf-8"),
            ("/assets/app.js", "text/javascript; charset=utf-8"),
            ("/assets/data.json", "application/json"),
            ("/assets/logo.png", "image/png"),
            ("/assets/big.bin", "application/octet-stream"),
            ("/assets/blob.unknownext", "application/octet-stream"),
            ("/assets/docs/guide.txt", "text/plain; charset=utf-8"),
        ] {
            let r = get(at, path).await;
            assert_eq!(
                (r.status, r.header("content-type")),
                (200, Some(ct)),
                "{path}"
            );
            assert_eq!(r.header("accept-ranges"), Some("bytes"));
        }
        let r = get(at, "/assets/empty.txt").await;
        assert_eq!((r.status, r.header("content-length")), (200, Some("0")));
    }
}

#[tokio::test]
async fn routes_are_listed_and_head_has_length_without_body() {
    let site = site();
    let s = server();
    s.static_dir("/assets", site.root());
    s.static_file("/favicon.ico", site.root().join("logo.png"));
    let routes: Vec<_> = s
        .routes()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path, r.handler))
        .collect();
    assert_eq!(routes.len(), 4);
    assert_eq!(
        (routes[0].0.as_str(), routes[0].1.as_str()),
        ("GET", "/assets/*filepath")
    );
    assert_eq!(
        (routes[1].0.as_str(), routes[1].1.as_str()),
        ("HEAD", "/assets/*filepath")
    );
    assert!(routes[0].2.ends_with("ServeDir"), "{}", routes[0].2);
    assert_eq!(
        (routes[2].0.as_str(), routes[2].1.as_str()),
        ("GET", "/favicon.ico")
    );
    assert!(routes[3].2.ends_with("ServeFile"), "{}", routes[3].2);
    let (_h, at) = start_at(Proto::Http1, s).await;

    let r = get(at, "/favicon.ico").await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &[0x89, b'P', b'N', b'G'][..])
    );
    assert_eq!(r.header("content-type"), Some("image/png"));

    // HEAD: the length is announced and no body follows — the next response on the same
    // connection parses cleanly.
    let mut c = Client::connect(at.addr).await;
    c.send("HEAD /assets/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let r = c.read_head_response().await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some(site.big.len().to_string().as_str())
    );
    assert!(r.header("etag").is_some());
    let r = c
        .request("GET /assets/style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "body{}"));
}

#[tokio::test]
async fn validators_and_conditional_requests() {
    for proto in Proto::all() {
        let site = site();
        let (_h, at) = serve(proto, &site).await;
        let r = get(at, "/assets/style.css").await;
        let etag = r.header("etag").expect("etag").to_owned();
        let lm = r.header("last-modified").expect("last-modified").to_owned();
        // Strong: inode, size and modification time in nanoseconds.
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        let weak = format!("W/{etag}");
        let listed = format!("\"other\", {etag}");
        let mtime = std::fs::metadata(site.root().join("style.css"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(lm, httpdate::fmt_http_date(mtime));
        let long_ago = "Mon, 01 Jan 2001 00:00:00 GMT";
        let future = "Fri, 01 Jan 2100 00:00:00 GMT";

        let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
            (vec![("If-None-Match", &etag)], 304),
            (vec![("If-None-Match", "\"other\", W/\"x\"")], 200),
            (vec![("If-None-Match", "*")], 304),
            (vec![("If-Modified-Since", &lm)], 304),
            (vec![("If-Modified-Since", future)], 304),
            (vec![("If-Modified-Since", long_ago)], 200),
            (vec![("If-Modified-Since", "not a date")], 200),
            // If-None-Match takes precedence over If-Modified-Since.
            (
                vec![("If-None-Match", "\"other\""), ("If-Modified-Since", &lm)],
                200,
            ),
            (vec![("If-None-Match", &weak)], 304),
            (vec![("If-Match", "\"other\"")], 412),
            // The strong tag satisfies If-Match, alone or in a list; its weak form never does.
            (vec![("If-Match", &etag)], 200),
            (vec![("If-Match", &listed)], 200),
            (vec![("If-Match", &weak)], 412),
            (vec![("If-Match", "*")], 200),
            (vec![("If-Unmodified-Since", long_ago)], 412),
            (vec![("If-Unmodified-Since", &lm)], 200),
            // 412 outranks 304.
            (
                vec![("If-Match", "\"other\""), ("If-None-Match", &etag)],
                412,
            ),
        ];
        for (headers, status) in cases {
            let r = req(at, "GET", "/assets/style.css", &headers).await;
            assert_eq!(r.status, status, "{headers:?}");
            match status {
                304 => {
                    assert!(r.body.is_empty());
                    assert_eq!(r.header("content-length"), None);
                    assert_eq!(r.header("etag"), Some(etag.as_str()));
                }
                200 => assert_eq!(r.text(), "body{}"),
                _ => assert!(!r.text().contains("body{}")),
            }
        }
        // HEAD is conditional too.
        let r = req(at, "HEAD", "/assets/style.css", &[("If-None-Match", &etag)]).await;
        assert_eq!(r.status, 304);
    }
}

#[tokio::test]
async fn byte_ranges() {
    for proto in Proto::all() {
        let site = site();
        let (_h, at) = serve(proto, &site).await;
        let big = &site.big;
        let len = big.len();

        let r = req(at, "GET", "/assets/big.bin", &[("Range", "bytes=0-99")]).await;
        assert_eq!(r.status, 206);
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes 0-99/{len}").as_str())
        );
        assert_eq!(r.header("content-length"), Some("100"));
        assert_eq!(r.body, big[..100]);

        let r = req(
            at,
            "GET",
            "/assets/big.bin",
            &[("Range", "bytes=1000-70000")],
        )
        .await;
        assert_eq!((r.status, r.body.len()), (206, 69_001));
        assert_eq!(r.body, big[1000..=70000]);

        let r = req(at, "GET", "/assets/big.bin", &[("Range", "bytes=-500")]).await;
        assert_eq!(r.status, 206);
        let want = format!("bytes {}-{}/{len}", len - 500, len - 1);
        assert_eq!(r.header("content-range"), Some(want.as_str()));
        assert_eq!(r.body, big[len - 500..]);

        let r = req(at, "GET", "/assets/big.bin", &[("Range", "bytes=300000-")]).await;
        assert_eq!(r.status, 206);
        assert_eq!(r.body, big[300_000..]);

        let r = req(
            at,
            "GET",
            "/assets/big.bin",
            &[("Range", &format!("bytes={len}-"))],
        )
        .await;
        assert_eq!(r.status, 416);
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes */{len}").as_str())
        );

        // Several ranges: a multipart/byteranges body, parts in the order asked.
        let want = [(len - 10, len - 1), (0, 1), (70_000, 140_000)];
        let h = format!("bytes=-10,0-1,70000-140000,{len}-");
        let r = req(at, "GET", "/assets/big.bin", &[("Range", &h)]).await;
        assert_eq!(r.status, 206);
        assert_eq!(r.header("content-range"), None);
        let ct = r.header("content-type").expect("content-type");
        let boundary = ct
            .strip_prefix("multipart/byteranges; boundary=")
            .unwrap_or_else(|| panic!("{ct}"));
        let length: usize = r.header("content-length").unwrap().parse().unwrap();
        assert_eq!(r.body.len(), length);
        let mut rest = &r.body[..];
        for (i, &(start, end)) in want.iter().enumerate() {
            let lead = if i == 0 { "" } else { "\r\n" };
            let head = format!(
                "{lead}--{boundary}\r\nContent-Type: application/octet-stream\r\n\
                 Content-Range: bytes {start}-{end}/{len}\r\n\r\n"
            );
            assert!(rest.starts_with(head.as_bytes()), "part {i}");
            rest = &rest[head.len()..];
            let n = end - start + 1;
            assert!(rest[..n] == big[start..=end], "part {i} bytes");
            rest = &rest[n..];
        }
        assert_eq!(rest, format!("\r\n--{boundary}--\r\n").as_bytes());

        // Overlapping ranges adding up to more than the file get the whole file (as Go does),
        // as does a malformed header.
        for h in ["bytes=0-,0-", "bytes=9-2", "lines=1-2"] {
            let r = req(at, "GET", "/assets/big.bin", &[("Range", h)]).await;
            assert_eq!((r.status, r.header("content-range")), (200, None), "{h}");
            assert_eq!(r.body, *big, "{h}");
        }

        // HEAD with a range announces the partial length only.
        let r = req(at, "HEAD", "/assets/big.bin", &[("Range", "bytes=10-19")]).await;
        assert_eq!((r.status, r.header("content-length")), (206, Some("10")));
        let r = req(at, "HEAD", "/assets/big.bin", &[("Range", "bytes=0-1,5-9")]).await;
        assert_eq!(r.status, 206);
        assert!(r.body.is_empty());
        assert!(r
            .header("content-length")
            .is_some_and(|n| n.parse::<u64>().unwrap() > 7));
    }
}

#[tokio::test]
async fn resumed_download_is_byte_for_byte() {
    for proto in Proto::all() {
        let site = site();
        let (_h, at) = serve(proto, &site).await;
        let big = &site.big;
        let cut = 123_457;

        // The first attempt stops after `cut` bytes.
        let first = req(
            at,
            "GET",
            "/assets/big.bin",
            &[("Range", &format!("bytes=0-{}", cut - 1))],
        )
        .await;
        assert_eq!(first.status, 206);
        let lm = first
            .header("last-modified")
            .expect("last-modified")
            .to_owned();
        // The resume asks for the rest, provided the file did not change.
        let rest = req(
            at,
            "GET",
            "/assets/big.bin",
            &[("Range", &format!("bytes={cut}-")), ("If-Range", &lm)],
        )
        .await;
        assert_eq!(rest.status, 206);
        let want = format!("bytes {cut}-{}/{}", big.len() - 1, big.len());
        assert_eq!(rest.header("content-range"), Some(want.as_str()));
        let mut whole = first.body.clone();
        whole.extend_from_slice(&rest.body);
        assert_eq!(whole.len(), big.len());
        assert!(whole == *big, "the resumed download differs from the file");

        // The strong ETag resumes too.
        let etag = first.header("etag").expect("etag");
        let r = req(
            at,
            "GET",
            "/assets/big.bin",
            &[("Range", &format!("bytes={cut}-")), ("If-Range", etag)],
        )
        .await;
        assert_eq!(r.status, 206);
        assert!(r.body == big[cut..]);

        // A stale validator gets the whole, current file instead of a mismatched tail.
        let weak = format!("W/{etag}");
        for stale in ["Mon, 01 Jan 2001 00:00:00 GMT", "\"1-2-3\"", weak.as_str()] {
            let r = req(
                at,
                "GET",
                "/assets/big.bin",
                &[("Range", &format!("bytes={cut}-")), ("If-Range", stale)],
            )
            .await;
            assert_eq!(
                (r.status, r.header("content-range")),
                (200, None),
                "{stale}"
            );
            assert!(r.body == *big);
        }
    }
}

#[tokio::test]
async fn precompressed_siblings_follow_accept_encoding() {
    for proto in Proto::all() {
        let site = site();
        let (_h, at) = serve_with(proto, StaticDir::new(site.root()).precompressed(true)).await;
        let cases: [(Option<&str>, Option<&str>, &str); 9] = [
            (Some("gzip"), Some("gzip"), "GZIP-BYTES"),
            (Some("gzip, br"), Some("br"), "BROTLI-BYTES"),
            (Some("br;q=0.5, gzip"), Some("gzip"), "GZIP-BYTES"),
            (Some("br;q=0, gzip;q=0.1"), Some("gzip"), "GZIP-BYTES"),
            (Some("gzip;q=0"), None, "<p>plain page</p>"),
            (Some("br;q=0, gzip;q=0"), None, "<p>plain page</p>"),
            (Some("identity"), None, "<p>plain page</p>"),
            (Some("deflate"), None, "<p>plain page</p>"),
            (None, None, "<p>plain page</p>"),
        ];
        let mut etags = std::collections::HashSet::new();
        for (ae, coding, body) in cases {
            let headers: Vec<(&str, &str)> =
                ae.map(|v| ("Accept-Encoding", v)).into_iter().collect();
            let r = req(at, "GET", "/assets/page.html", &headers).await;
            assert_eq!(r.status, 200, "{ae:?}");
            assert_eq!(r.header("content-encoding"), coding, "{ae:?}");
            assert_eq!(r.text(), body, "{ae:?}");
            assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
            assert_eq!(r.header("vary"), Some("Accept-Encoding"));
            etags.insert((coding, r.header("etag").unwrap().to_owned()));
        }
        assert_eq!(etags.len(), 3, "each variant has its own ETag: {etags:?}");
        // Each variant's tag is strong and satisfies If-Match for that variant only.
        let gz_tag = etags
            .iter()
            .find(|(c, _)| *c == Some("gzip"))
            .map(|(_, t)| t.clone())
            .unwrap();
        assert!(
            gz_tag.starts_with('"') && gz_tag.ends_with("-gz\""),
            "{gz_tag}"
        );
        for (ae, status) in [("gzip", 200), ("br", 412), ("identity", 412)] {
            let headers = [("Accept-Encoding", ae), ("If-Match", gz_tag.as_str())];
            let r = req(at, "GET", "/assets/page.html", &headers).await;
            assert_eq!(r.status, status, "{ae}");
        }
        // Only a .gz exists: br-only clients get the plain file.
        let r = req(
            at,
            "GET",
            "/assets/only-gz.css",
            &[("Accept-Encoding", "br")],
        )
        .await;
        assert_eq!(
            (r.header("content-encoding"), r.text().as_str()),
            (None, "plain css")
        );
        let r = req(
            at,
            "GET",
            "/assets/only-gz.css",
            &[("Accept-Encoding", "br, gzip")],
        )
        .await;
        assert_eq!(
            (r.header("content-encoding"), r.text().as_str()),
            (Some("gzip"), "GZ-CSS")
        );
        // Index files are negotiated too; without `precompressed` siblings are ignored.
        let (_h2, plain) = serve(proto, &site).await;
        let r = req(
            plain,
            "GET",
            "/assets/page.html",
            &[("Accept-Encoding", "gzip")],
        )
        .await;
        assert_eq!(
            (r.header("content-encoding"), r.header("vary")),
            (None, None)
        );
        assert_eq!(r.text(), "<p>plain page</p>");
    }
}

#[tokio::test]
async fn traversal_attempts_never_leave_the_root() {
    let site = site();
    let (_h, at) = serve_with(Proto::Http1, StaticDir::new(site.root()).browse(true)).await;
    assert!(site.secret().exists());
    let secret_abs = site.secret().display().to_string();
    let mut attempts: Vec<String> = [
        "/assets/../secret.txt",
        "/assets/%2e%2e/secret.txt",
        "/assets/%2E%2E/secret.txt",
        "/assets/.%2e/secret.txt",
        "/assets/%2e%2e%2fsecret.txt",
        "/assets/..%2fsecret.txt",
        "/assets/docs/..%2f..%2fsecret.txt",
        "/assets/docs/../../secret.txt",
        "/assets/./../secret.txt",
        "/assets/..%5csecret.txt",
        "/assets/..\\secret.txt",
        "/assets/%5c..%5csecret.txt",
        "/assets/%00../secret.txt",
        "/assets/index.html%00.txt",
        "/assets/%c0%ae%c0%ae/secret.txt",
        "/assets/%252e%252e/secret.txt",
        "/assets/..;/secret.txt",
        "/assets/link-out",
        "/assets/rel-out",
        "/assets/dir-out/secret.txt",
        "/assets/dir-out/",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    attempts.push(format!("/assets/{secret_abs}"));
    attempts.push(format!("/assets//{secret_abs}"));
    attempts.push(format!("/assets/%2f{}", secret_abs.trim_start_matches('/')));
    for path in &attempts {
        let mut c = Client::connect(at.addr).await;
        c.send_lenient(format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ))
        .await;
        let raw = c.read_to_eof().await;
        let text = String::from_utf8_lossy(&raw);
        let status = text.get(9..12).unwrap_or_default();
        assert!(
            status == "404" || status == "400",
            "{path:?} answered {:?}",
            text.lines().next()
        );
        assert!(!text.contains(SECRET), "{path:?} leaked the secret");
    }
    // A symlink that stays inside the root is served, absolute or relative.
    for inside in ["/assets/link-in.css", "/assets/rel-in.css"] {
        let r = get(at, inside).await;
        assert_eq!((r.status, r.text().as_str()), (200, "body{}"), "{inside}");
    }
    assert_still_serving(at.addr).await;
}

#[tokio::test]
async fn a_64_mib_file_streams_whole() {
    for proto in Proto::all() {
        let dir = tempfile::tempdir().unwrap();
        let data = noise(64 * 1024 * 1024, 42);
        write(&dir.path().join("huge.bin"), &data);
        let s = server();
        s.static_dir("/files", dir.path());
        let (_h, at) = start_at(proto, s).await;
        let r = get(at, "/files/huge.bin").await;
        assert_eq!(r.status, 200);
        assert!(!r.chunked, "a file goes out with a Content-Length");
        assert_eq!(r.header("content-length"), Some("67108864"));
        assert_eq!(r.body.len(), data.len());
        assert!(r.body == data, "the body differs from the file");
    }
}

async fn tag(ctx: &mut RequestContext) {
    ctx.next().await;
    ctx.set_header("x-group", "seen");
}

#[tokio::test]
async fn groups_and_raw_paths() {
    for proto in Proto::all() {
        let site = site();
        let s = server().use_raw_path(true);
        let g = s.group("/v1");
        g.middleware(tag);
        g.static_dir("/files", site.root());
        g.static_file("/style", site.root().join("style.css"));
        let (_h, at) = start_at(proto, s).await;

        let r = get(at, "/v1/files/docs/guide.txt").await;
        assert_eq!((r.status, r.text().as_str()), (200, "guide"));
        assert_eq!(r.header("x-group"), Some("seen"));
        let r = get(at, "/v1/style").await;
        assert_eq!((r.status, r.text().as_str()), (200, "body{}"));
        assert_eq!(r.header("x-group"), Some("seen"));
        // Routing on raw paths, the handler decodes the path itself — once.
        let r = get(at, "/v1/files/a%20b/%C3%BC.txt").await;
        assert_eq!((r.status, r.text().as_str()), (200, "unicode"));
        for bad in [
            "/v1/files/%2e%2e/secret.txt",
            "/v1/files/docs%2f..%2f..%2fsecret.txt",
            "/v1/files/%ff",
        ] {
            let r = get(at, bad).await;
            assert_eq!(r.status, 404, "{bad}");
            assert!(!r.text().contains(SECRET));
        }
    }
}

/// Paths of dotfiles in `site()`, as requested (`%2e` is a `.` once decoded).
const DOTFILES: [&str; 6] = [
    "/assets/.env",
    "/assets/%2eenv",
    "/assets/%2Egit/config",
    "/assets/.git/config",
    "/assets/sub/.hidden",
    "/assets/.well-known/x",
];

#[tokio::test]
async fn dotfiles_are_hidden_by_default() {
    for proto in Proto::all() {
        let site = site();
        let dir = StaticDir::new(site.root())
            .index_files(["guide.txt"])
            .precompressed(true)
            .browse(true);
        let (_h, at) = serve_with(proto, dir).await;
        for path in DOTFILES.iter().chain(&["/assets/.git/", "/assets/.env.gz"]) {
            let r = req(at, "GET", path, &[("Accept-Encoding", "gzip")]).await;
            assert_eq!(
                (r.status, r.text().as_str()),
                (404, "404 page not found"),
                "{path}"
            );
        }
        // A visible file next to a hidden one is served.
        let r = get(at, "/assets/sub/seen.txt").await;
        assert_eq!((r.status, r.text().as_str()), (200, "seen"));
        // Listings leave the hidden entries out.
        let r = get(at, "/assets/").await;
        assert_eq!(r.status, 200);
        for hidden in [".env", ".git", ".well-known"] {
            assert!(!r.text().contains(hidden), "{hidden} listed: {}", r.text());
        }
        assert!(r.text().contains("\"./sub/\""), "{}", r.text());
        let r = get(at, "/assets/sub/").await;
        assert!(r.text().contains("seen.txt") && !r.text().contains(".hidden"));
    }
}

#[tokio::test]
async fn dotfiles_hidden_under_raw_paths_too() {
    let site = site();
    let s = server().use_raw_path(true);
    s.static_dir("/assets", site.root());
    let (_h, at) = start_at(Proto::Http1, s).await;
    for path in DOTFILES {
        let r = get(at, path).await;
        assert_eq!(r.status, 404, "{path}");
    }
    let r = get(at, "/assets/sub/seen.txt").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn dotfiles_allowed_when_asked() {
    for proto in Proto::all() {
        let site = site();
        let dir = StaticDir::new(site.root())
            .dotfiles(Dotfiles::Allow)
            .index_files(["guide.txt"])
            .precompressed(true)
            .browse(true);
        let (_h, at) = serve_with(proto, dir).await;
        for (path, body) in [
            ("/assets/.env", "DB_PASSWORD=hunter2"),
            ("/assets/%2eenv", "DB_PASSWORD=hunter2"),
            ("/assets/.git/config", "[core] git-config"),
            ("/assets/sub/.hidden", "hidden-in-sub"),
            ("/assets/.well-known/.y", "dot-in-well-known"),
        ] {
            let r = get(at, path).await;
            assert_eq!((r.status, r.text().as_str()), (200, body), "{path}");
        }
        // The precompressed sibling of a served dotfile is served too.
        let r = req(at, "GET", "/assets/.env", &[("Accept-Encoding", "gzip")]).await;
        assert_eq!((r.status, r.text().as_str()), (200, "GZ-DOTENV"));
        let r = get(at, "/assets/").await;
        assert!(r.text().contains("\"./.env\"") && r.text().contains("\"./.git/\""));
    }
}

#[tokio::test]
async fn only_well_known_when_asked() {
    for proto in Proto::all() {
        let site = site();
        let dir = StaticDir::new(site.root())
            .dotfiles(Dotfiles::WellKnownOnly)
            .index_files(["guide.txt"])
            .precompressed(true)
            .browse(true);
        let (_h, at) = serve_with(proto, dir).await;
        let r = get(at, "/assets/.well-known/x").await;
        assert_eq!((r.status, r.text().as_str()), (200, "well-known-x"));
        let r = get(at, "/assets/%2Ewell-known/x").await;
        assert_eq!((r.status, r.text().as_str()), (200, "well-known-x"));
        for path in [
            "/assets/.env",
            "/assets/%2eenv",
            "/assets/.git/config",
            "/assets/sub/.hidden",
            "/assets/.well-known/.y",
        ] {
            let r = req(at, "GET", path, &[("Accept-Encoding", "gzip")]).await;
            assert_eq!(r.status, 404, "{path}");
        }
        let r = get(at, "/assets/").await;
        assert!(r.text().contains("\"./.well-known/\""), "{}", r.text());
        assert!(!r.text().contains(".env") && !r.text().contains(".git"));
        let r = get(at, "/assets/.well-known/").await;
        assert!(r.text().contains("\"./x\"") && !r.text().contains(".y"));
    }
}

/// A path swapped, again and again, between a file inside the root and a symlink leading out
/// (and a directory symlink swapped between inside and outside) while requests run: with the
/// check and the open one step, no answer ever carries the secret.
#[cfg(unix)]
#[tokio::test]
async fn a_symlink_swapped_in_mid_request_cannot_escape() {
    use std::os::unix::fs::symlink;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let site = site();
    let root = site.root();
    write(&root.join("inside/f"), "inside");
    write(&site.dir.path().join("outside/f"), SECRET);
    write(&root.join("swap"), "inside");
    symlink("inside", root.join("swapdir")).unwrap();
    let (_h, at) = serve(Proto::Http1, &site).await;

    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, root) = (stop.clone(), root.clone());
        std::thread::spawn(move || {
            let mut flips = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // Each rename replaces the name atomically: it is always something.
                let _ = std::fs::remove_file(root.join("tmp"));
                if flips % 2 == 0 {
                    symlink("../secret.txt", root.join("tmp")).unwrap();
                } else {
                    std::fs::write(root.join("tmp"), "inside").unwrap();
                }
                std::fs::rename(root.join("tmp"), root.join("swap")).unwrap();
                let target = if flips % 2 == 0 {
                    "../outside"
                } else {
                    "inside"
                };
                symlink(target, root.join("tmpdir")).unwrap();
                std::fs::rename(root.join("tmpdir"), root.join("swapdir")).unwrap();
                flips += 1;
            }
            flips
        })
    };
    let mut c = Client::connect(at.addr).await;
    let (mut served, mut refused) = (0, 0);
    for i in 0..3000 {
        let path = if i % 2 == 0 { "swap" } else { "swapdir/f" };
        let r = c
            .request(format!("GET /assets/{path} HTTP/1.1\r\nHost: x\r\n\r\n"))
            .await;
        assert!(!r.text().contains(SECRET), "{path} leaked the secret");
        match r.status {
            200 => {
                assert_eq!(r.text(), "inside");
                served += 1;
            }
            404 => refused += 1,
            other => panic!("{path}: {other}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    let flips = swapper.join().unwrap();
    assert!(flips > 10, "the swapper barely ran ({flips} flips)");
    assert_eq!(served + refused, 3000);
}
