//! Loading what a server serves: the finders of a flows folder and the catalog of a catalog folder, with the
//! finders' mappings checked against the catalog's fields. `shopkeep serve`, `query` and a reload while serving
//! all load through here, so a finder with errors is refused the same way everywhere.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::catalog::feed::ImportReport;
use crate::catalog::{Catalog, IndexError, Shelf};
use crate::flow::{Flows, LoadError, Problem, check_fields};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{}the flows in `{}` have errors (listed above); fix them and try again", list(.problems), .dir.display())]
    Flows {
        dir: PathBuf,
        problems: Vec<Problem>,
    },
    #[error(transparent)]
    FlowFolder(LoadError),
    #[error(transparent)]
    Catalog(#[from] IndexError),
    #[error("{}the flows map answers to fields the catalog in `{}` lacks (listed above); add the fields to the feed or change the mappings", list(.problems), .dir.display())]
    Fields {
        dir: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("{}the recommendation rules in `{}` have errors (listed above); fix them and try again", list(.problems), .file.display())]
    Rules {
        file: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("cannot read the recommendation rules `{}`: {source}; create the file or pass another with --rules", .file.display())]
    RulesFile {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}the segments in `{}` have errors (listed above); fix them and try again", list(.problems), .file.display())]
    Segments {
        file: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("{problems}\nthe emails in `{}` have errors (listed above); fix them and try again", .dir.display())]
    Emails { dir: PathBuf, problems: String },
    #[error("the reload stopped unexpectedly ({0}); try again")]
    Interrupted(String),
}

impl SetupError {
    /// Each problem on its own line (file:line:column: what and the fix), for an admin reply.
    pub fn lines(&self) -> Vec<String> {
        match self {
            SetupError::Flows { problems, .. }
            | SetupError::Fields { problems, .. }
            | SetupError::Rules { problems, .. }
            | SetupError::Segments { problems, .. } => {
                problems.iter().map(ToString::to_string).collect()
            }
            SetupError::Emails { problems, .. } => problems.lines().map(String::from).collect(),
            other => vec![other.to_string()],
        }
    }
}

fn list(problems: &[Problem]) -> String {
    problems.iter().fold(String::new(), |mut out, problem| {
        let _ = writeln!(out, "{problem}");
        out
    })
}

/// The finders of `dir` and their warnings; any error in any finder refuses them all.
pub fn load_flows(dir: &Path) -> Result<(Flows, Vec<Problem>), SetupError> {
    Flows::load_dir(dir).map_err(|error| match error {
        LoadError::Problems { problems } => SetupError::Flows {
            dir: dir.to_path_buf(),
            problems,
        },
        other => SetupError::FlowFolder(other),
    })
}

/// Where a server looks for the merchant's recommendation rules when no `--rules` is given: `recommend.yaml` in
/// the folder that holds the flows folder.
pub fn default_rules_file(flows_dir: &Path) -> PathBuf {
    let parent = flows_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parent.join("recommend.yaml")
}

/// The merchant's recommendation rules in `file`, checked against the finders and catalog they go with.
pub fn load_rules(
    file: &Path,
    flows: &Flows,
    catalog: &Catalog,
) -> Result<crate::recommend::Rules, SetupError> {
    let source = std::fs::read_to_string(file).map_err(|source| SetupError::RulesFile {
        file: file.to_path_buf(),
        source,
    })?;
    match crate::recommend::rules::compile(&file.display().to_string(), &source, flows, catalog) {
        (Some(rules), _) => Ok(rules),
        (None, problems) => Err(SetupError::Rules {
            file: file.to_path_buf(),
            problems,
        }),
    }
}

/// Where a server looks for the merchant's segments: `segments.yaml` in the folder that holds the flows folder.
pub fn default_segments_file(flows_dir: &Path) -> PathBuf {
    default_rules_file(flows_dir).with_file_name("segments.yaml")
}

/// The merchant's segments in `file`, checked against the finders they name; a missing file means no segments.
/// Every finder's `{segment: NAME}` condition must name one of them.
pub fn load_segments(file: &Path, flows: &Flows) -> Result<crate::segments::Segments, SetupError> {
    let source = match std::fs::read_to_string(file) {
        Ok(source) => source,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(SetupError::Segments {
                file: file.to_path_buf(),
                problems: vec![Problem::located(
                    &file.display().to_string(),
                    serde_saphyr::Location::UNKNOWN,
                    crate::flow::Severity::Error,
                    format!("cannot read the segments: {e}; fix its permissions or remove it"),
                )],
            });
        }
    };
    let (segments, mut problems) =
        crate::segments::compile(&file.display().to_string(), &source, flows);
    let names = segments.as_ref().map(|s| s.names()).unwrap_or_default();
    if segments.is_some() {
        problems.extend(crate::flow::check_segments(
            flows,
            &names,
            &file.display().to_string(),
        ));
    }
    match segments {
        Some(segments) if problems.is_empty() => Ok(segments),
        _ => Err(SetupError::Segments {
            file: file.to_path_buf(),
            problems,
        }),
    }
}

/// The catalog of `dir`, and what each feed file yielded (skipped rows with their lines). With a `shelf` (a
/// server's `DATA/index`) the index is kept on disk and reused while the feeds are unchanged (a reused index
/// reports no rows: they were reported when it was built); without one it is built in memory, which suits the
/// small catalogs of `check`, `test` and `query`.
pub fn load_catalog(
    dir: &Path,
    shelf: Option<&Shelf>,
) -> Result<(Catalog, Vec<ImportReport>), SetupError> {
    Ok(match shelf {
        Some(shelf) => shelf.open(dir)?,
        None => Catalog::from_dir(dir)?,
    })
}

/// Refuses `flows` whose mappings name fields `catalog` (read from `catalog_dir`) does not have.
pub fn check(flows: &Flows, catalog: &Catalog, catalog_dir: &Path) -> Result<(), SetupError> {
    let problems: Vec<Problem> = flows
        .all_arms()
        .iter()
        .flat_map(|flow| check_fields(flow, catalog.fields()))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SetupError::Fields {
            dir: catalog_dir.to_path_buf(),
            problems,
        })
    }
}

/// Flows and catalog, checked together; warnings and import reports are returned for the caller to print.
pub struct Loaded {
    pub flows: Flows,
    pub catalog: Catalog,
    pub warnings: Vec<Problem>,
    pub reports: Vec<ImportReport>,
}

pub fn load(
    flows_dir: &Path,
    catalog_dir: &Path,
    shelf: Option<&Shelf>,
) -> Result<Loaded, SetupError> {
    let (flows, warnings) = load_flows(flows_dir)?;
    let (catalog, reports) = load_catalog(catalog_dir, shelf)?;
    check(&flows, &catalog, catalog_dir)?;
    Ok(Loaded {
        flows,
        catalog,
        warnings,
        reports,
    })
}
