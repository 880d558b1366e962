//! `Codes` over real SMTP, on the corpus under `fixtures/mail/codes/` (each file says
//! what it expects in `X-Expected-Codes`) and on the other sample messages: codes in
//! text, HTML and links, and no dates, prices or phone numbers taken for codes.

use mailsink::SinkHandle;
use serde_json::Value;

use crate::helpers::*;

/// `(file name, raw bytes, expected codes)` of the corpus.
fn corpus() -> Vec<(String, Vec<u8>, Vec<String>)> {
    let dir = fixture_path("codes");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let raw = std::fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&raw);
            let expected = text
                .lines()
                .find_map(|l| l.strip_prefix("X-Expected-Codes:"))
                .unwrap_or_else(|| panic!("{} says what it expects", p.display()))
                .split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                raw,
                expected,
            )
        })
        .collect()
}

/// Sends `raw` to a recipient of its own and returns the message, read through the
/// HTTP `wait` call.
async fn deliver(sink: &SinkHandle, n: usize, raw: &[u8]) -> mailsink::Message {
    let to = format!("codes{n}@example.com");
    assert_eq!(
        send_raw_mail(sink.smtp_addr(), "a@b.c", &[&to], raw).await,
        250
    );
    sink.client()
        .wait_for(&format!("to:{to}"), WAIT)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_corpus_gets_exactly_its_expected_codes() {
    let sink = spawn_sink().await;
    let corpus = corpus();
    assert!(corpus.len() >= 12, "a corpus worth the name");
    assert!(
        corpus.iter().filter(|(_, _, e)| e.is_empty()).count() >= 4,
        "with mail that holds no code at all"
    );
    for (n, (name, raw, expected)) in corpus.iter().enumerate() {
        let msg = deliver(&sink, n, raw).await;
        assert_eq!(&msg.codes, expected, "{name}: {}{}", msg.text, msg.html);
        // The listing row carries them too.
        let row = &sink
            .client()
            .search(&format!("to:codes{n}@example.com"))
            .await
            .unwrap()
            .messages[0];
        assert_eq!(&row.codes, expected, "{name} (listing)");
    }
    sink.shutdown().await;
}

#[tokio::test]
async fn the_other_samples_hold_only_their_link_tokens() {
    let sink = spawn_sink().await;
    for (n, (name, expected)) in [
        ("base64_attachment.eml", &[][..]),
        ("inline_image.eml", &[]),
        ("malformed.eml", &[]),
        ("nested_rfc822.eml", &[]),
        ("utf8_rfc2047.eml", &[]),
        (
            "quoted_printable.eml",
            &["abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"],
        ),
        ("multipart_alternative.eml", &["plain123", "html456"]),
    ]
    .into_iter()
    .enumerate()
    {
        let msg = deliver(&sink, n, &fixture(name)).await;
        assert_eq!(msg.codes, expected, "{name}");
    }
    sink.shutdown().await;
}

#[tokio::test]
async fn wait_answers_with_codes_under_their_json_name() {
    let sink = spawn_sink().await;
    let data = simple_message("otp@example.com", "Sign in", "Your code: 318274");
    assert_eq!(
        send_raw_mail(sink.smtp_addr(), "a@b.c", &["otp@example.com"], &data).await,
        250
    );
    let url = format!("{}/api/v1/wait?query=to:otp@example.com", sink.http_url());
    let msg: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(msg["Codes"], serde_json::json!(["318274"]));
    let list: Value = reqwest::get(format!("{}/api/v1/messages", sink.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["messages"][0]["Codes"], serde_json::json!(["318274"]));
    sink.shutdown().await;
}
