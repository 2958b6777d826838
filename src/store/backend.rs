//! The one interface between the store's record kinds and a storage engine, and its sled implementation.
//!
//! Every record kind (`sessions.rs`, `answers.rs`, `profiles.rs`, …) is written in terms of [`Backend`]: ordered
//! byte keys to byte values, per [`Kind`]. The group commit (`commit.rs`) sits above it, so every backend gets it.
//! A second backend (a PostgreSQL-compatible database: one table `records(kind, key, value)` with the primary key
//! `(kind, key)`; `write` is one transaction, `flush` its commit, `rewrite` a `VACUUM FULL`) implements these seven methods and is chosen in
//! [`super::Store::open`]; no caller changes. Only this file knows sled.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

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
    /// Writes every op; durable only after [`Backend::flush`].
    fn write(&self, ops: &mut dyn Iterator<Item = Op<'_>>) -> Result<(), StoreError>;
    /// Removes the record only if it still holds `seen`; whether it did.
    fn remove_if(&self, kind: Kind, key: &[u8], seen: &[u8]) -> Result<bool, StoreError>;
    /// Makes every write so far durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// How many records of a kind there are (for tests and metrics; may walk the records).
    fn count(&self, kind: Kind) -> Result<usize, StoreError>;
    /// Rewrites the storage so that no byte of a removed record is left on disk (erasure); durable on return.
    fn rewrite(&self) -> Result<(), StoreError>;
}

/// The embedded backend: one sled tree per kind, in `DATA/store` or, after a rewrite, `DATA/store-N` (the file
/// `DATA/store.current` names which).
pub struct Sled {
    dir: PathBuf,
    inner: RwLock<Trees>,
}

struct Trees {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    generation: u64,
}

const CURRENT: &str = "store.current";

/// Whether `dir` holds a store (a folder `serve --data` has used).
pub fn exists(dir: &Path) -> bool {
    dir.join(CURRENT).exists() || dir.join(folder(0)).exists()
}

fn folder(generation: u64) -> String {
    match generation {
        0 => "store".to_string(),
        n => format!("store-{n}"),
    }
}

fn open_trees(dir: &Path, generation: u64) -> Result<Trees, StoreError> {
    let db = sled::Config::new()
        .path(dir.join(folder(generation)))
        // Every turn writes; space is cheaper than the write amplification of the default mode.
        .mode(sled::Mode::HighThroughput)
        .open()
        .map_err(|error| match error {
            sled::Error::Io(io)
                if io.kind() == std::io::ErrorKind::WouldBlock
                    || io.to_string().contains("lock") =>
            {
                StoreError::Locked {
                    path: dir.to_path_buf(),
                }
            }
            other => StoreError::Open {
                path: dir.to_path_buf(),
                reason: other.to_string(),
            },
        })?;
    let trees = Kind::ALL
        .iter()
        .map(|kind| db.open_tree(kind.name()))
        .collect::<Result<_, _>>()?;
    Ok(Trees {
        db,
        trees,
        generation,
    })
}

impl Sled {
    /// Opens the current store folder of the data directory `dir`, and removes folders a rewrite left behind.
    pub fn open(dir: &Path) -> Result<Sled, StoreError> {
        let generation = match std::fs::read_to_string(dir.join(CURRENT)) {
            Ok(name) => name
                .trim()
                .strip_prefix("store-")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| StoreError::Open {
                    path: dir.to_path_buf(),
                    reason: format!(
                        "`{CURRENT}` names no store folder; it holds `{}`",
                        name.trim()
                    ),
                })?,
            Err(_) => 0,
        };
        let trees = open_trees(dir, generation)?;
        // Opened (so locked): any other store folder is an interrupted rewrite's or the one it replaced.
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                let ours = name == "store" || name.starts_with("store-");
                if ours && name != folder(generation) && entry.path().is_dir() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        Ok(Sled {
            dir: dir.to_path_buf(),
            inner: RwLock::new(trees),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Trees> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }
}

impl Trees {
    fn tree(&self, kind: Kind) -> &sled::Tree {
        &self.trees[kind as usize]
    }
}

impl Backend for Sled {
    fn get(&self, kind: Kind, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read().tree(kind).get(key)?.map(|v| v.to_vec()))
    }

    fn scan(
        &self,
        kind: Kind,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        for entry in self.read().tree(kind).scan_prefix(prefix) {
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
        let trees = self.read();
        for op in ops {
            match op {
                Op::Put(kind, key, value) => {
                    trees.tree(kind).insert(key, value)?;
                }
                Op::Remove(kind, key) => {
                    trees.tree(kind).remove(key)?;
                }
            }
        }
        Ok(())
    }

    fn remove_if(&self, kind: Kind, key: &[u8], seen: &[u8]) -> Result<bool, StoreError> {
        Ok(self
            .read()
            .tree(kind)
            .compare_and_swap(key, Some(seen), None::<&[u8]>)?
            .is_ok())
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.read().db.flush()?;
        Ok(())
    }

    fn count(&self, kind: Kind) -> Result<usize, StoreError> {
        Ok(self.read().tree(kind).len())
    }

    /// Copies every live record into a new folder, flushes it, names it in `store.current` (written to a temporary
    /// file, synced, renamed, the folder synced) and removes the old folder: sled keeps the bytes of removed
    /// records in its log until it reuses the segment, and this is the only way to be sure they are gone.
    /// Every read and write waits meanwhile.
    fn rewrite(&self) -> Result<(), StoreError> {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        let next = inner.generation + 1;
        let fresh_dir = self.dir.join(folder(next));
        let _ = std::fs::remove_dir_all(&fresh_dir);
        let fresh = open_trees(&self.dir, next)?;
        for kind in Kind::ALL {
            for entry in inner.tree(kind).iter() {
                let (key, value) = entry?;
                fresh.tree(kind).insert(key, value)?;
            }
        }
        fresh.db.flush()?;
        let io = |e: std::io::Error| StoreError::Open {
            path: self.dir.clone(),
            reason: format!("rewriting the store: {e}"),
        };
        let temporary = self.dir.join(format!("{CURRENT}.tmp"));
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&temporary).map_err(io)?;
            file.write_all(folder(next).as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        std::fs::rename(&temporary, self.dir.join(CURRENT)).map_err(io)?;
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        let old = std::mem::replace(&mut *inner, fresh);
        let old_dir = self.dir.join(folder(old.generation));
        // The old database closes when its last handle goes, here; then its folder can go.
        drop(old);
        std::fs::remove_dir_all(&old_dir).map_err(io)?;
        Ok(())
    }
}
