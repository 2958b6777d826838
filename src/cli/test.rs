//! `shopkeep test`: scripted conversation tests.

use anyhow::bail;
use std::path::PathBuf;
use std::time::Duration;

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

pub(super) fn test(args: TestArgs) -> anyhow::Result<()> {
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
