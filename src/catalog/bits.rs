//! Product sets as bitsets over the index: the matcher's filters and boosts, and the catalog-aware check's answer
//! paths.
//!
//! Each constraint is run once against the tantivy index (so its meaning is exactly the query's) and kept as a
//! bitset over all documents, numbered across segments by the catalog's one [`Bits`] view. A catalog never changes
//! once built (a reload builds a new one), so the sets are cached for its lifetime: [`SetCache`] keeps the most
//! recently used within a memory budget, and a reload starts with an empty cache by construction.

use std::sync::Arc;

use fixedbitset::FixedBitSet;
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocId, Score};

use super::index::IndexError;
use super::memo::Memo;
use super::{Catalog, Constraint, Op};

/// Memory the cached sets of one catalog may take: 512 sets at 1 M products, more for smaller catalogs.
const CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Sets kept however large the catalog.
const CACHE_MIN_SETS: usize = 32;

/// A frozen view of the catalog for bitset work: one searcher, so document numbers stay put.
pub struct Bits {
    searcher: tantivy::Searcher,
    offsets: Vec<usize>,
    len: usize,
}

impl Bits {
    pub(crate) fn new(searcher: tantivy::Searcher) -> Bits {
        let mut offsets = Vec::new();
        let mut len = 0;
        for segment in searcher.segment_readers() {
            offsets.push(len);
            len += segment.max_doc() as usize;
        }
        Bits {
            searcher,
            offsets,
            len,
        }
    }

    pub(crate) fn searcher(&self) -> &tantivy::Searcher {
        &self.searcher
    }

    /// The documents `query` matches (deleted documents never do).
    pub fn run(&self, query: &dyn Query) -> Result<FixedBitSet, IndexError> {
        let mut set = FixedBitSet::with_capacity(self.len);
        let weight = query.weight(EnableScoring::disabled_from_searcher(&self.searcher))?;
        for (ord, segment) in self.searcher.segment_readers().iter().enumerate() {
            let offset = self.offsets[ord];
            let alive = segment.alive_bitset();
            weight.for_each_no_score(segment, &mut |docs: &[DocId]| {
                for &doc in docs {
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        set.insert(offset + doc as usize);
                    }
                }
            })?;
        }
        Ok(set)
    }

    /// The documents `query` matches with their scores, in document order.
    pub(crate) fn scored(&self, query: &dyn Query) -> Result<Vec<(usize, Score)>, IndexError> {
        let mut scored = Vec::new();
        let weight = query.weight(EnableScoring::enabled_from_searcher(&self.searcher))?;
        for (ord, segment) in self.searcher.segment_readers().iter().enumerate() {
            let offset = self.offsets[ord];
            let alive = segment.alive_bitset();
            weight.for_each(segment, &mut |doc: DocId, score: Score| {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    scored.push((offset + doc as usize, score));
                }
            })?;
        }
        Ok(scored)
    }

    /// The tantivy address of document number `doc`.
    pub(crate) fn address(&self, doc: usize) -> DocAddress {
        let segment = self.offsets.partition_point(|&offset| offset <= doc) - 1;
        DocAddress::new(segment as u32, (doc - self.offsets[segment]) as DocId)
    }

    /// The segments with the document number each starts at.
    pub(crate) fn segments(&self) -> impl Iterator<Item = (usize, &tantivy::SegmentReader)> {
        self.offsets
            .iter()
            .copied()
            .zip(self.searcher.segment_readers())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The sets of constraints already run against one catalog, least recently used evicted first.
pub(crate) struct SetCache {
    sets: Memo<String, FixedBitSet>,
}

impl SetCache {
    pub(crate) fn new(len: usize) -> SetCache {
        let per_set = len.div_ceil(8).max(1);
        let capacity = (CACHE_BYTES / per_set).max(CACHE_MIN_SETS);
        SetCache {
            sets: Memo::new(capacity),
        }
    }

    fn get(&self, key: &str) -> Option<Arc<FixedBitSet>> {
        self.sets.get(key)
    }

    fn put(&self, key: String, set: Arc<FixedBitSet>) {
        self.sets.put(key, set);
    }
}

/// The cache key of a constraint's set: its field, operator and every value, distinct for distinct sets.
fn set_key(constraint: &Constraint) -> String {
    use super::FieldValue;
    let number = |n: &f64| vec![FieldValue::Number(*n)];
    let (tag, values) = match &constraint.op {
        Op::Eq(s) => ("=", vec![s.as_value()]),
        Op::Ne(s) => ("!", vec![s.as_value()]),
        Op::Contains(s) => ("~", vec![s.as_value()]),
        Op::In(list) => ("[", list.iter().map(|s| s.as_value()).collect()),
        Op::Lt(n) => ("<", number(n)),
        Op::Lte(n) => ("<=", number(n)),
        Op::Gt(n) => (">", number(n)),
        Op::Gte(n) => (">=", number(n)),
    };
    let mut key = String::with_capacity(constraint.field.len() + 24);
    key.push_str(&constraint.field);
    key.push('\u{0}');
    key.push_str(tag);
    for value in &values {
        value.push_key(&mut key);
    }
    key
}

impl Catalog {
    /// The products satisfying `constraint`, from the cache or run once and cached. The lock is held only to look
    /// up or insert: two searches asking for a new set at once may both run it, which is harmless.
    pub fn constraint_set(&self, constraint: &Constraint) -> Result<Arc<FixedBitSet>, IndexError> {
        self.cached(set_key(constraint), || {
            self.frozen().run(&*self.query_for(constraint))
        })
    }

    fn all_set(&self) -> Result<Arc<FixedBitSet>, IndexError> {
        self.cached("\u{0}all".into(), || {
            self.frozen().run(&tantivy::query::AllQuery)
        })
    }

    fn cached(
        &self,
        key: String,
        run: impl FnOnce() -> Result<FixedBitSet, IndexError>,
    ) -> Result<Arc<FixedBitSet>, IndexError> {
        if let Some(set) = self.set_cache().get(&key) {
            return Ok(set);
        }
        let set = Arc::new(run()?);
        self.set_cache().put(key, Arc::clone(&set));
        Ok(set)
    }

    /// The products satisfying every constraint in `constraints` (all products for none), in stock when asked.
    pub fn bits_for(
        &self,
        constraints: &[Constraint],
        in_stock_only: bool,
    ) -> Result<FixedBitSet, IndexError> {
        let mut set = FixedBitSet::clone(&*self.all_set()?);
        let stock = Constraint::new("stock", Op::Gt(0.0));
        let stock = in_stock_only.then_some(&stock);
        for constraint in constraints.iter().chain(stock) {
            set.intersect_with(&*self.constraint_set(constraint)?);
        }
        Ok(set)
    }

    /// The products satisfying every constraint of at least one clause: a want's hard filter. A clause without
    /// constraints matches nothing, as an empty tantivy `BooleanQuery` does.
    pub fn any_of_set(&self, clauses: &[Vec<Constraint>]) -> Result<FixedBitSet, IndexError> {
        let mut union = FixedBitSet::with_capacity(self.frozen().len());
        for clause in clauses {
            let Some((first, rest)) = clause.split_first() else {
                continue;
            };
            let mut all = FixedBitSet::clone(&*self.constraint_set(first)?);
            for constraint in rest {
                all.intersect_with(&*self.constraint_set(constraint)?);
            }
            union.union_with(&all);
        }
        Ok(union)
    }
}
