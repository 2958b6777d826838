//! Merchandiser insights: funnels and answer analytics per finder and finder version, kept current as turns and
//! shop events arrive. Pure like the engine: no IO, not async; the server feeds it and persists its buckets
//! through the store.
//!
//! - [`Insights::turn`] takes what one engine step recorded ([`Turn`]), [`Insights::shown`] a result shown
//!   ([`Shown`]), [`Insights::shop`] a stored shop event (clicks, cart adds and purchases of picks).
//! - Every figure is added to an hourly and a daily bucket (UTC) of its finder version ([`bucket::Bucket`]);
//!   [`Insights::report`] sums the buckets of a date range (whole days from the daily buckets, the edges from
//!   the hourly ones) into the tables of [`report::Report`].
//! - Aggregates hold no personal data: counts, answer values of the finder's own options, product ids, and the
//!   not-understood texts (shortened, and dropped when they look like an address or a phone number).
//!
//! To count each conversation once (reached, moved on, completed) and to time questions, the last
//! [`MAX_LIVE`] conversations are remembered in memory (not stored); to credit a click or a purchase to the
//! picks it followed, each shopper's latest picks are remembered for [`ATTRIBUTION_SECS`] (rebuilt from the
//! store's picks at start). Keeping current is a few map updates per turn under one lock.

pub mod bucket;
mod build;
mod compare;
mod feed;
mod live;
mod range;
pub mod report;
pub mod sketch;
mod sums;
mod tables;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::conversation::{Answer, Answered, Event};
use crate::shop_events::{Kind as ShopKind, ShopEvent};
pub use bucket::Bucket;
use bucket::{MAX_ANSWERS, MAX_PATHS, MAX_PRODUCTS, MAX_TEXTS, capped};
use live::{Attribution, Conversation};
pub use report::{Range, Report};

/// Conversations remembered to count them once and time their questions.
pub const MAX_LIVE: usize = 100_000;
/// A click, cart add or purchase counts for picks shown at most this long before (7 days).
pub const ATTRIBUTION_SECS: u64 = 7 * 24 * 3600;
/// Not-understood texts are kept to this many characters.
pub const MAX_TEXT_CHARS: usize = 60;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// Which buckets: an hour or a day (UTC).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    #[default]
    Hour,
    Day,
}

impl Grain {
    pub fn seconds(self) -> u64 {
        match self {
            Grain::Hour => HOUR,
            Grain::Day => DAY,
        }
    }

    pub fn start(self, at: u64) -> u64 {
        at - at % self.seconds()
    }
}

/// Where a bucket belongs: finder, finder version, grain and start (seconds since the epoch).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    pub finder: String,
    pub version: String,
    pub grain: Grain,
    pub start: u64,
}

/// What one engine step of one conversation recorded.
#[derive(Clone, Copy, Debug)]
pub struct Turn<'a> {
    pub session: &'a str,
    pub finder: &'a str,
    pub version: &'a str,
    /// Milliseconds since the epoch.
    pub at_ms: u64,
    /// The events the engine recorded, in order.
    pub events: &'a [Event],
    /// The session's answers after the step.
    pub answers: &'a [Answered],
    /// The question asked now, if any.
    pub asking: Option<&'a str>,
    /// What the shopper typed this turn, if they typed.
    pub typed: Option<&'a str>,
    /// The finder version the conversation is on: the scales of its range questions (see [`answer_key`]).
    pub flow: Option<&'a crate::flow::Flow>,
}

/// A result shown to a shopper.
#[derive(Clone, Copy, Debug)]
pub struct Shown<'a> {
    pub session: &'a str,
    /// Whose picks these are (the visitor, else the session): shop events name it.
    pub owner: &'a str,
    pub finder: &'a str,
    pub version: &'a str,
    pub at_ms: u64,
    pub answers: &'a [Answered],
    /// The picks, in order.
    pub products: &'a [String],
    /// Questions whose answers were loosened.
    pub relaxed: &'a [String],
    /// The finder version that showed them: the scales of its range questions (see [`answer_key`]).
    pub flow: Option<&'a crate::flow::Flow>,
}

/// The aggregates, and what keeping them current needs.
#[derive(Debug, Default)]
pub struct Insights {
    buckets: BTreeMap<Key, Bucket>,
    /// Buckets changed since [`Insights::take_changed`] was last called.
    changed: BTreeSet<Key>,
    live: live::Recent<Conversation>,
    picks: live::Recent<Attribution>,
    /// Sums of whole days that reports read again until one of their days changes.
    sums: sums::DaySums,
    /// The key [`Insights::bucket`] looks buckets up with (its text reused from turn to turn).
    scratch: Key,
}

/// The question ids of a finder in its order (info messages left out), for the order of the question rows.
pub fn question_order(flow: &crate::flow::Flow) -> Vec<String> {
    flow.nodes
        .iter()
        .filter_map(|node| match node {
            crate::flow::Node::Question(q) if q.kind != crate::flow::Kind::Info => {
                Some(q.id.clone())
            }
            _ => None,
        })
        .collect()
}

/// How an answer reads in the tables: the option's value, values joined with `+`, a range `min–max`. A range's
/// bound beyond its question's scale (`scale`, the question's `range` in `flow`) reads as the scale's end, or open:
/// "up to 100000" on a 40–250 scale reads `–` like "any budget", so a number typed by mistake (a phone number read
/// as an amount) never reaches the figures, and one over-the-top answer does not get a row of its own.
pub fn answer_key(answer: &Answer, scale: Option<&crate::flow::Range>) -> String {
    match answer {
        Answer::Choice { value } => value.clone(),
        Answer::Choices { values } => {
            let mut values = values.clone();
            values.sort();
            values.join("+")
        }
        Answer::Range { min, max } => {
            let (min, max) = match scale {
                Some(s) => (
                    min.filter(|v| *v >= s.min).map(|v| v.min(s.max)),
                    max.filter(|v| *v <= s.max).map(|v| v.max(s.min)),
                ),
                None => (*min, *max),
            };
            let bound = |v: Option<f64>| v.map(crate::catalog::format_number).unwrap_or_default();
            format!("{}–{}", bound(min), bound(max))
        }
        Answer::Text { .. } => "(typed text)".to_string(),
        Answer::Skipped => "(skipped)".to_string(),
    }
}

/// A not-understood text as kept: normalised, shortened, and `None` when it may be personal: an email address,
/// or ten or more digits in a row (separators `-`, `.`, `(`, `)`, `+` and spaces between them), such as a phone
/// number. Control characters (a terminal's escape sequences) and the bidirectional overrides that make text read
/// backwards are replaced by `�`: the text reaches the dashboard, the CSV and `shopkeep insights` in a terminal.
pub fn keepable_text(text: &str) -> Option<String> {
    let text = crate::text::normalize(text.trim());
    let text = crate::text::printable(&text);
    let mut digits = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 10 {
                return None;
            }
        } else if !matches!(c, '-' | '.' | '(' | ')' | '+' | ' ') {
            digits = 0;
        }
    }
    if text.is_empty() || text.contains('@') {
        return None;
    }
    Some(text.chars().take(MAX_TEXT_CHARS).collect())
}

impl Insights {
    /// Forgets a shopper's latest picks (the shopper was erased).
    pub fn forget(&mut self, owner: &str) {
        self.picks.take(owner);
    }

    /// The buckets changed since the last call, to be stored.
    pub fn take_changed(&mut self) -> Vec<(Key, Bucket)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .filter_map(|key| self.buckets.get(&key).cloned().map(|b| (key, b)))
            .collect()
    }

    /// Puts back a stored bucket (at start).
    pub fn restore(&mut self, key: Key, bucket: Bucket) {
        if key.grain == Grain::Day {
            self.sums.changed(&key.finder, &key.version, key.start);
        }
        self.buckets.insert(key, bucket);
    }

    /// The finders with any figures, and their versions.
    pub fn finders(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for key in self.buckets.keys() {
            out.entry(key.finder.clone())
                .or_default()
                .insert(key.version.clone());
        }
        out
    }

    /// The tables of `finder` over `range`; `questions` orders the question rows (the finder's order). Keeps the
    /// sum of the range's whole days for the next report (`sums.rs`), hence `&mut`.
    pub fn report(
        &mut self,
        finder: &str,
        range: &Range,
        version: Option<&str>,
        questions: &[String],
    ) -> Report {
        build::report(
            &self.buckets,
            &mut self.sums,
            finder,
            range,
            version,
            questions,
        )
    }
}

#[cfg(test)]
mod tests;
