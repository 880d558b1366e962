//! A small HTTP client for a sink running elsewhere (or for any Mailpit-compatible
//! server, minus the `wait` call which is ours).

use std::time::Duration;

use crate::{Message, MessagesSummary, WaitError};

/// Talks to a sink's HTTP API.
#[derive(Debug, Clone)]
pub struct SinkClient {
    base_url: String,
    http: reqwest::Client,
}

impl SinkClient {
    /// `base_url` like `http://127.0.0.1:8025`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }
    /// The base URL given at construction.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// Long-polls `GET /api/v1/wait` until a message matching `query` exists.
    pub async fn wait_for(&self, query: &str, timeout: Duration) -> Result<Message, WaitError> {
        let _ = (query, timeout, &self.http);
        todo!("client: wait_for")
    }
    /// `GET /api/v1/search?query=`.
    pub async fn search(&self, query: &str) -> Result<MessagesSummary, WaitError> {
        let _ = query;
        todo!("client: search")
    }
    /// `GET /api/v1/message/{id}`.
    pub async fn message(&self, id: &str) -> Result<Message, WaitError> {
        let _ = id;
        todo!("client: message")
    }
    /// `DELETE /api/v1/messages` with no IDs: deletes everything.
    pub async fn delete_all(&self) -> Result<(), WaitError> {
        todo!("client: delete_all")
    }
}
