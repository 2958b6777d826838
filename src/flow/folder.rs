//! A flows folder: every finder file in it loaded, compiled and checked together ([`Flows`]), and the
//! folder's errors ([`LoadError`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read flows folder `{path}`: {source}; create it or pass another with --flows")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("flows folder `{path}` holds no flow (*.yaml); add a finder, see docs/flows.md")]
    Empty { path: PathBuf },
    #[error("cannot read flow `{path}`: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Problems { problems: Vec<Problem> },
}

/// The YAML files directly in `dir` (`*.yaml`, `*.yml`), in name order; subfolders are not read.
pub fn yaml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Every finder of a flows folder, by id.
#[derive(Clone, Debug, Default)]
pub struct Flows {
    by_id: BTreeMap<String, Arc<Flow>>,
}

impl Flows {
    pub fn get(&self, id: &str) -> Option<&Arc<Flow>> {
        self.by_id.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Flow>> {
        self.by_id.values()
    }

    /// Every flow served: each finder and the variant of each experiment.
    pub fn all_arms(&self) -> Vec<Arc<Flow>> {
        self.iter()
            .flat_map(|flow| flow.arms().into_iter().map(|(_, f)| f))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The flow files directly in `dir` (`*.yaml`, `*.yml`), in name order.
    pub fn files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
        let files = yaml_files(dir).map_err(|source| LoadError::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
        if files.is_empty() {
            return Err(LoadError::Empty {
                path: dir.to_path_buf(),
            });
        }
        Ok(files)
    }

    /// Loads and compiles every flow in `dir`. Any error in any flow fails the whole load, listing every problem;
    /// warnings are returned beside the flows.
    pub fn load_dir(dir: &Path) -> Result<(Flows, Vec<Problem>), LoadError> {
        let mut flows = Flows::default();
        let files = Self::files(dir)?;
        let shared = Shared::load(&dir.join("shared"));
        let mut problems = shared.problems.clone();
        let mut first_seen: HashMap<String, PathBuf> = HashMap::new();
        let (mut compiled, mut failed) = (Vec::new(), std::collections::HashSet::new());
        for path in files {
            let source = std::fs::read_to_string(&path).map_err(|source| LoadError::File {
                path: path.clone(),
                source,
            })?;
            let (flow, mut found) = compile_with(&path, &source, &shared);
            problems.append(&mut found);
            match flow {
                Some(flow) => compiled.push((path, flow)),
                None => {
                    failed.insert(path);
                }
            }
        }
        for (path, flow) in experiment::join(compiled, &failed, &mut problems) {
            {
                if let Some(other) = first_seen.insert(flow.id.clone(), path.clone()) {
                    problems.push(Problem {
                        file: path.display().to_string(),
                        line: 1,
                        column: 1,
                        severity: Severity::Error,
                        message: format!(
                            "flow id `{}` is also used by `{}`; give each finder its own id",
                            flow.id,
                            other.display()
                        ),
                    });
                }
                flows.by_id.insert(flow.id.clone(), Arc::new(flow));
            }
        }
        if problems.iter().any(|p| p.severity == Severity::Error) {
            problems.sort_by_key(|p| p.severity);
            return Err(LoadError::Problems { problems });
        }
        Ok((flows, problems))
    }
}
