//! Sessions: ended by a reset, no automatic log-in, rotation on change, current
//! password required, log-in attempts limited.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_reset_ends_every_session_and_logs_nobody_in() {
    let app = spawn_app().await;
    app.account("sess@example.com", STRONG).await;
    let bearer = app.bearer("sess@example.com", STRONG).await;
    let web = app.browser();
    assert!(
        log_in(&web, "sess@example.com", STRONG)
            .await
            .url
            .as_str()
            .ends_with("/account")
    );

    // The reset happens in a browser that is logged in as well.
    let link = app.recovery_link_via_api("sess@example.com").await;
    let page = web.get(&link).await.unwrap();
    let done = web
        .submit(
            &page,
            "Validate",
            &[
                ("New password", STRONGER),
                ("Confirm new password", STRONGER),
            ],
        )
        .await
        .unwrap();
    assert!(done.says("You can now log in using the new password you defined."));

    assert_eq!(
        app.get_account(&bearer).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let after = web.get("/account").await.unwrap();
    assert!(
        after.url.as_str().ends_with("/login"),
        "not logged in automatically: {}",
        after.url
    );
    let n = portal::store::count_sessions(
        app.store.pool(),
        &account_id(&app, "sess@example.com").await,
        app.clock.now_unix(),
    )
    .await
    .unwrap();
    assert_eq!(n, 0);
}

async fn account_id(app: &TestApp, email: &str) -> String {
    portal::store::account_by_email(app.store.pool(), email)
        .await
        .unwrap()
        .unwrap()
        .id
}

trait UnixNow {
    fn now_unix(&self) -> i64;
}

impl UnixNow for portal::clock::ManualClock {
    fn now_unix(&self) -> i64 {
        use portal::clock::Clock;
        self.unix()
    }
}

#[tokio::test]
async fn a_change_ends_other_sessions_and_rotates_this_one() {
    let app = spawn_app().await;
    app.account("rot@example.com", STRONG).await;
    let bearer = app.bearer("rot@example.com", STRONG).await;
    let other = app.browser();
    log_in(&other, "rot@example.com", STRONG).await;
    let me = app.browser();
    log_in(&me, "rot@example.com", STRONG).await;
    let before = session_cookie(&me, &app).await;

    let edit = me.get("/settings/security/password").await.unwrap();
    let done = update_password(&me, &edit, STRONG, STRONGER, STRONGER).await;
    assert!(done.says("You can now log in using the new password you defined."));
    let after = session_cookie(&me, &app).await;
    assert_ne!(before, after, "the session id rotates");
    assert!(
        me.get("/account")
            .await
            .unwrap()
            .url
            .as_str()
            .ends_with("/account")
    );
    assert!(
        other
            .get("/account")
            .await
            .unwrap()
            .url
            .as_str()
            .ends_with("/login")
    );
    assert_eq!(
        app.get_account(&bearer).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let events = portal::store::audit_events_of(
        app.store.pool(),
        &account_id(&app, "rot@example.com").await,
    )
    .await
    .unwrap();
    assert!(
        events.contains(&"password_changed".to_owned())
            && events.contains(&"sessions_revoked".to_owned())
    );
}

async fn session_cookie(browser: &Browser, _app: &TestApp) -> String {
    browser
        .cookie("portal_session", "/account")
        .expect("a session cookie")
}

#[tokio::test]
async fn a_change_needs_the_current_password_and_a_session() {
    let app = spawn_app().await;
    app.account("cur@example.com", STRONG).await;
    let b = app.browser();
    log_in(&b, "cur@example.com", STRONG).await;
    let edit = b.get("/settings/security/password").await.unwrap();
    let refused = update_password(&b, &edit, "not my password at all", STRONGER, STRONGER).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.alert().as_deref(),
        Some("Your current password is incorrect.")
    );
    assert_eq!(
        app.api_login("cur@example.com", STRONG).await.status(),
        StatusCode::CREATED
    );

    let anonymous = app
        .browser()
        .get("/settings/security/password")
        .await
        .unwrap();
    assert!(anonymous.url.as_str().ends_with("/login"));
    let r = app
        .api
        .put(app.url("/api/v1/account/password"))
        .json(&json!({ "current_password": STRONG, "new_password": STRONGER }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "unauthenticated");
}

#[tokio::test]
async fn log_in_attempts_are_limited_the_same_way_for_every_address() {
    let app = spawn_app_with(|c| c.login_failures_per_account = 3).await;
    app.account("slow@example.com", STRONG).await;
    for email in ["slow@example.com", "ghost@example.com"] {
        for _ in 0..3 {
            assert_eq!(
                app.api_login(email, "wrong password 123").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        let r = app.api_login(email, STRONG).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["code"], "too_many_attempts");
    }
    // The owner is not locked out for good.
    app.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(
        app.api_login("slow@example.com", STRONG).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let app = spawn_app().await;
    app.account("out@example.com", STRONG).await;
    let b = app.browser();
    let account = log_in(&b, "out@example.com", STRONG).await;
    let home = b.submit(&account, "Log out", &[]).await.unwrap();
    assert!(home.link("Continue with email").is_some());
    assert!(
        b.get("/account")
            .await
            .unwrap()
            .url
            .as_str()
            .ends_with("/login")
    );
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    app.account("scheme@example.com", STRONG).await;
    let token = app.bearer("scheme@example.com", STRONG).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = app
            .api
            .get(app.url("/api/v1/account"))
            .header("Authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{scheme}");
    }
    let r = app
        .api
        .get(app.url("/api/v1/account"))
        .header("Authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
