//! Matching answers to products: hard filters, weighted preferences, free text, relaxation, diversity and an
//! explanation for every pick.
//!
//! The request is data built by the conversation engine from a flow's mappings; the matcher knows nothing of
//! flows. **No dead ends**: while the hard filters leave fewer products than asked for, the wants are relaxed one
//! by one in the declared order (a relaxed want still counts as a preference) and the outcome says exactly which.
//! **Explain every pick**: each constraint is evaluated again in Rust against the stored product ([`explain`]).
//!
//! Two ways compute the same outcome: [`Catalog::find`] (the fast path, `rank.rs`: cached bitsets, popcounts and a
//! top-K heap) and [`Catalog::find_by_query`] (`query.rs`: one tantivy `BooleanQuery` per relaxation step), which
//! the tests hold the fast path to. `find_bare` is that query alone, the benchmark's baseline.

mod explain;
mod query;
mod rank;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::Arc;

use tantivy::DocAddress;

pub use explain::explain;
use explain::{diversify, settled};
pub(crate) use rank::Ratings;

use super::index::IndexError;
use super::{Catalog, Constraint, Product};

/// One answered question as the matcher sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Want {
    /// The question it came from: the unit of relaxation.
    pub question: String,
    /// The answer as the shopper reads it ("Trail", "Under $120").
    pub label: String,
    /// Hard filter: a product must satisfy every constraint of at least one clause. Empty: no filter.
    pub any_of: Vec<Vec<Constraint>>,
    /// Soft preferences, each adding its weight to the score of a product that satisfies it.
    pub boosts: Vec<Constraint>,
}

/// Everything the matcher needs for one result.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchRequest {
    /// Filters that always hold (the finder's scope); never relaxed.
    pub scope: Vec<Constraint>,
    pub wants: Vec<Want>,
    /// Free text typed by the shopper, searched in titles and descriptions as a preference.
    pub text: Option<String>,
    pub count: usize,
    pub in_stock_only: bool,
    /// At most `.1` picks sharing one value of field `.0`.
    pub diversity: Option<(String, usize)>,
    /// Question ids whose wants may be relaxed, first first. Wants not named are relaxed after these, the last
    /// answered first.
    pub relax_order: Vec<String>,
}

/// Why a product was picked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explanation {
    /// Labels of the answers the product satisfies.
    pub matched: Vec<String>,
    pub missed: Vec<Miss>,
}

/// An answer a pick does not satisfy, and by how much when the answer was a number.
#[derive(Clone, Debug, PartialEq)]
pub struct Miss {
    pub question: String,
    pub label: String,
    /// For a numeric bound: the field and how far the product is past it (positive: over, negative: under).
    pub gap: Option<(String, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Shared with the catalog's memo of decoded products: a pick is not a copy.
    pub product: Arc<Product>,
    pub score: f64,
    pub explanation: Explanation,
}

/// A want the matcher loosened to avoid an empty or thin result.
#[derive(Clone, Debug, PartialEq)]
pub struct Relaxed {
    pub question: String,
    pub label: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatchOutcome {
    pub hits: Vec<Hit>,
    pub relaxed: Vec<Relaxed>,
    /// How many products pass the filters that were finally applied.
    pub total: usize,
}

impl MatchRequest {
    /// The wants with hard filters, in the order they may be relaxed.
    fn relax_sequence(&self) -> Vec<usize> {
        let hard: Vec<usize> = (0..self.wants.len())
            .filter(|&i| !self.wants[i].any_of.is_empty())
            .collect();
        let mut order: Vec<usize> = Vec::new();
        for question in &self.relax_order {
            if let Some(&i) = hard.iter().find(|&&i| &self.wants[i].question == question)
                && !order.contains(&i)
            {
                order.push(i);
            }
        }
        for &i in hard.iter().rev() {
            if !order.contains(&i) {
                order.push(i);
            }
        }
        order
    }
}

/// The relaxation loop's state: which wants are loosened so far, in the order they were.
struct Relaxation<'a> {
    request: &'a MatchRequest,
    sequence: std::vec::IntoIter<usize>,
    loosened: HashSet<usize>,
    relaxed: Vec<Relaxed>,
}

impl<'a> Relaxation<'a> {
    fn new(request: &'a MatchRequest) -> Relaxation<'a> {
        Relaxation {
            request,
            sequence: request.relax_sequence().into_iter(),
            loosened: HashSet::new(),
            relaxed: Vec::new(),
        }
    }

    /// Loosens the next want in the relaxation order; false when none is left.
    fn next(&mut self) -> bool {
        let Some(i) = self.sequence.next() else {
            return false;
        };
        self.loosened.insert(i);
        let want = &self.request.wants[i];
        self.relaxed.push(Relaxed {
            question: want.question.clone(),
            label: want.label.clone(),
        });
        true
    }
}

/// How many candidates the ranking keeps: enough for the diversity rule to find a real choice.
fn candidate_limit(request: &MatchRequest) -> usize {
    (request.count * 8).max(40)
}

impl Catalog {
    /// Runs `request`: relaxes until enough products pass, ranks, applies the diversity rule and explains.
    ///
    /// Cost: the filters are intersections of cached bitsets and counted by popcount, so relaxing costs no search;
    /// preferences are scored by bitset membership for the filtered products only; stored products are read only
    /// as far down the ranking as the picks need.
    pub fn find(&self, request: &MatchRequest) -> Result<MatchOutcome, IndexError> {
        let wants = self.want_sets(request)?;
        let base = self.bits_for(&request.scope, request.in_stock_only)?;
        let mut relaxation = Relaxation::new(request);
        let (filtered, total) = loop {
            let mut filtered = base.clone();
            for (i, set) in wants.iter().enumerate() {
                if let Some(set) = set
                    && !relaxation.loosened.contains(&i)
                {
                    filtered.intersect_with(set);
                }
            }
            let total = filtered.count_ones(..);
            if total >= request.count || !relaxation.next() {
                break (filtered, total);
            }
        };
        let limit = candidate_limit(request);
        let top = self.top_by_sets(request, &filtered, &wants, &relaxation.loosened, limit)?;
        self.pick(&self.searcher(), &top, total, relaxation.relaxed, request)
    }

    /// Reads the ranked candidates `top` (best first) into picks: ties in key are ordered by id, the diversity rule
    /// applies, and every pick is explained.
    fn pick(
        &self,
        searcher: &tantivy::Searcher,
        top: &[(f64, DocAddress)],
        total: usize,
        relaxed: Vec<Relaxed>,
        request: &MatchRequest,
    ) -> Result<MatchOutcome, IndexError> {
        // Candidates and picks share the memo's products.
        let mut candidates: Vec<(f64, Arc<Product>)> = Vec::new();
        let mut at = 0;
        // Products are read one run of equal keys at a time (ties are ordered by id, which needs the product),
        // until the picks are settled.
        while at < top.len() && !settled(&candidates, request) {
            let key = top[at].0;
            let run_start = candidates.len();
            while at < top.len() && top[at].0 == key {
                candidates.push((key, self.product_at(searcher, top[at].1)?));
                at += 1;
            }
            candidates[run_start..].sort_by(|(_, a), (_, b)| a.id.cmp(&b.id));
        }
        let hits = diversify(candidates, request)
            .into_iter()
            .map(|(score, product)| {
                let explanation = explain(&product, request);
                Hit {
                    product,
                    score,
                    explanation,
                }
            })
            .collect();
        Ok(MatchOutcome {
            hits,
            relaxed,
            total,
        })
    }
}
