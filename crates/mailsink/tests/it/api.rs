//! The HTTP API: Mailpit field names, listing, search, delete, raw/headers/part/view
//! and wait (events: `events.rs`).

use std::time::{Duration, Instant};

use mailsink::WaitError;
use mailsink::client::SinkClient;
use serde_json::Value;

use crate::helpers::*;

async fn get_json(url: String) -> Value {
    let resp = reqwest::get(&url).await.unwrap();
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.json().await.unwrap()
}

async fn send_n(sink: &mailsink::SinkHandle, n: usize, to: &str) {
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    for i in 0..n {
        let data = simple_message(to, &format!("Message number {i}"), &format!("body {i}"));
        assert_eq!(c.send_mail("from@example.com", &[to], &data).await.0, 250);
    }
}

#[tokio::test]
async fn json_uses_mailpit_field_names() {
    let sink = spawn_sink().await;
    send_raw_mail(
        sink.smtp_addr(),
        "noreply@portal.test",
        &["carol@example.com"],
        &fixture("multipart_alternative.eml"),
    )
    .await;
    sink.wait_for("subject:confirm", WAIT).await.unwrap();

    let list = get_json(format!("{}/api/v1/messages", sink.http_url())).await;
    for key in [
        "total",
        "unread",
        "count",
        "messages_count",
        "start",
        "tags",
        "messages",
    ] {
        assert!(list.get(key).is_some(), "listing lacks {key}: {list}");
    }
    let row = &list["messages"][0];
    for key in [
        "ID",
        "MessageID",
        "Read",
        "From",
        "To",
        "Cc",
        "Bcc",
        "ReplyTo",
        "Subject",
        "Created",
        "Tags",
        "Size",
        "Attachments",
        "Snippet",
    ] {
        assert!(row.get(key).is_some(), "summary lacks {key}: {row}");
    }
    assert_eq!(row["From"]["Address"], "noreply@portal.test");
    assert_eq!(row["From"]["Name"], "Portal");
    assert_eq!(row["Read"], false);
    assert_eq!(list["unread"], 1);

    let id = row["ID"].as_str().unwrap();
    assert_eq!(id.len(), 22);
    let msg = get_json(format!("{}/api/v1/message/{id}", sink.http_url())).await;
    for key in [
        "ID",
        "MessageID",
        "From",
        "To",
        "Cc",
        "Bcc",
        "ReplyTo",
        "Subject",
        "Date",
        "Text",
        "HTML",
        "Size",
        "Inline",
        "Attachments",
        "Links",
        "Envelope",
    ] {
        assert!(msg.get(key).is_some(), "message lacks {key}: {msg}");
    }
    assert_eq!(msg["Envelope"]["From"], "noreply@portal.test");
    assert_eq!(msg["Envelope"]["To"][0], "carol@example.com");
    assert_eq!(msg["MessageID"], "alt-1@portal.test");
    // Reading it marks it read.
    let list = get_json(format!("{}/api/v1/messages", sink.http_url())).await;
    assert_eq!(list["messages"][0]["Read"], true);
    assert_eq!(list["unread"], 0);
    sink.shutdown().await;
}

#[tokio::test]
async fn listing_is_newest_first_and_paged() {
    let sink = spawn_sink().await;
    send_n(&sink, 7, "pager@example.com").await;
    let client = sink.client();
    client.wait_for("subject:\"number 6\"", WAIT).await.unwrap();

    let page = get_json(format!(
        "{}/api/v1/messages?start=2&limit=3",
        sink.http_url()
    ))
    .await;
    assert_eq!(page["total"], 7);
    assert_eq!(page["messages_count"], 7);
    assert_eq!(page["count"], 3);
    assert_eq!(page["start"], 2);
    let subjects: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        vec!["Message number 4", "Message number 3", "Message number 2"]
    );
    let latest = client.message("latest").await.unwrap();
    assert_eq!(latest.subject, "Message number 6");
    sink.shutdown().await;
}

#[tokio::test]
async fn search_supports_fields_phrases_and_words() {
    let sink = spawn_sink().await;
    for (to, subject, body) in [
        (
            "alice@example.com",
            "Reset your password",
            "click the recovery link",
        ),
        ("bob@example.com", "Reset your password", "another recovery"),
        ("alice@example.com", "Welcome aboard", "glad to have you"),
    ] {
        send_raw_mail(
            sink.smtp_addr(),
            "noreply@portal.test",
            &[to],
            &simple_message(to, subject, body),
        )
        .await;
    }
    let client = sink.client();
    client.wait_for("subject:welcome", WAIT).await.unwrap();
    let count = |q: &'static str| {
        let client = client.clone();
        async move { client.search(q).await.unwrap().messages_count }
    };
    assert_eq!(count("to:alice@example.com").await, 2);
    assert_eq!(count("to:alice subject:reset").await, 1);
    assert_eq!(count("subject:\"reset your password\"").await, 2);
    assert_eq!(count("\"recovery link\"").await, 1);
    assert_eq!(count("recovery").await, 2);
    assert_eq!(count("from:noreply@portal.test").await, 3);
    assert_eq!(count("-subject:reset").await, 1);
    assert_eq!(count("RESET").await, 2);
    assert_eq!(count("nothing-matches-this").await, 0);
    // An invalid query is a 400 / BadQuery.
    assert!(matches!(
        client.search("to:").await,
        Err(WaitError::BadQuery(_))
    ));
    sink.shutdown().await;
}

#[tokio::test]
async fn delete_by_ids_by_search_and_all() {
    let sink = spawn_sink().await;
    send_n(&sink, 5, "del@example.com").await;
    let client = sink.client();
    client.wait_for("subject:\"number 4\"", WAIT).await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/messages", sink.http_url());

    let first = client
        .search("subject:\"number 0\"")
        .await
        .unwrap()
        .messages[0]
        .id
        .clone();
    let resp = http
        .delete(&url)
        .json(&serde_json::json!({ "IDs": [first] }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(client.search("").await.unwrap().total, 4);

    let resp = http
        .delete(format!("{}/api/v1/search", sink.http_url()))
        .query(&[("query", "subject:\"number 1\"")])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(client.search("").await.unwrap().total, 3);

    client.delete_all().await.unwrap();
    assert_eq!(client.search("").await.unwrap().total, 0);
    let resp = reqwest::get(format!("{}/api/v1/message/{first}", sink.http_url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    send_n(&sink, 2, "del@example.com").await;
    sink.clear().await;
    assert!(sink.search("").await.unwrap().is_empty());
    sink.shutdown().await;
}

#[tokio::test]
async fn raw_headers_parts_and_views_are_served() {
    let sink = spawn_sink().await;
    let raw = fixture("base64_attachment.eml");
    send_raw_mail(
        sink.smtp_addr(),
        "reports@example.com",
        &["bob@example.com"],
        &raw,
    )
    .await;
    let msg = sink.wait_for("subject:report", WAIT).await.unwrap();
    let base = sink.http_url();

    let got_raw = reqwest::get(format!("{base}/api/v1/message/{}/raw", msg.id))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&got_raw[..], &raw[..]);

    let headers = get_json(format!("{base}/api/v1/message/latest/headers")).await;
    assert_eq!(headers["Subject"][0], "Monthly report attached");
    assert_eq!(headers["Message-ID"][0], "<att-1@example.com>");

    assert_eq!(msg.attachments.len(), 1);
    let att = &msg.attachments[0];
    assert_eq!(att.file_name, "report.pdf");
    assert_eq!(att.content_type, "application/pdf");
    let resp = reqwest::get(format!(
        "{base}/api/v1/message/{}/part/{}",
        msg.id, att.part_id
    ))
    .await
    .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..], &fixture("base64_attachment.pdf")[..]);
    assert_eq!(att.size, bytes.len() as u64);

    let missing = reqwest::get(format!("{base}/api/v1/message/{}/part/99", msg.id))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let txt = reqwest::get(format!("{base}/view/{}.txt", msg.id))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(txt.contains("Please find the report attached."));
    let html = reqwest::get(format!("{base}/view/{}.html", msg.id))
        .await
        .unwrap();
    assert_eq!(
        html.headers()["content-security-policy"],
        "sandbox; frame-ancestors 'self'"
    );
    assert!(
        html.text()
            .await
            .unwrap()
            .contains("Please find the report")
    );
    let ui = reqwest::get(format!("{base}/")).await.unwrap();
    assert!(ui.status().is_success());
    let ui = ui.text().await.unwrap();
    assert!(ui.contains("<title>mailsink</title>"));
    // Self-contained: no third-party assets.
    for file in ["/", "/ui.css", "/ui.js"] {
        let text = reqwest::get(format!("{base}{file}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for external in ["src=\"http", "href=\"http", "@import", "url(http"] {
            assert!(!text.contains(external), "{file} loads {external}");
        }
    }
    sink.shutdown().await;
}

#[tokio::test]
async fn wait_returns_on_arrival_without_polling() {
    let sink = spawn_sink().await;
    let client = sink.client();
    let addr = sink.smtp_addr();
    let waiter = tokio::spawn(async move {
        let started = Instant::now();
        let msg = client
            .wait_for("to:late@example.com subject:arrives", WAIT)
            .await
            .unwrap();
        (msg, started.elapsed())
    });
    // Something else arrives first and must not satisfy the wait.
    send_raw_mail(
        addr,
        "a@b.c",
        &["other@example.com"],
        &simple_message("other@example.com", "arrives", "x"),
    )
    .await;
    send_raw_mail(
        addr,
        "a@b.c",
        &["late@example.com"],
        &simple_message("late@example.com", "It arrives", "y"),
    )
    .await;
    let (msg, elapsed) = waiter.await.unwrap();
    assert_eq!(msg.envelope.to, vec!["late@example.com"]);
    assert!(elapsed < WAIT);

    // In-process handle: already there returns at once.
    let msg = sink
        .wait_for("to:late@example.com", Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(msg.subject, "It arrives");
    sink.shutdown().await;
}

#[tokio::test]
async fn wait_times_out_with_408() {
    let sink = spawn_sink().await;
    let resp = reqwest::get(format!(
        "{}/api/v1/wait?query=to:nobody@example.com&timeout=200ms",
        sink.http_url()
    ))
    .await
    .unwrap();
    assert_eq!(resp.status(), 408);
    let err = sink
        .client()
        .wait_for("to:nobody@example.com", Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err, WaitError::Timeout { .. }), "{err:?}");
    let err = sink
        .wait_for("to:nobody@example.com", Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(err, WaitError::Timeout { .. }), "{err:?}");
    let bad = SinkClient::new(sink.http_url())
        .wait_for("from:", Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(bad, WaitError::BadQuery(_)), "{bad:?}");
    sink.shutdown().await;
}
