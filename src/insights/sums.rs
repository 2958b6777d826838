//! Sums of whole days, kept between reports. A report's tables come from the daily buckets of the chosen finder
//! versions for the whole days of its range, summed; a day that is over hardly changes again (only a shop event sent
//! late with its own earlier time, or a bucket restored at start), so the sum of the same days is kept and read
//! again until one of them changes. Summing a month of buckets merges tens of thousands of map
//! entries; reading the kept sum merges none.
//!
//! [`DaySums::changed`] is told of every change to a daily bucket and drops each kept sum that covers that day; so
//! a kept sum is always exactly the sum of its days' buckets, and a report reads the same numbers as if it had
//! summed them afresh (the tests in `insights::tests` hold it to that). Today's bucket changes with every turn, so
//! a range whose whole days include today is summed each time; the usual ranges (`7d`, `30d`) end within today,
//! whose hours come from the hourly buckets, and are kept.
//!
//! At most [`MAX_KEPT`] sums are kept (the least recently read is dropped first): a dashboard reads a few ranges
//! of a few finders, and a kept month of a busy finder holds a few thousand table rows.

use std::collections::BTreeMap;

use super::bucket::Bucket;
use super::{Grain, Key};

/// Sums kept at most.
pub const MAX_KEPT: usize = 16;

/// The kept sums of whole days.
#[derive(Debug, Default)]
pub(super) struct DaySums {
    kept: Vec<Kept>,
    /// Counts reads, to know which sum was read least recently.
    reads: u64,
}

#[derive(Debug)]
struct Kept {
    finder: String,
    /// The finder versions summed, in order.
    versions: Vec<String>,
    /// The days `[from, to)`, day starts in seconds.
    from: u64,
    to: u64,
    total: Bucket,
    last_read: u64,
}

impl DaySums {
    /// The daily bucket of `day` (its start) of a finder version changed: forgets every sum that covers it.
    pub(super) fn changed(&mut self, finder: &str, version: &str, day: u64) {
        // Compares the numbers first: the day changing is nearly always today, which no kept sum covers.
        self.kept.retain(|k| {
            !(k.from <= day
                && day < k.to
                && k.finder == finder
                && k.versions.iter().any(|v| v == version))
        });
    }

    /// The sum of the daily buckets of the finder versions `versions` for the days `[from, to)`: the kept one, or
    /// summed now and kept.
    pub(super) fn days(
        &mut self,
        buckets: &BTreeMap<Key, Bucket>,
        finder: &str,
        versions: &[String],
        from: u64,
        to: u64,
    ) -> &Bucket {
        self.reads += 1;
        let found = self.kept.iter().position(|k| {
            k.from == from && k.to == to && k.finder == finder && k.versions == versions
        });
        let at = match found {
            Some(at) => at,
            None => {
                let mut total = Bucket::default();
                for version in versions {
                    add(&mut total, buckets, finder, version, Grain::Day, from, to);
                }
                if self.kept.len() >= MAX_KEPT
                    && let Some(oldest) =
                        (0..self.kept.len()).min_by_key(|&i| self.kept[i].last_read)
                {
                    self.kept.swap_remove(oldest);
                }
                self.kept.push(Kept {
                    finder: finder.to_string(),
                    versions: versions.to_vec(),
                    from,
                    to,
                    total,
                    last_read: 0,
                });
                self.kept.len() - 1
            }
        };
        let kept = &mut self.kept[at];
        kept.last_read = self.reads;
        &kept.total
    }
}

/// Adds the buckets of `grain` of one finder version starting in `[from, to)` into `total`.
pub(super) fn add(
    total: &mut Bucket,
    buckets: &BTreeMap<Key, Bucket>,
    finder: &str,
    version: &str,
    grain: Grain,
    from: u64,
    to: u64,
) {
    for bucket in in_range(buckets, finder, version, grain, from, to) {
        total.merge(bucket);
    }
}

/// The buckets of `grain` of one finder version starting in `[from, to)`.
pub(super) fn in_range<'b>(
    buckets: &'b BTreeMap<Key, Bucket>,
    finder: &str,
    version: &str,
    grain: Grain,
    from: u64,
    to: u64,
) -> impl Iterator<Item = &'b Bucket> {
    let key = |start| Key {
        finder: finder.to_string(),
        version: version.to_string(),
        grain,
        start,
    };
    buckets.range(key(from)..key(to)).map(|(_, b)| b)
}
