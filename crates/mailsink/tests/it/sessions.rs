//! SMTP session records: a transcript for every session, stored or not, with AUTH
//! secrets and DATA bodies left out, and the session of a message.

use mailsink::{FaultStage, NewFault, SinkHandle, SmtpSession};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// The newest session (the server records its end before it closes the connection).
async fn newest(sink: &SinkHandle) -> SmtpSession {
    let page = sink.client().sessions(0, 1).await.unwrap();
    page.sessions.into_iter().next().expect("a session")
}

#[tokio::test]
async fn a_session_that_stored_nothing_has_its_transcript() {
    let sink = spawn_sink().await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client.example", 250).await;
    c.expect("QUIT", 221).await;
    assert!(c.try_line().await.is_none(), "closed after QUIT");
    let s = newest(&sink).await;
    assert_eq!(s.helo, "client.example");
    assert_eq!(s.outcome, "nothing stored; client quit");
    assert!(s.ended.is_some());
    assert!(s.message_ids.is_empty() && s.fault.is_none());
    assert!(s.peer.starts_with("127.0.0.1:"), "{}", s.peer);
    let t = &s.transcript;
    assert!(t[0].starts_with("S: 220 "), "{t:?}");
    assert_eq!(t[1], "C: EHLO client.example");
    assert!(
        t[2].starts_with("S: 250-mailsink greets client.example"),
        "{t:?}"
    );
    assert!(t.contains(&"S: 250 AUTH PLAIN LOGIN".to_owned()), "{t:?}");
    assert_eq!(t[t.len() - 2], "C: QUIT");
    assert!(t[t.len() - 1].starts_with("S: 221"), "{t:?}");
    sink.shutdown().await;
}

#[tokio::test]
async fn auth_secrets_and_bodies_stay_out_of_the_transcript() {
    let sink = spawn_sink().await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    // PLAIN with an initial response, LOGIN in two steps, PLAIN after a challenge.
    c.expect("AUTH PLAIN AHVzZXIAc2VjcmV0LXBsYWlu", 235).await;
    c.expect("AUTH LOGIN", 334).await;
    c.expect("dXNlci1sb2dpbg==", 334).await;
    c.expect("c2VjcmV0LWxvZ2lu", 235).await;
    c.expect("AUTH PLAIN", 334).await;
    c.expect("AHUAc2VjcmV0LWFmdGVy", 235).await;
    let (code, _) = c
        .send_mail(
            "a@example.com",
            &["b@example.com"],
            b"Subject: private\r\n\r\nthe body says hunter2\r\n",
        )
        .await;
    assert_eq!(code, 250);
    let msg = sink.wait_for("subject:private", WAIT).await.unwrap();
    let s = sink.client().message_session(&msg.id).await.unwrap();
    let all = s.transcript.join("\n");
    for secret in [
        "AHVzZXIAc2VjcmV0LXBsYWlu",
        "dXNlci1sb2dpbg==",
        "c2VjcmV0LWxvZ2lu",
        "AHUAc2VjcmV0LWFmdGVy",
        "hunter2",
        "Subject: private",
    ] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
    assert!(all.contains("C: AUTH PLAIN ***"), "{all}");
    assert!(
        all.contains("C: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: ***"),
        "{all}"
    );
    assert!(all.contains("C: DATA\nS: 354"), "{all}");
    assert!(
        all.contains("C: [message, 43 bytes]\nS: 250 2.0.0 Ok: queued as"),
        "{all}"
    );
    assert_eq!(s.message_ids, vec![msg.id.clone()]);
    // Still open: in progress, and already listed.
    assert_eq!(s.outcome, "in progress");
    assert!(s.ended.is_none());
    c.expect("QUIT", 221).await;
    assert!(c.try_line().await.is_none());
    let s = sink.client().message_session(&msg.id).await.unwrap();
    assert_eq!(s.outcome, "stored 1 message; client quit");
    sink.shutdown().await;
}

#[tokio::test]
async fn a_refusal_by_a_fault_is_named_in_the_session() {
    let sink = spawn_sink().await;
    let rule = NewFault::reply(FaultStage::Rcpt, "to:alice", 451, "4.3.0 try again later");
    let rule = sink.client().add_fault(&rule).await.unwrap();
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    c.expect("MAIL FROM:<portal@example.com>", 250).await;
    c.expect("RCPT TO:<alice@example.com>", 451).await;
    c.expect("QUIT", 221).await;
    assert!(c.try_line().await.is_none());
    let s = newest(&sink).await;
    assert_eq!(s.fault.as_deref(), Some(rule.id.as_str()));
    assert_eq!(
        s.outcome,
        "nothing stored, last refusal: 451 4.3.0 try again later; client quit"
    );
    let t = s.transcript.join("\n");
    assert!(
        t.contains("C: RCPT TO:<alice@example.com>\nS: 451 4.3.0 try again later\nC: QUIT"),
        "{t}"
    );
    sink.shutdown().await;
}

#[tokio::test]
async fn a_session_dropped_at_connect_is_recorded() {
    let sink = spawn_sink().await;
    let rule = NewFault::disconnect(FaultStage::Connect, "").count(1);
    let rule = sink.client().add_fault(&rule).await.unwrap();
    let mut c = RawSmtp::connect_raw(sink.smtp_addr()).await;
    assert!(c.try_line().await.is_none());
    let s = newest(&sink).await;
    assert_eq!(s.outcome, "nothing stored; dropped by a fault at CONNECT");
    assert_eq!(s.fault, Some(rule.id));
    assert!(s.transcript.is_empty(), "{:?}", s.transcript);
    sink.shutdown().await;
}

#[tokio::test]
async fn sessions_are_listed_newest_first_and_paged() {
    let sink = spawn_sink().await;
    for i in 0..3 {
        let mut c = RawSmtp::connect(sink.smtp_addr()).await;
        c.expect(&format!("HELO client{i}"), 250).await;
        c.expect("QUIT", 221).await;
        assert!(c.try_line().await.is_none());
    }
    let url = format!("{}/api/v1/sessions?start=1&limit=1", sink.http_url());
    let page: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(page["total"], 3);
    let sessions = page["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    for key in [
        "ID",
        "Peer",
        "Started",
        "Ended",
        "Helo",
        "Transcript",
        "Outcome",
        "Fault",
        "MessageIDs",
    ] {
        assert!(sessions[0].get(key).is_some(), "session lacks {key}");
    }
    assert_eq!(sessions[0]["Helo"], "client1");
    let all = sink.client().sessions(0, 50).await.unwrap();
    let helos: Vec<&str> = all.sessions.iter().map(|s| s.helo.as_str()).collect();
    assert_eq!(helos, ["client2", "client1", "client0"]);
    sink.shutdown().await;
}

/// Sessions are not kept across restarts: a message read back from `--db` has none.
#[tokio::test]
async fn a_message_without_a_session_gets_404() {
    let dir = tempfile::tempdir().unwrap();
    let config = mailsink::SinkConfig {
        db: Some(dir.path().join("sink.db")),
        ..mailsink::SinkConfig::ephemeral()
    };
    let sink = spawn_sink_with(config.clone()).await;
    let data = simple_message("kept@example.com", "kept", "x");
    assert_eq!(
        send_raw_mail(sink.smtp_addr(), "a@b.c", &["kept@example.com"], &data).await,
        250
    );
    let id = sink.wait_for("subject:kept", WAIT).await.unwrap().id;
    sink.client().message_session(&id).await.unwrap();
    sink.shutdown().await;

    let sink = spawn_sink_with(config).await;
    for id in [id.as_str(), "no-such-message"] {
        let resp = reqwest::get(format!("{}/api/v1/message/{id}/session", sink.http_url()))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    }
    let resp = reqwest::get(format!("{}/api/v1/message/{id}/session", sink.http_url()))
        .await
        .unwrap();
    assert!(resp.text().await.unwrap().contains("session"));
    sink.shutdown().await;
}
