//! `GET /api/v1/info`, `/api/v1/webui`, `/livez`, `/readyz`, `sa-check`, and retention by
//! age on the sink's clock.

use std::time::Duration;

use mailsink::{SinkClock, SinkConfig};
use serde_json::json;

use crate::helpers::*;
use crate::readtags::get;

#[tokio::test]
async fn info_counts_messages_unread_tags_and_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("info.db");
    let sink = spawn_sink_with(SinkConfig {
        db: Some(db.clone()),
        ..SinkConfig::ephemeral()
    })
    .await;
    let data = simple_message("a+one@example.com", "first", "hello");
    send_raw_mail(
        sink.smtp_addr(),
        "s@example.com",
        &["a+one@example.com"],
        &data,
    )
    .await;
    let data2 = simple_message("b@example.com", "second", "hello");
    send_raw_mail(
        sink.smtp_addr(),
        "s@example.com",
        &["b@example.com"],
        &data2,
    )
    .await;
    let first = sink.wait_for("subject:first", WAIT).await.unwrap();
    sink.wait_for("subject:second", WAIT).await.unwrap();
    get(&sink, &format!("/api/v1/message/{}", first.id)).await;
    let mut refused = RawSmtp::connect(sink.smtp_addr()).await;
    refused.expect("DATA", 503).await;

    let info = get(&sink, "/api/v1/info").await;
    assert_eq!(info["Version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["Database"], db.display().to_string());
    assert!(info["DatabaseSize"].as_u64().unwrap() > 0, "{info}");
    assert_eq!(
        (info["Messages"].as_u64(), info["Unread"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(info["Tags"], json!({"one": 1}));
    let stats = &info["RuntimeStats"];
    assert_eq!(stats["SMTPAccepted"], 2);
    assert_eq!(
        stats["SMTPAcceptedSize"].as_u64().unwrap(),
        (data.len() + data2.len()) as u64
    );
    assert_eq!(stats["SMTPRejected"], 1);
    assert!(stats["Memory"].as_u64().unwrap() > 0);
    reqwest::Client::new()
        .delete(format!("{}/api/v1/messages", sink.http_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(&sink, "/api/v1/info").await["RuntimeStats"]["MessagesDeleted"],
        2
    );
}

#[tokio::test]
async fn webui_health_and_spam_check_answer_as_mailpit() {
    let sink = spawn_sink().await;
    let ui = get(&sink, "/api/v1/webui").await;
    assert_eq!(ui["MessageRelay"]["Enabled"], false);
    assert_eq!(ui["SpamAssassin"], false);
    assert_eq!(ui["ChaosEnabled"], true);
    for path in ["/livez", "/readyz"] {
        let resp = reqwest::get(format!("{}{path}", sink.http_url()))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
    }
    let data = simple_message("a@example.com", "spam?", "x");
    send_raw_mail(sink.smtp_addr(), "s@example.com", &["a@example.com"], &data).await;
    let id = sink.wait_for("subject:spam", WAIT).await.unwrap().id;
    let sa = reqwest::get(format!("{}/api/v1/message/{id}/sa-check", sink.http_url()))
        .await
        .unwrap();
    assert_eq!(sa.status(), 400);
    assert_eq!(sa.text().await.unwrap(), "no SpamAssassin service defined");
    let missing = reqwest::get(format!("{}/api/v1/message/nope/sa-check", sink.http_url()))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn messages_past_max_age_are_dropped_on_arrival_and_by_the_sweep() {
    let clock = SinkClock::manual();
    let sink = spawn_sink_with(SinkConfig {
        max_age: Some(Duration::from_secs(3600)),
        clock: clock.clone(),
        ..SinkConfig::ephemeral()
    })
    .await;
    let send = |subject: &'static str| {
        let addr = sink.smtp_addr();
        async move {
            let data = simple_message("a@example.com", subject, "x");
            send_raw_mail(addr, "s@example.com", &["a@example.com"], &data).await;
        }
    };
    send("old").await;
    sink.wait_for("subject:old", WAIT).await.unwrap();
    clock.advance(Duration::from_secs(1800));
    send("middle").await;
    sink.wait_for("subject:middle", WAIT).await.unwrap();
    // "old" is 61 minutes old when "new" arrives: dropped; "middle" is 31 minutes old.
    clock.advance(Duration::from_secs(1860));
    send("new").await;
    sink.wait_for("subject:new", WAIT).await.unwrap();
    assert_eq!(subjects(&sink, "").await, ["new", "middle"]);

    // Without an arrival, the sweep drops "middle" once it is past the age.
    clock.advance(Duration::from_secs(1800));
    sink.prune_aged().await;
    assert_eq!(subjects(&sink, "").await, ["new"]);
}
