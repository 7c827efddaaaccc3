//! `multipart/form-data` through khz's own path — `ctx.multipart_form()` and the streaming
//! `ctx.multipart()` reader over multer — on a context built by `khz::ut::routed_context`, the
//! body streamed in random pieces, with a boundary and limits drawn from the input.
//! Properties: no panic, no hang, an error is a 4xx, and what the form holds never exceeds the
//! body or the limits.
#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use http::Method;
use khz::__bench::attach_body_chunks;
use khz::app::Server;
use libfuzzer_sys::fuzz_target;

const BOUNDARY_CHARS: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=? ";

struct Servers {
    plain: Server,
    tight: Server,
}

fn servers() -> &'static Servers {
    static S: OnceLock<Servers> = OnceLock::new();
    S.get_or_init(|| Servers {
        plain: Server::default(),
        tight: Server::default()
            .max_multipart_size(512)
            .max_multipart_part_size(64)
            .max_multipart_parts(4)
            .multipart_memory_threshold(16),
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    // [flags][boundary len][boundary…][n cuts][cuts…][body]
    if data.len() < 3 {
        return;
    }
    let flags = data[0];
    let blen = usize::from(data[1] % 72);
    let rest = &data[2..];
    if rest.len() < blen + 1 {
        return;
    }
    let boundary: String = rest[..blen]
        .iter()
        .map(|&b| BOUNDARY_CHARS[usize::from(b) % BOUNDARY_CHARS.len()] as char)
        .collect();
    let rest = &rest[blen..];
    let ncuts = usize::from(rest[0] % 16);
    let rest = &rest[1..];
    if rest.len() < ncuts {
        return;
    }
    let (cuts, body) = rest.split_at(ncuts);
    let mut chunks = Vec::new();
    let mut at = 0;
    for &c in cuts {
        let end = (at + usize::from(c)).min(body.len());
        chunks.push(Bytes::copy_from_slice(&body[at..end]));
        at = end;
    }
    chunks.push(Bytes::copy_from_slice(&body[at..]));

    let quoted = flags & 1 != 0;
    let ct = if quoted {
        format!("multipart/form-data; boundary=\"{boundary}\"")
    } else {
        format!("multipart/form-data; boundary={boundary}")
    };
    let server = if flags & 2 != 0 {
        &servers().tight
    } else {
        &servers().plain
    };
    let Ok(mut ctx) = khz::ut::routed_context(
        server,
        Method::POST,
        "/upload",
        Bytes::new(),
        &[("content-type", ct.as_str())],
    ) else {
        return;
    };
    attach_body_chunks(ctx.request_mut(), chunks);

    runtime().block_on(async {
        if flags & 4 != 0 {
            // Streaming reader: every field, every chunk (bounded by the body's size).
            let Ok(mut mp) = ctx.multipart() else { return };
            let mut seen = 0usize;
            loop {
                match mp.next_field().await {
                    Ok(Some(mut field)) => {
                        let _ = (field.name(), field.file_name(), field.content_type());
                        loop {
                            match field.chunk().await {
                                Ok(Some(c)) => {
                                    seen += c.len();
                                    assert!(seen <= body.len(), "more field bytes than body");
                                }
                                Ok(None) => break,
                                Err(e) => {
                                    assert!(e.status().is_client_error(), "{e}");
                                    return;
                                }
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        assert!(e.status().is_client_error(), "{e}");
                        break;
                    }
                }
            }
        } else {
            match ctx.multipart_form().await {
                Ok(form) => {
                    // Text values are decoded lossily (an invalid UTF-8 byte becomes a
                    // 3-byte U+FFFD), so they are counted in characters, files in bytes.
                    let mut total = 0usize;
                    for (_, v) in form.value_pairs() {
                        total += v.chars().count();
                    }
                    for f in form.all_files() {
                        total += usize::try_from(f.size()).unwrap_or(usize::MAX);
                        let _ = (f.field_name(), f.file_name(), f.content_type());
                    }
                    assert!(total <= body.len(), "form holds more than the body");
                }
                Err(e) => assert!(e.status().is_client_error(), "{e}"),
            }
        }
    });
});
