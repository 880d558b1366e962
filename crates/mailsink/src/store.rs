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

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Arrival time in RFC 3339, formatted once (listings print it for every row).
    created_str: Box<str>,
    pub size: u64,
    pub read: AtomicBool,
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
            tags: Vec::new(),
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
}

impl Index {
    fn remove(&mut self, id: &str) -> Option<Arc<Entry>> {
        let entry = self.by_id.remove(id)?;
        // Entries are sorted by seq, so the position is found by binary search.
        if let Ok(pos) = self.entries.binary_search_by_key(&entry.seq, |e| e.seq) {
            self.entries.remove(pos);
        }
        self.total_bytes = self.total_bytes.saturating_sub(entry.size);
        Some(entry)
    }

    /// Drops the oldest messages over the limits, but always keeps the newest one.
    fn evict(&mut self, limits: Limits) -> Vec<Arc<Entry>> {
        let mut evicted = Vec::new();
        while self.entries.len() > 1
            && ((limits.max_messages > 0 && self.entries.len() > limits.max_messages)
                || (limits.max_total_bytes > 0 && self.total_bytes > limits.max_total_bytes))
        {
            let Some(oldest) = self.entries.pop_front() else {
                break;
            };
            self.by_id.remove(&oldest.id);
            self.total_bytes = self.total_bytes.saturating_sub(oldest.size);
            evicted.push(oldest);
        }
        evicted
    }
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
    pub async fn open(db: Option<&Path>, limits: Limits) -> anyhow::Result<Self> {
        let (newest, _) = watch::channel(0);
        let (events, _) = broadcast::channel(1024);
        let mut store = Self {
            index: RwLock::new(Index::default()),
            db: None,
            limits,
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
        let rows = sqlx::query("SELECT id, created, size, read, meta FROM messages ORDER BY seq")
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
                #[allow(clippy::disallowed_methods)]
                let created = OffsetDateTime::parse(&created, &Rfc3339)
                    .unwrap_or_else(|_| OffsetDateTime::now_utc());
                let entry = Arc::new(Entry {
                    id: id.into(),
                    seq,
                    created_str: rfc3339(created),
                    size: u64::try_from(size).unwrap_or_default(),
                    read: AtomicBool::new(read),
                    summary,
                    raw: None,
                    session: None,
                });
                index.total_bytes += entry.size;
                index.by_id.insert(entry.id.clone(), entry.clone());
                index.entries.push_back(entry);
            }
            let seq = index.next_seq;
            self.newest.send_replace(seq);
            index.evict(self.limits)
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

    /// Stores a message and wakes waiters. Returns only once it is durable (with `--db`)
    /// and visible to the API.
    // The sink has no clock to inject: a message is stamped with the wall clock when it
    // arrives, as Mailpit does.
    #[allow(clippy::disallowed_methods)]
    pub async fn insert(
        &self,
        envelope: Envelope,
        raw: Bytes,
        session: Option<Arc<str>>,
    ) -> anyhow::Result<Arc<Entry>> {
        let summary = parse::summarize(&raw, &envelope);
        let id = new_id();
        let created = OffsetDateTime::now_utc();
        let created_str = rfc3339(created);
        let size = raw.len() as u64;
        if let Some(pool) = &self.db {
            let meta = serde_json::to_string(&summary).context("Failed to encode metadata")?;
            sqlx::query(
                "INSERT INTO messages (id, created, size, read, meta, raw) VALUES ($1, $2, $3, 0, $4, $5)",
            )
            .bind(&id)
            .bind(&*created_str)
            .bind(i64::try_from(size).unwrap_or(i64::MAX))
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
                created_str,
                size,
                read: AtomicBool::new(false),
                summary,
                raw: if self.db.is_some() { None } else { Some(raw) },
                session,
            });
            index.total_bytes += size;
            index.by_id.insert(entry.id.clone(), entry.clone());
            index.entries.push_back(entry.clone());
            let evicted = index.evict(self.limits);
            (entry, evicted)
        };
        self.newest.send_replace(entry.seq);
        if !evicted.is_empty() {
            if let Some(pool) = &self.db {
                self.delete_rows(pool, &evicted).await;
            }
            if self.listened() {
                self.emit(Event::Delete(evicted.into()));
            }
        }
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
        Ok(parse::full_message(
            &entry.id,
            entry.created_rfc3339(),
            &entry.summary,
            entry.size,
            &raw,
        ))
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
            if query.matches(&e.summary) {
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
            .find(|e| query.matches(&e.summary))
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
        if count > 0 {
            self.emit(Event::Delete(removed.into()));
        }
        Ok(count)
    }

    /// Deletes everything.
    pub async fn clear(&self) -> anyhow::Result<()> {
        {
            let mut index = self.write();
            index.entries.clear();
            index.by_id.clear();
            index.total_bytes = 0;
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
            meta TEXT NOT NULL,
            raw BLOB NOT NULL
        )",
    )
    .execute(&pool)
    .await
    .context("Failed to create the messages table")?;
    Ok(pool)
}
