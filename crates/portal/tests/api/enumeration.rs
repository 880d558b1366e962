//! No account enumeration: same status, body, headers and cookies for known and unknown
//! addresses, also when rate-limited or when mail is down; mail goes to the stored
//! address.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn forgot_answer(browser: &Browser, email: &str) -> Fingerprint {
    forgot_answer_with(browser, |_| "Restore password".to_owned(), email).await
}

#[tokio::test]
async fn recovery_page_answer_is_identical_for_known_and_unknown_addresses() {
    let app = spawn_app().await;
    app.account("known@example.com", STRONG).await;
    let browser = app.browser();
    let known = forgot_answer(&browser, "known@example.com").await;
    let unknown = forgot_answer(&browser, "nobody@example.com").await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, StatusCode::OK);
    assert!(
        !known.1.iter().any(|(k, _)| k == "set-cookie"),
        "no cookie either way"
    );
    app.email("known@example.com", "Password recovery").await;
    app.recovery_queue_drained().await;
    assert!(app.emails("nobody@example.com", "").await.is_empty());
}

#[tokio::test]
async fn recovery_api_answer_is_identical_for_known_unknown_and_malformed_addresses() {
    let app = spawn_app().await;
    app.account("known@example.com", STRONG).await;
    let mut answers = Vec::new();
    for email in ["known@example.com", "nobody@example.com", "not an address"] {
        answers.push(
            fingerprint(
                app.post_json("/api/v1/password-recovery", json!({ "email": email }))
                    .await,
            )
            .await,
        );
    }
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);
}

#[tokio::test]
async fn answers_stay_identical_when_rate_limited() {
    let app = spawn_app_with(|c| {
        c.recovery_per_account_per_hour = 1;
        c.recovery_per_ip_per_hour = 3;
    })
    .await;
    app.account("known@example.com", STRONG).await;
    let first = fingerprint(
        app.post_json(
            "/api/v1/password-recovery",
            json!({ "email": "known@example.com" }),
        )
        .await,
    )
    .await;
    for email in [
        "known@example.com",
        "nobody@example.com",
        "known@example.com",
        "nobody@example.com",
    ] {
        let again = fingerprint(
            app.post_json("/api/v1/password-recovery", json!({ "email": email }))
                .await,
        )
        .await;
        assert_eq!(first, again);
    }
    app.recovery_queue_drained().await;
    assert_eq!(
        app.emails("known@example.com", "Password recovery")
            .await
            .len(),
        1,
        "limit per account"
    );
}

#[tokio::test]
async fn answers_stay_identical_when_mail_is_down() {
    // Nothing listens on port 9 of the loopback: every delivery fails.
    let app = spawn_app_with(|c| c.smtp_url = Some("smtp://127.0.0.1:9".into())).await;
    app.account("known@example.com", STRONG).await;
    let known = fingerprint(
        app.post_json(
            "/api/v1/password-recovery",
            json!({ "email": "known@example.com" }),
        )
        .await,
    )
    .await;
    let unknown = fingerprint(
        app.post_json(
            "/api/v1/password-recovery",
            json!({ "email": "nobody@example.com" }),
        )
        .await,
    )
    .await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, StatusCode::ACCEPTED);
    app.recovery_queue_drained().await;
    let pending = portal::store::outbox_pending_count(app.store.pool())
        .await
        .unwrap();
    assert_eq!(pending, 1, "the email waits in the outbox");
}

#[tokio::test]
async fn sign_up_answer_does_not_reveal_registered_addresses_and_the_owner_is_told() {
    let app = spawn_app().await;
    app.account("taken@example.com", STRONG).await;
    let a = fingerprint(
        app.post_json(
            "/api/v1/accounts",
            json!({ "email": "taken@example.com", "password": STRONGER }),
        )
        .await,
    )
    .await;
    let b = fingerprint(
        app.post_json(
            "/api/v1/accounts",
            json!({ "email": "fresh@example.com", "password": STRONGER }),
        )
        .await,
    )
    .await;
    assert_eq!(a, b);
    app.email("taken@example.com", "Someone tried to sign up")
        .await;
    app.email("fresh@example.com", "Confirm your email address")
        .await;
    // The original password still works.
    assert_eq!(
        app.api_login("taken@example.com", STRONG).await.status(),
        StatusCode::CREATED
    );

    let browser = app.browser();
    let page = browser.get("/signup").await.unwrap();
    let taken = browser
        .submit(
            &page,
            "Create account",
            &[
                ("Email", "taken@example.com"),
                ("Password", STRONGER),
                ("Confirm password", STRONGER),
            ],
        )
        .await
        .unwrap();
    let page = browser.get("/signup").await.unwrap();
    let fresh = browser
        .submit(
            &page,
            "Create account",
            &[
                ("Email", "other@example.com"),
                ("Password", STRONGER),
                ("Confirm password", STRONGER),
            ],
        )
        .await
        .unwrap();
    assert_eq!((taken.status, taken.html), (fresh.status, fresh.html));
}

#[tokio::test]
async fn log_in_failure_is_the_same_for_unknown_address_and_wrong_password() {
    let app = spawn_app().await;
    app.account("known@example.com", STRONG).await;
    let wrong = fingerprint(app.api_login("known@example.com", STRONGER).await).await;
    let unknown = fingerprint(app.api_login("nobody@example.com", STRONGER).await).await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);

    let a = log_in(&app.browser(), "known@example.com", STRONGER).await;
    let b = log_in(&app.browser(), "nobody@example.com", STRONGER).await;
    assert_eq!(a.status, b.status);
    assert_eq!(a.alert(), b.alert());
}

#[tokio::test]
async fn recovery_email_goes_to_the_stored_address_not_the_typed_one() {
    let app = spawn_app().await;
    app.account("Grace.Hopper@Example.com", STRONG).await;
    let r = app
        .post_json(
            "/api/v1/password-recovery",
            json!({ "email": "  grace.hopper@EXAMPLE.COM " }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let email = app
        .email("grace.hopper@example.com", "Password recovery")
        .await;
    assert_eq!(email.to[0].address, "Grace.Hopper@Example.com");
    assert_eq!(
        email.envelope.to,
        vec!["Grace.Hopper@Example.com".to_owned()]
    );
}

#[tokio::test]
async fn log_in_costs_as_much_for_unknown_addresses_as_for_known_ones() {
    // Unknown addresses are checked against a dummy Argon2 hash: without it they would
    // answer in a millisecond instead of tens.
    let app = spawn_app_with(|c| c.login_failures_per_account = 100).await;
    app.account("timed@example.com", STRONG).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..5 {
        let t = std::time::Instant::now();
        app.api_login("timed@example.com", "wrong password 123")
            .await;
        known.push(t.elapsed());
        let t = std::time::Instant::now();
        app.api_login(&format!("ghost{i}@example.com"), "wrong password 123")
            .await;
        unknown.push(t.elapsed());
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[2].as_secs_f64(), unknown[2].as_secs_f64());
    assert!(
        u > k / 3.0 && u < k * 3.0,
        "median known {k:.4}s vs unknown {u:.4}s"
    );
}
