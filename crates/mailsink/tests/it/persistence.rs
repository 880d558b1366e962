//! SQLite persistence and retention limits.

use mailsink::SinkConfig;

use crate::helpers::*;

#[tokio::test]
async fn messages_survive_a_restart_with_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sink.db");
    let config = SinkConfig {
        db: Some(db.clone()),
        ..SinkConfig::ephemeral()
    };
    let sink = spawn_sink_with(config.clone()).await;
    send_raw_mail(
        sink.smtp_addr(),
        "a@b.c",
        &["keep@example.com"],
        &fixture("base64_attachment.eml"),
    )
    .await;
    send_raw_mail(
        sink.smtp_addr(),
        "a@b.c",
        &["gone@example.com"],
        &simple_message("gone@example.com", "deleted", "x"),
    )
    .await;
    let before = sink.wait_for("to:keep@example.com", WAIT).await.unwrap();
    let gone = sink.wait_for("to:gone@example.com", WAIT).await.unwrap();
    let http = reqwest::Client::new();
    http.delete(format!("{}/api/v1/messages", sink.http_url()))
        .json(&serde_json::json!({ "IDs": [gone.id] }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    sink.shutdown().await;

    let sink = spawn_sink_with(config).await;
    let all = sink.search("").await.unwrap();
    assert_eq!(all.len(), 1);
    let after = sink.wait_for("to:keep@example.com", WAIT).await.unwrap();
    assert_eq!(after.id, before.id);
    assert_eq!(after.attachments, before.attachments);
    assert_eq!(after.envelope, before.envelope);
    let raw = reqwest::get(format!(
        "{}/api/v1/message/{}/raw",
        sink.http_url(),
        after.id
    ))
    .await
    .unwrap()
    .bytes()
    .await
    .unwrap();
    assert_eq!(&raw[..], &fixture("base64_attachment.eml")[..]);
    sink.shutdown().await;
}

#[tokio::test]
async fn retention_drops_the_oldest_by_count() {
    let sink = spawn_sink_with(SinkConfig {
        max_messages: 3,
        ..SinkConfig::ephemeral()
    })
    .await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    for i in 0..5 {
        let data = simple_message("r@example.com", &format!("keep {i}"), "x");
        assert_eq!(c.send_mail("a@b.c", &["r@example.com"], &data).await.0, 250);
    }
    assert_eq!(
        subjects(&sink, "").await,
        vec!["keep 4", "keep 3", "keep 2"]
    );
    sink.shutdown().await;
}

#[tokio::test]
async fn retention_drops_the_oldest_by_total_size_also_with_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = SinkConfig {
        max_total_bytes: 2_500,
        db: Some(dir.path().join("r.db")),
        ..SinkConfig::ephemeral()
    };
    let sink = spawn_sink_with(config.clone()).await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    for i in 0..5 {
        let data = simple_message("r@example.com", &format!("sized {i}"), &"x".repeat(1000));
        assert_eq!(c.send_mail("a@b.c", &["r@example.com"], &data).await.0, 250);
    }
    assert_eq!(sink.search("").await.unwrap().len(), 2);
    sink.shutdown().await;
    let sink = spawn_sink_with(config).await;
    assert_eq!(subjects(&sink, "").await, vec!["sized 4", "sized 3"]);
    sink.shutdown().await;
}
