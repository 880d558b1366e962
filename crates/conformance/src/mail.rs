//! The scenario's view of the mail sink: wait for the next message to an address, take a
//! link from it, and prove that no message came — by waiting on the sink (its long-poll
//! `wait` call) when it has one, else by polling its Mailpit search; never by sleeping
//! a fixed time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mailsink::client::SinkClient;
use mailsink::{FaultStage, Message, NewFault, WaitError};

use crate::profile::{MailApi, MailSettings};
use crate::results::EmailSeen;

/// How long a scenario waits for an email that should come.
pub const ARRIVAL_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a scenario waits for an email that should *not* come, after a later email
/// (sent through the same outbox) has already arrived.
pub const ABSENCE_TIMEOUT: Duration = Duration::from_millis(750);

/// A sink reached over its HTTP API (the in-process one or QA's), remembering which
/// messages this scenario has already read so that "the next email" means a new one.
///
/// Read messages are left out of later waits by a negated search term: their Message-ID
/// when they have one, else the token in their link, else their subject (the sink's
/// query language has no term for its own message ID).
#[derive(Debug, Clone)]
pub struct Mailbox {
    client: SinkClient,
    seen: Vec<String>,
    /// Whether the sink is polled (it has no `wait` call, or the profile says so);
    /// shared by the mailboxes of one sink, so the first to find out tells the rest.
    polling: Arc<AtomicBool>,
    /// `auto` may switch to polling; `wait` may not.
    api: MailApi,
    /// The messages [`Mailbox::next`] returned, for the report.
    read: Vec<EmailSeen>,
    poll_interval: Duration,
}

/// The search term that matches `msg` and (as far as the message lets us tell) no other.
fn identifying_term(msg: &Message) -> String {
    if !msg.message_id.trim().is_empty() {
        return format!("message-id:{}", msg.message_id.trim());
    }
    if let Some(secret) = msg
        .links
        .iter()
        .filter_map(|l| url::Url::parse(l).ok())
        .flat_map(|u| secrets_in(&u))
        .next()
    {
        return secret;
    }
    format!("subject:\"{}\"", msg.subject.replace('"', " "))
}

impl Mailbox {
    /// A mailbox on the sink at `sink_url` (e.g. `http://127.0.0.1:8025`), read as the
    /// profile's `[mail]` says; `polling` is shared by the mailboxes of that sink.
    pub fn new(sink_url: &str, settings: &MailSettings, polling: Arc<AtomicBool>) -> Self {
        if settings.api == MailApi::Poll {
            polling.store(true, Ordering::Relaxed);
        }
        Self {
            client: SinkClient::new(sink_url),
            seen: Vec::new(),
            polling,
            api: settings.api,
            read: Vec::new(),
            poll_interval: Duration::from_millis(settings.poll_interval_ms.max(10)),
        }
    }

    /// The oldest message matching `query`, within `timeout`: the sink's `wait` call,
    /// or polling its search when it has none.
    async fn wait_for(&self, query: &str, timeout: Duration) -> Result<Message, WaitError> {
        if !self.polling.load(Ordering::Relaxed) {
            match self.client.wait_for(query, timeout).await {
                Err(WaitError::Other(e)) if self.api == MailApi::Auto && no_such_call(&e) => {
                    tracing::info!(sink = %self.sink_url(), "the sink has no wait call: polling");
                    self.polling.store(true, Ordering::Relaxed);
                }
                answer => return answer.map(with_links),
            }
        }
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.client.search(query).await?;
            // Listings are newest first: the oldest match is the next one to read.
            if let Some(oldest) = found.messages.last() {
                return self.client.message(&oldest.id).await.map(with_links);
            }
            if Instant::now() + self.poll_interval > deadline {
                return Err(WaitError::Timeout {
                    query: query.to_owned(),
                    timeout,
                });
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    /// The sink's base URL.
    pub fn sink_url(&self) -> &str {
        self.client.base_url()
    }

    /// The query for messages to `to` that match `words` and that this scenario has not
    /// read yet (excluded by their Message-ID).
    fn unseen_query(&self, to: &str, words: &str) -> String {
        let mut q = format!("to:{to}");
        if !words.trim().is_empty() {
            q.push(' ');
            q.push_str(words.trim());
        }
        for term in &self.seen {
            q.push_str(" -");
            q.push_str(term);
        }
        q
    }

    /// Waits for the next unread message to `to` matching `words` (sink search syntax,
    /// e.g. `subject:"password"`), marks it read and returns it.
    pub async fn next(&mut self, to: &str, words: &str) -> anyhow::Result<Message> {
        let query = self.unseen_query(to, words);
        match self.wait_for(&query, ARRIVAL_TIMEOUT).await {
            Ok(msg) => {
                self.mark_read(&msg);
                self.read.push(EmailSeen {
                    to: msg
                        .to
                        .iter()
                        .map(|a| a.address.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    subject: msg.subject.clone(),
                    links: msg.links.clone(),
                });
                Ok(msg)
            }
            Err(WaitError::Timeout { .. }) => anyhow::bail!(
                "no new email to {to} matching {words:?} arrived within {ARRIVAL_TIMEOUT:?}{}",
                self.describe_others(to).await
            ),
            Err(e) => Err(anyhow::Error::new(e).context(format!(
                "waiting on the mail sink at {} for an email to {to}",
                self.sink_url()
            ))),
        }
    }

    /// Makes the sink refuse mail to `to`, as a mail server that is down would: a fault
    /// rule answering 451 at `RCPT TO` for this address only (no `Count`: until it is
    /// removed), so scenarios sharing the sink are not affected. Returns the rule's ID.
    pub async fn refuse_mail_to(&self, to: &str) -> anyhow::Result<String> {
        let rule = NewFault::reply(
            FaultStage::Rcpt,
            &format!("to:{to}"),
            451,
            "mail server down (conformance outage)",
        );
        match self.client.add_fault(&rule).await {
            Ok(added) => Ok(added.id),
            Err(e) => Err(anyhow::Error::new(e).context(format!(
                "adding a fault rule on the mail sink at {} (it must be this project's \
                 sink, started without --no-faults)",
                self.sink_url()
            ))),
        }
    }

    /// Waits until the sink has applied the fault rule `id` at least once, that is until
    /// the target tried to send through it and was refused; fails after
    /// [`ARRIVAL_TIMEOUT`]. The sink's rule list is read every 20 ms (it has no
    /// long poll for rules); nothing else is waited for.
    pub async fn fault_applied(&self, id: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + ARRIVAL_TIMEOUT;
        loop {
            let rules = self.client.faults().await.map_err(|e| {
                anyhow::Error::new(e).context(format!(
                    "reading the fault rules of the mail sink at {}",
                    self.sink_url()
                ))
            })?;
            match rules.iter().find(|r| r.id == id) {
                Some(rule) if rule.applied > 0 => return Ok(()),
                Some(_) => {}
                None => anyhow::bail!("fault rule {id} is no longer on the mail sink"),
            }
            if Instant::now() >= deadline {
                anyhow::bail!(
                    "the portal did not try to send any email while the mail server was down \
                     (fault rule {id} was never applied within {ARRIVAL_TIMEOUT:?}): the \
                     outage was not exercised"
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Removes the fault rule `id` (see [`Mailbox::refuse_mail_to`]).
    pub async fn remove_fault(&self, id: &str) -> anyhow::Result<()> {
        self.client.delete_fault(id).await.map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "removing fault rule {id} from the mail sink at {}",
                self.sink_url()
            ))
        })
    }

    /// The messages read since the last call, oldest first.
    pub fn take_read(&mut self) -> Vec<EmailSeen> {
        std::mem::take(&mut self.read)
    }

    /// Marks a message as read by this scenario.
    pub fn mark_read(&mut self, msg: &Message) {
        let term = identifying_term(msg);
        if !self.seen.contains(&term) {
            self.seen.push(term);
        }
    }

    /// Succeeds if no unread message to `to` matching `words` arrives within
    /// [`ABSENCE_TIMEOUT`]; returns the message otherwise.
    pub async fn none(&self, to: &str, words: &str) -> anyhow::Result<()> {
        match self.within_absence_timeout(to, words).await? {
            None => Ok(()),
            Some(msg) => anyhow::bail!(
                "an email to {to} arrived although none should: subject {:?}, text:\n{}",
                msg.subject,
                msg.text
            ),
        }
    }

    /// Whether an unread message to `to` matching `words` is there or arrives within
    /// [`ABSENCE_TIMEOUT`] (it is not marked read).
    pub async fn arrived(&self, to: &str, words: &str) -> anyhow::Result<bool> {
        Ok(self.within_absence_timeout(to, words).await?.is_some())
    }

    async fn within_absence_timeout(
        &self,
        to: &str,
        words: &str,
    ) -> anyhow::Result<Option<Message>> {
        let query = self.unseen_query(to, words);
        match self.wait_for(&query, ABSENCE_TIMEOUT).await {
            Err(WaitError::Timeout { .. }) => Ok(None),
            Ok(msg) => Ok(Some(msg)),
            Err(e) => Err(anyhow::Error::new(e).context("asking the mail sink")),
        }
    }

    /// How many messages to `to` matching `words` the sink holds (read or not).
    pub async fn count(&self, to: &str, words: &str) -> anyhow::Result<u64> {
        let summary = self
            .client
            .search(format!("to:{to} {words}").trim())
            .await
            .map_err(|e| anyhow::Error::new(e).context("searching the mail sink"))?;
        Ok(summary.messages_count.max(summary.messages.len() as u64))
    }

    /// A line listing what did arrive for `to`, for failure messages.
    async fn describe_others(&self, to: &str) -> String {
        match self.client.search(&format!("to:{to}")).await {
            Ok(s) if s.messages.is_empty() => format!("; the sink holds no email to {to} at all"),
            Ok(s) => format!(
                "; the sink holds for {to}: {}",
                s.messages
                    .iter()
                    .map(|m| format!("{:?}", m.subject))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Err(e) => format!("; the sink could not be searched: {e}"),
        }
    }
}

/// Whether the sink answered that it has no such call (404/405: not this project's sink).
fn no_such_call(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<reqwest::Error>()
            .and_then(reqwest::Error::status)
            .is_some_and(|s| s.as_u16() == 404 || s.as_u16() == 405)
    })
}

/// `msg` with its links, found in its text and HTML when the sink did not list them (a
/// Mailpit message has no `Links`).
fn with_links(mut msg: Message) -> Message {
    if msg.links.is_empty() {
        let mut links: Vec<String> = Vec::new();
        let hrefs = msg.html.split("href=").skip(1).filter_map(|rest| {
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            rest[1..].split(quote).next()
        });
        let bare = msg
            .text
            .split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"));
        for link in hrefs.chain(bare) {
            let link = link.replace("&amp;", "&");
            if link.starts_with("http") && !links.contains(&link) {
                links.push(link);
            }
        }
        msg.links = links;
    }
    msg
}

/// The first link in `msg` whose path starts with `path` (e.g. `/recover`).
pub fn link_to(msg: &Message, path: &str) -> anyhow::Result<url::Url> {
    msg.links
        .iter()
        .filter_map(|l| url::Url::parse(l).ok())
        .find(|u| u.path().starts_with(path))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the email {:?} holds no link to {path}; its links: {:?}",
                msg.subject,
                msg.links
            )
        })
}

/// Every piece of text a reader of `msg` sees: subject, text part, HTML part, links.
pub fn full_text(msg: &Message) -> String {
    format!(
        "{}\n{}\n{}\n{}",
        msg.subject,
        msg.text,
        msg.html,
        msg.links.join("\n")
    )
}

/// The values of `token`-like query parameters in `url`, and token-like segments of its
/// path (16 characters or more): what must stay secret.
pub fn secrets_in(url: &url::Url) -> Vec<String> {
    url.query_pairs()
        .filter(|(k, v)| !k.is_empty() && v.len() >= 16)
        .map(|(_, v)| v.into_owned())
        .chain(
            url.path_segments()
                .into_iter()
                .flatten()
                .filter(|s| s.len() >= 16)
                .map(str::to_owned),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(links: &[&str]) -> Message {
        Message {
            subject: "Reset".into(),
            links: links.iter().map(|s| s.to_string()).collect(),
            ..Message::default()
        }
    }

    #[test]
    fn unread_messages_are_excluded_by_message_id() {
        let mut mb = Mailbox::new(
            "http://127.0.0.1:1/",
            &MailSettings::default(),
            Arc::default(),
        );
        assert_eq!(mb.unseen_query("a@b.test", ""), "to:a@b.test");
        mb.mark_read(&Message {
            message_id: "<1@x>".into(),
            ..Message::default()
        });
        mb.mark_read(&Message {
            message_id: "<1@x>".into(),
            ..Message::default()
        });
        assert_eq!(
            mb.unseen_query("a@b.test", "subject:\"reset\""),
            "to:a@b.test subject:\"reset\" -message-id:<1@x>"
        );
        mb.mark_read(&Message {
            links: vec!["http://p.test/recover?token=abcdefghijklmnopqrstuvwxyz".into()],
            ..Message::default()
        });
        mb.mark_read(&Message {
            subject: "Your \"password\" was changed".into(),
            ..Message::default()
        });
        assert_eq!(
            mb.unseen_query("a@b.test", ""),
            "to:a@b.test -message-id:<1@x> -abcdefghijklmnopqrstuvwxyz -subject:\"Your  password  was changed\""
        );
        assert_eq!(mb.sink_url(), "http://127.0.0.1:1");
    }

    #[test]
    fn links_are_picked_by_path() {
        let m = msg(&[
            "https://x.test/help",
            "https://x.test/recover?token=abcdefabcdefabcdef",
        ]);
        assert_eq!(link_to(&m, "/recover").unwrap().path(), "/recover");
        assert!(
            link_to(&m, "/confirm")
                .unwrap_err()
                .to_string()
                .contains("/help")
        );
    }

    #[test]
    fn long_query_values_and_path_segments_count_as_secrets() {
        let u = url::Url::parse("https://x.test/recover?token=abcdefabcdefabcdef&lang=en").unwrap();
        assert_eq!(secrets_in(&u), vec!["abcdefabcdefabcdef".to_owned()]);
        let u = url::Url::parse("https://x.test/reset/MQ/cz1k2a-0123456789abcdef0123/").unwrap();
        assert_eq!(
            secrets_in(&u),
            vec!["cz1k2a-0123456789abcdef0123".to_owned()]
        );
    }

    #[test]
    fn links_are_found_when_the_sink_lists_none() {
        let m = with_links(Message {
            text: "Open https://x.test/reset/MQ/abc/ to go on.\nhttps://x.test/help".into(),
            html: "<a href=\"https://x.test/reset/MQ/abc/?a=1&amp;b=2\">here</a>".into(),
            ..Message::default()
        });
        assert_eq!(
            m.links,
            [
                "https://x.test/reset/MQ/abc/?a=1&b=2",
                "https://x.test/reset/MQ/abc/",
                "https://x.test/help"
            ]
        );
    }
}
