//! The embedded store: sled trees for sessions, answers and events. The only module that knows sled.
//!
//! Trees (keys and values are versioned so later releases can read what earlier ones wrote):
//! - `sessions`: resume token → `{v, session, updated}`.
//! - `answers`: `visitor-or-session \0 question` → `{v, flow, answer, at}` (zero-party data, latest per question).
//! - `events`: big-endian time + sequence → `{v, session, flow, event, at}` (analytics; no personal data).
//!
//! Durability: sled makes writes durable only at `flush`. [`Store::durable`] is a *group commit*: every caller
//! waiting while a flush runs is covered by the next one, so a hundred sessions acknowledging answers at once cost
//! a handful of flushes, not a hundred.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::conversation::{Answer, Session};

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

#[derive(Serialize, Deserialize)]
struct StoredSession {
    v: u32,
    session: Session,
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
    event: &'a serde_json::Value,
    at: u64,
}

type Waiter = oneshot::Sender<Result<(), String>>;

/// A handle on the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    sessions: sled::Tree,
    answers: sled::Tree,
    events: sled::Tree,
    flushes: mpsc::UnboundedSender<Waiter>,
    sequence: std::sync::Arc<AtomicU64>,
    /// Flushes run by the group-commit flusher so far.
    flushed: std::sync::Arc<AtomicU64>,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Store {
    /// Opens (creating) the store in `dir`. Must run inside a tokio runtime: it starts the group-commit flusher.
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
        let db =
            sled::Config::new()
                .path(dir.join("store"))
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
        let (flushes, waiting) = mpsc::unbounded_channel();
        let flushed = std::sync::Arc::new(AtomicU64::new(0));
        tokio::spawn(flusher(db.clone(), waiting, flushed.clone()));
        Ok(Store {
            sessions: db.open_tree("sessions")?,
            answers: db.open_tree("answers")?,
            events: db.open_tree("events")?,
            db,
            flushes,
            sequence: std::sync::Arc::new(AtomicU64::new(0)),
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
        let record = StoredSession {
            v: VERSION,
            session: session.clone(),
            updated,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.sessions.insert(token.as_bytes(), bytes)?;
        Ok(())
    }

    /// The session stored under `token`, if any and not older than `ttl_secs`.
    pub fn session(&self, token: &str, ttl_secs: u64) -> Result<Option<Session>, StoreError> {
        let Some(bytes) = self.sessions.get(token.as_bytes())? else {
            return Ok(None);
        };
        let record: StoredSession =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if now().saturating_sub(record.updated) > ttl_secs {
            return Ok(None);
        }
        Ok(Some(record.session))
    }

    /// Removes sessions idle for longer than `ttl_secs`; returns how many.
    pub fn sweep(&self, ttl_secs: u64) -> Result<usize, StoreError> {
        let cutoff = now().saturating_sub(ttl_secs);
        let mut removed = 0;
        for entry in self.sessions.iter() {
            let (key, bytes) = entry?;
            let stale = serde_json::from_slice::<StoredSession>(&bytes)
                .map_or(true, |r| r.updated < cutoff);
            if stale {
                self.sessions.remove(key)?;
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
        self.answers.insert(key.as_bytes(), bytes)?;
        Ok(())
    }

    /// The stored answers of a visitor (or anonymous session), by question.
    pub fn answers_of(&self, owner: &str) -> Result<Vec<(String, Answer)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.answers.scan_prefix(format!("{owner}\0").as_bytes()) {
            let (key, bytes) = entry?;
            let question = String::from_utf8_lossy(&key[owner.len() + 1..]).to_string();
            let value: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let answer: Answer = serde_json::from_value(value["answer"].clone())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.push((question, answer));
        }
        Ok(out)
    }

    /// Appends an analytics event.
    pub fn record_event(
        &self,
        session: &Session,
        event: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let mut key = nanos.to_be_bytes().to_vec();
        key.extend_from_slice(&sequence.to_be_bytes());
        let record = StoredEvent {
            v: VERSION,
            session: &session.id,
            flow: &session.flow,
            event,
            at: now(),
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.events.insert(key, bytes)?;
        Ok(())
    }

    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// Resolves once everything written before the call is on disk (group commit).
    pub async fn durable(&self) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.flushes.send(done).map_err(|_| StoreError::Closed)?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(StoreError::Open {
                path: PathBuf::from("store"),
                reason,
            }),
            Err(_) => Err(StoreError::Closed),
        }
    }

    /// How many group-commit flushes have run (each covers every acknowledgement waiting when it started).
    pub fn flush_count(&self) -> u64 {
        self.flushed.load(Ordering::Relaxed)
    }

    /// Flushes now, blocking; for shutdown.
    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

/// Serves flush requests: takes every request waiting, runs one flush off the async runtime, answers them all.
async fn flusher(
    db: sled::Db,
    mut waiting: mpsc::UnboundedReceiver<Waiter>,
    flushed: std::sync::Arc<AtomicU64>,
) {
    while let Some(first) = waiting.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = waiting.try_recv() {
            batch.push(more);
        }
        let db = db.clone();
        flushed.fetch_add(1, Ordering::Relaxed);
        let outcome = match tokio::task::spawn_blocking(move || db.flush()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        for waiter in batch {
            let _ = waiter.send(outcome.clone());
        }
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
        assert_eq!(store.sessions.len(), 200);
        let flushes = store.flush_count();
        assert!(
            (1..=20).contains(&flushes),
            "200 durable acknowledgements took {flushes} flushes"
        );
    }
}
