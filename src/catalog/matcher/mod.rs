//! Matching answers to products: hard filters, weighted preferences, free text, relaxation, diversity and an
//! explanation for every pick.
//!
//! The request is data built by the conversation engine from a flow's mappings; the matcher knows nothing of
//! flows. The promise it keeps (docs/flows.md, "How picks are chosen"):
//! - **Only listed answers are loosened.** When fewer than `min` products meet every answer, the wants of the
//!   questions in `relax_order` are loosened one at a time, in that order, until at least `min` products remain
//!   or the list is used up. A want not listed, and the scope, always hold: the result shows fewer products
//!   rather than one that breaks them.
//! - **Exact matches first.** Every product that meets every answer ranks above every loosened one; loosened
//!   products rank by how many answers they miss, then by which (missing an answer listed earlier in `relax`,
//!   the one the merchandiser gives up first, is better than missing one listed later), then by closeness (how
//!   far past a range bound), then by preferences and rating.
//! - **`relaxed` is what the shopper sees**: the loosened answers that at least one shown product misses.
//! - **Explain every pick**: each constraint is evaluated again in Rust against the stored product ([`explain`]).
//!
//! Two ways compute the same outcome: [`Catalog::find`] (the fast path, `rank.rs`: cached bitsets, popcounts, fast
//! columns and a top-K heap) and [`Catalog::find_by_scan`] (`scan.rs`: every product decoded and every constraint
//! evaluated in Rust), which the tests hold the fast path to. `find_bare` (`query.rs`) is the first tantivy query
//! alone, the benchmark's baseline.

mod explain;
#[cfg(test)]
pub(crate) mod promises;
mod query;
mod rank;
mod scan;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use tantivy::DocAddress;

pub use explain::explain;
use explain::{diversify, settled};
pub(crate) use rank::Ratings;
use rank::Tier;

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
    /// At most this many picks.
    pub count: usize,
    /// Relaxation runs only while fewer than this many products meet every answer (at least 1). Once it runs,
    /// loosened products fill the picks up to `count`; `min == count` always fills.
    pub min: usize,
    pub in_stock_only: bool,
    /// At most `.1` picks sharing one value of field `.0` (see [`explain::diversify`]).
    pub diversity: Option<(String, usize)>,
    /// The only question ids whose wants may be loosened, first first. Wants of other questions always hold.
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
    /// The product has no value for the field the answer is about (a rating not given yet): not known to miss,
    /// but not known to meet it either.
    pub unknown: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Shared with the catalog's memo of decoded products: a pick is not a copy.
    pub product: Arc<Product>,
    pub score: f64,
    /// Whether the product meets every answer (nothing loosened for it).
    pub exact: bool,
    pub explanation: Explanation,
}

/// A want the matcher loosened, which at least one pick misses.
#[derive(Clone, Debug, PartialEq)]
pub struct Relaxed {
    pub question: String,
    pub label: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatchOutcome {
    pub hits: Vec<Hit>,
    /// The loosened answers some pick misses, in the order they were loosened.
    pub relaxed: Vec<Relaxed>,
    /// How many products pass the filters that were finally applied (exact matches and loosened ones).
    pub total: usize,
    /// How many products meet every answer.
    pub exact: usize,
}

impl MatchRequest {
    /// The wants with hard filters that may be loosened, in the order they may be: only those `relax_order`
    /// names, each once.
    fn relax_sequence(&self) -> Vec<usize> {
        let mut order: Vec<usize> = Vec::new();
        for question in &self.relax_order {
            for (i, want) in self.wants.iter().enumerate() {
                if &want.question == question && !want.any_of.is_empty() && !order.contains(&i) {
                    order.push(i);
                }
            }
        }
        // A loosened want is a bit of a 64-bit mask in the ranking; no finder asks that many questions.
        order.truncate(64);
        order
    }

    /// The threshold below which relaxation runs: `min`, at least 1.
    fn min(&self) -> usize {
        self.min.max(1)
    }
}

/// How many candidates the ranking keeps: enough for the diversity rule to find a real choice.
fn candidate_limit(request: &MatchRequest) -> usize {
    (request.count * 8).max(40)
}

/// The wants loosened for one match (indices into `request.wants`, in relaxation order), chosen from how many
/// products each step leaves: `count(loosened)` answers how many products pass with those wants loosened.
fn loosen<E>(
    request: &MatchRequest,
    mut count: impl FnMut(&[usize]) -> Result<usize, E>,
) -> Result<(Vec<usize>, usize, usize), E> {
    let exact = count(&[])?;
    let mut loosened = Vec::new();
    let mut total = exact;
    if exact < request.min() {
        for i in request.relax_sequence() {
            loosened.push(i);
            total = count(&loosened)?;
            if total >= request.min() {
                break;
            }
        }
    }
    Ok((loosened, total, exact))
}

impl Catalog {
    /// Runs `request`: loosens the listed answers while too few products meet every answer, ranks (exact matches
    /// first), applies the diversity rule and explains.
    ///
    /// Cost: the filters are intersections of cached bitsets and counted by popcount, so relaxing costs no search;
    /// preferences are scored by bitset membership for the filtered products only, closeness read from fast
    /// columns; stored products are read only as far down the ranking as the picks need.
    pub fn find(&self, request: &MatchRequest) -> Result<MatchOutcome, IndexError> {
        let wants = self.want_sets(request)?;
        let base = self.bits_for(&request.scope, request.in_stock_only)?;
        let filtered = |loosened: &[usize]| {
            let mut filtered = base.clone();
            for (i, set) in wants.iter().enumerate() {
                if let Some(set) = set
                    && !loosened.contains(&i)
                {
                    filtered.intersect_with(set);
                }
            }
            filtered
        };
        let (loosened, total, exact) =
            loosen(request, |l| Ok::<_, IndexError>(filtered(l).count_ones(..)))?;
        let pool = filtered(&loosened);
        let limit = candidate_limit(request);
        let top = self.top_by_sets(request, &pool, &wants, &loosened, limit)?;
        self.pick(&self.searcher(), &top, total, exact, &loosened, request)
    }

    /// Reads the ranked candidates `top` (best first) into picks: ties are ordered by id, the diversity rule
    /// applies, every pick is explained, and `relaxed` lists the loosened wants some pick misses.
    fn pick(
        &self,
        searcher: &tantivy::Searcher,
        top: &[(Tier, DocAddress)],
        total: usize,
        exact: usize,
        loosened: &[usize],
        request: &MatchRequest,
    ) -> Result<MatchOutcome, IndexError> {
        // Candidates and picks share the memo's products.
        let mut candidates: Vec<(Tier, Arc<Product>)> = Vec::new();
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
        let picks = diversify(candidates, request);
        let mut missed_mask = 0u64;
        let hits = picks
            .into_iter()
            .map(|(tier, product)| {
                missed_mask |= tier.missed;
                let explanation = explain(&product, request);
                Hit {
                    product,
                    score: tier.key,
                    exact: tier.missed == 0,
                    explanation,
                }
            })
            .collect();
        let relaxed = loosened
            .iter()
            .enumerate()
            .filter(|(position, _)| missed_mask & (1 << position) != 0)
            .map(|(_, &i)| Relaxed {
                question: request.wants[i].question.clone(),
                label: request.wants[i].label.clone(),
            })
            .collect();
        Ok(MatchOutcome {
            hits,
            relaxed,
            total,
            exact,
        })
    }
}
