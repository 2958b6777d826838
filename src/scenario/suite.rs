//! A whole `shopkeep test` run: load and check the cases, start a fresh in-process server (or use `--url`), run
//! the cases, compare or record golden picks, measure coverage. The CLI only prints what this returns.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::coverage::{self, FlowCoverage, Seen};
use super::golden::{self, GoldenCase, GoldenFile};
use super::run::{Options, Outcome, run_cases};
use super::{ScenarioError, load};
use crate::catalog::Catalog;
use crate::flow::{Flows, LoadError, check_fields};
use crate::server::{self, App, Settings, Shutdown};
use crate::store::Store;

/// What to do with golden picks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GoldenMode {
    #[default]
    Off,
    /// Compare with the recorded picks; a change or a missing record fails.
    Compare,
    /// Record the picks, replacing what was there.
    Update,
}

#[derive(Clone, Debug)]
pub struct Plan {
    /// A test file or a folder of them.
    pub tests: PathBuf,
    pub flows: PathBuf,
    pub catalog: PathBuf,
    /// A running server's chat (`ws://…/v1/chat`); `None` starts a fresh one in-process.
    pub url: Option<String>,
    pub options: Options,
    pub golden: GoldenMode,
}

/// The golden file of one test file, after the run.
#[derive(Clone, Debug)]
pub struct GoldenReport {
    pub path: PathBuf,
    /// Recorded cases that no longer exist (a failure when comparing).
    pub stale: Vec<String>,
    /// Cases whose picks were recorded anew or changed (when updating).
    pub written: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct Summary {
    pub outcomes: Vec<Outcome>,
    pub coverage: Vec<FlowCoverage>,
    pub golden: Vec<GoldenReport>,
    pub elapsed: Duration,
}

impl Summary {
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| !o.passed()).count()
    }

    pub fn passed(&self) -> bool {
        self.failed() == 0 && self.golden.iter().all(|g| g.stale.is_empty())
    }

    /// The lowest coverage of any finder, in per cent.
    pub fn min_coverage(&self) -> f64 {
        self.coverage
            .iter()
            .map(FlowCoverage::percent)
            .fold(100.0, f64::min)
    }
}

/// Loads the flows and the catalog as `shopkeep serve` would, refusing flows with errors.
pub fn load_world(flows_dir: &Path, catalog_dir: &Path) -> Result<(Flows, Catalog), ScenarioError> {
    let flows = match Flows::load_dir(flows_dir) {
        Ok((flows, _warnings)) => flows,
        Err(LoadError::Problems { problems }) => {
            return Err(ScenarioError::Flows {
                path: flows_dir.to_path_buf(),
                message: problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            });
        }
        Err(other) => {
            return Err(ScenarioError::Flows {
                path: flows_dir.to_path_buf(),
                message: other.to_string(),
            });
        }
    };
    let (catalog, _) = Catalog::from_dir(catalog_dir).map_err(|e| ScenarioError::Catalog {
        path: catalog_dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let problems: Vec<String> = flows
        .all_arms()
        .iter()
        .flat_map(|f| check_fields(f, catalog.fields()))
        .filter(|p| p.severity == crate::flow::Severity::Error)
        .map(|p| p.to_string())
        .collect();
    if !problems.is_empty() {
        return Err(ScenarioError::Flows {
            path: flows_dir.to_path_buf(),
            message: problems.join("\n"),
        });
    }
    Ok((flows, catalog))
}

/// A server started for one run, on 127.0.0.1:0 with a data directory that is removed afterwards.
pub struct LocalServer {
    pub addr: SocketAddr,
    shutdown: Shutdown,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _data: tempfile::TempDir,
}

impl LocalServer {
    pub async fn start(
        flows: Flows,
        catalog: Catalog,
        catalog_dir: &Path,
    ) -> Result<LocalServer, ScenarioError> {
        let failed = |e: &dyn std::fmt::Display| ScenarioError::Server(e.to_string());
        let data = tempfile::Builder::new()
            .prefix("shopkeep-test-")
            .tempdir()
            .map_err(|e| failed(&e))?;
        let store = Store::open(data.path()).map_err(|e| failed(&e))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| failed(&e))?;
        let addr = listener.local_addr().map_err(|e| failed(&e))?;
        let settings = Settings {
            catalog_dir: catalog_dir.to_path_buf(),
            ..Settings::default()
        };
        let (state, shutdown) = App::new(flows, catalog, store, settings);
        let task = tokio::spawn(server::run(listener, state));
        Ok(LocalServer {
            addr,
            shutdown,
            task,
            _data: data,
        })
    }

    pub fn url(&self) -> String {
        format!("ws://{}/v1/chat", self.addr)
    }

    /// Stops the server and waits (25 s at most) until it has returned.
    pub async fn stop(self) {
        self.shutdown.trigger();
        let _ = tokio::time::timeout(Duration::from_secs(25), self.task).await;
    }
}

/// Runs the plan: every case, then golden picks and coverage.
pub async fn execute(plan: &Plan) -> Result<Summary, ScenarioError> {
    let started = Instant::now();
    let cases = load(&plan.tests)?;
    let (flows, catalog) = load_world(&plan.flows, &plan.catalog)?;
    let (cases, mut problems) = super::arms::expand(cases, &flows);
    problems.extend(super::validate::check(&cases, &flows, Some(&catalog)));
    if !problems.is_empty() {
        return Err(ScenarioError::Problems { problems });
    }
    let outcomes = match &plan.url {
        Some(url) => run_cases(cases, url, &flows, Some(&catalog), &plan.options).await,
        None => {
            let server = LocalServer::start(flows.clone(), catalog.clone(), &plan.catalog).await?;
            let outcomes =
                run_cases(cases, &server.url(), &flows, Some(&catalog), &plan.options).await;
            server.stop().await;
            outcomes
        }
    };
    let mut outcomes = outcomes;
    let golden = match plan.golden {
        GoldenMode::Off => Vec::new(),
        mode => goldens(&mut outcomes, mode)?,
    };
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for outcome in outcomes
        .iter()
        .filter(|o| o.case.arm != Some(crate::flow::Arm::Variant))
    {
        seen.entry(outcome.case.flow.clone())
            .or_default()
            .extend(&outcome.seen);
    }
    Ok(Summary {
        coverage: coverage::measure_all(&flows, &seen),
        outcomes,
        golden,
        elapsed: started.elapsed(),
    })
}

/// Compares (or records) the golden picks of every test file; a changed or missing record fails its case.
fn goldens(outcomes: &mut [Outcome], mode: GoldenMode) -> Result<Vec<GoldenReport>, ScenarioError> {
    let mut files: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (n, outcome) in outcomes.iter().enumerate() {
        files.entry(outcome.case.file.clone()).or_default().push(n);
    }
    let mut reports = Vec::new();
    for (file, indices) in files {
        let path = golden::path_for(&file);
        let recorded = golden::read(&path)?.unwrap_or_default();
        let mut updated = GoldenFile {
            v: golden::VERSION,
            tests: file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            cases: Vec::new(),
        };
        let mut changed = 0;
        for &n in &indices {
            let outcome = &mut outcomes[n];
            let before = recorded.cases.iter().find(|c| c.name == outcome.case.name);
            let Some(products) = outcome.products() else {
                // Ended at a question, or stopped early: keep what was recorded.
                updated.cases.extend(before.cloned());
                continue;
            };
            let actual = GoldenCase::new(&outcome.case.name, outcome.answers.clone(), products);
            let lines = before.map(|b| golden::diff(b, &actual));
            if mode == GoldenMode::Compare {
                match lines {
                    None => outcome.failures.push(format!(
                        "no golden picks recorded in `{}`; record them with `shopkeep test --golden --update`",
                        path.display()
                    )),
                    Some(lines) if !lines.is_empty() => outcome.failures.push(format!(
                        "the picks differ from `{}` (update it with `--golden --update` if this is intended):\n{}",
                        path.display(),
                        lines.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
                    )),
                    Some(_) => {}
                }
            } else if lines.is_none_or(|l| !l.is_empty()) {
                changed += 1;
            }
            updated.cases.push(actual);
        }
        let names: Vec<&str> = indices
            .iter()
            .map(|&n| outcomes[n].case.name.as_str())
            .collect();
        let stale: Vec<String> = recorded
            .cases
            .iter()
            .filter(|c| !names.contains(&c.name.as_str()))
            .map(|c| c.name.clone())
            .collect();
        let written = if mode == GoldenMode::Update
            && (changed > 0 || !stale.is_empty() || recorded != updated)
        {
            golden::write(&path, &updated)?;
            Some(changed)
        } else {
            None
        };
        reports.push(GoldenReport {
            path,
            stale: if mode == GoldenMode::Compare {
                stale
            } else {
                Vec::new()
            },
            written,
        });
    }
    Ok(reports)
}
