//! The message store: an in-memory index (newest last) with retention limits, optionally
//! backed by SQLite.
//!
//! Invariants:
//! - A message is in the store (and, with `--db`, committed to SQLite) *before* the SMTP
//!   session answers `250`: there is no channel between SMTP and the store that could
//!   drop a message.
//! - Memory holds raw bytes once (none with `--db`: they are read back on demand) plus a
//!   small [`Summary`]; listings never touch bodies.
//! - Waiters are woken through a `watch` of the newest sequence number, which cannot lag;
//!   the `broadcast` of [`Event`]s feeds only the UI, where a lag just means a reload.
//! - Read state and tags live on the entry and, with `--db`, in the same row; a message
//!   arrives unread, with the tags of `tags::on_arrival`. The index counts each tag's
//!   messages as they come, change and go, so a tag list never reads every message.
//! - Retention drops the oldest first: past `max_age` (at each arrival and each minute),
//!   then over the count and byte limits.

use std::collections::BTreeMap;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use anyhow::Context as _;
use axum::body::Bytes;
use rand::Rng as _;
use sqlx::Row as _;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{broadcast, watch};

use crate::clock::SinkClock;
use crate::model::{Envelope, Message, MessageSummary};
use crate::parse::{self, Summary};
use crate::query::Query;

/// Length of generated message IDs (as Mailpit's).
const ID_LEN: usize = 22;

/// One stored message.
#[derive(Debug)]
pub(crate) struct Entry {
    pub id: Box<str>,
    /// Arrival order, strictly increasing.
    pub seq: u64,
    /// Arrival time (what `max_age` measures).
    created: OffsetDateTime,
    /// Arrival time in RFC 3339, formatted once (listings print it for every row).
    created_str: Box<str>,
    pub size: u64,
    pub read: AtomicBool,
    /// Sorted, unique regardless of case (`tags.rs`).
    tags: RwLock<Vec<String>>,
    pub summary: Summary,
    /// The raw message when kept in memory; `None` when it lives in SQLite.
    raw: Option<Bytes>,
    /// The SMTP session that delivered it (sessions are not kept across restarts).
    pub session: Option<Arc<str>>,
}

impl Entry {
    pub fn created_rfc3339(&self) -> &str {
        &self.created_str
    }

    /// The message's tags.
    pub fn tags(&self) -> Vec<String> {
        self.tags
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether `query` matches this message (its tags are read only for `tag:`).
    pub fn matches(&self, query: &Query) -> bool {
        if query.has_tag_terms() {
            query.matches_tagged(&self.summary, &self.tags())
        } else {
            query.matches(&self.summary)
        }
    }

    fn set_tags(&self, tags: Vec<String>) {
        *self.tags.write().unwrap_or_else(PoisonError::into_inner) = tags;
    }

    /// The listing row for this message.
    pub fn to_summary(&self) -> MessageSummary {
        let s = &self.summary;
        MessageSummary {
            id: self.id.to_string(),
            message_id: s.message_id.clone(),
            read: self.read.load(Ordering::Relaxed),
            from: s.from.clone(),
            to: s.to.clone(),
            cc: s.cc.clone(),
            bcc: s.bcc.clone(),
            reply_to: s.reply_to.clone(),
            subject: s.subject.clone(),
            created: self.created_rfc3339().to_owned(),
            tags: self.tags(),
            size: self.size,
            attachments: s.attachments,
            snippet: s.snippet.clone(),
            codes: s.codes.clone(),
        }
    }
}

/// A change of the store, for live events (SSE). It carries the entries, so that each
/// stream can keep only what its query matches, and nothing is serialized while no one
/// listens.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// A message was stored.
    New(Arc<Entry>),
    /// Messages were deleted, or dropped by retention.
    Delete(Arc<[Arc<Entry>]>),
    /// Everything was deleted.
    Clear,
}

/// Retention limits; zero means unlimited.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_messages: usize,
    pub max_total_bytes: u64,
}

#[derive(Default)]
struct Index {
    entries: VecDeque<Arc<Entry>>,
    by_id: HashMap<Box<str>, Arc<Entry>>,
    total_bytes: u64,
    next_seq: u64,
    /// How many messages carry each tag (none at zero), kept with the entries so that
    /// listing the tags, or spelling a new one, never reads every message.
    tags: BTreeMap<String, u64>,
}

impl Index {
    /// Adds a message as the newest.
    fn push(&mut self, entry: Arc<Entry>) {
        self.total_bytes += entry.size;
        self.count_tags(&entry.tags(), true);
        self.by_id.insert(entry.id.clone(), entry.clone());
        self.entries.push_back(entry);
    }

    /// Counts `tags` in (`add`) or out.
    fn count_tags(&mut self, tags: &[String], add: bool) {
        for tag in tags {
            if add {
                *self.tags.entry(tag.clone()).or_default() += 1;
            } else if let Some(n) = self.tags.get_mut(tag) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.tags.remove(tag);
                }
            }
        }
    }

    /// What a message took with it when it left.
    fn forget(&mut self, entry: &Entry) {
        self.total_bytes = self.total_bytes.saturating_sub(entry.size);
        self.count_tags(&entry.tags(), false);
    }

    fn remove(&mut self, id: &str) -> Option<Arc<Entry>> {
        let entry = self.by_id.remove(id)?;
        // Entries are sorted by seq, so the position is found by binary search.
        if let Ok(pos) = self.entries.binary_search_by_key(&entry.seq, |e| e.seq) {
            self.entries.remove(pos);
        }
        self.forget(&entry);
        Some(entry)
    }

    /// Drops the oldest messages while `over` says so.
    fn evict_while(&mut self, over: impl Fn(&Self) -> bool) -> Vec<Arc<Entry>> {
        let mut evicted = Vec::new();
        while over(self) {
            let Some(oldest) = self.entries.pop_front() else {
                break;
            };
            self.by_id.remove(&oldest.id);
            self.forget(&oldest);
            evicted.push(oldest);
        }
        evicted
    }

    /// Drops the oldest messages over the limits, but always keeps the newest one.
    fn evict(&mut self, limits: Limits) -> Vec<Arc<Entry>> {
        self.evict_while(|index| {
            index.entries.len() > 1
                && ((limits.max_messages > 0 && index.entries.len() > limits.max_messages)
                    || (limits.max_total_bytes > 0 && index.total_bytes > limits.max_total_bytes))
        })
    }

    /// Drops the messages that arrived before `cutoff` (oldest first).
    fn evict_before(&mut self, cutoff: OffsetDateTime) -> Vec<Arc<Entry>> {
        self.evict_while(|index| index.entries.front().is_some_and(|e| e.created < cutoff))
    }
}

/// Running totals for `GET /api/v1/info` (Mailpit's `RuntimeStats`), since start.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Messages stored (by SMTP or the send API).
    pub accepted: AtomicU64,
    /// Their bytes.
    pub accepted_bytes: AtomicU64,
    /// Messages deleted, by a client or by retention.
    pub deleted: AtomicU64,
}

/// A page of results plus the counts Mailpit reports.
pub(crate) struct Page {
    pub entries: Vec<Arc<Entry>>,
    pub total: u64,
    pub unread: u64,
    pub matched: u64,
}

/// The store shared by the SMTP and HTTP sides.
pub(crate) struct Store {
    index: RwLock<Index>,
    db: Option<SqlitePool>,
    limits: Limits,
    /// Messages older than this are dropped (`None`: kept whatever their age).
    max_age: Option<Duration>,
    clock: SinkClock,
    stats: Stats,
    newest: watch::Sender<u64>,
    events: broadcast::Sender<Event>,
}

fn rfc3339(t: OffsetDateTime) -> Box<str> {
    t.format(&Rfc3339).unwrap_or_default().into()
}

fn new_id() -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(ID_LEN)
        .map(char::from)
        .collect()
}

impl Store {
    /// Opens the store; with a database path, creates the schema and loads what is there.
    #[cfg(test)]
    pub async fn open(db: Option<&Path>, limits: Limits) -> anyhow::Result<Self> {
        Self::open_with(db, limits, None, SinkClock::system()).await
    }

    /// [`Store::open`] with retention by age, measured on `clock`.
    pub async fn open_with(
        db: Option<&Path>,
        limits: Limits,
        max_age: Option<Duration>,
        clock: SinkClock,
    ) -> anyhow::Result<Self> {
        let (newest, _) = watch::channel(0);
        let (events, _) = broadcast::channel(1024);
        let mut store = Self {
            index: RwLock::new(Index::default()),
            db: None,
            limits,
            max_age: max_age.filter(|age| !age.is_zero()),
            clock,
            stats: Stats::default(),
            newest,
            events,
        };
        if let Some(path) = db {
            let pool = open_db(path).await?;
            store.load(&pool).await?;
            store.db = Some(pool);
        }
        Ok(store)
    }

    fn read(&self) -> RwLockReadGuard<'_, Index> {
        // A panic while holding the lock cannot leave the index half-updated in a way
        // that matters more than refusing all further mail would.
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(PoisonError::into_inner)
    }

    async fn load(&self, pool: &SqlitePool) -> anyhow::Result<()> {
        let rows =
            sqlx::query("SELECT id, created, size, read, tags, meta FROM messages ORDER BY seq")
                .fetch_all(pool)
                .await
                .context("Failed to load messages from SQLite")?;
        let evicted = {
            let mut index = self.write();
            for row in rows {
                let id: String = row.try_get("id")?;
                let created: String = row.try_get("created")?;
                let size: i64 = row.try_get("size")?;
                let read: bool = row.try_get("read")?;
                let tags: String = row.try_get("tags")?;
                let meta: String = row.try_get("meta")?;
                let summary: Summary = match serde_json::from_str(&meta) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(%id, error = %e, "skipping a stored message with unreadable metadata");
                        continue;
                    }
                };
                let seq = index.next_seq + 1;
                index.next_seq = seq;
                // A row with an unreadable time (written by hand) gets "now".
                let created =
                    OffsetDateTime::parse(&created, &Rfc3339).unwrap_or_else(|_| self.clock.now());
                let entry = Arc::new(Entry {
                    id: id.into(),
                    seq,
                    created,
                    created_str: rfc3339(created),
                    size: u64::try_from(size).unwrap_or_default(),
                    read: AtomicBool::new(read),
                    tags: RwLock::new(serde_json::from_str(&tags).unwrap_or_default()),
                    summary,
                    raw: None,
                    session: None,
                });
                index.push(entry);
            }
            let seq = index.next_seq;
            self.newest.send_replace(seq);
            let mut evicted = self
                .cutoff()
                .map_or_else(Vec::new, |c| index.evict_before(c));
            evicted.extend(index.evict(self.limits));
            evicted
        };
        self.delete_rows(pool, &evicted).await;
        Ok(())
    }

    async fn delete_rows(&self, pool: &SqlitePool, entries: &[Arc<Entry>]) {
        for Entry { id, .. } in entries.iter().map(|e| &**e) {
            if let Err(e) = sqlx::query("DELETE FROM messages WHERE id = $1")
                .bind(&**id)
                .execute(pool)
                .await
            {
                tracing::warn!(%id, error = %e, "failed to delete a message from SQLite");
            }
        }
    }

    /// Messages that arrived before this are past `max_age`.
    fn cutoff(&self) -> Option<OffsetDateTime> {
        self.max_age.map(|age| self.clock.now() - age)
    }

    /// Drops the messages past `max_age` (run each minute, besides at each arrival).
    pub async fn prune_aged(&self) {
        let Some(cutoff) = self.cutoff() else {
            return;
        };
        let evicted = self.write().evict_before(cutoff);
        self.dropped(evicted).await;
    }

    /// Removes dropped messages from SQLite, counts them and tells the live streams.
    async fn dropped(&self, evicted: Vec<Arc<Entry>>) {
        if evicted.is_empty() {
            return;
        }
        self.stats
            .deleted
            .fetch_add(evicted.len() as u64, Ordering::Relaxed);
        if let Some(pool) = &self.db {
            self.delete_rows(pool, &evicted).await;
        }
        if self.listened() {
            self.emit(Event::Delete(evicted.into()));
        }
    }

    /// Running totals since start.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Stores a message and wakes waiters. Returns only once it is durable (with `--db`)
    /// and visible to the API. It is stamped with the sink's clock, as Mailpit stamps
    /// the time a message arrives.
    pub async fn insert(
        &self,
        envelope: Envelope,
        raw: Bytes,
        session: Option<Arc<str>>,
    ) -> anyhow::Result<Arc<Entry>> {
        let summary = parse::summarize(&raw, &envelope);
        let tags = crate::tags::on_arrival(&raw, &summary, || self.known_tags());
        let id = new_id();
        let created = self.clock.now();
        let created_str = rfc3339(created);
        let size = raw.len() as u64;
        if let Some(pool) = &self.db {
            let meta = serde_json::to_string(&summary).context("Failed to encode metadata")?;
            sqlx::query(
                "INSERT INTO messages (id, created, size, read, tags, meta, raw) VALUES ($1, $2, $3, 0, $4, $5, $6)",
            )
            .bind(&id)
            .bind(&*created_str)
            .bind(i64::try_from(size).unwrap_or(i64::MAX))
            .bind(serde_json::to_string(&tags).unwrap_or_default())
            .bind(meta)
            .bind(&raw[..])
            .execute(pool)
            .await
            .context("Failed to write the message to SQLite")?;
        }
        let (entry, evicted) = {
            let mut index = self.write();
            let seq = index.next_seq + 1;
            index.next_seq = seq;
            let entry = Arc::new(Entry {
                id: id.into(),
                seq,
                created,
                created_str,
                size,
                read: AtomicBool::new(false),
                tags: RwLock::new(tags),
                summary,
                raw: if self.db.is_some() { None } else { Some(raw) },
                session,
            });
            index.push(entry.clone());
            let mut evicted = self
                .cutoff()
                .map_or_else(Vec::new, |c| index.evict_before(c));
            evicted.extend(index.evict(self.limits));
            (entry, evicted)
        };
        self.stats.accepted.fetch_add(1, Ordering::Relaxed);
        self.stats.accepted_bytes.fetch_add(size, Ordering::Relaxed);
        self.newest.send_replace(entry.seq);
        self.dropped(evicted).await;
        self.emit(Event::New(entry.clone()));
        Ok(entry)
    }

    /// Whether any live event stream is open.
    fn listened(&self) -> bool {
        self.events.receiver_count() > 0
    }

    fn emit(&self, event: Event) {
        // No receiver (no UI open) is not an error.
        let _ = self.events.send(event);
    }

    /// UI events.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// A message by ID, or the newest for `latest`.
    pub fn get(&self, id: &str) -> Option<Arc<Entry>> {
        let index = self.read();
        if id == "latest" {
            index.entries.back().cloned()
        } else {
            index.by_id.get(id).cloned()
        }
    }

    /// The raw bytes of a message.
    pub async fn raw(&self, entry: &Entry) -> anyhow::Result<Bytes> {
        if let Some(raw) = &entry.raw {
            return Ok(raw.clone());
        }
        let pool = self.db.as_ref().context("Message has no raw bytes")?;
        let row = sqlx::query("SELECT raw FROM messages WHERE id = $1")
            .bind(&*entry.id)
            .fetch_optional(pool)
            .await
            .context("Failed to read the message from SQLite")?
            .context("Message was deleted")?;
        let raw: Vec<u8> = row.try_get("raw")?;
        Ok(Bytes::from(raw))
    }

    /// The full message (parses the raw bytes).
    pub async fn message(&self, entry: &Entry) -> anyhow::Result<Message> {
        let raw = self.raw(entry).await?;
        let mut message = parse::full_message(
            &entry.id,
            entry.created_rfc3339(),
            &entry.summary,
            entry.size,
            &raw,
        );
        message.tags = entry.tags();
        message.return_path = entry.summary.envelope.from.clone();
        Ok(message)
    }

    /// Marks a message read (best effort in SQLite: losing a read flag is harmless).
    pub async fn mark_read(&self, entry: &Entry) {
        if entry.read.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Some(pool) = &self.db {
            let _ = sqlx::query("UPDATE messages SET read = 1 WHERE id = $1")
                .bind(&*entry.id)
                .execute(pool)
                .await;
        }
    }

    /// The given messages (unknown IDs are skipped), or all of them for `None`.
    fn entries(&self, ids: Option<&[String]>) -> Vec<Arc<Entry>> {
        let index = self.read();
        match ids {
            Some(ids) => ids
                .iter()
                .filter_map(|id| index.by_id.get(id.as_str()).cloned())
                .collect(),
            None => index.entries.iter().cloned().collect(),
        }
    }

    /// Sets the read state of the given messages, or of all of them for `None`.
    pub async fn set_read(&self, ids: Option<&[String]>, read: bool) -> anyhow::Result<()> {
        let changed: Vec<Arc<Entry>> = self
            .entries(ids)
            .into_iter()
            .filter(|e| e.read.swap(read, Ordering::Relaxed) != read)
            .collect();
        if let Some(pool) = &self.db {
            let mut tx = pool
                .begin()
                .await
                .context("Failed to save the read state")?;
            for e in &changed {
                sqlx::query("UPDATE messages SET read = $1 WHERE id = $2")
                    .bind(read)
                    .bind(&*e.id)
                    .execute(&mut *tx)
                    .await
                    .context("Failed to save the read state")?;
            }
            tx.commit().await.context("Failed to save the read state")?;
        }
        Ok(())
    }

    /// Every tag in use, with how many messages carry it, by name.
    pub fn tag_counts(&self) -> BTreeMap<String, u64> {
        self.read().tags.clone()
    }

    fn known_tags(&self) -> Vec<String> {
        self.read().tags.keys().cloned().collect()
    }

    /// Gives each message the tags `tags_of` makes of its current ones, and saves those
    /// that changed.
    async fn retag(
        &self,
        entries: Vec<Arc<Entry>>,
        tags_of: impl Fn(Vec<String>) -> Vec<String>,
    ) -> anyhow::Result<()> {
        let mut changed = Vec::new();
        {
            // Under the index's lock, so that a message deleted meanwhile is not counted.
            let mut index = self.write();
            for e in entries {
                if !index.by_id.contains_key(&e.id) {
                    continue;
                }
                let before = e.tags();
                let after = tags_of(before.clone());
                if after != before {
                    index.count_tags(&before, false);
                    index.count_tags(&after, true);
                    e.set_tags(after.clone());
                    changed.push((e, after));
                }
            }
        }
        if let Some(pool) = &self.db {
            let mut tx = pool.begin().await.context("Failed to save tags")?;
            for (e, tags) in &changed {
                sqlx::query("UPDATE messages SET tags = $1 WHERE id = $2")
                    .bind(serde_json::to_string(tags).unwrap_or_default())
                    .bind(&*e.id)
                    .execute(&mut *tx)
                    .await
                    .context("Failed to save tags")?;
            }
            tx.commit().await.context("Failed to save tags")?;
        }
        Ok(())
    }

    /// Replaces the tags of the given messages.
    pub async fn set_tags(&self, ids: &[String], tags: &[String]) -> anyhow::Result<()> {
        let known = self.known_tags();
        let tags = crate::tags::normalize(tags.iter().map(String::as_str), &known);
        self.retag(self.entries(Some(ids)), |_| tags.clone()).await
    }

    /// Renames a tag on every message (a message that had both names keeps one).
    pub async fn rename_tag(&self, from: &str, to: &str) -> anyhow::Result<()> {
        self.retag(self.entries(None), |tags| {
            if !tags.iter().any(|t| t == from) {
                return tags;
            }
            let renamed = tags.iter().map(|t| if t == from { to } else { t.as_str() });
            crate::tags::normalize(renamed.collect::<Vec<_>>(), &[to.to_owned()])
        })
        .await
    }

    /// Removes a tag from every message (the messages stay).
    pub async fn delete_tag(&self, name: &str) -> anyhow::Result<()> {
        self.retag(self.entries(None), |mut tags| {
            tags.retain(|t| t != name);
            tags
        })
        .await
    }

    /// Newest first, `start`/`limit` paging, filtered by `query`.
    pub fn search(&self, query: &Query, start: usize, limit: usize) -> Page {
        let index = self.read();
        let total = index.entries.len() as u64;
        let unread = index
            .entries
            .iter()
            .filter(|e| !e.read.load(Ordering::Relaxed))
            .count() as u64;
        if query.is_empty() {
            let entries = index
                .entries
                .iter()
                .rev()
                .skip(start)
                .take(limit)
                .cloned()
                .collect();
            return Page {
                entries,
                total,
                unread,
                matched: total,
            };
        }
        let mut matched = 0u64;
        let mut entries = Vec::new();
        for e in index.entries.iter().rev() {
            if e.matches(query) {
                if matched as usize >= start && entries.len() < limit {
                    entries.push(e.clone());
                }
                matched += 1;
            }
        }
        Page {
            entries,
            total,
            unread,
            matched,
        }
    }

    /// The newest message matching `query` with a sequence number above `after`, and
    /// the highest sequence number looked at.
    fn newest_match_after(&self, query: &Query, after: u64) -> (Option<Arc<Entry>>, u64) {
        let index = self.read();
        let top = index.entries.back().map_or(after, |e| e.seq);
        let found = index
            .entries
            .iter()
            .rev()
            .take_while(|e| e.seq > after)
            .find(|e| e.matches(query))
            .cloned();
        (found, top.max(after))
    }

    /// Waits until a message matching `query` exists; `None` on timeout.
    pub async fn wait_for(&self, query: &Query, timeout: Duration) -> Option<Arc<Entry>> {
        // Subscribe before looking, so an arrival between the look and the wait still
        // wakes us.
        let mut newest = self.newest.subscribe();
        let wait = async {
            let mut seen = 0;
            loop {
                newest.borrow_and_update();
                let (found, top) = self.newest_match_after(query, seen);
                if found.is_some() {
                    return found;
                }
                seen = top;
                if newest.changed().await.is_err() {
                    return None;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.ok().flatten()
    }

    /// Deletes the given messages; returns how many existed.
    pub async fn delete(&self, ids: &[String]) -> anyhow::Result<usize> {
        let removed: Vec<Arc<Entry>> = {
            let mut index = self.write();
            ids.iter().filter_map(|id| index.remove(id)).collect()
        };
        if let Some(pool) = &self.db {
            self.delete_rows(pool, &removed).await;
        }
        let count = removed.len();
        self.stats
            .deleted
            .fetch_add(count as u64, Ordering::Relaxed);
        if count > 0 {
            self.emit(Event::Delete(removed.into()));
        }
        Ok(count)
    }

    /// Deletes everything.
    pub async fn clear(&self) -> anyhow::Result<()> {
        {
            let mut index = self.write();
            self.stats
                .deleted
                .fetch_add(index.entries.len() as u64, Ordering::Relaxed);
            index.entries.clear();
            index.by_id.clear();
            index.total_bytes = 0;
            index.tags.clear();
        }
        if let Some(pool) = &self.db {
            sqlx::query("DELETE FROM messages")
                .execute(pool)
                .await
                .context("Failed to clear SQLite")?;
        }
        self.emit(Event::Clear);
        Ok(())
    }

    /// Closes the database, if any.
    pub async fn close(&self) {
        if let Some(pool) = &self.db {
            pool.close().await;
        }
    }
}

async fn open_db(path: &Path) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        // WAL + NORMAL: a commit survives a process crash, and writers do not wait for
        // an fsync per message (an OS crash may lose the last moments, fine for a sink).
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .with_context(|| format!("Failed to open SQLite database {}", path.display()))?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            size INTEGER NOT NULL,
            read INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '[]',
            meta TEXT NOT NULL,
            raw BLOB NOT NULL
        )",
    )
    .execute(&pool)
    .await
    .context("Failed to create the messages table")?;
    // A database from before tags were kept gets the column.
    let has_tags = sqlx::query("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'tags'")
        .fetch_optional(&pool)
        .await
        .context("Failed to read the messages table")?
        .is_some();
    if !has_tags {
        sqlx::query("ALTER TABLE messages ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'")
            .execute(&pool)
            .await
            .context("Failed to add the tags column")?;
    }
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tag counts recounted from the messages themselves.
    fn recount(store: &Store) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for e in &store.read().entries {
            for tag in e.tags() {
                *counts.entry(tag).or_default() += 1;
            }
        }
        counts
    }

    async fn deliver(store: &Store, to: &str) -> String {
        let envelope = Envelope {
            from: "a@example.com".into(),
            to: vec![to.into()],
        };
        let raw = format!("To: {to}\r\nSubject: s\r\n\r\nbody\r\n");
        let entry = store
            .insert(envelope, Bytes::from(raw), None)
            .await
            .unwrap();
        entry.id.to_string()
    }

    #[tokio::test]
    async fn tag_counts_follow_arrivals_changes_deletes_and_retention() {
        let limits = Limits {
            max_messages: 3,
            max_total_bytes: 0,
        };
        let store = Store::open(None, limits).await.unwrap();
        let a = deliver(&store, "x+one@example.com").await;
        let b = deliver(&store, "x+one+two@example.com").await;
        let counts = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
            pairs.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
        };
        assert_eq!(store.tag_counts(), counts(&[("one", 2), ("two", 1)]));
        store
            .set_tags(std::slice::from_ref(&a), &["Two".into(), "three".into()])
            .await
            .unwrap();
        assert_eq!(
            store.tag_counts(),
            counts(&[("one", 1), ("three", 1), ("two", 2)])
        );
        store.rename_tag("two", "one").await.unwrap();
        assert_eq!(store.tag_counts(), counts(&[("one", 2), ("three", 1)]));
        store.delete_tag("three").await.unwrap();
        store.delete(&[b]).await.unwrap();
        assert_eq!(store.tag_counts(), counts(&[("one", 1)]));
        for _ in 0..3 {
            deliver(&store, "y+four@example.com").await;
        }
        // `a` was the oldest: retention dropped it, and its tag with it.
        assert_eq!(store.tag_counts(), counts(&[("four", 3)]));
        assert_eq!(store.tag_counts(), recount(&store));
        store.clear().await.unwrap();
        assert!(store.tag_counts().is_empty());
    }
}
