//! The HTTP side: Mailpit's REST API v1 (same paths, same JSON names), our additions
//! (`/api/v1/wait`, `/api/v1/events`), the `/view/` pages and the UI at `/`.
//!
//! Every request first passes the `Host` check of [`crate::host`] (403 otherwise), and
//! every response says `X-Content-Type-Options: nosniff`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query as QueryParams, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use futures::{Stream, StreamExt as _};
use serde::{Deserialize, Serialize};
use tokio_stream::wrappers::BroadcastStream;
use tokio_util::sync::CancellationToken;

use crate::faults::Faults;
use crate::host::AllowedHosts;
use crate::model::{
    Address, ChaosTriggers, FaultRule, Message, NewFault, SmtpSession, SmtpSessions,
};
use crate::query::Query;
use crate::sessions::Sessions;
use crate::store::{Entry, Event, Page, Store};

/// Mailpit's default page size.
const DEFAULT_LIMIT: usize = 50;
/// `wait` without a timeout waits this long.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);
/// Longest accepted `wait` timeout.
const MAX_WAIT: Duration = Duration::from_secs(600);
/// Served as-is: one page, its stylesheet and script, no third-party assets.
const UI: &str = include_str!("ui.html");
const UI_CSS: &str = include_str!("ui.css");
const UI_JS: &str = include_str!("ui.js");
/// The UI loads only its own files and talks only to this origin (fetch, SSE, the
/// preview iframe); nothing inline runs, and no other page may frame it.
const UI_CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";
/// Keeps message HTML and attachments from running script in the UI's origin even when
/// opened directly (the UI's iframe is sandboxed as well); only the UI may frame them.
const SANDBOX_CSP: &str = "sandbox; frame-ancestors 'self'";

#[derive(Clone)]
pub(crate) struct AppState {
    pub store: Arc<Store>,
    pub cancel: CancellationToken,
    pub hosts: Arc<AllowedHosts>,
    pub faults: Arc<Faults>,
    pub sessions: Arc<Sessions>,
    /// `--relay`, for release; `None`: release answers 403.
    pub relay: Option<Arc<crate::release::Relay>>,
    /// What `/api/v1/info` and `/api/v1/webui` report, and whether `/api/v1/send` is on.
    pub runtime: Arc<crate::info::Runtime>,
}

/// Errors of the HTTP API; bodies are short plain text, internals are only logged.
pub(crate) enum ApiError {
    /// 404: no such message, part, rule or session (what is missing).
    NotFound(&'static str),
    /// 403: faults are turned off.
    FaultsOff,
    /// 400: a bad query or body.
    BadRequest(String),
    /// 408: `wait` timed out.
    Timeout(String),
    /// 503: the sink is shutting down.
    ShuttingDown,
    /// 500: storage failed.
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::NotFound(what) => {
                (StatusCode::NOT_FOUND, format!("{what} not found")).into_response()
            }
            Self::FaultsOff => (
                StatusCode::FORBIDDEN,
                "Faults are turned off on this sink (--no-faults)",
            )
                .into_response(),
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, m).into_response(),
            Self::Timeout(m) => (StatusCode::REQUEST_TIMEOUT, m).into_response(),
            Self::ShuttingDown => {
                (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response()
            }
            Self::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn router(state: AppState) -> Router {
    let hosts = state.hosts.clone();
    Router::new()
        .route("/", get(ui))
        .route("/ui.css", get(ui_css))
        .route("/ui.js", get(ui_js))
        .route(
            "/api/v1/messages",
            get(list).put(crate::tags::set_read).delete(delete_messages),
        )
        .route("/api/v1/message/{id}", get(message))
        .route("/api/v1/message/{id}/raw", get(raw))
        .route("/api/v1/message/{id}/session", get(message_session))
        .route("/api/v1/sessions", get(sessions))
        .route("/api/v1/message/{id}/headers", get(headers))
        .route("/api/v1/message/{id}/part/{part}", get(part))
        .route(
            "/api/v1/message/{id}/html-check",
            get(crate::checks::html::html_check),
        )
        .route(
            "/api/v1/message/{id}/link-check",
            get(crate::checks::links::link_check),
        )
        .route(
            "/api/v1/message/{id}/part/{part}/thumb",
            get(crate::thumb::thumb),
        )
        .route(
            "/api/v1/message/{id}/release",
            axum::routing::post(crate::release::release),
        )
        .route("/api/v1/search", get(search).delete(delete_search))
        .route("/api/v1/wait", get(wait))
        .route("/api/v1/events", get(events))
        .route("/api/v1/chaos", get(get_chaos).put(put_chaos))
        .route(
            "/api/v1/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/api/v1/faults/{id}", get(get_fault).delete(remove_fault))
        .route("/view/{file}", get(view))
        .merge(crate::tags::routes())
        .merge(crate::info::routes())
        .merge(crate::send::routes())
        .with_state(state)
        .layer(middleware::from_fn_with_state(hosts, guard))
}

/// Refuses a request whose `Host` is not allowed (403, plain text) before any handler
/// sees it, and marks every response `nosniff`.
async fn guard(State(hosts): State<Arc<AllowedHosts>>, req: Request, next: Next) -> Response {
    let mut resp = match hosts.check(req.headers(), req.uri()) {
        Ok(()) => next.run(req).await,
        Err(reason) => {
            tracing::debug!(%reason, "refused an HTTP request");
            (StatusCode::FORBIDDEN, reason).into_response()
        }
    };
    resp.headers_mut()
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    resp
}

async fn ui() -> Response {
    (
        [
            (header::CONTENT_SECURITY_POLICY, UI_CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(UI),
    )
        .into_response()
}

async fn ui_css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], UI_CSS).into_response()
}

async fn ui_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        UI_JS,
    )
        .into_response()
}

#[derive(Deserialize)]
struct SearchParams {
    query: Option<String>,
    start: Option<usize>,
    limit: Option<usize>,
}

pub(crate) fn parse_query(q: Option<&str>) -> ApiResult<Query> {
    Query::parse(q.unwrap_or("")).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// [`MessagesSummary`] serialized straight from the store, borrowing instead of
/// cloning every row: listing thousands of messages stays fast. Same JSON names.
#[derive(Serialize)]
struct PageJson<'a> {
    total: u64,
    unread: u64,
    count: u64,
    messages_count: u64,
    start: u64,
    tags: Vec<String>,
    messages: Vec<RowJson<'a>>,
}

/// [`crate::MessageSummary`], borrowed.
#[derive(Serialize)]
struct RowJson<'a> {
    #[serde(rename = "ID")]
    id: &'a str,
    #[serde(rename = "MessageID")]
    message_id: &'a str,
    #[serde(rename = "Read")]
    read: bool,
    #[serde(rename = "From")]
    from: Option<&'a Address>,
    #[serde(rename = "To")]
    to: &'a [Address],
    #[serde(rename = "Cc")]
    cc: &'a [Address],
    #[serde(rename = "Bcc")]
    bcc: &'a [Address],
    #[serde(rename = "ReplyTo")]
    reply_to: &'a [Address],
    #[serde(rename = "Subject")]
    subject: &'a str,
    #[serde(rename = "Created")]
    created: &'a str,
    #[serde(rename = "Tags")]
    tags: Vec<String>,
    #[serde(rename = "Size")]
    size: u64,
    #[serde(rename = "Attachments")]
    attachments: u64,
    #[serde(rename = "Snippet")]
    snippet: &'a str,
    #[serde(rename = "Codes")]
    codes: &'a [String],
}

fn page_json(page: &Page, start: usize, all_tags: Vec<String>) -> ApiResult<Response> {
    let rows: Vec<RowJson<'_>> = page
        .entries
        .iter()
        .map(|e| RowJson {
            id: &e.id,
            message_id: &e.summary.message_id,
            read: e.read.load(std::sync::atomic::Ordering::Relaxed),
            from: e.summary.from.as_ref(),
            to: &e.summary.to,
            cc: &e.summary.cc,
            bcc: &e.summary.bcc,
            reply_to: &e.summary.reply_to,
            subject: &e.summary.subject,
            created: e.created_rfc3339(),
            tags: e.tags(),
            size: e.size,
            attachments: e.summary.attachments,
            snippet: &e.summary.snippet,
            codes: &e.summary.codes,
        })
        .collect();
    let body = PageJson {
        total: page.total,
        unread: page.unread,
        count: rows.len() as u64,
        messages_count: page.matched,
        start: start as u64,
        tags: all_tags,
        messages: rows,
    };
    // Sized up front: growing a multi-megabyte buffer by doubling costs copies.
    let mut buf = Vec::with_capacity(256 + body.messages.len() * 640);
    serde_json::to_writer(&mut buf, &body).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], buf).into_response())
}

async fn list(
    State(s): State<AppState>,
    QueryParams(p): QueryParams<SearchParams>,
) -> ApiResult<Response> {
    let start = p.start.unwrap_or(0);
    let page = s
        .store
        .search(&Query::default(), start, p.limit.unwrap_or(DEFAULT_LIMIT));
    page_json(&page, start, s.store.tag_counts().into_keys().collect())
}

async fn search(
    State(s): State<AppState>,
    QueryParams(p): QueryParams<SearchParams>,
) -> ApiResult<Response> {
    let query = parse_query(p.query.as_deref())?;
    let start = p.start.unwrap_or(0);
    let page = s
        .store
        .search(&query, start, p.limit.unwrap_or(DEFAULT_LIMIT));
    page_json(&page, start, s.store.tag_counts().into_keys().collect())
}

#[derive(Deserialize, Default)]
struct DeleteBody {
    #[serde(rename = "IDs", default)]
    ids: Vec<String>,
}

async fn delete_messages(State(s): State<AppState>, body: Bytes) -> ApiResult<&'static str> {
    let body: DeleteBody = if body.iter().all(u8::is_ascii_whitespace) {
        DeleteBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?
    };
    if body.ids.is_empty() {
        s.store.clear().await?;
    } else {
        s.store.delete(&body.ids).await?;
    }
    Ok("ok")
}

async fn delete_search(
    State(s): State<AppState>,
    QueryParams(p): QueryParams<SearchParams>,
) -> ApiResult<&'static str> {
    let query = parse_query(p.query.as_deref())?;
    if query.is_empty() {
        // Mailpit refuses an empty search delete rather than deleting everything.
        return Err(ApiError::BadRequest("query is required".into()));
    }
    let ids: Vec<String> = s
        .store
        .search(&query, 0, usize::MAX)
        .entries
        .iter()
        .map(|e| e.id.to_string())
        .collect();
    s.store.delete(&ids).await?;
    Ok("ok")
}

pub(crate) fn entry(s: &AppState, id: &str) -> ApiResult<Arc<Entry>> {
    s.store.get(id).ok_or(ApiError::NotFound("message"))
}

async fn message(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Message>> {
    let e = entry(&s, &id)?;
    let msg = s.store.message(&e).await?;
    s.store.mark_read(&e).await;
    Ok(Json(msg))
}

async fn raw(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let e = entry(&s, &id)?;
    let raw = s.store.raw(&e).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        raw,
    )
        .into_response())
}

async fn headers(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<std::collections::BTreeMap<String, Vec<String>>>> {
    let e = entry(&s, &id)?;
    let raw = s.store.raw(&e).await?;
    Ok(Json(crate::parse::headers(&raw)))
}

async fn part(
    State(s): State<AppState>,
    Path((id, part_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let e = entry(&s, &id)?;
    let raw = s.store.raw(&e).await?;
    let (content_type, file_name, bytes) =
        crate::parse::part(&raw, &part_id).ok_or(ApiError::NotFound("part"))?;
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let safe_name: String = file_name
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect();
    let disposition = HeaderValue::from_str(&format!("inline; filename=\"{safe_name}\""))
        .unwrap_or(HeaderValue::from_static("inline"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(SANDBOX_CSP),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn view(State(s): State<AppState>, Path(file): Path<String>) -> ApiResult<Response> {
    let (id, html) = if let Some(id) = file.strip_suffix(".html") {
        (id, true)
    } else if let Some(id) = file.strip_suffix(".txt") {
        (id, false)
    } else {
        return Err(ApiError::NotFound("page"));
    };
    let e = entry(&s, id)?;
    let raw = s.store.raw(&e).await?;
    let (text, body_html) = crate::parse::bodies(&raw, &e.id);
    if html {
        let page = if body_html.is_empty() {
            format!(
                "<!doctype html><meta charset=\"utf-8\"><pre style=\"white-space:pre-wrap\">{}</pre>",
                escape_html(&text)
            )
        } else {
            body_html
        };
        Ok((
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, SANDBOX_CSP),
            ],
            page,
        )
            .into_response())
    } else {
        Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
    }
}

#[derive(Deserialize)]
struct WaitParams {
    query: Option<String>,
    timeout: Option<String>,
}

/// `10s`, `500ms`, `2m`, or a bare number of seconds.
fn parse_timeout(t: Option<&str>) -> ApiResult<Duration> {
    let Some(t) = t.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(DEFAULT_WAIT);
    };
    let d = crate::clock::parse_duration(t)
        .map_err(|e| ApiError::BadRequest(format!("timeout: {e}")))?;
    Ok(d.min(MAX_WAIT))
}

async fn wait(
    State(s): State<AppState>,
    QueryParams(p): QueryParams<WaitParams>,
) -> ApiResult<Json<Message>> {
    let query = parse_query(p.query.as_deref())?;
    let timeout = parse_timeout(p.timeout.as_deref())?;
    let found = tokio::select! {
        () = s.cancel.cancelled() => return Err(ApiError::ShuttingDown),
        found = s.store.wait_for(&query, timeout) => found,
    };
    let e = found.ok_or_else(|| {
        ApiError::Timeout(format!(
            "no message matching {:?} within {timeout:?}",
            p.query.unwrap_or_default()
        ))
    })?;
    Ok(Json(s.store.message(&e).await?))
}

/// One event as a stream with `query` sends it (`{"Type", "Data"}`), or `None` when
/// it concerns no message the query matches.
fn event_json(event: &Event, query: &Query) -> Option<serde_json::Value> {
    let (kind, data) = match event {
        Event::New(e) => {
            if !e.matches(query) {
                return None;
            }
            ("new", serde_json::to_value(e.to_summary()).ok()?)
        }
        Event::Delete(entries) => {
            let ids: Vec<&str> = entries
                .iter()
                .filter(|e| e.matches(query))
                .map(|e| &*e.id)
                .collect();
            if ids.is_empty() {
                return None;
            }
            ("delete", serde_json::json!({ "IDs": ids }))
        }
        Event::Clear => ("clear", serde_json::Value::Null),
    };
    Some(serde_json::json!({ "Type": kind, "Data": data }))
}

/// Live events; `?query=` keeps only those of matching messages, so parallel test
/// runs on one sink each see their own mail.
async fn events(
    State(s): State<AppState>,
    QueryParams(p): QueryParams<SearchParams>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let query = parse_query(p.query.as_deref())?;
    let stream = BroadcastStream::new(s.store.events())
        .filter_map(move |r| {
            let json = match r {
                Ok(event) => event_json(&event, &query),
                // A lagging stream missed events: tell it to reload rather than show
                // stale data.
                Err(_) => Some(serde_json::json!({ "Type": "reload", "Data": null })),
            };
            std::future::ready(json.map(|j| Ok(SseEvent::default().data(j.to_string()))))
        })
        .take_until(s.cancel.clone().cancelled_owned());
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The last SMTP sessions, newest first.
async fn sessions(
    State(s): State<AppState>,
    QueryParams(p): QueryParams<SearchParams>,
) -> Json<SmtpSessions> {
    let (total, page) = s
        .sessions
        .page(p.start.unwrap_or(0), p.limit.unwrap_or(DEFAULT_LIMIT));
    Json(SmtpSessions {
        total: total as u64,
        sessions: page.iter().map(|s| s.to_api()).collect(),
    })
}

/// The session that delivered a message ("why did it arrive like this").
async fn message_session(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SmtpSession>> {
    let e = entry(&s, &id)?;
    let session = e
        .session
        .as_deref()
        .and_then(|id| s.sessions.get(id))
        .ok_or(ApiError::NotFound("session (only the last 1,000 are kept)"))?;
    Ok(Json(session.to_api()))
}

/// The fault APIs, or 403 when the sink runs with `--no-faults`.
fn faults(s: &AppState) -> ApiResult<&Faults> {
    if s.faults.enabled() {
        Ok(&s.faults)
    } else {
        Err(ApiError::FaultsOff)
    }
}

/// A JSON request body, or a 400 saying what is wrong with it.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(e.to_string()))
}

async fn get_chaos(State(s): State<AppState>) -> ApiResult<Json<ChaosTriggers>> {
    Ok(Json(faults(&s)?.chaos_triggers()))
}

/// Mailpit's `PUT /api/v1/chaos`: the triggers object itself; omitted ones are reset.
async fn put_chaos(State(s): State<AppState>, body: Bytes) -> ApiResult<Json<ChaosTriggers>> {
    let faults = faults(&s)?;
    let triggers = json_body(&body)?;
    Ok(Json(
        faults.set_chaos(triggers).map_err(ApiError::BadRequest)?,
    ))
}

async fn list_faults(State(s): State<AppState>) -> ApiResult<Json<Vec<FaultRule>>> {
    Ok(Json(faults(&s)?.list()))
}

async fn add_fault(State(s): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let faults = faults(&s)?;
    let spec: NewFault = json_body(&body)?;
    let rule = faults.add(spec).map_err(ApiError::BadRequest)?;
    Ok((StatusCode::CREATED, Json(rule)).into_response())
}

async fn clear_faults(State(s): State<AppState>) -> ApiResult<&'static str> {
    faults(&s)?.clear();
    Ok("ok")
}

async fn get_fault(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<FaultRule>> {
    let rule = faults(&s)?.list().into_iter().find(|r| r.id == id);
    Ok(Json(rule.ok_or(ApiError::NotFound("fault rule"))?))
}

async fn remove_fault(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<&'static str> {
    if faults(&s)?.remove(&id) {
        Ok("ok")
    } else {
        Err(ApiError::NotFound("fault rule"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_in_several_forms() {
        assert_eq!(parse_timeout(None).ok(), Some(DEFAULT_WAIT));
        assert_eq!(parse_timeout(Some("3")).ok(), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_timeout(Some("250ms")).ok(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_timeout(Some("1h")).ok(), Some(MAX_WAIT));
        assert!(parse_timeout(Some("soon")).is_err());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::testing::{config, hostile_text};

        const TIMEOUT_VOCAB: &[&str] = &[
            "0",
            "1",
            "9",
            ".",
            "-",
            "+",
            "e",
            "E",
            "308",
            "1e400",
            "NaN",
            "inf",
            "ms",
            "s",
            "m",
            "h",
            "d",
            "y",
            "us",
            "ns",
            " ",
            "99999999999999999999",
            "é",
        ];

        proptest! {
            #![proptest_config(config(512))]

            #[test]
            fn any_timeout_parses_to_at_most_the_cap_or_is_refused(t in hostile_text(TIMEOUT_VOCAB, 8)) {
                if let Ok(d) = parse_timeout(Some(&t)) {
                    prop_assert!(d <= MAX_WAIT);
                }
            }
        }
    }
}
