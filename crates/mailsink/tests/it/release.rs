//! Release: a captured message relayed to a second sink standing in for the real SMTP
//! server, recipients checked against the allowed regex, 403 without a relay.

use mailsink::{SinkConfig, SinkHandle};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// A sink relaying to `relay` (with credentials) and allowing only `@allowed.test`.
async fn sink_relaying_to(relay: &SinkHandle) -> SinkHandle {
    spawn_sink_with(SinkConfig {
        relay: Some(format!(
            "smtp://relay-user:relay-secret@{}",
            relay.smtp_addr()
        )),
        relay_allowed_recipients: Some(r"@allowed\.test$".into()),
        ..SinkConfig::ephemeral()
    })
    .await
}

async fn release(sink: &SinkHandle, id: &str, body: serde_json::Value) -> (StatusCode, String) {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/message/{id}/release", sink.http_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

const MESSAGE: &[u8] = b"From: Portal <noreply@portal.test>\r\nTo: alice@example.com\r\nBcc: secret-copy@example.com\r\nMessage-ID: <original@portal.test>\r\nDate: Tue, 03 Mar 2026 10:15:00 +0000\r\nSubject: release me\r\n\r\nThe body, unchanged.\r\n";

#[tokio::test]
async fn a_released_message_reaches_the_relay_without_its_bcc_and_with_a_new_id() {
    let relay = spawn_sink().await;
    let sink = sink_relaying_to(&relay).await;
    send_raw_mail(
        sink.smtp_addr(),
        "bounce@portal.test",
        &["alice@example.com"],
        MESSAGE,
    )
    .await;
    let captured = sink.wait_for("subject:release", WAIT).await.unwrap();

    let (status, body) = release(
        &sink,
        &captured.id,
        json!({"To": ["Bob <bob@allowed.test>", "carol@allowed.test"]}),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));

    let relayed = relay.wait_for("subject:release", WAIT).await.unwrap();
    assert_eq!(
        relayed.envelope.to,
        ["bob@allowed.test", "carol@allowed.test"]
    );
    assert_eq!(relayed.envelope.from, "noreply@portal.test");
    assert!(relayed.text.contains("The body, unchanged."));
    assert!(
        relayed.message_id.ends_with("@mailsink"),
        "{}",
        relayed.message_id
    );
    let raw = relayed_raw(&relay, &relayed.id).await;
    assert!(!raw.contains("secret-copy"), "Bcc was relayed: {raw}");
    assert!(!raw.contains("2026 10:15:00"), "old Date kept: {raw}");
    // It logged in with the relay's credentials (the transcript hides the secret).
    let session = relay.client().sessions(0, 1).await.unwrap().sessions;
    assert!(
        session[0]
            .transcript
            .iter()
            .any(|l| l.starts_with("C: AUTH")),
        "{:?}",
        session[0].transcript
    );
    // The UI's configuration names the relay, never its credentials.
    let webui = reqwest::get(format!("{}/api/v1/webui", sink.http_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let config: serde_json::Value = serde_json::from_str(&webui).unwrap();
    assert_eq!(config["MessageRelay"]["Enabled"], true);
    assert_eq!(
        config["MessageRelay"]["SMTPServer"],
        relay.smtp_addr().to_string()
    );
    assert_eq!(
        config["MessageRelay"]["AllowedRecipients"],
        r"@allowed\.test$"
    );
    assert!(!webui.contains("relay-secret"), "{webui}");
    sink.shutdown().await;
    relay.shutdown().await;
}

/// Sends [`MESSAGE`] to `sink` and returns its ID there.
async fn capture(sink: &SinkHandle) -> String {
    send_raw_mail(
        sink.smtp_addr(),
        "a@portal.test",
        &["x@example.com"],
        MESSAGE,
    )
    .await;
    sink.wait_for("", WAIT).await.unwrap().id
}

async fn relayed_raw(sink: &SinkHandle, id: &str) -> String {
    reqwest::get(format!("{}/api/v1/message/{id}/raw", sink.http_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn recipients_outside_the_allowed_regex_are_refused_with_the_reason() {
    let relay = spawn_sink().await;
    let sink = sink_relaying_to(&relay).await;
    let id = capture(&sink).await;

    let (status, body) = release(
        &sink,
        &id,
        json!({"To": ["bob@allowed.test", "eve@evil.test"]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("eve@evil.test"), "{body}");
    let (status, body) = release(&sink, &id, json!({"To": ["no address"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = release(&sink, &id, json!({"To": []})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = release(&sink, &id, json!({"Nope": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = release(&sink, "no-such-id", json!({"To": ["bob@allowed.test"]})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nothing was relayed.
    assert_eq!(relay.client().search("").await.unwrap().total, 0);
    sink.shutdown().await;
    relay.shutdown().await;
}

#[tokio::test]
async fn release_without_a_relay_is_forbidden_with_the_reason() {
    let sink = spawn_sink().await;
    let id = capture(&sink).await;
    let (status, body) = release(&sink, &id, json!({"To": ["bob@allowed.test"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("--relay"), "{body}");
    sink.shutdown().await;
}

#[tokio::test]
async fn a_relay_refusal_is_a_400_with_the_smtp_error() {
    let relay = spawn_sink().await;
    relay
        .client()
        .add_fault(&mailsink::NewFault::reply(
            mailsink::FaultStage::Rcpt,
            "",
            550,
            "no such user here",
        ))
        .await
        .unwrap();
    let sink = sink_relaying_to(&relay).await;
    let id = capture(&sink).await;
    let (status, body) = release(&sink, &id, json!({"To": ["bob@allowed.test"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("SMTP error:"), "{body}");
    sink.shutdown().await;
    relay.shutdown().await;
}

#[tokio::test]
async fn with_tls_required_the_relay_is_asked_for_starttls_before_any_credentials() {
    // The relay offers STARTTLS with a certificate no public root vouches for: the
    // release fails with the TLS error, and the credentials never went out in clear.
    let relay = spawn_sink_with(SinkConfig {
        tls_cert: Some(fixture_path("tls/cert.pem")),
        tls_key: Some(fixture_path("tls/key.pem")),
        ..SinkConfig::ephemeral()
    })
    .await;
    let sink = spawn_sink_with(SinkConfig {
        relay: Some(format!(
            "smtp://relay-user:relay-secret@localhost:{}?tls=required",
            relay.smtp_addr().port()
        )),
        ..SinkConfig::ephemeral()
    })
    .await;
    let id = capture(&sink).await;
    let (status, body) = release(&sink, &id, json!({"To": ["bob@example.com"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("SMTP error:"), "{body}");
    let sessions = relay.client().sessions(0, 5).await.unwrap().sessions;
    let said: Vec<&String> = sessions.iter().flat_map(|s| &s.transcript).collect();
    assert!(said.iter().any(|l| *l == "C: STARTTLS"), "{said:?}");
    assert!(!said.iter().any(|l| l.starts_with("C: AUTH")), "{said:?}");
    assert_eq!(relay.client().search("").await.unwrap().total, 0);
    sink.shutdown().await;
    relay.shutdown().await;
}
