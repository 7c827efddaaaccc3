//! A small notes service showing the request API: handlers that fail with `?` (binding +
//! validation, a parse, a missing record), a path parameter written back without a copy, two
//! route groups side by side with their own middleware, per-route middleware, an upload
//! streamed to disk, and Server-Sent Events. Run with `cargo run --example rest`, then:
//!
//! ```text
//! curl -N http://127.0.0.1:8889/events &                       # live feed (SSE)
//! curl -X POST http://127.0.0.1:8889/notes -H 'Content-Type: application/json' \
//!      -H 'X-Author: ada' -d '{"title":"first","body":"hello"}'
//! curl -X POST http://127.0.0.1:8889/notes -H 'Content-Type: application/json' \
//!      -H 'X-Author: ada' -d '{"title":"","body":"x"}'        # 400 {"code":400,"message":…,"field":"title"}
//! curl 'http://127.0.0.1:8889/notes?page=1&size=10'
//! curl http://127.0.0.1:8889/notes/1
//! curl http://127.0.0.1:8889/notes/x                           # 400: not a number
//! curl -H 'Accept: application/json' http://127.0.0.1:8889/notes/9   # 404 {"code":404,"message":"no note 9"}
//! curl -F 'caption=the cat' -F 'file=@Cargo.toml' http://127.0.0.1:8889/notes/1/attachments
//! curl http://127.0.0.1:8889/hello/ada                         # the parameter, written back
//! curl -H 'X-Admin-Key: let-me-in' http://127.0.0.1:8889/admin/stats
//! ```
//!
//! `PORT` overrides the port (0 picks a free one). Uploads land in the system temp directory.

use std::sync::{Arc, Mutex};

use khz::protocol::BoxError;

use khz::app::sse::Event;
use khz::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

#[derive(Clone, Serialize)]
struct Note {
    id: u64,
    author: String,
    title: String,
    body: String,
    attachments: Vec<String>,
}

#[derive(Default)]
struct Store {
    notes: Mutex<Vec<Note>>,
}

/// Shared state: the notes and the feed of changes.
#[derive(Clone)]
struct Notes {
    store: Arc<Store>,
    feed: broadcast::Sender<String>,
}

impl Notes {
    fn find(&self, id: u64) -> Option<Note> {
        let all = self.store.notes.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().find(|note| note.id == id).cloned()
    }

    fn publish(&self, what: &str, note: &Note) {
        if let Ok(json) = sonic_rs::to_string(note) {
            // No subscriber is fine.
            let _ = self.feed.send(format!("{what}\n{json}"));
        }
    }
}

#[derive(khz::Bind)]
struct CreateNote {
    #[bind(header = "X-Author")]
    #[vd(
        "regexp('^[a-z][a-z0-9_]{1,31}$')",
        msg = "X-Author must be a lowercase login"
    )]
    author: String,
    #[vd(
        "mblen($) > 0 && mblen($) <= 80",
        msg = "title must be 1 to 80 characters"
    )]
    title: String,
    #[vd("len($) <= 10000")]
    body: String,
}

/// The shared state (a missing one is a server bug: 500).
fn notes(ctx: &RequestContext) -> khz::Result<Arc<Notes>> {
    ctx.state::<Notes>()
        .or_status(StatusCode::INTERNAL_SERVER_ERROR)
}

async fn create(ctx: &mut RequestContext) -> khz::Result<()> {
    let input = ctx.bind_and_validate::<CreateNote>()?; // 400 JSON naming the field
    let notes = notes(ctx)?;
    let note = {
        let mut all = notes.store.notes.lock().unwrap_or_else(|e| e.into_inner());
        let note = Note {
            id: all.len() as u64 + 1,
            author: input.author,
            title: input.title,
            body: input.body,
            attachments: Vec::new(),
        };
        all.push(note.clone());
        note
    };
    notes.publish("created", &note);
    ctx.set_header("location", format!("/notes/{}", note.id));
    ctx.json(StatusCode::CREATED, &note);
    Ok(())
}

#[derive(Deserialize)]
struct Page {
    #[serde(default = "first_page")]
    page: usize,
    #[serde(default = "page_size")]
    size: usize,
}

fn first_page() -> usize {
    1
}

fn page_size() -> usize {
    20
}

async fn list(ctx: &mut RequestContext) -> khz::Result<()> {
    let p = ctx.bind_query::<Page>()?;
    let notes = notes(ctx)?;
    let page: Vec<Note> = {
        let all = notes.store.notes.lock().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .skip(p.page.saturating_sub(1).saturating_mul(p.size))
            .take(p.size.min(100))
            .cloned()
            .collect()
    };
    ctx.json(StatusCode::OK, &page);
    Ok(())
}

async fn show(ctx: &mut RequestContext) -> khz::Result<()> {
    let id: u64 = ctx
        .param_or("id", "")
        .parse()
        .or_status(StatusCode::BAD_REQUEST)?; // "invalid digit found in string"
    let note = notes(ctx)?
        .find(id)
        .ok_or_else(|| khz::Error::status(StatusCode::NOT_FOUND, format!("no note {id}")))?;
    ctx.json(StatusCode::OK, &note);
    Ok(())
}

/// A path parameter written back: a view into the request, no `.to_owned()`, no allocation.
async fn hello(ctx: &mut RequestContext) {
    let name = ctx.param_or("name", "world");
    ctx.string(StatusCode::OK, name);
}

#[derive(khz::Bind)]
struct Attachment {
    #[bind(path)]
    id: u64,
    #[bind(form)]
    caption: Option<String>,
    #[bind(file)]
    file: khz::app::multipart::UploadedFile,
}

/// The body of this route is streamed (see `main`): a large file goes to a temporary file as
/// it arrives and is then moved, never held in memory.
async fn attach(ctx: &mut RequestContext) -> Result<(), BoxError> {
    ctx.multipart_form().await?; // 400 / 413 / 415 with the reason
    let a = ctx.bind::<Attachment>()?;
    let notes = notes(ctx)?;
    if notes.find(a.id).is_none() {
        return Err(khz::Error::status(StatusCode::NOT_FOUND, "no such note").into());
    }
    let name = format!("khz-note-{}-{}", a.id, a.file.file_name());
    let dest = std::env::temp_dir().join(&name);
    ctx.save_uploaded_file(&a.file, &dest).await?; // an I/O error: 500, logged with its cause
    let note = {
        let mut all = notes.store.notes.lock().unwrap_or_else(|e| e.into_inner());
        all.iter_mut().find(|n| n.id == a.id).map(|n| {
            n.attachments.push(name.clone());
            n.clone()
        })
    };
    if let Some(note) = note {
        notes.publish("attached", &note);
    }
    #[derive(Serialize)]
    struct Saved<'a> {
        saved: &'a str,
        bytes: u64,
        caption: Option<&'a str>,
    }
    let caption = a.caption.as_deref();
    let bytes = a.file.size();
    ctx.json(
        StatusCode::CREATED,
        &Saved {
            saved: &dest.display().to_string(),
            bytes,
            caption,
        },
    );
    Ok(())
}

/// Per-route middleware on `POST /notes`: every creation is logged with its outcome.
async fn audit(ctx: &mut RequestContext) {
    ctx.next().await;
    let status = ctx.response().status();
    tracing::info!(status = status.as_u16(), error = ?ctx.error().map(|e| e.to_string()), "note creation");
}

/// Group middleware of `/admin`: a middleware that answers and returns ends the chain, so the
/// handler behind it never runs for a bad key.
async fn admin_key(ctx: &mut RequestContext) {
    if ctx.header("x-admin-key").as_deref() != Some("let-me-in") {
        ctx.render_error(StatusCode::UNAUTHORIZED, "admin key required");
    }
}

async fn stats(ctx: &mut RequestContext) -> khz::Result<()> {
    let count = notes(ctx)?
        .store
        .notes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .len();
    ctx.json(StatusCode::OK, &serde_json::json!({ "notes": count }));
    Ok(())
}

/// The live feed: every change as an SSE event, ids counting from the client's
/// `Last-Event-ID` so a reconnecting client sees where it resumed.
async fn events(ctx: &mut RequestContext) {
    let Some(notes) = ctx.state::<Notes>() else {
        return ctx.abort_with_status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let mut feed = notes.feed.subscribe();
    let mut id: u64 = ctx
        .last_event_id()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    ctx.sse(move |mut sse| async move {
        if sse.comment("notes feed").await.is_err() {
            return;
        }
        loop {
            let (kind, data) = match feed.recv().await {
                Ok(msg) => match msg.split_once('\n') {
                    Some((k, d)) => (k.to_owned(), d.to_owned()),
                    None => continue,
                },
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            };
            id += 1;
            let event = Event::new().event(kind).id(id.to_string()).data(data);
            if sse.send(event).await.is_err() {
                return; // the client left
            }
        }
    });
}

fn main() -> khz::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let port = std::env::var("PORT").unwrap_or_else(|_| "8889".to_owned());
    let (feed, _) = broadcast::channel(64);
    let state = Notes {
        store: Arc::default(),
        feed,
    };
    let server = Server::default()
        .addr(format!("127.0.0.1:{port}"))
        .with_state(state);
    // Two groups alive side by side, each with its own middleware.
    let notes = server.group("/notes");
    let admin = server.group("/admin").middleware(admin_key);
    notes.post("", create).middleware(audit);
    notes.get("", list);
    notes.get("/:id", show);
    notes.post("/:id/attachments", attach).stream_body();
    admin.get("/stats", stats);
    server.get("/hello/:name", hello);
    server.get("/events", events);
    server.spin_blocking() // a conflicting route would be reported here, naming both
}
