//! The contract with Mailpit's clients: every operation of Mailpit's own API description
//! (`tests/mailpit/swagger.json`) gets a valid request (itself checked against the
//! description), must answer 2xx with the content type the description names, and its
//! body must validate against Mailpit's response schema, every declared property
//! present. One operation answers as Mailpit does in our configuration instead of 2xx
//! (`EXPECTED_ERRORS`); an operation not built yet would be listed in `PENDING` with the
//! reason, and the test says so.

use mailsink::SinkHandle;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::send::PIXEL_PNG;
use crate::swagger::{Operation, Spec};

/// Operations left out for now, with why (none: all 25 are built).
const PENDING: &[(&str, &str, &str)] = &[];

/// Operations that answer as Mailpit does in the same configuration, not 2xx: Mailpit
/// without SpamAssassin answers `sa-check` 400 with this text, and so does the sink,
/// which has none.
const EXPECTED_ERRORS: &[(&str, &str, u16, &str)] = &[(
    "get",
    "/api/v1/message/{ID}/sa-check",
    400,
    "no SpamAssassin service defined",
)];

/// One request: the operation it exercises and what to send.
struct Call {
    method: &'static str,
    path: &'static str,
    url: String,
    body: Option<Value>,
}

fn call(method: &'static str, path: &'static str, url: String, body: Option<Value>) -> Call {
    Call {
        method,
        path,
        url,
        body,
    }
}

/// The messages the calls work on: `a` (HTML with a link to the sink itself, a PNG
/// attachment; sent through the API) and `b` (multipart from SMTP), to be deleted last.
struct Fixtures {
    a: String,
    png: String,
    b: String,
}

async fn fixtures(sink: &SinkHandle) -> Fixtures {
    let body = json!({
        "From": {"Email": "app@example.com", "Name": "App"},
        "To": [{"Email": "alice@example.com"}],
        "Subject": "contract",
        "Text": "See http://127.0.0.1:1/ (nothing listens there)",
        "HTML": format!("<p style=\"color: red\">See <a href=\"{}/livez\">our page</a></p>", sink.http_url()),
        "Attachments": [{"Filename": "pixel.png", "Content": PIXEL_PNG}],
        "Tags": ["Contract"]
    });
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/send", sink.http_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let a = sink.wait_for("subject:contract", WAIT).await.unwrap();
    send_raw_mail(
        sink.smtp_addr(),
        "noreply@portal.test",
        &["carol@example.com"],
        &fixture("multipart_alternative.eml"),
    )
    .await;
    let b = sink.wait_for("to:carol@example.com", WAIT).await.unwrap();
    Fixtures {
        png: a.attachments[0].part_id.clone(),
        a: a.id,
        b: b.id,
    }
}

/// Every operation once, in an order where the deletes come last.
fn calls(base: &str, f: &Fixtures) -> Vec<Call> {
    let (a, b, png) = (&f.a, &f.b, &f.png);
    let m = |rest: &str| format!("{base}/api/v1/message/{a}{rest}");
    vec![
        call("get", "/api/v1/info", format!("{base}/api/v1/info"), None),
        call("get", "/api/v1/webui", format!("{base}/api/v1/webui"), None),
        call("get", "/api/v1/chaos", format!("{base}/api/v1/chaos"), None),
        call(
            "put",
            "/api/v1/chaos",
            format!("{base}/api/v1/chaos"),
            Some(json!({"Sender": {"ErrorCode": 451, "Probability": 0}})),
        ),
        call(
            "get",
            "/api/v1/messages",
            format!("{base}/api/v1/messages?start=0&limit=50"),
            None,
        ),
        call(
            "get",
            "/api/v1/search",
            format!("{base}/api/v1/search?query=subject%3Acontract&start=0&limit=10"),
            None,
        ),
        call("get", "/api/v1/message/{ID}", m(""), None),
        call("get", "/api/v1/message/{ID}/headers", m("/headers"), None),
        call("get", "/api/v1/message/{ID}/raw", m("/raw"), None),
        call(
            "get",
            "/api/v1/message/{ID}/part/{PartID}",
            m(&format!("/part/{png}")),
            None,
        ),
        call(
            "get",
            "/api/v1/message/{ID}/part/{PartID}/thumb",
            m(&format!("/part/{png}/thumb")),
            None,
        ),
        call(
            "get",
            "/api/v1/message/{ID}/html-check",
            m("/html-check"),
            None,
        ),
        call(
            "get",
            "/api/v1/message/{ID}/link-check",
            m("/link-check?follow=false"),
            None,
        ),
        call("get", "/api/v1/message/{ID}/sa-check", m("/sa-check"), None),
        call(
            "post",
            "/api/v1/message/{ID}/release",
            m("/release"),
            Some(json!({"To": ["bob@relay.test"]})),
        ),
        call(
            "get",
            "/view/{ID}.html",
            format!("{base}/view/{a}.html"),
            None,
        ),
        call(
            "get",
            "/view/{ID}.txt",
            format!("{base}/view/{a}.txt"),
            None,
        ),
        call(
            "put",
            "/api/v1/messages",
            format!("{base}/api/v1/messages"),
            Some(json!({"IDs": [a], "Read": false})),
        ),
        call(
            "post",
            "/api/v1/send",
            format!("{base}/api/v1/send"),
            Some(json!({
                "From": {"Email": "jack@example.com"},
                "To": [{"Email": "jane@example.com", "Name": "Jane"}],
                "Cc": [{"Email": "cc@example.com"}],
                "Bcc": ["bcc@example.com"],
                "ReplyTo": [{"Email": "reply@example.com"}],
                "Subject": "other",
                "Text": "text", "HTML": "<b>html</b>",
                "Headers": {"X-IP": "1.2.3.4"},
                "Tags": ["Tag 1"],
                "Attachments": [{"Filename": "logo.png", "Content": PIXEL_PNG,
                                 "ContentType": "image/png", "ContentID": "logo"}]
            })),
        ),
        call("get", "/api/v1/tags", format!("{base}/api/v1/tags"), None),
        call(
            "put",
            "/api/v1/tags",
            format!("{base}/api/v1/tags"),
            Some(json!({"IDs": [a], "Tags": ["Contract", "Second"]})),
        ),
        call(
            "put",
            "/api/v1/tags/{Tag}",
            format!("{base}/api/v1/tags/Second"),
            Some(json!({"Name": "Renamed"})),
        ),
        call(
            "delete",
            "/api/v1/tags/{Tag}",
            format!("{base}/api/v1/tags/Renamed"),
            None,
        ),
        call(
            "delete",
            "/api/v1/search",
            format!("{base}/api/v1/search?query=subject%3Aother"),
            None,
        ),
        call(
            "delete",
            "/api/v1/messages",
            format!("{base}/api/v1/messages"),
            Some(json!({"IDs": [b]})),
        ),
    ]
}

/// Whether `content_type` is one the operation says it produces (`image/*` included).
fn produced(op: &Value, content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    op["produces"].as_array().into_iter().flatten().any(|p| {
        let p = p.as_str().unwrap_or_default();
        p == mime
            || p.strip_suffix('*')
                .is_some_and(|prefix| mime.starts_with(prefix))
    })
}

/// Sends one call and checks its answer; `Err` says what is wrong.
async fn check(spec: &Spec, op: &Operation, c: &Call) -> Result<(), String> {
    if let (Some(schema), Some(body)) = (spec.request_schema(op), &c.body) {
        spec.validate(schema, body, false)
            .map_err(|e| format!("our request is not valid for Mailpit: {e}"))?;
    }
    let method = reqwest::Method::from_bytes(c.method.to_uppercase().as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(method, &c.url);
    if let Some(body) = &c.body {
        req = req.json(body);
    }
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&bytes);
    let expected = EXPECTED_ERRORS
        .iter()
        .find(|(m, p, _, _)| *m == op.method && *p == op.path);
    match expected {
        Some((_, _, code, reason)) if status != *code || text != *reason => {
            return Err(format!("expected {code} {reason:?}, got {status} {text:?}"));
        }
        None if !(200..300).contains(&status) => {
            return Err(format!("answered {status}: {text}"));
        }
        _ => {}
    }
    let response = spec
        .response(op, status)
        .ok_or_else(|| format!("status {status} is not one Mailpit documents"))?;
    let schema = spec.response_schema(response);
    if response["$ref"] == "#/responses/OKResponse" {
        return (text == "ok")
            .then_some(())
            .ok_or_else(|| format!("expected \"ok\", got {text:?}"));
    }
    if schema["type"] == "string" {
        if bytes.is_empty() {
            return Err("empty body".into());
        }
        if (200..300).contains(&status) && !produced(spec.operation(op), &content_type) {
            return Err(format!(
                "content type {content_type:?} is not one it produces"
            ));
        }
        return Ok(());
    }
    if !content_type.starts_with("application/json") {
        return Err(format!("content type {content_type:?}, not JSON"));
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?;
    spec.validate(schema, &value, true)
}

#[tokio::test]
async fn every_mailpit_operation_answers_as_mailpit_documents() {
    let spec = Spec::load();
    let (relay, sink) = relaying_pair().await;
    let f = fixtures(&sink).await;
    let calls = calls(&sink.http_url(), &f);

    let ops = spec.operations();
    let mut covered: Vec<(&str, &str)> = calls.iter().map(|c| (c.method, c.path)).collect();
    covered.extend(PENDING.iter().map(|(m, p, _)| (*m, *p)));
    covered.sort_unstable();
    let mut listed: Vec<(&str, &str)> = ops
        .iter()
        .map(|o| (o.method.as_str(), o.path.as_str()))
        .collect();
    listed.sort_unstable();
    assert_eq!(covered, listed, "each operation of the description once");

    let mut failures = Vec::new();
    for c in &calls {
        let op = ops
            .iter()
            .find(|o| o.method == c.method && o.path == c.path)
            .unwrap();
        match check(&spec, op, c).await {
            Ok(()) => println!("ok      {} {} ({})", c.method, c.path, op.id),
            Err(e) => failures.push(format!("{} {} ({}): {e}", c.method, c.path, op.id)),
        }
    }
    for (method, path, reason) in PENDING {
        println!("pending {method} {path}: {reason}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The release went through, and the deletes deleted.
    relay.wait_for("to:bob@relay.test", WAIT).await.unwrap();
    assert_eq!(subjects(&sink, "").await, ["contract"]);
}
