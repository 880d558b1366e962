//! Hostile input: whatever a client sends over SMTP or HTTP, the sink keeps answering;
//! no message is stored that cannot be read back.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};

use crate::helpers::*;

/// An HTML body whose entity decoding once cut a `&str` inside `é` (the 12-byte window
/// after `&` ended in the middle of it): reading the message panicked the handler.
const ENTITY_CUT_IN_A_CHARACTER: &str = "From: Portal <noreply@portal.test>\r\n\
    To: bob@example.com\r\n\
    Subject: entity cut\r\n\
    MIME-Version: 1.0\r\n\
    Content-Type: text/html; charset=utf-8\r\n\
    Content-Transfer-Encoding: 8bit\r\n\
    \r\n\
    <p><a href=\"http://127.0.0.1:8080/recover?token=abc&0123456789\u{e9};\">Reset</a></p>\r\n";

#[tokio::test]
async fn an_html_entity_cut_inside_a_multibyte_character_is_served() {
    let sink = spawn_sink().await;
    let code = send_raw_mail(
        sink.smtp_addr(),
        "noreply@portal.test",
        &["bob@example.com"],
        ENTITY_CUT_IN_A_CHARACTER.as_bytes(),
    )
    .await;
    assert_eq!(code, 250);

    // The long poll, the message and its views, all over HTTP.
    let msg = sink
        .client()
        .wait_for("to:bob@example.com subject:\"entity cut\"", WAIT)
        .await
        .unwrap();
    assert!(msg.html.contains("token=abc&0123456789é;"), "{}", msg.html);
    assert!(
        msg.links
            .iter()
            .any(|l| l.starts_with("http://127.0.0.1:8080/recover?token=abc&0123456789é")),
        "{:?}",
        msg.links
    );
    let again = sink.client().message(&msg.id).await.unwrap();
    assert_eq!(again.html, msg.html);
    let view = reqwest::get(format!("{}/view/{}.html", sink.http_url(), msg.id))
        .await
        .unwrap();
    assert_eq!(view.status(), StatusCode::OK);
    assert!(view.text().await.unwrap().contains("&0123456789é;"));
    sink.shutdown().await;
}

/// `usize::MAX` as the size limit (what `--max-message-size` with a huge value gives)
/// is capped: the limit arithmetic must not overflow, and the MIME parser counts in 32
/// bits.
#[tokio::test]
async fn an_unbounded_size_limit_is_capped() {
    let sink = spawn_sink_with(mailsink::SinkConfig {
        max_message_bytes: usize::MAX,
        ..mailsink::SinkConfig::ephemeral()
    })
    .await;
    let mut c = RawSmtp::connect(sink.smtp_addr()).await;
    let ehlo = c.expect("EHLO client", 250).await;
    let size: u64 = ehlo
        .lines()
        .find_map(|l| l.strip_prefix("250-SIZE "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(size < 1 << 32, "{ehlo}");
    c.expect("MAIL FROM:<a@b.c> SIZE=1000", 250).await;
    c.expect("RCPT TO:<d@e.f>", 250).await;
    c.expect("DATA", 354).await;
    // A line split across two reads: the body reader checks the limit mid-line.
    c.send_raw(b"Subject: capped\r\n\nhalf a").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    c.send_raw(b" line\r\n.\r\n").await;
    assert_eq!(c.reply().await.0, 250);
    sink.wait_for("subject:capped", WAIT).await.unwrap();
    sink.shutdown().await;
}

fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Query-string values: search syntax, numbers out of range, broken percent-escapes.
fn param() -> impl Strategy<Value = String> {
    const VOCAB: &[&str] = &[
        "to:",
        "subject:",
        "\"",
        "-",
        "!",
        "a",
        "é",
        "%FF",
        "%",
        "%2",
        "%20",
        "%00",
        "+",
        "&",
        "=",
        "0",
        "1",
        "-1",
        "1.5",
        "1e400",
        "NaN",
        "18446744073709551615",
        "99999999999999999999",
        "ms",
        "h",
        "[]",
    ];
    prop::collection::vec(prop::sample::select(VOCAB), 0..6).prop_map(|v| v.concat())
}

/// Path segments: IDs that exist (`latest`) or not, escapes, dots.
fn segment() -> impl Strategy<Value = String> {
    const VOCAB: &[&str] = &[
        "latest",
        "0",
        "1",
        "2",
        "-1",
        "a",
        "é",
        "%FF",
        "%2F",
        "%00",
        "..",
        ".",
        ".html",
        ".txt",
        "%",
        "99999999999999999999",
    ];
    prop::collection::vec(prop::sample::select(VOCAB), 1..4).prop_map(|v| v.concat())
}

/// Every API call with arbitrary parameters gets an HTTP answer, and never a 500: a
/// panicking handler would drop the connection instead.
#[test]
fn any_request_parameters_get_an_answer() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sink = rt.block_on(async {
        let sink = spawn_sink().await;
        for (i, raw) in [
            ENTITY_CUT_IN_A_CHARACTER.as_bytes().to_vec(),
            fixture("base64_attachment.eml"),
            fixture("inline_image.eml"),
        ]
        .iter()
        .enumerate()
        {
            let to = format!("user{i}@example.com");
            assert_eq!(
                send_raw_mail(sink.smtp_addr(), "a@b.c", &[&to], raw).await,
                250
            );
        }
        sink
    });
    let base = sink.http_url();
    let http = reqwest::Client::new();
    let stored: Vec<String> = rt.block_on(async {
        let list: serde_json::Value = http
            .get(format!("{base}/api/v1/messages"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["ID"].as_str().unwrap().to_owned())
            .collect()
    });
    assert_eq!(stored.len(), 3);
    let mut runner = TestRunner::new(config(48));
    let outcome = runner.run(
        &(param(), param(), param(), param(), segment(), segment()),
        |(query, start, limit, timeout, id, part)| {
            let mut requests = vec![
                format!("/api/v1/messages?start={start}&limit={limit}"),
                format!("/api/v1/search?query={query}&start={start}&limit={limit}"),
                format!("/api/v1/sessions?start={start}&limit={limit}"),
                format!("/api/v1/events?query={query}"),
                // An empty query matches a stored message: answers at once.
                format!("/api/v1/wait?timeout={timeout}"),
                format!("/api/v1/wait?query={query}&timeout=0"),
                format!("/view/{id}"),
            ];
            // Every stored message, and an ID made up.
            for id in stored.iter().chain([&id]) {
                requests.extend([
                    format!("/api/v1/message/{id}"),
                    format!("/api/v1/message/{id}/headers"),
                    format!("/api/v1/message/{id}/raw"),
                    format!("/api/v1/message/{id}/session"),
                    format!("/api/v1/message/{id}/part/{part}"),
                    format!("/view/{id}.html"),
                    format!("/view/{id}.txt"),
                ]);
            }
            requests.push(format!("/api/v1/faults/{id}"));
            rt.block_on(async {
                for path in requests {
                    let Ok(url) = reqwest::Url::parse(&format!("{base}{path}")) else {
                        continue;
                    };
                    let resp = http
                        .request(Method::GET, url)
                        .send()
                        .await
                        .map_err(|e| TestCaseError::fail(format!("{path}: no answer: {e}")))?;
                    let status = resp.status();
                    prop_assert!(
                        [200, 400, 404, 408].contains(&status.as_u16()),
                        "{path}: {status}"
                    );
                }
                Ok(())
            })
        },
    );
    if let Err(e) = outcome {
        panic!("{e}");
    }
    rt.block_on(sink.shutdown());
}

/// JSON bodies: the fault rule and chaos fields, values at and past their edges.
fn json_body() -> impl Strategy<Value = String> {
    const VOCAB: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\"Query\":",
        "\"Stage\":",
        "\"Action\":",
        "\"Code\":",
        "\"Text\":",
        "\"DelayMs\":",
        "\"Count\":",
        "\"Probability\":",
        "\"ExpiresIn\":",
        "\"Sender\":",
        "\"Recipient\":",
        "\"ErrorCode\":",
        "\"RCPT\"",
        "\"END\"",
        "\"CONNECT\"",
        "\"reply\"",
        "\"delay\"",
        "\"disconnect\"",
        "\"to:x@y\"",
        "\"subject:\"",
        "\"1h\"",
        "\"1e400\"",
        "\"\\r\\n\"",
        "\"é\"",
        "0",
        "1",
        "-1",
        "100",
        "101",
        "451",
        "70000",
        "1e400",
        "18446744073709551616",
        "null",
        "true",
        "\u{0}",
    ];
    prop::collection::vec(prop::sample::select(VOCAB), 0..16).prop_map(|v| v.concat())
}

/// The fault APIs take any body without a 500, and every rule they accept keeps the
/// SMTP side answering.
#[test]
fn any_fault_or_chaos_body_gets_an_answer() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sink = rt.block_on(spawn_sink());
    let base = sink.http_url();
    let http = reqwest::Client::new();
    let mut runner = TestRunner::new(config(64));
    let outcome = runner.run(&(json_body(), json_body()), |(rule, chaos)| {
        rt.block_on(async {
            for (method, path, body, ok) in [
                (Method::POST, "/api/v1/faults", rule, 201),
                (Method::PUT, "/api/v1/chaos", chaos, 200),
            ] {
                let resp = http
                    .request(method, format!("{base}{path}"))
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| TestCaseError::fail(format!("{path}: no answer: {e}")))?;
                let status = resp.status().as_u16();
                prop_assert!(status == ok || status == 400, "{path} {body:?}: {status}");
            }
            // Whatever was accepted, a session still gets well-formed answers.
            let mut c = RawSmtp::connect_raw(sink.smtp_addr()).await;
            while let Some(line) = c.try_line().await {
                prop_assert!(
                    line.ends_with("\r\n") && line[..3].parse::<u16>().is_ok(),
                    "{line:?}"
                );
                if line.as_bytes().get(3) == Some(&b' ') {
                    break;
                }
            }
            http.delete(format!("{base}/api/v1/faults"))
                .send()
                .await
                .unwrap();
            http.put(format!("{base}/api/v1/chaos"))
                .body("{}")
                .send()
                .await
                .unwrap();
            Ok(())
        })
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    rt.block_on(sink.shutdown());
}
