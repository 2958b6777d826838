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
