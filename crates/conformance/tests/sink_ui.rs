//! The mail sink's web UI in headless Chromium (the suite's own chromedriver and
//! Chromium flags): tags (from a plus-address, the tag bar's search, editing a message's
//! tags) and read state (bold until opened, opened marks read, "Mark unread"); image
//! thumbnails, release to a relay (a second sink) with its recipient form, and the HTML
//! and link checks. A
//! screenshot of each end state is kept in the test's target directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::time::Duration;

use conformance::chromedriver::{CHROMIUM, CHROMIUM_ARGS, ChromeDriver};
use fantoccini::{Client, Locator};
use mailsink::{MailSink, SinkConfig, SinkHandle};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

/// Retries `check` until it holds (the page and the sink change after a click, not
/// during it), failing with `what` after [`WAIT`].
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn api(sink: &SinkHandle, path: &str) -> Value {
    reqwest::get(format!("{}{path}", sink.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// One message by SMTP, through the sink's own client-facing port.
async fn deliver(sink: &SinkHandle, to: &str, subject: &str) -> String {
    deliver_mime(sink, to, subject, "\r\nHello").await
}

/// One message whose headers end with `rest` (more headers, a blank line, the body).
async fn deliver_mime(sink: &SinkHandle, to: &str, subject: &str, rest: &str) -> String {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
    let stream = tokio::net::TcpStream::connect(sink.smtp_addr())
        .await
        .unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = tokio::io::BufReader::new(r);
    let data = format!(
        "EHLO ui.test\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<{to}>\r\nDATA\r\n\
         From: App <app@example.com>\r\nTo: {to}\r\nSubject: {subject}\r\n{rest}\r\n.\r\nQUIT\r\n"
    );
    w.write_all(data.as_bytes()).await.unwrap();
    let mut line = String::new();
    while r.read_line(&mut line).await.unwrap() > 0 {}
    let query = format!("subject:\"{subject}\"");
    sink.wait_for(&query, WAIT).await.unwrap().id
}

async fn chromium(webdriver: &str) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": CHROMIUM, "args": CHROMIUM_ARGS }),
    );
    fantoccini::ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(webdriver)
        .await
        .unwrap()
}

/// Clicks the element `css` finds; the list is redrawn on live events, so an element
/// found just before a redraw is found again.
async fn click(client: &Client, css: &str) {
    eventually(&format!("{css} can be clicked"), || async {
        match client.find(Locator::Css(css)).await {
            Ok(e) => e.click().await.is_ok(),
            Err(_) => false,
        }
    })
    .await;
}

/// Saves a screenshot under the test's target directory.
async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&shot, png).unwrap();
    println!("screenshot: {}", shot.display());
}

async fn texts(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(e.text().await.unwrap_or_default());
    }
    out
}

#[tokio::test]
async fn tags_and_read_state_work_in_the_sink_ui() {
    if !std::path::Path::new(CHROMIUM).exists() {
        println!("skipped: {CHROMIUM} is not installed (apt-get install chromium chromium-driver)");
        return;
    }
    let sink = MailSink::start(SinkConfig::ephemeral()).await.unwrap();
    let welcome = deliver(&sink, "alice+signup@example.com", "Welcome aboard").await;
    deliver(&sink, "bob@example.com", "Your receipt").await;

    let driver = ChromeDriver::start().await.unwrap();
    let client = chromium(driver.url()).await;
    client.goto(&sink.http_url()).await.unwrap();
    let c = &client;

    // Both arrive unread (bold); the tag bar offers the plus-address's tag.
    eventually("two unread rows", || async {
        texts(c, "#list li.unread .subject").await.len() == 2
    })
    .await;
    eventually("the tag bar offers signup", || async {
        texts(c, "#tagbar button.tag").await == ["signup"]
    })
    .await;
    click(c, "#tagbar button.tag").await;
    eventually("the tag bar searches tag:signup", || async {
        texts(c, "#list li .subject").await == ["Welcome aboard"]
    })
    .await;
    assert_eq!(texts(c, "#list li .tag").await, ["signup"]);

    // Opening marks it read, in the list and in the sink.
    let row = format!("#list li[data-id=\"{welcome}\"]");
    click(c, &row).await;
    eventually("the message opens and reads as read", || async {
        texts(c, "#m-tags .tag").await == ["signup"] && texts(c, "#list li.unread").await.is_empty()
    })
    .await;
    let list = api(&sink, "/api/v1/messages").await;
    assert_eq!(list["unread"], 1);

    // Tags are edited as a comma-separated list.
    let input = client.find(Locator::Id("tag-input")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("signup, Important").await.unwrap();
    click(c, "#tag-form button").await;
    eventually("the new tags are saved and shown", || async {
        texts(c, "#m-tags .tag").await == ["Important", "signup"]
    })
    .await;
    let msg = api(&sink, &format!("/api/v1/message/{welcome}")).await;
    assert_eq!(msg["Tags"], serde_json::json!(["Important", "signup"]));

    // "Mark unread" makes it unread again (and bold in the list).
    let toggle = client.find(Locator::Id("toggle-read")).await.unwrap();
    assert_eq!(toggle.text().await.unwrap(), "Mark unread");
    toggle.click().await.unwrap();
    eventually("the row is unread again", || async {
        texts(c, "#list li.unread .subject").await == ["Welcome aboard"]
    })
    .await;
    assert_eq!(toggle.text().await.unwrap(), "Mark read");
    let s = &sink;
    eventually("the sink counts it unread", || async {
        api(s, "/api/v1/messages").await["unread"] == 2
    })
    .await;

    screenshot(c, "mailsink-ui-tags-read.png").await;
    client.close().await.unwrap();
    driver.stop().await;
    sink.shutdown().await;
}

/// A 90×60 checkered PNG, as an attachment.
const PNG_ATTACHMENT: &str = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
    --b\r\nContent-Type: text/plain\r\n\r\nSee the picture.\r\n\
    --b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=picture.png\r\n\
    Content-Transfer-Encoding: base64\r\n\r\n\
    iVBORw0KGgoAAAANSUhEUgAAAFoAAAA8CAIAAABpZzoSAAAAfUlEQVR42u3ZMQ0AIAwEwDrCAJ6wiQuk\
    gIWyUXLJz5/0xm+0sfLZs+dTsTlw4MCBAwcOHDhw4MCBAweOmhzfX3jVjAMHDhw4cODAgQMHDhw4cBTl\
    sHeYf3DgwIEDBw4cOHDgwIEDhw+++QcHDhw4cODAgQMHDhw4cOB4oPkAEKPsHcRPMS0AAAAASUVORK5CYII=\r\n\
    --b--";

#[tokio::test]
async fn thumbnails_release_and_checks_work_in_the_sink_ui() {
    if !std::path::Path::new(CHROMIUM).exists() {
        println!("skipped: {CHROMIUM} is not installed (apt-get install chromium chromium-driver)");
        return;
    }
    let relay = MailSink::start(SinkConfig::ephemeral()).await.unwrap();
    let sink = MailSink::start(SinkConfig {
        relay: Some(format!("smtp://{}", relay.smtp_addr())),
        relay_allowed_recipients: Some(r"@allowed\.test$".into()),
        ..SinkConfig::ephemeral()
    })
    .await
    .unwrap();
    let id = deliver_mime(&sink, "alice@example.com", "A picture", PNG_ATTACHMENT).await;

    let driver = ChromeDriver::start().await.unwrap();
    let client = chromium(driver.url()).await;
    client.goto(&sink.http_url()).await.unwrap();
    let c = &client;
    click(c, &format!("#list li[data-id=\"{id}\"]")).await;
    click(c, "[data-tab=attachments]").await;
    // The thumbnail is the sink's 180×120 JPEG, loaded.
    eventually("the thumbnail loads", || async {
        let width = c
            .execute(
                "const i = document.querySelector('#attachments img.thumb'); \
                 return i && i.complete ? i.naturalWidth : 0;",
                vec![],
            )
            .await
            .unwrap();
        width == 180
    })
    .await;

    // Release asks for the recipients; one outside the allowed regex is refused with the
    // reason, an allowed one reaches the relay.
    click(c, "#release").await;
    let to = client.find(Locator::Id("release-to")).await.unwrap();
    to.send_keys("eve@evil.test").await.unwrap();
    click(c, "#release-form button").await;
    eventually("the refusal and its reason are shown", || async {
        texts(c, "#release-status")
            .await
            .concat()
            .contains("eve@evil.test")
    })
    .await;
    to.clear().await.unwrap();
    to.send_keys("bob@allowed.test").await.unwrap();
    click(c, "#release-form button").await;
    eventually("the release is confirmed", || async {
        texts(c, "#release-status").await == ["Released to bob@allowed.test."]
    })
    .await;
    let relayed = relay.wait_for("subject:picture", WAIT).await.unwrap();
    assert_eq!(relayed.envelope.to, ["bob@allowed.test"]);

    screenshot(c, "mailsink-ui-thumbnail-release.png").await;

    // The checks of an HTML message: its CSS features, and its links (to the sink itself:
    // one answers, one is missing).
    let html = format!(
        "Content-Type: text/html\r\n\r\n<div style=\"display:flex\">\
         <a href=\"{base}/livez\">up</a> <a href=\"{base}/missing-page\">gone</a></div>",
        base = sink.http_url()
    );
    let id = deliver_mime(&sink, "alice@example.com", "Styled", &html).await;
    click(c, &format!("#list li[data-id=\"{id}\"]")).await;
    click(c, "[data-tab=checks]").await;
    eventually("the HTML check lists display:flex", || async {
        texts(c, "#html-warnings td a")
            .await
            .contains(&"display:flex".to_owned())
    })
    .await;
    click(c, "#check-links").await;
    eventually("the link check shows both statuses", || async {
        let mut got = texts(c, "#link-results td:first-child").await;
        got.sort();
        got == ["200 OK", "404 Not Found"]
    })
    .await;
    screenshot(c, "mailsink-ui-checks.png").await;
    client.close().await.unwrap();
    driver.stop().await;
    sink.shutdown().await;
    relay.shutdown().await;
}
