//! The load generator behind `shopkeep bench`: scripted conversations over real WebSockets, measured against a
//! bare WebSocket echo baseline *B* in the same run, plus durable acknowledgements and idle memory.
//!
//! - [`script`]: the finder walk every connection repeats, and its calibration against the server under test.
//! - [`client`]: N concurrent closed-loop connections with client-side `hdrhistogram` latencies.
//! - [`durability`]: group-committed durable acks against bare `fdatasync` on the same disk.
//! - [`idle`]: server memory per idle conversation, with the server in a child process.
//! - [`catalog_load`]: a synthetic catalog of any size served in-process, the final turn against it, and turns
//!   while that catalog is reindexed again and again.
//! - `server_under_test`: the in-process server (its limits, mailer and catalog) and listening on loopback.
//! - `run`: [`run`], every measurement `Options` asks for, one after another, into a [`Report`].
//! - [`report`]: the ready-to-paste markdown tables and the SVG plot of p99 latency against concurrency.
//!
//! Bounded everywhere: each measurement has a duration and a turn cap, every connect and frame a timeout, and
//! only loopback addresses are accepted. The server under test is either one already running (`--url`) or one
//! started in-process on `127.0.0.1:0` with the shipped flows and catalog and a temporary data directory.

pub mod catalog_load;
pub mod client;
pub mod durability;
pub mod events_load;
pub mod idle;
pub mod large;
mod plot;
pub mod recs_load;
pub mod report;
mod run;
pub mod script;
mod server_under_test;
pub mod store_growth;
pub mod sweep_pause;

use std::path::PathBuf;
use std::time::Duration;

pub use client::{Load, Outcome};
pub use run::run;
pub use script::Script;
pub(crate) use server_under_test::bench_limits;
use server_under_test::load_error;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(
        "`{0}` is not a loopback WebSocket URL; the load generator only drives ws://127.0.0.1:PORT/v1/chat"
    )]
    NotLoopback(String),
    #[error("cannot connect to `{url}`: {reason}; start the server or leave out --url")]
    Connect { url: String, reason: String },
    #[error(
        "calibration failed: {0}; check that the server serves the shipped running-shoes finder"
    )]
    Calibration(String),
    #[error("the server refused `{0}`")]
    Refused(String),
    #[error("the connection broke or timed out at `{0}`")]
    Broken(String),
    #[error(
        "cannot load the shipped {what}: {reason}; run from the repository root or pass --flows/--catalog"
    )]
    Load { what: &'static str, reason: String },
    #[error(
        "the open-files limit is {limit} but {needed} are needed; raise it (`ulimit -n 20000`) or pass fewer --idle"
    )]
    FdLimit { limit: u64, needed: u64 },
    #[error("bench: {0}")]
    Io(String),
    #[error("--products, --reindex and --events-rate need the in-process server; leave out --url")]
    InProcessOnly,
}

/// What `shopkeep bench` runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// A running server's chat URL; `None` starts one in-process.
    pub url: Option<String>,
    pub flows: PathBuf,
    pub catalog: PathBuf,
    /// Concurrent conversations for the headline figures.
    pub connections: usize,
    /// How often to repeat the headline measurement (median and min–max are reported).
    pub runs: usize,
    /// Concurrency levels for the latency plot; empty for none.
    pub sweep: Vec<usize>,
    /// Length of one measurement.
    pub duration: Duration,
    /// Turn cap of one measurement.
    pub max_turns: u64,
    /// Timeout for each connect and each frame.
    pub timeout: Duration,
    /// Also measure durable acks against fdatasync, with this many sessions.
    pub durability: Option<usize>,
    /// Also measure memory with this many idle conversations (needs `exe`).
    pub idle: Option<usize>,
    /// The `shopkeep` binary, to start as the idle-memory server.
    pub exe: PathBuf,
    /// Where temporary data directories go (the disk whose fdatasync is measured).
    pub scratch: PathBuf,
    /// Serve a synthetic catalog of this many products instead of `catalog` (in-process server only).
    pub products: Option<usize>,
    /// Also measure turns while the catalog is reindexed back to back (in-process server only).
    pub reindex: bool,
    /// Also measure turns with this round's features on — every walk records a consent and an email, a finished
    /// finder queues its picks email — while a shop's server posts this many events per second over HTTP
    /// (in-process only).
    pub events_rate: Option<u32>,
    /// The email templates and triggers of that measurement's server (sent to an in-memory transport).
    pub emails: PathBuf,
    /// Also index this many synthetic products with `shopkeep index --out` and measure `serve --index` over them in
    /// a child process (needs `exe`).
    pub large: Option<usize>,
}

/// Turns measured while shop events arrived over HTTP.
#[derive(Clone)]
pub struct EventsRun {
    pub pair: Pair,
    /// Emails the finished finders queued (the outbox's `queued` counter).
    pub emails: u64,
    pub posted: events_load::Posted,
}

/// The final turn against a catalog of a given size.
#[derive(Clone)]
pub struct CatalogRun {
    pub products: usize,
    /// Building the index the server started with.
    pub build_secs: f64,
    /// One conversation at a time, so a turn's latency is its own work plus the loopback hops.
    pub single: Pair,
}

/// One measurement of shopkeep and of the echo baseline at the same concurrency, back to back.
#[derive(Clone)]
pub struct Pair {
    pub shopkeep: Outcome,
    pub echo: Outcome,
}

/// Everything one `shopkeep bench` found.
pub struct Report {
    pub machine: String,
    pub target: String,
    pub duration: Duration,
    pub runs: Vec<Pair>,
    pub sweep: Vec<Pair>,
    pub durability: Option<durability::Durability>,
    pub idle: Option<idle::Idle>,
    pub catalog: Option<CatalogRun>,
    pub reindex: Option<catalog_load::Reindexing>,
    pub events: Option<EventsRun>,
    pub large: Option<large::Large>,
}

/// Checks that `url` is a `ws://` URL on a loopback address.
pub fn loopback_only(url: &str) -> Result<(), BenchError> {
    let host = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .map(|authority| {
            authority
                .rsplit_once(':')
                .map_or(authority, |(host, _)| host)
        });
    match host {
        Some("127.0.0.1" | "localhost" | "[::1]") => Ok(()),
        _ => Err(BenchError::NotLoopback(url.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_driven() {
        for url in [
            "ws://127.0.0.1:8080/v1/chat",
            "ws://localhost:1/v1/chat",
            "ws://[::1]:9/v1/chat",
        ] {
            assert!(loopback_only(url).is_ok(), "{url}");
        }
        for url in [
            "ws://example.com/v1/chat",
            "wss://127.0.0.1:1/v1/chat",
            "ws://10.0.0.1:80/v1/chat",
            "http://127.0.0.1:1/",
        ] {
            assert!(loopback_only(url).is_err(), "{url}");
        }
    }
}
