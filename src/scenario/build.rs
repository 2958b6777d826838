//! One test case built from its YAML (a table's row filled in): its steps and expectations in their checked
//! forms, each problem located in the file.

use super::format::{Built, Problems};
use super::spec::{ActionSpec, CaseSpec, CountSpec, ExpectSpec, RowSpec, StepSpec};
use super::{Action, Expect, Step};
use crate::catalog::Constraint;
use crate::flow::spec::{ConstraintSpec, ScalarSpec};
use crate::flow::{constraint_op, scalar_text};

pub(super) type Fill<'a> = dyn Fn(&str) -> Result<String, String> + 'a;

pub(super) fn build(
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
