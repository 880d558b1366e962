//! Each fixture under `fixtures/mail/` goes through SMTP and comes out right.

use crate::helpers::*;

async fn roundtrip(name: &str) -> (mailsink::SinkHandle, mailsink::Message) {
    let sink = spawn_sink().await;
    let code = send_raw_mail(
        sink.smtp_addr(),
        "sender@example.com",
        &["rcpt@example.com"],
        &fixture(name),
    )
    .await;
    assert_eq!(code, 250);
    let msg = sink.wait_for("", WAIT).await.unwrap();
    (sink, msg)
}

#[tokio::test]
async fn utf8_and_rfc2047_headers_are_decoded() {
    let (sink, msg) = roundtrip("utf8_rfc2047.eml").await;
    assert_eq!(msg.subject, "Réinitialisez votre mot de passe ✓");
    let from = msg.from.clone().unwrap();
    assert_eq!(from.name, "André Dupont");
    assert_eq!(msg.to[0].name, "Jürgen Müller");
    assert_eq!(msg.to[1].name, "Zoë Ünïcode");
    assert!(msg.text.contains("déjà vu, naïve, 日本語"), "{}", msg.text);
    assert!(msg.date.starts_with("2026-03-03T10:15:00"), "{}", msg.date);
    assert_eq!(sink.search("subject:réinitialisez").await.unwrap().len(), 1);
    assert_eq!(sink.search("to:jürgen").await.unwrap().len(), 1);
    sink.shutdown().await;
}

#[tokio::test]
async fn quoted_printable_is_decoded_and_dot_stuffing_undone() {
    let (sink, msg) = roundtrip("quoted_printable.eml").await;
    assert!(msg.text.contains("Café crème"), "{}", msg.text);
    assert!(
        msg.text.contains("\n.This line starts with a dot"),
        "{}",
        msg.text
    );
    assert_eq!(
        msg.links,
        vec![
            "http://127.0.0.1:8080/recover?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
                .to_owned()
        ]
    );
    sink.shutdown().await;
}

#[tokio::test]
async fn base64_attachments_are_listed_and_counted() {
    let (sink, msg) = roundtrip("base64_attachment.eml").await;
    assert_eq!(msg.attachments.len(), 1);
    assert!(msg.inline.is_empty());
    let listing = sink.client().search("").await.unwrap();
    assert_eq!(listing.messages[0].attachments, 1);
    sink.shutdown().await;
}

#[tokio::test]
async fn multipart_alternative_has_text_html_and_decoded_links() {
    let (sink, msg) = roundtrip("multipart_alternative.eml").await;
    assert!(msg.text.contains("Confirm your account"));
    assert!(msg.html.contains("<a href="));
    assert_eq!(
        msg.links,
        vec![
            "https://portal.test/confirm?token=plain123&lang=en".to_owned(),
            "https://portal.test/confirm?token=html456&lang=en".to_owned(),
        ]
    );
    assert_eq!(msg.cc[0].address, "dave@example.com");
    assert_eq!(msg.reply_to[0].address, "support@portal.test");
    sink.shutdown().await;
}

#[tokio::test]
async fn nested_rfc822_is_an_attachment() {
    let (sink, msg) = roundtrip("nested_rfc822.eml").await;
    assert_eq!(msg.subject, "Fwd: original message");
    assert!(msg.text.contains("See the forwarded message below."));
    assert_eq!(msg.attachments.len(), 1, "{:?}", msg.attachments);
    let att = &msg.attachments[0];
    assert_eq!(att.content_type, "message/rfc822");
    let part = reqwest::get(format!(
        "{}/api/v1/message/{}/part/{}",
        sink.http_url(),
        msg.id,
        att.part_id
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(part.contains("This is the original body."), "{part}");
    sink.shutdown().await;
}

#[tokio::test]
async fn inline_images_are_inline_and_cid_links_rewritten_in_the_view() {
    let (sink, msg) = roundtrip("inline_image.eml").await;
    assert_eq!(msg.inline.len(), 1, "{:?}", msg);
    assert!(msg.attachments.is_empty());
    assert_eq!(msg.inline[0].content_type, "image/png");
    let html = reqwest::get(format!("{}/view/{}.html", sink.http_url(), msg.id))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!(
            "/api/v1/message/{}/part/{}",
            msg.id, msg.inline[0].part_id
        )),
        "{html}"
    );
    sink.shutdown().await;
}

#[tokio::test]
async fn a_malformed_message_is_stored_and_shown() {
    let (sink, msg) = roundtrip("malformed.eml").await;
    let raw = reqwest::get(format!("{}/api/v1/message/{}/raw", sink.http_url(), msg.id))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&raw[..], &fixture("malformed.eml")[..]);
    assert_eq!(msg.envelope.to, vec!["rcpt@example.com"]);
    for path in ["headers", "raw"] {
        let r = reqwest::get(format!(
            "{}/api/v1/message/{}/{path}",
            sink.http_url(),
            msg.id
        ))
        .await
        .unwrap();
        assert!(r.status().is_success());
    }
    for view in ["html", "txt"] {
        let r = reqwest::get(format!("{}/view/{}.{view}", sink.http_url(), msg.id))
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    sink.shutdown().await;
}
