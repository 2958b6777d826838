//! The store: every record shopkeep keeps, behind one small interface ([`Backend`]) so a second storage engine
//! can be added without touching callers. Today the backend is sled (`backend.rs`, the only file that knows it).
//!
//! One file per record kind; values are JSON with a version `v` so later releases read what earlier ones wrote:
//! - `sessions.rs`: resume token → `{v, session, updated}`.
//! - `answers.rs`: `owner \0 finder \0 question` → `{v, flow, flow_version, answer, at}` (zero-party data, latest per
//!   question; the owner is the visitor id, or the session id of an anonymous shopper).
//! - `events.rs`: big-endian time + sequence → a batch of conversation events as JSON lines, each
//!   `{v, session, flow, event, at}` (analytics; no personal data). Events wait in memory and are written as one
//!   batch by the group commit that makes the turn recording them durable: one insert per flush instead of one per
//!   event (appending single events at the tree's end split its last page again and again, a tenth of a turn's CPU).
//!
//! - `answers.rs` also keeps the picks shown last per owner and finder: `owner \0 finder` → `{v, flow, result,
//!   products, at}`.
//! - `profiles.rs`: profiles and their aliases (visitor ids, confirmed emails), merged deterministically.
//! - `consents.rs`: the append-only consent ledger; a purpose's state is its newest entry.
//! - `privacy.rs`: export, erasure (records removed, then the storage rewritten) and the retention sweep;
//!   `expiry.rs`: everything forgotten on a schedule (sessions, unconsented shoppers, analytics) and compaction.
//! - `shop_events.rs`: what shoppers did on the shop's pages, per owner and time, de-duplicated by event id.
//! - `insights.rs`: the insights buckets (aggregates per finder version and hour or day; no personal data).
//! - `outbox.rs`: emails waiting to be sent, and the log of those finished with (sent, cancelled, failed,
//!   suppressed) with every attempt; `links.rs`: the hashed tokens of emails' unsubscribe and resume links.
//!
//! Writes: a turn only queues its records; the group commit (`commit.rs`) writes everything queued, then flushes,
//! on the flusher's thread (so no storage work runs on the async runtime). Readers see queued records at once.
//!
//! Durability: sled makes writes durable only at `flush`. [`Store::durable`] is a *group commit*: every caller
//! waiting while a flush runs is covered by the next one, so a hundred sessions acknowledging answers at once cost
//! a handful of flushes, not a hundred.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

mod answers;
mod backend;
mod commit;
mod consents;
mod events;
mod expiry;
mod facts;
mod insights;
mod links;
mod outbox;
mod privacy;
mod profiles;
mod sessions;
mod shop_events;
mod sled_files;
mod sled_store;

pub use answers::{ShownPicks, StoredAnswer, owner};
pub use backend::{Backend, Durability, Flushed, Kind, Op};
pub use consents::{Action, Channel, ConsentEntry, ConsentState, Purpose};
pub use events::RecordedEvent;
pub use expiry::{Expired, Retention};
pub use links::{Link, LinkPurpose, Refused};
pub use outbox::{Attempt, EmailLinks, LoggedEmail, Outcome, QueuedEmail, Trigger};
pub use privacy::{Erased, Export, Swept};
pub use profiles::{Email, Profile, email_key};
pub use shop_events::Recorded;

use commit::{Request, Waiter, Writes, flusher};

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
    #[error("store: the flush failed: {0}")]
    Flush(String),
}

/// A handle on the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    writes: Arc<Writes>,
    flushes: mpsc::Sender<Request>,
    /// Flushes run by the group-commit flusher so far.
    flushed: Arc<AtomicU64>,
    /// Serialises profile changes (read-modify-write of a few records, no IO while held).
    profiles: Arc<Mutex<()>>,
    /// Serialises the de-duplication of shop events.
    shop_events: Arc<Mutex<()>>,
    /// The live records' bytes when compaction last looked (`expiry.rs`), so it walks them again only once the
    /// files have outgrown that.
    live_seen: Arc<AtomicU64>,
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Where time-based sweeps read the time: the system clock, or one a test sets.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(now))
    }

    /// A clock that reads what `read` says (seconds since the epoch).
    pub fn from_fn(read: impl Fn() -> u64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(read))
    }

    pub fn now(&self) -> u64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// Reads a stored value, refusing one written by a newer version than `version`.
fn decode<T: DeserializeOwned>(bytes: &[u8], version: u32) -> Result<T, StoreError> {
    #[derive(serde::Deserialize)]
    struct Versioned {
        v: u32,
    }
    let v = serde_json::from_slice::<Versioned>(bytes)
        .map_err(|e| unreadable(&e))?
        .v;
    if v > version {
        return Err(StoreError::Corrupt(format!(
            "record version {v} is newer than this server's {version}"
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| unreadable(&e))
}

/// A record that does not parse, described without its content: serde's messages quote the value they could not
/// read (an address, a typed answer), and this text reaches the logs, which hold no personal data.
fn unreadable(error: &serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!(
        "{:?} error at line {} column {}",
        error.classify(),
        error.line(),
        error.column()
    ))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Opens (creating) the store in `dir`, power-safe, and starts its group-commit flusher thread.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, Durability::default())
    }

    /// Opens (creating) the store in `dir` with the given durability of acknowledged writes.
    pub fn open_with(dir: &Path, durability: Durability) -> Result<Store, StoreError> {
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
        Store::with_backend(Box::new(backend::Sled::open(dir, durability)?)).map_err(|e| match e {
            StoreError::Flush(reason) => StoreError::Open {
                path: dir.to_path_buf(),
                reason,
            },
            other => other,
        })
    }

    /// Whether `dir` holds a store already (to read one without creating it).
    pub fn exists(dir: &Path) -> bool {
        backend::exists(dir)
    }

    /// A store over any backend, with its group-commit flusher thread.
    pub fn with_backend(backend: Box<dyn Backend>) -> Result<Store, StoreError> {
        let (flushes, waiting) = mpsc::channel();
        let flushed = Arc::new(AtomicU64::new(0));
        let writes = Arc::new(Writes {
            backend,
            queued: Default::default(),
            applying: Default::default(),
            sequence: AtomicU64::new(0),
        });
        let counter = flushed.clone();
        std::thread::Builder::new()
            .name("shopkeep-flusher".into())
            .spawn(move || flusher(&waiting, &counter))
            .map_err(|e| StoreError::Flush(format!("cannot start the flusher thread: {e}")))?;
        Ok(Store {
            writes,
            flushes,
            flushed,
            profiles: Arc::default(),
            shop_events: Arc::default(),
            live_seen: Arc::default(),
        })
    }

    /// Queues a record (`None`: its removal) for the next group commit; readers see it at once.
    fn queue(&self, kind: Kind, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.writes.queued().waiting.put(kind, key, value);
    }

    /// The newest value of a record: queued, else stored.
    fn get(&self, kind: Kind, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        // The queue first, then the backend: no lock needed ([`Writes::settled`]).
        let owned = (kind, key.to_vec());
        match self.writes.find(|w| w.records.get(&owned).cloned()) {
            Some(value) => Ok(value),
            None => self.writes.backend.get(kind, key),
        }
    }

    /// A copy of the queued records of `kind` under `prefix` (`None`: a removal), the waiting laid over those
    /// being applied.
    fn queued_under(&self, kind: Kind, prefix: &[u8]) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        let queued = self.writes.queued();
        let layers = queued
            .applying
            .as_deref()
            .into_iter()
            .chain([&queued.waiting]);
        let mut records = BTreeMap::new();
        for layer in layers {
            for (key, value) in layer.scan(kind, prefix) {
                records.insert(key.to_vec(), value.map(<[u8]>::to_vec));
            }
        }
        records
    }

    /// The records of `kind` whose keys start with `prefix`, stored and queued (the queued win), in key order.
    fn scan(&self, kind: Kind, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StoreError> {
        // What is queued is copied first and the backend read after, so no lock is needed
        // ([`Writes::settled`]); the queued records are laid over the stored ones, the waiting over those being
        // applied.
        let queued_records = self.queued_under(kind, prefix);
        let mut records = BTreeMap::new();
        self.writes.backend.scan(kind, prefix, &mut |key, value| {
            records.insert(key.to_vec(), value.to_vec());
            true
        })?;
        for (key, value) in queued_records {
            match value {
                Some(value) => records.insert(key, value),
                None => records.remove(&key),
            };
        }
        Ok(records)
    }

    /// Calls `visit` with the records of `kind` whose keys start with `prefix`, stored and queued (the queued
    /// win), newest key first, until it returns `false`: the latest entries of a ledger without reading it all.
    /// The queue is copied first and the backend read after, so no lock is needed ([`Writes::settled`]).
    fn scan_newest(
        &self,
        kind: Kind,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let queued_records = self.queued_under(kind, prefix);
        let mut pending = queued_records.iter().rev().peekable();
        let mut stopped = false;
        // A queued record newer than the stored one at hand goes first; a queued removal hides the stored record.
        self.writes
            .backend
            .scan_newest(kind, prefix, &mut |key, value| {
                while let Some((newer, queued)) = pending.next_if(|(k, _)| k.as_slice() > key) {
                    if let Some(queued) = queued
                        && !visit(newer, queued)
                    {
                        stopped = true;
                        return false;
                    }
                }
                let value = match pending.next_if(|(k, _)| k.as_slice() == key) {
                    Some((_, Some(queued))) => queued.as_slice(),
                    Some((_, None)) => return true,
                    None => value,
                };
                stopped = !visit(key, value);
                !stopped
            })?;
        if !stopped {
            for (key, queued) in pending {
                if let Some(queued) = queued
                    && !visit(key, queued)
                {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Asks for a group commit without waiting for it (for writes nobody acknowledges, such as a click).
    pub fn flush_soon(&self) {
        // Nobody waits for this flush: the receiver is dropped at once.
        let (done, _) = oneshot::channel();
        let _ = self.flushes.send(self.request(done));
    }

    /// Resolves once everything written before the call is on disk (group commit).
    pub async fn durable(&self) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.flushes
            .send(self.request(done))
            .map_err(|_| StoreError::Closed)?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(StoreError::Flush(reason)),
            Err(_) => Err(StoreError::Closed),
        }
    }

    fn request(&self, waiter: Waiter) -> Request {
        Request {
            waiter,
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
mod commit_tests;
#[cfg(test)]
mod ledger_tests;
#[cfg(test)]
mod tests;
