//! The embedded store: sled trees for sessions, answers and events. The only module that knows sled.
//!
//! Trees (keys and values are versioned so later releases can read what earlier ones wrote):
//! - `sessions`: resume token → `{v, session, updated}`.
//! - `answers`: `visitor-or-session \0 question` → `{v, flow, answer, at}` (zero-party data, latest per question).
//! - `events`: big-endian time + sequence → a batch of events as JSON lines, each `{v, session, flow, event, at}`
//!   (analytics; no personal data). Events wait in memory and are written as one batch by the group commit that
//!   makes the turn recording them durable: one insert per flush instead of one per event (appending single
//!   events at the tree's end split its last page again and again, a tenth of a turn's CPU).
//!
//! Writes: a turn only queues its records; the group commit inserts everything queued, then flushes, on the
//! flusher's thread (so no sled work runs on the async runtime). Readers see queued records at once.
//!
//! Durability: sled makes writes durable only at `flush`. [`Store::durable`] is a *group commit*: every caller
//! waiting while a flush runs is covered by the next one, so a hundred sessions acknowledging answers at once cost
//! a handful of flushes, not a hundred.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::conversation::{Answer, Event, Session};

const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data directory `{path}`: {source}; choose a writable one with --data")]
    Unwritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "data directory `{path}` is in use by another shopkeep; stop that server or pass another --data"
    )]
    Locked { path: PathBuf },
    #[error("cannot open the store in `{path}`: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    #[error("store: a record is unreadable ({0}); it was written by another version")]
    Corrupt(String),
    #[error("store: the flusher has stopped")]
    Closed,
}

#[derive(Deserialize)]
struct StoredSession {
    v: u32,
    session: Session,
    updated: u64,
}

/// What [`StoredSession`] reads, written from a borrowed session (a turn stores its session without copying it).
#[derive(Serialize)]
struct SessionRecord<'a> {
    v: u32,
    session: &'a Session,
    updated: u64,
}

#[derive(Serialize)]
struct StoredAnswer<'a> {
    v: u32,
    flow: &'a str,
    answer: &'a Answer,
    at: u64,
}

#[derive(Serialize)]
struct StoredEvent<'a> {
    v: u32,
    session: &'a str,
    flow: &'a str,
    event: &'a Event,
    at: u64,
}

/// An analytics event as stored: which session of which flow, what happened, when (seconds since the epoch).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RecordedEvent {
    pub session: String,
    pub flow: String,
    pub event: Event,
    pub at: u64,
}

/// Past this many bytes of waiting events, recording one asks for a flush, so events recorded without a turn
/// waiting for durability (a view, a click) are written soon even when no turn follows.
const PENDING_EVENTS_FLUSH: usize = 64 * 1024;

/// Writes waiting for the next group commit. A turn only serialises its records into here (no sled work on the
/// async runtime); the flusher inserts them just before it flushes, on its own thread.
#[derive(Clone, Default)]
struct Waiting {
    /// Resume token → session record; a later write of the same session replaces the earlier one.
    sessions: HashMap<String, Vec<u8>>,
    /// Answer key → answer record, ordered so a visitor's answers read by prefix.
    answers: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Event records as JSON lines, written as one record.
    events: Vec<u8>,
}

impl Waiting {
    fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.answers.is_empty() && self.events.is_empty()
    }
}

/// What readers see of the writes not yet in the trees: those waiting, and those the flusher is applying now.
#[derive(Default)]
struct Queued {
    waiting: Waiting,
    applying: Option<Arc<Waiting>>,
}

/// The trees and the writes queued for them, shared by every handle on the store.
struct Writes {
    sessions: sled::Tree,
    answers: sled::Tree,
    events: sled::Tree,
    queued: Mutex<Queued>,
    sequence: AtomicU64,
}

impl Drop for Writes {
    /// The last handle gone: what is still queued is written, as sled writes what it holds when it closes.
    fn drop(&mut self) {
        if let Err(error) = self.apply() {
            tracing::error!(%error, "writing the store's queued writes on close failed");
        }
    }
}

impl Writes {
    fn queued(&self) -> std::sync::MutexGuard<'_, Queued> {
        self.queued.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest value queued for a key, looked up in the waiting writes first, then in those being applied.
    fn find<T>(&self, look: impl Fn(&Waiting) -> Option<T>) -> Option<T> {
        let queued = self.queued();
        look(&queued.waiting).or_else(|| queued.applying.as_deref().and_then(&look))
    }

    /// Applies the waiting writes, the events as one record under the next time-ordered key.
    /// Readers keep seeing them (as being applied) until they are in the trees.
    fn apply(&self) -> Result<(), sled::Error> {
        let writes = {
            let mut queued = self.queued();
            if queued.waiting.is_empty() {
                return Ok(());
            }
            let writes = Arc::new(std::mem::take(&mut queued.waiting));
            queued.applying = Some(Arc::clone(&writes));
            writes
        };
        let applied = self.write(&writes);
        self.queued().applying = None;
        if applied.is_err() {
            // Not written: queue them again (under anything written since, which is newer) for the next flush.
            let mut queued = self.queued();
            let again = Arc::unwrap_or_clone(writes);
            for (token, record) in again.sessions {
                queued.waiting.sessions.entry(token).or_insert(record);
            }
            for (key, record) in again.answers {
                queued.waiting.answers.entry(key).or_insert(record);
            }
            let mut events = again.events;
            events.extend_from_slice(&queued.waiting.events);
            queued.waiting.events = events;
        }
        applied
    }

    /// Plain inserts, not `sled::Batch`: the records are independent (the flush makes them durable together), and
    /// a sled batch takes a database-wide lock and seals its own log entry, which costs an extra log write.
    fn write(&self, writes: &Waiting) -> Result<(), sled::Error> {
        for (token, record) in &writes.sessions {
            self.sessions.insert(token.as_bytes(), record.as_slice())?;
        }
        for (key, record) in &writes.answers {
            self.answers.insert(key.as_slice(), record.as_slice())?;
        }
        if !writes.events.is_empty() {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
            let mut key = nanos.to_be_bytes().to_vec();
            key.extend_from_slice(&sequence.to_be_bytes());
            self.events.insert(key, writes.events.as_slice())?;
        }
        Ok(())
    }
}

type Waiter = oneshot::Sender<Result<(), String>>;

/// A flush request: who waits, and what to flush. The request carries the database rather than the flusher
/// keeping a handle of its own, so the database closes (and its folder's lock is released) as soon as the last
/// [`Store`] is dropped and the flushes asked for have run, not whenever the runtime next polls the flusher.
struct Request {
    waiter: Waiter,
    db: sled::Db,
    writes: Arc<Writes>,
}

/// A handle on the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    writes: Arc<Writes>,
    flushes: mpsc::Sender<Request>,
    /// Flushes run by the group-commit flusher so far.
    flushed: Arc<AtomicU64>,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Store {
    /// Opens (creating) the store in `dir` and starts its group-commit flusher thread.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Unwritable {
            path: dir.to_path_buf(),
            source,
        })?;
        let probe = dir.join(".write-test");
        std::fs::write(&probe, b"ok").map_err(|source| StoreError::Unwritable {
            path: dir.to_path_buf(),
            source,
        })?;
        let _ = std::fs::remove_file(&probe);
        let db = sled::Config::new()
            .path(dir.join("store"))
            // Every turn writes; space is cheaper than the write amplification of the default mode.
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|error| match error {
                sled::Error::Io(io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("lock") =>
                {
                    StoreError::Locked {
                        path: dir.to_path_buf(),
                    }
                }
                other => StoreError::Open {
                    path: dir.to_path_buf(),
                    reason: other.to_string(),
                },
            })?;
        let (flushes, waiting) = mpsc::channel();
        let flushed = Arc::new(AtomicU64::new(0));
        let writes = Arc::new(Writes {
            sessions: db.open_tree("sessions")?,
            answers: db.open_tree("answers")?,
            events: db.open_tree("events")?,
            queued: Default::default(),
            sequence: AtomicU64::new(0),
        });
        let counter = flushed.clone();
        std::thread::Builder::new()
            .name("shopkeep-flusher".into())
            .spawn(move || flusher(&waiting, &counter))
            .map_err(|e| StoreError::Open {
                path: dir.to_path_buf(),
                reason: format!("cannot start the flusher thread: {e}"),
            })?;
        Ok(Store {
            writes,
            db,
            flushes,
            flushed,
        })
    }

    pub fn put_session(&self, token: &str, session: &Session) -> Result<(), StoreError> {
        self.put_session_at(token, session, now())
    }

    fn put_session_at(
        &self,
        token: &str,
        session: &Session,
        updated: u64,
    ) -> Result<(), StoreError> {
        let record = SessionRecord {
            v: VERSION,
            session,
            updated,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.writes
            .queued()
            .waiting
            .sessions
            .insert(token.to_owned(), bytes);
        Ok(())
    }

    /// The session stored under `token`, if any and not older than `ttl_secs`.
    pub fn session(&self, token: &str, ttl_secs: u64) -> Result<Option<Session>, StoreError> {
        let queued = self.writes.find(|w| w.sessions.get(token).cloned());
        let bytes = match queued {
            Some(bytes) => bytes,
            None => match self.writes.sessions.get(token.as_bytes())? {
                Some(bytes) => bytes.to_vec(),
                None => return Ok(None),
            },
        };
        let record: StoredSession =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if record.v > VERSION {
            return Err(StoreError::Corrupt(format!(
                "session record version {} is newer than this server's {VERSION}",
                record.v
            )));
        }
        if now().saturating_sub(record.updated) > ttl_secs {
            return Ok(None);
        }
        Ok(Some(record.session))
    }

    /// Removes sessions idle for longer than `ttl_secs`; returns how many.
    pub fn sweep(&self, ttl_secs: u64) -> Result<usize, StoreError> {
        let cutoff = now().saturating_sub(ttl_secs);
        let mut removed = 0;
        // Queued sessions first, so every session is judged by its newest record.
        self.writes.apply()?;
        for entry in self.writes.sessions.iter() {
            let (key, bytes) = entry?;
            let stale = serde_json::from_slice::<StoredSession>(&bytes)
                .map_or(true, |r| r.updated < cutoff);
            if stale {
                self.writes.sessions.remove(key)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Keeps the shopper's answer to `question` (the latest per question and visitor, or per session when the
    /// shopper is anonymous).
    pub fn save_answer(
        &self,
        session: &Session,
        question: &str,
        answer: &Answer,
    ) -> Result<(), StoreError> {
        let owner = session.visitor.as_deref().unwrap_or(&session.id);
        let key = format!("{owner}\0{question}");
        let record = StoredAnswer {
            v: VERSION,
            flow: &session.flow,
            answer,
            at: now(),
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.writes
            .queued()
            .waiting
            .answers
            .insert(key.into_bytes(), bytes);
        Ok(())
    }

    /// The stored answers of a visitor (or anonymous session), by question.
    pub fn answers_of(&self, owner: &str) -> Result<Vec<(String, Answer)>, StoreError> {
        let prefix = format!("{owner}\0").into_bytes();
        // Stored answers, then the queued ones over them (being applied, then waiting: newest last).
        let mut records: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for entry in self.writes.answers.scan_prefix(&prefix) {
            let (key, bytes) = entry?;
            records.insert(key.to_vec(), bytes.to_vec());
        }
        {
            let queued = self.writes.queued();
            let layers = queued
                .applying
                .as_deref()
                .into_iter()
                .chain([&queued.waiting]);
            for layer in layers {
                for (key, bytes) in layer.answers.range(prefix.clone()..) {
                    if !key.starts_with(&prefix) {
                        break;
                    }
                    records.insert(key.clone(), bytes.clone());
                }
            }
        }
        let mut out = Vec::new();
        for (key, bytes) in records {
            let question = String::from_utf8_lossy(&key[prefix.len()..]).to_string();
            let value: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let answer: Answer = serde_json::from_value(value["answer"].clone())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.push((question, answer));
        }
        Ok(out)
    }

    /// Records an analytics event. It is written with the next group commit: durable once a later
    /// [`Store::durable`] resolves (a turn's own events are durable with its acknowledgement).
    pub fn record_event(&self, session: &Session, event: &Event) -> Result<(), StoreError> {
        let record = StoredEvent {
            v: VERSION,
            session: &session.id,
            flow: &session.flow,
            event,
            at: now(),
        };
        let waiting = {
            let mut queued = self.writes.queued();
            let events = &mut queued.waiting.events;
            serde_json::to_writer(&mut *events, &record)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            events.push(b'\n');
            events.len()
        };
        if waiting >= PENDING_EVENTS_FLUSH {
            self.flush_soon();
        }
        Ok(())
    }

    /// Asks for a group commit without waiting for it (for writes nobody acknowledges, such as a click).
    pub fn flush_soon(&self) {
        // Nobody waits for this flush: the receiver is dropped at once.
        let (done, _) = oneshot::channel();
        let _ = self.flushes.send(self.request(done));
    }

    /// Every event recorded so far, oldest first (those still waiting for a flush last).
    pub fn events(&self) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut out = Vec::new();
        let mut read = |batch: &[u8]| -> Result<(), StoreError> {
            for line in batch.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                out.push(
                    serde_json::from_slice(line).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                );
            }
            Ok(())
        };
        for entry in self.writes.events.iter() {
            let (_, batch) = entry?;
            read(&batch)?;
        }
        let queued: Vec<u8> = {
            let queued = self.writes.queued();
            let applying = queued.applying.as_deref().map(|w| w.events.as_slice());
            [
                applying.unwrap_or_default(),
                queued.waiting.events.as_slice(),
            ]
            .concat()
        };
        read(&queued)?;
        Ok(out)
    }

    /// Resolves once everything written before the call is on disk (group commit).
    pub async fn durable(&self) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.flushes
            .send(self.request(done))
            .map_err(|_| StoreError::Closed)?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(StoreError::Open {
                path: PathBuf::from("store"),
                reason,
            }),
            Err(_) => Err(StoreError::Closed),
        }
    }

    fn request(&self, waiter: Waiter) -> Request {
        Request {
            waiter,
            db: self.db.clone(),
            writes: self.writes.clone(),
        }
    }

    /// How many group-commit flushes have run (each covers every acknowledgement waiting when it started).
    pub fn flush_count(&self) -> u64 {
        self.flushed.load(Ordering::Relaxed)
    }
}

/// Serves flush requests on a thread of its own: takes every request waiting, runs one flush, answers them all.
/// Ends when the last [`Store`] is gone (the channel closes) and nothing is left to flush.
fn flusher(waiting: &mpsc::Receiver<Request>, flushed: &AtomicU64) {
    let mut concurrent = false;
    while let Ok(first) = waiting.recv() {
        let mut batch = vec![first.waiter];
        // Every store handle shares one database, so one flush covers every request waiting.
        while let Ok(more) = waiting.try_recv() {
            batch.push(more.waiter);
        }
        // When the last flush was shared, others are likely on their way: wait a moment for them, so that one
        // flush covers more acknowledgements. A lone conversation never waits. Sleeping rather than waiting on
        // the channel matters: a receiver blocked on it is woken by every send.
        // The wait ends early once a slice of it brings nobody: everyone who was coming is here.
        if concurrent {
            let deadline = std::time::Instant::now() + COMMIT_DELAY;
            while std::time::Instant::now() < deadline {
                std::thread::sleep(COMMIT_DELAY / 4);
                let before = batch.len();
                while let Ok(more) = waiting.try_recv() {
                    batch.push(more.waiter);
                }
                if batch.len() == before {
                    break;
                }
            }
        }
        concurrent = batch.len() > 1;
        flushed.fetch_add(1, Ordering::Relaxed);
        let outcome = first
            .writes
            .apply()
            .and_then(|()| first.db.flush().map(drop))
            .map_err(|e| e.to_string());
        // Let go of the database before answering: once the last waiter hears back, no flush holds it open.
        drop((first.db, first.writes));
        for waiter in batch {
            let _ = waiter.send(outcome.clone());
        }
    }
}

/// How long a group commit waits for more acknowledgements once the previous one was shared. At 100 busy
/// conversations it triples the acknowledgements per flush (7 → 21) for the same turn latency; a lone
/// conversation never waits.
const COMMIT_DELAY: std::time::Duration = std::time::Duration::from_micros(200);

/// A fresh unguessable token: 128 bits from the operating system's CSPRNG-seeded ChaCha generator, as hex.
pub fn new_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Position;

    fn session(id: &str) -> Session {
        Session {
            id: id.into(),
            flow: "running-shoes".into(),
            flow_version: "v1".into(),
            locale: "en".into(),
            visitor: None,
            at: Position::Asking("terrain".into()),
            answers: Vec::new(),
            misses: 0,
        }
    }

    #[tokio::test]
    async fn idle_sessions_expire_and_are_swept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        store.put_session("fresh", &session("a")).expect("put");
        store
            .put_session_at("stale", &session("b"), now() - 3600)
            .expect("put");
        assert_eq!(
            store.session("fresh", 60).expect("read"),
            Some(session("a"))
        );
        assert_eq!(
            store.session("stale", 60).expect("read"),
            None,
            "an expired session cannot be resumed"
        );
        assert!(store.session("stale", 7200).expect("read").is_some());
        assert_eq!(store.sweep(60).expect("sweep"), 1);
        assert_eq!(store.sweep(60).expect("sweep"), 0);
        assert!(
            store.session("stale", 7200).expect("read").is_none(),
            "swept away"
        );
        assert!(store.session("fresh", 60).expect("read").is_some());
    }

    #[tokio::test]
    async fn a_second_store_on_the_same_folder_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let _first = Store::open(dir.path()).expect("open");
        let second = Store::open(dir.path()).err().expect("refused");
        assert!(matches!(second, StoreError::Locked { .. }), "{second}");
    }

    #[tokio::test]
    async fn events_are_written_in_one_batch_per_flush_and_read_back_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let s = session("a");
        let recorded = [
            Event::Started,
            Event::Answered {
                question: "terrain".into(),
            },
            Event::Viewed {
                product: "p-1".into(),
            },
        ];
        for event in &recorded {
            store.record_event(&s, event).expect("record");
        }
        let read: Vec<Event> = store
            .events()
            .expect("read")
            .into_iter()
            .map(|r| r.event)
            .collect();
        assert_eq!(read, recorded, "waiting events are read too");
        store.durable().await.expect("durable");
        assert_eq!(store.writes.events.len(), 1, "one batch for the three");
        store
            .record_event(&s, &Event::Consent { given: true })
            .expect("record");
        store.durable().await.expect("durable");
        assert_eq!(store.writes.events.len(), 2);
        let all = store.events().expect("read");
        assert_eq!(all.len(), 4);
        assert_eq!(all[3].event, Event::Consent { given: true });
        assert!(
            all.iter()
                .all(|r| r.session == "a" && r.flow == "running-shoes")
        );
        // The last handle closes the database at once: the folder can be opened again straight away.
        drop(store);
        let reopened = Store::open(dir.path()).expect("reopens without waiting for the flusher");
        assert_eq!(
            reopened.events().expect("read").len(),
            4,
            "they were durable"
        );
    }

    #[tokio::test]
    async fn queued_writes_are_read_at_once_and_written_by_the_flush_or_on_close() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let mut s = session("a");
        s.visitor = Some("v-1".into());
        store.put_session("t-1", &s).expect("put");
        let trail = Answer::Choice {
            value: "trail".into(),
        };
        store.save_answer(&s, "terrain", &trail).expect("save");
        assert_eq!(
            store.writes.sessions.len(),
            0,
            "queued, not yet in the tree"
        );
        assert_eq!(store.session("t-1", 60).expect("read"), Some(s.clone()));
        assert_eq!(
            store.answers_of("v-1").expect("read"),
            [("terrain".to_string(), trail.clone())]
        );
        store.durable().await.expect("durable");
        assert_eq!(store.writes.sessions.len(), 1, "the flush wrote it");
        assert_eq!(store.writes.answers.len(), 1);
        // A newer answer, queued over the stored one, wins; the store closes without a flush asked for.
        let road = Answer::Choice {
            value: "road".into(),
        };
        store.save_answer(&s, "terrain", &road).expect("save");
        assert_eq!(
            store.answers_of("v-1").expect("read"),
            [("terrain".to_string(), road.clone())]
        );
        drop(store);
        let reopened = Store::open(dir.path()).expect("reopen");
        assert_eq!(
            reopened.answers_of("v-1").expect("read"),
            [("terrain".to_string(), road)],
            "what was queued is written when the last handle closes"
        );
        assert_eq!(reopened.session("t-1", 60).expect("read"), Some(s));
    }

    #[tokio::test]
    async fn many_waiters_share_few_flushes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let waits: Vec<_> = (0..200)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .put_session(&format!("t{n}"), &session("s"))
                        .expect("put");
                    store.durable().await
                })
            })
            .collect();
        for wait in waits {
            wait.await.expect("join").expect("durable");
        }
        assert_eq!(store.writes.sessions.len(), 200);
        let flushes = store.flush_count();
        assert!(
            (1..=20).contains(&flushes),
            "200 durable acknowledgements took {flushes} flushes"
        );
    }
}
