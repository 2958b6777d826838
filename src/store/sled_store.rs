//! The sled implementation of [`Backend`]: one tree per record kind in a generation folder (a rewrite copies the
//! live records into the next one), flushed and, in power mode, synced to the disk. Only this file knows sled.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use super::StoreError;
use super::backend::{Backend, Durability, Kind, Op};

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

/// sled 0.34 keeps everything in one log file, `db`, except values too big for a log segment (over 128 KiB),
/// which go to files of their own in `blobs/` that it never syncs.
struct Files {
    log: std::fs::File,
    blobs: PathBuf,
    /// Blob files already synced (blobs are written once and never change).
    synced: std::sync::Mutex<std::collections::HashSet<std::ffi::OsString>>,
}

impl Files {
    fn open(folder: &Path) -> Result<Files, StoreError> {
        let log = std::fs::File::open(folder.join("db")).map_err(|e| StoreError::Open {
            path: folder.to_path_buf(),
            reason: format!("cannot open sled's log `db` to sync it: {e}"),
        })?;
        Ok(Files {
            log,
            blobs: folder.join("blobs"),
            synced: Default::default(),
        })
    }

    /// `fdatasync` of the log and `fsync` of blob files (and their folder) not synced before. `fdatasync` on a
    /// read-only descriptor writes the file's dirty pages and flushes the disk's cache, whoever wrote them.
    fn sync(&self) -> Result<(), StoreError> {
        let failed =
            |what: &str, e: std::io::Error| StoreError::Flush(format!("syncing {what}: {e}"));
        self.log
            .sync_data()
            .map_err(|e| failed("the store's log", e))?;
        let Ok(entries) = std::fs::read_dir(&self.blobs) else {
            return Ok(());
        };
        let mut synced = self.synced.lock().unwrap_or_else(|p| p.into_inner());
        let mut new = false;
        for entry in entries.flatten() {
            if synced.contains(&entry.file_name()) {
                continue;
            }
            std::fs::File::open(entry.path())
                .and_then(|f| f.sync_all())
                .map_err(|e| failed("a blob of the store", e))?;
            synced.insert(entry.file_name());
            new = true;
        }
        if new {
            std::fs::File::open(&self.blobs)
                .and_then(|d| d.sync_all())
                .map_err(|e| failed("the store's blob folder", e))?;
        }
        Ok(())
    }
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
mod tests {
    use super::*;

    #[test]
    fn the_power_mode_syncs_the_log_and_every_new_blob_and_reopens_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let big = vec![b'x'; 300 * 1024];
        for durability in [Durability::Power, Durability::Process] {
            let data = dir.path().join(durability.to_string());
            let sled = Sled::open(&data, durability).expect("open");
            let ops = [
                Op::Put(Kind::Sessions, b"small", b"a session"),
                Op::Put(Kind::Outbox, b"big", &big),
            ];
            sled.write(&mut ops.into_iter()).expect("write");
            sled.flush().expect("flush");
            let blobs = std::fs::read_dir(data.join("store/blobs"))
                .map(|d| d.count())
                .unwrap_or(0);
            assert!(blobs >= 1, "a value over 128 KiB goes to a blob file");
            let synced = sled
                .read()
                .expect("open")
                .files
                .synced
                .lock()
                .expect("lock")
                .len();
            match durability {
                Durability::Power => assert_eq!(synced, blobs, "every blob synced once"),
                Durability::Process => assert_eq!(synced, 0),
            }
            drop(sled);
            let again = Sled::open(&data, durability).expect("reopen");
            assert_eq!(
                again.get(Kind::Outbox, b"big").expect("read"),
                Some(big.clone())
            );
            assert_eq!(
                again
                    .get(Kind::Sessions, b"small")
                    .expect("read")
                    .as_deref(),
                Some(&b"a session"[..])
            );
        }
    }

    #[test]
    fn a_rewrite_keeps_every_write_made_while_it_copies() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir().expect("temp dir");
        let sled = Arc::new(Sled::open(dir.path(), Durability::Process).expect("open"));
        let value = vec![b'v'; 200];
        let key = |n: usize| format!("s{n:06}").into_bytes();
        for n in 0..20_000 {
            let ops = [Op::Put(Kind::Sessions, &key(n), &value)];
            sled.write(&mut ops.into_iter()).expect("write");
        }
        sled.flush().expect("flush");
        let (stop, started) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let writer = {
            let (sled, stop, started) = (sled.clone(), stop.clone(), started.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) || n < 100 {
                    let answer = format!("a{n:06}").into_bytes();
                    let ops = [
                        Op::Put(Kind::Answers, &answer, b"an answer"),
                        Op::Remove(Kind::Sessions, &key(n % 20_000)),
                    ];
                    sled.write(&mut ops.into_iter()).expect("write");
                    started.store(true, Ordering::Relaxed);
                    n += 1;
                }
                n
            })
        };
        while !started.load(Ordering::Relaxed) {
            std::thread::yield_now();
        }
        sled.rewrite().expect("rewrite");
        stop.store(true, Ordering::Relaxed);
        let written = writer.join().expect("the writer ends");
        sled.flush().expect("flush");
        drop(sled);
        let sled = Sled::open(dir.path(), Durability::Process).expect("reopen");
        assert!(dir.path().join("store-1").exists(), "rewritten");
        for n in 0..written {
            let answer = format!("a{n:06}").into_bytes();
            assert!(
                sled.get(Kind::Answers, &answer).expect("read").is_some(),
                "answer {n} of {written}"
            );
        }
        let removed = written.min(20_000);
        assert_eq!(sled.count(Kind::Sessions).expect("count"), 20_000 - removed);
        assert_eq!(
            sled.get(Kind::Sessions, &key(removed.saturating_sub(1)))
                .expect("read"),
            None
        );
    }

    #[test]
    fn a_durability_is_named_power_or_process() {
        assert_eq!("power".parse(), Ok(Durability::Power));
        assert_eq!(" Process ".parse(), Ok(Durability::Process));
        assert_eq!(Durability::default(), Durability::Power);
        let error = "fsync".parse::<Durability>().expect_err("unknown");
        assert!(
            error.contains("`power`") && error.contains("`process`"),
            "{error}"
        );
    }
}
