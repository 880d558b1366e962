//! Turns raw RFC 5322 bytes into what we keep per message (a small [`Summary`]) and what
//! we serve on demand (the full [`Message`], parts, headers). Bodies are parsed again on
//! demand instead of being kept: memory holds the raw bytes once plus the summary.
//!
//! Nothing here may fail on client input: a message mail-parser cannot make sense of is
//! summarised from its raw bytes and still served.

use std::collections::{BTreeMap, HashSet};

use linkify::{LinkFinder, LinkKind};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

use crate::codes;
use crate::model::{Address, Attachment, Envelope, Message};

/// Longest snippet shown in listings (Mailpit shows about 250 characters).
const SNIPPET_CHARS: usize = 250;
/// Body text kept (lower-cased) for plain-word search; longer bodies are searched on
/// their first part only, so a huge message cannot inflate memory.
const SEARCH_BODY_BYTES: usize = 64 * 1024;

/// What we keep in memory (and in SQLite as JSON) about each message: enough for
/// listings and search without touching the raw bytes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub message_id: String,
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub subject: String,
    /// RFC 3339 form of the Date header, if it had a valid one.
    pub date: Option<String>,
    /// Number of attachments (not counting inline parts), as Mailpit counts them.
    pub attachments: u64,
    pub snippet: String,
    /// Lower-cased body text (capped) for plain-word search.
    pub search_body: String,
    pub envelope: Envelope,
    /// One-time codes and tokens (`codes.rs`).
    #[serde(default)]
    pub codes: Vec<String>,
}

/// Parses a message; `None` when mail-parser found no header with a value, which means
/// it is not a message we can present structurally (then the raw text is shown).
fn parse(raw: &[u8]) -> Option<mail_parser::Message<'_>> {
    MessageParser::default().parse(raw).filter(|m| {
        m.headers()
            .iter()
            .any(|h| !matches!(h.value(), mail_parser::HeaderValue::Empty))
    })
}

fn addresses(addr: Option<&mail_parser::Address<'_>>) -> Vec<Address> {
    addr.map(|a| {
        a.iter()
            .map(|a| Address {
                name: a.name().unwrap_or_default().to_owned(),
                address: a.address().unwrap_or_default().to_owned(),
            })
            .collect()
    })
    .unwrap_or_default()
}

fn truncate_at_char(s: &str, max_bytes: usize) -> &str {
    if s.len() <= max_bytes {
        return s;
    }
    let mut end = max_bytes;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Collapses whitespace and cuts to [`SNIPPET_CHARS`] characters.
fn snippet_of(text: &str) -> String {
    let mut out = String::with_capacity(SNIPPET_CHARS.min(text.len()));
    let mut count = 0;
    for word in text.split_whitespace() {
        if count > 0 {
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= SNIPPET_CHARS {
                return out;
            }
            out.push(c);
            count += 1;
        }
        if count >= SNIPPET_CHARS {
            break;
        }
    }
    out
}

/// Summarises a message at arrival.
pub(crate) fn summarize(raw: &[u8], envelope: &Envelope) -> Summary {
    let Some(msg) = parse(raw) else {
        // Unparseable: keep it findable by its raw text.
        let text = String::from_utf8_lossy(truncate_bytes(raw, SEARCH_BODY_BYTES));
        return Summary {
            codes: codes::find(&text, "", extract_links),
            snippet: snippet_of(&text),
            search_body: text.to_lowercase(),
            envelope: envelope.clone(),
            ..Summary::default()
        };
    };
    let body = msg.body_text(0).unwrap_or_default();
    let html = html_str(&msg);
    let attachments = classify_attachments(&msg)
        .into_iter()
        .filter(|(_, inline)| !inline)
        .count() as u64;
    Summary {
        message_id: msg.message_id().unwrap_or_default().to_owned(),
        from: addresses(msg.from()).into_iter().next(),
        to: addresses(msg.to()),
        cc: addresses(msg.cc()),
        bcc: addresses(msg.bcc()),
        reply_to: addresses(msg.reply_to()),
        subject: msg.subject().unwrap_or_default().to_owned(),
        date: msg.date().map(|d| d.to_rfc3339()),
        attachments,
        snippet: snippet_of(&body),
        search_body: truncate_at_char(&body, SEARCH_BODY_BYTES).to_lowercase(),
        envelope: envelope.clone(),
        codes: codes::find(&body, html, extract_links),
    }
}

fn truncate_bytes(raw: &[u8], max: usize) -> &[u8] {
    &raw[..raw.len().min(max)]
}

/// The attachment and inline parts of a message: (part index, is_inline).
fn classify_attachments(msg: &mail_parser::Message<'_>) -> Vec<(usize, bool)> {
    msg.attachments
        .iter()
        .filter_map(|&idx| {
            let part = msg.parts.get(idx as usize)?;
            let disposition = part
                .content_disposition()
                .map(|d| d.c_type.to_ascii_lowercase());
            let inline = disposition.as_deref() != Some("attachment")
                && (part.content_id().is_some() || disposition.as_deref() == Some("inline"))
                && !part.is_message();
            Some((idx as usize, inline))
        })
        .collect()
}

fn content_type_of(part: &mail_parser::MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match &ct.c_subtype {
            Some(sub) => format!("{}/{}", ct.c_type, sub).to_ascii_lowercase(),
            None => ct.c_type.to_ascii_lowercase(),
        },
        None => match &part.body {
            PartType::Text(_) => "text/plain".into(),
            PartType::Html(_) => "text/html".into(),
            PartType::Message(_) => "message/rfc822".into(),
            _ => "application/octet-stream".into(),
        },
    }
}

fn attachment_of(part: &mail_parser::MessagePart<'_>, idx: usize) -> Attachment {
    let file_name = match (part.attachment_name(), part.message()) {
        (Some(name), _) => name.to_owned(),
        (None, Some(nested)) => format!("{}.eml", nested.subject().unwrap_or("message")),
        (None, None) => String::new(),
    };
    Attachment {
        part_id: idx.to_string(),
        file_name,
        content_type: content_type_of(part),
        content_id: part.content_id().unwrap_or_default().to_owned(),
        size: part.len() as u64,
    }
}

/// Builds the full API message from the stored summary and the raw bytes.
pub(crate) fn full_message(
    id: &str,
    created: &str,
    summary: &Summary,
    size: u64,
    raw: &[u8],
) -> Message {
    let mut message = Message {
        id: id.to_owned(),
        message_id: summary.message_id.clone(),
        from: summary.from.clone(),
        to: summary.to.clone(),
        cc: summary.cc.clone(),
        bcc: summary.bcc.clone(),
        reply_to: summary.reply_to.clone(),
        subject: summary.subject.clone(),
        date: summary.date.clone().unwrap_or_else(|| created.to_owned()),
        size,
        envelope: summary.envelope.clone(),
        ..Message::default()
    };
    match parse(raw) {
        Some(msg) => {
            message.html = html_part(&msg);
            message.text = text_part(&msg);
            for (idx, inline) in classify_attachments(&msg) {
                if let Some(part) = msg.parts.get(idx) {
                    let att = attachment_of(part, idx);
                    if inline {
                        message.inline.push(att);
                    } else {
                        message.attachments.push(att);
                    }
                }
            }
        }
        None => {
            // Show what we have rather than nothing.
            message.text = String::from_utf8_lossy(raw).into_owned();
        }
    }
    message.links = extract_links(&message.text, &message.html);
    message.codes = codes::find(&message.text, &message.html, extract_links);
    message
}

/// One MIME part, decoded: (content type, file name, bytes).
pub(crate) fn part(raw: &[u8], part_id: &str) -> Option<(String, String, Vec<u8>)> {
    let idx: usize = part_id.parse().ok()?;
    let msg = parse(raw)?;
    let part = msg.parts.get(idx)?;
    if part.is_multipart() {
        return None;
    }
    let att = attachment_of(part, idx);
    Some((att.content_type, att.file_name, part.contents().to_vec()))
}

/// All headers, in order, as name -> values (folding removed).
pub(crate) fn headers(raw: &[u8]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(msg) = MessageParser::default().parse_headers(raw) {
        for (name, value) in msg.headers_raw() {
            let unfolded = value.split_whitespace().collect::<Vec<_>>().join(" ");
            out.entry(name.to_owned()).or_default().push(unfolded);
        }
    }
    out
}

/// The first text body ("" when there is none).
fn text_part(msg: &mail_parser::Message<'_>) -> String {
    msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default()
}

/// The first HTML body ("" when there is none). Only a real HTML part counts as HTML:
/// mail-parser would otherwise convert plain text to HTML, which Mailpit clients do not
/// expect.
fn html_part(msg: &mail_parser::Message<'_>) -> String {
    html_str(msg).to_owned()
}

fn html_str<'m>(msg: &'m mail_parser::Message<'_>) -> &'m str {
    msg.html_body
        .first()
        .and_then(|&i| msg.parts.get(i as usize))
        .and_then(|p| match &p.body {
            PartType::Html(h) => Some(h.as_ref()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The text and HTML bodies as the `/view/{ID}.html|txt` pages serve them.
pub(crate) fn bodies(raw: &[u8], id: &str) -> (String, String) {
    let Some(msg) = parse(raw) else {
        return (String::from_utf8_lossy(raw).into_owned(), String::new());
    };
    let text = text_part(&msg);
    let mut html = html_part(&msg);
    // Inline images are referenced as `cid:`; point them at the part URL so the
    // sandboxed preview shows them.
    for (idx, _) in classify_attachments(&msg) {
        if let Some(cid) = msg.parts.get(idx).and_then(|p| p.content_id()) {
            let cid = cid.trim_matches(|c| c == '<' || c == '>');
            if !cid.is_empty() {
                html = html.replace(
                    &format!("cid:{cid}"),
                    &format!("/api/v1/message/{id}/part/{idx}"),
                );
            }
        }
    }
    (text, html)
}

/// Longest entity looked at, `&` and `;` included (`&#x10FFFF;` is 10 bytes).
const MAX_ENTITY_BYTES: usize = 12;

/// Decodes the HTML entities that matter inside URLs (`&amp;` above all).
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        // Searched in bytes: a fixed byte window may end inside a multibyte character,
        // where a `&str` must not be cut. A `;` found is ASCII, so a char boundary.
        let end = rest.bytes().take(MAX_ENTITY_BYTES).position(|b| b == b';');
        let decoded = end.and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let num = entity.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// URLs found in the text and HTML bodies, in order of appearance, without duplicates.
pub(crate) fn extract_links(text: &str, html: &str) -> Vec<String> {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let html = decode_entities(html);
    for source in [text, html.as_str()] {
        for link in finder.links(source) {
            let url = link.as_str();
            if seen.insert(url.to_owned()) {
                out.push(url.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_from_text_and_html_are_found_once_with_entities_decoded() {
        let text = "Open http://127.0.0.1:8080/recover?token=abc to continue.";
        let html = r#"<p><a href="http://127.0.0.1:8080/recover?token=abc">x</a>
            <a href="https://example.com/a?b=1&amp;c=2">y</a></p>"#;
        assert_eq!(
            extract_links(text, html),
            vec![
                "http://127.0.0.1:8080/recover?token=abc".to_owned(),
                "https://example.com/a?b=1&c=2".to_owned(),
            ]
        );
    }

    #[test]
    fn entities_are_decoded_and_broken_ones_kept() {
        assert_eq!(
            decode_entities("a&amp;b&#38;c&#x26;d&bogus;e&"),
            "a&b&c&d&bogus;e&"
        );
    }

    #[test]
    fn an_entity_window_ending_inside_a_multibyte_character_is_kept() {
        // The 12-byte window after `&` ends inside `é`.
        assert_eq!(decode_entities("&0123456789é;"), "&0123456789é;");
        assert_eq!(decode_entities("&01234567€;&amp;"), "&01234567€;&");
        assert_eq!(decode_entities("é&#233;&#x1F48C;"), "éé💌");
    }

    #[test]
    fn snippet_collapses_whitespace_and_is_short() {
        assert_eq!(snippet_of("  hello \r\n  world "), "hello world");
        assert_eq!(snippet_of(&"x".repeat(1000)).len(), SNIPPET_CHARS);
    }

    #[test]
    fn garbage_is_summarised_without_panicking() {
        let s = summarize(b"\xff\xfe\x00garbage", &Envelope::default());
        assert!(s.subject.is_empty());
        let m = full_message("id", "now", &s, 10, b"\xff\xfe\x00garbage");
        assert!(m.text.contains("garbage"));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::store::{Limits, Store};
        use crate::testing::{config, hostile_text, text};

        /// What entity decoding reacts to, and characters of 2, 3 and 4 bytes.
        const ENTITY_VOCAB: &[&str] = &[
            "&",
            "#",
            "x",
            "X",
            ";",
            "0",
            "9",
            "a",
            "F",
            "amp",
            "nbsp",
            "0123456789",
            "&amp;",
            "&#",
            "&#x",
            "é",
            "€",
            "💌",
            "\u{10FFFF}",
            " ",
            "http://a.example/?b=1",
        ];

        const LINK_VOCAB: &[&str] = &[
            "http://",
            "https://",
            "www.",
            "a.example",
            "/",
            "?",
            "=",
            "&",
            "&amp;",
            "#",
            ";",
            ":",
            ".",
            "\"",
            "'",
            "<",
            ">",
            "(",
            ")",
            "[",
            "]",
            "<a href=\"",
            "\">",
            " ",
            "\n",
            "é",
            "💌",
            "&0123456789é;",
            "127.0.0.1:8080",
            "mailto:a@b.c",
        ];

        /// The pieces of a MIME message: headers, boundaries, encodings, HTML.
        const MAIL_VOCAB: &[&str] = &[
            "From: A <a@example.com>\r\n",
            "From: =?utf-8?B?w6k=?= <a@b>\r\n",
            "To: b@example.com, \"x, y\" <c@d>\r\n",
            "Cc: undisclosed-recipients:;\r\n",
            "Reply-To: <>\r\n",
            "Subject: =?utf-8?q?=C3=A9t=C3=A9?=\r\n",
            "Subject: ",
            "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n",
            "Date: ",
            "Message-ID: <id@x>\r\n",
            "MIME-Version: 1.0\r\n",
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
            "Content-Type: multipart/alternative; boundary=b\r\n",
            "Content-Type: multipart/related; boundary=\"\"\r\n",
            "Content-Type: text/html; charset=utf-8\r\n",
            "Content-Type: text/plain; charset=iso-8859-1\r\n",
            "Content-Type: message/rfc822\r\n",
            "Content-Type: image/png; name=\"a.png\"\r\n",
            "Content-Type: ",
            "Content-Transfer-Encoding: base64\r\n",
            "Content-Transfer-Encoding: quoted-printable\r\n",
            "Content-Disposition: attachment; filename=\"a.txt\"\r\n",
            "Content-Disposition: inline\r\n",
            "Content-ID: <cid1>\r\n",
            "\r\n",
            "\n",
            " ",
            "\t",
            ":",
            ";",
            "=",
            "\"",
            "--b\r\n",
            "\r\n--b\r\n",
            "\r\n--b--\r\n",
            "--",
            "w6k=",
            "=C3=A9",
            "=\r\n",
            "=?utf-8?b?",
            "?=",
            "<a href=\"http://127.0.0.1/r?t=1&amp;u=2\">x</a>",
            "<img src=\"cid:cid1\">",
            "&0123456789é;",
            "&#x",
            "é",
            "€",
            "💌",
            "http://a.example/path?q=1",
        ];

        fn raw_message() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..512),
                text(MAIL_VOCAB, 60).prop_map(String::into_bytes),
                // Valid structure with stray bytes (invalid UTF-8 among them) spliced in.
                (
                    text(MAIL_VOCAB, 60),
                    prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8)
                )
                    .prop_map(|(s, splices)| {
                        let mut raw = s.into_bytes();
                        for (at, byte) in splices {
                            let at = at.index(raw.len() + 1);
                            raw.insert(at, byte);
                        }
                        raw
                    }),
            ]
        }

        proptest! {
            #![proptest_config(config(512))]

            #[test]
            fn entity_decoding_never_panics_and_never_grows(s in hostile_text(ENTITY_VOCAB, 24)) {
                let out = decode_entities(&s);
                prop_assert!(out.chars().count() <= s.chars().count());
                if !s.contains('&') {
                    prop_assert_eq!(out, s);
                }
            }

            #[test]
            fn link_extraction_never_panics_nor_repeats(
                text in hostile_text(LINK_VOCAB, 24),
                html in hostile_text(LINK_VOCAB, 24),
            ) {
                let links = extract_links(&text, &html);
                let unique: HashSet<&String> = links.iter().collect();
                prop_assert_eq!(unique.len(), links.len());
            }
        }

        proptest! {
            #![proptest_config(config(256))]

            /// Whatever a client sends is stored, listed, opened and served in parts.
            #[test]
            fn any_message_is_stored_and_served(raw in raw_message()) {
                let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
                rt.block_on(async {
                    let store = Store::open(None, Limits { max_messages: 0, max_total_bytes: 0 })
                        .await
                        .unwrap();
                    let envelope = Envelope { from: "a@b".into(), to: vec!["c@d".into()] };
                    let entry = store.insert(envelope, raw.clone().into(), None).await.unwrap();
                    prop_assert!(entry.summary.snippet.chars().count() <= SNIPPET_CHARS);
                    let message = store.message(&entry).await.unwrap();
                    let unique: HashSet<&String> = message.links.iter().collect();
                    prop_assert_eq!(unique.len(), message.links.len());
                    let _ = bodies(&raw, &entry.id);
                    let _ = headers(&raw);
                    let parts = message.attachments.len() + message.inline.len();
                    for idx in 0..parts + 4 {
                        let _ = part(&raw, &idx.to_string());
                    }
                    prop_assert!(part(&raw, "-1").is_none());
                    Ok(())
                })?;
            }
        }
    }
}
