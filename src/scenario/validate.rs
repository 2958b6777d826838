//! Checking cases against the finders and the catalog before anything runs: finders, locales, question ids,
//! option values, result ids, product ids and fields must all exist. A typo is a located problem naming the fix,
//! not a confusing failure halfway through a conversation.

use super::{Action, Case, Expect};
use crate::catalog::{Catalog, Fields};
use crate::flow::{Flows, Kind, Node, Problem, Severity};

/// Checks cases against the finders and the catalog: finders, locales, question ids, option values, result ids,
/// product ids and fields must all exist. Every problem is reported, at the case's line.
pub fn check(cases: &[Case], flows: &Flows, catalog: Option<&Catalog>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for case in cases {
        let mut say = |(line, column): (u64, u64), message: String| {
            problems.push(Problem {
                file: case.file.display().to_string(),
                line,
                column,
                severity: Severity::Error,
                message: format!("case `{}`: {message}", case.name),
            });
        };
        let Some(flow) = flows
            .get(&case.flow)
            .map(|f| f.on_arm(case.arm.unwrap_or(crate::flow::Arm::Control)))
        else {
            let known: Vec<&str> = flows.iter().map(|f| f.id.as_str()).collect();
            say(
                case.flow_at,
                format!(
                    "there is no finder `{}`; use one of {}",
                    case.flow,
                    known.join(", ")
                ),
            );
            continue;
        };
        if let Some(locale) = &case.locale
            && !flow.locales.contains(locale)
        {
            say(
                (case.line, case.column),
                format!(
                    "finder `{}` does not speak `{locale}`; use one of {}",
                    flow.id,
                    flow.locales.join(", ")
                ),
            );
        }
        for step in &case.steps {
            let Some(id) = &step.ask else { continue };
            let Some(q) = flow.question(id) else {
                let ids: Vec<&str> = flow.questions().map(|q| q.id.as_str()).collect();
                say(
                    (step.line, step.column),
                    format!(
                        "finder `{}` has no question `{id}`; use one of {}",
                        flow.id,
                        ids.join(", ")
                    ),
                );
                continue;
            };
            let values: Vec<&str> = q.options.iter().map(|o| o.value.as_str()).collect();
            let chosen: Vec<&str> = match &step.action {
                Some(Action::Value(v)) if q.kind != Kind::Range => vec![v.as_str()],
                Some(Action::Values(vs)) => vs.iter().map(String::as_str).collect(),
                Some(Action::Range { .. }) if q.kind != Kind::Range => {
                    say(
                        (step.line, step.column),
                        format!(
                            "`{id}` is not a range question; answer it with `answer` or `typed`"
                        ),
                    );
                    continue;
                }
                _ => Vec::new(),
            };
            for value in chosen.iter().filter(|v| !values.contains(v)) {
                say(
                    (step.line, step.column),
                    format!(
                        "answers `{value}`, which is not an option of `{id}`; use one of {}{}",
                        values.join(", "),
                        if matches!(*value, "true" | "false") {
                            " (YAML reads an unquoted yes or no as true or false: write \"yes\")"
                        } else {
                            ""
                        }
                    ),
                );
            }
        }
        let Some(expect) = &case.expect else { continue };
        if let Some(result) = &expect.result
            && !flow
                .nodes
                .iter()
                .any(|n| matches!(n, Node::Results(r) if &r.id == result))
        {
            say(
                (case.line, case.column),
                format!("finder `{}` has no result `{result}`", flow.id),
            );
        }
        for id in expect.relaxed.iter().flatten() {
            if flow.question(id).is_none() {
                say(
                    (case.line, case.column),
                    format!(
                        "`relaxed` names `{id}`, which is not a question of `{}`",
                        flow.id
                    ),
                );
            }
        }
        if let Some(catalog) = catalog {
            check_products(
                expect,
                (case.line, case.column),
                catalog,
                catalog.fields(),
                &mut say,
            );
        }
    }
    problems
}

fn check_products(
    expect: &Expect,
    at: (u64, u64),
    catalog: &Catalog,
    fields: &Fields,
    say: &mut impl FnMut((u64, u64), String),
) {
    let ids = expect
        .includes
        .iter()
        .chain(&expect.excludes)
        .chain(&expect.first);
    for id in ids {
        if !matches!(catalog.get(id), Ok(Some(_))) {
            say(
                at,
                format!("product `{id}` is not in the catalog; fix the id"),
            );
        }
    }
    for (shown, c) in &expect.all {
        if fields.kind(&c.field).is_none() {
            say(
                at,
                format!(
                    "`all: {shown}` tests `{}`, which no product has; use one of {}",
                    c.field,
                    fields.names().join(", ")
                ),
            );
        }
    }
}
