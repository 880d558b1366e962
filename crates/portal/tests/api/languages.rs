//! Languages: every message in every language, the language of a page chosen by the
//! request (switcher cookie, then `Accept-Language`) and never by the account, emails in
//! the account's own language, the API in the language of `Accept-Language`, and the
//! recovery answer neutral in each language.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use portal::clock::Clock as _;
use portal::i18n::Lang;
use reqwest::StatusCode;
use serde_json::json;
use url::Url;

use crate::helpers::*;

/// What `Lang::date` gives the `date` message.
const DATE_PARTS: &[&str] = &["year", "month", "day", "month2", "day2", "month-name"];

fn ids(lang: Lang) -> BTreeSet<String> {
    lang.message_ids().into_iter().collect()
}

#[test]
fn every_message_exists_in_every_language() {
    assert!(
        portal::i18n::syntax_errors().is_empty(),
        "{:#?}",
        portal::i18n::syntax_errors()
    );
    let english = ids(Lang::SOURCE);
    assert!(english.len() > 100, "{english:?}");
    for lang in Lang::all().filter(|l| *l != Lang::SOURCE) {
        let theirs = ids(lang);
        let missing: Vec<_> = english.difference(&theirs).collect();
        let stale: Vec<_> = theirs.difference(&english).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "locales/{}/portal.ftl: untranslated {missing:?}, not in English {stale:?}",
            lang.code()
        );
        for id in english.iter().filter(|id| !id.contains('.')) {
            let mut known = Lang::SOURCE.variables(id);
            if id == "date" {
                // English writes dates in figures; the others may use any part.
                known.extend(DATE_PARTS.iter().map(|p| (*p).to_owned()));
            }
            let unknown: Vec<_> = lang
                .variables(id)
                .into_iter()
                .filter(|v| !known.contains(v))
                .collect();
            assert!(
                unknown.is_empty(),
                "locales/{}/portal.ftl: {id} uses {unknown:?}, which English does not give",
                lang.code()
            );
        }
    }
}

/// Every file under `dir` whose name ends with one of `exts`.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if exts.iter().any(|x| p.to_string_lossy().ends_with(x)) {
                out.push(p);
            }
        }
    }
    out
}

/// The string literals of `text` (before its tests) that look like message ids.
fn kebab_literals(text: &str) -> Vec<String> {
    let production = text.split("#[cfg(test)]").next().unwrap_or(text);
    production
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.contains('-')
                && s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        .map(str::to_owned)
        .collect()
}

/// Literals of the same shape that are not messages: headers, HTML ids and classes,
/// message variables.
const NOT_MESSAGES: &[&str] = &[
    "x-device-token",
    "no-referrer",
    "no-store",
    "same-origin",
    "x-forwarded-for",
    "utf-8",
    "valid-for",
    "login-url",
    "reset-url",
    "month-name",
];

#[test]
fn every_message_the_code_names_exists_and_every_message_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let english = ids(Lang::SOURCE);
    let mut named = BTreeSet::new();
    let mut unknown = Vec::new();
    for dir in ["src/web", "src/mail", "src/i18n"] {
        for p in files(&root.join(dir), &[".rs"]) {
            for id in kebab_literals(&std::fs::read_to_string(&p).unwrap()) {
                if english.contains(&id) {
                    named.insert(id);
                } else if !NOT_MESSAGES.contains(&id.as_str()) {
                    unknown.push(format!("{}: {id}", p.display()));
                }
            }
        }
    }
    // In templates, a message is the first argument of a call: `chrome.t("id")`.
    for p in files(&root.join("templates"), &[".html", ".txt"]) {
        let text = std::fs::read_to_string(&p).unwrap();
        for call in text.split("(\"").skip(1) {
            let id = call.split('"').next().unwrap_or_default().to_owned();
            if english.contains(&id) {
                named.insert(id);
            } else {
                unknown.push(format!("{}: {id}", p.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "not in locales/en/portal.ftl: {unknown:#?}"
    );
    let unused: Vec<_> = english
        .iter()
        .filter(|id| !id.contains('.'))
        .filter(|id| !named.contains(*id))
        // Single words are named as literals too, checked by the renders below.
        .filter(|id| id.contains('-'))
        .collect();
    assert!(unused.is_empty(), "messages nothing shows: {unused:?}");
}

fn lang(code: &str) -> Lang {
    Lang::from_code(code).unwrap()
}

/// Signs up through the pages of a browser sending `accept_language` and confirms the
/// address; returns the confirmation email.
async fn sign_up_in(app: &TestApp, accept_language: &str, email: &str) -> mailsink::Message {
    let b = app.browser_in(accept_language);
    let page = b.get("/signup").await.unwrap();
    let l = lang(page.header("content-language").unwrap());
    let sent = b
        .submit(
            &page,
            &l.t("signup-button"),
            &[
                (l.t("email-label").as_str(), email),
                (l.t("password-label").as_str(), STRONG),
                (l.t("confirm-password-label").as_str(), STRONG),
            ],
        )
        .await
        .unwrap();
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
    let mail = app
        .sink
        .wait_for(&format!("to:{email}"), MAIL_TIMEOUT)
        .await
        .unwrap();
    let confirm = b.get(&link_in(&mail, "/confirm?token=")).await.unwrap();
    let done = b.click(&confirm, &l.t("confirm-button")).await.unwrap();
    assert_eq!(done.status, StatusCode::OK);
    mail
}

#[tokio::test]
async fn an_email_triggered_from_a_spanish_browser_for_a_german_account_arrives_in_german() {
    let app = spawn_app().await;
    let confirmation = sign_up_in(&app, "de-DE,de;q=0.9", "jurgen@example.de").await;
    assert_eq!(confirmation.subject, "Bestätigen Sie Ihre E-Mail-Adresse");
    app.sink.clear().await;

    // A Spanish browser asks: the page is Spanish, the email German.
    let es = app.browser_in("es-ES,es;q=0.9,en;q=0.5");
    let forgot = es.get("/forgot-password").await.unwrap();
    assert!(forgot.html.contains("<html lang=\"es\">"));
    let sent = es
        .submit(
            &forgot,
            "Restablecer contraseña",
            &[("Correo electrónico", "jurgen@example.de")],
        )
        .await
        .unwrap();
    assert!(
        sent.says("Si la dirección de correo electrónico que has introducido corresponde a una cuenta existente, se enviará un correo de recuperación de contraseña a esta dirección."),
        "{}",
        sent.text()
    );
    // Written later by the background worker, still in the account's language.
    let mail = app
        .email("jurgen@example.de", "Passwort-Wiederherstellung")
        .await;
    assert!(mail.text.starts_with("Hallo,"), "{}", mail.text);
    assert!(
        mail.text.contains("30 Minuten lang gültig"),
        "{}",
        mail.text
    );
    assert!(mail.html.contains("<html lang=\"de\">"));

    // The Spanish browser sets the new password: the page is Spanish, the notice German.
    let recover = es.get(&link_in(&mail, "/recover?token=")).await.unwrap();
    let done = es
        .submit(
            &recover,
            "Validar",
            &[
                ("Nueva contraseña", STRONGER),
                ("Confirmar nueva contraseña", STRONGER),
            ],
        )
        .await
        .unwrap();
    assert!(
        done.says("Ya puedes iniciar sesión con la nueva contraseña que has definido."),
        "{}",
        done.text()
    );
    let notice = app
        .email("jurgen@example.de", "Ihr Passwort wurde geändert")
        .await;
    assert!(
        notice.text.contains("wurde soeben geändert"),
        "{}",
        notice.text
    );

    // And through the API, asked in Spanish.
    app.sink.clear().await;
    let r = app
        .api
        .post(app.url("/api/v1/password-recovery"))
        .header("accept-language", "es")
        .json(&json!({ "email": "jurgen@example.de" }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Si la dirección")
    );
    app.email("jurgen@example.de", "Passwort-Wiederherstellung")
        .await;
}

fn ends_with(url: &Url, path: &str) -> bool {
    url.as_str().ends_with(path)
}

#[tokio::test]
async fn the_switcher_on_every_page_remembers_the_language_in_a_cookie() {
    let app = spawn_app().await;
    app.account("anne@example.com", STRONG).await;
    let b = app.browser_in("fr-FR,fr;q=0.9");
    let login = b.get("/login").await.unwrap();
    assert!(login.html.contains("<html lang=\"fr\">"));
    assert!(login.form("Se connecter").is_some());
    assert!(login.link("Mot de passe oublié ?").is_some());
    assert_eq!(login.header("content-language"), Some("fr"));
    for name in ["English", "Español", "Français", "Deutsch"] {
        assert!(login.link(name).is_some(), "no {name} on {}", login.html);
    }

    let german = b.click(&login, "Deutsch").await.unwrap();
    assert!(ends_with(&german.url, "/login"), "{}", german.url);
    assert!(german.html.contains("<html lang=\"de\">"));
    assert!(german.form("Anmelden").is_some());
    assert_eq!(b.cookie("portal_lang", "/").as_deref(), Some("de"));

    // Remembered on every page, whatever the browser's languages.
    for path in [
        "/",
        "/signup",
        "/forgot-password",
        "/recover",
        "/no-such-page",
    ] {
        let page = b.get(path).await.unwrap();
        assert!(page.html.contains("<html lang=\"de\">"), "{path}");
        assert!(page.link("English").is_some(), "{path}: no switcher");
    }
    let account = b
        .submit(
            &german,
            "Anmelden",
            &[("E-Mail-Adresse", "anne@example.com"), ("Passwort", STRONG)],
        )
        .await
        .unwrap();
    assert!(ends_with(&account.url, "/account"), "{}", account.text());
    assert!(account.says("Ihr Konto"));
    for path in [
        "/settings",
        "/settings/security",
        "/settings/language",
        "/settings/security/password",
    ] {
        let page = b.get(path).await.unwrap();
        assert!(page.link("Français").is_some(), "{path}: no switcher");
    }
    // Dates as the language writes them.
    let security = b.get("/settings/security").await.unwrap();
    let today = lang("de").date(app.clock.now().unix_timestamp());
    assert!(
        security.says(&format!("Zuletzt geändert am {today}.")),
        "{}",
        security.text()
    );

    // An unknown language changes nothing and is not remembered.
    let same = b.get("/login?lang=xx").await.unwrap();
    assert!(same.html.contains("<html lang=\"de\">"));
    assert_eq!(b.cookie("portal_lang", "/").as_deref(), Some("de"));
    // The switcher's redirect stays on this site.
    let r = app
        .api
        .get(app.url("//evil.example/?lang=es"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
}

#[tokio::test]
async fn the_api_answers_in_the_language_of_accept_language() {
    let app = spawn_app().await;
    app.account("api@example.com", STRONG).await;
    let post = |path: &'static str, lang: &'static str, body: serde_json::Value| {
        app.api
            .post(app.url(path))
            .header("accept-language", lang)
            // The pages' language cookie means nothing to the API.
            .header("cookie", "portal_lang=es")
            .json(&body)
            .send()
    };
    let r = post(
        "/api/v1/sessions",
        "de",
        json!({ "email": "api@example.com", "password": "not the password 1" }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-language"], "de");
    let p: serde_json::Value = r.json().await.unwrap();
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .starts_with("E-Mail-Adresse oder Passwort ist falsch."),
        "{p}"
    );
    assert_eq!(p["code"], "invalid_credentials");

    let r = post(
        "/api/v1/accounts",
        "fr-CA, en;q=0.5",
        json!({ "email": "new@example.com", "password": "abc" }),
    )
    .await
    .unwrap();
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        p["detail"],
        "Votre nouveau mot de passe est trop court\u{a0}: utilisez au moins 12 caractères (il en compte 3)."
    );

    let r = post(
        "/api/v1/password-recovery",
        "it, es;q=0.8",
        json!({ "mail": 1 }),
    )
    .await
    .unwrap();
    let p: serde_json::Value = r.json().await.unwrap();
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .starts_with("No se ha podido leer el cuerpo de la solicitud: "),
        "{p}"
    );

    // A sign-up through the API: its emails in the language it was made in.
    let r = post(
        "/api/v1/accounts",
        "es",
        json!({ "email": "nueva@example.com", "password": STRONG }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let mail = app
        .email(
            "nueva@example.com",
            "Confirma tu dirección de correo electrónico",
        )
        .await;
    assert!(mail.text.contains("caduca en 24 horas"), "{}", mail.text);

    // No Accept-Language: the default language.
    let token = app.bearer("api@example.com", STRONG).await;
    let r = app.get_account(&token).await;
    assert_eq!(r.headers()["content-language"], "en");
    let account: serde_json::Value = r.json().await.unwrap();
    assert_eq!(account["language"], "en");
}

/// The recovery form's answer for `email`, in the page's language.
async fn forgot_answer(b: &Browser, email: &str) -> Fingerprint {
    forgot_answer_with(
        b,
        |page| lang(page.header("content-language").unwrap()).t("restore-button"),
        email,
    )
    .await
}

#[tokio::test]
async fn the_recovery_answer_is_the_same_for_known_and_unknown_addresses_in_each_language() {
    let app = spawn_app().await;
    // The account's own language is German: it must not show in any answer.
    sign_up_in(&app, "de", "known@example.com").await;
    for (accept, by_cookie) in [("en", false), ("es", false), ("fr", true), ("de", false)] {
        let b = app.browser_in(if by_cookie { "en" } else { accept });
        if by_cookie {
            b.get(&format!("/?lang={accept}")).await.unwrap();
        }
        let known = forgot_answer(&b, "known@example.com").await;
        let unknown = forgot_answer(&b, "nobody@example.com").await;
        assert_eq!(known, unknown, "{accept}");
        assert_eq!(known.0, StatusCode::OK);
        assert!(
            known.2.contains(&format!("<html lang=\"{accept}\">")),
            "{accept}"
        );
        assert!(
            known
                .1
                .contains(&("content-language".into(), accept.into())),
            "{accept}: {:?}",
            known.1
        );
        assert!(!known.1.iter().any(|(k, _)| k == "set-cookie"), "{accept}");

        let api = |email: &'static str| {
            app.api
                .post(app.url("/api/v1/password-recovery"))
                .header("accept-language", accept)
                .json(&json!({ "email": email }))
                .send()
        };
        let known = api("known@example.com").await.unwrap();
        let unknown = api("nobody@example.com").await.unwrap();
        assert_eq!(known.status(), unknown.status());
        assert_eq!(
            known.headers().get("content-language"),
            unknown.headers().get("content-language")
        );
        assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    }
    app.recovery_queue_drained().await;
    assert!(app.emails("nobody@example.com", "").await.is_empty());
    // Every email to the account is German, whichever language asked.
    app.email("known@example.com", "Passwort-Wiederherstellung")
        .await;
    for mail in app.emails("known@example.com", "").await {
        assert!(
            [
                "Bestätigen Sie Ihre E-Mail-Adresse",
                "Passwort-Wiederherstellung"
            ]
            .contains(&mail.subject.as_str()),
            "{}",
            mail.subject
        );
    }
}

#[tokio::test]
async fn the_language_chosen_in_settings_is_the_one_of_later_emails() {
    let app = spawn_app().await;
    app.account("owner@example.com", STRONG).await;
    let b = app.browser();
    let account = log_in(&b, "owner@example.com", STRONG).await;
    let settings = b.click(&account, "Settings").await.unwrap();
    let language = b.click(&settings, "Language").await.unwrap();
    let saved = b
        .submit(&language, "Save", &[("Language of emails", "fr")])
        .await
        .unwrap();
    assert_eq!(saved.status, StatusCode::OK);
    assert!(saved.says("Saved: emails about your account are now written in this language."));
    // The page stays English; the emails are French.
    assert!(saved.html.contains("<html lang=\"en\">"));
    let edit = b.get("/settings/security/password").await.unwrap();
    update_password(&b, &edit, STRONG, STRONGER, STRONGER).await;
    let mail = app
        .email("owner@example.com", "Votre mot de passe a été modifié")
        .await;
    assert!(mail.text.starts_with("Bonjour,"), "{}", mail.text);
    // A language that is not offered is refused, the choice kept.
    let language = b.get("/settings/language").await.unwrap();
    let mut form = language.form("Save").unwrap();
    form.fields.retain(|(n, _)| n != "language");
    form.fields.push(("language".into(), "xx".into()));
    b.send(form).await.unwrap();
    let token = app.bearer("owner@example.com", STRONGER).await;
    let account: serde_json::Value = app.get_account(&token).await.json().await.unwrap();
    assert_eq!(account["language"], "fr");
}

#[tokio::test]
async fn only_the_configured_languages_are_offered() {
    let app = spawn_app_with(|c| {
        c.languages = vec!["de".into(), "en".into()];
        c.default_language = "de".into();
    })
    .await;
    let b = app.browser_in("fr, es;q=0.5");
    let home = b.get("/").await.unwrap();
    assert!(home.html.contains("<html lang=\"de\">"), "the default");
    assert!(home.link("Deutsch").is_some() && home.link("English").is_some());
    assert!(home.link("Français").is_none() && home.link("Español").is_none());
    let still = b.get("/?lang=fr").await.unwrap();
    assert!(still.html.contains("<html lang=\"de\">"));
    assert_eq!(b.cookie("portal_lang", "/"), None);
    let english = app.browser_in("en-GB").get("/").await.unwrap();
    assert!(english.html.contains("<html lang=\"en\">"));
}
