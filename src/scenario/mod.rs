//! Scripted conversation tests for finders (`shopkeep test`): a merchandiser's or developer's proof that a finder
//! still asks what it should and shows what it should after a flow edit or a feed change.
//!
//! - [`spec`]: the test file as written (`flows/tests/*.yaml`, schema in `docs/test.schema.json`).
//! - [`format`]: parsing with line and column, tables expanded.
//! - [`validate`]: cases checked against the finders and the catalog before they run.
//! - [`check`]: pure expectation checking of a products message.
//! - [`wire`]: the server messages as the runner reads them (a client of `docs/protocol.md`).
//! - [`client`]: one conversation over a WebSocket, every wait bounded.
//! - [`run`]: the runner — a fresh in-process server (or `--url`), one WebSocket per case, bounded parallelism and
//!   a timeout on every message.
//! - [`coverage`]: which questions, options and edges of each finder the cases exercised.
//! - [`golden`]: recorded picks per case, compared on later runs.
//! - [`report`]: the readable failure text and JUnit XML.
//! - [`suite`]: a whole run: load, start the server, run, golden picks, coverage.
//!
//! The runner is a client: it talks the protocol over a real WebSocket, never calls the engine for the answers it
//! checks. It replays each case through the pure engine only to account coverage (which option a typed answer
//! chose, which edges were followed).

pub mod arms;
mod build;
pub mod check;
pub mod client;
pub mod coverage;
pub mod format;
pub mod golden;
pub mod report;
pub mod run;
pub mod spec;
pub mod suite;
pub mod validate;
pub mod wire;

use std::path::PathBuf;

use crate::catalog::Constraint;
use crate::flow::Problem;

pub use run::{Options, Outcome, run_cases};
pub use suite::{GoldenMode, Plan, Summary, execute};

/// One conversation to run, checked and with any table row filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub file: PathBuf,
    pub name: String,
    /// Where the case (or its table row) starts.
    pub line: u64,
    pub column: u64,
    pub flow: String,
    pub flow_at: (u64, u64),
    pub locale: Option<String>,
    /// The arm of the finder's experiment the case runs on: pinned in the file, or each arm in turn
    /// ([`arms::expand`]); `None` for a finder without an experiment.
    pub arm: Option<crate::flow::Arm>,
    pub steps: Vec<Step>,
    pub expect: Option<Expect>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub line: u64,
    pub column: u64,
    pub ask: Option<String>,
    pub says: Option<String>,
    pub hint: Option<String>,
    pub action: Option<Action>,
}

/// What the shopper does at a step: a protocol message.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Value(String),
    Values(Vec<String>),
    Text(String),
    Range { min: Option<f64>, max: Option<f64> },
    Back,
    Restart,
    Skip,
    ResultsNow,
}

impl Action {
    /// The action in a few words, as it appears in diffs and golden files (`trail`, `typed "yes please"`).
    pub fn describe(&self) -> String {
        let num = |n: &Option<f64>| n.map(crate::catalog::format_number).unwrap_or_default();
        match self {
            Action::Value(v) => v.clone(),
            Action::Values(vs) => vs.join("+"),
            Action::Text(t) => format!("typed {t:?}"),
            Action::Range { min, max } => format!("{}..{}", num(min), num(max)),
            Action::Back => "back".into(),
            Action::Restart => "restart".into(),
            Action::Skip => "skip".into(),
            Action::ResultsNow => "results now".into(),
        }
    }
}

/// What the products at the end of a case must be.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expect {
    pub result: Option<String>,
    pub title: Option<String>,
    /// Inclusive bounds on the number of products.
    pub count: Option<(usize, usize)>,
    pub includes: Vec<String>,
    pub excludes: Vec<String>,
    pub first: Option<String>,
    /// Constraints every pick must satisfy, each with the text shown in messages.
    pub all: Vec<(String, Constraint)>,
    pub relaxed: Option<Vec<String>>,
    pub explains: Option<String>,
}

/// Why the test files could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(
        "cannot read test files at `{path}`: {cause}; pass a file or folder of tests (default flows/tests)"
    )]
    Path {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("`{path}` holds no test file (*.yaml); add cases, see docs/testing.md")]
    Empty { path: PathBuf },
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Problems { problems: Vec<Problem> },
    #[error("cannot load the flows in `{path}`:\n{message}")]
    Flows { path: PathBuf, message: String },
    #[error("cannot load the catalog in `{path}`: {message}")]
    Catalog { path: PathBuf, message: String },
    #[error("cannot start the in-process server: {0}")]
    Server(String),
    #[error("cannot {action} golden file `{path}`: {message}")]
    Golden {
        action: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("cannot write the JUnit report `{path}`: {cause}; pass another --junit path")]
    Junit {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// Reads every test file at `path` (a file, or the `*.yaml` directly in a folder) into cases; any problem in any
/// file fails the whole load, listing every problem.
pub fn load(path: &std::path::Path) -> Result<Vec<Case>, ScenarioError> {
    let files = if path.is_dir() {
        format::files(path).map_err(|cause| ScenarioError::Path {
            path: path.to_path_buf(),
            cause,
        })?
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(ScenarioError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).map_err(|cause| ScenarioError::Path {
            path: file.clone(),
            cause,
        })?;
        let (mut found, mut wrong) = format::parse(&file, &source);
        cases.append(&mut found);
        problems.append(&mut wrong);
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(ScenarioError::Problems { problems })
    }
}
