//! Message tags and read state, as Mailpit keeps them: the rules for a tag's name, the
//! tags a message gets on arrival (its `X-Tags` header and plus-addresses), and the
//! endpoints `GET/PUT /api/v1/tags`, `PUT/DELETE /api/v1/tags/{Tag}` and
//! `PUT /api/v1/messages` (read status).
//!
//! A tag keeps only `a-z`, `A-Z`, `0-9`, `-`, `.`, `_` and spaces (others are dropped,
//! runs of spaces become one); an empty tag is no tag. A message's tags are unique
//! regardless of case and sorted; a new tag that differs from an existing one only by
//! case takes the existing spelling.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, put};
use serde::Deserialize;

use crate::http::{ApiError, ApiResult, AppState, json_body, parse_query};
use crate::model::Address;
use crate::parse::Summary;

/// `name` with the characters a tag may not hold dropped and spaces collapsed.
pub(crate) fn clean_tag(name: &str) -> String {
    let kept: String = name
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ' '))
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cleaned, without empties and case-insensitive duplicates (the first spelling wins, or
/// the spelling of an `existing` tag), sorted.
pub(crate) fn normalize<'a>(
    names: impl IntoIterator<Item = &'a str>,
    existing: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let tag = clean_tag(name);
        if tag.is_empty() || out.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            continue;
        }
        let spelled = existing
            .iter()
            .find(|t| t.eq_ignore_ascii_case(&tag))
            .cloned()
            .unwrap_or(tag);
        out.push(spelled);
    }
    out.sort();
    out
}

/// The tags in an address's plus part: `alice+signup@x` gives `signup`,
/// `a+b+c@x` gives `b` and `c`.
fn plus_tags(address: &str) -> impl Iterator<Item = &str> {
    let local = address.rsplit_once('@').map_or("", |(local, _)| local);
    local.split('+').skip(1)
}

/// Whether the header section of `raw` has an `X-Tags` field: a byte scan, so that the
/// headers are parsed again only for the few messages that have one.
fn has_x_tags(raw: &[u8]) -> bool {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = &raw[..end];
    let starts = std::iter::once(0).chain(
        head.iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts.into_iter().any(|i| {
        head.get(i..i + 7)
            .is_some_and(|name| name.eq_ignore_ascii_case(b"x-tags:"))
    })
}

/// The tags a message gets on arrival: its `X-Tags` header (comma-separated) and the plus
/// parts of its From, To, Cc and Bcc addresses and envelope recipients. `existing` (the
/// tags in use, for their spelling) is asked for only when there is a tag.
pub(crate) fn on_arrival(
    raw: &[u8],
    summary: &Summary,
    existing: impl FnOnce() -> Vec<String>,
) -> Vec<String> {
    let header = if has_x_tags(raw) {
        mail_parser::MessageParser::new()
            .parse_headers(raw)
            .and_then(|m| m.header_raw("X-Tags").map(str::to_owned))
            .unwrap_or_default()
    } else {
        String::new()
    };
    let addresses = summary
        .from
        .iter()
        .chain(&summary.to)
        .chain(&summary.cc)
        .chain(&summary.bcc)
        .map(|a: &Address| a.address.as_str())
        .chain(summary.envelope.to.iter().map(String::as_str));
    let names: Vec<&str> = header
        .split(',')
        .chain(addresses.flat_map(plus_tags))
        .filter(|name| !clean_tag(name).is_empty())
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    normalize(names, &existing())
}

/// The tag and read-state routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tags", get(all_tags).put(set_tags))
        .route("/api/v1/tags/{tag}", put(rename_tag).delete(delete_tag))
}

async fn all_tags(State(s): State<AppState>) -> axum::Json<Vec<String>> {
    axum::Json(s.store.tag_counts().into_keys().collect())
}

#[derive(Deserialize)]
struct SetTags {
    #[serde(rename = "IDs", default)]
    ids: Vec<String>,
    #[serde(rename = "Tags", default)]
    tags: Vec<String>,
}

/// Replaces the tags of the given messages (`Tags: []` removes them all); no `IDs` is
/// no change, as in Mailpit.
async fn set_tags(State(s): State<AppState>, body: Bytes) -> ApiResult<&'static str> {
    let req: SetTags = json_body(&body)?;
    s.store.set_tags(&req.ids, &req.tags).await?;
    Ok("ok")
}

#[derive(Deserialize)]
struct Rename {
    #[serde(rename = "Name")]
    name: String,
}

async fn rename_tag(
    State(s): State<AppState>,
    Path(tag): Path<String>,
    body: Bytes,
) -> ApiResult<&'static str> {
    let req: Rename = json_body(&body)?;
    let to = clean_tag(&req.name);
    if to.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "invalid tag name {:?}: a tag needs a letter, digit, '-', '.' or '_'",
            req.name
        )));
    }
    s.store.rename_tag(&tag, &to).await?;
    Ok("ok")
}

async fn delete_tag(State(s): State<AppState>, Path(tag): Path<String>) -> ApiResult<&'static str> {
    s.store.delete_tag(&tag).await?;
    Ok("ok")
}

#[derive(Deserialize)]
struct SetRead {
    #[serde(rename = "IDs", default)]
    ids: Vec<String>,
    #[serde(rename = "Read", default)]
    read: bool,
    /// Newer Mailpit clients select messages by a search instead of IDs.
    #[serde(rename = "Search", default)]
    search: String,
}

/// Mailpit's `PUT /api/v1/messages`: sets `Read` on the given messages, on those a
/// `Search` matches, or on all of them when neither is given.
pub(crate) async fn set_read(State(s): State<AppState>, body: Bytes) -> ApiResult<&'static str> {
    let req: SetRead = if body.iter().all(u8::is_ascii_whitespace) {
        SetRead {
            ids: Vec::new(),
            read: false,
            search: String::new(),
        }
    } else {
        json_body(&body)?
    };
    let ids = if !req.ids.is_empty() {
        Some(req.ids)
    } else if !req.search.trim().is_empty() {
        let query = parse_query(Some(&req.search))?;
        let page = s.store.search(&query, 0, usize::MAX);
        Some(page.entries.iter().map(|e| e.id.to_string()).collect())
    } else {
        None
    };
    s.store.set_read(ids.as_deref(), req.read).await?;
    Ok("ok")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Envelope;

    #[test]
    fn names_keep_only_the_allowed_characters() {
        assert_eq!(clean_tag("  Sign-up  2024 "), "Sign-up 2024");
        assert_eq!(clean_tag("a/b\\c!d_e.f"), "abcd_e.f");
        assert_eq!(clean_tag("<>"), "");
    }

    #[test]
    fn tags_are_unique_regardless_of_case_sorted_and_take_existing_spelling() {
        let existing = vec!["Signup".to_owned()];
        assert_eq!(
            normalize(["zeta", "signup", "SIGNUP", "", "!!", "alpha"], &existing),
            ["Signup", "alpha", "zeta"]
        );
    }

    #[test]
    fn arrival_tags_come_from_x_tags_and_plus_addresses() {
        let raw = b"X-Tags: Welcome, beta test\r\nSubject: hi\r\n\r\nbody\r\n";
        let summary = Summary {
            to: vec![Address {
                name: String::new(),
                address: "alice+signup@example.com".into(),
            }],
            envelope: Envelope {
                from: "a@x".into(),
                to: vec!["bob+news+weekly@example.com".into()],
            },
            ..Summary::default()
        };
        assert_eq!(
            on_arrival(raw, &summary, Vec::new),
            ["Welcome", "beta test", "news", "signup", "weekly"]
        );
        let no_tag = on_arrival(
            b"Subject: none\r\n\r\nX-Tags: body\r\n",
            &Summary::default(),
            || unreachable!("no tag, no look at the known ones"),
        );
        assert!(no_tag.is_empty());
        assert!(has_x_tags(b"Subject: a\r\nx-tags: b\r\n\r\n"));
        assert!(!has_x_tags(b"Subject: x-tags: b\r\n\r\nX-Tags: c\r\n"));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::testing::{config, hostile_text};

        const VOCAB: &[&str] = &[
            "X-Tags:",
            "x-tags: ",
            ",",
            " ",
            "\r\n",
            "\r\n\r\n",
            "\n",
            "+",
            "@",
            "a",
            "Tag",
            "é",
            "💌",
            ":",
            "=?utf-8?q?a?=",
            "\t",
        ];

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn tags_of_any_message_are_clean_unique_and_sorted(
                raw in hostile_text(VOCAB, 24),
                to in hostile_text(VOCAB, 6),
            ) {
                let summary = Summary {
                    envelope: Envelope { from: String::new(), to: vec![to] },
                    ..Summary::default()
                };
                let tags = on_arrival(raw.as_bytes(), &summary, Vec::new);
                for t in &tags {
                    prop_assert!(!t.is_empty() && clean_tag(t) == *t);
                }
                let mut sorted = tags.clone();
                sorted.sort();
                sorted.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
                prop_assert_eq!(sorted, tags);
            }
        }
    }
}
