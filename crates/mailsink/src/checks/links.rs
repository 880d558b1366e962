//! The link check (`GET /api/v1/message/{ID}/link-check?follow=true|false`): every
//! `http`/`https` link of a message is asked for with HEAD, and with GET when HEAD fails
//! or answers an error (many servers refuse HEAD), and reported with its status in
//! Mailpit's shape (`Errors`, `Links` of `URL`, `StatusCode`, `Status`).
//!
//! At most [`CONCURRENCY`] requests run at once, each within [`TIMEOUT`], and at most
//! [`MAX_LINKS`] links are checked. Redirects are followed only with `follow=true`
//! (at most 10). A link that cannot be reached has `StatusCode` 0 and the reason as
//! `Status`. The requests go wherever the message's links point: this is a tool for a
//! test mailbox, run on demand.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};

use crate::http::{ApiError, AppState};

/// Requests in flight at once (as Mailpit).
pub(crate) const CONCURRENCY: usize = 5;
/// Each request's time limit (as Mailpit).
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);
/// Links checked per message at most.
pub(crate) const MAX_LINKS: usize = 200;

/// One checked link.
#[derive(Debug, Serialize)]
pub(crate) struct Link {
    #[serde(rename = "URL")]
    url: String,
    /// The HTTP status, 0 when there was no answer.
    #[serde(rename = "StatusCode")]
    status_code: u16,
    /// The status's reason phrase, or why there was no answer.
    #[serde(rename = "Status")]
    status: String,
}

/// Mailpit's `LinkCheckResponse`.
#[derive(Debug, Serialize)]
pub(crate) struct LinkCheck {
    /// Links with no answer or a status of 400 and above.
    #[serde(rename = "Errors")]
    errors: u64,
    #[serde(rename = "Links")]
    links: Vec<Link>,
}

#[derive(Deserialize)]
pub(crate) struct FollowParams {
    follow: Option<String>,
}

/// `GET /api/v1/message/{ID}/link-check`.
pub(crate) async fn link_check(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<FollowParams>,
) -> Result<Json<LinkCheck>, ApiError> {
    let entry = crate::http::entry(&s, &id)?;
    let message = s.store.message(&entry).await?;
    let follow = matches!(p.follow.as_deref(), Some("true" | "1"));
    let urls: Vec<String> = message
        .links
        .into_iter()
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
        .take(MAX_LINKS)
        .collect();
    Ok(Json(check(urls, follow, TIMEOUT).await?))
}

/// Checks `urls`, keeping their order, each request within `timeout`.
pub(crate) async fn check(
    urls: Vec<String>,
    follow: bool,
    timeout: Duration,
) -> Result<LinkCheck, ApiError> {
    let policy = if follow {
        reqwest::redirect::Policy::limited(10)
    } else {
        reqwest::redirect::Policy::none()
    };
    let client = reqwest::Client::builder()
        .redirect(policy)
        .timeout(timeout)
        .user_agent(concat!("mailsink/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ApiError::Internal(e.into()))?;
    let links: Vec<Link> = futures::stream::iter(urls)
        .map(|url| {
            let client = client.clone();
            async move { status_of(&client, url).await }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let errors = links
        .iter()
        .filter(|l| l.status_code == 0 || l.status_code >= 400)
        .count() as u64;
    Ok(LinkCheck { errors, links })
}

/// HEAD, then GET when HEAD gets no answer or an error status.
async fn status_of(client: &reqwest::Client, url: String) -> Link {
    let head = client.head(&url).send().await;
    let answer = match head {
        Ok(r) if r.status().as_u16() < 400 => Ok(r),
        head => match client.get(&url).send().await {
            Ok(r) => Ok(r),
            // GET failed too: report what HEAD got, if anything.
            Err(e) => head.map_err(|_| e),
        },
    };
    match answer {
        Ok(r) => Link {
            status_code: r.status().as_u16(),
            status: r.status().canonical_reason().unwrap_or_default().to_owned(),
            url,
        },
        Err(e) => Link {
            status_code: 0,
            status: reason(&e),
            url,
        },
    }
}

/// The innermost cause of a failed request ("Connection refused", "timed out"...).
fn reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    if e.is_builder() {
        return "not a valid URL".into();
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use axum::Router;
    use axum::routing::get;

    use super::*;

    /// Requests in flight now, and the most seen at once.
    #[derive(Default)]
    struct InFlight {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    #[tokio::test]
    async fn at_most_five_requests_run_at_once_and_each_has_a_time_limit() {
        let seen = Arc::new(InFlight::default());
        let counted = seen.clone();
        // The server's latency is simulated; the test waits on nothing but answers.
        let app = Router::new()
            .route(
                "/slow/{n}",
                get(move || {
                    let seen = counted.clone();
                    async move {
                        let now = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
                        seen.most.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(150)).await;
                        seen.now.fetch_sub(1, Ordering::SeqCst);
                        "ok"
                    }
                }),
            )
            .route(
                "/hang",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    "too late"
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let mut urls: Vec<String> = (0..12).map(|i| format!("{base}/slow/{i}")).collect();
        urls.push(format!("{base}/hang"));
        let started = Instant::now();
        let Ok(report) = check(urls, false, Duration::from_millis(400)).await else {
            panic!("the check failed");
        };
        let most = seen.most.load(Ordering::SeqCst);
        assert!((2..=CONCURRENCY).contains(&most), "{most} requests at once");
        assert_eq!(report.links.len(), 13);
        assert!(report.links[..12].iter().all(|l| l.status_code == 200));
        let hang = &report.links[12];
        assert_eq!((hang.status_code, hang.status.as_str()), (0, "timed out"));
        assert_eq!(report.errors, 1);
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
