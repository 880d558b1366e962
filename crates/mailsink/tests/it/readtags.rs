//! Read state and tags, as Mailpit keeps them: `PUT /api/v1/messages`, the tags API,
//! tags on arrival (`X-Tags`, plus-addresses), `tag:` search, and both kept by `--db`.

use mailsink::{SinkConfig, SinkHandle};
use serde_json::{Value, json};

use crate::helpers::*;

/// `method url` with a JSON body; asserts 200 and returns the text of the answer.
pub async fn call(method: reqwest::Method, url: String, body: Option<Value>) -> String {
    let mut req = reqwest::Client::new().request(method.clone(), &url);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "{method} {url}: {text}");
    text
}

pub async fn get(sink: &SinkHandle, path: &str) -> Value {
    let text = call(
        reqwest::Method::GET,
        format!("{}{path}", sink.http_url()),
        None,
    )
    .await;
    serde_json::from_str(&text).unwrap()
}

async fn put(sink: &SinkHandle, path: &str, body: Value) {
    let url = format!("{}{path}", sink.http_url());
    assert_eq!(call(reqwest::Method::PUT, url, Some(body)).await, "ok");
}

/// Stores one message to `to` with the given extra header lines; returns its ID.
async fn deliver(sink: &SinkHandle, to: &str, subject: &str, headers: &str) -> String {
    let data = format!(
        "From: Sender <sender@example.com>\r\nTo: {to}\r\nSubject: {subject}\r\n{headers}\r\nbody\r\n"
    );
    assert_eq!(
        send_raw_mail(
            sink.smtp_addr(),
            "sender@example.com",
            &[to],
            data.as_bytes()
        )
        .await,
        250
    );
    sink.wait_for(&format!("subject:{subject}"), WAIT)
        .await
        .unwrap()
        .id
}

fn read_of(list: &Value, id: &str) -> bool {
    let row = list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["ID"] == id)
        .unwrap();
    row["Read"].as_bool().unwrap()
}

#[tokio::test]
async fn read_state_is_set_listed_counted_and_set_by_opening() {
    let sink = spawn_sink().await;
    let a = deliver(&sink, "a@example.com", "first", "").await;
    let b = deliver(&sink, "b@example.com", "second", "").await;
    let list = get(&sink, "/api/v1/messages").await;
    assert_eq!(
        (list["unread"].as_u64(), read_of(&list, &a)),
        (Some(2), false)
    );

    put(&sink, "/api/v1/messages", json!({"IDs": [a], "Read": true})).await;
    let list = get(&sink, "/api/v1/messages").await;
    assert_eq!(list["unread"], 1);
    assert!(read_of(&list, &a) && !read_of(&list, &b));

    // Empty IDs: every message.
    put(&sink, "/api/v1/messages", json!({"IDs": [], "Read": true})).await;
    assert_eq!(get(&sink, "/api/v1/messages").await["unread"], 0);
    put(&sink, "/api/v1/messages", json!({"Read": false})).await;
    assert_eq!(get(&sink, "/api/v1/messages").await["unread"], 2);
    // A search selects, as newer Mailpit clients do.
    put(
        &sink,
        "/api/v1/messages",
        json!({"Search": "to:b@example.com", "Read": true}),
    )
    .await;
    let list = get(&sink, "/api/v1/messages").await;
    assert!(read_of(&list, &b) && !read_of(&list, &a));

    // Opening a message marks it read, as in Mailpit.
    let opened = get(&sink, &format!("/api/v1/message/{a}")).await;
    assert_eq!(opened["ID"], a.as_str());
    assert_eq!(get(&sink, "/api/v1/messages").await["unread"], 0);

    let bad = reqwest::Client::new()
        .put(format!("{}/api/v1/messages", sink.http_url()))
        .body("{\"Read\": \"yes\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn tags_come_from_x_tags_and_plus_addresses_and_can_be_set_renamed_and_deleted() {
    let sink = spawn_sink().await;
    let a = deliver(
        &sink,
        "alice+signup@example.com",
        "welcome",
        "X-Tags: Onboarding, beta/test\r\n",
    )
    .await;
    let b = deliver(&sink, "bob@example.com", "plain", "").await;

    let msg = get(&sink, &format!("/api/v1/message/{a}")).await;
    assert_eq!(msg["Tags"], json!(["Onboarding", "betatest", "signup"]));
    assert_eq!(
        get(&sink, "/api/v1/tags").await,
        json!(["Onboarding", "betatest", "signup"])
    );
    let found = get(&sink, "/api/v1/search?query=tag:signup").await;
    assert_eq!(found["messages_count"], 1);
    assert_eq!(found["messages"][0]["ID"], a.as_str());
    assert_eq!(found["messages"][0]["Tags"][2], "signup");
    assert_eq!(found["tags"], json!(["Onboarding", "betatest", "signup"]));

    // PUT replaces the tags of the given messages; a case variant takes the known spelling.
    put(
        &sink,
        "/api/v1/tags",
        json!({"IDs": [a, b], "Tags": ["onboarding", "Urgent", "urgent"]}),
    )
    .await;
    let tagged = get(&sink, "/api/v1/search?query=tag:urgent").await;
    assert_eq!(tagged["messages_count"], 2);
    assert_eq!(
        tagged["messages"][0]["Tags"],
        json!(["Onboarding", "Urgent"])
    );

    let renamed = format!("{}/api/v1/tags/{}", sink.http_url(), "Urgent");
    let body = json!({"Name": "Later on"});
    assert_eq!(call(reqwest::Method::PUT, renamed, Some(body)).await, "ok");
    let later = get(&sink, "/api/v1/search?query=tag:%22later%20on%22").await;
    assert_eq!(later["messages_count"], 2);

    let url = format!("{}/api/v1/tags/Later%20on", sink.http_url());
    assert_eq!(call(reqwest::Method::DELETE, url, None).await, "ok");
    assert_eq!(get(&sink, "/api/v1/tags").await, json!(["Onboarding"]));
    assert_eq!(get(&sink, "/api/v1/messages").await["total"], 2);

    // No IDs: nothing changes, as in Mailpit.
    put(&sink, "/api/v1/tags", json!({"Tags": ["x"]})).await;
    assert_eq!(get(&sink, "/api/v1/tags").await, json!(["Onboarding"]));
    put(&sink, "/api/v1/tags", json!({"IDs": [a], "Tags": []})).await;
    let left = get(&sink, &format!("/api/v1/message/{a}")).await;
    assert_eq!(left["Tags"], json!([]));
}

#[tokio::test]
async fn read_state_and_tags_survive_a_restart_with_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = SinkConfig {
        db: Some(dir.path().join("sink.db")),
        ..SinkConfig::ephemeral()
    };
    let sink = spawn_sink_with(config.clone()).await;
    let a = deliver(&sink, "a+kept@example.com", "kept", "").await;
    deliver(&sink, "b@example.com", "other", "").await;
    put(&sink, "/api/v1/messages", json!({"IDs": [a], "Read": true})).await;
    put(
        &sink,
        "/api/v1/tags",
        json!({"IDs": [a], "Tags": ["kept", "Starred"]}),
    )
    .await;
    sink.shutdown().await;

    let sink = spawn_sink_with(config).await;
    let list = get(&sink, "/api/v1/messages").await;
    assert_eq!(list["unread"], 1);
    assert!(read_of(&list, &a));
    assert_eq!(get(&sink, "/api/v1/tags").await, json!(["Starred", "kept"]));
    let found = get(&sink, "/api/v1/search?query=tag:starred").await;
    assert_eq!(found["messages"][0]["ID"], a.as_str());
}
