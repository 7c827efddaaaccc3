//! A small notes service showing the request API: binding + validation (and what a failed
//! validation answers), an upload streamed to disk, and Server-Sent Events. Run with
//! `cargo run --example rest`, then:
//!
//! ```text
//! curl -N http://127.0.0.1:8889/events &                       # live feed (SSE)
//! curl -X POST http://127.0.0.1:8889/notes -H 'Content-Type: application/json' \
//!      -H 'X-Author: ada' -d '{"title":"first","body":"hello"}'
//! curl -X POST http://127.0.0.1:8889/notes -H 'Content-Type: application/json' \
//!      -H 'X-Author: ada' -d '{"title":"","body":"x"}'        # 400 {"code":400,"message":…,"field":"title"}
//! curl 'http://127.0.0.1:8889/notes?page=1&size=10'
//! curl http://127.0.0.1:8889/notes/1
//! curl -F 'caption=the cat' -F 'file=@Cargo.toml' http://127.0.0.1:8889/notes/1/attachments
//! ```
//!
//! `PORT` overrides the port (0 picks a free one). Uploads land in the system temp directory.

use std::sync::{Arc, Mutex};

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

async fn create(ctx: &mut RequestContext) {
    let Some(input) = ctx.bind_and_validate_or_reject::<CreateNote>() else {
        return;
    };
    let Some(notes) = ctx.state::<Notes>().cloned() else {
        return ctx.abort_with_status(StatusCode::INTERNAL_SERVER_ERROR);
    };
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

async fn list(ctx: &mut RequestContext) {
    let Some(p) = ctx.bind_query_or_reject::<Page>() else {
        return;
    };
    let Some(notes) = ctx.state::<Notes>() else {
        return ctx.abort_with_status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let page: Vec<Note> = {
        let all = notes.store.notes.lock().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .skip(p.page.saturating_sub(1).saturating_mul(p.size))
            .take(p.size.min(100))
            .cloned()
            .collect()
    };
    ctx.json(StatusCode::OK, &page);
}

#[derive(khz::Bind)]
struct NoteId {
    #[bind(path)]
    id: u64,
}

async fn show(ctx: &mut RequestContext) {
    let Some(NoteId { id }) = ctx.bind_or_reject::<NoteId>() else {
        return;
    };
    let found = ctx.state::<Notes>().and_then(|n| {
        let all = n.store.notes.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().find(|note| note.id == id).cloned()
    });
    match found {
        Some(note) => ctx.json(StatusCode::OK, &note),
        None => ctx.not_found(),
    }
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
async fn attach(ctx: &mut RequestContext) {
    if let Err(e) = ctx.multipart_form().await {
        return e.abort_json(ctx);
    }
    let Some(a) = ctx.bind_or_reject::<Attachment>() else {
        return;
    };
    let Some(notes) = ctx.state::<Notes>().cloned() else {
        return ctx.abort_with_status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    if !notes
        .store
        .notes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|n| n.id == a.id)
    {
        return ctx.not_found();
    }
    let name = format!("khz-note-{}-{}", a.id, a.file.file_name());
    let dest = std::env::temp_dir().join(&name);
    if let Err(e) = ctx.save_uploaded_file(&a.file, &dest).await {
        tracing::error!(error = %e, "saving upload failed");
        return ctx.abort_with_status(StatusCode::INTERNAL_SERVER_ERROR);
    }
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
    let mut server = Server::default()
        .addr(format!("127.0.0.1:{port}"))
        .with_state(state);
    server.post("/notes", create)?;
    server.get("/notes", list)?;
    server.get("/notes/:id", show)?;
    server.post("/notes/:id/attachments", attach)?.stream_body();
    server.get("/events", events)?;
    server.spin_blocking()
}
