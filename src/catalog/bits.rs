//! Product sets as bitsets over the index, for checks that look at every answer path at once.
//!
//! Each constraint is run once against the tantivy index (so its meaning is exactly the matcher's) and kept as a
//! bitset over all documents; an answer path is then a handful of bitset intersections, shared across every path
//! with the same prefix.

use fixedbitset::FixedBitSet;
use tantivy::collector::DocSetCollector;
use tantivy::query::Query;

use super::index::IndexError;
use super::{Catalog, Constraint, Op};

/// A frozen view of the catalog for bitset work: one searcher, so document numbers stay put.
pub struct Bits {
    searcher: tantivy::Searcher,
    offsets: Vec<usize>,
    len: usize,
}

impl Catalog {
    pub fn bits(&self) -> Bits {
        let searcher = self.searcher();
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

    /// The products satisfying every constraint in `constraints` (all products for none), in stock when asked.
    pub fn bits_for(
        &self,
        bits: &Bits,
        constraints: &[Constraint],
        in_stock_only: bool,
    ) -> Result<FixedBitSet, IndexError> {
        let mut set = bits.run(&tantivy::query::AllQuery)?;
        let stock = Constraint::new("stock", Op::Gt(0.0));
        let stock = in_stock_only.then_some(&stock);
        for constraint in constraints.iter().chain(stock) {
            set.intersect_with(&bits.run(&*self.query_for(constraint))?);
        }
        Ok(set)
    }
}

impl Bits {
    /// The documents `query` matches.
    pub fn run(&self, query: &dyn Query) -> Result<FixedBitSet, IndexError> {
        let mut set = FixedBitSet::with_capacity(self.len);
        for address in self.searcher.search(query, &DocSetCollector)? {
            set.insert(self.offsets[address.segment_ord as usize] + address.doc_id as usize);
        }
        Ok(set)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
