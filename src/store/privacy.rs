//! Privacy rights over the store: export everything about one shopper, erase one shopper so that no byte of them
//! is left in the data directory, and the retention sweep of shoppers who never consented.
//!
//! Erasure removes the profile and every record of every id it holds (answers, picks, consent entries, shop
//! events, sessions, aliases, the shopper's lines of the conversation analytics), keeps only a hashed suppression
//! entry for the email, then has the backend **rewrite** its storage ([`super::Backend::rewrite`]): sled keeps the
//! bytes of removed records in its log until it reuses the segment, so the live records are copied into a fresh
//! folder and the old one is deleted. Chosen over per-shopper encryption keys because a key stored in the same log
//! would linger the same way; the price is a pause of every write while the store is copied (rare: erasures only).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::answers::prefix;
use super::{
    ConsentEntry, ConsentState, Kind, LoggedEmail, Profile, QueuedEmail, ShownPicks, Store,
    StoreError, StoredAnswer, email_key, encode,
};
use crate::conversation::Session;
use crate::shop_events::ShopEvent;

const VERSION: u32 = 1;

/// A stored record: key and value.
type Record = (Vec<u8>, Vec<u8>);

/// Everything the store holds about one shopper (a stored type: versioned).
#[derive(Debug, Serialize)]
pub struct Export {
    pub v: u32,
    pub profile: Profile,
    /// Every stored answer of every id the shopper was seen under (not only the newest per question).
    pub answers: Vec<StoredAnswer>,
    pub picks: Vec<ShownPicks>,
    pub consents: Vec<ConsentEntry>,
    pub consent_state: Vec<ConsentState>,
    pub events: Vec<ShopEvent>,
    /// The conversations that can still be resumed.
    pub sessions: Vec<Session>,
    /// Emails finished with (sent, cancelled, failed, suppressed), with their attempts, oldest first.
    pub emails_sent: Vec<LoggedEmail>,
    /// Emails waiting in the outbox.
    pub emails_queued: Vec<QueuedEmail>,
}

/// What an erasure removed.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Erased {
    pub profile: String,
    pub answers: usize,
    pub picks: usize,
    pub consents: usize,
    pub events: usize,
    pub sessions: usize,
    pub analytics_lines: usize,
    /// Emails removed from the outbox (never to be sent) and from the log.
    pub emails_queued: usize,
    pub emails_logged: usize,
    /// Whether an email was turned into a hashed suppression entry.
    pub suppressed: bool,
}

/// What a retention sweep removed.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Swept {
    pub answers: usize,
    pub picks: usize,
    pub events: usize,
}

impl Store {
    /// Everything about the shopper known by `id`; `None` for an id never seen.
    pub fn export(&self, id: &str) -> Result<Option<Export>, StoreError> {
        let Some(profile) = self.known_profile(id)? else {
            return Ok(None);
        };
        let mut export = Export {
            v: VERSION,
            answers: Vec::new(),
            picks: Vec::new(),
            consents: self.consents(&profile)?,
            consent_state: self.consent_state(&profile)?,
            events: Vec::new(),
            sessions: self
                .session_tokens_of(&profile.owners)?
                .into_iter()
                .map(|(_, session)| session)
                .collect(),
            emails_sent: self.logged_emails_of(&profile.owners)?,
            emails_queued: self.queued_emails_of(&profile.owners)?,
            profile,
        };
        for owner in &export.profile.owners {
            export.answers.extend(self.answers_by_flow(owner)?);
            export.picks.extend(self.picks_of(owner)?);
            export.events.extend(self.shop_events_of(owner)?);
        }
        export.events.sort_by_key(|e| e.at);
        Ok(Some(export))
    }

    /// Erases the shopper known by `id` and rewrites the storage so nothing of them stays on disk; `None` for an
    /// id never seen. Durable on return.
    pub fn erase(&self, id: &str, now: u64) -> Result<Option<Erased>, StoreError> {
        let Some(profile) = self.known_profile(id)? else {
            return Ok(None);
        };
        let _one = self.profile_lock();
        let mut owners: Vec<String> = profile.owners.clone();
        owners.push(profile.id.clone());
        owners.sort();
        owners.dedup();
        let mut erased = Erased {
            profile: profile.id.clone(),
            ..Erased::default()
        };
        let sessions = self.session_tokens_of(&owners)?;
        let mut session_ids: HashSet<String> = owners.iter().cloned().collect();
        {
            let mut queued = self.writes.queued();
            for (token, session) in &sessions {
                queued.waiting.sessions.insert(token.clone(), None);
                session_ids.insert(session.id.clone());
            }
        }
        erased.sessions = sessions.len();
        for owner in &owners {
            erased.answers += self.remove_prefix(Kind::Answers, &prefix(owner))?;
            erased.picks += self.remove_prefix(Kind::Picks, &prefix(owner))?;
            erased.consents += self.remove_prefix(Kind::Consents, &prefix(owner))?;
            for event in self.shop_events_of(owner)? {
                self.queue(Kind::EventIds, event.id.into_bytes(), None);
            }
            erased.events += self.remove_prefix(Kind::ShopEvents, &prefix(owner))?;
            self.queue(Kind::Aliases, format!("v:{owner}").into_bytes(), None);
            self.queue(Kind::Profiles, owner.clone().into_bytes(), None);
        }
        if let Some(email) = &profile.email {
            let key = email_key(&email.address);
            self.queue(Kind::Aliases, key.clone().into_bytes(), None);
            let entry = encode(&serde_json::json!({"v": VERSION, "at": now}))?;
            self.queue(Kind::Suppressed, key.into_bytes(), Some(entry));
            erased.suppressed = true;
        }
        (erased.emails_queued, erased.emails_logged) = self.remove_emails_of(&owners)?;
        self.remove_links_of(&owners)?;
        erased.analytics_lines = self.remove_analytics_of(&session_ids)?;
        self.writes.apply()?;
        {
            let _settled = self.writes.settled();
            self.writes.backend.rewrite()?;
        }
        Ok(Some(erased))
    }

    /// Whether an address belongs to an erased shopper (who must not be emailed again).
    pub fn is_suppressed(&self, address: &str) -> Result<bool, StoreError> {
        Ok(self
            .get(Kind::Suppressed, email_key(address).as_bytes())?
            .is_some())
    }

    /// Rewrites the conversation-analytics batches that hold lines of these sessions, without those lines.
    fn remove_analytics_of(&self, sessions: &HashSet<String>) -> Result<usize, StoreError> {
        #[derive(serde::Deserialize)]
        struct Line {
            session: String,
        }
        self.writes.apply()?;
        let mut removed = 0;
        for (key, batch) in self.scan(Kind::Events, b"")? {
            let mut kept = Vec::with_capacity(batch.len());
            let mut dropped = 0;
            for line in batch.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let theirs = serde_json::from_slice::<Line>(line)
                    .is_ok_and(|l| sessions.contains(&l.session));
                if theirs {
                    dropped += 1;
                } else {
                    kept.extend_from_slice(line);
                    kept.push(b'\n');
                }
            }
            if dropped > 0 {
                removed += dropped;
                self.queue(Kind::Events, key, (!kept.is_empty()).then_some(kept));
            }
        }
        Ok(removed)
    }

    /// Deletes the answers, picks and shop events older than `max_age_secs` (before `now`) of every shopper who
    /// never consented to anything.
    pub fn sweep_unconsented(&self, now: u64, max_age_secs: u64) -> Result<Swept, StoreError> {
        let cutoff = now.saturating_sub(max_age_secs);
        let mut consented: HashMap<String, bool> = HashMap::new();
        let mut never_consented = |store: &Store, owner: &str| -> Result<bool, StoreError> {
            if let Some(known) = consented.get(owner) {
                return Ok(!known);
            }
            let profile = store.profile(owner)?;
            let given = store
                .consents(&profile)?
                .iter()
                .any(|e| e.action == super::Action::Given);
            consented.insert(owner.to_string(), given);
            Ok(!given)
        };
        let owner_of = |key: &[u8]| {
            let end = key.iter().position(|b| *b == 0).unwrap_or(key.len());
            String::from_utf8_lossy(&key[..end]).to_string()
        };
        #[derive(serde::Deserialize)]
        struct Timed {
            at: u64,
        }
        let mut swept = Swept::default();
        let mut old: BTreeMap<Kind, Vec<Record>> = BTreeMap::new();
        for kind in [Kind::Answers, Kind::Picks, Kind::ShopEvents] {
            for (key, bytes) in self.scan(kind, b"")? {
                let at = serde_json::from_slice::<Timed>(&bytes).map_or(u64::MAX, |t| t.at);
                if at < cutoff {
                    old.entry(kind).or_default().push((key, bytes));
                }
            }
        }
        let mut queued = 0;
        for (kind, records) in old {
            for (key, bytes) in records {
                if !never_consented(self, &owner_of(&key))? {
                    continue;
                }
                if kind == Kind::ShopEvents
                    && let Ok(event) = serde_json::from_slice::<ShopEvent>(&bytes)
                {
                    self.queue_removal(Kind::EventIds, event.id.into_bytes(), &mut queued)?;
                }
                self.queue_removal(kind, key, &mut queued)?;
                match kind {
                    Kind::Answers => swept.answers += 1,
                    Kind::Picks => swept.picks += 1,
                    _ => swept.events += 1,
                }
            }
        }
        Ok(swept)
    }
}
