//! The JSON shapes of the HTTP API. Field names follow Mailpit's REST API v1 so that
//! existing Mailpit clients work unchanged; `Links` and `Envelope` are our additions.

use serde::{Deserialize, Serialize};

/// A name and an address, as in a header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Address")]
    pub address: String,
}

/// The SMTP envelope: who the client said the message is from and for. Bcc recipients
/// exist only here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "From")]
    pub from: String,
    #[serde(rename = "To")]
    pub to: Vec<String>,
}

/// An attachment or inline part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(rename = "PartID")]
    pub part_id: String,
    #[serde(rename = "FileName")]
    pub file_name: String,
    #[serde(rename = "ContentType")]
    pub content_type: String,
    #[serde(rename = "ContentID", default)]
    pub content_id: String,
    #[serde(rename = "Size")]
    pub size: u64,
}

/// One message in full (`GET /api/v1/message/{ID}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "MessageID")]
    pub message_id: String,
    #[serde(rename = "From")]
    pub from: Option<Address>,
    #[serde(rename = "To", default)]
    pub to: Vec<Address>,
    #[serde(rename = "Cc", default)]
    pub cc: Vec<Address>,
    #[serde(rename = "Bcc", default)]
    pub bcc: Vec<Address>,
    #[serde(rename = "ReplyTo", default)]
    pub reply_to: Vec<Address>,
    #[serde(rename = "Subject")]
    pub subject: String,
    /// RFC 3339; the Date header, or the arrival time when it has none.
    #[serde(rename = "Date")]
    pub date: String,
    #[serde(rename = "Tags", default)]
    pub tags: Vec<String>,
    #[serde(rename = "Text")]
    pub text: String,
    #[serde(rename = "HTML")]
    pub html: String,
    #[serde(rename = "Size")]
    pub size: u64,
    #[serde(rename = "Inline", default)]
    pub inline: Vec<Attachment>,
    #[serde(rename = "Attachments", default)]
    pub attachments: Vec<Attachment>,
    /// URLs found in the text and HTML parts, in order of appearance, without duplicates.
    #[serde(rename = "Links", default)]
    pub links: Vec<String>,
    #[serde(rename = "Envelope", default)]
    pub envelope: Envelope,
}

/// One row of a listing (`GET /api/v1/messages`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageSummary {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "MessageID")]
    pub message_id: String,
    #[serde(rename = "Read")]
    pub read: bool,
    #[serde(rename = "From")]
    pub from: Option<Address>,
    #[serde(rename = "To", default)]
    pub to: Vec<Address>,
    #[serde(rename = "Cc", default)]
    pub cc: Vec<Address>,
    #[serde(rename = "Bcc", default)]
    pub bcc: Vec<Address>,
    #[serde(rename = "ReplyTo", default)]
    pub reply_to: Vec<Address>,
    #[serde(rename = "Subject")]
    pub subject: String,
    /// RFC 3339 arrival time.
    #[serde(rename = "Created")]
    pub created: String,
    #[serde(rename = "Tags", default)]
    pub tags: Vec<String>,
    #[serde(rename = "Size")]
    pub size: u64,
    /// Number of attachments.
    #[serde(rename = "Attachments")]
    pub attachments: u64,
    #[serde(rename = "Snippet")]
    pub snippet: String,
}

/// A page of a listing or search.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessagesSummary {
    pub total: u64,
    pub unread: u64,
    pub count: u64,
    pub messages_count: u64,
    pub start: u64,
    #[serde(default)]
    pub tags: Vec<String>,
    pub messages: Vec<MessageSummary>,
}
