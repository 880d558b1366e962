//! A small HTTP client for a sink running elsewhere (or for any Mailpit-compatible
//! server, minus the `wait` call which is ours).

use std::time::Duration;

use anyhow::Context as _;
use reqwest::StatusCode;

use crate::{
    ChaosTriggers, FaultRule, Message, MessagesSummary, NewFault, SmtpSession, SmtpSessions,
    WaitError,
};

/// Talks to a sink's HTTP API.
#[derive(Debug, Clone)]
pub struct SinkClient {
    base_url: String,
    http: reqwest::Client,
}

/// Extra time given to the HTTP request beyond the server-side wait, so the server's
/// 408 arrives before our own timeout fires.
const WAIT_GRACE: Duration = Duration::from_secs(5);

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

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Long-polls `GET /api/v1/wait` until a message matching `query` exists.
    pub async fn wait_for(&self, query: &str, timeout: Duration) -> Result<Message, WaitError> {
        let resp = self
            .http
            .get(self.url("/api/v1/wait"))
            .query(&[
                ("query", query.to_owned()),
                ("timeout", format!("{}ms", timeout.as_millis())),
            ])
            .timeout(timeout.saturating_add(WAIT_GRACE))
            .send()
            .await
            .with_context(|| format!("Failed to reach the sink at {}", self.base_url))?;
        match resp.status() {
            StatusCode::REQUEST_TIMEOUT => Err(WaitError::Timeout {
                query: query.to_owned(),
                timeout,
            }),
            StatusCode::BAD_REQUEST => {
                Err(WaitError::BadQuery(resp.text().await.unwrap_or_default()))
            }
            _ => Ok(json(resp).await?),
        }
    }
    /// `GET /api/v1/search?query=`.
    pub async fn search(&self, query: &str) -> Result<MessagesSummary, WaitError> {
        let resp = self
            .http
            .get(self.url("/api/v1/search"))
            .query(&[("query", query)])
            .send()
            .await
            .with_context(|| format!("Failed to reach the sink at {}", self.base_url))?;
        if resp.status() == StatusCode::BAD_REQUEST {
            return Err(WaitError::BadQuery(resp.text().await.unwrap_or_default()));
        }
        Ok(json(resp).await?)
    }
    /// `GET /api/v1/message/{id}` (`latest` for the newest).
    pub async fn message(&self, id: &str) -> Result<Message, WaitError> {
        let resp = self
            .http
            .get(self.url(&format!("/api/v1/message/{id}")))
            .send()
            .await
            .with_context(|| format!("Failed to reach the sink at {}", self.base_url))?;
        Ok(json(resp).await?)
    }
    /// `DELETE /api/v1/messages` with no IDs: deletes everything.
    pub async fn delete_all(&self) -> Result<(), WaitError> {
        let resp = self
            .http
            .delete(self.url("/api/v1/messages"))
            .send()
            .await
            .with_context(|| format!("Failed to reach the sink at {}", self.base_url))?;
        resp.error_for_status()
            .context("The sink refused to delete")?;
        Ok(())
    }

    /// `POST /api/v1/faults`: adds a fault rule (refused with the sink's reason).
    pub async fn add_fault(&self, rule: &NewFault) -> Result<FaultRule, WaitError> {
        let resp = self.http.post(self.url("/api/v1/faults")).json(rule);
        Ok(json(self.send(resp).await?).await?)
    }
    /// `GET /api/v1/faults`: every rule with its `Applied` count and status.
    pub async fn faults(&self) -> Result<Vec<FaultRule>, WaitError> {
        let resp = self.http.get(self.url("/api/v1/faults"));
        Ok(json(self.send(resp).await?).await?)
    }
    /// `DELETE /api/v1/faults/{id}`.
    pub async fn delete_fault(&self, id: &str) -> Result<(), WaitError> {
        let resp = self.http.delete(self.url(&format!("/api/v1/faults/{id}")));
        self.send(resp).await?;
        Ok(())
    }
    /// `DELETE /api/v1/faults`: removes every rule.
    pub async fn clear_faults(&self) -> Result<(), WaitError> {
        let resp = self.http.delete(self.url("/api/v1/faults"));
        self.send(resp).await?;
        Ok(())
    }
    /// `PUT /api/v1/chaos` (Mailpit's API): sets the triggers, resets omitted ones.
    pub async fn set_chaos(&self, triggers: &ChaosTriggers) -> Result<ChaosTriggers, WaitError> {
        let resp = self.http.put(self.url("/api/v1/chaos")).json(triggers);
        Ok(json(self.send(resp).await?).await?)
    }

    /// `GET /api/v1/sessions`: the latest SMTP sessions, newest first.
    pub async fn sessions(&self, start: usize, limit: usize) -> Result<SmtpSessions, WaitError> {
        let resp = self
            .http
            .get(self.url("/api/v1/sessions"))
            .query(&[("start", start), ("limit", limit)]);
        Ok(json(self.send(resp).await?).await?)
    }
    /// `GET /api/v1/message/{id}/session`: the SMTP session that delivered a message.
    pub async fn message_session(&self, id: &str) -> Result<SmtpSession, WaitError> {
        let resp = self
            .http
            .get(self.url(&format!("/api/v1/message/{id}/session")));
        Ok(json(self.send(resp).await?).await?)
    }

    /// Sends a request; an error status becomes an error carrying the sink's answer.
    async fn send(&self, req: reqwest::RequestBuilder) -> anyhow::Result<reqwest::Response> {
        let resp = req
            .send()
            .await
            .with_context(|| format!("Failed to reach the sink at {}", self.base_url))?;
        let status = resp.status();
        if status.is_client_error() || status.is_server_error() {
            let text = resp.text().await.unwrap_or_default();
            anyhow::bail!("the sink answered {status}: {}", text.trim());
        }
        Ok(resp)
    }
}

async fn json<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> anyhow::Result<T> {
    let resp = resp
        .error_for_status()
        .context("The sink answered with an error")?;
    resp.json()
        .await
        .context("The sink answered with unexpected JSON")
}
