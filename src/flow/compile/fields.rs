//! Checking a flow's mappings against the fields of a catalog.

use super::*;

/// Checks the flow's mappings against the fields a catalog has: unknown fields, and numeric comparisons on
/// fields that hold no numbers.
pub fn check_fields(flow: &Flow, fields: &Fields) -> Vec<Problem> {
    let mut problems = Vec::new();
    for r in &flow.field_refs {
        let problem = match fields.kind(&r.field) {
            None => Some(format!(
                "`{}` is not a field of the catalog; use one of: {}",
                r.field,
                fields.names().join(", ")
            )),
            Some(kind) if r.numeric && kind != FieldKind::Number => {
                Some(format!("`{}` holds {kind:?} values, so a numeric comparison on it never holds; compare with eq/in/contains", r.field).replace("Keyword", "keyword").replace("Bool", "boolean").replace("Text", "text"))
            }
            _ => None,
        };
        if let Some(message) = problem {
            problems.push(Problem {
                file: r.file.clone(),
                line: r.line,
                column: r.column,
                severity: Severity::Error,
                message,
            });
        }
    }
    problems
}

/// Checks every finder's `{segment: NAME}` conditions against the segments of `segments_file`: a condition on a
/// segment that is not defined would never hold.
pub fn check_segments(
    flows: &super::super::Flows,
    names: &[&str],
    segments_file: &str,
) -> Vec<Problem> {
    flows
        .iter()
        .flat_map(|flow| undefined_segments(&flow.segment_refs, names, segments_file))
        .collect()
}

/// The references (of a finder, or of the email triggers) to segments not among `names`, as problems.
pub fn undefined_segments(
    refs: &[SegmentRef],
    names: &[&str],
    segments_file: &str,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    {
        for r in refs.iter().filter(|r| !names.contains(&r.name.as_str())) {
            let fix = if names.is_empty() {
                format!("define it in `{segments_file}`")
            } else {
                format!(
                    "define it in `{segments_file}` or use one of: {}",
                    names.join(", ")
                )
            };
            problems.push(Problem {
                file: r.file.clone(),
                line: r.line,
                column: r.column,
                severity: Severity::Error,
                message: format!(
                    "the condition names segment `{}`, which is not defined; {fix}",
                    r.name
                ),
            });
        }
    }
    problems
}
