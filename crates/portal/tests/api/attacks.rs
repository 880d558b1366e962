//! What an attacker tries: racing the log-in limit, locking the owner out, mail-bombing
//! through sign-up, look-alike addresses, forged CSRF pairs, spoofed `X-Forwarded-For`,
//! idle sessions, a flood of hashing work. Each test failed before the rule it checks
//! existed.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// Outbox rows addressed to `to` of one kind (what the portal decided to send).
async fn emails_queued(app: &TestApp, to: &str, kind: &str) -> i64 {
    use sqlx::Row as _;
    sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE recipient = $1 AND kind = $2")
        .bind(to.to_owned())
        .bind(kind.to_owned())
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .try_get::<i64, _>("n")
        .unwrap()
}

/// A sign-up through the API.
async fn sign_up(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/accounts",
        json!({ "email": email, "password": password }),
    )
    .await
}

/// A log-in with `STRONG` through the API, as forwarded for `client` by a proxy.
async fn log_in_from(app: &TestApp, client: &str, email: &str) -> StatusCode {
    app.api
        .post(app.url("/api/v1/sessions"))
        .header("X-Forwarded-For", client)
        .json(&json!({ "email": email, "password": STRONG }))
        .send()
        .await
        .unwrap()
        .status()
}

/// The client address recorded with the newest audit event of `event`.
async fn audited_client(app: &TestApp, event: &str) -> Option<String> {
    use sqlx::Row as _;
    sqlx::query("SELECT client_ip FROM audit_events WHERE event = $1 ORDER BY at DESC, id DESC")
        .bind(event.to_owned())
        .fetch_optional(app.store.pool())
        .await
        .unwrap()
        .and_then(|r| r.try_get::<Option<String>, _>("client_ip").unwrap())
}

async fn login_with_device(
    app: &TestApp,
    email: &str,
    password: &str,
    device: Option<&str>,
) -> reqwest::Response {
    let mut r = app
        .api
        .post(app.url("/api/v1/sessions"))
        .json(&json!({ "email": email, "password": password }));
    if let Some(d) = device {
        r = r.header("X-Device-Token", d);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn concurrent_wrong_passwords_get_no_more_guesses_than_the_limit() {
    let app = spawn_app().await;
    app.account("race@example.com", STRONG).await;
    let attempts = (0..200).map(|i| {
        let app = &app;
        async move {
            app.api_login("race@example.com", &format!("Wrong guess number {i}"))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let evaluated = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(evaluated, 10, "{statuses:?}");
    assert_eq!(limited, 190, "{statuses:?}");
}

#[tokio::test]
async fn concurrent_wrong_current_passwords_get_no_more_guesses_than_the_limit() {
    let app = spawn_app().await;
    app.account("change-race@example.com", STRONG).await;
    let token = app.bearer("change-race@example.com", STRONG).await;
    let attempts = (0..40).map(|i| {
        let (app, token) = (&app, &token);
        async move {
            app.api
                .put(app.url("/api/v1/account/password"))
                .bearer_auth(token)
                .json(&json!({
                    "current_password": format!("Wrong current password {i}"),
                    "new_password": STRONGER,
                }))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let evaluated = statuses
        .iter()
        .filter(|s| **s == StatusCode::FORBIDDEN)
        .count();
    assert!(
        evaluated <= 10,
        "{evaluated} guesses evaluated: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::FORBIDDEN || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn failures_from_elsewhere_do_not_lock_out_a_device_that_logged_in_before() {
    let app = spawn_app().await;
    app.account("owner@example.com", STRONG).await;
    // The owner's app logs in once and keeps its device token.
    let r = app.api_login("owner@example.com", STRONG).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    let device = body["device_token"].as_str().unwrap().to_owned();

    // Someone else spends the account's budget, and more.
    for i in 0..12 {
        let r = app
            .api_login("owner@example.com", &format!("Attacker guess {i}"))
            .await;
        assert!([StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&r.status()));
    }
    // Untrusted clients are refused even with the right password...
    assert_eq!(
        app.api_login("owner@example.com", STRONG).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...but the owner's device logs in, and keeps its token.
    let r = login_with_device(&app, "owner@example.com", STRONG, Some(&device)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["device_token"].as_str(), Some(device.as_str()));

    // A forged or foreign device token buys nothing.
    let forged = format!("{}x", &device[..device.len() - 1]);
    assert_eq!(
        login_with_device(&app, "owner@example.com", STRONG, Some(&forged))
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.account("other@example.com", STRONG).await;
    let other: Value = app
        .api_login("other@example.com", STRONG)
        .await
        .json()
        .await
        .unwrap();
    let foreign = other["device_token"].as_str().unwrap();
    assert_eq!(
        login_with_device(&app, "owner@example.com", STRONG, Some(foreign))
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // A trusted device has a small budget of its own: a stolen device token is no
    // licence to guess.
    let mut statuses = Vec::new();
    for i in 0..7 {
        statuses.push(
            login_with_device(
                &app,
                "owner@example.com",
                &format!("Typo {i}"),
                Some(&device),
            )
            .await
            .status(),
        );
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
}

#[tokio::test]
async fn the_web_log_in_sets_a_signed_device_cookie() {
    let app = spawn_app().await;
    app.account("cookie-owner@example.com", STRONG).await;
    let b = app.browser();
    log_in(&b, "cookie-owner@example.com", STRONG).await;
    let device = b.cookie("portal_device", "/").expect("a device cookie");
    assert!(device.starts_with("v1."), "{device}");
}

#[tokio::test]
async fn sign_up_sends_at_most_three_emails_per_address_per_hour() {
    let app = spawn_app().await;
    app.account("bombed@example.com", STRONG).await;
    for _ in 0..6 {
        let r = sign_up(&app, "bombed@example.com", STRONGER).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    assert_eq!(
        emails_queued(&app, "bombed@example.com", "signup_attempt").await,
        3
    );
    // An hour later the owner can be told again.
    app.clock.advance(std::time::Duration::from_secs(3601));
    sign_up(&app, "bombed@example.com", STRONGER).await;
    assert_eq!(
        emails_queued(&app, "bombed@example.com", "signup_attempt").await,
        4
    );
}

#[tokio::test]
async fn sign_ups_from_one_client_are_limited_before_any_hashing() {
    let app = spawn_app_with(|c| c.signups_per_ip_per_hour = 3).await;
    for i in 0..5 {
        let r = sign_up(&app, &format!("new{i}@example.com"), STRONG).await;
        // The same answer past the limit: it is about the client, and says nothing.
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    for i in 0..3 {
        let to = format!("new{i}@example.com");
        assert_eq!(emails_queued(&app, &to, "confirmation").await, 1, "{to}");
    }
    for i in 3..5 {
        let to = format!("new{i}@example.com");
        assert_eq!(emails_queued(&app, &to, "confirmation").await, 0, "{to}");
    }
    assert_eq!(
        app.api_login("new4@example.com", STRONG).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_look_alike_address_cannot_squat_a_real_one() {
    let app = spawn_app().await;
    // KELVIN SIGN + "ate": lower-cases to "kate".
    let r = sign_up(&app, "\u{212A}ate@example.org", STRONG).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "invalid_email");
    assert!(p["detail"].as_str().unwrap().contains("look-alike"), "{p}");

    // The real Kate registers as if nothing happened.
    let r = sign_up(&app, "kate@example.org", STRONG).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        emails_queued(&app, "kate@example.org", "confirmation").await,
        1
    );
    assert_eq!(
        emails_queued(&app, "kate@example.org", "signup_attempt").await,
        0
    );
}

#[tokio::test]
async fn an_address_left_unconfirmed_is_free_again_after_its_time() {
    let app = spawn_app().await;
    // A squatter signs up with an address they cannot read.
    sign_up(&app, "victim@example.com", STRONG).await;
    // Within the week, the owner's sign-up only tells the owner.
    sign_up(&app, "victim@example.com", STRONGER).await;
    assert_eq!(
        emails_queued(&app, "victim@example.com", "signup_attempt").await,
        1
    );
    // After it, the stale account is gone and the owner's sign-up creates theirs.
    app.clock
        .advance(std::time::Duration::from_secs(7 * 86400 + 60));
    app.sink.clear().await;
    let r = sign_up(&app, "victim@example.com", STRONGER).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let token = token_of(&link_in(
        &app.email("victim@example.com", "Confirm your email address")
            .await,
        "/confirm?token=",
    ));
    let r = app
        .post_json("/api/v1/accounts/confirm", json!({ "token": token }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.api_login("victim@example.com", STRONGER).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_csrf_pair_chosen_by_the_client_is_refused() {
    let app = spawn_app().await;
    app.account("pair@example.com", STRONG).await;
    let chosen = "a".repeat(43);
    for path in ["/login", "/forgot-password", "/signup"] {
        let r = app
            .api
            .post(app.url(path))
            .header("Cookie", format!("portal_csrf={chosen}"))
            .form(&[
                ("csrf_token", chosen.as_str()),
                ("email", "pair@example.com"),
                ("password", STRONG),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // The short form of the review's forgery too.
    let r = app
        .api
        .post(app.url("/login"))
        .header("Cookie", "portal_csrf=a")
        .form(&[
            ("csrf_token", "a"),
            ("email", "pair@example.com"),
            ("password", STRONG),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    // Untrusted peer (the default): the header is the client's own word, ignored.
    let app = spawn_app().await;
    log_in_from(&app, "198.51.100.7", "nobody@example.com").await;
    assert_eq!(
        audited_client(&app, "login_failed").await.as_deref(),
        Some("127.0.0.1")
    );

    // Behind a trusted load balancer: the right-most untrusted hop is the client, and a
    // value the client prepended changes nothing.
    let app = spawn_app_with(|c| {
        c.trusted_proxies = vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
    })
    .await;
    log_in_from(
        &app,
        "6.6.6.6, 198.51.100.7, 10.1.2.3",
        "nobody@example.com",
    )
    .await;
    assert_eq!(
        audited_client(&app, "login_failed").await.as_deref(),
        Some("198.51.100.7")
    );
}

#[tokio::test]
async fn behind_a_load_balancer_each_client_has_its_own_budget() {
    let app = spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.login_failures_per_ip = 3;
    })
    .await;
    let attempt = |client: &'static str, i: usize| {
        let app = &app;
        async move { log_in_from(app, client, &format!("n{i}@example.com")).await }
    };
    for i in 0..3 {
        assert_eq!(attempt("198.51.100.7", i).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        attempt("198.51.100.7", 9).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same balancer is not affected.
    assert_eq!(attempt("198.51.100.8", 10).await, StatusCode::UNAUTHORIZED);
    // IPv6 clients are one client per /64: rotating inside it buys nothing.
    for i in 0..3 {
        assert_eq!(
            attempt(
                ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9"][i],
                20 + i
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        attempt("2001:db8:1:2:abcd::1", 30).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn an_idle_session_ends_and_a_used_one_lives_on() {
    let app = spawn_app().await;
    app.account("idle@example.com", STRONG).await;
    let busy = app.bearer("idle@example.com", STRONG).await;
    let idle = app.bearer("idle@example.com", STRONG).await;
    for _ in 0..3 {
        app.clock.advance(std::time::Duration::from_secs(20 * 60));
        assert_eq!(app.get_account(&busy).await.status(), StatusCode::OK);
    }
    // An hour on: the one used every 20 minutes is alive, the other ended at 30.
    assert_eq!(
        app.get_account(&idle).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.clock.advance(std::time::Duration::from_secs(31 * 60));
    assert_eq!(
        app.get_account(&busy).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_short_idle_timeout_still_lets_use_keep_a_session_alive() {
    let app = spawn_app_with(|c| c.session_idle_timeout = std::time::Duration::from_secs(10)).await;
    app.account("brief@example.com", STRONG).await;
    let token = app.bearer("brief@example.com", STRONG).await;
    for _ in 0..6 {
        app.clock.advance(std::time::Duration::from_secs(4));
        assert_eq!(app.get_account(&token).await.status(), StatusCode::OK);
    }
    app.clock.advance(std::time::Duration::from_secs(11));
    assert_eq!(
        app.get_account(&token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_full_hashing_queue_answers_503_with_retry_after() {
    let app = spawn_app_with(|c| {
        c.max_concurrent_hashes = Some(1);
        c.max_queued_hashes = 1;
    })
    .await;
    let attempts = (0..30).map(|i| {
        let app = &app;
        async move { app.api_login(&format!("busy{i}@example.com"), STRONG).await }
    });
    let answers = futures::future::join_all(attempts).await;
    let busy: Vec<&reqwest::Response> = answers
        .iter()
        .filter(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        !busy.is_empty(),
        "no 503 among {:?}",
        answers.iter().map(|r| r.status()).collect::<Vec<_>>()
    );
    for r in &busy {
        assert_eq!(
            r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
            Some("1")
        );
    }
    assert!(answers.iter().all(|r| {
        [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(&r.status())
    }));
}

#[tokio::test]
async fn https_deployments_get_hsts_and_host_only_cookies() {
    let app =
        spawn_app_with(|c| c.public_url = Some("https://account.example.com".parse().unwrap()))
            .await;
    let r = app.api.get(app.url("/login")).send().await.unwrap();
    assert_eq!(
        r.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("portal_csrf"))
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("__Host-portal_csrf="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    // Plain http (a laptop) gets neither.
    let plain = spawn_app().await;
    let r = plain.api.get(plain.url("/login")).send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
}

#[test]
fn request_types_never_print_their_secrets() {
    use portal::web::api::{ChangePassword, CompleteRecovery, CreateAccount, CreateSession};
    let printed = [
        format!(
            "{:?}",
            CreateAccount {
                email: "a@example.com".into(),
                password: "hunter2-secret".into()
            }
        ),
        format!(
            "{:?}",
            CreateSession {
                email: "a@example.com".into(),
                password: "hunter2-secret".into()
            }
        ),
        format!(
            "{:?}",
            CompleteRecovery {
                token: "hunter2-secret".into(),
                new_password: "hunter2-secret".into()
            }
        ),
        format!(
            "{:?}",
            ChangePassword {
                current_password: "hunter2-secret".into(),
                new_password: "hunter2-secret".into()
            }
        ),
    ];
    for p in printed {
        assert!(
            !p.contains("hunter2-secret") && p.contains("REDACTED"),
            "{p}"
        );
    }
}
