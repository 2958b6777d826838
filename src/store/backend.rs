//! The one interface between the store's record kinds and a storage engine, and its sled implementation.
//!
//! Every record kind (`sessions.rs`, `answers.rs`, `profiles.rs`, …) is written in terms of [`Backend`]: ordered
//! byte keys to byte values, per [`Kind`]. The group commit (`commit.rs`) sits above it, so every backend gets it.
//! A second backend (a PostgreSQL-compatible database: one table `records(kind, key, value)` with the primary key
//! `(kind, key)`; `write` is one transaction, `flush` its commit) implements these six methods and is chosen in
//! [`super::Store::open`]; no caller changes. Only this file knows sled.

use super::StoreError;

/// The kinds of record; each is a sled tree (or, elsewhere, a key range of one table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Resume token → session.
    Sessions,
    /// Owner, finder, question → the latest answer.
    Answers,
    /// Time-ordered batches of conversation analytics events (no personal data).
    Events,
    /// Owner, finder → the picks shown last.
    Picks,
    /// Profile id → profile.
    Profiles,
    /// Visitor id or hashed email → the profile it belongs to.
    Aliases,
    /// Owner, time → a consent ledger entry (append-only).
    Consents,
    /// Owner, time, event id → a shop event.
    ShopEvents,
    /// Event id → the shop event's key (de-duplication).
    EventIds,
    /// Hashed email → suppression entry of an erased shopper.
    Suppressed,
    /// Emails waiting to be sent (the email issue fills it).
    Outbox,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Sessions,
        Kind::Answers,
        Kind::Events,
        Kind::Picks,
        Kind::Profiles,
        Kind::Aliases,
        Kind::Consents,
        Kind::ShopEvents,
        Kind::EventIds,
        Kind::Suppressed,
        Kind::Outbox,
    ];

    /// The tree's name; stable, it is on disk.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sessions => "sessions",
            Kind::Answers => "answers",
            Kind::Events => "events",
            Kind::Picks => "picks",
            Kind::Profiles => "profiles",
            Kind::Aliases => "aliases",
            Kind::Consents => "consents",
            Kind::ShopEvents => "shop_events",
            Kind::EventIds => "event_ids",
            Kind::Suppressed => "suppressed",
            Kind::Outbox => "outbox",
        }
    }
}

/// One write of a group commit.
pub enum Op<'a> {
    Put(Kind, &'a [u8], &'a [u8]),
    Remove(Kind, &'a [u8]),
}

/// What the store needs of a storage engine. Writes reach it only through the group commit, one `write` of many
/// records then one `flush`; readers combine what it returns with the records still queued.
pub trait Backend: Send + Sync {
    fn get(&self, kind: Kind, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Calls `visit` with every record whose key starts with `prefix`, in key order, until it returns `false`.
    fn scan(
        &self,
        kind: Kind,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError>;
    /// Writes every op; durable only after [`Backend::flush`].
    fn write(&self, ops: &mut dyn Iterator<Item = Op<'_>>) -> Result<(), StoreError>;
    /// Removes the record only if it still holds `seen`; whether it did.
    fn remove_if(&self, kind: Kind, key: &[u8], seen: &[u8]) -> Result<bool, StoreError>;
    /// Makes every write so far durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// How many records of a kind there are (for tests and metrics; may walk the records).
    fn count(&self, kind: Kind) -> Result<usize, StoreError>;
}

/// The embedded backend: one sled tree per kind.
pub struct Sled {
    db: sled::Db,
    trees: Vec<sled::Tree>,
}

impl Sled {
    pub fn open(db: sled::Db) -> Result<Sled, StoreError> {
        let trees = Kind::ALL
            .iter()
            .map(|kind| db.open_tree(kind.name()))
            .collect::<Result<_, _>>()?;
        Ok(Sled { db, trees })
    }

    fn tree(&self, kind: Kind) -> &sled::Tree {
        &self.trees[kind as usize]
    }
}

impl Backend for Sled {
    fn get(&self, kind: Kind, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tree(kind).get(key)?.map(|v| v.to_vec()))
    }

    fn scan(
        &self,
        kind: Kind,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        for entry in self.tree(kind).scan_prefix(prefix) {
            let (key, value) = entry?;
            if !visit(&key, &value) {
                break;
            }
        }
        Ok(())
    }

    /// Plain inserts, not `sled::Batch`: the records are independent (the flush makes them durable together), and
    /// a sled batch takes a database-wide lock and seals its own log entry, which costs an extra log write.
    fn write(&self, ops: &mut dyn Iterator<Item = Op<'_>>) -> Result<(), StoreError> {
        for op in ops {
            match op {
                Op::Put(kind, key, value) => {
                    self.tree(kind).insert(key, value)?;
                }
                Op::Remove(kind, key) => {
                    self.tree(kind).remove(key)?;
                }
            }
        }
        Ok(())
    }

    fn remove_if(&self, kind: Kind, key: &[u8], seen: &[u8]) -> Result<bool, StoreError> {
        Ok(self
            .tree(kind)
            .compare_and_swap(key, Some(seen), None::<&[u8]>)?
            .is_ok())
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    fn count(&self, kind: Kind) -> Result<usize, StoreError> {
        Ok(self.tree(kind).len())
    }
}
