//! The sled implementation of [`Backend`]: one tree per record kind in a generation folder (a rewrite copies the
//! live records into the next one), flushed and, in power mode, synced to the disk. Only this file knows sled.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use super::StoreError;
use super::backend::{Backend, Durability, Flushed, Kind, Op};
use super::sled_files::Files;

/// The embedded backend: one sled tree per kind, in `DATA/store` or, after a rewrite, `DATA/store-N` (the file
/// `DATA/store.current` names which).
pub struct Sled {
    dir: PathBuf,
    durability: Durability,
    /// `None` while closed after a failed write, until it opens again.
    inner: RwLock<Option<Trees>>,
    /// The store folder's generation (`store-N`), also while closed.
    generation: std::sync::atomic::AtomicU64,
    /// While a rewrite copies the records: every key written since it began, to copy again before it switches.
    dirty: std::sync::Mutex<Option<Written>>,
    /// One rewrite at a time.
    rewriting: std::sync::Mutex<()>,
    /// How often the database was opened again after a failed write: what was written out before that may be
    /// lost, so a sync asked for an earlier epoch fails ([`Backend::sync`]). Changed under the write lock.
    epoch: std::sync::atomic::AtomicU64,
}

/// Keys written while a rewrite copies.
type Written = std::collections::HashSet<(Kind, Vec<u8>)>;

/// The open trees, read-locked.
struct Open<'a>(std::sync::RwLockReadGuard<'a, Option<Trees>>);

impl std::ops::Deref for Open<'_> {
    type Target = Trees;

    fn deref(&self) -> &Trees {
        self.0
            .as_ref()
            .expect("Sled::read hands out open trees only")
    }
}

struct Trees {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    generation: u64,
    /// sled's files, synced after its flush in [`Durability::Power`].
    files: Files,
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

/// The bytes on disk of the files under `dir` (allocated blocks, so a sparse file counts what it holds).
fn folder_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => folder_bytes(&entry.path()),
            Ok(meta) => meta.blocks() * 512,
            Err(_) => 0,
        })
        .sum()
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
    let files = Files::open(&dir.join(folder(generation)))?;
    Ok(Trees {
        db,
        trees,
        generation,
        files,
    })
}

impl Sled {
    /// Opens the current store folder of the data directory `dir`, and removes folders a rewrite left behind.
    pub fn open(dir: &Path, durability: Durability) -> Result<Sled, StoreError> {
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
            durability,
            inner: RwLock::new(Some(trees)),
            generation: generation.into(),
            dirty: Default::default(),
            rewriting: Default::default(),
            epoch: Default::default(),
        })
    }

    /// The open trees, opening them again first if a failed write closed them.
    fn read(&self) -> Result<Open<'_>, StoreError> {
        let guard = self.inner.read().unwrap_or_else(|p| p.into_inner());
        if guard.is_some() {
            return Ok(Open(guard));
        }
        drop(guard);
        self.reopen()?;
        let guard = self.inner.read().unwrap_or_else(|p| p.into_inner());
        match *guard {
            Some(_) => Ok(Open(guard)),
            None => Err(StoreError::Flush("the store is closed".into())),
        }
    }

    /// After an IO error (a full or read-only disk) sled refuses every later operation: it keeps the first error
    /// for good. So the database is closed and its folder opened again, which recovers everything that was durable.
    /// What the failed flush held is dropped (nobody was told it was stored); the group commit retries records
    /// whose write failed. While the disk still refuses, opening may fail too: the next write tries again.
    fn reopen(&self) -> Result<(), StoreError> {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        // Closing first: sled holds the folder's lock until the last handle of the old database is gone.
        *inner = None;
        self.epoch
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let generation = self.generation.load(std::sync::atomic::Ordering::Relaxed);
        *inner = Some(open_trees(&self.dir, generation)?);
        tracing::warn!("the store was opened again after a failed write");
        Ok(())
    }

    /// Passes `result` on; after a failure, opens the store again so the next write can succeed.
    fn recovering<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if result.is_err()
            && let Err(error) = self.reopen()
        {
            tracing::error!(%error, "cannot open the store again yet; the next write retries");
        }
        result
    }
}

/// Stops recording the keys written when a rewrite ends, however it ends.
struct Recording<'a>(&'a Sled);

impl Drop for Recording<'_> {
    fn drop(&mut self) {
        *self.0.dirty() = None;
    }
}

impl Sled {
    fn dirty(&self) -> std::sync::MutexGuard<'_, Option<Written>> {
        self.dirty.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Trees {
    fn tree(&self, kind: Kind) -> &sled::Tree {
        &self.trees[kind as usize]
    }

    fn flush(&self, durability: Durability) -> Result<(), StoreError> {
        self.db.flush()?;
        match durability {
            Durability::Power => self.files.sync(),
            Durability::Process => Ok(()),
        }
    }
}

impl Backend for Sled {
    fn get(&self, kind: Kind, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read()?.tree(kind).get(key)?.map(|v| v.to_vec()))
    }

    fn scan(
        &self,
        kind: Kind,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        for entry in self.read()?.tree(kind).scan_prefix(prefix) {
            let (key, value) = entry?;
            if !visit(&key, &value) {
                break;
            }
        }
        Ok(())
    }

    fn scan_newest(
        &self,
        kind: Kind,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        for entry in self.read()?.tree(kind).scan_prefix(prefix).rev() {
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
        let written = self.read().and_then(|trees| {
            let mut dirty = self.dirty();
            for op in ops {
                let (kind, key) = match op {
                    Op::Put(kind, key, value) => {
                        trees.tree(kind).insert(key, value)?;
                        (kind, key)
                    }
                    Op::Remove(kind, key) => {
                        trees.tree(kind).remove(key)?;
                        (kind, key)
                    }
                };
                if let Some(dirty) = dirty.as_mut() {
                    dirty.insert((kind, key.to_vec()));
                }
            }
            Ok(())
        });
        self.recovering(written)
    }

    fn remove_if(&self, kind: Kind, key: &[u8], seen: &[u8]) -> Result<bool, StoreError> {
        let trees = self.read()?;
        let mut dirty = self.dirty();
        let removed = trees
            .tree(kind)
            .compare_and_swap(key, Some(seen), None::<&[u8]>)?
            .is_ok();
        if removed && let Some(dirty) = dirty.as_mut() {
            dirty.insert((kind, key.to_vec()));
        }
        Ok(removed)
    }

    fn flush(&self) -> Result<(), StoreError> {
        let flushed = self.read().and_then(|trees| trees.flush(self.durability));
        self.recovering(flushed)
    }

    fn flush_out(&self) -> Result<Flushed, StoreError> {
        let flushed = self.read().and_then(|trees| {
            trees.flush(Durability::Process)?;
            // Read under the read lock: no reopen can come between the flush and the epoch it is counted in.
            let epoch = self.epoch.load(std::sync::atomic::Ordering::Relaxed);
            Ok(match self.durability {
                Durability::Process => Flushed::Durable,
                Durability::Power => Flushed::Sync(epoch),
            })
        });
        self.recovering(flushed)
    }

    fn sync(&self, epoch: u64) -> Result<(), StoreError> {
        let trees = self.read()?;
        if self.epoch.load(std::sync::atomic::Ordering::Relaxed) != epoch {
            return Err(StoreError::Flush(
                "the store was opened again after a failed write, so what was written before may be lost; \
                 it is reported as not stored"
                    .into(),
            ));
        }
        let synced = trees.files.sync();
        drop(trees);
        self.recovering(synced)
    }

    fn count(&self, kind: Kind) -> Result<usize, StoreError> {
        Ok(self.read()?.tree(kind).len())
    }

    /// The blocks of every file in the current store folder (sled's log, its snapshot and blobs).
    fn disk_bytes(&self) -> Result<u64, StoreError> {
        let generation = self.generation.load(std::sync::atomic::Ordering::Relaxed);
        Ok(folder_bytes(&self.dir.join(folder(generation))))
    }

    /// Copies every live record into a new folder, flushes it, names it in `store.current` (written to a temporary
    /// file, synced, renamed, the folder synced) and removes the old folder: sled keeps the bytes of removed
    /// records in its log until it reuses the segment, and this is the only way to be sure they are gone.
    ///
    /// Online: reads and writes go on while the records are copied and the copy is synced; the keys written
    /// meanwhile are recorded, and only copying those again, the last sync and the switch hold them off.
    fn rewrite(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.rewriting.lock().unwrap_or_else(|p| p.into_inner());
        drop(self.read()?);
        // Recording starts while no write is under way, so every write after it is recorded.
        let next = {
            let guard = self.inner.write().unwrap_or_else(|p| p.into_inner());
            let Some(inner) = guard.as_ref() else {
                return Err(StoreError::Flush("the store is closed".into()));
            };
            *self.dirty() = Some(Default::default());
            inner.generation + 1
        };
        let recording = Recording(self);
        let fresh_dir = self.dir.join(folder(next));
        let _ = std::fs::remove_dir_all(&fresh_dir);
        let fresh = open_trees(&self.dir, next)?;
        {
            let trees = self.read()?;
            for kind in Kind::ALL {
                for entry in trees.tree(kind).iter() {
                    let (key, value) = entry?;
                    fresh.tree(kind).insert(key, value)?;
                }
            }
        }
        fresh.flush(Durability::Power)?;
        let mut guard = self.inner.write().unwrap_or_else(|p| p.into_inner());
        let Some(inner) = guard.as_mut() else {
            return Err(StoreError::Flush("the store is closed".into()));
        };
        let written = self.dirty().take().unwrap_or_default();
        drop(recording);
        for (kind, key) in written {
            match inner.tree(kind).get(&key)? {
                Some(value) => fresh.tree(kind).insert(key, value)?,
                None => fresh.tree(kind).remove(key)?,
            };
        }
        // On disk whatever the durability: `store.current` names it next, and the old folder goes.
        fresh.flush(Durability::Power)?;
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
        let old = std::mem::replace(inner, fresh);
        self.generation
            .store(next, std::sync::atomic::Ordering::Relaxed);
        let old_dir = self.dir.join(folder(old.generation));
        // Turns go on with the new folder while the old database closes (its last handle goes, here) and its
        // folder goes.
        drop(guard);
        drop(old);
        std::fs::remove_dir_all(&old_dir).map_err(io)?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "sled_store_tests.rs"]
mod tests;
