//! The catalog under load: a synthetic catalog of any size for the in-process server, the final turn against it,
//! and turns while the catalog is reindexed over and over.
//!
//! The synthetic catalog ([`crate::catalog::synthetic`], seed 1) is written as a JSON Lines feed into the bench's
//! scratch directory and served from there, so a reindex does what a merchant's feed update does: the server reads
//! the folder again, builds a new index and swaps it in ([`crate::server::reload::reload`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::BenchError;
use super::client::Outcome;
use crate::server::AppState;
use crate::server::reload::{Part, reload};

/// The synthetic catalog the in-process server serves, and what building its index took.
#[derive(Clone, Debug)]
pub struct Synthetic {
    pub products: usize,
    pub dir: PathBuf,
}

/// Writes `products` synthetic products as `products.jsonl` into `dir` (created), streaming.
pub fn write_synthetic(dir: &Path, products: usize) -> Result<Synthetic, BenchError> {
    let io = |e: std::io::Error| {
        BenchError::Io(format!(
            "cannot write the synthetic catalog in `{}`: {e}",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let file = std::fs::File::create(dir.join("products.jsonl")).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    for product in crate::catalog::synthetic::generate(products, 1) {
        serde_json::to_writer(&mut out, &product)
            .map_err(|e| BenchError::Io(format!("cannot write a synthetic product: {e}")))?;
        out.write_all(b"\n").map_err(io)?;
    }
    out.flush().map_err(io)?;
    Ok(Synthetic {
        products,
        dir: dir.to_path_buf(),
    })
}

/// Turns measured while the catalog was reindexed again and again.
#[derive(Clone)]
pub struct Reindexing {
    pub products: usize,
    /// Reindexes finished (and swapped in) during the measurement.
    pub reloads: u64,
    /// Mean time of one reindex.
    pub reload_secs: f64,
    /// The echo baseline at the same concurrency, measured just before, without reindexing.
    pub echo: Outcome,
    /// shopkeep with reindexing.
    pub shopkeep: Outcome,
}

/// Reindexes the served catalog back to back on a thread of its own while `measure` runs; returns what `measure`
/// returned, the reindexes finished and their mean time.
pub async fn while_reindexing<F>(
    state: &AppState,
    measure: F,
) -> Result<(Outcome, u64, f64), BenchError>
where
    F: std::future::Future<Output = Result<Outcome, BenchError>>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let reindexer = {
        let (state, stop, done) = (state.clone(), stop.clone(), done.clone());
        std::thread::Builder::new()
            .name("bench-reindex".into())
            .spawn(move || -> Result<Duration, String> {
                // As the server's own reloads run.
                crate::server::reload::lower_this_threads_priority();
                let mut spent = Duration::ZERO;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    reload(&state, Part::Catalog).map_err(|e| e.to_string())?;
                    spent += started.elapsed();
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok(spent)
            })
            .map_err(|e| BenchError::Io(format!("cannot start the reindexing thread: {e}")))?
    };
    let measured = measure.await;
    stop.store(true, Ordering::Relaxed);
    // The reindex under way finishes first (at most one build of the catalog).
    let spent = tokio::task::spawn_blocking(move || reindexer.join())
        .await
        .map_err(|e| BenchError::Io(e.to_string()))?
        .map_err(|_| BenchError::Io("the reindexing thread panicked".into()))?
        .map_err(|e| BenchError::Io(format!("reindexing failed: {e}")))?;
    let reloads = done.load(Ordering::Relaxed);
    let mean = if reloads == 0 {
        0.0
    } else {
        spent.as_secs_f64() / reloads as f64
    };
    Ok((measured?, reloads, mean))
}
