//! Constraints (`filter`, `boost`, `scope` entries): values, operators, and their checks.

use super::*;

pub(super) fn scalar(spec: &ScalarSpec) -> Scalar {
    match spec {
        ScalarSpec::Bool(b) => Scalar::Bool(*b),
        ScalarSpec::Number(n) => Scalar::Number(*n),
        ScalarSpec::Text(s) => Scalar::Text(s.clone()),
    }
}

/// A scalar of a flow or test file as text, as an answer or a table cell is written.
pub(crate) fn scalar_text(spec: &ScalarSpec) -> String {
    match spec {
        ScalarSpec::Bool(b) => b.to_string(),
        ScalarSpec::Number(n) => crate::catalog::format_number(*n),
        ScalarSpec::Text(s) => s.clone(),
    }
}

pub(super) const OPERATORS: &str = "eq, ne, in, contains, lt, lte, gt, gte";

/// The operator of a constraint, or `None` when it has none; `Err` when it has several.
pub(crate) fn constraint_op(spec: &ConstraintSpec) -> Result<Option<Op>, usize> {
    let mut ops = Vec::new();
    if let Some(v) = &spec.eq {
        ops.push(Op::Eq(scalar(v)));
    }
    if let Some(v) = &spec.ne {
        ops.push(Op::Ne(scalar(v)));
    }
    if let Some(v) = &spec.in_ {
        ops.push(Op::In(v.iter().map(scalar).collect()));
    }
    if let Some(v) = &spec.contains {
        ops.push(Op::Contains(scalar(v)));
    }
    for (v, make) in [
        (spec.lt, Op::Lt as fn(f64) -> Op),
        (spec.lte, Op::Lte),
        (spec.gt, Op::Gt),
        (spec.gte, Op::Gte),
    ] {
        if let Some(v) = v {
            ops.push(make(v));
        }
    }
    match ops.len() {
        0 => Ok(None),
        1 => Ok(ops.pop()),
        n => Err(n),
    }
}

pub(super) fn is_numeric(op: &Op) -> bool {
    matches!(op, Op::Lt(_) | Op::Lte(_) | Op::Gt(_) | Op::Gte(_))
}

impl Ctx {
    /// Compiles the constraints of a `filter`/`boost`/`scope` entry that must each carry one operator.
    pub(super) fn constraints(
        &mut self,
        spec: &Option<Spanned<OneOrMany<ConstraintSpec>>>,
        boost: bool,
    ) -> Vec<Constraint> {
        let Some(spec) = spec else { return Vec::new() };
        let at = spec.referenced;
        let mut out = Vec::new();
        for c in spec.value.as_slice() {
            match constraint_op(c) {
                Ok(Some(op)) => {
                    self.field_ref(&c.field, is_numeric(&op), at);
                    let weight = if boost { c.weight.unwrap_or(1.0) } else { 1.0 };
                    if !boost && c.weight.is_some() {
                        self.warn(at, format!("`weight` on the filter on `{}` has no effect; move it under `boost`", c.field));
                    }
                    out.push(Constraint { field: c.field.clone(), op, weight });
                }
                Ok(None) => self.error(
                    at,
                    format!("the constraint on `{}` has no operator; add one of {OPERATORS}", c.field),
                ),
                Err(n) => self.error(
                    at,
                    format!("the constraint on `{}` has {n} operators; give it exactly one of {OPERATORS}", c.field),
                ),
            }
        }
        out
    }

    /// Compiles the constraints of a range question: fields only, the answered range being the bound.
    pub(super) fn range_fields(
        &mut self,
        spec: &Option<Spanned<OneOrMany<ConstraintSpec>>>,
    ) -> Vec<(String, f32)> {
        let Some(spec) = spec else { return Vec::new() };
        let at = spec.referenced;
        let mut out = Vec::new();
        for c in spec.value.as_slice() {
            match constraint_op(c) {
                Ok(None) => {
                    self.field_ref(&c.field, true, at);
                    out.push((c.field.clone(), c.weight.unwrap_or(1.0)));
                }
                _ => self.error(
                    at,
                    format!(
                        "on a range question the answered range is the bound: write `{{field: {}}}` without an operator",
                        c.field
                    ),
                ),
            }
        }
        out
    }

    pub(super) fn field_ref(&mut self, field: &str, numeric: bool, at: Location) {
        let (line, column) = if at == Location::UNKNOWN {
            (1, 1)
        } else {
            (at.line(), at.column())
        };
        self.field_refs.push(FieldRef {
            file: self.file.clone(),
            field: field.to_string(),
            numeric,
            line,
            column,
        });
    }
}
