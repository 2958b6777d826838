//! Group commit: the queue of writes not yet in the backend, and the flusher thread that writes and flushes them.
//! It sits above [`Backend`], so any backend gets it: one `write` of everything queued, then one `flush`.

use super::*;

/// Writes waiting for the next group commit. A turn only serialises its records into here (no sled work on the
/// async runtime); the flusher inserts them just before it flushes, on its own thread.
#[derive(Clone, Default)]
pub(super) struct Waiting {
    /// Resume token → session record (`None`: its removal, by a move or an erasure); a later write of the same
    /// token replaces the earlier one, so a token removed and then written again in one batch keeps the write.
    pub(super) sessions: HashMap<String, Option<Vec<u8>>>,
    /// Every other record by kind and key, ordered so an owner's records read by prefix; `None` removes it.
    pub(super) records: BTreeMap<(Kind, Vec<u8>), Option<Vec<u8>>>,
    /// Event records as JSON lines, written as one record.
    pub(super) events: Vec<u8>,
}

impl Waiting {
    pub(super) fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.records.is_empty() && self.events.is_empty()
    }

    /// Queues a record (`None`: its removal) for the next group commit.
    pub(super) fn put(&mut self, kind: Kind, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.records.insert((kind, key), value);
    }

    /// The queued records of `kind` whose keys start with `prefix`, in key order.
    pub(super) fn scan<'a>(
        &'a self,
        kind: Kind,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a {
        self.records
            .range((kind, prefix.to_vec())..)
            .take_while(move |((k, key), _)| *k == kind && key.starts_with(prefix))
            .map(|((_, key), value)| (key.as_slice(), value.as_deref()))
    }
}

/// What readers see of the writes not yet in the backend: those waiting, and those the flusher is applying now.
#[derive(Default)]
pub(super) struct Queued {
    pub(super) waiting: Waiting,
    pub(super) applying: Option<Arc<Waiting>>,
}

/// The backend and the writes queued for it, shared by every handle on the store.
pub(super) struct Writes {
    pub(super) backend: Box<dyn Backend>,
    pub(super) queued: Mutex<Queued>,
    /// Held for a whole [`Writes::apply`]: the flusher and a sweep may both apply, and an older batch must never
    /// be written over a newer one (nor hidden from readers while the other is written).
    pub(super) applying: Mutex<()>,
    pub(super) sequence: AtomicU64,
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
    pub(super) fn queued(&self) -> std::sync::MutexGuard<'_, Queued> {
        self.queued.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds off applies while a reader combines the trees with the queue, so no record moves from one to the
    /// other halfway through the read (missed in both, or an older one read over a newer). Only the rare readers
    /// that must see each record once (the events, the export's and the sweep's scans) take it: an apply holds it
    /// while the backend writes a whole batch, and a chat turn waiting on it would hold up its runtime worker.
    /// Point reads and prefix scans look in the queue first and in the backend after, which needs no lock: a
    /// batch stays visible as `applying` until the backend has it, so a record missed in the queue is in the
    /// backend by the time it is read there (or a newer one is, which the read may then return).
    pub(super) fn settled(&self) -> std::sync::MutexGuard<'_, ()> {
        self.applying.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest value queued for a key, looked up in the waiting writes first, then in those being applied.
    pub(super) fn find<T>(&self, look: impl Fn(&Waiting) -> Option<T>) -> Option<T> {
        let queued = self.queued();
        look(&queued.waiting).or_else(|| queued.applying.as_deref().and_then(&look))
    }

    /// Applies the waiting writes, the events as one record under the next time-ordered key.
    /// Readers keep seeing them (as being applied) until they are in the backend.
    pub(super) fn apply(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.settled();
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
        // Under one lock: a reader sees the batch either as being applied or queued again, never in neither.
        let mut queued = self.queued();
        queued.applying = None;
        if applied.is_err() {
            // Not written: queue them again (under anything written since, which is newer) for the next flush.
            let again = Arc::unwrap_or_clone(writes);
            for (token, record) in again.sessions {
                queued.waiting.sessions.entry(token).or_insert(record);
            }
            for (key, record) in again.records {
                queued.waiting.records.entry(key).or_insert(record);
            }
            let mut events = again.events;
            events.extend_from_slice(&queued.waiting.events);
            queued.waiting.events = events;
        }
        applied
    }

    fn write(&self, writes: &Waiting) -> Result<(), StoreError> {
        let events_key = (!writes.events.is_empty()).then(|| {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
            let mut key = nanos.to_be_bytes().to_vec();
            key.extend_from_slice(&sequence.to_be_bytes());
            key
        });
        let sessions = writes.sessions.iter().map(|(token, record)| match record {
            Some(record) => Op::Put(Kind::Sessions, token.as_bytes(), record),
            None => Op::Remove(Kind::Sessions, token.as_bytes()),
        });
        let records = writes
            .records
            .iter()
            .map(|((kind, key), record)| match record {
                Some(record) => Op::Put(*kind, key, record),
                None => Op::Remove(*kind, key),
            });
        let events = events_key
            .iter()
            .map(|key| Op::Put(Kind::Events, key, &writes.events));
        self.backend
            .write(&mut sessions.chain(records).chain(events))
    }
}

pub(super) type Waiter = oneshot::Sender<Result<(), String>>;

/// A flush request: who waits, and what to flush. The request carries the store rather than the flusher
/// keeping a handle of its own, so the backend closes (and its folder's lock is released) as soon as the last
/// [`Store`] is dropped and the flushes asked for have run, not whenever the runtime next polls the flusher.
pub(super) struct Request {
    pub(super) waiter: Waiter,
    pub(super) writes: Arc<Writes>,
}

/// Serves flush requests on a thread of its own: takes every request waiting, writes them and flushes them out
/// of the process, and hands them to the syncer thread when a power-safe sync is still to come — so the next
/// batch is written while the disk syncs the last one, and one sync may cover several batches.
/// Ends when the last [`Store`] is gone (the channel closes) and nothing is left to flush.
pub(super) fn flusher(waiting: &mpsc::Receiver<Request>, flushed: &AtomicU64) {
    let (to_sync, unsynced) = mpsc::channel::<Unsynced>();
    let syncing = std::thread::Builder::new()
        .name("shopkeep-syncer".into())
        .spawn(move || syncer(&unsynced));
    if let Err(error) = &syncing {
        tracing::warn!(%error, "cannot start the store's sync thread; syncs run on the flusher");
    }
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
        let writes = first.writes;
        let outcome = writes.apply().and_then(|()| writes.backend.flush_out());
        let outcome = match outcome {
            Ok(Flushed::Sync(epoch)) => {
                let written = Unsynced {
                    epoch,
                    waiters: batch,
                    writes,
                };
                match &syncing {
                    Ok(_) => {
                        if let Err(mpsc::SendError(written)) = to_sync.send(written) {
                            sync_all(vec![written]);
                        }
                    }
                    Err(_) => sync_all(vec![written]),
                }
                continue;
            }
            Ok(Flushed::Durable) => Ok(()),
            Err(error) => Err(error.to_string()),
        };
        // Let go of the store before answering: once the last waiter hears back, no flush holds it open.
        drop(writes);
        for waiter in batch {
            let _ = waiter.send(outcome.clone());
        }
    }
}

/// A group commit written out of the process, waiting for its power-safe sync.
pub(super) struct Unsynced {
    pub(super) epoch: u64,
    pub(super) waiters: Vec<Waiter>,
    pub(super) writes: Arc<Writes>,
}

/// Syncs what the flusher wrote out: every batch waiting shares one sync (a sync covers everything written out
/// before it began), answered in the order they were written.
fn syncer(unsynced: &mpsc::Receiver<Unsynced>) {
    while let Ok(first) = unsynced.recv() {
        let mut batches = vec![first];
        while let Ok(more) = unsynced.try_recv() {
            batches.push(more);
        }
        sync_all(batches);
    }
}

/// One sync for `batches` (non-empty, oldest first), then their answers. A batch written out before the store
/// was opened again (after a failed write) is answered with an error: what it wrote may be lost.
pub(super) fn sync_all(batches: Vec<Unsynced>) {
    let Some(newest) = batches.last() else {
        return;
    };
    let epoch = newest.epoch;
    let outcome = newest
        .writes
        .backend
        .sync(epoch)
        .map_err(|error| error.to_string());
    let mut answers = Vec::new();
    for batch in batches {
        let result = if batch.epoch == epoch {
            outcome.clone()
        } else {
            Err(
                "the store was opened again after a failed write; this write may be lost"
                    .to_string(),
            )
        };
        answers.extend(batch.waiters.into_iter().map(|w| (w, result.clone())));
        // Let go of the store before answering, as the flusher does.
        drop(batch.writes);
    }
    for (waiter, result) in answers {
        let _ = waiter.send(result);
    }
}

/// How long a group commit waits for more acknowledgements once the previous one was shared. At 100 busy
/// conversations it raises the acknowledgements per flush from 7 to 30–40 for the same turn latency; a lone
/// conversation never waits.
pub(super) const COMMIT_DELAY: std::time::Duration = std::time::Duration::from_micros(200);
