//! What a flow's answers become for the matcher: a [`Constraint`] on a product field (an [`Op`] over
//! [`Scalar`]s), and whether a product's values meet it.

use super::*;

/// A constraint on a product field: what a flow's answers map to, and what the matcher filters or boosts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    pub field: String,
    pub op: Op,
    /// How much a match counts when the constraint is a soft preference (a boost).
    pub weight: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Equal to the value; on a list field, any item equal.
    Eq(Scalar),
    Ne(Scalar),
    In(Vec<Scalar>),
    /// A list field holds the value (on a single-valued field, the same as `Eq`).
    Contains(Scalar),
    Lt(f64),
    Lte(f64),
    Gt(f64),
    Gte(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Scalar {
    pub(crate) fn as_value(&self) -> FieldValue<'_> {
        match self {
            Scalar::Text(text) => FieldValue::Text(text),
            Scalar::Number(n) => FieldValue::Number(*n),
            Scalar::Bool(b) => FieldValue::Bool(*b),
        }
    }

    /// The normalised keyword form used in the index (`true`, `42`, `trail`).
    pub fn keyword(&self) -> String {
        match self {
            Scalar::Text(s) => crate::text::normalize(s),
            Scalar::Number(n) => format_number(*n),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// A number as a keyword: integers without a trailing `.0`.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn scalar_equals(value: &FieldValue<'_>, scalar: &Scalar) -> bool {
    match (value, scalar) {
        (FieldValue::Number(n), Scalar::Number(m)) => n == m,
        (FieldValue::Bool(b), Scalar::Bool(c)) => b == c,
        // Equal as written is equal once normalised: most comparisons stop here without allocating.
        (FieldValue::Text(t), Scalar::Text(s)) if t == s => true,
        (FieldValue::Text(t), scalar) => crate::text::normalize(t) == scalar.keyword(),
        (FieldValue::Number(n), Scalar::Text(s)) => s.trim().parse::<f64>().is_ok_and(|m| m == *n),
        (FieldValue::Bool(b), Scalar::Text(s)) => crate::text::normalize(s) == b.to_string(),
        _ => false,
    }
}

fn numbers<'a>(values: &'a [FieldValue<'a>]) -> impl Iterator<Item = f64> + 'a {
    values.iter().filter_map(|v| match v {
        FieldValue::Number(n) => Some(*n),
        FieldValue::Text(t) => t.trim().parse().ok(),
        FieldValue::Bool(_) => None,
    })
}

impl Constraint {
    pub fn new(field: impl Into<String>, op: Op) -> Constraint {
        Constraint {
            field: field.into(),
            op,
            weight: 1.0,
        }
    }

    /// Whether `product` satisfies the constraint; the Rust twin of the tantivy query, used to explain picks.
    pub fn test(&self, product: &Product) -> bool {
        let values = product.values(&self.field);
        match &self.op {
            Op::Eq(s) | Op::Contains(s) => values.iter().any(|v| scalar_equals(v, s)),
            Op::Ne(s) => !values.iter().any(|v| scalar_equals(v, s)),
            Op::In(list) => values
                .iter()
                .any(|v| list.iter().any(|s| scalar_equals(v, s))),
            Op::Lt(x) => numbers(&values).any(|n| n < *x),
            Op::Lte(x) => numbers(&values).any(|n| n <= *x),
            Op::Gt(x) => numbers(&values).any(|n| n > *x),
            Op::Gte(x) => numbers(&values).any(|n| n >= *x),
        }
    }
}
