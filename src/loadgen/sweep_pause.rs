//! `shopkeep bench-store`'s pause: how long chat turns stall while the store's expiry runs.
//!
//! On the steady-state server (one round of live records), the same load twice for the same time: once quiet,
//! once with sweeps back to back beside it — each [`Store::expire`] with a retention of a few seconds (so every
//! sweep removes what was written before) followed by a compaction ([`Store::compact`]) when `expire` did not
//! compact by itself, the worst case: every turn of the second window runs during a sweep. The turn latencies of
//! the two windows side by side, and how long each sweep took.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::BenchError;
use super::client::{self, Load, Outcome};
use super::script::Script;
use crate::store::{Retention, Store};

/// Records younger than this are kept by each sweep.
const KEEP_SECS: u64 = 3;

/// Turn latencies of one window, in microseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub turns: u64,
    pub p50: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

/// One sweep run beside the load.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    pub secs: f64,
    /// Whether `expire` compacted by itself (else the bench did).
    pub compacted_by_expire: bool,
    /// Bytes on disk before and after its compaction.
    pub disk: (u64, u64),
}

/// What the pause measurement found.
#[derive(Clone, Debug)]
pub struct Pause {
    pub quiet: Window,
    pub sweeping: Window,
    pub sweeps: Vec<Sweep>,
}

impl Pause {
    /// p99 during sweeps over p99 without.
    pub fn p99_ratio(&self) -> f64 {
        self.sweeping.p99 as f64 / self.quiet.p99.max(1) as f64
    }
}

fn window(outcome: &Outcome) -> Window {
    let mut all = outcome.non_final.latency.clone();
    // Both histograms have the same bounds, so adding cannot fail.
    let _ = all.add(&outcome.final_.latency);
    Window {
        turns: all.len(),
        p50: all.value_at_quantile(0.5),
        p99: all.value_at_quantile(0.99),
        p999: all.value_at_quantile(0.999),
        max: all.max(),
    }
}

/// Runs the two windows of `secs` each against the server at `url` whose store is `store`.
pub(super) async fn measure(
    url: &str,
    store: &Store,
    script: &Arc<Script>,
    connections: usize,
    secs: u64,
    timeout: Duration,
) -> Result<Pause, BenchError> {
    let load = Load {
        url: url.to_string(),
        connections,
        duration: Duration::from_secs(secs),
        max_turns: u64::MAX,
        timeout,
    };
    let quiet = client::drive(&load, script.clone()).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let sweeper = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::task::spawn_blocking(move || sweep_until(&store, &stop))
    };
    let sweeping = client::drive(&load, script.clone()).await;
    stop.store(true, Ordering::Relaxed);
    let sweeps = sweeper
        .await
        .map_err(|e| BenchError::Io(format!("the sweeps stopped: {e}")))??;
    let sweeping = sweeping?;
    for (what, outcome) in [("quiet", &quiet), ("sweeping", &sweeping)] {
        if outcome.errors() > 0 {
            return Err(BenchError::Broken(format!(
                "{} turns failed in the {what} window",
                outcome.errors()
            )));
        }
    }
    Ok(Pause {
        quiet: window(&quiet),
        sweeping: window(&sweeping),
        sweeps,
    })
}

/// Sweeps (expiry, then a compaction if it did not compact) one after the other until `stop`.
fn sweep_until(store: &Store, stop: &AtomicBool) -> Result<Vec<Sweep>, BenchError> {
    let io = |e: crate::store::StoreError| BenchError::Io(format!("store: {e}"));
    let retention = Retention {
        sessions: KEEP_SECS,
        unconsented: KEEP_SECS,
        events: KEEP_SECS,
    };
    let mut sweeps = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let before = store.disk_bytes().map_err(io)?;
        let expired = store.expire(crate::store::now(), &retention).map_err(io)?;
        let disk = match expired.compacted {
            Some(sizes) => sizes,
            None => (before, store.compact().map_err(io)?),
        };
        sweeps.push(Sweep {
            secs: started.elapsed().as_secs_f64(),
            compacted_by_expire: expired.compacted.is_some(),
            disk,
        });
    }
    Ok(sweeps)
}

/// The table for BENCHMARKS.md.
pub fn markdown(pause: &Pause) -> String {
    let ms = |micros: u64| micros as f64 / 1000.0;
    let mut out = String::from(
        "| turns | count | p50 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (what, w) in [("quiet", &pause.quiet), ("during sweeps", &pause.sweeping)] {
        out.push_str(&format!(
            "| {what} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |\n",
            w.turns,
            ms(w.p50),
            ms(w.p99),
            ms(w.p999),
            ms(w.max)
        ));
    }
    let secs: Vec<f64> = pause.sweeps.iter().map(|s| s.secs).collect();
    let longest = secs.iter().copied().fold(0.0, f64::max);
    let mean = secs.iter().sum::<f64>() / secs.len().max(1) as f64;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let (first_before, first_after) = pause.sweeps.first().map_or((0, 0), |s| s.disk);
    out.push_str(&format!(
        "\np99 during sweeps / quiet: **{:.1} ×**. {} sweeps back to back (expiry and a compaction each), {:.0} ms on \
         average, the longest {:.0} ms; the first took the store from {:.1} MiB to {:.1} MiB.\n",
        pause.p99_ratio(),
        secs.len(),
        mean * 1000.0,
        longest * 1000.0,
        mib(first_before),
        mib(first_after)
    ));
    out
}
