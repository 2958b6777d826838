//! The `shopkeep` command line: `serve`, `check`, `graph`, `test`, `query`, `index`, `gen-catalog`, `bench`,
//! `sign-customer`, `eval-recs`, `email preview`, `insights`.
//!
//! Arguments are parsed in two stages (as ripgrep does): clap reads what the user typed, then each command builds
//! the validated values the library takes. Errors here are `anyhow` with one line naming the thing and the fix.

use std::path::Path;

use clap::{Parser, Subcommand};

use crate::catalog::Catalog;
use crate::flow::Flows;

mod bench;
mod catalog;
mod check;
mod email;
mod graph;
mod insights;
mod privacy;
mod recs;
mod serve;
mod test;

pub use bench::{BenchArgs, BenchStoreArgs};
pub use catalog::{GenCatalogArgs, IndexArgs, QueryArgs};
pub use check::CheckArgs;
pub use email::EmailArgs;
pub use graph::GraphArgs;
pub use insights::InsightsArgs;
pub use privacy::SignCustomerArgs;
pub use recs::{BenchRecsArgs, EvalRecsArgs};
pub use serve::ServeArgs;
pub use test::TestArgs;

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
    Serve(Box<ServeArgs>),
    /// Check flow files (and their mappings against the catalog).
    Check(CheckArgs),
    /// Draw a finder: `shopkeep graph running-shoes --catalog > finder.svg`.
    Graph(GraphArgs),
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
    /// Email templates: `shopkeep email preview picks --locale ja` writes the HTML and text parts.
    Email(EmailArgs),
    /// Print the signature of a customer id (`data-customer-signature`) under the shop's secret.
    SignCustomer(SignCustomerArgs),
    /// Print a finder's insights (funnel, drop-off, answers, empty results, picks) from the running server's
    /// admin API, or from a stopped server's `--data` folder: `shopkeep insights running-shoes --since 7d`.
    Insights(InsightsArgs),
    /// Score next-item recommendations on an event log (HR@20, MRR@20 against popularity); --generate writes one.
    EvalRecs(EvalRecsArgs),
    /// Measure durable shop-event ingest over HTTP batches and recommendation latency at scale (1 M events,
    /// 100 000 products by default); prints markdown tables for BENCHMARKS.md.
    BenchRecs(BenchRecsArgs),
    /// Measure the store's bytes per answer, what expiry and compaction give back, and its steady-state size;
    /// prints markdown tables for BENCHMARKS.md.
    BenchStore(BenchStoreArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::serve(*args),
        Command::Check(args) => check::check(args),
        Command::Graph(args) => graph::graph(args),
        Command::Test(args) => test::test(args),
        Command::Query(args) => catalog::query(args),
        Command::Index(args) => catalog::index(args),
        Command::GenCatalog(args) => catalog::gen_catalog(args),
        Command::Bench(args) => bench::bench(args),
        Command::SignCustomer(args) => privacy::sign_customer(args),
        Command::EvalRecs(args) => recs::eval_recs(args),
        Command::BenchRecs(args) => recs::bench_recs(args),
        Command::BenchStore(args) => bench::bench_store(args),
        Command::Email(args) => email::run(args),
        Command::Insights(args) => insights::insights(args),
    }
}

/// Loads flows and catalog and checks the flows' mappings against the catalog's fields; prints the warnings and
/// the rows the feeds skipped.
pub(super) fn load(
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
