//! Reading test files into [`Case`]s: YAML with line and column in every problem, steps and expectations built
//! into their checked forms, tables expanded (`$name` replaced row by row). [`super::validate`] then checks the
//! cases against the finders and the catalog.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_saphyr::Location;

use super::spec::{ActionSpec, CaseSpec, CountSpec, ExpectSpec, RowSpec, StepSpec, TestFile};
use super::{Action, Case, Expect, Step};
use crate::catalog::Constraint;
use crate::flow::spec::{ConstraintSpec, ScalarSpec};
use crate::flow::{Problem, Severity, constraint_op, yaml_cause};

/// Collects located problems for one file.
struct Problems {
    file: String,
    found: Vec<Problem>,
}

impl Problems {
    fn error(&mut self, at: Location, message: String) {
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

struct Built {
    name: String,
    at: Location,
    steps: Vec<Step>,
    expect: Option<Expect>,
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

fn scalar_text(value: &ScalarSpec) -> String {
    match value {
        ScalarSpec::Bool(b) => b.to_string(),
        ScalarSpec::Number(n) => crate::catalog::format_number(*n),
        ScalarSpec::Text(s) => s.clone(),
    }
}

type Fill<'a> = dyn Fn(&str) -> Result<String, String> + 'a;

fn build(
    case: &CaseSpec,
    row: Option<&RowSpec>,
    fill: &Fill,
    problems: &mut Problems,
) -> Option<Built> {
    let before = problems.found.len();
    let mut steps = Vec::new();
    for step in &case.steps {
        match build_step(&step.value, fill) {
            Ok(built) => steps.push(Step {
                line: step.referenced.line(),
                column: step.referenced.column(),
                ..built
            }),
            Err(e) => problems.error(step.referenced, format!("case `{}`: {e}", case.name.value)),
        }
    }
    let expect = match (&case.expect, row.and_then(|r| r.expect.as_ref())) {
        (None, None) => None,
        (template, row) => {
            let merged = merge(template.clone().unwrap_or_default(), row.cloned());
            match build_expect(&merged, fill) {
                Ok(expect) => Some(expect),
                Err(e) => {
                    problems.error(
                        case.name.referenced,
                        format!("case `{}`: {e}", case.name.value),
                    );
                    None
                }
            }
        }
    };
    (problems.found.len() == before).then(|| Built {
        name: case.name.value.clone(),
        at: case.name.referenced,
        steps,
        expect,
    })
}

fn merge(template: ExpectSpec, row: Option<ExpectSpec>) -> ExpectSpec {
    let Some(row) = row else { return template };
    ExpectSpec {
        result: row.result.or(template.result),
        title: row.title.or(template.title),
        count: row.count.or(template.count),
        includes: row.includes.or(template.includes),
        excludes: row.excludes.or(template.excludes),
        first: row.first.or(template.first),
        all: row.all.or(template.all),
        relaxed: row.relaxed.or(template.relaxed),
        explains: row.explains.or(template.explains),
    }
}

fn number(value: &ScalarSpec, fill: &Fill) -> Result<f64, String> {
    match value {
        ScalarSpec::Number(n) => Ok(*n),
        other => {
            let text = fill(&scalar_text(other))?;
            text.trim()
                .parse()
                .map_err(|_| format!("range bound `{text}` is not a number"))
        }
    }
}

fn build_step(step: &StepSpec, fill: &Fill) -> Result<Step, String> {
    let opt = |s: &Option<String>| s.as_deref().map(fill).transpose();
    let mut actions = Vec::new();
    if let Some(v) = &step.answer {
        actions.push(Action::Value(fill(&scalar_text(v))?));
    }
    if let Some(vs) = &step.answers {
        let values = vs
            .iter()
            .map(|v| fill(&scalar_text(v)))
            .collect::<Result<_, _>>()?;
        actions.push(Action::Values(values));
    }
    if let Some(t) = &step.typed {
        actions.push(Action::Text(fill(t)?));
    }
    if let Some(r) = &step.range {
        let min = r.min.as_ref().map(|v| number(v, fill)).transpose()?;
        let max = r.max.as_ref().map(|v| number(v, fill)).transpose()?;
        if min.is_none() && max.is_none() {
            return Err("a `range` answer needs `min`, `max` or both".into());
        }
        actions.push(Action::Range { min, max });
    }
    if let Some(a) = step.action {
        actions.push(match a {
            ActionSpec::Back => Action::Back,
            ActionSpec::Restart => Action::Restart,
            ActionSpec::Skip => Action::Skip,
            ActionSpec::ResultsNow => Action::ResultsNow,
        });
    }
    if actions.len() > 1 {
        return Err("a step does one thing: keep one of answer, answers, typed, range, do".into());
    }
    Ok(Step {
        line: 0,
        column: 0,
        ask: opt(&step.ask)?,
        says: opt(&step.says)?,
        hint: opt(&step.hint)?,
        action: actions.pop(),
    })
}

fn build_expect(spec: &ExpectSpec, fill: &Fill) -> Result<Expect, String> {
    let opt = |s: &Option<String>| s.as_deref().map(fill).transpose();
    let list = |l: &Option<Vec<String>>| -> Result<Vec<String>, String> {
        l.iter().flatten().map(|s| fill(s)).collect()
    };
    let count = match &spec.count {
        None => None,
        Some(CountSpec::Exactly(n)) => Some((*n, *n)),
        Some(CountSpec::Between { min, max }) => {
            Some((min.unwrap_or(0), max.unwrap_or(usize::MAX)))
        }
    };
    let mut all = Vec::new();
    for c in spec.all.iter().flatten() {
        all.push(constraint(c, fill)?);
    }
    Ok(Expect {
        result: opt(&spec.result)?,
        title: opt(&spec.title)?,
        count,
        includes: list(&spec.includes)?,
        excludes: list(&spec.excludes)?,
        first: opt(&spec.first)?,
        all,
        relaxed: spec
            .relaxed
            .as_ref()
            .map(|l| l.iter().map(|s| fill(s)).collect())
            .transpose()?,
        explains: opt(&spec.explains)?,
    })
}

/// A constraint of `expect.all`, with its text as the test wrote it (for messages).
fn constraint(spec: &ConstraintSpec, fill: &Fill) -> Result<(String, Constraint), String> {
    let mut spec = spec.clone();
    let filled = |v: &mut Option<ScalarSpec>| -> Result<(), String> {
        if let Some(ScalarSpec::Text(s)) = v {
            *s = fill(s)?;
        }
        Ok(())
    };
    filled(&mut spec.eq)?;
    filled(&mut spec.ne)?;
    filled(&mut spec.contains)?;
    for value in spec.in_.iter_mut().flatten() {
        if let ScalarSpec::Text(s) = value {
            *s = fill(s)?;
        }
    }
    match constraint_op(&spec) {
        Ok(Some(op)) => {
            let shown = super::check::describe(&spec.field, &op);
            Ok((shown, Constraint::new(spec.field.clone(), op)))
        }
        Ok(None) => Err(format!(
            "the condition on `{}` has no operator; add one of eq, ne, in, contains, lt, lte, gt, gte",
            spec.field
        )),
        Err(n) => Err(format!(
            "the condition on `{}` has {n} operators; split it into one condition per operator",
            spec.field
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
