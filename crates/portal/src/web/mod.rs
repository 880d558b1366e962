//! HTTP: the HTML portal ([`pages`]), the JSON API ([`api`]), and what wraps both
//! ([`security`] headers, cookies and CSRF, metrics).

pub mod api;
pub mod cookies;
pub mod pages;
pub mod problem;
pub mod security;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::limit::RequestBodyLimitLayer;

use crate::accounts::Accounts;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub accounts: Accounts,
    /// Product name for pages.
    pub product: Arc<str>,
    /// `Secure` on cookies (public URL is https).
    pub secure_cookies: bool,
    /// Prometheus renderer for `/metrics`.
    pub metrics: Option<PrometheusHandle>,
    /// Recovery cookie lifetime (the recovery TTL).
    pub recovery_ttl: Duration,
}

/// The client's IP as seen on the socket (forwarded headers are not trusted).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .route("/api/openapi.json", get(api::openapi_json))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/static/style.css", get(stylesheet))
        .fallback(not_found)
        .layer(middleware::from_fn(security::headers))
        .layer(middleware::from_fn(track_metrics))
        // Forms and JSON bodies are small; larger bodies are refused with 413.
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.accounts.store().ping().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        problem::Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "The database cannot be reached.",
        )
        .into_response()
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    // Read from the database, so every instance shows the whole outbox (the counters
    // are per process and start at zero on restart).
    let pool = state.accounts.store().pool();
    if let Ok(n) = crate::store::outbox_pending_count(pool).await {
        metrics::gauge!("portal_outbox_pending").set(n as f64);
    }
    if let Ok(n) = crate::store::outbox_failed_count(pool).await {
        metrics::gauge!("portal_outbox_failed").set(n as f64);
    }
    let body = state
        .metrics
        .as_ref()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        body,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("../../static/style.css"),
    )
        .into_response()
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        problem::Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "There is nothing at this address.",
        )
        .into_response()
    } else {
        pages::message_response(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is nothing at this address.",
            true,
            Some(("/", "Go to the home page")),
        )
    }
}

async fn track_metrics(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("portal_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("portal_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
