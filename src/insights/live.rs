//! What keeping the figures current remembers between events, bounded: each recent conversation (to count it
//! once per question and time its questions) and each shopper's latest picks (to credit clicks and purchases).
//! Never stored: a restart forgets the conversations (their next questions are still counted) and rebuilds the
//! picks from the store.

use std::collections::HashMap;

/// A map that forgets: past `cap` entries, those untouched for `max_age` seconds go, then the older half.
#[derive(Debug)]
pub struct Recent<T> {
    entries: HashMap<String, (T, u64)>,
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Recent {
            entries: HashMap::new(),
        }
    }
}

impl<T> Recent<T> {
    pub fn take(&mut self, key: &str) -> Option<T> {
        self.entries.remove(key).map(|(value, _)| value)
    }

    /// Keeps `value` under `key`, touched at `at` (seconds).
    pub fn put(&mut self, key: &str, value: T, at: u64, cap: usize, max_age: u64) {
        self.entries.insert(key.to_string(), (value, at));
        if self.entries.len() <= cap {
            return;
        }
        let cutoff = at.saturating_sub(max_age);
        self.entries.retain(|_, (_, touched)| *touched >= cutoff);
        if self.entries.len() > cap {
            // Still full of fresh entries: forget the older half, which keeps this rare (amortised O(1)).
            let mut times: Vec<u64> = self.entries.values().map(|(_, t)| *t).collect();
            times.sort_unstable();
            let median = times[times.len() / 2];
            self.entries.retain(|_, (_, touched)| *touched > median);
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// One conversation as far as the figures need it.
#[derive(Debug, Default)]
pub struct Conversation {
    /// The question asked now and since when (milliseconds).
    pub asking: Option<(String, u64)>,
    reached: Vec<String>,
    moved_on: Vec<String>,
    completed: bool,
}

impl Conversation {
    pub fn new() -> Conversation {
        Conversation::default()
    }

    /// Marks `question` moved on from (answered or skipped); true the first time.
    pub fn moved_on(&mut self, question: &str) -> bool {
        if self.moved_on.iter().any(|q| q == question) {
            return false;
        }
        self.moved_on.push(question.to_string());
        true
    }

    /// When `question` was asked, if it is the one asked now.
    pub fn asked_since(&self, question: &str) -> Option<u64> {
        match &self.asking {
            Some((asked, since)) if asked == question => Some(*since),
            _ => None,
        }
    }

    /// `question` is asked now (at `at_ms`); true the first time this conversation reaches it. Asking the same
    /// question again (an answer not understood) keeps its clock running.
    pub fn ask(&mut self, question: &str, at_ms: u64) -> bool {
        if self.asked_since(question).is_some() {
            return false;
        }
        self.asking = Some((question.to_string(), at_ms));
        if self.reached.iter().any(|q| q == question) {
            return false;
        }
        self.reached.push(question.to_string());
        true
    }

    /// Marks the conversation completed; true the first time.
    pub fn complete(&mut self) -> bool {
        !std::mem::replace(&mut self.completed, true)
    }
}

/// A shopper's latest picks, and what of them was already counted once.
#[derive(Debug)]
pub struct Attribution {
    pub finder: String,
    pub version: String,
    pub products: Vec<String>,
    /// When they were shown (seconds).
    pub at: u64,
    pub clicked: bool,
    pub carted: bool,
    pub purchased: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_forgets_the_stale_then_the_older_half() {
        let mut recent = Recent::default();
        for i in 0..4u64 {
            recent.put(&format!("k{i}"), i, i, 4, 100);
        }
        assert_eq!(recent.len(), 4);
        // Everything is fresh: the older half goes.
        recent.put("k4", 4, 4, 4, 100);
        assert!(recent.len() <= 4);
        assert!(recent.take("k4").is_some());
        assert!(recent.take("k0").is_none());
        // Stale entries go first.
        let mut recent = Recent::default();
        recent.put("old", 0, 0, 2, 10);
        recent.put("a", 1, 50, 2, 10);
        recent.put("b", 2, 55, 2, 10);
        assert_eq!(recent.take("old"), None);
        assert_eq!(recent.take("a"), Some(1));
    }
}
