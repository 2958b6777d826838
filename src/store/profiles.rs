//! Profiles: one per shopper, over the records of every id the shopper was seen under.
//!
//! - `profiles`: profile id → `{v, id, created, customer, owners, email, merged_into}`. A profile id is a visitor
//!   id (the widget's random id), or `c:` + the shop's verified customer id. A visitor with no record has an
//!   implicit profile of its own.
//! - `aliases`: `v:` + visitor id → the profile it joined; `e:` + SHA-256 of a confirmed email → its profile.
//!
//! Answers, picks, consents and shop events stay under the *owner* that wrote them (a visitor id, or a session id);
//! a profile reads every owner it holds. So a merge rewrites one or two small records, never the history, and
//! "newest answer per question wins" is decided when the answers are read.
//!
//! Merging is deterministic: the profile with a customer id wins, else the older one, else the smaller id; two
//! different customers are never merged. Profile changes are serialised by one lock (a read-modify-write of a
//! few records, with no IO: the records are queued for the group commit).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Kind, Store, StoreError, StoredAnswer, decode, encode, now};

pub(super) const VERSION: u32 = 1;
/// Alias chains are short (a merge points every alias at the winner); this bounds a corrupt one.
const MAX_HOPS: usize = 8;

/// A shopper's profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub v: u32,
    pub id: String,
    pub created: u64,
    /// The shop's verified customer id.
    pub customer: Option<String>,
    /// Every visitor or session id whose records belong to this shopper.
    pub owners: Vec<String>,
    /// Only when the shopper gave it.
    pub email: Option<Email>,
    /// Set on a profile merged into another; every reader follows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Email {
    pub address: String,
    /// Confirmed by the shopper (a link) or vouched for by the shop (API); only a confirmed email merges profiles.
    pub confirmed: bool,
    pub at: u64,
}

/// Normalises an address for comparison and hashing: trimmed, lowercase.
pub fn email_key(address: &str) -> String {
    let hash = Sha256::digest(address.trim().to_lowercase().as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("e:{hex}")
}

fn customer_profile(customer: &str) -> String {
    format!("c:{customer}")
}

impl Profile {
    fn implicit(id: &str) -> Profile {
        Profile {
            v: VERSION,
            id: id.to_string(),
            created: now(),
            customer: id.strip_prefix("c:").map(str::to_string),
            owners: vec![id.to_string()],
            email: None,
            merged_into: None,
        }
    }
}

impl Store {
    /// The profile id an owner (visitor or session id) or profile id belongs to now.
    pub fn resolve(&self, id: &str) -> Result<String, StoreError> {
        let mut current = id.to_string();
        for _ in 0..MAX_HOPS {
            match self.get(Kind::Aliases, format!("v:{current}").as_bytes())? {
                Some(target) => {
                    let target = String::from_utf8_lossy(&target).to_string();
                    if target == current {
                        break;
                    }
                    current = target;
                }
                None => break,
            }
        }
        Ok(current)
    }

    /// The profile of an owner or profile id (an implicit one for a visitor never stored).
    pub fn profile(&self, id: &str) -> Result<Profile, StoreError> {
        let id = self.resolve(id)?;
        Ok(match self.get(Kind::Profiles, id.as_bytes())? {
            Some(bytes) => decode(&bytes, VERSION)?,
            None => Profile::implicit(&id),
        })
    }

    /// The profile if one is stored or anything is stored under its id; `None` for an id never seen.
    pub fn known_profile(&self, id: &str) -> Result<Option<Profile>, StoreError> {
        let profile = self.profile(id)?;
        let stored = self.get(Kind::Profiles, profile.id.as_bytes())?.is_some();
        let has_records = [Kind::Answers, Kind::ShopEvents, Kind::Consents, Kind::Picks]
            .into_iter()
            .try_fold(false, |found, kind| {
                Ok::<bool, StoreError>(
                    found
                        || !self
                            .scan(kind, format!("{}\0", profile.id).as_bytes())?
                            .is_empty(),
                )
            })?;
        Ok((stored || has_records).then_some(profile))
    }

    fn put_profile(&self, profile: &Profile) -> Result<(), StoreError> {
        self.queue(
            Kind::Profiles,
            profile.id.clone().into_bytes(),
            Some(encode(profile)?),
        );
        Ok(())
    }

    pub(super) fn profile_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.profiles.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Joins `visitor` to the profile of the verified `customer` (merging the visitor's profile into it); the
    /// customer's profile id.
    pub fn link_customer(&self, visitor: &str, customer: &str) -> Result<String, StoreError> {
        let _one = self.profile_lock();
        let target = self.profile(&customer_profile(customer))?;
        let other = self.profile(visitor)?;
        if other.id == target.id {
            return Ok(target.id);
        }
        if other.customer.is_some() {
            // The visitor's device was used by another customer before: it joins this one from now on, and
            // the other customer's profile keeps what it had.
            self.queue(
                Kind::Aliases,
                format!("v:{visitor}").into_bytes(),
                Some(target.id.clone().into_bytes()),
            );
            let mut target = target;
            if !target.owners.iter().any(|o| o == visitor) {
                target.owners.push(visitor.to_string());
            }
            self.put_profile(&target)?;
            return Ok(target.id);
        }
        Ok(self.merge(target, other)?.id)
    }

    /// Sets the shopper's email. A confirmed email merges every other profile with the same confirmed email.
    /// Returns the profile id after any merge.
    pub fn set_email(
        &self,
        owner: &str,
        address: &str,
        confirmed: bool,
    ) -> Result<String, StoreError> {
        let _one = self.profile_lock();
        let mut profile = self.profile(owner)?;
        let confirmed = confirmed
            || profile.email.as_ref().is_some_and(|e| {
                e.confirmed && e.address.trim().eq_ignore_ascii_case(address.trim())
            });
        profile.email = Some(Email {
            address: address.trim().to_string(),
            confirmed,
            at: now(),
        });
        self.put_profile(&profile)?;
        if !confirmed {
            return Ok(profile.id);
        }
        let key = email_key(address);
        let holder = match self.get(Kind::Aliases, key.as_bytes())? {
            Some(id) => Some(self.profile(&String::from_utf8_lossy(&id))?),
            None => None,
        };
        let winner = match holder {
            Some(other) if other.id != profile.id => {
                let (a, b) = order(other, profile);
                match (&a.customer, &b.customer) {
                    // Two customers of the shop share an address: keep them apart.
                    (Some(x), Some(y)) if x != y => a,
                    _ => self.merge(a, b)?,
                }
            }
            _ => profile,
        };
        self.queue(
            Kind::Aliases,
            key.into_bytes(),
            Some(winner.id.clone().into_bytes()),
        );
        Ok(winner.id)
    }

    /// Moves `loser` into `winner`: its owners and aliases point at the winner; the winner keeps its email.
    fn merge(&self, mut winner: Profile, loser: Profile) -> Result<Profile, StoreError> {
        for owner in loser.owners.iter().chain([&loser.id]) {
            if !winner.owners.contains(owner) {
                winner.owners.push(owner.clone());
            }
            self.queue(
                Kind::Aliases,
                format!("v:{owner}").into_bytes(),
                Some(winner.id.clone().into_bytes()),
            );
        }
        winner.owners.sort();
        winner.owners.dedup();
        winner.created = winner.created.min(loser.created);
        if winner.email.is_none() {
            winner.email = loser.email.clone();
        }
        self.put_profile(&winner)?;
        let mut gone = loser;
        gone.merged_into = Some(winner.id.clone());
        gone.owners.clear();
        gone.email = None;
        self.put_profile(&gone)?;
        Ok(winner)
    }

    /// The profile's answers: per finder and question, the newest over every owner it holds.
    pub fn profile_answers(&self, profile: &Profile) -> Result<Vec<StoredAnswer>, StoreError> {
        let mut newest: BTreeMap<(String, String), (u64, String, StoredAnswer)> = BTreeMap::new();
        for owner in &profile.owners {
            for answer in self.answers_by_flow(owner)? {
                let key = (answer.flow.clone(), answer.question.clone());
                let rank = (answer.at, owner.clone());
                let newer = newest
                    .get(&key)
                    .is_none_or(|(at, by, _)| rank > (*at, by.clone()));
                if newer {
                    newest.insert(key, (rank.0, rank.1, answer));
                }
            }
        }
        Ok(newest.into_values().map(|(_, _, a)| a).collect())
    }
}

/// The merge order of two profiles: (winner, loser). A customer's profile wins, then the older, then the smaller id.
fn order(a: Profile, b: Profile) -> (Profile, Profile) {
    let rank = |p: &Profile| (p.customer.is_none(), p.created, p.id.clone());
    if rank(&a) <= rank(&b) { (a, b) } else { (b, a) }
}
