//! The files under sled that power mode syncs after sled's own flush.

use std::path::{Path, PathBuf};

use super::StoreError;

/// sled 0.34 keeps everything in one log file, `db`, except values too big for a log segment (over 128 KiB),
/// which go to files of their own in `blobs/` that it never syncs.
pub(super) struct Files {
    log: std::fs::File,
    blobs: PathBuf,
    /// Blob files already synced (blobs are written once and never change).
    pub(super) synced: std::sync::Mutex<std::collections::HashSet<std::ffi::OsString>>,
}

impl Files {
    pub(super) fn open(folder: &Path) -> Result<Files, StoreError> {
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
    pub(super) fn sync(&self) -> Result<(), StoreError> {
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
