//! Shop events: `owner \0 time \0 event id` → `{v, …event}`, and `event id` → that key, so a resent event is
//! stored once. Written by the group commit like every record; a request is answered after [`Store::durable`].

use super::answers::prefix;
use super::{Kind, Store, StoreError, decode, encode};
use crate::shop_events::ShopEvent;

const VERSION: u32 = 1;

/// What became of an event handed to [`Store::record_shop_events`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    Stored,
    /// An event with the same id was stored before (or earlier in the same batch); this one was dropped.
    Duplicate,
}

#[derive(serde::Serialize)]
struct EventRecord<'a> {
    v: u32,
    #[serde(flatten)]
    event: &'a ShopEvent,
}

fn key(event: &ShopEvent) -> Vec<u8> {
    let mut key = prefix(&event.visitor);
    key.extend_from_slice(&event.at.to_be_bytes());
    key.push(0);
    key.extend_from_slice(event.id.as_bytes());
    key
}

impl Store {
    /// Queues the events not seen before (by id) for the next group commit; what became of each.
    pub fn record_shop_events(&self, events: &[ShopEvent]) -> Result<Vec<Recorded>, StoreError> {
        let mut records = Vec::with_capacity(events.len());
        for event in events {
            records.push(encode(&EventRecord { v: VERSION, event })?);
        }
        // One at a time, so two requests carrying the same event id cannot both store it.
        let _one = self.shop_events.lock().unwrap_or_else(|p| p.into_inner());
        let mut seen = Vec::with_capacity(events.len());
        {
            // The queue first, then the backend: no lock needed ([`Writes::settled`]).
            for event in events {
                let id = (Kind::EventIds, event.id.as_bytes().to_vec());
                let queued = self
                    .writes
                    .find(|w| w.records.get(&id).map(Option::is_some));
                let known = match queued {
                    Some(known) => known,
                    None => self.writes.backend.get(Kind::EventIds, &id.1)?.is_some(),
                };
                seen.push(known);
            }
        }
        let mut outcomes = Vec::with_capacity(events.len());
        let mut queued = self.writes.queued();
        for ((event, record), known) in events.iter().zip(records).zip(seen) {
            let id = (Kind::EventIds, event.id.as_bytes().to_vec());
            // Seen before, or earlier in this batch.
            if known || queued.waiting.records.contains_key(&id) {
                outcomes.push(Recorded::Duplicate);
                continue;
            }
            let key = key(event);
            queued.waiting.put(Kind::EventIds, id.1, Some(key.clone()));
            queued.waiting.put(Kind::ShopEvents, key, Some(record));
            outcomes.push(Recorded::Stored);
        }
        Ok(outcomes)
    }

    /// An owner's shop events, oldest first.
    pub fn shop_events_of(&self, owner: &str) -> Result<Vec<ShopEvent>, StoreError> {
        self.scan(Kind::ShopEvents, &prefix(owner))?
            .values()
            .map(|bytes| decode(bytes, VERSION))
            .collect()
    }

    /// Calls `visit` with every stored shop event (the queued ones too), grouped by owner, oldest first within
    /// each; for rebuilding what is derived from them.
    pub fn each_shop_event(&self, visit: &mut dyn FnMut(ShopEvent)) -> Result<(), StoreError> {
        let mut failed = None;
        for (_, bytes) in self.scan(Kind::ShopEvents, b"")? {
            match decode(&bytes, VERSION) {
                Ok(event) => visit(event),
                Err(e) => failed = Some(e),
            }
        }
        failed.map_or(Ok(()), Err)
    }
}
