//! Causes: one thin or empty shelf usually has one small cause ("圧力IH + 3合 + under ¥20,000") that every
//! downstream answer combination inherits. The check finds each reported path's *smallest cause* — the fewest of
//! its answers that already leave too few products — and prints each cause once, with the number of paths it
//! affects, worst first.
//!
//! The smallest cause is found in two steps over the answers' product sets: the shortest prefix of the path whose
//! products already fall below the limit, then, greedily, every answer of that prefix whose removal keeps them
//! below it is dropped. The result is minimal (no answer can be removed), though not always the smallest such
//! set; it is deterministic and cheap (a few bitset intersections per path).

use std::collections::BTreeMap;
use std::sync::Arc;

use fixedbitset::FixedBitSet;

use super::{Audit, PathOutcome};

/// One answer on the walk's current path.
pub(super) struct Step {
    /// `question: answer`.
    pub label: String,
    /// Listed under the finder's `relax`.
    pub relaxable: bool,
    /// The products the answer allows; `None` when it filters nothing.
    pub bits: Option<Arc<FixedBitSet>>,
}

fn count(base: &FixedBitSet, sets: &[&FixedBitSet]) -> usize {
    let mut acc = base.clone();
    for set in sets {
        acc.intersect_with(set);
    }
    acc.count_ones(..)
}

/// The smallest cause among the `steps` that `eligible` admits: the fewest answers whose products, with the scope
/// (`base`), number fewer than `limit`; with that number. Empty when the scope alone leaves fewer.
pub(super) fn smallest(
    base: &FixedBitSet,
    steps: &[Step],
    eligible: impl Fn(&Step) -> bool,
    limit: usize,
) -> (Vec<String>, usize) {
    let filtering: Vec<(&str, &FixedBitSet)> = steps
        .iter()
        .filter(|s| eligible(s))
        .filter_map(|s| s.bits.as_deref().map(|b| (s.label.as_str(), b)))
        .collect();
    // The shortest prefix that is already below the limit.
    let mut acc = base.clone();
    let mut prefix: Vec<(&str, &FixedBitSet)> = Vec::new();
    if acc.count_ones(..) >= limit {
        for &(label, set) in &filtering {
            acc.intersect_with(set);
            prefix.push((label, set));
            if acc.count_ones(..) < limit {
                break;
            }
        }
    }
    // Drop every answer the prefix does not need, the latest kept (it is what tipped it over).
    let mut at = 0;
    while prefix.len() > 1 && at + 1 < prefix.len() {
        let rest: Vec<&FixedBitSet> = prefix
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != at)
            .map(|(_, (_, set))| *set)
            .collect();
        if count(base, &rest) < limit {
            prefix.remove(at);
        } else {
            at += 1;
        }
    }
    let sets: Vec<&FixedBitSet> = prefix.iter().map(|(_, set)| *set).collect();
    (
        prefix.iter().map(|(label, _)| label.to_string()).collect(),
        count(base, &sets),
    )
}

/// One cause and the paths it affects.
#[derive(Clone, Debug, PartialEq)]
pub struct Cause {
    /// The shopper would see nothing on these paths (an error), rather than too few or loosened picks.
    pub error: bool,
    /// The answers of the cause, in path order (empty: the finder's scope alone).
    pub answers: Vec<String>,
    /// Products the cause's answers leave.
    pub products: usize,
    /// The paths it affects.
    pub paths: Vec<PathOutcome>,
}

impl Cause {
    /// The fewest and most picks the shopper sees on its paths.
    pub fn shown(&self) -> (usize, usize) {
        let shown = self.paths.iter().map(|p| p.shown);
        (shown.clone().min().unwrap_or(0), shown.max().unwrap_or(0))
    }

    /// Every answer loosened on some of its paths, first seen first.
    pub fn relaxed(&self) -> Vec<&str> {
        self.relaxed_on()
            .into_iter()
            .map(|(label, _)| label)
            .collect()
    }

    /// Every answer loosened on some of its paths with the number of paths it is loosened on, first seen first.
    pub fn relaxed_on(&self) -> Vec<(&str, usize)> {
        let mut out: Vec<(&str, usize)> = Vec::new();
        for label in self.paths.iter().flat_map(|p| &p.relaxed) {
            match out.iter_mut().find(|(seen, _)| seen == label) {
                Some((_, n)) => *n += 1,
                None => out.push((label, 1)),
            }
        }
        out
    }

    /// What gets loosened, as the check prints it: the answers loosened on every path of the cause, then those
    /// loosened on only some with how many ("under $50, rated 4.5+ on 1 of 2 paths"); empty when nothing is.
    pub fn loosened(&self) -> String {
        let all = self.paths.len();
        self.relaxed_on()
            .into_iter()
            .map(|(label, n)| {
                if n == all {
                    label.to_string()
                } else {
                    format!("{label} on {n} of {all} paths")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Audit {
    /// The reported paths grouped by their smallest cause: errors first, then the causes affecting most paths.
    pub fn causes(&self) -> Vec<Cause> {
        let mut groups: BTreeMap<(bool, Vec<String>), Cause> = BTreeMap::new();
        for (error, paths) in [(true, &self.empty), (false, &self.thin)] {
            for path in paths {
                groups
                    .entry((error, path.cause.clone()))
                    .or_insert_with(|| Cause {
                        error,
                        answers: path.cause.clone(),
                        products: path.cause_products,
                        paths: Vec::new(),
                    })
                    .paths
                    .push(path.clone());
            }
        }
        let mut causes: Vec<Cause> = groups.into_values().collect();
        causes.sort_by(|a, b| {
            b.error
                .cmp(&a.error)
                .then(b.paths.len().cmp(&a.paths.len()))
                .then(a.answers.len().cmp(&b.answers.len()))
                .then(a.answers.cmp(&b.answers))
        });
        causes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(bits: &[usize]) -> Arc<FixedBitSet> {
        let mut set = FixedBitSet::with_capacity(8);
        bits.iter().for_each(|&b| set.insert(b));
        Arc::new(set)
    }

    fn step(label: &str, bits: &[usize]) -> Step {
        Step {
            label: label.into(),
            relaxable: label.starts_with("budget"),
            bits: Some(set(bits)),
        }
    }

    #[test]
    fn loosened_answers_say_on_how_many_paths() {
        let path = |relaxed: &[&str]| PathOutcome {
            answers: vec![],
            result: "picks".into(),
            products: 0,
            shown: 3,
            relaxed: relaxed.iter().map(|r| r.to_string()).collect(),
            cause: vec![],
            cause_products: 0,
        };
        let cause = Cause {
            error: false,
            answers: vec!["kind: A watch".into(), "budget: Under $10".into()],
            products: 0,
            paths: vec![path(&["rated 4.5+", "under $10"]), path(&["under $10"])],
        };
        assert_eq!(cause.relaxed(), ["rated 4.5+", "under $10"]);
        assert_eq!(cause.loosened(), "rated 4.5+ on 1 of 2 paths, under $10");
        let nothing = Cause {
            paths: vec![path(&[])],
            ..cause
        };
        assert_eq!(nothing.loosened(), "");
    }

    #[test]
    fn the_smallest_cause_drops_answers_that_do_not_matter() {
        let mut base = FixedBitSet::with_capacity(8);
        base.insert_range(..);
        // maker leaves 0-5, heating 0-3 (together 0-3), capacity 4-7 (with heating: nothing), colour everything.
        let steps = [
            step("maker: A", &[0, 1, 2, 3, 4, 5]),
            step("heating: IH", &[0, 1, 2, 3]),
            step("capacity: 5.5", &[4, 5, 6, 7]),
            step("colour: any", &[0, 1, 2, 3, 4, 5, 6, 7]),
        ];
        // Nothing: heating and capacity alone; the maker does not matter.
        assert_eq!(
            smallest(&base, &steps, |_| true, 1),
            (
                vec!["heating: IH".to_string(), "capacity: 5.5".to_string()],
                0
            )
        );
        // Fewer than 5: heating alone.
        assert_eq!(
            smallest(&base, &steps, |_| true, 5),
            (vec!["heating: IH".to_string()], 4)
        );
        // Fewer than 9: the scope alone already is.
        assert_eq!(smallest(&base, &steps, |_| true, 9), (vec![], 8));
        // Only answers that may not be loosened count towards an error's cause.
        let steps = [
            step("budget: under 10", &[0]),
            step("maker: A", &[1, 2]),
            step("kind: X", &[0, 3]),
        ];
        assert_eq!(
            smallest(&base, &steps, |s| !s.relaxable, 1),
            (vec!["maker: A".to_string(), "kind: X".to_string()], 0)
        );
    }
}
