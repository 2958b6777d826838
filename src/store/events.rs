//! Conversation events (analytics, no personal data): time-ordered batches of JSON lines, one batch per group
//! commit, each line `{v, session, flow, event, at}`.

use serde::{Deserialize, Serialize};

use super::{Kind, Store, StoreError, now};
use crate::conversation::{Event, Session};

const VERSION: u32 = 1;

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

impl Store {
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

    /// Every event recorded so far, oldest first (those still waiting for a flush last).
    pub fn events(&self) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut batches = Vec::new();
        {
            let _settled = self.writes.settled();
            self.writes
                .backend
                .scan(Kind::Events, b"", &mut |_, batch| {
                    batches.push(batch.to_vec());
                    true
                })?;
            let queued = self.writes.queued();
            if let Some(applying) = queued.applying.as_deref() {
                batches.push(applying.events.clone());
            }
            batches.push(queued.waiting.events.clone());
        }
        let mut out = Vec::new();
        for batch in &batches {
            for line in batch.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                out.push(serde_json::from_slice(line).map_err(|e| super::unreadable(&e))?);
            }
        }
        Ok(out)
    }
}
