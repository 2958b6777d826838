//! The fast path of [`Catalog::find`]: filters as intersections of cached bitsets, counted by popcount (which also
//! answers the relaxation loop without another search), and preferences scored by bitset membership for only the
//! products that pass the filters, kept in a top-K heap. Free text alone is scored by tantivy (BM25), for the
//! products its terms match.
//!
//! It ranks exactly as the straightforward query of `query.rs` does, by construction:
//! - a product's score is the f32 sum of the weights of the preferences it satisfies, added in clause order from
//!   0, then its text score: what tantivy's `BooleanQuery` computes for constant-scored `Should` clauses under
//!   zero-scored `Must` clauses (its union adds the matching clauses' scores in clause order);
//! - the sort key is the same [`sort_key`];
//! - equal keys go to the lower document number, as in tantivy's `TopDocs`.
//!
//! The tests hold the two to the same outcome on random requests.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use std::sync::Arc;

use fixedbitset::FixedBitSet;
use tantivy::DocAddress;
use tantivy::columnar::ColumnValues;

use super::MatchRequest;
use crate::catalog::Catalog;
use crate::catalog::index::IndexError;

/// The ranking key of a product: the score rounded to thousandths dominates, the rating (below 1 after dividing
/// by ten, for ratings up to 10) decides among equals.
pub(super) fn sort_key(score: f32, rating: f64) -> f64 {
    (f64::from(score) * 1000.0).round() + rating / 10.0
}

/// A candidate in the heap, ordered worst first: lower key, then (for equal keys) the higher document number.
struct Candidate {
    key: f64,
    doc: usize,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .key
            .partial_cmp(&self.key)
            .unwrap_or(Ordering::Equal)
            .then(self.doc.cmp(&other.doc))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

/// One segment's ratings (`None`: no product in it has one), by document number within the segment.
type Column = Option<Arc<dyn ColumnValues<f64>>>;

/// The rating column of each segment with the document number it starts at, read only for products that could
/// still make the top. Opened once per catalog (a catalog never changes), not per match.
pub(crate) struct Ratings {
    columns: Vec<(usize, Column)>,
    /// No product's rating is above this, so a product whose rounded score plus `max / 10` cannot beat the worst
    /// kept candidate is skipped without reading its rating.
    max: f64,
}

impl Ratings {
    pub(crate) fn new(frozen: &crate::catalog::bits::Bits, column: &str) -> Ratings {
        let mut max = 0.0f64;
        let columns = frozen
            .segments()
            .map(|(offset, segment)| {
                let values = segment.fast_fields().f64(column).ok().map(|c| {
                    // Products without a rating read as 0, which `max` starts from.
                    max = max.max(c.max_value());
                    c.first_or_default_col(0.0)
                });
                (offset, values)
            })
            .collect();
        Ratings { columns, max }
    }

    fn get(&self, doc: usize) -> f64 {
        let segment = self.columns.partition_point(|(offset, _)| *offset <= doc) - 1;
        let (offset, values) = &self.columns[segment];
        values
            .as_ref()
            .map_or(0.0, |v| v.get_val((doc - offset) as u32))
    }
}

impl Catalog {
    /// Each want's hard filter as a set (`None` for a want without one).
    pub(super) fn want_sets(
        &self,
        request: &MatchRequest,
    ) -> Result<Vec<Option<Arc<FixedBitSet>>>, IndexError> {
        request
            .wants
            .iter()
            .map(|want| {
                if want.any_of.is_empty() {
                    Ok(None)
                } else {
                    self.any_of_set(&want.any_of).map(|set| Some(Arc::new(set)))
                }
            })
            .collect()
    }

    /// The top `limit` of the products in `filtered` by [`sort_key`], best first, with the wants in `loosened`
    /// counting as preferences of weight 1.
    pub(super) fn top_by_sets(
        &self,
        request: &MatchRequest,
        filtered: &FixedBitSet,
        wants: &[Option<Arc<FixedBitSet>>],
        loosened: &HashSet<usize>,
        limit: usize,
    ) -> Result<Vec<(f64, DocAddress)>, IndexError> {
        // The preferences in the order the query lists them: a loosened want's filter, then that want's boosts.
        let mut clauses: Vec<(Arc<FixedBitSet>, f32)> = Vec::new();
        for (i, want) in request.wants.iter().enumerate() {
            if let Some(set) = &wants[i]
                && loosened.contains(&i)
            {
                clauses.push((Arc::clone(set), 1.0));
            }
            for boost in &want.boosts {
                clauses.push((self.constraint_set(boost)?, boost.weight));
            }
        }
        let text = match request.text.as_deref().and_then(|t| self.text_query(t)) {
            Some(query) => self.frozen().scored(&*query)?,
            None => Vec::new(),
        };
        let mut text_at = 0;
        let ratings = self.ratings();
        let mut heap: BinaryHeap<Candidate> = BinaryHeap::with_capacity(limit + 1);
        for doc in filtered.ones() {
            let mut score = 0.0f32;
            for (set, weight) in &clauses {
                if set.contains(doc) {
                    score += weight;
                }
            }
            while text_at < text.len() && text[text_at].0 < doc {
                text_at += 1;
            }
            if let Some(&(text_doc, text_score)) = text.get(text_at)
                && text_doc == doc
            {
                score += text_score;
            }
            let worst = heap.peek().filter(|_| heap.len() >= limit).map(|c| c.key);
            if let Some(worst) = worst
                && sort_key(score, ratings.max) <= worst
            {
                continue;
            }
            let key = sort_key(score, ratings.get(doc));
            match worst {
                None => heap.push(Candidate { key, doc }),
                // Documents come in ascending order, so an equal key never displaces a kept one.
                Some(worst) if key > worst => {
                    heap.pop();
                    heap.push(Candidate { key, doc });
                }
                Some(_) => {}
            }
        }
        let frozen = self.frozen();
        Ok(heap
            .into_sorted_vec()
            .into_iter()
            .map(|c| (c.key, frozen.address(c.doc)))
            .collect())
    }
}
