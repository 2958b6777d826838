//! Matching answers to products: hard filters, weighted preferences, free text, relaxation, diversity and an
//! explanation for every pick.
//!
//! The request is data built by the conversation engine from a flow's mappings; the matcher knows nothing of
//! flows. **No dead ends**: while the hard filters leave fewer products than asked for, the wants are relaxed one
//! by one in the declared order (a relaxed want still counts as a preference) and the outcome says exactly which.
//! **Explain every pick**: each constraint is evaluated again in Rust against the stored product, so the
//! explanation is exact, not a guess from scores.

use std::collections::{HashMap, HashSet};

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::{DocId, Score, SegmentReader};

use super::index::IndexError;
use super::{Catalog, Constraint, Op, Product};

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
    pub product: Product,
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
    fn build_query(&self, request: &MatchRequest, relaxed: &HashSet<usize>) -> BooleanQuery {
        let mut clauses = vec![filter(Box::new(AllQuery))];
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
        BooleanQuery::new(clauses)
    }

    /// Runs `request`: relaxes until enough products pass, ranks, applies the diversity rule and explains.
    ///
    /// Cost: one search collects the top candidates and the count together (a count alone runs again only after a
    /// relaxation step), and stored products are read only as far down the ranking as the picks need, rather than
    /// for every candidate.
    pub fn find(&self, request: &MatchRequest) -> Result<MatchOutcome, IndexError> {
        let searcher = self.searcher();
        let mut relaxed_set = HashSet::new();
        let mut relaxed = Vec::new();
        let mut sequence = request.relax_sequence().into_iter();
        let limit = (request.count * 8).max(40);
        let (top, total) = loop {
            let query = self.build_query(request, &relaxed_set);
            let (top, total) = searcher.search(&query, &(self.ranked(limit), Count))?;
            if total >= request.count {
                break (top, total);
            }
            match sequence.next() {
                Some(i) => {
                    relaxed_set.insert(i);
                    let want = &request.wants[i];
                    relaxed.push(Relaxed {
                        question: want.question.clone(),
                        label: want.label.clone(),
                    });
                }
                None => break (top, total),
            }
        };
        let mut candidates: Vec<(f64, Product)> = Vec::new();
        let mut at = 0;
        // Products are read one run of equal keys at a time (ties are ordered by id, which needs the product),
        // until the picks are settled.
        while at < top.len() && !settled(&candidates, request) {
            let key = top[at].0;
            let run_start = candidates.len();
            while at < top.len() && top[at].0 == key {
                candidates.push((key, self.product_at(&searcher, top[at].1)?));
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

    /// The top `limit` by score, ties in score broken by rating: the rounded score dominates, the rating (< 1)
    /// decides among equals.
    fn ranked(
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
                (f64::from(score) * 1000.0).round() + rating / 10.0
            }
        })
    }
}

/// Whether the candidates read so far (best first) already fill the picks, so reading further down the ranking
/// cannot change them: [`diversify`] takes candidates in order and never looks past a full set.
fn settled(candidates: &[(f64, Product)], request: &MatchRequest) -> bool {
    let Some((field, max)) = &request.diversity else {
        return candidates.len() >= request.count;
    };
    let mut per_value: HashMap<String, usize> = HashMap::new();
    let mut picked = 0;
    for (_, product) in candidates {
        let key = diversity_key(product, field);
        let seen = per_value.entry(key).or_default();
        if *seen < *max {
            *seen += 1;
            picked += 1;
        }
    }
    picked >= request.count
}

fn diversity_key(product: &Product, field: &str) -> String {
    product
        .values(field)
        .first()
        .map(|v| format!("{v:?}"))
        .unwrap_or_default()
}

impl Catalog {
    /// The query `find` runs first (nothing relaxed), searched bare: the top `request.count` by score, no stored
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
}

/// Keeps at most `max` products per value of the diversity field among the picks; when that leaves too few, the
/// best of the rest fill up (a real choice matters, but never more than showing something).
fn diversify(candidates: Vec<(f64, Product)>, request: &MatchRequest) -> Vec<(f64, Product)> {
    let Some((field, max)) = &request.diversity else {
        return candidates.into_iter().take(request.count).collect();
    };
    let mut per_value: HashMap<String, usize> = HashMap::new();
    let mut picked = Vec::new();
    let mut rest = Vec::new();
    for (score, product) in candidates {
        let seen = per_value.entry(diversity_key(&product, field)).or_default();
        if picked.len() < request.count && *seen < *max {
            *seen += 1;
            picked.push((score, product));
        } else {
            rest.push((score, product));
        }
    }
    let missing = request.count.saturating_sub(picked.len());
    picked.extend(rest.into_iter().take(missing));
    picked.sort_by(|(ka, a), (kb, b)| kb.total_cmp(ka).then_with(|| a.id.cmp(&b.id)));
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
        } else {
            let gap = want
                .any_of
                .first()
                .and_then(|clause| clause.iter().find_map(|c| numeric_gap(c, product)));
            explanation.missed.push(Miss {
                question: want.question.clone(),
                label: want.label.clone(),
                gap,
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
            super::FieldValue::Number(n) => Some(n),
            _ => None,
        })?;
    let gap = match constraint.op {
        Op::Lt(x) | Op::Lte(x) if !constraint.test(product) => value - x,
        Op::Gt(x) | Op::Gte(x) if !constraint.test(product) => value - x,
        _ => return None,
    };
    Some((constraint.field.clone(), gap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Scalar;

    fn shoe(
        id: &str,
        brand: &str,
        terrain: &str,
        price: f64,
        rating: f64,
        tags: &[&str],
    ) -> Product {
        serde_json::from_value(
            serde_json::json!({"id": id, "title": format!("Shoe {id}"), "brand": brand,
            "category": "running-shoes", "price": price, "rating": rating, "stock": 5, "tags": tags,
            "attributes": {"terrain": terrain}}),
        )
        .expect("product")
    }

    fn eq(field: &str, value: &str) -> Constraint {
        Constraint::new(field, Op::Eq(Scalar::Text(value.into())))
    }

    fn catalog() -> Catalog {
        Catalog::from_products(&[
            shoe("a", "North", "trail", 120.0, 4.5, &["waterproof"]),
            shoe("b", "North", "trail", 90.0, 4.8, &[]),
            shoe("c", "North", "trail", 80.0, 4.9, &["waterproof"]),
            shoe("d", "Swift", "road", 60.0, 4.0, &["waterproof"]),
            shoe("e", "Swift", "road", 150.0, 3.0, &[]),
        ])
        .expect("index")
    }

    fn request(wants: Vec<Want>, count: usize) -> MatchRequest {
        MatchRequest {
            scope: vec![eq("category", "running-shoes")],
            wants,
            text: None,
            count,
            in_stock_only: true,
            diversity: None,
            relax_order: vec![],
        }
    }

    fn trail() -> Want {
        Want {
            question: "terrain".into(),
            label: "Trail".into(),
            any_of: vec![vec![eq("terrain", "trail")]],
            boosts: vec![],
        }
    }

    fn budget(max: f64) -> Want {
        Want {
            question: "budget".into(),
            label: format!("Under ${max}"),
            any_of: vec![vec![Constraint::new("price", Op::Lte(max))]],
            boosts: vec![],
        }
    }

    fn ids(outcome: &MatchOutcome) -> Vec<&str> {
        outcome.hits.iter().map(|h| h.product.id.as_str()).collect()
    }

    #[test]
    fn boosts_rank_and_rating_breaks_ties() {
        let mut waterproof = trail();
        waterproof.boosts.push(Constraint {
            weight: 2.0,
            ..eq("tags", "waterproof")
        });
        let outcome = catalog().find(&request(vec![waterproof], 3)).expect("find");
        assert_eq!(ids(&outcome), ["c", "a", "b"]);
        assert!(outcome.relaxed.is_empty());
        assert_eq!(outcome.total, 3);
    }

    #[test]
    fn relaxes_in_declared_order_and_explains_the_gap() {
        let mut req = request(vec![trail(), budget(85.0)], 2);
        req.relax_order = vec!["budget".into()];
        let outcome = catalog().find(&req).expect("find");
        assert_eq!(
            outcome.relaxed,
            [Relaxed {
                question: "budget".into(),
                label: "Under $85".into()
            }]
        );
        assert_eq!(ids(&outcome), ["c", "b"]);
        let b = &outcome.hits[1].explanation;
        assert_eq!(b.matched, ["Trail"]);
        assert_eq!(b.missed[0].gap, Some(("price".to_string(), 5.0)));
    }

    #[test]
    fn default_relaxation_loosens_the_last_answer_first() {
        let outcome = catalog()
            .find(&request(vec![trail(), budget(50.0)], 1))
            .expect("find");
        assert_eq!(outcome.relaxed.len(), 1);
        assert_eq!(outcome.relaxed[0].question, "budget");
        assert_eq!(ids(&outcome), ["c"]);
    }

    #[test]
    fn diversity_caps_one_brand() {
        let mut req = request(vec![], 3);
        req.diversity = Some(("brand".into(), 2));
        let outcome = catalog().find(&req).expect("find");
        let brands: Vec<&str> = outcome
            .hits
            .iter()
            .map(|h| h.product.brand.as_str())
            .collect();
        assert_eq!(
            brands.iter().filter(|b| **b == "North").count(),
            2,
            "{brands:?}"
        );
    }
}
