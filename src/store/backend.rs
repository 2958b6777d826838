//! The one interface between the store's record kinds and a storage engine; sled implements it in `sled_store.rs`.
//!
//! Every record kind (`sessions.rs`, `answers.rs`, `profiles.rs`, …) is written in terms of [`Backend`]: ordered
//! byte keys to byte values, per [`Kind`]. The group commit (`commit.rs`) sits above it, so every backend gets it.
//! A second backend (a PostgreSQL-compatible database: one table `records(kind, key, value)` with the primary key
//! `(kind, key)`; `write` is one transaction, `flush` its commit, `rewrite` a `VACUUM FULL`) implements these eight methods and is chosen in
//! [`super::Store::open`]; no caller changes. Only `sled_store.rs` (and the error type in `mod.rs`) knows sled.

use super::StoreError;
pub use super::sled_store::{Sled, exists};

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
    /// Owner, email id → an email waiting to be sent.
    Outbox,
    /// Finder, version, grain, start → an insights bucket (aggregates, no personal data).
    Insights,
    /// Owner, email id → an email sent, cancelled, failed or suppressed, with its attempts.
    MailLog,
    /// Hashed token → what an email's link (unsubscribe, resume) may do.
    Links,
}

impl Kind {
    pub const ALL: [Kind; 14] = [
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
        Kind::Insights,
        Kind::MailLog,
        Kind::Links,
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
            Kind::Insights => "insights",
            Kind::MailLog => "mail_log",
            Kind::Links => "links",
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
    /// As [`Backend::scan`], newest key first (descending key order): for the latest entries of a ledger.
    fn scan_newest(
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
    /// The group commit's flush in two steps: this one makes every write so far survive a crash of the process
    /// and says what is left for the chosen durability — nothing, or a [`Backend::sync`] of the returned epoch,
    /// which the group commit runs on another thread while the next batch is written.
    fn flush_out(&self) -> Result<Flushed, StoreError> {
        self.flush().map(|()| Flushed::Durable)
    }
    /// Makes what [`Backend::flush_out`] wrote out in `epoch` durable (and everything written out before it);
    /// fails when the storage was opened again since, for then what was written out may be lost.
    fn sync(&self, epoch: u64) -> Result<(), StoreError> {
        let _ = epoch;
        Ok(())
    }
    /// How many records of a kind there are (for tests and metrics; may walk the records).
    fn count(&self, kind: Kind) -> Result<usize, StoreError>;
    /// Rewrites the storage so that no byte of a removed record is left on disk (erasure, compaction); durable on
    /// return. Reads and writes may go on meanwhile; a write made during the rewrite is in the rewritten storage.
    fn rewrite(&self) -> Result<(), StoreError>;
    /// Bytes the storage takes on disk.
    fn disk_bytes(&self) -> Result<u64, StoreError>;
}

/// What [`Backend::flush_out`] left to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flushed {
    /// The writes are as durable as the store was asked to make them.
    Durable,
    /// They survive a crash of the process; a [`Backend::sync`] of this epoch makes them survive a power cut.
    Sync(u64),
}

/// How far a flushed write is durable (docs/durability.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// sled's flush only: the log is written and `sync_file_range`d, which survives a crash of the process but
    /// leaves it in the disk's write cache (sled's own background thread `fsync`s it every 500 ms).
    Process,
    /// sled's flush, then `fdatasync` of its log (and `fsync` of any new blob file): survives a kernel crash and
    /// a power cut. One sync per group commit, shared by every turn waiting for it.
    #[default]
    Power,
}

impl std::str::FromStr for Durability {
    type Err = String;

    fn from_str(text: &str) -> Result<Durability, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "power" => Ok(Durability::Power),
            "process" => Ok(Durability::Process),
            other => Err(format!(
                "`{other}` is no durability; use `power` (survives a power cut) or `process` (a process crash)"
            )),
        }
    }
}

impl std::fmt::Display for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Durability::Process => "process",
            Durability::Power => "power",
        })
    }
}
