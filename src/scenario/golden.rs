//! Golden picks: for every case that ends with products, the picks (ids and titles), the result and the relaxed
//! questions, recorded in a reviewable YAML file beside the tests (`flows/tests/golden/<file>.golden.yaml`).
//! A later run compares and shows what changed for which answers; only `--update` rewrites the file, so a flow
//! edit or a feed change that moves picks is a decision someone reviews in the diff, not an accident.
//!
//! Golden files are stored types: they carry a version (`v`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ScenarioError;
use super::wire::Products;

pub const VERSION: u32 = 1;

/// The golden picks of one test file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenFile {
    pub v: u32,
    /// The test file these were recorded from.
    pub tests: String,
    pub cases: Vec<GoldenCase>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenCase {
    pub name: String,
    /// What the shopper did, `question=answer` in order: the context of a diff.
    pub answers: Vec<String>,
    pub result: String,
    pub relaxed: Vec<String>,
    pub picks: Vec<GoldenPick>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenPick {
    pub id: String,
    pub title: String,
}

impl GoldenCase {
    pub fn new(name: &str, answers: Vec<String>, products: &Products) -> GoldenCase {
        GoldenCase {
            name: name.to_string(),
            answers,
            result: products.result.clone(),
            relaxed: products
                .relaxed
                .iter()
                .map(|r| r.question.clone())
                .collect(),
            picks: products
                .products
                .iter()
                .map(|p| GoldenPick {
                    id: p.id.clone(),
                    title: p.title.clone(),
                })
                .collect(),
        }
    }
}

/// Where the golden picks of `test_file` live: `golden/<stem>.golden.yaml` beside it.
pub fn path_for(test_file: &Path) -> PathBuf {
    let stem = test_file
        .file_stem()
        .map_or_else(|| "tests".into(), |s| s.to_string_lossy().into_owned());
    test_file
        .parent()
        .unwrap_or(Path::new("."))
        .join("golden")
        .join(format!("{stem}.golden.yaml"))
}

/// Reads a golden file; `None` when there is none yet.
pub fn read(path: &Path) -> Result<Option<GoldenFile>, ScenarioError> {
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ScenarioError::Golden {
                action: "read",
                path: path.to_path_buf(),
                message: e.to_string(),
            });
        }
    };
    let file: GoldenFile = serde_saphyr::from_str(&source).map_err(|e| ScenarioError::Golden {
        action: "read",
        path: path.to_path_buf(),
        message: format!(
            "{}; re-record it with `shopkeep test --golden --update`",
            super::super::flow::yaml_cause(&e).1
        ),
    })?;
    if file.v != VERSION {
        return Err(ScenarioError::Golden {
            action: "read",
            path: path.to_path_buf(),
            message: format!(
                "it is version {}, this shopkeep writes {VERSION}; re-record it with `shopkeep test --golden --update`",
                file.v
            ),
        });
    }
    Ok(Some(file))
}

/// Writes a golden file (creating `golden/`), with a header saying what it is and how to update it.
pub fn write(path: &Path, file: &GoldenFile) -> Result<(), ScenarioError> {
    let failed = |message: String| ScenarioError::Golden {
        action: "write",
        path: path.to_path_buf(),
        message,
    };
    let yaml = serde_saphyr::to_string(file).map_err(|e| failed(e.to_string()))?;
    let text = format!(
        "# Golden picks recorded by `shopkeep test --golden --update` from {}.\n# Review changes to this file like code: they are changes to what shoppers are shown.\n{yaml}",
        file.tests
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
    }
    std::fs::write(path, text).map_err(|e| failed(e.to_string()))
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// What changed between the recorded and the actual picks of one case, as readable lines; empty when nothing did.
pub fn diff(recorded: &GoldenCase, actual: &GoldenCase) -> Vec<String> {
    let mut lines = Vec::new();
    if recorded.answers != actual.answers {
        lines.push(format!(
            "the case's answers changed: [{}] → [{}]",
            recorded.answers.join(", "),
            actual.answers.join(", ")
        ));
    }
    if recorded.result != actual.result {
        lines.push(format!(
            "result: `{}` → `{}`",
            recorded.result, actual.result
        ));
    }
    if recorded.relaxed != actual.relaxed {
        lines.push(format!(
            "relaxed: [{}] → [{}]",
            recorded.relaxed.join(", "),
            actual.relaxed.join(", ")
        ));
    }
    let position = |picks: &[GoldenPick], id: &str| picks.iter().position(|p| p.id == id);
    for (n, pick) in recorded.picks.iter().enumerate() {
        match position(&actual.picks, &pick.id) {
            None => lines.push(format!(
                "- {} {:?} (was {}) is no longer picked",
                pick.id,
                pick.title,
                ordinal(n + 1)
            )),
            Some(m) if m != n => lines.push(format!(
                "~ {} {:?} moved from {} to {}",
                pick.id,
                pick.title,
                ordinal(n + 1),
                ordinal(m + 1)
            )),
            Some(_) => {}
        }
    }
    for (m, pick) in actual.picks.iter().enumerate() {
        match position(&recorded.picks, &pick.id) {
            None => lines.push(format!(
                "+ {} {:?} is newly picked, {}",
                pick.id,
                pick.title,
                ordinal(m + 1)
            )),
            Some(n) if recorded.picks[n].title != pick.title => lines.push(format!(
                "~ {} is now titled {:?} (was {:?})",
                pick.id, pick.title, recorded.picks[n].title
            )),
            Some(_) => {}
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(picks: &[&str], relaxed: &[&str]) -> GoldenCase {
        GoldenCase {
            name: "c".into(),
            answers: vec!["terrain=trail".into()],
            result: "picks".into(),
            relaxed: relaxed.iter().map(|s| s.to_string()).collect(),
            picks: picks
                .iter()
                .map(|id| GoldenPick {
                    id: id.to_string(),
                    title: format!("T {id}"),
                })
                .collect(),
        }
    }

    #[test]
    fn no_change_no_lines() {
        assert!(diff(&case(&["a", "b"], &[]), &case(&["a", "b"], &[])).is_empty());
    }

    #[test]
    fn names_removed_added_moved_and_relaxed() {
        let lines = diff(
            &case(&["a", "b", "c"], &[]),
            &case(&["b", "a", "d"], &["colour"]),
        );
        assert_eq!(
            lines,
            [
                "relaxed: [] → [colour]",
                "~ a \"T a\" moved from 1st to 2nd",
                "~ b \"T b\" moved from 2nd to 1st",
                "- c \"T c\" (was 3rd) is no longer picked",
                "+ d \"T d\" is newly picked, 3rd",
            ]
        );
    }

    #[test]
    fn golden_files_round_trip_through_yaml() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = path_for(&dir.path().join("shoes.yaml"));
        assert!(path.ends_with("golden/shoes.golden.yaml"));
        let mut file = GoldenFile {
            v: VERSION,
            tests: "shoes.yaml".into(),
            cases: vec![case(&["rs-1"], &["budget"])],
        };
        file.cases[0].picks[0].title = "包丁: \"quoted\" # not a comment".into();
        write(&path, &file).expect("write");
        assert_eq!(read(&path).expect("read"), Some(file));
        assert_eq!(read(&dir.path().join("none.yaml")).expect("read"), None);
    }
}
