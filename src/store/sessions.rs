//! Sessions: resume token → `{v, session, updated}`, forgotten after a time-to-live.

use serde::{Deserialize, Serialize};

use super::{Kind, Store, StoreError, decode, encode, now};
use crate::conversation::Session;

const VERSION: u32 = 1;

#[derive(Deserialize)]
pub(super) struct StoredSession {
    pub(super) session: Session,
    pub(super) updated: u64,
}

/// What [`StoredSession`] reads, written from a borrowed session (a turn stores its session without copying it).
#[derive(Serialize)]
struct SessionRecord<'a> {
    v: u32,
    session: &'a Session,
    updated: u64,
}

impl Store {
    pub fn put_session(&self, token: &str, session: &Session) -> Result<(), StoreError> {
        self.put_session_at(token, session, now())
    }

    pub(super) fn put_session_at(
        &self,
        token: &str,
        session: &Session,
        updated: u64,
    ) -> Result<(), StoreError> {
        let bytes = encode(&SessionRecord {
            v: VERSION,
            session,
            updated,
        })?;
        self.writes
            .queued()
            .waiting
            .sessions
            .insert(token.to_owned(), Some(bytes));
        Ok(())
    }

    /// The session stored under `token`, if any and not older than `ttl_secs`.
    pub fn session(&self, token: &str, ttl_secs: u64) -> Result<Option<Session>, StoreError> {
        let bytes = {
            // The queue first, then the backend: no lock needed ([`Writes::settled`]).
            match self.writes.find(|w| w.sessions.get(token).cloned()) {
                Some(Some(bytes)) => bytes,
                // Moved or erased, not yet flushed: the stored copy is gone too.
                Some(None) => return Ok(None),
                None => match self.writes.backend.get(Kind::Sessions, token.as_bytes())? {
                    Some(bytes) => bytes,
                    None => return Ok(None),
                },
            }
        };
        let record: StoredSession = decode(&bytes, VERSION)?;
        if now().saturating_sub(record.updated) > ttl_secs {
            return Ok(None);
        }
        Ok(Some(record.session))
    }

    /// Moves the session stored under `old` to the token `new` (an email's resume link hands out a fresh token
    /// rather than the one the shopper's browser held); the session, if `old` was live.
    pub fn move_session(
        &self,
        old: &str,
        new: &str,
        ttl_secs: u64,
    ) -> Result<Option<Session>, StoreError> {
        let Some(session) = self.session(old, ttl_secs)? else {
            return Ok(None);
        };
        self.put_session(new, &session)?;
        self.writes
            .queued()
            .waiting
            .sessions
            .insert(old.to_owned(), None);
        Ok(Some(session))
    }

    /// Removes sessions idle for longer than `ttl_secs`; returns how many.
    pub fn sweep(&self, ttl_secs: u64) -> Result<usize, StoreError> {
        self.sweep_at(now(), ttl_secs)
    }

    /// Removes sessions idle for longer than `ttl_secs` at the time `now`; returns how many.
    pub fn sweep_at(&self, now: u64, ttl_secs: u64) -> Result<usize, StoreError> {
        let cutoff = now.saturating_sub(ttl_secs);
        // Queued sessions first, so every session is judged by its newest record.
        self.writes.apply()?;
        let mut stale = Vec::new();
        self.writes
            .backend
            .scan(Kind::Sessions, b"", &mut |key, bytes| {
                let old = serde_json::from_slice::<StoredSession>(bytes)
                    .map_or(true, |r| r.updated < cutoff);
                if old {
                    stale.push((key.to_vec(), bytes.to_vec()));
                }
                true
            })?;
        let mut removed = 0;
        for (key, bytes) in stale {
            // Removed only if still the record judged: a turn may have written a fresh one since.
            if self
                .writes
                .backend
                .remove_if(Kind::Sessions, &key, &bytes)?
            {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The tokens of the sessions whose shopper is one of `owners` (a visitor id, or the session's own id), read
    /// from stored and queued sessions; for export and erasure.
    pub(super) fn session_tokens_of(
        &self,
        owners: &[String],
    ) -> Result<Vec<(String, Session)>, StoreError> {
        let mine = |session: &Session| {
            owners
                .iter()
                .any(|o| session.visitor.as_deref() == Some(o.as_str()) || session.id == *o)
        };
        let mut found = std::collections::BTreeMap::new();
        let _settled = self.writes.settled();
        self.writes
            .backend
            .scan(Kind::Sessions, b"", &mut |key, bytes| {
                if let Ok(record) = serde_json::from_slice::<StoredSession>(bytes)
                    && mine(&record.session)
                {
                    found.insert(String::from_utf8_lossy(key).to_string(), record.session);
                }
                true
            })?;
        let queued = self.writes.queued();
        for layer in queued
            .applying
            .as_deref()
            .into_iter()
            .chain([&queued.waiting])
        {
            for (token, bytes) in &layer.sessions {
                let Some(bytes) = bytes else {
                    found.remove(token);
                    continue;
                };
                if let Ok(record) = serde_json::from_slice::<StoredSession>(bytes)
                    && mine(&record.session)
                {
                    found.insert(token.clone(), record.session);
                }
            }
        }
        Ok(found.into_iter().collect())
    }
}
