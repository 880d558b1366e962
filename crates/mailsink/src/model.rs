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
    /// Where bounces go: the envelope sender, as the Return-Path a delivery adds.
    #[serde(rename = "ReturnPath", default)]
    pub return_path: String,
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
    /// One-time codes and tokens: codes near "code", "PIN", "OTP", "token" or
    /// "verification" in the text and HTML, then token-like link parameters.
    #[serde(rename = "Codes", default)]
    pub codes: Vec<String>,
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
    /// As [`Message::codes`].
    #[serde(rename = "Codes", default)]
    pub codes: Vec<String>,
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

/// Where in an SMTP session a fault rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FaultStage {
    /// The connection, before the greeting.
    Connect,
    /// `MAIL FROM`.
    Mail,
    /// Each `RCPT TO`.
    Rcpt,
    /// The `DATA` command.
    Data,
    /// The end of the data (the final dot), before the message is stored.
    End,
}

/// What a fault rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultAction {
    /// Answer `Code Text` instead of the normal reply (421 also closes the connection).
    Reply,
    /// Close the connection without answering.
    Disconnect,
    /// Hold every reply of the session from this stage on for `DelayMs`.
    Delay,
}

/// A fault rule as posted to `POST /api/v1/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFault {
    /// Search syntax on the envelope (`to:`, `from:`, words); empty: all mail.
    #[serde(rename = "Query", default)]
    pub query: String,
    #[serde(rename = "Stage")]
    pub stage: FaultStage,
    #[serde(rename = "Action")]
    pub action: FaultAction,
    /// SMTP code of a `reply` (400–599; 451 when left out).
    #[serde(rename = "Code", default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// Text of a `reply`.
    #[serde(rename = "Text", default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Delay of a `delay`, in milliseconds.
    #[serde(rename = "DelayMs", default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Applies to the next N matching only.
    #[serde(rename = "Count", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Chance of applying, 0–100 (100 when left out).
    #[serde(
        rename = "Probability",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub probability: Option<u8>,
    /// Lifetime, e.g. `10m`, `30s`.
    #[serde(rename = "ExpiresIn", default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<String>,
}

impl NewFault {
    /// A rule answering `code text` at `stage` for mail matching `query`.
    pub fn reply(stage: FaultStage, query: &str, code: u16, text: &str) -> Self {
        Self {
            query: query.to_owned(),
            stage,
            action: FaultAction::Reply,
            code: Some(code),
            text: Some(text.to_owned()),
            delay_ms: None,
            count: None,
            probability: None,
            expires_in: None,
        }
    }
    /// A rule closing the connection at `stage` for mail matching `query`.
    pub fn disconnect(stage: FaultStage, query: &str) -> Self {
        Self {
            action: FaultAction::Disconnect,
            code: None,
            text: None,
            ..Self::reply(stage, query, 0, "")
        }
    }
    /// A rule delaying every reply from `stage` on by `delay_ms`.
    pub fn delay(stage: FaultStage, query: &str, delay_ms: u64) -> Self {
        Self {
            action: FaultAction::Delay,
            delay_ms: Some(delay_ms),
            ..Self::disconnect(stage, query)
        }
    }
    /// Only the next `count` matching.
    pub fn count(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }
}

/// A fault rule as the sink lists it (`GET /api/v1/faults`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Query")]
    pub query: String,
    #[serde(rename = "Stage")]
    pub stage: FaultStage,
    #[serde(rename = "Action")]
    pub action: FaultAction,
    #[serde(rename = "Code")]
    pub code: Option<u16>,
    #[serde(rename = "Text")]
    pub text: Option<String>,
    #[serde(rename = "DelayMs")]
    pub delay_ms: Option<u64>,
    #[serde(rename = "Count")]
    pub count: Option<u64>,
    #[serde(rename = "Probability")]
    pub probability: u8,
    #[serde(rename = "ExpiresIn")]
    pub expires_in: Option<String>,
    /// RFC 3339.
    #[serde(rename = "Created")]
    pub created: String,
    /// RFC 3339, when `ExpiresIn` was given.
    #[serde(rename = "Expires")]
    pub expires: Option<String>,
    /// How many times the rule was applied.
    #[serde(rename = "Applied")]
    pub applied: u64,
    /// Whether it still applies.
    #[serde(rename = "Active")]
    pub active: bool,
    /// `active`, `used up` (its `Count` is reached) or `expired`.
    #[serde(rename = "Status")]
    pub status: String,
}

/// One of Mailpit's chaos triggers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaosTrigger {
    /// SMTP code to answer, 400–599 (0 when setting: the trigger's default).
    #[serde(rename = "ErrorCode", default)]
    pub error_code: u16,
    /// Chance of answering it, 0–100.
    #[serde(rename = "Probability", default)]
    pub probability: u8,
}

/// Mailpit's chaos triggers (`GET/PUT /api/v1/chaos`): `MAIL FROM`, `RCPT TO` and
/// `AUTH` answer `ErrorCode` with the given probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaosTriggers {
    #[serde(rename = "Sender", default)]
    pub sender: ChaosTrigger,
    #[serde(rename = "Recipient", default)]
    pub recipient: ChaosTrigger,
    #[serde(rename = "Authentication", default)]
    pub authentication: ChaosTrigger,
}

impl Default for ChaosTriggers {
    /// All off, with Mailpit's default codes.
    fn default() -> Self {
        Self {
            sender: ChaosTrigger {
                error_code: 451,
                probability: 0,
            },
            recipient: ChaosTrigger {
                error_code: 451,
                probability: 0,
            },
            authentication: ChaosTrigger {
                error_code: 535,
                probability: 0,
            },
        }
    }
}

/// One SMTP session (`GET /api/v1/sessions`, `GET /api/v1/message/{ID}/session`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSession {
    #[serde(rename = "ID")]
    pub id: String,
    /// The client's address and port.
    #[serde(rename = "Peer")]
    pub peer: String,
    /// RFC 3339.
    #[serde(rename = "Started")]
    pub started: String,
    /// RFC 3339; `None` while the session runs.
    #[serde(rename = "Ended")]
    pub ended: Option<String>,
    /// The name the client gave in HELO/EHLO.
    #[serde(rename = "Helo")]
    pub helo: String,
    /// `C: ` (client) and `S: ` (server) lines, without DATA bodies, AUTH secrets as `***`.
    #[serde(rename = "Transcript")]
    pub transcript: Vec<String>,
    /// What was stored, the last refusal, and how the session ended (`in progress`
    /// while it runs).
    #[serde(rename = "Outcome")]
    pub outcome: String,
    /// The fault rule (or `chaos:Sender`, ...) last applied, if any.
    #[serde(rename = "Fault")]
    pub fault: Option<String>,
    /// The messages it stored.
    #[serde(rename = "MessageIDs")]
    pub message_ids: Vec<String>,
}

/// A page of sessions, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSessions {
    /// Sessions kept (the last 1,000).
    pub total: u64,
    pub sessions: Vec<SmtpSession>,
}
