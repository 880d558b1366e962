//! HTTP: the HTML portal ([`pages`]), the JSON API ([`api`]), and what wraps both
//! ([`security`] headers, cookies and CSRF, the client's address, metrics). Operator
//! endpoints live on a separate listener ([`admin_router`]): `/metrics` moves with
//! per-account activity, so the public listener answers 404 there.

pub mod api;
pub mod cookies;
pub mod locale;
pub mod pages;
pub mod problem;
pub mod security;
pub mod texts;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ipnet::IpNet;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

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
    /// Peers whose `X-Forwarded-For` is believed (`PORTAL_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<[IpNet]>,
}

/// The client's address: the socket's peer, or, when that peer is a trusted proxy, the
/// right-most address of `X-Forwarded-For` that is not a trusted proxy itself. From an
/// untrusted peer the header is ignored (anyone can write it).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Without connection info (a router driven in-process) there is no peer to key on.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &state.trusted_proxies,
        )))
    }
}

/// The address a request comes from, given its peer and headers (see [`ClientIp`]).
pub fn client_ip(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Every X-Forwarded-For line, in order, then walked from the right (the hop nearest
    // to us): each trusted proxy appended the address it got the request from.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // Garbage was written by someone we do not trust: stop at the last good hop.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port or in brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

/// The whole application router (the public listener).
pub fn router(state: AppState) -> Router {
    // Browsers that saw https once keep to it (only when the public URL is https).
    let hsts = state.secure_cookies.then(|| {
        SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        )
    });
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .route("/api/openapi.json", get(api::openapi_json))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/static/style.css", get(stylesheet))
        .fallback(not_found)
        // Forms and JSON bodies are small; larger bodies are refused with 413.
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(middleware::from_fn(refuse_large_bodies))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            locale::middleware,
        ))
        .layer(middleware::from_fn(security::headers))
        .layer(tower::util::option_layer(hsts))
        .layer(middleware::from_fn(track_metrics))
        .with_state(state)
}

/// The largest request body accepted, in bytes.
const BODY_LIMIT: usize = 64 * 1024;

/// Refuses a body whose declared `Content-Length` is over [`BODY_LIMIT`] with a 413 in
/// the shape of its side (problem+json under `/api/`, a page elsewhere) rather than the
/// limit layer's plain text. A body of undeclared length is cut at the limit by that
/// layer instead, and the extractor reading it answers 413.
async fn refuse_large_bodies(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_none_or(|n| n <= BODY_LIMIT as u64) {
        return next.run(req).await;
    }
    if req.uri().path().starts_with("/api/") {
        problem::Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            texts::t("api-too-large"),
        )
        .into_response()
    } else {
        pages::Notice::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            texts::t("too-large-heading"),
            texts::t("too-large-page"),
        )
        .into_response()
    }
}

/// The operator listener's router (`PORTAL_ADMIN_LISTEN`): `/metrics`, and `/healthz`
/// and `/readyz` as on the public listener.
pub fn admin_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
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
            texts::t("api-database-unreachable"),
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
        problem::Problem::new(StatusCode::NOT_FOUND, "not_found", texts::t("not-found"))
            .into_response()
    } else {
        pages::Notice::new(
            StatusCode::NOT_FOUND,
            texts::t("not-found-heading"),
            texts::t("not-found"),
        )
        .into_response()
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn xff(v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", HeaderValue::from_static(v));
        h
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_of_an_untrusted_peer_is_ignored() {
        let h = xff("198.51.100.7");
        assert_eq!(client_ip(ip("203.0.113.9"), &h, &[]), ip("203.0.113.9"));
        assert_eq!(
            client_ip(ip("203.0.113.9"), &h, &nets(&["10.0.0.0/8"])),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let trusted = nets(&["10.0.0.0/8", "192.0.2.1/32"]);
        let h = xff("6.6.6.6, 198.51.100.7, 192.0.2.1");
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &trusted), ip("198.51.100.7"));
        // Several header lines read as one list.
        let mut h = xff("6.6.6.6");
        h.append("x-forwarded-for", HeaderValue::from_static("198.51.100.8"));
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &trusted), ip("198.51.100.8"));
        // Ports and brackets are tolerated.
        let h = xff("[2001:db8::1]:443");
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &trusted), ip("2001:db8::1"));
        // Only proxies all the way: the left-most one.
        let h = xff("10.9.9.9, 192.0.2.1");
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &trusted), ip("10.9.9.9"));
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.5"), &HeaderMap::new(), &trusted),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_good_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        let h = xff("198.51.100.7, not-an-address");
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &trusted), ip("10.0.0.5"));
        let h = xff("not-an-address, 198.51.100.7");
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_proxies() {
        let trusted = nets(&["127.0.0.1/32"]);
        let h = xff("198.51.100.7");
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &h, &trusted),
            ip("198.51.100.7")
        );
    }
}
