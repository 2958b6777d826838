//! "Shoppers who answered like you chose": what shoppers with the same finder answers picked, carted or bought.
//!
//! Each shopper has one *signature* per finder — their answers to it, written canonically ([`signature`]) — and a
//! short memory of the products they chose (clicked in the picks, put in the cart, bought; the last
//! [`super::model::WINDOW`]). For each finder and signature the model counts how many of its shoppers chose each
//! product. Both halves may arrive in any order: a new signature moves the shopper's choices from the old one to
//! it, and a new choice counts for every signature the shopper has. Updating either is a few map operations.

use std::collections::{HashMap, VecDeque};

use super::model::WINDOW;

/// The canonical text of a shopper's answers to one finder: `question=answer` in question order, so two shoppers
/// who gave the same answers in any order share it. Skipped questions count as answers too (`-`).
pub fn signature<'a>(answers: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let mut pairs: Vec<(&str, String)> = answers.into_iter().collect();
    pairs.sort();
    pairs.dedup_by(|a, b| a.0 == b.0);
    pairs
        .iter()
        .map(|(q, a)| format!("{q}={a}"))
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

#[derive(Debug, Default)]
pub(super) struct Alike {
    /// Shopper → finder → signature.
    signatures: HashMap<String, HashMap<String, String>>,
    /// Shopper → the products they chose, oldest first.
    chosen: HashMap<String, VecDeque<String>>,
    /// `finder \0 signature` → product → how many of its shoppers chose it.
    counts: HashMap<String, HashMap<String, u32>>,
}

fn key(flow: &str, signature: &str) -> String {
    format!("{flow}\0{signature}")
}

impl Alike {
    /// The shopper's answers to `flow` are now `signature`.
    pub(super) fn answered(&mut self, shopper: &str, flow: &str, signature: String) {
        // Looked up before anything is copied: most answers come from a shopper already known.
        if !self.signatures.contains_key(shopper) {
            self.signatures.insert(shopper.to_string(), HashMap::new());
        }
        let flows = self
            .signatures
            .get_mut(shopper)
            .expect("the shopper was just added");
        let old = match flows.get_mut(flow) {
            Some(same) if *same == signature => return,
            Some(other) => Some(std::mem::replace(other, signature.clone())),
            None => {
                flows.insert(flow.to_string(), signature.clone());
                None
            }
        };
        let Some(chosen) = self.chosen.get(shopper) else {
            return;
        };
        if let Some(old) = old {
            let counts = self.counts.entry(key(flow, &old)).or_default();
            for product in chosen {
                if let Some(n) = counts.get_mut(product) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        counts.remove(product);
                    }
                }
            }
        }
        let counts = self.counts.entry(key(flow, &signature)).or_default();
        for product in chosen {
            *counts.entry(product.clone()).or_default() += 1;
        }
    }

    /// The shopper chose `product` (a click on a pick, a cart, a purchase); a product counts once per shopper.
    pub(super) fn chose(&mut self, shopper: &str, product: &str) {
        let chosen = self.chosen.entry(shopper.to_string()).or_default();
        if chosen.iter().any(|p| p == product) {
            return;
        }
        chosen.push_back(product.to_string());
        let forgotten = (chosen.len() > WINDOW)
            .then(|| chosen.pop_front())
            .flatten();
        for (flow, signature) in self.signatures.get(shopper).into_iter().flatten() {
            let counts = self.counts.entry(key(flow, signature)).or_default();
            *counts.entry(product.to_string()).or_default() += 1;
            if let Some(old) = &forgotten
                && let Some(n) = counts.get_mut(old)
            {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.remove(old);
                }
            }
        }
    }

    /// Forgets the shopper: their signatures and choices go, and so do the counts their choices made.
    pub(super) fn forget(&mut self, shopper: &str) {
        let signatures = self.signatures.remove(shopper).unwrap_or_default();
        let chosen = self.chosen.remove(shopper).unwrap_or_default();
        for (flow, signature) in signatures {
            if let Some(counts) = self.counts.get_mut(&key(&flow, &signature)) {
                for product in &chosen {
                    if let Some(n) = counts.get_mut(product) {
                        *n = n.saturating_sub(1);
                        if *n == 0 {
                            counts.remove(product);
                        }
                    }
                }
            }
        }
    }

    /// What the shoppers with `signature` for `flow` chose, most often first (ties by product id).
    pub(super) fn chosen_by(&self, flow: &str, signature: &str) -> Vec<(String, u32)> {
        let mut out: Vec<(String, u32)> = self
            .counts
            .get(&key(flow, signature))
            .into_iter()
            .flatten()
            .map(|(p, n)| (p.clone(), *n))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_follow_the_signature_whatever_comes_first() {
        let trail = signature([("terrain", "trail".into()), ("waterproof", "yes".into())]);
        assert_eq!(
            trail,
            signature([("waterproof", "yes".into()), ("terrain", "trail".into())]),
            "order does not matter"
        );
        let road = signature([("terrain", "road".into())]);
        let mut alike = Alike::default();
        // a chooses before answering; b answers first; c answers differently.
        alike.chose("a", "boot");
        alike.answered("a", "shoes", trail.clone());
        alike.answered("b", "shoes", trail.clone());
        alike.chose("b", "boot");
        alike.chose("b", "sock");
        alike.chose("b", "sock");
        alike.answered("c", "shoes", road.clone());
        alike.chose("c", "racer");
        assert_eq!(
            alike.chosen_by("shoes", &trail),
            [("boot".to_string(), 2), ("sock".to_string(), 1)]
        );
        assert_eq!(alike.chosen_by("shoes", &road), [("racer".to_string(), 1)]);
        // a changes their mind: their choice moves with them.
        alike.answered("a", "shoes", road.clone());
        assert_eq!(alike.chosen_by("shoes", &trail)[0], ("boot".to_string(), 1));
        assert_eq!(alike.chosen_by("shoes", &road).len(), 2);
        assert!(alike.chosen_by("bags", &trail).is_empty(), "per finder");
        // An erased shopper takes their choices along.
        alike.forget("b");
        assert!(alike.chosen_by("shoes", &trail).is_empty());
        assert!(!alike.signatures.contains_key("b") && !alike.chosen.contains_key("b"));
    }
}
