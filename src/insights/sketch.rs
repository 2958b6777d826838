//! Time per question as a bounded, mergeable histogram: [`Durations`] counts durations in 48 geometric bins
//! (each 25 % wider than the one before, from under 250 ms to over an hour), so two buckets merge by adding
//! counts, a bucket never grows, and a median read from it is within about 12 % of the true one (the bin's
//! geometric midpoint).

use serde::{Deserialize, Serialize};

/// Bins: 0 holds `[0, 250 ms)`; bin `i ≥ 1` holds `[250·1.25^(i-1), 250·1.25^i)` ms; the last also holds
/// everything longer (~1 h 50 min and more).
pub const BINS: usize = 48;
const FIRST_MS: f64 = 250.0;
const GROWTH: f64 = 1.25;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Durations {
    /// Counts per bin; empty until the first duration (most buckets of a rarely asked question stay small).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    counts: Vec<u64>,
}

fn bin(ms: u64) -> usize {
    if (ms as f64) < FIRST_MS {
        return 0;
    }
    let i = ((ms as f64 / FIRST_MS).ln() / GROWTH.ln()).floor() as usize + 1;
    i.min(BINS - 1)
}

/// The geometric midpoint of a bin, in milliseconds (half the first bin's bound for bin 0).
fn middle(bin: usize) -> f64 {
    if bin == 0 {
        return FIRST_MS / 2.0;
    }
    let low = FIRST_MS * GROWTH.powi(bin as i32 - 1);
    low * GROWTH.sqrt()
}

impl Durations {
    pub fn add(&mut self, ms: u64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BINS];
        }
        self.counts[bin(ms)] += 1;
    }

    pub fn merge(&mut self, other: &Durations) {
        if other.counts.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; BINS];
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
    }

    /// How many durations were added.
    pub fn len(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The duration at quantile `q` (0–1), in seconds; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.len();
        if total == 0 {
            return None;
        }
        // The rank of the quantile, 1-based: the median of 4 values is the 2nd.
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(middle(i) / 1000.0);
            }
        }
        Some(middle(BINS - 1) / 1000.0)
    }

    pub fn median(&self) -> Option<f64> {
        self.quantile(0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_within_the_bin_error_of_the_true_one() {
        for true_ms in [300u64, 1_000, 4_200, 12_000, 95_000, 600_000] {
            let mut d = Durations::default();
            // A spread around the true median: half below, half above.
            for k in 1..=50u64 {
                d.add(true_ms.saturating_sub(k * true_ms / 200));
                d.add(true_ms + k * true_ms / 200);
            }
            let median = d.median().expect("not empty") * 1000.0;
            let error = (median - true_ms as f64).abs() / true_ms as f64;
            assert!(error < 0.13, "{true_ms} ms read as {median} ms");
        }
    }

    #[test]
    fn merging_is_adding_counts_and_an_empty_sketch_has_no_median() {
        let mut a = Durations::default();
        assert_eq!(a.median(), None);
        let mut b = Durations::default();
        for ms in [1_000, 1_000, 1_000] {
            a.add(ms);
        }
        for ms in [60_000, 60_000, 60_000, 60_000] {
            b.add(ms);
        }
        a.merge(&b);
        assert_eq!(a.len(), 7);
        // 4 of 7 took a minute: the median is the minute's bin.
        let median = a.median().expect("not empty");
        assert!((median - 60.0).abs() / 60.0 < 0.13, "{median}");
        // Very long and zero durations land in the end bins.
        a.add(u64::MAX / 2);
        a.add(0);
        assert_eq!(a.len(), 9);
    }
}
