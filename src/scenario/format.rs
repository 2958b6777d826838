//! Reading test files into [`Case`]s: YAML with line and column in every problem, steps and expectations built
//! into their checked forms, tables expanded (`$name` replaced row by row). [`super::validate`] then checks the
//! cases against the finders and the catalog.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_saphyr::Location;

use super::build::build;
use super::spec::{CaseSpec, TestFile};
use super::{Case, Expect, Step};
use crate::flow::{Problem, Severity, scalar_text, yaml_cause};

/// Collects located problems for one file.
pub(super) struct Problems {
    file: String,
    pub(super) found: Vec<Problem>,
}

impl Problems {
    pub(super) fn error(&mut self, at: Location, message: String) {
        self.found
            .push(Problem::located(&self.file, at, Severity::Error, message));
    }
}

/// The test files directly in `dir` (`*.yaml`, `*.yml`), in name order; `golden/` and other folders are skipped.
pub fn files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    crate::flow::yaml_files(dir)
}

/// Parses one test file and expands its tables. Returns the cases and every problem found.
pub fn parse(path: &Path, source: &str) -> (Vec<Case>, Vec<Problem>) {
    let mut problems = Problems {
        file: path.display().to_string(),
        found: Vec::new(),
    };
    let spec: TestFile = match serde_saphyr::from_str(source) {
        Ok(spec) => spec,
        Err(error) => {
            let (at, cause) = yaml_cause(&error);
            problems.error(at, format!("{cause}; see docs/testing.md for the format"));
            return (Vec::new(), problems.found);
        }
    };
    let mut cases = Vec::new();
    let mut names = HashSet::new();
    for case in &spec.cases {
        let flow = case.flow.as_ref().or(spec.flow.as_ref());
        let Some(flow) = flow else {
            problems.error(
                case.name.referenced,
                format!(
                    "case `{}` names no finder; add `flow:` to the case or the file",
                    case.name.value
                ),
            );
            continue;
        };
        let locale = case.locale.clone().or_else(|| spec.locale.clone());
        for built in expand(case, &mut problems) {
            if !names.insert(built.name.clone()) {
                problems.error(
                    built.at,
                    format!(
                        "two cases are named `{}`; give each its own name (in a table, use `$name`)",
                        built.name
                    ),
                );
                continue;
            }
            cases.push(Case {
                file: path.to_path_buf(),
                name: built.name,
                line: built.at.line(),
                column: built.at.column(),
                flow: flow.value.clone(),
                flow_at: (flow.referenced.line(), flow.referenced.column()),
                locale: locale.clone(),
                arm: case.arm.or(spec.arm),
                steps: built.steps,
                expect: built.expect,
            });
        }
    }
    (cases, problems.found)
}

pub(super) struct Built {
    pub(super) name: String,
    pub(super) at: Location,
    pub(super) steps: Vec<Step>,
    pub(super) expect: Option<Expect>,
}

/// One case, or one per table row with `$names` filled in.
fn expand(case: &CaseSpec, problems: &mut Problems) -> Vec<Built> {
    if case.rows.is_empty() {
        let fill = |s: &str| Ok(s.to_string());
        return build(case, None, &fill, problems).into_iter().collect();
    }
    let mut out = Vec::new();
    for (n, row) in case.rows.iter().enumerate() {
        let values: BTreeMap<&str, String> = row
            .value
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), scalar_text(v)))
            .collect();
        let used = std::cell::RefCell::new(HashSet::new());
        let fill = |s: &str| -> Result<String, String> {
            let (filled, names) = substitute(s, &values)?;
            used.borrow_mut().extend(names);
            Ok(filled)
        };
        let name = match fill(&case.name.value) {
            Ok(name) if name == case.name.value => format!("{name} [row {}]", n + 1),
            Ok(name) => name,
            Err(e) => {
                problems.error(row.referenced, format!("row {}: {e}", n + 1));
                continue;
            }
        };
        if let Some(mut built) = build(case, Some(&row.value), &fill, problems) {
            built.name = name;
            built.at = row.referenced;
            let unused: Vec<&str> = values
                .keys()
                .filter(|k| !used.borrow().contains(**k))
                .copied()
                .collect();
            if !unused.is_empty() {
                problems.error(
                    row.referenced,
                    format!(
                        "row {} of `{}` sets {}, which the template never uses as `$name`; use it or remove it",
                        n + 1,
                        case.name.value,
                        unused.join(", ")
                    ),
                );
            }
            out.push(built);
        }
    }
    out
}

/// Replaces `$name` (a letter, then letters, digits and `_`) by the row's value; `$$` is a literal `$`. A `$` not
/// followed by a letter stays as it is (`$120`). Returns the text and the names used.
pub(crate) fn substitute(
    text: &str,
    values: &BTreeMap<&str, String>,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(text.len());
    let mut used = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let len = after
            .char_indices()
            .find(|(i, c)| {
                !(c.is_ascii_alphanumeric() || *c == '_') || (*i == 0 && !c.is_ascii_alphabetic())
            })
            .map_or(after.len(), |(i, _)| i);
        if len == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        let name = &after[..len];
        match values.get(name) {
            Some(value) => out.push_str(value),
            None => {
                let known: Vec<&str> = values.keys().copied().collect();
                return Err(format!(
                    "`${name}` is not set by this row; set one of {} or write `$$` for a dollar sign",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
            }
        }
        used.push(name.to_string());
        rest = &after[len..];
    }
    out.push_str(rest);
    Ok((out, used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Action;

    fn values<'a>(pairs: &[(&'a str, &str)]) -> BTreeMap<&'a str, String> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn substitutes_names_and_leaves_prices_alone() {
        let row = values(&[("colour", "white"), ("use", "school")]);
        let (text, used) =
            substitute("$colour shoes for $$120, not $120 ($use)", &row).expect("fills");
        assert_eq!(text, "white shoes for $120, not $120 (school)");
        assert_eq!(used, ["colour", "use"]);
        let err = substitute("$color", &row).expect_err("unknown name");
        assert_eq!(
            err,
            "`$color` is not set by this row; set one of colour, use or write `$$` for a dollar sign"
        );
    }

    fn parse_one(source: &str) -> (Vec<Case>, Vec<String>) {
        let (cases, problems) = parse(Path::new("t.yaml"), source);
        (
            cases,
            problems
                .iter()
                .map(|p| format!("{}:{}: {}", p.line, p.column, p.message))
                .collect(),
        )
    }

    #[test]
    fn tables_expand_into_one_case_per_row() {
        let (cases, problems) = parse_one(
            "flow: shoes\ncases:\n  - name: colour $c\n    steps:\n      - {ask: colour, answer: $c}\n    expect: {count: 4}\n    rows:\n      - {c: white, expect: {first: rs-1}}\n      - {c: blue}\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["colour white", "colour blue"]);
        assert_eq!(
            cases[0].steps[0].action,
            Some(Action::Value("white".into()))
        );
        assert_eq!(
            cases[0].expect.as_ref().and_then(|e| e.first.clone()),
            Some("rs-1".into())
        );
        assert_eq!(cases[1].expect.as_ref().and_then(|e| e.count), Some((4, 4)));
        assert_eq!(cases[1].line, 9);
    }

    #[test]
    fn problems_are_located_and_name_the_fix() {
        let (_, problems) = parse_one("flow: shoes\ncases:\n  - name: a\n    stepz: []\n");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("4:5: unknown field `stepz`"),
            "{problems:?}"
        );
        let (_, problems) = parse_one(
            "cases:\n  - name: a\n    steps:\n      - {answer: x, typed: y}\n  - name: b\n    flow: f\n  - name: b\n    flow: f\n",
        );
        assert_eq!(
            problems,
            [
                "2:11: case `a` names no finder; add `flow:` to the case or the file",
                "7:11: two cases are named `b`; give each its own name (in a table, use `$name`)",
            ]
        );
        let (_, problems) = parse_one(
            "flow: f\ncases:\n  - name: a\n    steps:\n      - {answer: x, typed: y}\n    rows:\n      - {z: 1}\n",
        );
        assert_eq!(
            problems,
            ["5:9: case `a`: a step does one thing: keep one of answer, answers, typed, range, do",]
        );
    }
}
