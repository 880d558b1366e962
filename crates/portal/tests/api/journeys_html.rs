//! The two documented journeys, word for word, through the HTML forms.

use reqwest::StatusCode;

use crate::helpers::*;

const NEUTRAL: &str = "If the email address you entered matches an existing account, a password recovery email will be sent to this email address.";
const SUCCESS: &str = "You can now log in using the new password you defined.";

#[tokio::test]
async fn forgot_password_journey_works_as_the_article_says() {
    let app = spawn_app().await;
    app.account("alice@example.com", STRONG).await;
    let browser = app.browser();

    // Go to the portal. Click "Continue with email". Click "Forgot your password?".
    let home = browser.get("/").await.unwrap();
    let login = browser.click(&home, "Continue with email").await.unwrap();
    assert!(login.form("Log in").is_some());
    let forgot = browser
        .click(&login, "Forgot your password?")
        .await
        .unwrap();

    // Enter the email linked to your account and click Restore password.
    let sent = browser
        .submit(
            &forgot,
            "Restore password",
            &[("Email", "alice@example.com")],
        )
        .await
        .unwrap();
    assert_eq!(sent.status, StatusCode::OK);
    assert!(sent.says(NEUTRAL), "{}", sent.text());

    // Go to your emails and click the recovery link.
    let email = app.email("alice@example.com", "Password recovery").await;
    assert!(email.text.contains("/recover?token=") && email.html.contains("/recover?token="));
    let link = link_in(&email, "/recover?token=");
    let recover = browser.get(&link).await.unwrap();
    assert!(
        !recover.url.as_str().contains("token="),
        "token left the address bar: {}",
        recover.url
    );

    // Enter a new password and validate.
    let done = browser
        .submit(
            &recover,
            "Validate",
            &[
                ("New password", STRONGER),
                ("Confirm new password", STRONGER),
            ],
        )
        .await
        .unwrap();
    assert!(done.says(SUCCESS), "{}", done.text());

    // You can now log in using the new password you defined.
    let account = log_in(&browser, "alice@example.com", STRONGER).await;
    assert!(
        account.url.as_str().ends_with("/account"),
        "{}",
        account.url
    );
    assert!(account.link("Settings").is_some());
    let old = log_in(&app.browser(), "alice@example.com", STRONG).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    app.email("alice@example.com", "Your password was changed")
        .await;
}

#[tokio::test]
async fn change_password_journey_works_as_the_article_says() {
    let app = spawn_app().await;
    app.account("bob@example.com", STRONG).await;
    let browser = app.browser();

    // Log in to the portal.
    let account = log_in(&browser, "bob@example.com", STRONG).await;
    // Click the Settings icon. Click "Security". In the Password panel, click "Edit".
    let settings = browser.click(&account, "Settings").await.unwrap();
    let security = browser.click(&settings, "Security").await.unwrap();
    assert!(security.says("Password"));
    let edit = browser.click(&security, "Edit").await.unwrap();
    // Enter your current password, define a new one, and click "Update password".
    let done = update_password(&browser, &edit, STRONG, STRONGER, STRONGER).await;
    assert!(done.says(SUCCESS), "{}", done.text());
    app.email("bob@example.com", "Your password was changed")
        .await;

    // Still logged in here (the session rotated), then log out and in again.
    let account = browser.get("/account").await.unwrap();
    assert!(account.url.as_str().ends_with("/account"));
    let out = browser.submit(&account, "Log out", &[]).await.unwrap();
    assert!(out.link("Continue with email").is_some());
    let again = log_in(&browser, "bob@example.com", STRONGER).await;
    assert!(again.url.as_str().ends_with("/account"));
}

#[tokio::test]
async fn sign_up_confirm_then_log_in() {
    let app = spawn_app().await;
    let browser = app.browser();
    let login = browser.get("/login").await.unwrap();
    let signup = browser.click(&login, "Create account").await.unwrap();
    let sent = browser
        .submit(
            &signup,
            "Create account",
            &[
                ("Email", "carol@example.com"),
                ("Password", STRONG),
                ("Confirm password", STRONG),
            ],
        )
        .await
        .unwrap();
    assert_eq!(sent.status, StatusCode::OK);
    assert!(sent.says("Check your email"));

    // Not usable before the address is confirmed.
    // The answer is the one of a wrong password, which mentions confirmation neutrally.
    let early = log_in(&app.browser(), "carol@example.com", STRONG).await;
    let wrong = log_in(
        &app.browser(),
        "carol@example.com",
        "Not the password at all 1",
    )
    .await;
    assert_eq!(early.status, StatusCode::UNAUTHORIZED);
    assert_eq!(early.alert(), wrong.alert());
    assert!(
        early
            .alert()
            .unwrap()
            .contains("If you just created your account, open the confirmation link")
    );

    let link = link_in(
        &app.email("carol@example.com", "Confirm your email address")
            .await,
        "/confirm?token=",
    );
    let confirm = browser.get(&link).await.unwrap();
    let confirmed = browser
        .submit(&confirm, "Confirm account", &[])
        .await
        .unwrap();
    assert!(
        confirmed.says("Your account is confirmed"),
        "{}",
        confirmed.text()
    );
    let account = log_in(&app.browser(), "carol@example.com", STRONG).await;
    assert!(account.url.as_str().ends_with("/account"));
}

#[tokio::test]
async fn pages_use_real_labels_and_the_documented_texts() {
    let app = spawn_app().await;
    let b = app.browser();
    let login = b.get("/login").await.unwrap();
    assert!(labelled_in_form(&login, "Log in", "Email"));
    assert!(labelled_in_form(&login, "Log in", "Password"));
    assert!(
        login.link("Forgot your password?").is_some() && login.link("Create account").is_some()
    );
    let forgot = b.get("/forgot-password").await.unwrap();
    assert!(labelled_in_form(&forgot, "Restore password", "Email"));
    let css = b.get("/static/style.css").await.unwrap();
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
}

/// Whether the form of `button` sends a field that a `<label>` names `label`.
fn labelled_in_form(page: &Page, button: &str, label: &str) -> bool {
    let (Some(form), Ok(name)) = (page.form(button), page.field_name(label)) else {
        return false;
    };
    form.fields.iter().any(|(n, _)| *n == name)
}
