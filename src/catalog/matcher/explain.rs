//! After ranking: the diversity rule, and the explanation of every pick.
//!
//! Each constraint is evaluated again in Rust against the stored product, so an explanation is exact, not a guess
//! from scores.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Explanation, MatchRequest, Miss};
use crate::catalog::{Constraint, FieldValue, Op, Product};

/// Whether the candidates read so far (best first) already fill the picks, so reading further down the ranking
/// cannot change them: [`diversify`] takes candidates in order and never looks past a full set.
pub(super) fn settled(candidates: &[(f64, Arc<Product>)], request: &MatchRequest) -> bool {
    let Some((field, max)) = &request.diversity else {
        return candidates.len() >= request.count;
    };
    let mut per_value: HashMap<String, usize> = HashMap::new();
    let mut picked = 0;
    for (_, product) in candidates {
        let key = diversity_key(product, field);
        let seen = per_value.entry(key).or_default();
        if *seen < *max {
            *seen += 1;
            picked += 1;
        }
    }
    picked >= request.count
}

/// The value of the diversity field that picks are counted by; distinct for values of distinct kinds.
fn diversity_key(product: &Product, field: &str) -> String {
    let mut key = String::new();
    if let Some(value) = product.values(field).first() {
        value.push_key(&mut key);
    }
    key
}

/// Keeps at most `max` products per value of the diversity field among the picks; when that leaves too few, the
/// best of the rest fill up (a real choice matters, but never more than showing something).
pub(super) fn diversify(
    candidates: Vec<(f64, Arc<Product>)>,
    request: &MatchRequest,
) -> Vec<(f64, Arc<Product>)> {
    let Some((field, max)) = &request.diversity else {
        return candidates.into_iter().take(request.count).collect();
    };
    let mut per_value: HashMap<String, usize> = HashMap::new();
    let mut picked = Vec::new();
    let mut rest = Vec::new();
    for (score, product) in candidates {
        let seen = per_value.entry(diversity_key(&product, field)).or_default();
        if picked.len() < request.count && *seen < *max {
            *seen += 1;
            picked.push((score, product));
        } else {
            rest.push((score, product));
        }
    }
    let missing = request.count.saturating_sub(picked.len());
    picked.extend(rest.into_iter().take(missing));
    picked.sort_by(|(ka, a), (kb, b)| kb.total_cmp(ka).then_with(|| a.id.cmp(&b.id)));
    picked
}

/// Which answers `product` satisfies and which it misses, by how much for numbers.
pub fn explain(product: &Product, request: &MatchRequest) -> Explanation {
    let mut explanation = Explanation::default();
    for want in &request.wants {
        let satisfied = if want.any_of.is_empty() {
            want.boosts.iter().any(|c| c.test(product))
        } else {
            want.any_of
                .iter()
                .any(|clause| clause.iter().all(|c| c.test(product)))
        };
        if satisfied {
            explanation.matched.push(want.label.clone());
        } else {
            let gap = want
                .any_of
                .first()
                .and_then(|clause| clause.iter().find_map(|c| numeric_gap(c, product)));
            explanation.missed.push(Miss {
                question: want.question.clone(),
                label: want.label.clone(),
                gap,
            });
        }
    }
    explanation
}

fn numeric_gap(constraint: &Constraint, product: &Product) -> Option<(String, f64)> {
    let value = product
        .values(&constraint.field)
        .into_iter()
        .find_map(|v| match v {
            FieldValue::Number(n) => Some(n),
            _ => None,
        })?;
    let gap = match constraint.op {
        Op::Lt(x) | Op::Lte(x) if !constraint.test(product) => value - x,
        Op::Gt(x) | Op::Gte(x) if !constraint.test(product) => value - x,
        _ => return None,
    };
    Some((constraint.field.clone(), gap))
}
