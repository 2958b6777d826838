//! One bucket of aggregates: the counts of one finder version over one hour (or one day, UTC). Buckets merge by
//! adding, so a date range is the sum of its buckets. Every map is bounded: past its cap, new keys count under
//! [`OTHER`], so a bucket stays small however many distinct answers, paths or products arrive.
//!
//! Stored as JSON (`store::insights`); nothing in a bucket names a shopper.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::sketch::Durations;

/// The key of what did not fit under a map's cap.
pub const OTHER: &str = "(other)";
/// Distinct answers kept per question and bucket.
pub const MAX_ANSWERS: usize = 64;
/// Distinct not-understood texts kept per question and bucket.
pub const MAX_TEXTS: usize = 32;
/// Distinct answer paths kept per bucket.
pub const MAX_PATHS: usize = 256;
/// Distinct products kept per bucket.
pub const MAX_PRODUCTS: usize = 512;
/// Distinct (answer, product) pairs kept per bucket.
pub const MAX_PAIRS: usize = 1024;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Conversations started (the `start` message; a resume is not a start).
    pub starts: u64,
    /// "Start again" pressed.
    pub restarts: u64,
    /// Conversations that reached a result at least once.
    pub completed: u64,
    /// Results shown (a conversation that goes back and sees results again counts twice).
    pub shown: u64,
    /// Results that showed no product at all.
    pub zero: u64,
    /// Results where some answer was loosened to show enough products.
    pub relaxed: u64,
    /// Conversations (per shopper's latest result) that clicked, added to cart, bought at least one pick.
    pub sessions_clicked: u64,
    pub sessions_carted: u64,
    pub sessions_purchased: u64,
    /// Clicks on picks, cart adds of picks, units of picks bought.
    pub clicks: u64,
    pub carts: u64,
    pub purchases: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub questions: BTreeMap<String, QuestionStats>,
    /// Answer path (`q=a › q=a`) → results shown after it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub paths: BTreeMap<String, Outcomes>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub products: BTreeMap<String, ProductStats>,
    /// `question=answer` → product → times shown as a pick after that answer.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pairs: BTreeMap<String, BTreeMap<String, u64>>,
    /// How many (answer, product) pairs `pairs` holds, to bound it without counting each time.
    #[serde(default)]
    pub n_pairs: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionStats {
    /// Conversations asked this question (once each).
    pub reached: u64,
    /// Conversations that moved on from it: answered or skipped (once each).
    pub answered: u64,
    pub skipped: u64,
    pub went_back: u64,
    pub not_understood: u64,
    /// From asking to an answer the engine understood.
    #[serde(default, skip_serializing_if = "Durations::is_empty")]
    pub time: Durations,
    /// Answer → how often given, and the results shown after it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub answers: BTreeMap<String, AnswerStats>,
    /// Typed text the engine did not understand → how often.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerStats {
    pub given: u64,
    #[serde(flatten)]
    pub outcomes: Outcomes,
}

/// Results shown, and how many of them were empty or loosened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcomes {
    pub shown: u64,
    pub zero: u64,
    pub relaxed: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductStats {
    pub shown: u64,
    pub clicked: u64,
    pub carted: u64,
    pub purchased: u64,
}

/// The entry for `key` in a map capped at `cap` keys: past the cap, [`OTHER`]'s.
pub fn capped<'a, V: Default>(
    map: &'a mut BTreeMap<String, V>,
    key: &str,
    cap: usize,
) -> &'a mut V {
    if map.contains_key(key) {
        return map.get_mut(key).expect("just looked");
    }
    let key = if map.len() < cap { key } else { OTHER };
    map.entry(key.to_string()).or_default()
}

impl Outcomes {
    pub fn add(&mut self, zero: bool, relaxed: bool) {
        self.shown += 1;
        self.zero += u64::from(zero);
        self.relaxed += u64::from(relaxed);
    }

    pub fn merge(&mut self, other: &Outcomes) {
        self.shown += other.shown;
        self.zero += other.zero;
        self.relaxed += other.relaxed;
    }
}

impl ProductStats {
    pub fn merge(&mut self, other: &ProductStats) {
        self.shown += other.shown;
        self.clicked += other.clicked;
        self.carted += other.carted;
        self.purchased += other.purchased;
    }
}

impl QuestionStats {
    pub fn merge(&mut self, other: &QuestionStats) {
        self.reached += other.reached;
        self.answered += other.answered;
        self.skipped += other.skipped;
        self.went_back += other.went_back;
        self.not_understood += other.not_understood;
        self.time.merge(&other.time);
        for (answer, stats) in &other.answers {
            let mine = entry(&mut self.answers, answer);
            mine.given += stats.given;
            mine.outcomes.merge(&stats.outcomes);
        }
        for (text, n) in &other.texts {
            *entry(&mut self.texts, text) += n;
        }
    }
}

impl Bucket {
    pub fn question(&mut self, id: &str) -> &mut QuestionStats {
        // Questions come from the finder file: few, and never capped.
        if !self.questions.contains_key(id) {
            self.questions
                .insert(id.to_string(), QuestionStats::default());
        }
        self.questions
            .get_mut(id)
            .expect("the question was just added")
    }

    /// Counts `product` shown after `answer`, within the pairs cap.
    pub fn pair(&mut self, answer: &str, product: &str) {
        let known = self
            .pairs
            .get(answer)
            .is_some_and(|products| products.contains_key(product));
        let (answer, product) = if known || self.n_pairs < MAX_PAIRS {
            (answer, product)
        } else {
            (OTHER, OTHER)
        };
        if !self.pairs.contains_key(answer) {
            self.pairs.insert(answer.to_string(), BTreeMap::new());
        }
        let products = self
            .pairs
            .get_mut(answer)
            .expect("the answer was just added");
        match products.get_mut(product) {
            Some(count) => *count += 1,
            None => {
                self.n_pairs += 1;
                products.insert(product.to_string(), 1);
            }
        }
    }

    /// Adds `other` into this bucket. Merged buckets (a date range) are not capped: they are read, not kept.
    pub fn merge(&mut self, other: &Bucket) {
        self.merge_counts(other);
        for (id, stats) in &other.questions {
            entry(&mut self.questions, id).merge(stats);
        }
        for (path, outcomes) in &other.paths {
            entry(&mut self.paths, path).merge(outcomes);
        }
        for (product, stats) in &other.products {
            entry(&mut self.products, product).merge(stats);
        }
        for (answer, products) in &other.pairs {
            let mine = entry(&mut self.pairs, answer);
            for (product, n) in products {
                *entry(mine, product) += n;
            }
        }
        self.n_pairs = self.pairs.values().map(BTreeMap::len).sum();
    }

    /// Adds only `other`'s counters (starts, completions, results, clicks…), not its tables: what a funnel row needs.
    pub fn merge_counts(&mut self, other: &Bucket) {
        self.starts += other.starts;
        self.restarts += other.restarts;
        self.completed += other.completed;
        self.shown += other.shown;
        self.zero += other.zero;
        self.relaxed += other.relaxed;
        self.sessions_clicked += other.sessions_clicked;
        self.sessions_carted += other.sessions_carted;
        self.sessions_purchased += other.sessions_purchased;
        self.clicks += other.clicks;
        self.carts += other.carts;
        self.purchases += other.purchases;
    }

    /// This bucket's counters alone, its tables empty.
    pub fn counts(&self) -> Bucket {
        let mut counts = Bucket::default();
        counts.merge_counts(self);
        counts
    }
}

/// The value of `key`, added as the default if missing; the key is copied only then (a range's sum meets the same
/// keys in bucket after bucket).
fn entry<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    capped(map, key, usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capped_map_counts_the_overflow_under_other() {
        let mut map: BTreeMap<String, u64> = BTreeMap::new();
        for i in 0..5 {
            *capped(&mut map, &format!("k{i}"), 3) += 1;
        }
        *capped(&mut map, "k0", 3) += 1;
        assert_eq!(map.len(), 4);
        assert_eq!(map["k0"], 2);
        assert_eq!(map[OTHER], 2);
    }

    #[test]
    fn merging_adds_every_count() {
        let mut a = Bucket {
            starts: 2,
            ..Default::default()
        };
        a.question("terrain").answered = 1;
        a.pair("terrain=trail", "p1");
        let mut b = a.clone();
        b.products.entry("p1".into()).or_default().clicked = 3;
        a.merge(&b);
        assert_eq!(a.starts, 4);
        assert_eq!(a.questions["terrain"].answered, 2);
        assert_eq!(a.pairs["terrain=trail"]["p1"], 2);
        assert_eq!(a.products["p1"].clicked, 3);
        assert_eq!(a.n_pairs, 1);
    }
}
