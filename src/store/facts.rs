//! What segments decide on, read from a shopper's records: their newest answers per finder and question, their
//! shop events with times, and when they were active. No record of its own: a read over answers and shop events
//! across every owner of the profile, like [`Store::profile_answers`]. [`Store::shoppers`] lists every shopper,
//! for a segment's members.

use std::collections::BTreeSet;

use super::profiles::VERSION as PROFILE_VERSION;
use super::{Kind, Profile, Store, StoreError, decode};
use crate::segments::{AnswerFact, Facts};

/// At most this many of a shopper's newest shop events are looked at: enough for any `at_least`, and a bound on
/// the work of one evaluation.
pub const MAX_EVENTS: usize = 2000;

impl Store {
    /// The facts of the shopper `owner` (a visitor, session or profile id) belongs to. The visit's device and
    /// traffic source are not stored: the caller adds them when the shopper is on the site.
    pub fn facts(&self, owner: &str) -> Result<Facts, StoreError> {
        let profile = self.profile(owner)?;
        self.profile_facts(&profile)
    }

    pub fn profile_facts(&self, profile: &Profile) -> Result<Facts, StoreError> {
        let answers: Vec<AnswerFact> = self
            .profile_answers(profile)?
            .into_iter()
            .map(|a| AnswerFact {
                flow: a.flow,
                question: a.question,
                answer: a.answer,
                at: a.at,
            })
            .collect();
        let mut events = Vec::new();
        for owner in &profile.owners {
            events.extend(
                self.shop_events_of(owner)?
                    .into_iter()
                    .map(|e| (e.kind, e.at)),
            );
        }
        if events.len() > MAX_EVENTS {
            events.sort_unstable_by_key(|(_, at)| std::cmp::Reverse(*at));
            events.truncate(MAX_EVENTS);
        }
        let seen = answers
            .iter()
            .map(|a| a.at)
            .chain(events.iter().map(|(_, at)| *at))
            .collect();
        Ok(Facts {
            answers,
            events,
            seen,
            signed_in: profile.customer.is_some(),
            ..Facts::default()
        })
    }

    /// Every shopper with a stored profile or any record (answers, picks, shop events, consents), one profile each,
    /// in the order of their profile ids. A full read of those records: for exports, on the blocking pool.
    pub fn shoppers(&self) -> Result<Vec<Profile>, StoreError> {
        let mut ids: BTreeSet<String> = BTreeSet::new();
        for kind in [Kind::Answers, Kind::Picks, Kind::ShopEvents, Kind::Consents] {
            for key in self.scan(kind, b"")?.into_keys() {
                // Keys start with their owner and a NUL.
                let owner = key.split(|b| *b == 0).next().unwrap_or_default();
                ids.insert(String::from_utf8_lossy(owner).into_owned());
            }
        }
        for (_, bytes) in self.scan(Kind::Profiles, b"")? {
            let profile: Profile = decode(&bytes, PROFILE_VERSION)?;
            if profile.merged_into.is_none() {
                ids.insert(profile.id);
            }
        }
        let mut seen = BTreeSet::new();
        let mut shoppers = Vec::new();
        for id in ids {
            let profile = self.profile(&id)?;
            if seen.insert(profile.id.clone()) {
                shoppers.push(profile);
            }
        }
        shoppers.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(shoppers)
    }
}
