//! After ranking: the diversity rule, and the explanation of every pick.
//!
//! Each constraint is evaluated again in Rust against the stored product, so an explanation is exact, not a guess
//! from scores.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Explanation, MatchRequest, Miss, Tier};
use crate::catalog::{Constraint, FieldValue, Op, Product};

/// Whether the candidates read so far (best first) already settle the picks, so reading further down the ranking
/// cannot change them.
pub(super) fn settled(candidates: &[(Tier, Arc<Product>)], request: &MatchRequest) -> bool {
    choose(candidates, request, true).len() >= request.count
}

/// The picks among `candidates` (best first), in rank order: see [`choose`].
pub(super) fn diversify(
    candidates: Vec<(Tier, Arc<Product>)>,
    request: &MatchRequest,
) -> Vec<(Tier, Arc<Product>)> {
    let chosen = choose(&candidates, request, false);
    let mut slots: Vec<Option<(Tier, Arc<Product>)>> = candidates.into_iter().map(Some).collect();
    chosen.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The value of the diversity field that picks are counted by (distinct for values of distinct kinds); `None` for
/// a product without the field, which is a group of its own.
fn diversity_key(product: &Product, field: &str) -> Option<String> {
    let value = product.values(field).into_iter().next()?;
    if matches!(value, FieldValue::Text(t) if t.trim().is_empty()) {
        return None;
    }
    let mut key = String::new();
    value.push_key(&mut key);
    Some(key)
}

/// The diversity rule, as indices into `candidates` (best first, exact matches before loosened ones) in rank
/// order. Without a diversity field: the first `count`. With one, candidates are taken in rank order, exact
/// matches first and then loosened ones, skipping a product whose field value already has `max` picks; when a
/// group (exact or loosened) runs out, its skipped products fill the places left, best first, before the next
/// group starts. So the cap never replaces an exact match with a loosened one and never leaves a place empty
/// that a fitting product could take. Products without the field are not capped.
///
/// `open`: more candidates may follow the last one, so the last group's skipped products do not fill yet (used
/// to decide whether the picks are settled).
fn choose(candidates: &[(Tier, Arc<Product>)], request: &MatchRequest, open: bool) -> Vec<usize> {
    let Some((field, max)) = &request.diversity else {
        return (0..candidates.len().min(request.count)).collect();
    };
    let mut per_value: HashMap<String, usize> = HashMap::new();
    let mut picked: Vec<usize> = Vec::new();
    let mut at = 0;
    while at < candidates.len() && picked.len() < request.count {
        let exact = candidates[at].0.missed == 0;
        let mut skipped = Vec::new();
        while at < candidates.len() && (candidates[at].0.missed == 0) == exact {
            if picked.len() < request.count {
                match diversity_key(&candidates[at].1, field) {
                    None => picked.push(at),
                    Some(key) => {
                        let seen = per_value.entry(key).or_default();
                        if *seen < *max {
                            *seen += 1;
                            picked.push(at);
                        } else {
                            skipped.push(at);
                        }
                    }
                }
            }
            at += 1;
        }
        let group_closed = at < candidates.len() || !open;
        if group_closed {
            let room = request.count.saturating_sub(picked.len());
            picked.extend(skipped.into_iter().take(room));
        }
    }
    picked.sort_by(|a, b| {
        let (ta, pa) = &candidates[*a];
        let (tb, pb) = &candidates[*b];
        ta.rank(tb).then_with(|| pa.id.cmp(&pb.id))
    });
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
        } else if want.any_of.is_empty() {
            // A preference the product does not have is no miss: nothing was promised.
            continue;
        } else {
            let gap = want
                .any_of
                .first()
                .and_then(|clause| clause.iter().find_map(|c| numeric_gap(c, product)));
            // A bound on a field the product has no value for (a rating not given yet) is unknown, not missed.
            let unknown = want.any_of.first().and_then(|clause| {
                clause
                    .iter()
                    .find(|c| super::rank::is_bound(c) && product.values(&c.field).is_empty())
                    .map(|c| c.field.clone())
            });
            explanation.missed.push(Miss {
                question: want.question.clone(),
                label: want.label.clone(),
                gap,
                unknown,
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
