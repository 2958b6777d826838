//! Offline evaluation of next-item prediction, the standard way: replay an event log in time order, and for every
//! view in the test period (the last 10 % of days) predict it from the item the session viewed just before — the
//! co-occurrence model ([`super::Model`], updated online as events arrive) against a popularity baseline. Scores
//! are HR@20 (the share of predictions whose top 20 holds the item viewed next) and MRR@20 (the mean of 1/rank,
//! 0 past 20). Pure: the caller reads the log.
//!
//! [`generate`] writes a log with planted structure for tests and benchmarks: products come in pairs, and a
//! session that views one of a pair views its partner next four times in five; other views follow a Zipf-like
//! popularity.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Model, Together};
use crate::shop_events::{Kind, ShopEvent, Source};

/// One row of an event log: session id, time (seconds), product id, event kind.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub session: String,
    pub at: u64,
    pub product: String,
    pub kind: Kind,
}

/// The cut-off: how many predictions in the list count.
pub const CUTOFF: usize = 20;

/// HR@20 and MRR@20 of one predictor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Score {
    pub predictions: usize,
    pub hits: usize,
    pub reciprocal_ranks: f64,
}

impl Score {
    fn add(&mut self, list: &[(String, f64)], target: &str) {
        self.predictions += 1;
        if let Some(rank) = list.iter().take(CUTOFF).position(|(p, _)| p == target) {
            self.hits += 1;
            self.reciprocal_ranks += 1.0 / (rank + 1) as f64;
        }
    }

    pub fn hit_rate(&self) -> f64 {
        self.hits as f64 / self.predictions.max(1) as f64
    }

    pub fn mrr(&self) -> f64 {
        self.reciprocal_ranks / self.predictions.max(1) as f64
    }
}

/// The evaluation of a log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    pub events: usize,
    pub train_events: usize,
    pub days: u64,
    pub cooccurrence: Score,
    pub popularity: Score,
}

fn event(row: &Row, n: usize) -> ShopEvent {
    ShopEvent {
        id: n.to_string(),
        visitor: row.session.clone(),
        kind: row.kind,
        product: Some(row.product.clone()),
        quantity: None,
        order: None,
        category: None,
        url: None,
        session: Some(row.session.clone()),
        at: row.at,
        source: Source::Api,
        unknown_products: Vec::new(),
    }
}

/// Replays `rows` (any order; sorted by time here) and scores both predictors on the last 10 % of days.
pub fn evaluate(mut rows: Vec<Row>) -> Evaluation {
    rows.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.session.cmp(&b.session)));
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Evaluation::default();
    };
    let (first_day, last_day) = (first.at / 86_400, last.at / 86_400);
    let days = last_day - first_day + 1;
    let test_days = (days / 10).max(1);
    let test_from = (last_day + 1 - test_days) * 86_400;
    let mut model = Model::default();
    let mut evaluation = Evaluation {
        events: rows.len(),
        days,
        ..Evaluation::default()
    };
    let mut previous: HashMap<String, String> = HashMap::new();
    for (n, row) in rows.iter().enumerate() {
        let viewed = matches!(row.kind, Kind::Viewed | Kind::Page);
        if row.at >= test_from && viewed {
            if let Some(before) = previous.get(&row.session).filter(|p| **p != row.product) {
                let mut together = model.together(Together::Viewed, before);
                together.retain(|(p, _)| p != before);
                evaluation.cooccurrence.add(&together, &row.product);
                let popular: Vec<(String, f64)> = model
                    .popular()
                    .filter(|(p, _)| p != before)
                    .take(CUTOFF)
                    .map(|(p, score)| (p.to_string(), score as f64))
                    .collect();
                evaluation.popularity.add(&popular, &row.product);
            }
        } else if row.at < test_from {
            evaluation.train_events += 1;
        }
        model.observe(&event(row, n));
        if viewed {
            previous.insert(row.session.clone(), row.product.clone());
        }
    }
    evaluation
}

/// A log of `sessions` sessions over `days` days with planted pairs (`p-2k` and `p-2k+1`) among `products`.
pub fn generate(sessions: usize, products: usize, days: u64, seed: u64) -> Vec<Row> {
    let mut rng = StdRng::seed_from_u64(seed);
    let products = products.max(2) & !1;
    // Zipf-like popularity: product k is drawn with weight 1 / (k + 1).
    let weights: Vec<f64> = (0..products).map(|k| 1.0 / (k + 1) as f64).collect();
    let total: f64 = weights.iter().sum();
    let draw = |rng: &mut StdRng| {
        let mut x = rng.random::<f64>() * total;
        for (k, w) in weights.iter().enumerate() {
            if x < *w {
                return k;
            }
            x -= w;
        }
        products - 1
    };
    let start = 1_700_006_400;
    let mut rows = Vec::new();
    for s in 0..sessions {
        let session = format!("s{s}");
        let mut at = start + (s as u64 * days * 86_400) / sessions.max(1) as u64;
        let mut product = draw(&mut rng);
        for _ in 0..rng.random_range(2..8) {
            rows.push(Row {
                session: session.clone(),
                at,
                product: format!("p-{product}"),
                kind: Kind::Viewed,
            });
            at += rng.random_range(5..120);
            product = if rng.random::<f64>() < 0.8 {
                product ^ 1
            } else {
                draw(&mut rng)
            };
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_planted_pairs_are_found_and_beat_popularity() {
        let rows = generate(3000, 200, 30, 7);
        let evaluation = evaluate(rows.clone());
        assert_eq!(evaluation.days, 30);
        assert!(evaluation.cooccurrence.predictions > 500, "{evaluation:?}");
        assert!(
            evaluation.cooccurrence.hit_rate() > 0.8,
            "the partner is predicted four times in five: {evaluation:?}"
        );
        assert!(
            evaluation.cooccurrence.mrr() > 2.0 * evaluation.popularity.mrr(),
            "{evaluation:?}"
        );
        // And a known pair is found directly: p-10's best companion is p-11.
        let mut model = Model::default();
        for (n, row) in rows.iter().enumerate() {
            model.observe(&event(row, n));
        }
        assert_eq!(model.together(Together::Viewed, "p-10")[0].0, "p-11");
        assert_eq!(model.together(Together::Viewed, "p-11")[0].0, "p-10");
        assert_eq!(
            generate(10, 20, 3, 1),
            generate(10, 20, 3, 1),
            "deterministic"
        );
    }
}
