//! The fast path of [`Catalog::find`]: filters as intersections of cached bitsets, counted by popcount (which also
//! answers the relaxation loop without another search), and the pool ranked in a top-K heap by [`Tier`]: which
//! loosened answers a product misses (bitset membership), how far past a loosened range bound it lies (fast
//! columns), then its preferences (bitset membership) and free-text score (tantivy's BM25 for the products its
//! terms match), then its rating.
//!
//! It ranks exactly as the product-by-product scan of `scan.rs` does, by construction:
//! - a product's score is the f32 sum of the weights of the preferences it satisfies, added in clause order from
//!   0, then its text score; the sort key is the same [`sort_key`];
//! - a miss's distance is the same [`distance`] of the same stored number;
//! - equal tiers go to the lower document number.
//!
//! The tests hold the two to the same outcome on random requests.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use fixedbitset::FixedBitSet;
use tantivy::DocAddress;
use tantivy::columnar::{Column, ColumnValues};

use super::MatchRequest;
use crate::catalog::index::IndexError;
use crate::catalog::{Catalog, Constraint, Op};

/// The ranking key of a product: the score rounded to thousandths dominates, the rating (below 1 after dividing
/// by ten, for ratings up to 10) decides among equals.
pub(super) fn sort_key(score: f32, rating: f64) -> f64 {
    (f64::from(score) * 1000.0).round() + rating / 10.0
}

/// Where a product ranks: exact matches (nothing missed) first; then fewer loosened answers missed; then which
/// (bit `p` is the `p`-th loosened answer, so a smaller mask misses answers given up earlier); then closeness;
/// then the preference key, higher first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Tier {
    pub missed: u64,
    /// The sum of the relative distances past the missed answers' bounds (0 for an exact match).
    pub distance: f64,
    pub key: f64,
}

impl Tier {
    /// `Less` when `self` ranks before `other`.
    pub(super) fn rank(&self, other: &Tier) -> Ordering {
        self.missed
            .count_ones()
            .cmp(&other.missed.count_ones())
            .then(self.missed.cmp(&other.missed))
            .then(self.distance.total_cmp(&other.distance))
            .then(other.key.total_cmp(&self.key))
    }
}

/// How far a miss lies past a constraint, relative to its bound, so misses on one answer compare by closeness:
/// 0 when `value` meets it; a large constant when the product has no value for the field (unknown ranks after
/// every known miss).
pub(super) fn distance(op: &Op, value: Option<f64>) -> f64 {
    const UNKNOWN: f64 = 1e12;
    let bound = match op {
        Op::Lt(x) | Op::Lte(x) | Op::Gt(x) | Op::Gte(x) => *x,
        _ => return 1.0,
    };
    let Some(value) = value else {
        return UNKNOWN;
    };
    let meets = match op {
        Op::Lt(x) => value < *x,
        Op::Lte(x) => value <= *x,
        Op::Gt(x) => value > *x,
        Op::Gte(x) => value >= *x,
        _ => false,
    };
    if meets {
        0.0
    } else {
        (value - bound).abs() / bound.abs().max(1.0)
    }
}

/// Whether `constraint` is a numeric bound, whose misses are measured by [`distance`].
pub(super) fn is_bound(constraint: &Constraint) -> bool {
    matches!(
        constraint.op,
        Op::Lt(_) | Op::Lte(_) | Op::Gt(_) | Op::Gte(_)
    )
}

/// A candidate in the heap, ordered worst first: worse tier, then (for equal tiers) the higher document number.
struct Candidate {
    tier: Tier,
    doc: usize,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.tier.rank(&other.tier).then(self.doc.cmp(&other.doc))
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

/// A numeric field's fast column in each segment with the document number the segment starts at.
pub(crate) struct Numbers {
    columns: Vec<(usize, Option<Column<f64>>)>,
}

impl Numbers {
    /// The column of catalog field `field` (no values when the catalog has no such numeric field).
    pub(crate) fn open(catalog: &Catalog, field: &str) -> Numbers {
        let name = catalog
            .schema()
            .numbers
            .get(field)
            .map(|f| catalog.searcher().schema().get_field_name(*f).to_string());
        let columns = catalog
            .frozen()
            .segments()
            .map(|(offset, segment)| {
                let column = name
                    .as_deref()
                    .and_then(|n| segment.fast_fields().f64(n).ok());
                (offset, column)
            })
            .collect();
        Numbers { columns }
    }

    pub(crate) fn get(&self, doc: usize) -> Option<f64> {
        let segment = self.columns.partition_point(|(offset, _)| *offset <= doc) - 1;
        let (offset, column) = &self.columns[segment];
        column.as_ref()?.first((doc - offset) as u32)
    }
}

/// One segment's ratings (`None`: no product in it has one), by document number within the segment.
type RatingColumn = Option<Arc<dyn ColumnValues<f64>>>;

/// The rating column of each segment with the document number it starts at, read only for products that could
/// still make the top. Opened once per catalog (a catalog never changes), not per match.
pub(crate) struct Ratings {
    columns: Vec<(usize, RatingColumn)>,
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

    pub(super) fn get(&self, doc: usize) -> f64 {
        let segment = self.columns.partition_point(|(offset, _)| *offset <= doc) - 1;
        let (offset, values) = &self.columns[segment];
        values
            .as_ref()
            .map_or(0.0, |v| v.get_val((doc - offset) as u32))
    }
}

/// A loosened want's clauses as the ranking measures misses: per constraint, its fast column when it is a numeric
/// bound, else its product set.
type Measure = Vec<Vec<(Op, Result<Numbers, Arc<FixedBitSet>>)>>;

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

    /// How far `doc` lies past the want measured by `measure`: the closest clause's summed distances.
    fn measured(measure: &Measure, doc: usize) -> f64 {
        measure
            .iter()
            .map(|clause| {
                clause
                    .iter()
                    .map(|(op, how)| match how {
                        Ok(numbers) => distance(op, numbers.get(doc)),
                        Err(set) => f64::from(u8::from(!set.contains(doc))),
                    })
                    .sum::<f64>()
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// The top `limit` of the products in `pool` by [`Tier`], best first. `loosened` are the wants (indices into
    /// `request.wants`) the pool was widened by, in relaxation order: bit `p` of a tier is `loosened[p]`.
    pub(super) fn top_by_sets(
        &self,
        request: &MatchRequest,
        pool: &FixedBitSet,
        wants: &[Option<Arc<FixedBitSet>>],
        loosened: &[usize],
        limit: usize,
    ) -> Result<Vec<(Tier, DocAddress)>, IndexError> {
        let mut clauses: Vec<(Arc<FixedBitSet>, f32)> = Vec::new();
        for want in &request.wants {
            for boost in &want.boosts {
                clauses.push((self.constraint_set(boost)?, boost.weight));
            }
        }
        let mut measures: Vec<(&FixedBitSet, Measure)> = Vec::new();
        for &i in loosened {
            let set = wants[i]
                .as_deref()
                .expect("only wants with a hard filter are loosened");
            let mut measure = Measure::new();
            for clause in &request.wants[i].any_of {
                let mut parts = Vec::new();
                for constraint in clause {
                    let how = if is_bound(constraint) {
                        Ok(Numbers::open(self, &constraint.field))
                    } else {
                        Err(self.constraint_set(constraint)?)
                    };
                    parts.push((constraint.op.clone(), how));
                }
                measure.push(parts);
            }
            measures.push((set, measure));
        }
        let text = match request.text.as_deref().and_then(|t| self.text_query(t)) {
            Some(query) => self.frozen().scored(&*query)?,
            None => Vec::new(),
        };
        let mut text_at = 0;
        let ratings = self.ratings();
        let mut heap: BinaryHeap<Candidate> = BinaryHeap::with_capacity(limit + 1);
        for doc in pool.ones() {
            let mut missed = 0u64;
            for (position, (set, _)) in measures.iter().enumerate() {
                if !set.contains(doc) {
                    missed |= 1 << position;
                }
            }
            let worst = heap.peek().filter(|_| heap.len() >= limit).map(|c| c.tier);
            // A product in a worse miss class than the worst kept one cannot make the top: skip it unscored.
            if let Some(worst) = worst {
                let class = (missed.count_ones(), missed);
                if class > (worst.missed.count_ones(), worst.missed) {
                    continue;
                }
            }
            let mut distance = 0.0;
            for (position, (_, measure)) in measures.iter().enumerate() {
                if missed & (1 << position) != 0 {
                    distance += Self::measured(measure, doc);
                }
            }
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
            // The best key this product could have, before its rating is read.
            let hopeful = Tier {
                missed,
                distance,
                key: sort_key(score, ratings.max),
            };
            if let Some(worst) = worst
                && hopeful.rank(&worst) != Ordering::Less
            {
                continue;
            }
            let tier = Tier {
                key: sort_key(score, ratings.get(doc)),
                ..hopeful
            };
            let candidate = Candidate { tier, doc };
            match worst {
                None => heap.push(candidate),
                // Documents come in ascending order, so an equal tier never displaces a kept one.
                Some(worst) if tier.rank(&worst) == Ordering::Less => {
                    heap.pop();
                    heap.push(candidate);
                }
                Some(_) => {}
            }
        }
        let frozen = self.frozen();
        Ok(heap
            .into_sorted_vec()
            .into_iter()
            .map(|c| (c.tier, frozen.address(c.doc)))
            .collect())
    }
}
