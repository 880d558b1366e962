//! A burst of "Forgot your password?" requests, all at once: requests are written in
//! groups (one transaction per group) and turned into emails in groups, and the limits
//! must still cut at exactly the configured count, with every answer the same.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{STRONG, spawn_app_with};

async fn burst(app: &crate::helpers::TestApp, email: &str, n: usize) {
    let answers = join_all(
        (0..n).map(|_| app.post_json("/api/v1/password-recovery", json!({ "email": email }))),
    )
    .await;
    for r in answers {
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    app.recovery_queue_drained().await;
}

async fn count(app: &crate::helpers::TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_burst_from_one_client_is_cut_at_its_hourly_limit() {
    let app = spawn_app_with(|c| {
        c.recovery_per_ip_per_hour = 10;
        c.recovery_per_account_per_hour = 1000;
    })
    .await;
    app.account("known@example.com", STRONG).await;
    burst(&app, "known@example.com", 40).await;

    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE kind = 'recovery'").await,
        10
    );
    // Dropped requests are logged per client and group, with how many were dropped.
    let details: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE event = 'recovery_rate_limited_ip'",
    )
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    let dropped: i64 = details
        .iter()
        .map(|d| d.split(' ').next().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(dropped, 30, "{details:?}");

    // The window is full: one more is dropped too.
    burst(&app, "known@example.com", 1).await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE kind = 'recovery'").await,
        10
    );
}

#[tokio::test]
async fn a_burst_for_one_account_is_cut_at_its_hourly_limit() {
    let app = spawn_app_with(|c| {
        c.recovery_per_ip_per_hour = 1000;
        c.recovery_per_account_per_hour = 3;
    })
    .await;
    app.account("known@example.com", STRONG).await;
    burst(&app, "known@example.com", 12).await;
    burst(&app, "nobody@example.com", 5).await;

    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE kind = 'recovery'").await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM account_tokens WHERE purpose = 'recovery'"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE event = 'recovery_rate_limited_account'"
        )
        .await,
        9
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE event = 'recovery_requested_unknown_address'"
        )
        .await,
        5
    );
    // Each email that went out carries a link that works.
    let link = app.recovery_link("known@example.com").await;
    assert!(link.contains("/recover?token="));
}
