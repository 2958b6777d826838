//! What the store forgets on a schedule, so it stops growing with the answers it has ever taken: idle sessions
//! (`sessions.rs`), the records of shoppers who never consented past the retention period (`privacy.rs`), and the
//! conversation analytics past theirs (here); then, when the files on disk have grown well past what is still
//! live, a compaction ([`super::Backend::rewrite`]), because sled gives the space of removed records back only
//! slowly, if at all (BENCHMARKS.md, *Store growth*).
//!
//! Kept until erased: the answers, picks and shop events of shoppers who consented (their memory is what they
//! consented to), profiles, the consent ledger, emails and the insights buckets (aggregates, no personal data).

use std::sync::atomic::Ordering;

use serde::Serialize;

use super::{Kind, Store, StoreError, Swept};

/// How long each kind of record is kept, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// A session not written for this long cannot be resumed and is removed.
    pub sessions: u64,
    /// Answers, picks and shop events of shoppers who never consented.
    pub unconsented: u64,
    /// Conversation analytics events (the insights keep their aggregates).
    pub events: u64,
}

/// Compaction runs when the files hold more than this many times the live records' bytes…
const COMPACT_RATIO: u64 = 2;
/// …and more than this much in all (a small store is never worth the pause).
const COMPACT_FLOOR: u64 = 64 * 1024 * 1024;

/// A sweep writes its removals this many at a time.
const SWEEP_BATCH: usize = 1000;

/// What one expiry removed, and whether it compacted.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Expired {
    pub sessions: usize,
    pub swept: Swept,
    /// Batches of conversation analytics (one batch per group commit).
    pub event_batches: usize,
    /// Bytes on disk before and after the compaction, when one ran.
    pub compacted: Option<(u64, u64)>,
}

impl Expired {
    /// Whether anything was removed or compacted.
    pub fn any(&self) -> bool {
        *self != Expired::default()
    }
}

impl Store {
    /// Removes everything older than `retention` allows at the time `now` (seconds since the epoch), makes it
    /// durable, and compacts the storage if it holds far more than the live records.
    pub fn expire(&self, now: u64, retention: &Retention) -> Result<Expired, StoreError> {
        let mut expired = Expired {
            sessions: self.sweep_at(now, retention.sessions)?,
            swept: self.sweep_unconsented(now, retention.unconsented)?,
            event_batches: self.sweep_events(now, retention.events)?,
            compacted: None,
        };
        self.writes.apply()?;
        self.writes.backend.flush()?;
        expired.compacted = self.compact_if_sparse(COMPACT_RATIO, COMPACT_FLOOR)?;
        Ok(expired)
    }

    /// Removes the batches of conversation analytics recorded more than `max_age_secs` before `now`; how many.
    pub fn sweep_events(&self, now: u64, max_age_secs: u64) -> Result<usize, StoreError> {
        let cutoff = now
            .saturating_sub(max_age_secs)
            .saturating_mul(1_000_000_000);
        let mut old = Vec::new();
        // Keys start with the big-endian time in nanoseconds: the old batches are the first ones.
        self.writes.backend.scan(Kind::Events, b"", &mut |key, _| {
            let at = key
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u64::from_be_bytes);
            if at >= cutoff {
                return false;
            }
            old.push(key.to_vec());
            true
        })?;
        let removed = old.len();
        let mut queued = 0;
        for key in old {
            self.queue_removal(Kind::Events, key, &mut queued)?;
        }
        Ok(removed)
    }

    /// Queues the removal of a record for a sweep, and every [`SWEEP_BATCH`] removals writes those queued so far,
    /// so no group commit carries more than a batch of a sweep's removals and turns wait for a batch at most.
    pub(super) fn queue_removal(
        &self,
        kind: Kind,
        key: Vec<u8>,
        queued: &mut usize,
    ) -> Result<(), StoreError> {
        self.queue(kind, key, None);
        *queued += 1;
        if (*queued).is_multiple_of(SWEEP_BATCH) {
            self.writes.apply()?;
        }
        Ok(())
    }

    /// Bytes of every live record (keys and values), from a walk over all of them (without holding off the
    /// group commit: a turn written meanwhile may or may not be counted).
    pub fn live_bytes(&self) -> Result<u64, StoreError> {
        let mut total = 0u64;
        for kind in Kind::ALL {
            self.writes.backend.scan(kind, b"", &mut |key, value| {
                total += (key.len() + value.len()) as u64;
                true
            })?;
        }
        Ok(total)
    }

    /// Bytes the storage takes on disk.
    pub fn disk_bytes(&self) -> Result<u64, StoreError> {
        self.writes.backend.disk_bytes()
    }

    /// Rewrites the storage (copying only the live records) when it takes more than `ratio` times the live
    /// records' bytes and more than `floor` bytes; the sizes on disk before and after, if it did.
    pub fn compact_if_sparse(
        &self,
        ratio: u64,
        floor: u64,
    ) -> Result<Option<(u64, u64)>, StoreError> {
        let before = self.disk_bytes()?;
        let seen = self.live_seen.load(Ordering::Relaxed);
        // Cheap test first: only a store that outgrew the live bytes seen last time is walked again.
        if before <= floor || before <= ratio.saturating_mul(seen) {
            return Ok(None);
        }
        let live = self.live_bytes()?;
        self.live_seen.store(live, Ordering::Relaxed);
        if before <= ratio.saturating_mul(live) {
            return Ok(None);
        }
        self.compact().map(|after| Some((before, after)))
    }

    /// Rewrites the storage with only the live records (turns go on meanwhile; see [`super::Backend::rewrite`]);
    /// the bytes on disk after.
    pub fn compact(&self) -> Result<u64, StoreError> {
        self.writes.apply()?;
        self.writes.backend.rewrite()?;
        self.disk_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Event;
    use crate::store::tests::session;

    #[tokio::test]
    async fn expiry_removes_what_is_past_its_period_and_compacts_a_sparse_store() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let now = super::super::now();
        let padding = "x".repeat(2000);
        for n in 0..3000 {
            let mut old = session(&format!("s-old-{n}"));
            old.flow_version = padding.clone();
            store
                .put_session_at(&format!("old-{n}"), &old, now - 3 * 86_400)
                .expect("put");
            store.record_event(&old, &Event::Started).expect("event");
            if n % 100 == 99 {
                store.durable().await.expect("durable");
            }
        }
        store
            .put_session("fresh", &session("s-fresh"))
            .expect("put");
        store.durable().await.expect("durable");
        let full = store.disk_bytes().expect("size");
        assert!(full > 3000 * 2000, "{full} bytes on disk");

        let keep = Retention {
            sessions: 86_400,
            unconsented: 86_400,
            events: 86_400,
        };
        let expired = store.expire(now, &keep).expect("expire");
        assert_eq!(expired.sessions, 3000);
        assert_eq!(expired.event_batches, 0, "the events are from today");
        assert_eq!(
            store.session("fresh", 86_400).expect("read"),
            Some(session("s-fresh"))
        );
        let (before, after) = store
            .compact_if_sparse(COMPACT_RATIO, 0)
            .expect("compact")
            .expect("a store of removed records is compacted");
        assert!(after * 4 < before, "{before} → {after} bytes");
        assert_eq!(
            store.session("fresh", 86_400).expect("read"),
            Some(session("s-fresh"))
        );
        assert_eq!(
            store
                .compact_if_sparse(COMPACT_RATIO, after)
                .expect("compact"),
            None,
            "a store no bigger than the floor is left alone"
        );

        let later = store.expire(now + 2 * 86_400, &keep).expect("expire");
        assert!(later.event_batches >= 1, "{later:?}");
        assert!(store.events().expect("events").is_empty());
    }
}
