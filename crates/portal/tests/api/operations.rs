//! Health, readiness, metrics, OpenAPI, and bad input answered with a 4xx and a reason.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    assert_eq!(
        app.api
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.api
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let _ = app.browser().get("/login").await.unwrap();
    let metrics = app
        .api
        .get(format!("{}/metrics", app.admin_address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("portal_http_requests_total"), "{metrics}");
    for path in ["/healthz", "/readyz"] {
        let r = app
            .api
            .get(format!("{}{path}", app.admin_address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "admin {path}");
    }
}

/// The counters move with per-account activity (emails queued for known addresses), so
/// on the public listener they would tell which addresses have accounts.
#[tokio::test]
async fn metrics_are_not_served_on_the_public_listener() {
    let app = spawn_app().await;
    let r = app.api.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body = r.text().await.unwrap();
    assert!(!body.contains("portal_"), "{body}");
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = spawn_app().await;
    let doc: Value = app
        .api
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/accounts",
        "/api/v1/accounts/confirm",
        "/api/v1/sessions",
        "/api/v1/sessions/current",
        "/api/v1/account",
        "/api/v1/account/password",
        "/api/v1/password-recovery",
        "/api/v1/password-recovery/complete",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

async fn problem(r: reqwest::Response, status: StatusCode, code: &str) {
    let actual = r.status();
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(actual, status, "{p}");
    assert_eq!(p["code"], code);
    assert_eq!(p["status"], status.as_u16());
    assert!(!p["detail"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_reason_never_a_500() {
    let app = spawn_app().await;
    let post = |path: &str, body: &'static str, ct: &'static str| {
        app.api
            .post(app.url(path))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    problem(
        post("/api/v1/sessions", "{not json", "application/json")
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_body",
    )
    .await;
    problem(
        post("/api/v1/sessions", "{}", "application/json")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    problem(
        post("/api/v1/sessions", "email=x", "text/plain")
            .await
            .unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    problem(
        app.api
            .get(app.url("/api/v1/nothing"))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        app.api
            .get(app.url("/api/v1/account"))
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    problem(
        app.api
            .get(app.url("/api/v1/account"))
            .header("authorization", "Basic YWxpY2U6c2VjcmV0")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let big = "x".repeat(200_000);
    let r = app
        .api
        .post(app.url("/api/v1/sessions"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let r = app
        .api
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("%%%=&&")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = app
        .api
        .get(app.url("/recover?token=%F0%9F%A6%80"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = app.api.get(app.url("/confirm")).send().await.unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = app.api.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unreachable_database_gives_503_not_500() {
    let app = spawn_app().await;
    app.store.close().await;
    let r = app.api.get(app.url("/readyz")).send().await.unwrap();
    problem(r, StatusCode::SERVICE_UNAVAILABLE, "database_unavailable").await;
    let r = app.api_login("someone@example.com", STRONG).await;
    problem(r, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
    let page = log_in(&app.browser(), "someone@example.com", STRONG).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
}
