//! Mailpit's send API: a JSON message stored as if received by SMTP (wait, events and
//! search see it), its validation, and `--no-send-api`.

use mailsink::SinkConfig;
use serde_json::{Value, json};

use crate::helpers::*;

async fn post_send(url: &str, body: &Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/api/v1/send"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// A 1x1 PNG.
pub const PIXEL_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

#[tokio::test]
async fn a_sent_message_is_stored_as_if_received_by_smtp() {
    let sink = spawn_sink().await;
    let mut events = reqwest::get(format!("{}/api/v1/events?query=to:jane", sink.http_url()))
        .await
        .unwrap();
    let (status, answer) = post_send(
        &sink.http_url(),
        &json!({
            "From": {"Email": "app@example.com", "Name": "The App"},
            "To": [{"Email": "jane@example.com", "Name": "Jane"}],
            "Cc": [{"Email": "manager@example.com"}],
            "Bcc": ["audit@example.com"],
            "ReplyTo": [{"Email": "help@example.com"}],
            "Subject": "Your code",
            "Text": "Your verification code is 482913",
            "HTML": "<p>Your verification code is <b>482913</b></p><img src=\"cid:logo\">",
            "Attachments": [
                {"Filename": "report.txt", "Content": "aGVsbG8="},
                {"Filename": "logo.png", "Content": format!("data:image/png;base64,{PIXEL_PNG}"),
                 "ContentID": "logo"}
            ],
            "Headers": {"X-Campaign": "spring"},
            "Tags": ["api", "Welcome"]
        }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["ID"].as_str().unwrap().to_owned();

    let msg = sink
        .wait_for("to:audit@example.com subject:code", WAIT)
        .await
        .unwrap();
    assert_eq!(msg.id, id);
    // A Message-ID of its own, as a mail client would give it.
    assert!(
        msg.message_id.contains('@') && !msg.message_id.starts_with('<'),
        "{:?}",
        msg.message_id
    );
    assert_eq!(msg.from.as_ref().unwrap().name, "The App");
    assert_eq!(msg.cc[0].address, "manager@example.com");
    assert_eq!(msg.bcc[0].address, "audit@example.com");
    assert_eq!(msg.reply_to[0].address, "help@example.com");
    assert!(msg.html.contains("<b>482913</b>"), "{}", msg.html);
    assert_eq!(msg.codes, ["482913"]);
    assert_eq!(msg.tags, ["Welcome", "api"]);
    assert_eq!(msg.attachments.len(), 1);
    assert_eq!(msg.attachments[0].file_name, "report.txt");
    assert_eq!(msg.inline[0].content_type, "image/png");
    assert_eq!(
        msg.envelope.to,
        [
            "jane@example.com",
            "manager@example.com",
            "audit@example.com"
        ]
    );
    let part = reqwest::get(format!(
        "{}/api/v1/message/{id}/part/{}",
        sink.http_url(),
        msg.attachments[0].part_id
    ))
    .await
    .unwrap();
    assert_eq!(part.bytes().await.unwrap(), "hello");
    let headers: Value = reqwest::get(format!("{}/api/v1/message/{id}/headers", sink.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(headers["X-Campaign"], json!(["spring"]));

    let found = sink.search("tag:api").await.unwrap();
    assert_eq!(found.len(), 1);
    let event = tokio::time::timeout(WAIT, events.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let event = String::from_utf8_lossy(&event);
    assert!(event.contains("\"new\"") && event.contains(&id), "{event}");
}

#[tokio::test]
async fn bad_requests_get_400_with_a_reason() {
    let sink = spawn_sink().await;
    let to = json!([{"Email": "jane@example.com"}]);
    for (body, reason) in [
        (json!({"To": to}), "From is required"),
        (
            json!({"From": {"Email": "not an address"}, "To": to}),
            "invalid From address: not an address",
        ),
        (
            json!({"From": {"Email": "a@example.com"}, "To": [{"Email": "@@"}]}),
            "invalid To address: @@",
        ),
        (
            json!({"From": {"Email": "a@example.com"}, "To": to, "Bcc": ["x"]}),
            "invalid Bcc address: x",
        ),
        (
            json!({"From": {"Email": "a@example.com"}, "To": to,
                   "Attachments": [{"Filename": "a.bin", "Content": "***"}]}),
            "error decoding base64 attachment \"a.bin\"",
        ),
        (
            json!({"From": {"Email": "a@example.com"}, "To": to, "Headers": {"Date": "x"}}),
            "cannot overwrite header: \"Date\"",
        ),
        (json!({"From": {"Email": "a@example.com"}}), "no recipients"),
        (json!({"From": "a@example.com", "To": to}), "invalid type"),
    ] {
        let (status, answer) = post_send(&sink.http_url(), &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let error = answer["Error"].as_str().unwrap();
        assert!(error.starts_with(reason), "{body}: {error}");
    }
    assert!(sink.search("").await.unwrap().is_empty());
}

#[tokio::test]
async fn the_send_api_can_be_turned_off() {
    let sink = spawn_sink_with(SinkConfig {
        send_api: false,
        ..SinkConfig::ephemeral()
    })
    .await;
    let (status, answer) = post_send(
        &sink.http_url(),
        &json!({"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}]}),
    )
    .await;
    assert_eq!(status, 403);
    assert!(answer["Error"].as_str().unwrap().contains("--no-send-api"));
    assert!(sink.search("").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_message_id_given_in_headers_is_kept() {
    let sink = spawn_sink().await;
    let (status, answer) = post_send(
        &sink.http_url(),
        &json!({
            "From": {"Email": "app@example.com"},
            "To": [{"Email": "kim@example.com"}],
            "Subject": "Threaded",
            "Headers": {"Message-ID": "<thread-1@app.example>"}
        }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let msg = sink.wait_for("to:kim@example.com", WAIT).await.unwrap();
    assert_eq!(msg.message_id, "thread-1@app.example");
}
