//! Live events filtered by `?query=`: parallel test runs on one sink each see only
//! their own mail, new and deleted.

use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::*;

/// An open event stream and what was read from it but not yet returned.
struct Events {
    resp: Response,
    buffer: String,
}

impl Events {
    async fn open(sink: &mailsink::SinkHandle, query: &str) -> Self {
        let resp = reqwest::Client::new()
            .get(format!("{}/api/v1/events", sink.http_url()))
            .query(&[("query", query)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        Self {
            resp,
            buffer: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped).
    async fn next(&mut self) -> Value {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let data: String = block
                        .lines()
                        .filter_map(|l| l.strip_prefix("data:"))
                        .map(str::trim_start)
                        .collect();
                    if !data.is_empty() {
                        return serde_json::from_str(&data).unwrap();
                    }
                    continue;
                }
                let chunk = self.resp.chunk().await.unwrap().expect("stream open");
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .expect("an event in time")
    }
}

async fn send(sink: &mailsink::SinkHandle, to: &str, subject: &str) -> String {
    let data = simple_message(to, subject, "x");
    assert_eq!(
        send_raw_mail(sink.smtp_addr(), "a@b.c", &[to], &data).await,
        250
    );
    sink.wait_for(&format!("to:{to} subject:\"{subject}\""), WAIT)
        .await
        .unwrap()
        .id
}

async fn delete(sink: &mailsink::SinkHandle, id: &str) {
    reqwest::Client::new()
        .delete(format!("{}/api/v1/messages", sink.http_url()))
        .json(&serde_json::json!({ "IDs": [id] }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

#[tokio::test]
async fn a_filtered_stream_sees_only_its_own_messages_arrive_and_go() {
    let sink = spawn_sink().await;
    let mut alice = Events::open(&sink, "to:alice@example.com").await;
    let mut bob = Events::open(&sink, "to:bob@example.com").await;
    let mut all = Events::open(&sink, "").await;

    // Bob's mail comes first: were alice's stream unfiltered, it would see it first.
    let bobs = send(&sink, "bob@example.com", "for bob").await;
    let alices = send(&sink, "alice@example.com", "for alice").await;
    let first = alice.next().await;
    assert_eq!(first["Type"], "new");
    assert_eq!(first["Data"]["ID"], alices.as_str());
    assert_eq!(first["Data"]["Subject"], "for alice");
    let first = bob.next().await;
    assert_eq!(first["Data"]["ID"], bobs.as_str());
    assert_eq!(all.next().await["Data"]["ID"], bobs.as_str());
    assert_eq!(all.next().await["Data"]["ID"], alices.as_str());

    // Deleting Bob's message first: alice's stream hears only of her own.
    delete(&sink, &bobs).await;
    delete(&sink, &alices).await;
    let gone = alice.next().await;
    assert_eq!(gone["Type"], "delete");
    assert_eq!(gone["Data"]["IDs"], serde_json::json!([alices]));
    let gone = bob.next().await;
    assert_eq!(gone["Data"]["IDs"], serde_json::json!([bobs]));
    assert_eq!(all.next().await["Data"]["IDs"], serde_json::json!([bobs]));
    assert_eq!(all.next().await["Data"]["IDs"], serde_json::json!([alices]));

    // Deleting everything concerns every stream.
    sink.client().delete_all().await.unwrap();
    assert_eq!(alice.next().await["Type"], "clear");
    sink.shutdown().await;
}

#[tokio::test]
async fn messages_dropped_by_retention_are_announced_to_their_stream_only() {
    let sink = spawn_sink_with(mailsink::SinkConfig {
        max_messages: 1,
        ..mailsink::SinkConfig::ephemeral()
    })
    .await;
    let mut carol = Events::open(&sink, "to:carol@example.com").await;
    let first = send(&sink, "carol@example.com", "first").await;
    assert_eq!(carol.next().await["Data"]["ID"], first.as_str());
    // Dave's message pushes Carol's out.
    send(&sink, "dave@example.com", "second").await;
    let gone = carol.next().await;
    assert_eq!(gone["Type"], "delete");
    assert_eq!(gone["Data"]["IDs"], serde_json::json!([first]));
    sink.shutdown().await;
}

#[tokio::test]
async fn a_bad_query_gets_400() {
    let sink = spawn_sink().await;
    let resp = reqwest::get(format!("{}/api/v1/events?query=to:", sink.http_url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    sink.shutdown().await;
}
