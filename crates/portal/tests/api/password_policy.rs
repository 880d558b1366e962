//! The password policy as users meet it: long and emoji passwords welcome, common and
//! context passwords refused with the reason.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn sixty_four_character_and_emoji_passwords_are_accepted() {
    let app = spawn_app().await;
    app.account("long@example.com", STRONG).await;
    let p64: String = "Tangerine submarine, whispering 42 mountains & coffee!!"
        .chars()
        .cycle()
        .take(64)
        .collect();
    assert_eq!(p64.chars().count(), 64);
    let token = token_of(&app.recovery_link_via_api("long@example.com").await);
    assert_eq!(
        app.complete_recovery(&token, &p64).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.api_login("long@example.com", &p64).await.status(),
        StatusCode::CREATED
    );

    let emoji = "🦀🚲🌋🎻🍋🛶 mañana ключ";
    let token = token_of(&app.recovery_link_via_api("long@example.com").await);
    assert_eq!(
        app.complete_recovery(&token, emoji).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.api_login("long@example.com", emoji).await.status(),
        StatusCode::CREATED
    );

    // NFKC: the fullwidth form of the same text logs in too.
    let token = token_of(&app.recovery_link_via_api("long@example.com").await);
    assert_eq!(
        app.complete_recovery(&token, "Ｑｕａｒｔｚ lagoon marmalade 93")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.api_login("long@example.com", "Quartz lagoon marmalade 93")
            .await
            .status(),
        StatusCode::CREATED
    );
}

async fn refusal(app: &TestApp, token: &str, password: &str) -> Value {
    let r = app.complete_recovery(token, password).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{password}");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    r.json().await.unwrap()
}

#[tokio::test]
async fn weak_passwords_are_refused_saying_why_and_the_token_survives() {
    let app = spawn_app().await;
    app.account("weak.user@example.com", STRONG).await;
    let token = token_of(&app.recovery_link_via_api("weak.user@example.com").await);

    let p = refusal(&app, &token, "password1234").await;
    assert_eq!(p["code"], "password_too_common");
    assert!(p["detail"].as_str().unwrap().contains("too common"));
    let p = refusal(&app, &token, "short").await;
    assert_eq!(p["code"], "password_too_short");
    assert!(p["detail"].as_str().unwrap().contains("at least 12"));
    let p = refusal(&app, &token, "weak.user-velvet-tundra").await;
    assert_eq!(p["code"], "password_contains_email");
    let p = refusal(&app, &token, "my wallbox velvet tundra").await;
    assert_eq!(p["code"], "password_contains_product_name");
    let p = refusal(&app, &token, &"x7#Kq".repeat(26)).await;
    assert_eq!(p["code"], "password_too_long");

    // Refusals do not use the token.
    assert_eq!(
        app.complete_recovery(&token, STRONGER).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_html_forms_show_the_reason_in_an_alert() {
    let app = spawn_app().await;
    app.account("form@example.com", STRONG).await;
    let b = app.browser();
    log_in(&b, "form@example.com", STRONG).await;
    let edit = b.get("/settings/security/password").await.unwrap();
    let refused = update_password(&b, &edit, STRONG, "iloveyou1234", "iloveyou1234").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.alert().unwrap().contains("too common"),
        "{:?}",
        refused.alert()
    );
    let mismatch = update_password(&b, &refused, STRONG, STRONGER, "something else entirely").await;
    assert!(mismatch.alert().unwrap().contains("do not match"));

    let r = app
        .post_json(
            "/api/v1/accounts",
            json!({ "email": "new@example.com", "password": "qwertyuiop123" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_minimum_length_is_configurable() {
    let app = spawn_app_with(|c| c.password_min_length = 20).await;
    app.account("min@example.com", STRONG).await;
    let token = token_of(&app.recovery_link_via_api("min@example.com").await);
    let p = refusal(&app, &token, "velvet-tundra-orbit").await;
    assert!(p["detail"].as_str().unwrap().contains("at least 20"));
}
