//! Durable acknowledgements through the store's group commit, against the bare `fdatasync` rate of the same disk.
//!
//! *Bare*: one thread appends 256 bytes and calls `File::sync_data` (fdatasync) in a loop, in the data directory
//! (each sync also commits the file's new length to the file system's journal); and the same overwriting the
//! first 256 bytes of the file in place (only the data and the disk's cache to flush: the cheapest real sync).
//! *Group commit*: `sessions` tasks each store a session and wait for [`Store::durable`] in a loop — what a turn
//! does before its reply. Both loops are bounded by time and by count.
//!
//! Both store modes are measured: `power` (sled's flush, then `fdatasync` of its log, in every group commit: what
//! `fdatasync` is compared with) and `process` (sled's flush alone, which uses `sync_file_range` on Linux: it
//! survives a process crash but leaves the write in the disk's cache, so it is cheaper per call than `fdatasync`).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::conversation::Session;
use crate::flow::Flow;
use crate::store::{Durability as Mode, Store};

use super::BenchError;

/// What the durability measurement found.
#[derive(Clone, Debug)]
pub struct Durability {
    /// Appending `write` + `fdatasync` per second, one thread.
    pub fdatasync_per_sec: f64,
    /// Overwriting `write` + `fdatasync` per second, one thread.
    pub overwrite_fdatasync_per_sec: f64,
    /// Durable acknowledgements per second with `sessions` concurrent sessions, power-safe store.
    pub acks_per_sec: f64,
    /// The same with one session: a flush (and sync) per acknowledgement.
    pub single_acks_per_sec: f64,
    /// The same two in the `process` mode (no sync after sled's flush).
    pub process_acks_per_sec: f64,
    pub process_single_acks_per_sec: f64,
    pub sessions: usize,
}

impl Durability {
    /// Power-safe durable acks at `sessions` sessions over bare fdatasync: the target is ≥ 10.
    pub fn ratio(&self) -> f64 {
        self.acks_per_sec / self.fdatasync_per_sec.max(1e-9)
    }
}

/// Runs both measurements in `dir` (which must be on the disk under test), each for about `duration`.
pub async fn measure(
    dir: &Path,
    flow: &Flow,
    sessions: usize,
    duration: Duration,
) -> Result<Durability, BenchError> {
    let mut bare = Vec::new();
    for append in [true, false] {
        let file = dir.join("fdatasync-probe");
        bare.push(
            tokio::task::spawn_blocking(move || bare_fdatasync(&file, duration, append))
                .await
                .map_err(|e| BenchError::Io(format!("the fdatasync loop stopped: {e}")))??,
        );
    }
    let mut rates = Vec::new();
    for mode in [Mode::Power, Mode::Process] {
        let store = Store::open_with(&dir.join(format!("group-commit-{mode}")), mode)
            .map_err(|e| BenchError::Io(format!("opening a store for the durability run: {e}")))?;
        rates.push(acks(&store, flow, 1, duration).await?);
        rates.push(acks(&store, flow, sessions, duration).await?);
    }
    Ok(Durability {
        fdatasync_per_sec: bare[0],
        overwrite_fdatasync_per_sec: bare[1],
        single_acks_per_sec: rates[0],
        acks_per_sec: rates[1],
        process_single_acks_per_sec: rates[2],
        process_acks_per_sec: rates[3],
        sessions,
    })
}

fn bare_fdatasync(path: &Path, duration: Duration, append: bool) -> Result<f64, BenchError> {
    use std::os::unix::fs::FileExt;
    let io =
        |e: std::io::Error| BenchError::Io(format!("fdatasync probe `{}`: {e}", path.display()));
    let mut file = std::fs::File::create(path).map_err(io)?;
    let record = [b'x'; 256];
    let started = Instant::now();
    let mut n: u64 = 0;
    if !append {
        file.write_all(&record).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    while started.elapsed() < duration && n < 100_000 {
        if append {
            file.write_all(&record).map_err(io)?;
        } else {
            file.write_all_at(&record, 0).map_err(io)?;
        }
        file.sync_data().map_err(io)?;
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64().max(1e-9);
    drop(file);
    let _ = std::fs::remove_file(path);
    Ok(rate)
}

/// `sessions` tasks, each looping put-session then `durable()`; acknowledgements per second.
async fn acks(
    store: &Store,
    flow: &Flow,
    sessions: usize,
    duration: Duration,
) -> Result<f64, BenchError> {
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(sessions);
    for n in 0..sessions {
        let (store, done) = (store.clone(), done.clone());
        let session = Session::new(format!("s-bench-{n}"), flow, None, None);
        let token = format!("bench-token-{n:04}");
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline && done.load(Ordering::Relaxed) < 10_000_000 {
                store.put_session(&token, &session)?;
                store.durable().await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), crate::store::StoreError>(())
        }));
    }
    for task in tasks {
        task.await
            .map_err(|e| BenchError::Io(format!("a durability task stopped: {e}")))?
            .map_err(|e| BenchError::Io(format!("durable write failed: {e}")))?;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64().max(1e-9))
}
