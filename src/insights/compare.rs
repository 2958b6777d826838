//! Comparing finder versions: the difference of two proportions (completion, click-through) with its 95 %
//! confidence interval by Newcombe's hybrid score method.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub version: String,
    pub baseline: String,
    /// `completed / starts` of `version` minus that of `baseline`.
    pub completion: Difference,
    /// `clicked / completed` of `version` minus that of `baseline`.
    pub click_through: Difference,
}

/// A difference of two proportions and its 95 % interval; `None` when either side has no trials.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub difference: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// Wilson's score interval of `x / n` at z = 1.96.
fn wilson(x: u64, n: u64) -> (f64, f64) {
    let (x, n, z) = (x as f64, n as f64, 1.959_964);
    let p = x / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    (centre - half, centre + half)
}

/// `x1/n1 − x2/n2` with Newcombe's hybrid score interval (method 10 of Newcombe 1998, from the two Wilson
/// intervals): sound for small counts and rates near 0 or 1, where the plain Wald interval is not.
pub fn difference(x1: u64, n1: u64, x2: u64, n2: u64) -> Difference {
    if n1 == 0 || n2 == 0 {
        return Difference {
            difference: None,
            low: None,
            high: None,
        };
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let ((l1, u1), (l2, u2)) = (wilson(x1, n1), wilson(x2, n2));
    let d = p1 - p2;
    let round = |v: f64| (v * 10_000.0).round() / 10_000.0;
    Difference {
        difference: Some(round(d)),
        low: Some(round(d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt())),
        high: Some(round(d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt())),
    }
}
