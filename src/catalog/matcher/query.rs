//! A match request as one tantivy `BooleanQuery`, the straightforward way: filters are zero-scored `Must` clauses,
//! preferences constant-scored `Should` clauses, free text a BM25 `Should` clause. [`Catalog::find_bare`] runs it
//! bare: the baseline the catalog benchmark compares `find` with.

use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query};

use super::MatchRequest;
use crate::catalog::index::IndexError;
use crate::catalog::{Catalog, Constraint, Op};

fn all_of(catalog: &Catalog, constraints: &[Constraint]) -> Box<dyn Query> {
    match constraints {
        [one] => catalog.query_for(one),
        many => Box::new(BooleanQuery::new(
            many.iter()
                .map(|c| (Occur::Must, catalog.query_for(c)))
                .collect(),
        )),
    }
}

fn any_of(catalog: &Catalog, clauses: &[Vec<Constraint>]) -> Box<dyn Query> {
    match clauses {
        [one] => all_of(catalog, one),
        many => Box::new(BooleanQuery::new(
            many.iter()
                .map(|c| (Occur::Should, all_of(catalog, c)))
                .collect(),
        )),
    }
}

fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

fn prefer(query: Box<dyn Query>, weight: f32) -> (Occur, Box<dyn Query>) {
    (Occur::Should, Box::new(ConstScoreQuery::new(query, weight)))
}

impl Catalog {
    /// The tantivy query for `request` with nothing loosened.
    fn build_query(&self, request: &MatchRequest) -> BooleanQuery {
        let mut clauses = Vec::new();
        for constraint in &request.scope {
            clauses.push(filter(self.query_for(constraint)));
        }
        if request.in_stock_only {
            clauses.push(filter(
                self.query_for(&Constraint::new("stock", Op::Gt(0.0))),
            ));
        }
        for want in &request.wants {
            if !want.any_of.is_empty() {
                clauses.push(filter(any_of(self, &want.any_of)));
            }
            for boost in &want.boosts {
                clauses.push(prefer(self.query_for(boost), boost.weight));
            }
        }
        if let Some(text_query) = request.text.as_deref().and_then(|t| self.text_query(t)) {
            clauses.push((Occur::Should, text_query));
        }
        // Without any filter the preferences alone would decide what matches: every product passes instead.
        if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
            clauses.insert(0, filter(Box::new(AllQuery)));
        }
        BooleanQuery::new(clauses)
    }

    /// The query `find` answers first (nothing relaxed), searched bare: the top `request.count` by score, no stored
    /// product read, no relaxation, no explanations. The baseline the catalog benchmark compares `find` with;
    /// returns how many hits it found.
    #[doc(hidden)]
    pub fn find_bare(&self, request: &MatchRequest) -> Result<usize, IndexError> {
        let query = self.build_query(request);
        let top = self.searcher().search(
            &query,
            &TopDocs::with_limit(request.count.max(1)).order_by_score(),
        )?;
        Ok(top.len())
    }
}
