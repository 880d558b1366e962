//! Mailpit's `POST /api/v1/send`: a message built from JSON (From, To, Cc, Bcc, ReplyTo,
//! Subject, Text, HTML, Attachments in base64, Headers, Tags) and stored as if it had
//! arrived by SMTP, so `wait`, live events and search see it. It answers `{"ID": ...}`;
//! bad input gets 400 `{"Error": reason}`, as Mailpit's, and `--no-send-api` turns it
//! off (403).

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use base64::Engine as _;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use serde::Deserialize;

use crate::http::AppState;
use crate::model::Envelope;

/// Largest request: a 25 MiB message in base64, with room for the JSON around it.
const MAX_BODY: usize = 40 << 20;

/// Headers the request may not set (they come from its fields), as in Mailpit.
const RESTRICTED: &[&str] = &[
    "To",
    "From",
    "Cc",
    "Bcc",
    "Reply-To",
    "Date",
    "Subject",
    "Content-Type",
    "Mime-Version",
];

/// The send route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/send",
        post(send).layer(DefaultBodyLimit::max(MAX_BODY)),
    )
}

#[derive(Deserialize)]
struct Contact {
    #[serde(rename = "Email")]
    email: String,
    #[serde(rename = "Name", default)]
    name: String,
}

#[derive(Deserialize)]
struct NewAttachment {
    #[serde(rename = "Content")]
    content: String,
    #[serde(rename = "Filename")]
    filename: String,
    #[serde(rename = "ContentType", default)]
    content_type: String,
    #[serde(rename = "ContentID", default)]
    content_id: String,
}

/// Mailpit's `SendRequest`.
#[derive(Deserialize)]
struct SendRequest {
    #[serde(rename = "From")]
    from: Option<Contact>,
    #[serde(rename = "To", default)]
    to: Vec<Contact>,
    #[serde(rename = "Cc", default)]
    cc: Vec<Contact>,
    #[serde(rename = "Bcc", default)]
    bcc: Vec<String>,
    #[serde(rename = "ReplyTo", default)]
    reply_to: Vec<Contact>,
    #[serde(rename = "Subject", default)]
    subject: String,
    #[serde(rename = "Text", default)]
    text: String,
    #[serde(rename = "HTML", default)]
    html: String,
    #[serde(rename = "Attachments", default)]
    attachments: Vec<NewAttachment>,
    #[serde(rename = "Headers", default)]
    headers: BTreeMap<String, String>,
    #[serde(rename = "Tags", default)]
    tags: Vec<String>,
}

fn error(status: StatusCode, reason: &str) -> Response {
    (status, Json(serde_json::json!({ "Error": reason }))).into_response()
}

async fn send(State(s): State<AppState>, body: Bytes) -> Response {
    if !s.runtime.send_api {
        return error(
            StatusCode::FORBIDDEN,
            "the send API is turned off on this sink (--no-send-api)",
        );
    }
    let (envelope, raw) = match serde_json::from_slice::<SendRequest>(&body)
        .map_err(|e| e.to_string())
        .and_then(build)
    {
        Ok(built) => built,
        Err(reason) => return error(StatusCode::BAD_REQUEST, &reason),
    };
    match s.store.insert(envelope, Bytes::from(raw), None).await {
        Ok(entry) => Json(serde_json::json!({ "ID": &*entry.id })).into_response(),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "failed to store a sent message");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// `s` without control characters (each becomes a space), for what goes into a header:
/// lettre cannot write a name or subject that holds one (and would panic trying).
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn mailbox(field: &str, c: &Contact) -> Result<Mailbox, String> {
    let address = c
        .email
        .trim()
        .parse()
        .map_err(|_| format!("invalid {field} address: {}", c.email))?;
    let name = Some(printable(&c.name).trim().to_owned()).filter(|n| !n.is_empty());
    Ok(Mailbox::new(name, address))
}

/// A content type from a file name, when the request gives none.
fn guess_type(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("webp") => "image/webp",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("html" | "htm") => "text/html",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

fn attachment(a: &NewAttachment) -> Result<SinglePart, String> {
    // A data URL (`data:image/png;base64,...`) is taken for its payload, as Mailpit does.
    let payload = a.content.rsplit(',').next().unwrap_or_default().trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map_err(|e| format!("error decoding base64 attachment \"{}\": {e}", a.filename))?;
    let given = a.content_type.trim();
    let content_type = ContentType::parse(if given.is_empty() {
        guess_type(&a.filename)
    } else {
        given
    })
    .map_err(|_| format!("invalid ContentType of \"{}\": {given}", a.filename))?;
    let part = if a.content_id.is_empty() {
        Attachment::new(a.filename.clone())
    } else {
        Attachment::new_inline_with_name(a.content_id.clone(), a.filename.clone())
    };
    Ok(part.body(bytes, content_type))
}

/// The envelope and the raw message of a request, or why it cannot be sent.
fn build(req: SendRequest) -> Result<(Envelope, Vec<u8>), String> {
    let from = req.from.as_ref().ok_or("From is required")?;
    let mut builder = lettre::Message::builder()
        .from(mailbox("From", from)?)
        .subject(printable(&req.subject))
        .keep_bcc();
    for c in &req.to {
        builder = builder.to(mailbox("To", c)?);
    }
    for c in &req.cc {
        builder = builder.cc(mailbox("Cc", c)?);
    }
    for email in &req.bcc {
        let c = Contact {
            email: email.clone(),
            name: String::new(),
        };
        builder = builder.bcc(mailbox("Bcc", &c)?);
    }
    for c in &req.reply_to {
        builder = builder.reply_to(mailbox("Reply-To", c)?);
    }
    // A Message-ID of its own, as any mail client gives, unless the request sets one.
    if !req
        .headers
        .keys()
        .any(|name| name.eq_ignore_ascii_case("Message-ID"))
    {
        builder = builder.message_id(None);
    }
    let tagged = !req.tags.is_empty();
    for (name, value) in &req.headers {
        if RESTRICTED.iter().any(|r| r.eq_ignore_ascii_case(name))
            || (tagged && name.eq_ignore_ascii_case("X-Tags"))
        {
            return Err(format!("cannot overwrite header: \"{name}\""));
        }
        let header = HeaderName::new_from_ascii(name.clone())
            .map_err(|_| format!("invalid header name: \"{name}\""))?;
        if value.contains(['\r', '\n']) {
            return Err(format!("invalid value of header \"{name}\": line breaks"));
        }
        builder = builder.raw_header(HeaderValue::new(header, value.clone()));
    }
    if tagged {
        let header = HeaderName::new_from_ascii_str("X-Tags");
        builder = builder.raw_header(HeaderValue::new(header, req.tags.join(", ")));
    }
    let text = SinglePart::plain(req.text.clone());
    let mut body = if req.html.is_empty() {
        MultiPart::mixed().singlepart(text)
    } else {
        MultiPart::alternative()
            .singlepart(text)
            .singlepart(SinglePart::html(req.html.clone()))
    };
    let (inline, files): (Vec<_>, Vec<_>) = req
        .attachments
        .iter()
        .partition(|a| !a.content_id.is_empty());
    if !inline.is_empty() {
        let mut related = MultiPart::related().multipart(body);
        for a in inline {
            related = related.singlepart(attachment(a)?);
        }
        body = related;
    }
    if !files.is_empty() {
        let mut mixed = MultiPart::mixed().multipart(body);
        for a in files {
            mixed = mixed.singlepart(attachment(a)?);
        }
        body = mixed;
    }
    let message = builder.multipart(body).map_err(|e| match e {
        lettre::error::Error::MissingTo => "no recipients (To, Cc or Bcc) set".to_owned(),
        other => format!("error building message: {other}"),
    })?;
    let lettre_envelope = message.envelope();
    let envelope = Envelope {
        from: lettre_envelope
            .from()
            .map(ToString::to_string)
            .unwrap_or_default(),
        to: lettre_envelope
            .to()
            .iter()
            .map(ToString::to_string)
            .collect(),
    };
    Ok((envelope, message.formatted()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: serde_json::Value) -> SendRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn recipients_become_the_envelope_and_bcc_is_kept() {
        let (envelope, raw) = build(request(serde_json::json!({
            "From": {"Email": "app@example.com", "Name": "App"},
            "To": [{"Email": "alice@example.com"}],
            "Bcc": ["audit@example.com"],
            "Subject": "Hello",
            "Text": "Hi there",
            "Tags": ["welcome"],
            "Headers": {"X-Campaign": "spring"}
        })))
        .unwrap();
        assert_eq!(envelope.from, "app@example.com");
        assert_eq!(envelope.to, ["alice@example.com", "audit@example.com"]);
        let text = String::from_utf8(raw).unwrap();
        assert!(text.contains("X-Tags: welcome"), "{text}");
        assert!(text.contains("X-Campaign: spring"), "{text}");
        assert!(text.contains("Bcc: audit@example.com"), "{text}");
    }

    #[test]
    fn control_characters_in_names_and_subject_become_spaces() {
        // Found by the property test: lettre panicked writing such a name.
        let (_, raw) = build(request(serde_json::json!({
            "From": {"Email": "a@example.com", "Name": "\u{e}\n0"},
            "To": [{"Email": "b@example.com", "Name": "B\u{7}ob"}],
            "Subject": "Hi\u{0}there\r\n"
        })))
        .unwrap();
        let text = String::from_utf8(raw).unwrap();
        assert!(text.contains("Subject: Hi there"), "{text}");
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        let refused = |json: serde_json::Value| build(request(json)).unwrap_err();
        let to = serde_json::json!([{"Email": "alice@example.com"}]);
        assert_eq!(refused(serde_json::json!({"To": to})), "From is required");
        assert!(
            refused(serde_json::json!({"From": {"Email": "not an address"}, "To": to}))
                .starts_with("invalid From address")
        );
        assert!(
            refused(serde_json::json!({"From": {"Email": "a@x.test"}, "To": to,
                "Attachments": [{"Filename": "a.png", "Content": "%%%"}]}))
            .starts_with("error decoding base64 attachment \"a.png\"")
        );
        assert_eq!(
            refused(serde_json::json!({"From": {"Email": "a@x.test"}, "To": to,
                "Headers": {"Subject": "x"}})),
            "cannot overwrite header: \"Subject\""
        );
        assert_eq!(
            refused(serde_json::json!({"From": {"Email": "a@x.test"}})),
            "no recipients (To, Cc or Bcc) set"
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::testing::{config, hostile_text};

        const VOCAB: &[&str] = &[
            "a@example.com",
            "@",
            "<",
            ">",
            "\"",
            ",",
            " ",
            "\r\n",
            "\n",
            ":",
            "é",
            "💌",
            "=?utf-8?q?x?=",
            "data:image/png;base64,",
            "iVBORw0KGgo=",
            "==",
            "X-Tags",
            "Subject",
            "\u{0}",
        ];

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn any_request_is_built_or_refused_with_a_reason(
                from in hostile_text(VOCAB, 6),
                to in hostile_text(VOCAB, 6),
                text in hostile_text(VOCAB, 12),
                header in hostile_text(VOCAB, 4),
                value in hostile_text(VOCAB, 6),
                content in hostile_text(VOCAB, 6),
            ) {
                let req = request(serde_json::json!({
                    "From": {"Email": from, "Name": text},
                    "To": [{"Email": to, "Name": value}],
                    "Subject": text, "Text": text, "HTML": text,
                    "Headers": {header: value},
                    "Tags": [value],
                    "Cc": [{"Email": to, "Name": text}],
                    "Bcc": [from],
                    "ReplyTo": [{"Email": from, "Name": value}],
                    "Attachments": [
                        {"Filename": text, "Content": content, "ContentType": value},
                        {"Filename": value, "Content": content, "ContentID": text}
                    ]
                }));
                match build(req) {
                    Ok((envelope, raw)) => prop_assert!(!envelope.to.is_empty() && !raw.is_empty()),
                    Err(reason) => prop_assert!(!reason.is_empty()),
                }
            }
        }
    }
}
