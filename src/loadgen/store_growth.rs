//! `shopkeep bench-store`: what the store costs on disk per answer, whether sled gives the space of removed
//! records back, and the size a server settles at with its expiry and compaction.
//!
//! A server in-process (the shipped flows and catalog, a fresh data directory) takes answers from `connections`
//! WebSocket clients, each walking the running-shoe finder from `start` to its picks again and again: every walk a
//! new, anonymous conversation that never consents (five answers, a session, picks, analytics events), so every
//! record it leaves falls under the retention periods.
//!
//! - **Growth**: `answers` answers; then, the server stopped, the data directory's bytes on disk, the live records'
//!   bytes (keys and values) and the time to open the store again (what a restart waits for). Then every record
//!   is expired (the sweeps run at a time past every period, without compaction): bytes and open time again, to
//!   see what sled gives back by itself. Then a compaction ([`Store::compact`]): bytes and open time.
//! - **Steady state**: a fresh server takes the same number of answers in `rounds` rounds; after each round the
//!   server's own expiry ([`Store::expire`], compaction included) runs as if the retention period were one round
//!   long, so the store holds about one round of live records: its size after each round is the steady state.
//! - **Pause**: on that server, turn latencies without and during sweeps ([`super::sweep_pause`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::client::{self, Load};
use super::script::Script;
use super::server_under_test::InProcess;
use super::{BenchError, load_error};
use crate::flow::Flows;
use crate::store::{Retention, Store, StoreError};

/// What `shopkeep bench-store` runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub answers: u64,
    pub connections: usize,
    pub rounds: usize,
    pub flows: PathBuf,
    pub catalog: PathBuf,
    pub scratch: PathBuf,
    pub timeout: Duration,
    /// Seconds of each window of the pause measurement; 0 skips it.
    pub pause_secs: u64,
}

/// The store at one moment.
#[derive(Clone, Debug)]
pub struct Sample {
    pub what: &'static str,
    pub disk: u64,
    pub live: u64,
    /// Opening the store (a restart's wait).
    pub open_secs: f64,
}

/// One round of the steady-state run.
#[derive(Clone, Debug)]
pub struct Round {
    /// Answers taken so far.
    pub answers: u64,
    pub disk: u64,
    pub live: u64,
    pub compacted: bool,
}

/// What the measurement found.
#[derive(Clone, Debug)]
pub struct Growth {
    pub answers: u64,
    pub write_secs: f64,
    /// Written, expired, compacted.
    pub samples: Vec<Sample>,
    pub rounds: Vec<Round>,
    pub pause: Option<super::sweep_pause::Pause>,
}

/// A walk: `start` and five answers, the last one to the picks; then `start` again (a new conversation).
const ANSWERS_PER_WALK: u64 = 5;

pub async fn measure(
    options: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Growth, BenchError> {
    let (flows, _) = Flows::load_dir(&options.flows).map_err(|e| load_error("flows", e))?;
    let scratch = tempfile::Builder::new()
        .prefix("shopkeep-bench-store-")
        .tempdir_in(&options.scratch)
        .map_err(|e| BenchError::Io(format!("cannot make a scratch directory: {e}")))?;

    let data = scratch.path().join("growth");
    let server = start(&flows, options, &data, progress).await?;
    let script = Arc::new(calibrated(&server.url, options.timeout).await?);
    progress(&format!(
        "writing {} answers from {} conversations at a time",
        options.answers, options.connections
    ));
    let started = Instant::now();
    let answers = write(&server.url, options, options.answers, &script).await?;
    let write_secs = started.elapsed().as_secs_f64();
    server.stop().await;

    let mut samples = vec![sample("written", &data)?];
    {
        let store = open(&data)?;
        // Every period over: the sweeps of `Store::expire`, one by one, without its compaction.
        let later = crate::store::now() + 400 * 86_400;
        let day = 86_400;
        store.sweep_at(later, day).map_err(io)?;
        store.sweep_unconsented(later, day).map_err(io)?;
        store.sweep_events(later, day).map_err(io)?;
        store.durable().await.map_err(io)?;
    }
    samples.push(sample("every record expired", &data)?);
    {
        let store = open(&data)?;
        store.compact().map_err(io)?;
        store.durable().await.map_err(io)?;
    }
    samples.push(sample("compacted", &data)?);

    progress(&format!(
        "steady state: {} rounds of {} answers, expiring all but the last round after each",
        options.rounds,
        options.answers / options.rounds as u64
    ));
    let data = scratch.path().join("steady");
    let server = start(&flows, options, &data, progress).await?;
    let mut rounds = Vec::new();
    let mut taken = 0;
    for _ in 0..options.rounds {
        // Records are timed in whole seconds: a round starts in a second of its own.
        let second = crate::store::now();
        while crate::store::now() == second {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let round_start = crate::store::now();
        taken += write(
            &server.url,
            options,
            options.answers / options.rounds as u64,
            &script,
        )
        .await?;
        let store = server.state.0.store.clone();
        let now = crate::store::now();
        let keep = now - round_start;
        let retention = Retention {
            sessions: keep,
            unconsented: keep,
            events: keep,
        };
        let expired = tokio::task::spawn_blocking(move || store.expire(now, &retention))
            .await
            .map_err(|e| BenchError::Io(format!("the expiry stopped: {e}")))?
            .map_err(io)?;
        let store = &server.state.0.store;
        rounds.push(Round {
            answers: taken,
            disk: store.disk_bytes().map_err(io)?,
            live: store.live_bytes().map_err(io)?,
            compacted: expired.compacted.is_some(),
        });
    }
    let pause = if options.pause_secs > 0 {
        progress(&format!(
            "pause: {} s of load without sweeps, {} s with sweeps back to back",
            options.pause_secs, options.pause_secs
        ));
        Some(
            super::sweep_pause::measure(
                &server.url,
                &server.state.0.store,
                &script,
                options.connections,
                options.pause_secs,
                options.timeout,
            )
            .await?,
        )
    } else {
        None
    };
    server.stop().await;
    Ok(Growth {
        answers,
        write_secs,
        samples,
        rounds,
        pause,
    })
}

async fn start(
    flows: &Flows,
    options: &Options,
    data: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<InProcess, BenchError> {
    InProcess::start(
        flows,
        &options.flows,
        &options.catalog,
        data,
        progress,
        None,
    )
    .await
}

/// The running-shoe walk with `start` as its first step every time round.
async fn calibrated(url: &str, timeout: Duration) -> Result<Script, BenchError> {
    let mut script = Script::running_shoes();
    script
        .steps
        .retain(|step| !step.frame.contains(r#""type":"restart""#));
    script.cycle_from = 0;
    script.calibrate(url, timeout).await?;
    Ok(script)
}

/// Drives walks until about `answers` answers are taken; how many were.
async fn write(
    url: &str,
    options: &Options,
    answers: u64,
    script: &Arc<Script>,
) -> Result<u64, BenchError> {
    let steps = script.steps.len() as u64;
    let load = Load {
        url: url.to_string(),
        connections: options.connections,
        duration: Duration::from_secs(3600),
        max_turns: answers * steps / ANSWERS_PER_WALK,
        timeout: options.timeout,
    };
    let outcome = client::drive(&load, script.clone()).await?;
    if outcome.errors() > 0 {
        return Err(BenchError::Broken(format!(
            "{} turns failed while writing answers",
            outcome.errors()
        )));
    }
    let turns = outcome.non_final.count() + outcome.final_.count();
    Ok(turns * ANSWERS_PER_WALK / steps)
}

/// Opens the store of `data`, waiting while the stopped server's handles let go of it.
fn open(data: &Path) -> Result<Store, BenchError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match Store::open(data) {
            Err(StoreError::Locked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50))
            }
            other => return other.map_err(io),
        }
    }
}

/// The store of `data`, opened (timed) and measured, then closed.
fn sample(what: &'static str, data: &Path) -> Result<Sample, BenchError> {
    // The first open may wait for the previous handle to close; the second is the one timed.
    drop(open(data)?);
    let started = Instant::now();
    let store = open(data)?;
    let open_secs = started.elapsed().as_secs_f64();
    Ok(Sample {
        what,
        disk: store.disk_bytes().map_err(io)?,
        live: store.live_bytes().map_err(io)?,
        open_secs,
    })
}

fn io(error: StoreError) -> BenchError {
    BenchError::Io(format!("store: {error}"))
}

/// The tables for BENCHMARKS.md.
pub fn markdown(growth: &Growth) -> String {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let per = |b: u64| b as f64 / growth.answers.max(1) as f64;
    let mut out = format!(
        "{} answers ({} conversations) written in {:.1} s ({:.0} answers/s).\n\n\
         | store | on disk | bytes on disk per answer | live records | live bytes per answer | open |\n\
         |---|---:|---:|---:|---:|---:|\n",
        growth.answers,
        growth.answers / ANSWERS_PER_WALK,
        growth.write_secs,
        growth.answers as f64 / growth.write_secs.max(1e-9)
    );
    for s in &growth.samples {
        out.push_str(&format!(
            "| {} | {:.1} MiB | {:.0} | {:.1} MiB | {:.0} | {:.0} ms |\n",
            s.what,
            mib(s.disk),
            per(s.disk),
            mib(s.live),
            per(s.live),
            s.open_secs * 1000.0
        ));
    }
    out.push_str(
        "\n| steady state: answers so far | on disk | live records | compacted this round |\n|---:|---:|---:|---|\n",
    );
    for r in &growth.rounds {
        out.push_str(&format!(
            "| {} | {:.1} MiB | {:.1} MiB | {} |\n",
            r.answers,
            mib(r.disk),
            mib(r.live),
            if r.compacted { "yes" } else { "no" }
        ));
    }
    if let Some(pause) = &growth.pause {
        out.push('\n');
        out.push_str(&super::sweep_pause::markdown(pause));
    }
    out
}
