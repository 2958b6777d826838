//! Item-to-item co-occurrence, kept apart per kind and updated on every event (no nightly batch):
//! - **viewed together**: products viewed in one browsing session (the event's `session`, else its shopper);
//! - **bought together**: products put in the cart or bought by one shopper;
//! - **popularity**: views count 1, carts 3, purchases 5.
//!
//! A pair's score is its count over the geometric mean of the two products' counts (cosine similarity of their
//! occurrence vectors), so a best-seller that co-occurs with everything does not win every list. Each session and
//! basket remembers only its last [`WINDOW`] products, which bounds the work of one update, and only the
//! [`GROUPS`] sessions (or baskets) seen most recently are remembered at all, which bounds the memory: an older
//! session that goes on starts a new window. Popularity is kept ranked as it changes, so reading the most popular
//! products costs what is read, not a sort of the catalog.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::shop_events::{Kind, ShopEvent};

/// Products remembered per session or basket; an update pairs the new product with at most this many.
pub const WINDOW: usize = 20;

/// Sessions (for viewed together) or shoppers (for bought together) whose windows are remembered; the first seen
/// is forgotten first.
pub const GROUPS: usize = 200_000;

/// Which co-occurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Together {
    Viewed,
    Bought,
}

#[derive(Debug, Default)]
struct Counts {
    pairs: HashMap<String, HashMap<String, u32>>,
    occurrences: HashMap<String, u32>,
    /// Session or shopper → its last products, newest last.
    windows: HashMap<String, VecDeque<String>>,
    /// The groups of `windows`, first seen first (at most [`GROUPS`]).
    seen: VecDeque<String>,
}

impl Counts {
    fn observe(&mut self, group: &str, product: &str) {
        if !self.windows.contains_key(group) {
            self.seen.push_back(group.to_string());
            if self.seen.len() > GROUPS
                && let Some(oldest) = self.seen.pop_front()
            {
                self.windows.remove(&oldest);
            }
        }
        let window = self.windows.entry(group.to_string()).or_default();
        if window.iter().any(|p| p == product) {
            return;
        }
        *self.occurrences.entry(product.to_string()).or_default() += 1;
        for other in window.iter() {
            *self
                .pairs
                .entry(product.to_string())
                .or_default()
                .entry(other.clone())
                .or_default() += 1;
            *self
                .pairs
                .entry(other.clone())
                .or_default()
                .entry(product.to_string())
                .or_default() += 1;
        }
        window.push_back(product.to_string());
        if window.len() > WINDOW {
            window.pop_front();
        }
    }

    fn forget(&mut self, group: &str) {
        self.windows.remove(group);
    }

    fn with(&self, product: &str) -> Vec<(String, f64)> {
        let Some(pairs) = self.pairs.get(product) else {
            return Vec::new();
        };
        let own = f64::from(self.occurrences.get(product).copied().unwrap_or(1).max(1));
        let mut scored: Vec<(String, f64)> = pairs
            .iter()
            .map(|(other, n)| {
                let theirs = f64::from(self.occurrences.get(other).copied().unwrap_or(1).max(1));
                (other.clone(), f64::from(*n) / (own * theirs).sqrt())
            })
            .collect();
        sort(&mut scored);
        scored
    }
}

/// Best first; ties by product id, so every list is deterministic.
fn sort(scored: &mut [(String, f64)]) {
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}

/// Popularity (views 1, carts 3, purchases 5), with the products ranked as their scores change.
#[derive(Debug, Default)]
struct Popularity {
    score: HashMap<String, u64>,
    /// Highest score first; equal scores by product id.
    ranked: BTreeSet<(Reverse<u64>, String)>,
}

impl Popularity {
    fn add(&mut self, product: &str, weight: u64) {
        let score = self.score.entry(product.to_string()).or_default();
        let mut key = (Reverse(*score), product.to_string());
        self.ranked.remove(&key);
        *score += weight;
        key.0 = Reverse(*score);
        self.ranked.insert(key);
    }
}

/// What the shop's events say about its products, kept up to date event by event.
#[derive(Debug, Default)]
pub struct Model {
    viewed: Counts,
    bought: Counts,
    popularity: Popularity,
    alike: super::alike::Alike,
    events: u64,
}

impl Model {
    /// Takes one event into account.
    pub fn observe(&mut self, event: &ShopEvent) {
        self.events += 1;
        let weight = match event.kind {
            Kind::Viewed | Kind::Page | Kind::Clicked => 1,
            Kind::AddedToCart => 3,
            Kind::Purchased => 5,
        };
        for product in event.products() {
            self.popularity.add(product, weight);
            match event.kind {
                Kind::Viewed | Kind::Page => {
                    let session = event.session.as_deref().unwrap_or(&event.visitor);
                    self.viewed.observe(session, product);
                }
                Kind::AddedToCart | Kind::Purchased => self.bought.observe(&event.visitor, product),
                Kind::Clicked => {}
            }
            if matches!(
                event.kind,
                Kind::Clicked | Kind::AddedToCart | Kind::Purchased
            ) {
                self.alike.chose(&event.visitor, product);
            }
        }
    }

    /// Forgets what the model keeps of one shopper (an erasure): their basket, their answers and choices. The
    /// counts they added stay, as counts without a name.
    pub fn forget(&mut self, shopper: &str) {
        self.viewed.forget(shopper);
        self.bought.forget(shopper);
        self.alike.forget(shopper);
    }

    /// The shopper's answers to finder `flow` are now `signature` ([`super::alike::signature`]).
    pub fn answered(&mut self, shopper: &str, flow: &str, signature: String) {
        self.alike.answered(shopper, flow, signature);
    }

    /// What shoppers who gave `flow` the answers `signature` chose, most often first.
    pub fn answered_alike(&self, flow: &str, signature: &str) -> Vec<(String, u32)> {
        self.alike.chosen_by(flow, signature)
    }

    /// Products that co-occur with `product`, best first (popularity-corrected).
    pub fn together(&self, kind: Together, product: &str) -> Vec<(String, f64)> {
        match kind {
            Together::Viewed => self.viewed.with(product),
            Together::Bought => self.bought.with(product),
        }
    }

    /// Every product with its popularity, most popular first (equal scores by id), read lazily.
    pub fn popular(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.popularity
            .ranked
            .iter()
            .map(|(Reverse(score), product)| (product.as_str(), *score))
    }

    /// How many events the model has seen.
    pub fn events(&self) -> u64 {
        self.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shop_events::Source;

    fn view(session: &str, product: &str) -> ShopEvent {
        ShopEvent {
            id: format!("{session}-{product}"),
            visitor: format!("v-{session}"),
            kind: Kind::Viewed,
            product: Some(product.into()),
            quantity: None,
            order: None,
            category: None,
            url: None,
            session: Some(session.into()),
            at: 0,
            source: Source::Api,
            unknown_products: Vec::new(),
        }
    }

    #[test]
    fn pairs_are_found_and_a_best_seller_does_not_win_everything() {
        let mut model = Model::default();
        // a and b are viewed together in three sessions; the best-seller z is viewed in every session.
        for n in 0..3 {
            let s = format!("s{n}");
            model.observe(&view(&s, "a"));
            model.observe(&view(&s, "b"));
            model.observe(&view(&s, "z"));
        }
        for n in 3..30 {
            let s = format!("s{n}");
            model.observe(&view(&s, "z"));
            model.observe(&view(&s, &format!("other-{n}")));
        }
        // Viewing the same product twice in a session counts once.
        model.observe(&view("s0", "a"));
        let with_a = model.together(Together::Viewed, "a");
        assert_eq!(with_a[0].0, "b", "{with_a:?}");
        assert!(
            with_a.iter().any(|(p, _)| p == "z"),
            "z co-occurs too, but scores lower"
        );
        assert!(
            model.together(Together::Bought, "a").is_empty(),
            "the kinds are kept apart"
        );
        assert_eq!(model.popular().next(), Some(("z", 30)));
        assert_eq!(model.events(), 64);
    }

    #[test]
    fn popularity_is_ranked_as_it_changes_and_ties_go_by_id() {
        let mut model = Model::default();
        let mut cart = view("s", "b");
        cart.kind = Kind::AddedToCart;
        for event in [view("s", "a"), view("s", "c"), view("t", "c"), cart] {
            model.observe(&event);
        }
        let ranked: Vec<(&str, u64)> = model.popular().collect();
        assert_eq!(ranked, [("b", 3), ("c", 2), ("a", 1)]);
        model.observe(&view("u", "a"));
        let ranked: Vec<(&str, u64)> = model.popular().collect();
        assert_eq!(ranked, [("b", 3), ("a", 2), ("c", 2)], "ties by id");
    }

    #[test]
    fn only_the_latest_sessions_are_remembered() {
        let mut model = Model::default();
        for n in 0..=GROUPS {
            model.observe(&view(&format!("s{n}"), "a"));
        }
        assert_eq!(model.viewed.windows.len(), GROUPS);
        assert!(
            !model.viewed.windows.contains_key("s0"),
            "the first is forgotten"
        );
        // A forgotten session that goes on starts a new window: no pair with what it saw before.
        model.observe(&view("s0", "b"));
        assert!(model.together(Together::Viewed, "b").is_empty());
    }
}
