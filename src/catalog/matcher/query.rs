//! A match request as one tantivy `BooleanQuery`, the straightforward way: filters are zero-scored `Must` clauses,
//! preferences (boosts, relaxed wants) constant-scored `Should` clauses, free text a BM25 `Should` clause.
//!
//! It is kept for two jobs: [`Catalog::find_bare`] runs it bare, the baseline the catalog benchmark compares
//! `find` with; [`Catalog::find_by_query`] is the whole matcher on top of it (a `Count` per relaxation step, then
//! `TopDocs`), the reference the fast path is tested against.

use std::collections::HashSet;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::{DocId, Score, SegmentReader};

use super::{MatchOutcome, MatchRequest, Relaxation, candidate_limit};
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
    /// The tantivy query for `request` with the wants in `relaxed` loosened to preferences.
    pub(super) fn build_query(
        &self,
        request: &MatchRequest,
        relaxed: &HashSet<usize>,
    ) -> BooleanQuery {
        let mut clauses = Vec::new();
        for constraint in &request.scope {
            clauses.push(filter(self.query_for(constraint)));
        }
        if request.in_stock_only {
            clauses.push(filter(
                self.query_for(&Constraint::new("stock", Op::Gt(0.0))),
            ));
        }
        for (i, want) in request.wants.iter().enumerate() {
            if !want.any_of.is_empty() {
                let query = any_of(self, &want.any_of);
                clauses.push(if relaxed.contains(&i) {
                    prefer(query, 1.0)
                } else {
                    filter(query)
                });
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

    /// The whole matcher on one tantivy query per relaxation step: the reference [`Catalog::find`] must agree with.
    #[doc(hidden)]
    pub fn find_by_query(&self, request: &MatchRequest) -> Result<MatchOutcome, IndexError> {
        let searcher = self.searcher();
        let mut relaxation = Relaxation::new(request);
        let limit = candidate_limit(request);
        let (top, total) = loop {
            let query = self.build_query(request, &relaxation.loosened);
            let (top, total) = searcher.search(&query, &(self.ranked(limit), Count))?;
            if total >= request.count || !relaxation.next() {
                break (top, total);
            }
        };
        self.pick(&searcher, &top, total, relaxation.relaxed, request)
    }

    /// The query `find` answers first (nothing relaxed), searched bare: the top `request.count` by score, no stored
    /// product read, no relaxation, no explanations. The baseline the catalog benchmark compares `find` with;
    /// returns how many hits it found.
    #[doc(hidden)]
    pub fn find_bare(&self, request: &MatchRequest) -> Result<usize, IndexError> {
        let query = self.build_query(request, &HashSet::new());
        let top = self.searcher().search(
            &query,
            &TopDocs::with_limit(request.count.max(1)).order_by_score(),
        )?;
        Ok(top.len())
    }

    /// The top `limit` by score, ties in score broken by rating: the rounded score dominates, the rating (< 1)
    /// decides among equals.
    pub(super) fn ranked(
        &self,
        limit: usize,
    ) -> impl tantivy::collector::Collector<Fruit = Vec<(f64, tantivy::DocAddress)>> {
        let rating_column = self.schema().rating_column.clone();
        TopDocs::with_limit(limit).tweak_score(move |segment: &SegmentReader| {
            let rating = segment
                .fast_fields()
                .f64(&rating_column)
                .ok()
                .map(|c| c.first_or_default_col(0.0));
            move |doc: DocId, score: Score| {
                let rating = rating.as_ref().map_or(0.0, |r| r.get_val(doc));
                super::rank::sort_key(score, rating)
            }
        })
    }
}
