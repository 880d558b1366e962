//! Faults on demand over real SMTP: our rules at each stage with each action, counts,
//! probability and expiry, and Mailpit's chaos API.

use std::time::{Duration, Instant};

use mailsink::{
    ChaosTrigger, ChaosTriggers, FaultAction, FaultStage, NewFault, SinkConfig, SinkHandle,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn add(sink: &SinkHandle, rule: NewFault) -> String {
    sink.client().add_fault(&rule).await.unwrap().id
}

/// Sends one message in a session of its own; the final reply's code.
async fn deliver(sink: &SinkHandle, to: &str, subject: &str) -> u16 {
    send_raw_mail(
        sink.smtp_addr(),
        "sender@example.com",
        &[to],
        &simple_message(to, subject, "x"),
    )
    .await
}

/// A message sent after the faulted one, in a new session: once it is stored, the
/// faulted one would have been too (sessions are served in order here).
async fn flush(sink: &SinkHandle) {
    assert_eq!(deliver(sink, "flush@example.com", "flush").await, 250);
    sink.wait_for("to:flush@example.com", WAIT).await.unwrap();
}

async fn stored(sink: &SinkHandle, query: &str) -> usize {
    sink.search(query).await.unwrap().len()
}

/// A session with `MAIL FROM:<a@example.com>` accepted.
async fn after_mail(sink: &SinkHandle) -> RawSmtp {
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    c.expect("MAIL FROM:<a@example.com>", 250).await;
    c
}

/// Reads whatever the server sends until it closes; fails if it stays open.
async fn read_to_close(c: &mut RawSmtp) -> String {
    let mut all = String::new();
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match c.try_line().await {
                Some(line) => all.push_str(&line),
                None => return,
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the server kept the connection open: {all:?}"
    );
    all
}

#[tokio::test]
async fn a_rule_is_created_with_201_its_id_and_nothing_applied() {
    let sink = spawn_sink().await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/faults", sink.http_url()))
        .body(
            r#"{"Query": "to:alice@example.com", "Stage": "RCPT", "Action": "reply",
                "Code": 451, "Text": "try again later", "Count": 3}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let rule: Value = resp.json().await.unwrap();
    assert_eq!(rule["ID"], "1");
    assert_eq!(rule["Applied"], 0);
    assert_eq!(rule["Stage"], "RCPT");
    assert_eq!(rule["Action"], "reply");
    assert_eq!(rule["Code"], 451);
    assert_eq!(rule["Text"], "try again later");
    assert_eq!(rule["Count"], 3);
    assert_eq!(rule["Probability"], 100);
    assert_eq!(rule["Status"], "active");
    let listed: Value = reqwest::get(format!("{}/api/v1/faults", sink.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([rule]));
    sink.shutdown().await;
}

#[tokio::test]
async fn bad_rules_get_400_with_the_reason() {
    let sink = spawn_sink().await;
    let http = reqwest::Client::new();
    for (body, reason) in [
        (r#"{"Stage":"RCPT","Action":"reply","Code":250}"#, "Code"),
        (r#"{"Stage":"RCPT","Action":"bounce"}"#, "unknown variant"),
        (r#"{"Stage":"HELO","Action":"reply"}"#, "unknown variant"),
        (r#"{"Stage":"RCPT","Action":"reply","Cuont":3}"#, "Cuont"),
        (r#"{"Stage":"RCPT","Action":"delay"}"#, "DelayMs"),
        (
            r#"{"Stage":"RCPT","Action":"reply","ExpiresIn":"soon"}"#,
            "ExpiresIn",
        ),
        (
            r#"{"Stage":"RCPT","Action":"reply","Probability":101}"#,
            "Probability",
        ),
        (
            r#"{"Stage":"RCPT","Action":"reply","Query":"subject:x"}"#,
            "envelope",
        ),
        (
            r#"{"Stage":"RCPT","Action":"reply","Text":"a\r\n250 ok"}"#,
            "Text",
        ),
        ("not json", "expected"),
    ] {
        let resp = http
            .post(format!("{}/api/v1/faults", sink.http_url()))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{body}");
        let text = resp.text().await.unwrap();
        assert!(text.contains(reason), "{body}: {text}");
    }
    assert!(sink.client().faults().await.unwrap().is_empty());
    sink.shutdown().await;
}

#[tokio::test]
async fn rcpt_reply_refuses_the_next_n_messages_to_an_address_then_mail_flows() {
    let sink = spawn_sink().await;
    add(
        &sink,
        NewFault::reply(
            FaultStage::Rcpt,
            "to:alice@example.com",
            451,
            "4.3.0 try again later",
        )
        .count(2),
    )
    .await;
    for _ in 0..2 {
        let mut c = RawSmtp::connect(sink.smtp_addr()).await;
        c.expect("EHLO client", 250).await;
        c.expect("MAIL FROM:<portal@example.com>", 250).await;
        let refused = c.expect("RCPT TO:<alice@example.com>", 451).await;
        assert_eq!(refused, "451 4.3.0 try again later\r\n");
        // Nobody accepted: DATA has nobody to deliver to.
        c.expect("DATA", 554).await;
        // Other recipients are not affected.
        c.expect("RSET", 250).await;
        let (code, _) = c
            .send_mail(
                "portal@example.com",
                &["bob@example.com"],
                b"Subject: for bob\r\n\r\nx\r\n",
            )
            .await;
        assert_eq!(code, 250);
    }
    // The count has run out: the third attempt is delivered.
    assert_eq!(deliver(&sink, "alice@example.com", "third try").await, 250);
    sink.wait_for("to:alice@example.com", WAIT).await.unwrap();
    let rules = sink.client().faults().await.unwrap();
    assert_eq!(rules[0].applied, 2);
    assert!(!rules[0].active);
    assert_eq!(rules[0].status, "used up");
    assert_eq!(stored(&sink, "to:bob@example.com").await, 2);
    sink.shutdown().await;
}

#[tokio::test]
async fn a_refused_recipient_is_left_out_and_the_others_get_the_message() {
    let sink = spawn_sink().await;
    add(
        &sink,
        NewFault::reply(FaultStage::Rcpt, "to:alice", 550, "5.1.1 no such user"),
    )
    .await;
    let mut c = after_mail(&sink).await;
    c.expect("RCPT TO:<bob@example.com>", 250).await;
    c.expect("RCPT TO:<alice@example.com>", 550).await;
    c.expect("DATA", 354).await;
    c.send_raw(b"Subject: two\r\n\r\nx\r\n.\r\n").await;
    assert_eq!(c.reply().await.0, 250);
    let msg = sink.wait_for("subject:two", WAIT).await.unwrap();
    assert_eq!(msg.envelope.to, ["bob@example.com"]);
    sink.shutdown().await;
}

/// A reply replaces the greeting, a disconnect sends nothing; both close, once each.
#[tokio::test]
async fn connect_faults_refuse_or_drop_the_connection() {
    for (rule, sent) in [
        (
            NewFault::reply(FaultStage::Connect, "", 554, "5.3.2 not now"),
            "554 5.3.2 not now\r\n",
        ),
        (NewFault::disconnect(FaultStage::Connect, ""), ""),
    ] {
        let sink = spawn_sink().await;
        add(&sink, rule.count(1)).await;
        let mut c = RawSmtp::connect_raw(sink.smtp_addr()).await;
        assert_eq!(read_to_close(&mut c).await, sent);
        // Count 1: the next connection is greeted.
        flush(&sink).await;
        sink.shutdown().await;
    }
}

#[tokio::test]
async fn connect_delay_holds_the_greeting_and_every_reply() {
    let sink = spawn_sink().await;
    add(
        &sink,
        NewFault::delay(FaultStage::Connect, "", 300).count(1),
    )
    .await;
    let started = Instant::now();
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    c.expect("EHLO client", 250).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    sink.shutdown().await;
}

#[tokio::test]
async fn mail_reply_refuses_a_sender_and_the_session_goes_on() {
    let sink = spawn_sink().await;
    add(
        &sink,
        NewFault::reply(FaultStage::Mail, "from:spammer", 550, "5.7.1 not you"),
    )
    .await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    c.expect("MAIL FROM:<spammer@example.com>", 550).await;
    // The refused MAIL opened no transaction.
    c.expect("RCPT TO:<x@example.com>", 503).await;
    let (code, _) = c
        .send_mail(
            "friend@example.com",
            &["x@example.com"],
            b"Subject: from a friend\r\n\r\nx\r\n",
        )
        .await;
    assert_eq!(code, 250);
    sink.wait_for("from:friend@example.com", WAIT)
        .await
        .unwrap();
    assert_eq!(stored(&sink, "from:spammer").await, 0);
    sink.shutdown().await;
}

#[tokio::test]
async fn mail_disconnect_drops_the_connection() {
    let sink = spawn_sink().await;
    add(&sink, NewFault::disconnect(FaultStage::Mail, "from:a@")).await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    c.send_raw(b"MAIL FROM:<a@example.com>\r\n").await;
    assert_eq!(read_to_close(&mut c).await, "");
    sink.shutdown().await;
}

#[tokio::test]
async fn data_reply_refuses_the_data_command() {
    let sink = spawn_sink().await;
    add(
        &sink,
        NewFault::reply(FaultStage::Data, "to:carol", 452, "4.3.1 out of space").count(1),
    )
    .await;
    let mut c = after_mail(&sink).await;
    c.expect("RCPT TO:<carol@example.com>", 250).await;
    c.expect("DATA", 452).await;
    c.expect("RSET", 250).await;
    let (code, _) = c
        .send_mail(
            "a@example.com",
            &["carol@example.com"],
            b"Subject: second go\r\n\r\nx\r\n",
        )
        .await;
    assert_eq!(code, 250);
    sink.wait_for("to:carol", WAIT).await.unwrap();
    sink.shutdown().await;
}

#[tokio::test]
async fn data_delay_holds_the_354_and_what_follows() {
    let sink = spawn_sink().await;
    add(&sink, NewFault::delay(FaultStage::Data, "", 250)).await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    let started = Instant::now();
    c.expect("MAIL FROM:<a@example.com>", 250).await;
    c.expect("RCPT TO:<b@example.com>", 250).await;
    assert!(started.elapsed() < Duration::from_millis(250));
    let started = Instant::now();
    c.expect("DATA", 354).await;
    c.send_raw(b"Subject: slow\r\n\r\nx\r\n.\r\n").await;
    assert_eq!(c.reply().await.0, 250);
    assert!(started.elapsed() >= Duration::from_millis(500));
    sink.wait_for("subject:slow", WAIT).await.unwrap();
    // Applied once for the session, not per reply.
    assert_eq!(sink.client().faults().await.unwrap()[0].applied, 1);
    sink.shutdown().await;
}

#[tokio::test]
async fn end_reply_refuses_the_message_and_stores_nothing() {
    let sink = spawn_sink().await;
    add(
        &sink,
        NewFault::reply(FaultStage::End, "to:dave", 451, "4.3.0 queue full").count(1),
    )
    .await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    let (code, text) = c
        .send_mail(
            "a@example.com",
            &["dave@example.com"],
            b"Subject: refused\r\n\r\nx\r\n",
        )
        .await;
    assert_eq!((code, text.as_str()), (451, "451 4.3.0 queue full\r\n"));
    // The session is in sync: the retry on the same connection is stored.
    let (code, _) = c
        .send_mail(
            "a@example.com",
            &["dave@example.com"],
            b"Subject: retried\r\n\r\nx\r\n",
        )
        .await;
    assert_eq!(code, 250);
    sink.wait_for("subject:retried", WAIT).await.unwrap();
    assert_eq!(stored(&sink, "subject:refused").await, 0);
    sink.shutdown().await;
}

#[tokio::test]
async fn end_disconnect_drops_the_connection_after_the_data_and_stores_nothing() {
    let sink = spawn_sink().await;
    add(&sink, NewFault::disconnect(FaultStage::End, "to:erin")).await;
    let mut c = after_mail(&sink).await;
    c.expect("RCPT TO:<erin@example.com>", 250).await;
    c.expect("DATA", 354).await;
    c.send_raw(b"Subject: dropped\r\n\r\nx\r\n.\r\n").await;
    assert_eq!(read_to_close(&mut c).await, "");
    flush(&sink).await;
    assert_eq!(stored(&sink, "subject:dropped").await, 0);
    sink.shutdown().await;
}

#[tokio::test]
async fn end_delay_stores_before_the_late_250() {
    let sink = spawn_sink().await;
    add(&sink, NewFault::delay(FaultStage::End, "", 400)).await;
    let mut c = after_mail(&sink).await;
    c.expect("RCPT TO:<b@example.com>", 250).await;
    c.expect("DATA", 354).await;
    let started = Instant::now();
    c.send_raw(b"Subject: late ok\r\n\r\nx\r\n.\r\n").await;
    // Stored while the 250 is still held back.
    sink.wait_for("subject:\"late ok\"", WAIT).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(400));
    assert_eq!(c.reply().await.0, 250);
    assert!(started.elapsed() >= Duration::from_millis(400));
    sink.shutdown().await;
}

#[tokio::test]
async fn a_421_reply_closes_the_connection() {
    let sink = spawn_sink().await;
    add(
        &sink,
        NewFault::reply(FaultStage::Rcpt, "", 421, "4.3.2 going down"),
    )
    .await;
    let mut c = after_mail(&sink).await;
    c.send_raw(b"RCPT TO:<b@example.com>\r\n").await;
    assert_eq!(read_to_close(&mut c).await, "421 4.3.2 going down\r\n");
    sink.shutdown().await;
}

#[tokio::test]
async fn probability_zero_never_applies_and_a_hundred_always_does() {
    let sink = spawn_sink().await;
    let never = NewFault {
        probability: Some(0),
        ..NewFault::reply(FaultStage::Rcpt, "to:p0", 451, "never")
    };
    let always = NewFault {
        probability: Some(100),
        ..NewFault::reply(FaultStage::Rcpt, "to:p100", 451, "always")
    };
    add(&sink, never).await;
    add(&sink, always).await;
    let mut c = after_mail(&sink).await;
    for _ in 0..20 {
        c.expect("RCPT TO:<p0@example.com>", 250).await;
        c.expect("RCPT TO:<p100@example.com>", 451).await;
    }
    let rules = sink.client().faults().await.unwrap();
    assert_eq!((rules[0].applied, rules[1].applied), (0, 20));
    sink.shutdown().await;
}

#[tokio::test]
async fn an_expired_rule_stops_applying_and_says_so() {
    let sink = spawn_sink().await;
    let rule = NewFault {
        expires_in: Some("500ms".into()),
        ..NewFault::reply(FaultStage::Rcpt, "", 451, "for now")
    };
    let rule = sink.client().add_fault(&rule).await.unwrap();
    assert!(rule.expires.is_some());
    let mut c = after_mail(&sink).await;
    c.expect("RCPT TO:<b@example.com>", 451).await;
    // Wait on the sink's own account of the rule, not a fixed sleep.
    let deadline = Instant::now() + WAIT;
    while sink.client().faults().await.unwrap()[0].status != "expired" {
        assert!(Instant::now() < deadline, "the rule never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.expect("RCPT TO:<b@example.com>", 250).await;
    sink.shutdown().await;
}

#[tokio::test]
async fn rules_are_deleted_one_by_one_or_all() {
    let sink = spawn_sink().await;
    let client = sink.client();
    let first = add(&sink, NewFault::disconnect(FaultStage::Connect, "")).await;
    add(&sink, NewFault::disconnect(FaultStage::End, "")).await;
    let one = reqwest::get(format!("{}/api/v1/faults/{first}", sink.http_url()))
        .await
        .unwrap();
    assert_eq!(one.status(), StatusCode::OK);
    assert_eq!(one.json::<Value>().await.unwrap()["Stage"], "CONNECT");
    client.delete_fault(&first).await.unwrap();
    let gone = reqwest::get(format!("{}/api/v1/faults/{first}", sink.http_url()))
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let err = client.delete_fault(&first).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    assert_eq!(client.faults().await.unwrap().len(), 1);
    client.clear_faults().await.unwrap();
    assert!(client.faults().await.unwrap().is_empty());
    // Nothing applies any more.
    flush(&sink).await;
    sink.shutdown().await;
}

/// What lettre (the portal's SMTP client) sees: a transient error while the rule
/// applies, delivery once it is used up: late mail, not lost mail.
#[tokio::test]
async fn lettre_gets_a_transient_error_then_delivers() {
    use lettre::AsyncTransport as _;
    let sink = spawn_sink().await;
    add(
        &sink,
        NewFault::reply(FaultStage::Rcpt, "to:frank", 451, "4.3.0 later").count(1),
    )
    .await;
    let msg = || {
        lettre::Message::builder()
            .from("portal@example.com".parse().unwrap())
            .to("frank@example.com".parse().unwrap())
            .subject("recovery")
            .body("x".to_owned())
            .unwrap()
    };
    let err = lettre(sink.smtp_addr()).send(msg()).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    lettre(sink.smtp_addr()).send(msg()).await.unwrap();
    sink.wait_for("to:frank", WAIT).await.unwrap();
    sink.shutdown().await;
}

/// `method url` with `body`: the status and the JSON answer (`Null` if none).
async fn call(method: reqwest::Method, url: &str, body: &str) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .request(method, url)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn chaos_api_answers_with_mailpits_json() {
    use reqwest::Method;
    let sink = spawn_sink().await;
    let url = format!("{}/api/v1/chaos", sink.http_url());
    let off = json!({
        "Sender": {"ErrorCode": 451, "Probability": 0},
        "Recipient": {"ErrorCode": 451, "Probability": 0},
        "Authentication": {"ErrorCode": 535, "Probability": 0},
    });
    assert_eq!(
        call(Method::GET, &url, "").await,
        (StatusCode::OK, off.clone())
    );
    // Mailpit's documented example (ErrorCode 451, Probability 5); the omitted
    // triggers are reset to their defaults.
    let mut expected = off.clone();
    expected["Sender"]["Probability"] = json!(5);
    let example = r#"{"Sender": {"ErrorCode": 451, "Probability": 5}}"#;
    assert_eq!(
        call(Method::PUT, &url, example).await,
        (StatusCode::OK, expected.clone())
    );
    assert_eq!(
        call(Method::GET, &url, "").await,
        (StatusCode::OK, expected)
    );
    // `{}` resets everything.
    assert_eq!(call(Method::PUT, &url, "{}").await, (StatusCode::OK, off));
    for bad in [
        r#"{"Sender": {"ErrorCode": 200, "Probability": 5}}"#,
        r#"{"Recipient": {"ErrorCode": 451, "Probability": 101}}"#,
        "",
    ] {
        let (status, _) = call(Method::PUT, &url, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    sink.shutdown().await;
}

#[tokio::test]
async fn chaos_triggers_fail_mail_rcpt_and_auth() {
    let sink = spawn_sink().await;
    let always = |error_code| ChaosTrigger {
        error_code,
        probability: 100,
    };
    sink.client()
        .set_chaos(&ChaosTriggers {
            sender: always(0),
            recipient: ChaosTrigger::default(),
            authentication: always(0),
        })
        .await
        .unwrap();
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    c.expect("EHLO client", 250).await;
    assert_eq!(
        c.expect("MAIL FROM:<a@example.com>", 451).await,
        "451 Chaos sender error\r\n"
    );
    assert_eq!(
        c.expect("AUTH PLAIN AGFueQBhbnk=", 535).await,
        "535 Chaos authentication error\r\n"
    );
    // An unknown mechanism is still a 504, as in Mailpit.
    c.expect("AUTH CRAM-MD5", 504).await;
    sink.client()
        .set_chaos(&ChaosTriggers {
            recipient: always(550),
            ..ChaosTriggers::default()
        })
        .await
        .unwrap();
    c.expect("MAIL FROM:<a@example.com>", 250).await;
    assert_eq!(
        c.expect("RCPT TO:<b@example.com>", 550).await,
        "550 Chaos recipient error\r\n"
    );
    sink.shutdown().await;
}

#[tokio::test]
async fn no_faults_turns_both_apis_off_with_403() {
    let sink = spawn_sink_with(SinkConfig {
        faults: false,
        ..SinkConfig::ephemeral()
    })
    .await;
    let http = reqwest::Client::new();
    let base = sink.http_url();
    let rule = r#"{"Stage":"RCPT","Action":"reply"}"#;
    for req in [
        http.get(format!("{base}/api/v1/chaos")),
        http.put(format!("{base}/api/v1/chaos")).body("{}"),
        http.get(format!("{base}/api/v1/faults")),
        http.post(format!("{base}/api/v1/faults")).body(rule),
        http.delete(format!("{base}/api/v1/faults")),
        http.delete(format!("{base}/api/v1/faults/1")),
    ] {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert!(resp.text().await.unwrap().contains("--no-faults"));
    }
    flush(&sink).await;
    sink.shutdown().await;
}

#[test]
fn fault_json_names_are_the_documented_ones() {
    let rule: NewFault = serde_json::from_value(json!({
        "Query": "to:alice@example.com", "Stage": "RCPT", "Action": "delay", "DelayMs": 5,
        "Count": 3, "Probability": 50, "ExpiresIn": "10m"
    }))
    .unwrap();
    assert_eq!(
        (rule.stage, rule.action, rule.delay_ms),
        (FaultStage::Rcpt, FaultAction::Delay, Some(5))
    );
    for stage in ["CONNECT", "MAIL", "RCPT", "DATA", "END"] {
        let s: FaultStage = serde_json::from_value(json!(stage)).unwrap();
        assert_eq!(serde_json::to_value(s).unwrap(), json!(stage));
    }
}
