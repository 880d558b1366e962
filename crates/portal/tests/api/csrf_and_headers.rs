//! CSRF on every form, cookie attributes, and the headers of recovery pages.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    app.account("csrf@example.com", STRONG).await;
    let b = app.browser();
    let _ = b.get("/forgot-password").await.unwrap(); // has the CSRF cookie now

    let r = b
        .post_form(
            "/forgot-password",
            &[("email".into(), "csrf@example.com".into())],
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b
        .post_form(
            "/login",
            &[
                (
                    "csrf_token".into(),
                    "forged-token-forged-token-forged-token".into(),
                ),
                ("email".into(), "csrf@example.com".into()),
                ("password".into(), STRONG.into()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A cross-site form post carries no CSRF cookie at all.
    let stranger = app.browser();
    let r = stranger
        .post_form(
            "/login",
            &[
                ("csrf_token".into(), "x".into()),
                ("email".into(), "csrf@example.com".into()),
                ("password".into(), STRONG.into()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Logged in, a forged change is refused and changes nothing.
    log_in(&b, "csrf@example.com", STRONG).await;
    let r = b
        .post_form(
            "/settings/security/password",
            &[
                ("current_password".into(), STRONG.into()),
                ("new_password".into(), STRONGER.into()),
                ("confirm_password".into(), STRONGER.into()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.api_login("csrf@example.com", STRONG).await.status(),
        StatusCode::CREATED
    );
    let r = b.post_form("/logout", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    app.recovery_queue_drained().await;
    assert!(
        app.emails("csrf@example.com", "Password recovery")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn recovery_pages_send_no_referrer_and_are_never_cached() {
    let app = spawn_app().await;
    app.account("hdr@example.com", STRONG).await;
    let link = app.recovery_link_via_api("hdr@example.com").await;
    let b = app.browser();

    let first = app.api.get(&link).send().await.unwrap();
    let mut pages = vec![(first.headers().clone(), "GET link".to_owned())];
    let forgot = b.get("/forgot-password").await.unwrap();
    pages.push((forgot.headers.clone(), "GET /forgot-password".into()));
    let sent = b
        .submit(&forgot, "Restore password", &[("Email", "hdr@example.com")])
        .await
        .unwrap();
    pages.push((sent.headers.clone(), "POST /forgot-password".into()));
    let form = b.get(&link).await.unwrap();
    pages.push((form.headers.clone(), "GET /recover".into()));
    let weak = b
        .submit(
            &form,
            "Validate",
            &[("New password", "short"), ("Confirm new password", "short")],
        )
        .await
        .unwrap();
    pages.push((weak.headers.clone(), "POST /recover (refused)".into()));
    let done = b
        .submit(
            &form,
            "Validate",
            &[
                ("New password", STRONGER),
                ("Confirm new password", STRONGER),
            ],
        )
        .await
        .unwrap();
    pages.push((done.headers.clone(), "POST /recover".into()));
    for (h, what) in pages {
        assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
        assert_eq!(h["cache-control"], "no-store", "{what}");
    }
    // No third-party resources: the only stylesheet is ours, no scripts.
    assert!(form.html.contains("href=\"/static/style.css\""));
    assert!(
        !form.html.contains("<script")
            && !form.html.contains("http://")
            && !form.html.contains("https://")
    );
}

#[tokio::test]
async fn cookies_are_httponly_samesite_lax_and_secure_behind_https() {
    let app = spawn_app().await;
    let r = app.api.get(app.url("/login")).send().await.unwrap();
    let c = r.headers()["set-cookie"].to_str().unwrap();
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"),
        "{c}"
    );

    let https =
        spawn_app_with(|c| c.public_url = Some("https://portal.example.org".parse().unwrap()))
            .await;
    let r = https.api.get(https.url("/login")).send().await.unwrap();
    let c = r.headers()["set-cookie"].to_str().unwrap();
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"),
        "{c}"
    );
}

#[tokio::test]
async fn pages_cannot_be_framed_or_sniffed() {
    let app = spawn_app().await;
    let p = app.browser().get("/login").await.unwrap();
    assert_eq!(p.header("x-frame-options"), Some("DENY"));
    assert_eq!(p.header("x-content-type-options"), Some("nosniff"));
    assert!(
        p.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
}
