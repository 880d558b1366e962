//! Recovery tokens: link host from configuration, single use, expiry, atomic use,
//! revocation, the GET that does not use the token, guess limits.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn links_use_the_configured_public_url_despite_a_forged_host() {
    let app =
        spawn_app_with(|c| c.public_url = Some("https://account.example.org".parse().unwrap()))
            .await;
    app.account("host@example.com", STRONG).await;
    let r = app
        .api
        .post(app.url("/api/v1/password-recovery"))
        .header("Host", "evil.example.net")
        .header("X-Forwarded-Host", "evil.example.net")
        .header("Forwarded", "host=evil.example.net")
        .json(&json!({ "email": "host@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let email = app.email("host@example.com", "Password recovery").await;
    let link = link_in(&email, "/recover?token=");
    assert!(
        link.starts_with("https://account.example.org/recover?token="),
        "{link}"
    );
    assert!(!email.text.contains("evil") && !email.html.contains("evil"));
}

#[tokio::test]
async fn a_token_works_once() {
    let app = spawn_app().await;
    app.account("once@example.com", STRONG).await;
    let token = token_of(&app.recovery_link_via_api("once@example.com").await);
    assert_eq!(
        app.complete_recovery(&token, STRONGER).await.status(),
        StatusCode::OK
    );
    let again = app
        .complete_recovery(&token, "Another fine passphrase 77")
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let p: Value = again.json().await.unwrap();
    assert_eq!(p["code"], "invalid_token");
    assert_eq!(
        app.api_login("once@example.com", STRONGER).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    app.account("late@example.com", STRONG).await;
    let link = app.recovery_link_via_api("late@example.com").await;
    app.clock.advance(Duration::from_secs(29 * 60));
    let page = app.browser().get(&link).await.unwrap();
    assert!(
        page.form("Validate").is_some(),
        "still valid after 29 minutes"
    );
    app.clock.advance(Duration::from_secs(2 * 60));
    let page = app.browser().get(&link).await.unwrap();
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.says("invalid or has expired"));
    let r = app.complete_recovery(&token_of(&link), STRONGER).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn of_two_concurrent_completions_exactly_one_succeeds() {
    let app = spawn_app().await;
    app.account("race@example.com", STRONG).await;
    let token = token_of(&app.recovery_link_via_api("race@example.com").await);
    let (a, b) = tokio::join!(
        app.complete_recovery(&token, STRONGER),
        app.complete_recovery(&token, "Another fine passphrase 77"),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
    let ok = [STRONGER, "Another fine passphrase 77"];
    let mut logins = 0;
    for p in ok {
        if app.api_login("race@example.com", p).await.status() == StatusCode::CREATED {
            logins += 1;
        }
    }
    assert_eq!(logins, 1);
}

#[tokio::test]
async fn every_outstanding_token_dies_when_the_password_changes() {
    let app = spawn_app().await;
    app.account("many@example.com", STRONG).await;
    let first = token_of(&app.recovery_link_via_api("many@example.com").await);
    let second = token_of(&app.recovery_link_via_api("many@example.com").await);
    let third = token_of(&app.recovery_link_via_api("many@example.com").await);
    assert_ne!(first, second);
    assert_eq!(
        app.complete_recovery(&second, STRONGER).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.complete_recovery(&first, "Another fine passphrase 77")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );

    // A change in the settings ends tokens too.
    let fourth = token_of(&app.recovery_link_via_api("many@example.com").await);
    let bearer = app.bearer("many@example.com", STRONGER).await;
    let r = app
        .api
        .put(app.url("/api/v1/account/password"))
        .bearer_auth(&bearer)
        .json(&json!({ "current_password": STRONGER, "new_password": STRONG }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for t in [third, fourth] {
        assert_eq!(
            app.complete_recovery(&t, "Another fine passphrase 77")
                .await
                .status(),
            StatusCode::BAD_REQUEST
        );
    }
}

#[tokio::test]
async fn opening_the_link_does_not_use_the_token_and_moves_it_out_of_the_url() {
    let app = spawn_app().await;
    app.account("scan@example.com", STRONG).await;
    let link = app.recovery_link_via_api("scan@example.com").await;

    // A mail scanner fetches the link (without cookies) a few times.
    for _ in 0..3 {
        let r = app.api.get(&link).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/recover");
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            cookie.starts_with("portal_recovery=")
                && cookie.contains("HttpOnly")
                && cookie.contains("Path=/recover")
        );
    }
    // The user opens it: the form is there, the address bar holds no token.
    let browser = app.browser();
    let page = browser.get(&link).await.unwrap();
    assert!(page.url.as_str().ends_with("/recover"), "{}", page.url);
    assert!(page.form("Validate").is_some());
    let page = browser.get("/recover").await.unwrap();
    assert!(page.form("Validate").is_some(), "reloading still works");
    let done = browser
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
}

#[tokio::test]
async fn token_guessing_is_rate_limited() {
    let app = spawn_app_with(|c| c.token_guesses_per_ip = 3).await;
    app.account("guess@example.com", STRONG).await;
    let token = token_of(&app.recovery_link_via_api("guess@example.com").await);
    for i in 0..3 {
        let r = app
            .complete_recovery(&format!("wrong-token-{i}"), STRONGER)
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let r = app.complete_recovery(&token, STRONGER).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even a right token waits"
    );
    app.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(
        app.complete_recovery(&token, STRONGER).await.status(),
        StatusCode::OK
    );
}
