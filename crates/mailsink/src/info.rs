//! What the sink says about itself, in Mailpit's shapes: `GET /api/v1/info` (version,
//! database, message, unread and tag counts, runtime figures), `GET /api/v1/webui` (the
//! UI's configuration), `/livez` and `/readyz`, and `GET /api/v1/message/{ID}/sa-check`,
//! which answers as Mailpit does without SpamAssassin (400 "no SpamAssassin service
//! defined"): the sink has none.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Serialize;

use crate::http::{ApiError, ApiResult, AppState, entry};
use crate::query::Query;

/// What the sink was started with, for the info endpoints.
#[derive(Debug)]
pub(crate) struct Runtime {
    pub started: Instant,
    /// `--db`, if any.
    pub database: Option<PathBuf>,
    /// `/api/v1/send` is on (no `--no-send-api`).
    pub send_api: bool,
}

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/info", get(info))
        .route("/api/v1/webui", get(webui))
        .route("/api/v1/message/{id}/sa-check", get(sa_check))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
}

/// Mailpit's `AppInformation`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AppInformation {
    version: &'static str,
    latest_version: &'static str,
    database: String,
    database_size: u64,
    messages: u64,
    unread: u64,
    tags: BTreeMap<String, u64>,
    runtime_stats: RuntimeStats,
}

#[derive(Serialize)]
struct RuntimeStats {
    #[serde(rename = "Uptime")]
    uptime: u64,
    #[serde(rename = "Memory")]
    memory: u64,
    #[serde(rename = "MessagesDeleted")]
    messages_deleted: u64,
    #[serde(rename = "SMTPAccepted")]
    smtp_accepted: u64,
    #[serde(rename = "SMTPAcceptedSize")]
    smtp_accepted_size: u64,
    #[serde(rename = "SMTPRejected")]
    smtp_rejected: u64,
    #[serde(rename = "SMTPIgnored")]
    smtp_ignored: u64,
}

/// Resident memory of this process in bytes (Linux; 0 elsewhere).
fn resident_memory() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// The database file and its write-ahead log, in bytes.
fn database_size(path: &std::path::Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path.to_path_buf(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

async fn info(State(s): State<AppState>) -> Json<AppInformation> {
    let counts = s.store.search(&Query::default(), 0, 0);
    let stats = s.store.stats();
    let rt = &s.runtime;
    Json(AppInformation {
        version: env!("CARGO_PKG_VERSION"),
        // The sink never looks for releases on the network: the latest it knows is itself.
        latest_version: env!("CARGO_PKG_VERSION"),
        database: rt
            .database
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        database_size: rt.database.as_deref().map_or(0, database_size),
        messages: counts.total,
        unread: counts.unread,
        tags: s.store.tag_counts(),
        runtime_stats: RuntimeStats {
            uptime: rt.started.elapsed().as_secs(),
            memory: resident_memory(),
            messages_deleted: stats.deleted.load(Ordering::Relaxed),
            smtp_accepted: stats.accepted.load(Ordering::Relaxed),
            smtp_accepted_size: stats.accepted_bytes.load(Ordering::Relaxed),
            smtp_rejected: s.sessions.refusals(),
            smtp_ignored: 0,
        },
    })
}

/// Mailpit's `WebUIConfiguration`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WebUi {
    label: &'static str,
    message_relay: MessageRelay,
    spam_assassin: bool,
    chaos_enabled: bool,
    duplicates_ignored: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MessageRelay {
    enabled: bool,
    #[serde(rename = "SMTPServer")]
    smtp_server: String,
    return_path: &'static str,
    allowed_recipients: String,
    blocked_recipients: &'static str,
    override_from: &'static str,
}

async fn webui(State(s): State<AppState>) -> Json<WebUi> {
    let (smtp_server, allowed_recipients) = s
        .relay
        .as_deref()
        .map(|r| (r.server().to_owned(), r.allowed_recipients().to_owned()))
        .unwrap_or_default();
    Json(WebUi {
        label: "",
        message_relay: MessageRelay {
            enabled: s.relay.is_some(),
            smtp_server,
            return_path: "",
            allowed_recipients,
            blocked_recipients: "",
            override_from: "",
        },
        spam_assassin: false,
        chaos_enabled: s.faults.enabled(),
        duplicates_ignored: false,
    })
}

async fn sa_check(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    entry(&s, &id)?;
    Err(ApiError::BadRequest(
        "no SpamAssassin service defined".into(),
    ))
}

async fn livez() -> &'static str {
    "ok"
}

/// Ready while the sink serves; 503 once it is shutting down.
async fn readyz(State(s): State<AppState>) -> Response {
    if s.cancel.is_cancelled() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response()
    } else {
        "ok".into_response()
    }
}
