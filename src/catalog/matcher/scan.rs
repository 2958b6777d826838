//! The matcher the slow, obvious way: every product decoded and every constraint evaluated in Rust with
//! [`Constraint::test`], the same rules as [`Catalog::find`] written out product by product. It is the reference
//! the fast path is held to (and what the explanations are computed with, so a pick's explanation and the filter
//! that let it through cannot disagree). Only the free-text score comes from tantivy: BM25 needs the index.

use std::collections::HashMap;
use std::sync::Arc;

use super::rank::{Tier, distance, is_bound, sort_key};
use super::{MatchOutcome, MatchRequest, candidate_limit, loosen};
use crate::catalog::index::IndexError;
use crate::catalog::{Catalog, Constraint, FieldValue, Product};

fn number(product: &Product, field: &str) -> Option<f64> {
    product.values(field).into_iter().find_map(|v| match v {
        FieldValue::Number(n) => Some(n),
        _ => None,
    })
}

fn meets(product: &Product, any_of: &[Vec<Constraint>]) -> bool {
    any_of
        .iter()
        .any(|clause| !clause.is_empty() && clause.iter().all(|c| c.test(product)))
}

/// How far `product` lies past the want with clauses `any_of`: the closest clause's summed distances.
fn how_far(product: &Product, any_of: &[Vec<Constraint>]) -> f64 {
    any_of
        .iter()
        .map(|clause| {
            clause
                .iter()
                .map(|c| {
                    if is_bound(c) {
                        distance(&c.op, number(product, &c.field))
                    } else {
                        f64::from(u8::from(!c.test(product)))
                    }
                })
                .sum::<f64>()
        })
        .fold(f64::INFINITY, f64::min)
}

impl Catalog {
    /// [`Catalog::find`] computed product by product: the reference the tests hold the fast path to.
    #[doc(hidden)]
    pub fn find_by_scan(&self, request: &MatchRequest) -> Result<MatchOutcome, IndexError> {
        let searcher = self.searcher();
        let frozen = self.frozen();
        let mut products: Vec<(usize, Arc<Product>)> = Vec::new();
        for doc in 0..frozen.len() {
            let product = self.product_at(&searcher, frozen.address(doc))?;
            let in_scope = request.scope.iter().all(|c| c.test(&product))
                && (!request.in_stock_only || product.stock > 0);
            if in_scope {
                products.push((doc, product));
            }
        }
        // Which hard wants each product meets.
        let meets_want: Vec<Vec<bool>> = products
            .iter()
            .map(|(_, p)| {
                request
                    .wants
                    .iter()
                    .map(|w| w.any_of.is_empty() || meets(p, &w.any_of))
                    .collect()
            })
            .collect();
        let passes = |n: usize, loosened: &[usize]| {
            meets_want[n]
                .iter()
                .enumerate()
                .all(|(i, ok)| *ok || loosened.contains(&i))
        };
        let (loosened, total, exact) = loosen(request, |l| {
            Ok::<_, IndexError>((0..products.len()).filter(|&n| passes(n, l)).count())
        })?;
        let text: HashMap<usize, f32> =
            match request.text.as_deref().and_then(|t| self.text_query(t)) {
                Some(query) => frozen.scored(&*query)?.into_iter().collect(),
                None => HashMap::new(),
            };
        let mut ranked: Vec<(Tier, usize)> = Vec::new();
        for (n, (doc, product)) in products.iter().enumerate() {
            if !passes(n, &loosened) {
                continue;
            }
            let mut missed = 0u64;
            let mut how_far_off = 0.0;
            for (position, &i) in loosened.iter().enumerate() {
                if !meets_want[n][i] {
                    missed |= 1 << position;
                    how_far_off += how_far(product, &request.wants[i].any_of);
                }
            }
            let mut score = 0.0f32;
            for want in &request.wants {
                for boost in &want.boosts {
                    if boost.test(product) {
                        score += boost.weight;
                    }
                }
            }
            score += text.get(doc).copied().unwrap_or(0.0);
            let tier = Tier {
                missed,
                distance: how_far_off,
                key: sort_key(score, product.rating.unwrap_or(0.0)),
            };
            ranked.push((tier, *doc));
        }
        ranked.sort_by(|(a, da), (b, db)| a.rank(b).then(da.cmp(db)));
        ranked.truncate(candidate_limit(request));
        let top: Vec<_> = ranked
            .into_iter()
            .map(|(tier, doc)| (tier, frozen.address(doc)))
            .collect();
        self.pick(&searcher, &top, total, exact, &loosened, request)
    }
}
