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

mod commit;

use commit::{Request, Waiter, Writes, flusher};

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
            applying: Default::default(),
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
        let bytes = {
            let _settled = self.writes.settled();
            match self.writes.find(|w| w.sessions.get(token).cloned()) {
                Some(bytes) => bytes,
                None => match self.writes.sessions.get(token.as_bytes())? {
                    Some(bytes) => bytes.to_vec(),
                    None => return Ok(None),
                },
            }
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
            // Removed only if still the record judged: a turn may have written a fresh one since.
            if stale
                && self
                    .writes
                    .sessions
                    .compare_and_swap(&key, Some(&bytes), None::<&[u8]>)?
                    .is_ok()
            {
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
        let _settled = self.writes.settled();
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
        let _settled = self.writes.settled();
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

/// A fresh unguessable token: 128 bits from the operating system's CSPRNG-seeded ChaCha generator, as hex.
pub fn new_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
