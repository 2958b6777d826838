//! The consent ledger: append-only, `owner \0 time \0 sequence` → `{v, purpose, action, text, text_version,
//! locale, channel, at}`.
//!
//! Nothing is ever changed or removed (except by erasing the shopper): a withdrawal is an entry of its own, and the
//! state of a purpose is its newest entry across every owner of a profile, so a withdrawal takes effect the moment
//! it is queued.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::answers::prefix;
use super::{Kind, Profile, Store, StoreError, decode, encode};

const VERSION: u32 = 1;

/// Why a shopper agreed. Only one purpose today; the ledger has room for more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Keep the answers and email recommendations.
    EmailRecommendations,
}

impl Purpose {
    pub const ALL: [Purpose; 1] = [Purpose::EmailRecommendations];

    pub fn name(self) -> &'static str {
        match self {
            Purpose::EmailRecommendations => "email_recommendations",
        }
    }

    pub fn parse(name: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.name() == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Given,
    Withdrawn,
}

/// Where the shopper gave or withdrew consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Widget,
    EmailLink,
    Api,
}

/// One ledger entry: the exact text shown (for a withdrawal, the text of the consent withdrawn) and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsentEntry {
    pub purpose: Purpose,
    pub action: Action,
    pub text: String,
    pub text_version: String,
    pub locale: String,
    pub channel: Channel,
    /// Seconds since the epoch.
    pub at: u64,
}

/// A purpose's state: when consent was last given, and when withdrawn after that.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsentState {
    pub purpose: Purpose,
    pub given: bool,
    pub given_at: Option<u64>,
    pub withdrawn_at: Option<u64>,
    pub text_version: String,
}

#[derive(Serialize)]
struct EntryRecord<'a> {
    v: u32,
    #[serde(flatten)]
    entry: &'a ConsentEntry,
}

/// Orders entries written in the same nanosecond.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// Appends an entry to an owner's ledger. Durable with the next group commit: wait for [`Store::durable`]
    /// before saying it is recorded.
    pub fn append_consent(&self, owner: &str, entry: &ConsentEntry) -> Result<(), StoreError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let mut key = prefix(owner);
        key.extend_from_slice(&nanos.to_be_bytes());
        key.extend_from_slice(&SEQUENCE.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        self.queue(
            Kind::Consents,
            key,
            Some(encode(&EntryRecord { v: VERSION, entry })?),
        );
        Ok(())
    }

    /// Every entry of a profile's ledger (over all its owners), oldest first.
    pub fn consents(&self, profile: &Profile) -> Result<Vec<ConsentEntry>, StoreError> {
        let mut entries = Vec::new();
        for owner in &profile.owners {
            for (key, bytes) in self.scan(Kind::Consents, &prefix(owner))? {
                let entry: ConsentEntry = decode(&bytes, VERSION)?;
                let written = key
                    .get(key.len().saturating_sub(16)..)
                    .unwrap_or_default()
                    .to_vec();
                entries.push((entry.at, written, entry));
            }
        }
        entries.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Ok(entries.into_iter().map(|(_, _, e)| e).collect())
    }

    /// The state of each purpose a profile ever answered, from its newest entry.
    pub fn consent_state(&self, profile: &Profile) -> Result<Vec<ConsentState>, StoreError> {
        let mut states: BTreeMap<Purpose, ConsentState> = BTreeMap::new();
        for entry in self.consents(profile)? {
            let state = states.entry(entry.purpose).or_insert(ConsentState {
                purpose: entry.purpose,
                given: false,
                given_at: None,
                withdrawn_at: None,
                text_version: String::new(),
            });
            match entry.action {
                Action::Given => {
                    state.given = true;
                    state.given_at = Some(entry.at);
                    state.withdrawn_at = None;
                    state.text_version = entry.text_version;
                }
                Action::Withdrawn => {
                    state.given = false;
                    state.withdrawn_at = Some(entry.at);
                }
            }
        }
        Ok(states.into_values().collect())
    }

    /// Whether the profile's consent to `purpose` stands now: its newest entry for the purpose gives it. Read
    /// before every email and on turns that may queue one, so each owner's ledger is read from its newest entry
    /// back only as far as the purpose's latest (the same answer as [`Store::consent_state`], which reads all).
    pub fn has_consent(&self, profile: &Profile, purpose: Purpose) -> Result<bool, StoreError> {
        let mut newest: Option<(u64, Vec<u8>, Action)> = None;
        for owner in &profile.owners {
            let mut failed = None;
            self.scan_newest(Kind::Consents, &prefix(owner), &mut |key, bytes| {
                let entry: ConsentEntry = match decode(bytes, VERSION) {
                    Ok(entry) => entry,
                    Err(e) => {
                        failed = Some(e);
                        return false;
                    }
                };
                if entry.purpose != purpose {
                    return true;
                }
                let written = key.get(key.len().saturating_sub(16)..).unwrap_or_default();
                let later = newest
                    .as_ref()
                    .is_none_or(|(at, w, _)| (entry.at, written) > (*at, w.as_slice()));
                if later {
                    newest = Some((entry.at, written.to_vec(), entry.action));
                }
                false
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Ok(matches!(newest, Some((_, _, Action::Given))))
    }
}
