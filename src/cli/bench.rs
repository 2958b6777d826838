//! `shopkeep bench`: the load generator.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Everything, as in BENCHMARKS.md: 5 runs, the sweep 1,10,50,100,200, durability, 10 000 idle conversations,
    /// the final turn against 100 000 synthetic products and turns while they are reindexed, turns beside 1 000
    /// shop events/s over HTTP, a child `serve --index` over 1 000 000 products, the plot in docs/latency.svg. Options given as well still apply.
    #[arg(long)]
    pub all: bool,
    /// A running server's chat URL (loopback only); by default a server is started in-process.
    #[arg(long)]
    pub url: Option<String>,
    /// Concurrent conversations for the headline figures.
    #[arg(long, default_value_t = 100)]
    pub connections: usize,
    /// Repeat the headline measurement this many times (median and min–max are printed).
    #[arg(long)]
    pub runs: Option<usize>,
    /// Concurrency levels for the p99 plot, e.g. 1,10,50,100,200.
    #[arg(long, value_delimiter = ',')]
    pub sweep: Vec<usize>,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Turn cap per measurement.
    #[arg(long, default_value_t = 10_000_000)]
    pub max_turns: u64,
    /// Seconds to wait for any connect or frame before counting an error.
    #[arg(long, default_value_t = 5.0)]
    pub timeout: f64,
    /// Also measure durable acks (group commit, at this many sessions) against bare fdatasync.
    #[arg(long, num_args = 0..=1, default_missing_value = "100", value_name = "SESSIONS")]
    pub durability: Option<usize>,
    /// Also measure server memory with this many idle conversations.
    #[arg(long, num_args = 0..=1, default_missing_value = "10000", value_name = "CONVERSATIONS")]
    pub idle: Option<usize>,
    /// Write the p99-against-concurrency plot of the sweep here.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
    #[arg(long, default_value = "catalog")]
    pub catalog: PathBuf,
    /// The email templates and triggers of the --events-rate measurement (its emails go to an in-memory transport).
    #[arg(long, default_value = "emails")]
    pub emails: PathBuf,
    /// Where the temporary data directories go (the disk whose fdatasync is measured); default: the temp dir.
    #[arg(long)]
    pub scratch: Option<PathBuf>,
    /// Serve a synthetic catalog of this many products (seed 1) instead of --catalog, and measure the final turn
    /// against it with one conversation. In-process server only.
    #[arg(long)]
    pub products: Option<usize>,
    /// Also measure turns while the catalog is reindexed back to back. In-process server only.
    #[arg(long)]
    pub reindex: bool,
    /// Also measure turns with this round's features on (every walk gives an email and consent, a finished finder
    /// queues its picks email) while a shop's server posts this many shop events per second to /v1/events beside
    /// the chat load (`--all`: 1000). In-process server only.
    #[arg(long, value_name = "EVENTS_PER_SECOND")]
    pub events_rate: Option<u32>,
    /// Also write this many synthetic products, index them with `shopkeep index --out` and measure a child
    /// `shopkeep serve --index` over them: start time, memory, final turns at 10 conversations (`--all`: 1 000 000).
    #[arg(long, value_name = "PRODUCTS")]
    pub large: Option<usize>,
}

pub(super) fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let seconds = |s: f64, what: &str| {
        if s.is_finite() && s > 0.0 && s <= 3600.0 {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(anyhow::anyhow!(
                "--{what} must be between 0 and 3600 seconds"
            ))
        }
    };
    let all = args.all;
    let sweep = if args.sweep.is_empty() && all {
        vec![1, 10, 50, 100, 200]
    } else {
        args.sweep
    };
    if args.events_rate == Some(0) || args.events_rate.is_some_and(|r| r > 100_000) {
        bail!("--events-rate must be between 1 and 100000 events per second");
    }
    if args.large == Some(0) {
        bail!("--large needs at least one product");
    }
    if args.connections == 0 || sweep.contains(&0) {
        bail!("--connections and --sweep need at least one conversation");
    }
    let options = crate::loadgen::Options {
        url: args.url,
        flows: args.flows,
        catalog: args.catalog,
        connections: args.connections,
        runs: args.runs.unwrap_or(if all { 5 } else { 1 }).max(1),
        sweep,
        duration: seconds(args.seconds, "seconds")?,
        max_turns: args.max_turns,
        timeout: seconds(args.timeout, "timeout")?,
        durability: args.durability.or(all.then_some(100)),
        idle: args.idle.or(all.then_some(10_000)),
        exe: std::env::current_exe()
            .context("cannot find the shopkeep binary to start as the idle server")?,
        scratch: args.scratch.unwrap_or_else(std::env::temp_dir),
        products: args.products.or(all.then_some(100_000)),
        reindex: args.reindex || all,
        events_rate: args.events_rate.or(all.then_some(1000)),
        emails: args.emails,
        large: args.large.or(all.then_some(1_000_000)),
    };
    let svg = args.svg.or(all.then(|| PathBuf::from("docs/latency.svg")));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(crate::loadgen::run(&options, &mut |line| {
        eprintln!("bench: {line}")
    }))?;
    print!("{}", crate::loadgen::report::markdown(&report));
    if let Some(path) = svg {
        if report.sweep.is_empty() {
            eprintln!("bench: no --sweep, so no plot was written");
        } else {
            let caption = format!("p99 turn latency against concurrency ({})", report.machine);
            std::fs::write(&path, crate::loadgen::report::svg(&report.sweep, &caption))
                .with_context(|| format!("cannot write the plot to `{}`", path.display()))?;
            eprintln!("bench: wrote {}", path.display());
        }
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct BenchStoreArgs {
    /// Answers to write through the real server (each walk of the running-shoe finder is a new conversation
    /// with five answers).
    #[arg(long, default_value_t = 200_000)]
    pub answers: u64,
    /// Conversations at a time.
    #[arg(long, default_value_t = 50)]
    pub connections: usize,
    /// Rounds of the steady-state run (the retention period is one round).
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
    #[arg(long, default_value = "catalog")]
    pub catalog: PathBuf,
    /// Where the data directories go (the disk measured); default: the temp dir.
    #[arg(long)]
    pub scratch: Option<PathBuf>,
    /// Seconds of each window of the pause measurement (turn latencies without and during sweeps); 0 skips it.
    #[arg(long, default_value_t = 10)]
    pub pause_secs: u64,
}

/// `shopkeep bench-store`: the store's bytes per answer, before and after expiry and compaction, and its steady
/// state (BENCHMARKS.md, *Store growth*).
pub(super) fn bench_store(args: BenchStoreArgs) -> anyhow::Result<()> {
    if args.answers < 100 || args.connections == 0 || args.rounds == 0 {
        bail!("--answers needs at least 100, --connections and --rounds at least 1");
    }
    let options = crate::loadgen::store_growth::Options {
        answers: args.answers,
        connections: args.connections,
        rounds: args.rounds,
        flows: args.flows,
        catalog: args.catalog,
        scratch: args.scratch.unwrap_or_else(std::env::temp_dir),
        timeout: Duration::from_secs(10),
        pause_secs: args.pause_secs,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let growth = runtime.block_on(crate::loadgen::store_growth::measure(
        &options,
        &mut |line| eprintln!("bench-store: {line}"),
    ))?;
    print!("{}", crate::loadgen::store_growth::markdown(&growth));
    Ok(())
}
