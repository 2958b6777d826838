//! The `shopkeep` command line: `serve`, `check`, `test`, `query`, `index`, `gen-catalog`, `bench`.
//!
//! Arguments are parsed in two stages (as ripgrep does): clap reads what the user typed, then each command builds
//! the validated values the library takes. Errors here are `anyhow` with one line naming the thing and the fix.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::catalog::Catalog;
use crate::conversation::{self, Answered, Input, Reply, Session};
use crate::flow::{Flows, Severity, check_fields};
use crate::server::{self, App, Limits, Settings};
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(
    name = "shopkeep",
    version,
    about = "A conversational guided-selling assistant"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the chat, the widget and a demo shop page.
    Serve(ServeArgs),
    /// Check flow files (and their mappings against the catalog).
    Check(CheckArgs),
    /// Run scripted conversation tests (`flows/tests/*.yaml`) against a fresh server or `--url`.
    Test(TestArgs),
    /// Run a finder's match from the command line: `shopkeep query running-shoes terrain=trail budget=..120`.
    Query(QueryArgs),
    /// Import a catalog folder's feeds, report bad rows, and build the search index (on disk with --out).
    Index(IndexArgs),
    /// Write a synthetic catalog of any size as JSON Lines to stdout, for benchmarks and load tests.
    GenCatalog(GenCatalogArgs),
    /// Load-test conversations over real WebSockets against a bare echo baseline; prints markdown tables.
    Bench(BenchArgs),
}

#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Folder of feeds: *.jsonl, *.csv (generic or Shopify export), *.tsv and *.xml (Google Merchant Center).
    #[arg(default_value = "catalog")]
    pub catalog: PathBuf,
    /// Write the tantivy index to this new (or empty) folder instead of only building it in memory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The currency of prices that name none.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// The separator of list cells (tags) in generic CSV; by default `|` when a cell has one, else `,`.
    #[arg(long, value_name = "CHAR")]
    pub list_separator: Option<char>,
}

#[derive(Debug, clap::Args)]
pub struct GenCatalogArgs {
    /// How many products.
    #[arg(long, default_value_t = 10_000)]
    pub products: usize,
    /// The random seed: the same seed writes the same catalog.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SHOPKEEP_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Folder of flow files.
    #[arg(long, env = "SHOPKEEP_FLOWS", default_value = "flows")]
    pub flows: PathBuf,
    /// Folder of catalog feeds (and images/).
    #[arg(long, env = "SHOPKEEP_CATALOG", default_value = "catalog")]
    pub catalog: PathBuf,
    /// Data directory: the store (`store/`) and the catalog's on-disk index (`index/<fingerprint>/`).
    #[arg(long, env = "SHOPKEEP_DATA", default_value = "data")]
    pub data: PathBuf,
    /// Extra origins (e.g. https://shop.example.com) whose pages may open the chat; `*` allows any.
    #[arg(
        long = "allow-origin",
        env = "SHOPKEEP_ALLOW_ORIGINS",
        value_delimiter = ','
    )]
    pub allow_origins: Vec<String>,
    /// Days an idle conversation can still be resumed.
    #[arg(long, env = "SHOPKEEP_SESSION_DAYS", default_value_t = 30)]
    pub session_days: u64,
    /// Largest chat message a client may send, in bytes (bigger closes with 1009).
    #[arg(long, env = "SHOPKEEP_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024)]
    pub max_message_bytes: usize,
    /// Sustained chat messages per second per connection (more closes with 1008); 0 for no limit.
    #[arg(long, env = "SHOPKEEP_MESSAGES_PER_SECOND", default_value_t = 10)]
    pub messages_per_second: u32,
    /// Open conversations one client address may hold (more get 429); 0 for no limit.
    #[arg(long, env = "SHOPKEEP_CONNECTIONS_PER_IP", default_value_t = 64)]
    pub connections_per_ip: usize,
    /// Minutes without a message before a conversation's connection is closed (it can be resumed).
    #[arg(long, env = "SHOPKEEP_IDLE_MINUTES", default_value_t = 30)]
    pub idle_minutes: u64,
    /// Do not reload when a file in the flows or catalog folder changes (POST /admin/reload still does).
    #[arg(long, env = "SHOPKEEP_NO_WATCH")]
    pub no_watch: bool,
    /// Bearer token for admin requests such as POST /admin/reload; without it only this machine may ask.
    #[arg(long, env = "SHOPKEEP_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// A flow file or a folder of them.
    #[arg(default_value = "flows")]
    pub path: PathBuf,
    /// Also run every answer path of every finder against this catalog folder (default `catalog`) and name the
    /// paths that end with no products or too few. Field mappings are checked against it either way.
    #[arg(long, num_args = 0..=1, default_missing_value = "catalog", value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// With --catalog: paths with fewer products than this are reported as thin.
    #[arg(long, default_value_t = 4)]
    pub thin: usize,
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// A test file or a folder of them (docs/testing.md).
    #[arg(default_value = "flows/tests")]
    pub path: PathBuf,
    /// Folder of flow files: served in-process, and followed to account coverage.
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
    /// Folder of catalog feeds: served in-process, and looked up for conditions on product attributes.
    #[arg(long, default_value = "catalog")]
    pub catalog: PathBuf,
    /// Test a running server's chat instead of a fresh in-process one, e.g. ws://127.0.0.1:8080/v1/chat.
    #[arg(long)]
    pub url: Option<String>,
    /// Cases run at once.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// Seconds to wait for a connection or any one message.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// Write a JUnit XML report to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Report the questions, options and edges of each finder that no case exercised.
    #[arg(long)]
    pub coverage: bool,
    /// Fail when any finder is covered less than this (per cent).
    #[arg(long, value_name = "PCT")]
    pub min_coverage: Option<f64>,
    /// Compare every case's picks with the golden files (`<tests>/golden/*.golden.yaml`).
    #[arg(long)]
    pub golden: bool,
    /// Record the picks, replacing the golden files (implies --golden).
    #[arg(long)]
    pub update: bool,
}

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The finder's id.
    pub flow: String,
    /// Answers: `question=value`, `question=a,b` (multi), `question=..120` / `80..120` (range), `question="text"`.
    pub answers: Vec<String>,
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
    #[arg(long, default_value = "catalog")]
    pub catalog: PathBuf,
    #[arg(long)]
    pub locale: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Everything, as in BENCHMARKS.md: 5 runs, the sweep 1,10,50,100,200, durability, 10 000 idle conversations,
    /// the final turn against 100 000 synthetic products and turns while they are reindexed, the plot in
    /// docs/latency.svg. Options given as well still apply.
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
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Check(args) => check(args),
        Command::Test(args) => test(args),
        Command::Query(args) => query(args),
        Command::Index(args) => index(args),
        Command::GenCatalog(args) => gen_catalog(args),
        Command::Bench(args) => bench(args),
    }
}

fn test(args: TestArgs) -> anyhow::Result<()> {
    use crate::scenario::{self, GoldenMode, Plan, report};
    let plan = Plan {
        tests: args.path.clone(),
        flows: args.flows.clone(),
        catalog: args.catalog.clone(),
        url: args.url.clone(),
        options: scenario::Options {
            jobs: args.jobs.max(1),
            timeout: Duration::from_secs(args.timeout.max(1)),
        },
        golden: match (args.golden, args.update) {
            (_, true) => GoldenMode::Update,
            (true, false) => GoldenMode::Compare,
            (false, false) => GoldenMode::Off,
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let summary = match runtime.block_on(scenario::execute(&plan)) {
        Ok(summary) => summary,
        Err(scenario::ScenarioError::Problems { problems }) => {
            problems.iter().for_each(|p| eprintln!("{p}"));
            let n = problems.len();
            bail!(
                "{n} {} in the test files (listed above); fix them, see docs/testing.md",
                if n == 1 { "problem" } else { "problems" }
            );
        }
        Err(other) => return Err(other.into()),
    };
    let below = args
        .min_coverage
        .filter(|min| summary.min_coverage() < *min);
    print!(
        "{}",
        report::text(&summary, args.coverage || below.is_some())
    );
    if let Some(path) = &args.junit {
        report::write_junit(&summary, path)?;
    }
    if !summary.passed() {
        bail!(
            "{} of {} cases failed (above)",
            summary.failed(),
            summary.outcomes.len()
        );
    }
    if let Some(min) = below {
        bail!(
            "coverage is {:.0}%, below --min-coverage {min}; add cases for what is listed as not exercised",
            summary.min_coverage()
        );
    }
    Ok(())
}

/// Loads flows and catalog and checks the flows' mappings against the catalog's fields; prints the warnings and
/// the rows the feeds skipped.
fn load(
    flows_dir: &Path,
    catalog_dir: &Path,
    shelf: Option<&crate::catalog::Shelf>,
) -> anyhow::Result<(Flows, Catalog)> {
    let loaded = crate::setup::load(flows_dir, catalog_dir, shelf)?;
    loaded.warnings.iter().for_each(|w| eprintln!("{w}"));
    for report in loaded.reports.iter().filter(|r| !r.skipped.is_empty()) {
        eprintln!("{report}");
    }
    Ok((loaded.flows, loaded.catalog))
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let addr: SocketAddr = args.addr.parse().with_context(|| {
        format!(
            "`{}` is not an address such as 127.0.0.1:8080; fix --addr",
            args.addr
        )
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // The store first: it locks the data folder, so a second server on it stops before touching its index.
        let store = Store::open(&args.data)?;
        let shelf = crate::catalog::Shelf::new(args.data.join("index"), Default::default());
        let (flows, catalog) = load(&args.flows, &args.catalog, Some(&shelf))?;
        match catalog.origin() {
            crate::catalog::Origin::Reused(folder) => eprintln!("catalog: feeds unchanged, reusing the index in `{}`", folder.display()),
            crate::catalog::Origin::Built(folder) => eprintln!("catalog: index built into `{}`", folder.display()),
            _ => {}
        }
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                anyhow::anyhow!("port {} is in use; stop what is using it or pass another --addr", addr.port())
            } else {
                anyhow::anyhow!("cannot listen on {addr}: {e}; pass another --addr")
            }
        })?;
        let local = listener.local_addr()?;
        let settings = Settings {
            allowed_origins: args.allow_origins.clone(),
            session_ttl: Duration::from_secs(args.session_days.max(1) * 24 * 3600),
            flows_dir: args.flows.clone(),
            catalog_dir: args.catalog.clone(),
            catalog_index: Some(shelf),
            watch: !args.no_watch,
            admin_token: args.admin_token.clone().filter(|t| !t.trim().is_empty()),
            limits: Limits {
                max_message_bytes: args.max_message_bytes.max(256),
                messages_per_second: args.messages_per_second,
                message_burst: args.messages_per_second.saturating_mul(2),
                connections_per_ip: args.connections_per_ip,
                idle_timeout: Duration::from_secs(args.idle_minutes.max(1) * 60),
                ..Limits::default()
            },
        };
        let (n_flows, n_products) = (flows.len(), catalog.len());
        let (state, shutdown) = App::new(flows, catalog, store, settings);
        tokio::spawn(async move {
            stop_signal().await;
            eprintln!("shutting down…");
            shutdown.trigger();
        });
        println!("shopkeep is serving http://{local}/ ({n_flows} finders, {n_products} products). Press Ctrl-C to stop.");
        server::run(listener, state).await?;
        println!("stopped cleanly");
        Ok(())
    })
}

fn bench(args: BenchArgs) -> anyhow::Result<()> {
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

/// Ctrl-C, or SIGTERM from a service manager.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn check(args: CheckArgs) -> anyhow::Result<()> {
    let files = if args.path.is_dir() {
        Flows::files(&args.path)?
    } else {
        vec![args.path.clone()]
    };
    let catalog_dir = args
        .catalog
        .clone()
        .unwrap_or_else(|| PathBuf::from("catalog"));
    let catalog = Catalog::from_dir(&catalog_dir).map(|(c, _)| c);
    match (&catalog, &args.catalog) {
        (Err(e), Some(_)) => bail!("{e}"),
        (Err(e), None) => eprintln!("note: field mappings not checked: {e}"),
        _ => {}
    }
    let (mut errors, mut warnings) = (0, 0);
    let shared = match args.path.is_dir() {
        true => crate::flow::Shared::load(&args.path.join("shared")),
        false => crate::flow::Shared::beside(&args.path),
    };
    for problem in &shared.problems {
        println!("{problem}");
        errors += 1;
    }
    for path in &files {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read flow `{}`", path.display()))?;
        let (flow, mut problems) = crate::flow::compile_with(path, &source, &shared);
        if let (Some(flow), Ok(catalog)) = (&flow, &catalog) {
            let field_problems = check_fields(flow, catalog.fields());
            let fields_ok = field_problems.is_empty();
            problems.extend(field_problems);
            if args.catalog.is_some() && fields_ok {
                let (empty, thin) = report_paths(flow, catalog, args.thin)?;
                errors += empty;
                warnings += thin;
            }
        }
        for problem in &problems {
            println!("{problem}");
            match problem.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
    }
    println!(
        "{} flows checked: {errors} errors, {warnings} warnings",
        files.len()
    );
    if errors > 0 {
        bail!("{errors} errors in the flows; fix them (each names the file, line and fix)");
    }
    Ok(())
}

/// Runs the catalog-aware check of one flow and prints what it found; returns how many paths are empty and thin.
fn report_paths(
    flow: &crate::flow::Flow,
    catalog: &Catalog,
    thin: usize,
) -> anyhow::Result<(usize, usize)> {
    use std::io::IsTerminal;
    let started = std::time::Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut progress = |done: usize| {
        if tty {
            eprint!("\r{}: {done} answer paths checked", flow.id);
        }
    };
    let audit = crate::audit::audit(flow, catalog, thin, &mut progress)?;
    if tty {
        eprintln!();
    }
    println!(
        "{}: {} answer paths in {:.2}s; {} end with no products, {} with fewer than {thin}{}",
        flow.file_name(),
        audit.paths,
        started.elapsed().as_secs_f64(),
        audit.empty.len(),
        audit.thin.len(),
        if audit.truncated {
            " (stopped early: too many paths)"
        } else {
            ""
        }
    );
    const SHOWN: usize = 20;
    for path in audit.empty.iter().take(SHOWN) {
        println!(
            "{}: error: no products for {} (→ {}); loosen a filter or add products",
            flow.file_name(),
            path.answers.join(", "),
            path.result
        );
    }
    if audit.empty.len() > SHOWN {
        println!(
            "  … and {} more paths with no products",
            audit.empty.len() - SHOWN
        );
    }
    for path in audit.thin.iter().take(SHOWN) {
        println!(
            "{}: warning: only {} products for {} (→ {})",
            flow.file_name(),
            path.products,
            path.answers.join(", "),
            path.result
        );
    }
    if audit.thin.len() > SHOWN {
        println!("  … and {} more thin paths", audit.thin.len() - SHOWN);
    }
    Ok((audit.empty.len(), audit.thin.len()))
}

/// Reads `question=value` into an answer to that question.
fn parse_answer(flow: &crate::flow::Flow, arg: &str) -> anyhow::Result<Answered> {
    let (question, value) = arg
        .split_once('=')
        .with_context(|| format!("`{arg}` is not question=value"))?;
    let q = flow
        .question(question)
        .with_context(|| format!("finder `{}` has no question `{question}`", flow.id))?;
    let reply = match q.kind {
        crate::flow::Kind::Multi => Reply::Values(value.split(',').map(str::to_string).collect()),
        crate::flow::Kind::Range => {
            let (min, max) = value.split_once("..").unwrap_or(("", value));
            let num = |s: &str| -> anyhow::Result<Option<f64>> {
                if s.trim().is_empty() {
                    Ok(None)
                } else {
                    Ok(Some(
                        s.trim()
                            .parse()
                            .with_context(|| format!("`{s}` is not a number"))?,
                    ))
                }
            };
            Reply::Range {
                min: num(min)?,
                max: num(max)?,
            }
        }
        _ if q.options.iter().any(|o| o.value == value) => Reply::Value(value.to_string()),
        _ => Reply::Text(value.to_string()),
    };
    // Let the engine interpret it exactly as it would in a conversation.
    let mut session = Session::new("query".into(), flow, None, None);
    session.at = conversation::Position::Asking(q.id.clone());
    let (session, _) = conversation::step(flow, session, Input::Answer(reply));
    session
        .answers
        .into_iter()
        .next()
        .with_context(|| format!("`{value}` is not an answer to `{question}`"))
}

fn query(args: QueryArgs) -> anyhow::Result<()> {
    let (flows, catalog) = load(&args.flows, &args.catalog, None)?;
    let flow = flows
        .get(&args.flow)
        .with_context(|| format!("there is no finder `{}`", args.flow))?;
    let mut session = Session::new("query".into(), flow, args.locale.as_deref(), None);
    for arg in &args.answers {
        session.answers.push(parse_answer(flow, arg)?);
    }
    let result = flow
        .nodes
        .iter()
        .find_map(|n| match n {
            crate::flow::Node::Results(r) => Some(r),
            _ => None,
        })
        .context("the finder has no result node")?;
    let request = conversation::request(flow, &session, result.count);
    let outcome = catalog.find(&request)?;
    let total = outcome.total;
    let showcase = conversation::present(flow, &session, &result.id, outcome);
    println!("{}", showcase.title);
    if let Some(intro) = &showcase.intro {
        println!("{intro}");
    }
    for (_, label) in &showcase.relaxed {
        println!("relaxed: {label}");
    }
    for (n, pick) in showcase.picks.iter().enumerate() {
        let p = &pick.product;
        println!(
            "{}. {} — {} ({}) ★{}",
            n + 1,
            p.title,
            crate::money::format(p.price, &p.currency),
            p.id,
            p.rating
        );
        println!("   {}", pick.line);
    }
    println!("{total} products pass the filters");
    Ok(())
}

fn index(args: IndexArgs) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if !args.catalog.is_dir() {
        bail!(
            "catalog folder `{}` does not exist; pass the folder that holds your feeds",
            args.catalog.display()
        );
    }
    let currency = args.currency.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        bail!(
            "`{}` is not an ISO 4217 currency code such as USD or JPY; fix --currency",
            args.currency
        );
    }
    let options = crate::catalog::feed::ImportOptions {
        default_currency: currency,
        list_separator: args.list_separator,
    };
    let started = std::time::Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut progress = |stage: crate::catalog::Stage, done: usize| {
        if tty {
            let verb = match stage {
                crate::catalog::Stage::Reading => "read",
                crate::catalog::Stage::Indexing => "indexed",
            };
            eprint!("\r\x1b[2K{done} products {verb}…");
        }
    };
    let built = Catalog::build(&args.catalog, &options, args.out.as_deref(), &mut progress);
    if tty {
        eprint!("\r\x1b[2K");
    }
    let (catalog, reports) = built?;
    for report in &reports {
        println!("{report}");
    }
    let skipped: usize = reports.iter().map(|r| r.skipped.len()).sum();
    println!(
        "{} products indexed from {} files in {:.2}s; {skipped} rows skipped{}",
        catalog.len(),
        reports.len(),
        started.elapsed().as_secs_f64(),
        match &args.out {
            Some(out) => format!("; index written to `{}`", out.display()),
            None => String::new(),
        }
    );
    Ok(())
}

fn gen_catalog(args: GenCatalogArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for product in crate::catalog::synthetic::generate(args.products, args.seed) {
        serde_json::to_writer(&mut out, &product)?;
        out.write_all(b"\n")
            .context("cannot write the catalog to stdout")?;
    }
    out.flush().context("cannot write the catalog to stdout")?;
    Ok(())
}
