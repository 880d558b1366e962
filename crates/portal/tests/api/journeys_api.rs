//! Both journeys (and sign-up) through the JSON API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn password_recovery_through_the_api() {
    let app = spawn_app().await;
    app.account("dave@example.com", STRONG).await;

    let r = app
        .post_json(
            "/api/v1/password-recovery",
            json!({ "email": "dave@example.com" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let token = token_of(&app.recovery_link("dave@example.com").await);

    let r = app.complete_recovery(&token, STRONGER).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["message"],
        "You can now log in using the new password you defined."
    );
    assert!(body.get("token").is_none(), "no automatic log-in");

    assert_eq!(
        app.api_login("dave@example.com", STRONG).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.api_login("dave@example.com", STRONGER).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn password_change_through_the_api() {
    let app = spawn_app().await;
    app.account("erin@example.com", STRONG).await;
    let token = app.bearer("erin@example.com", STRONG).await;

    let r = app
        .api
        .put(app.url("/api/v1/account/password"))
        .bearer_auth(&token)
        .json(&json!({ "current_password": STRONG, "new_password": STRONGER }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let rotated = body["token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, token);

    assert_eq!(
        app.get_account(&token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let me: Value = app.get_account(&rotated).await.json().await.unwrap();
    assert_eq!(me["email"], "erin@example.com");
    app.email("erin@example.com", "Your password was changed")
        .await;
    assert_eq!(
        app.api_login("erin@example.com", STRONGER).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn account_creation_confirmation_session_and_log_out_through_the_api() {
    let app = spawn_app().await;
    let r = app
        .post_json(
            "/api/v1/accounts",
            json!({ "email": "fay@example.com", "password": STRONG }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);

    // Before confirmation the right password is answered exactly like a wrong one, so
    // log-in cannot tell whether this sign-up created the account.
    let r = app.api_login("fay@example.com", STRONG).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let right: Value = r.json().await.unwrap();
    let r = app
        .api_login("fay@example.com", "Not the password at all 1")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let wrong: Value = r.json().await.unwrap();
    assert_eq!(right, wrong);
    assert_eq!(right["code"], "invalid_credentials");

    let token = token_of(&link_in(
        &app.email("fay@example.com", "Confirm your email address")
            .await,
        "/confirm?token=",
    ));
    let r = app
        .post_json("/api/v1/accounts/confirm", json!({ "token": token }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let bearer = app.bearer("fay@example.com", STRONG).await;
    let me: Value = app.get_account(&bearer).await.json().await.unwrap();
    assert_eq!(me["confirmed"], true);

    let r = app
        .api
        .delete(app.url("/api/v1/sessions/current"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_account(&bearer).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
