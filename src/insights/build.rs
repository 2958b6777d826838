//! Building a report: the buckets of one finder summed over the range per finder version (the whole days from the
//! kept sums of `sums.rs`, the edge hours from the hourly buckets), its funnel rows, the comparison of each later
//! version with the first, the series per hour or day; then the other tables from the chosen versions' sum
//! (`tables.rs`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::bucket::Bucket;
use super::report::{Comparison, FunnelRow, Range, Report, SeriesRow, difference, rate};
use super::sums::{self, DaySums};
use super::tables::tables;
use super::{Grain, Key};

/// The counters of one finder version over the range (whole days from the daily buckets, the edges from the hourly
/// ones), and whether any of its buckets there holds anything at all.
fn counts(
    buckets: &BTreeMap<Key, Bucket>,
    finder: &str,
    version: &str,
    range: &Range,
) -> (Bucket, bool) {
    let (mut total, mut any) = (Bucket::default(), false);
    let empty = Bucket::default();
    for (grain, from, to) in range.pieces() {
        for bucket in sums::in_range(buckets, finder, version, grain, from, to) {
            total.merge_counts(bucket);
            any = any || *bucket != empty;
        }
    }
    (total, any)
}

/// The buckets of the finder versions `versions` summed over the range, tables and all: their whole days from the
/// kept sum (`sums.rs`), borrowed when the range has no edge hours; the hours at its edges from the hourly buckets.
fn sum<'s>(
    buckets: &BTreeMap<Key, Bucket>,
    sums: &'s mut DaySums,
    finder: &str,
    versions: &[String],
    range: &Range,
) -> Cow<'s, Bucket> {
    let pieces = range.pieces();
    let hours: Vec<(u64, u64)> = pieces
        .iter()
        .filter(|(grain, from, to)| *grain == Grain::Hour && from < to)
        .map(|(_, from, to)| (*from, *to))
        .collect();
    let mut total = match pieces.iter().find(|(grain, _, _)| *grain == Grain::Day) {
        Some((_, from, to)) if !versions.is_empty() => {
            Cow::Borrowed(sums.days(buckets, finder, versions, *from, *to))
        }
        _ => Cow::Owned(Bucket::default()),
    };
    for (from, to) in hours {
        for version in versions {
            sums::add(
                total.to_mut(),
                buckets,
                finder,
                version,
                Grain::Hour,
                from,
                to,
            );
        }
    }
    total
}

/// The versions of `finder` with any bucket, in order: one look-up per version, not a walk over every bucket.
fn versions(buckets: &BTreeMap<Key, Bucket>, finder: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    loop {
        let after = match found.last() {
            // Past every bucket of the last version found: its daily ones come after its hourly ones.
            Some(last) => std::ops::Bound::Excluded(Key {
                finder: finder.to_string(),
                version: last.clone(),
                grain: Grain::Day,
                start: u64::MAX,
            }),
            None => std::ops::Bound::Included(Key {
                finder: finder.to_string(),
                version: String::new(),
                grain: Grain::Hour,
                start: 0,
            }),
        };
        match buckets.range((after, std::ops::Bound::Unbounded)).next() {
            Some((key, _)) if key.finder == finder => found.push(key.version.clone()),
            _ => return found,
        }
    }
}

fn funnel_row(version: &str, b: &Bucket) -> FunnelRow {
    FunnelRow {
        version: version.to_string(),
        starts: b.starts,
        restarts: b.restarts,
        completed: b.completed,
        completion_rate: rate(b.completed, b.starts),
        results_shown: b.shown,
        zero_results: b.zero,
        zero_rate: rate(b.zero, b.shown),
        relaxed_results: b.relaxed,
        relaxed_rate: rate(b.relaxed, b.shown),
        clicked: b.sessions_clicked,
        click_through: rate(b.sessions_clicked, b.completed),
        carted: b.sessions_carted,
        cart_rate: rate(b.sessions_carted, b.completed),
        purchased: b.sessions_purchased,
        purchase_rate: rate(b.sessions_purchased, b.completed),
        clicks: b.clicks,
        cart_adds: b.carts,
        units_bought: b.purchases,
    }
}

pub(super) fn report(
    buckets: &BTreeMap<Key, Bucket>,
    sums: &mut DaySums,
    finder: &str,
    range: &Range,
    version: Option<&str>,
    order: &[String],
) -> Report {
    let versions = versions(buckets, finder);
    let mut funnel = Vec::new();
    // (first bucket start in the range, version, its totals), for the comparisons.
    let mut seen: Vec<(u64, String, Bucket)> = Vec::new();
    let mut all = Bucket::default();
    let mut chosen_versions = Vec::new();
    for v in &versions {
        let (total, any) = counts(buckets, finder, v, range);
        if !any {
            continue;
        }
        funnel.push(funnel_row(v, &total));
        // The "all versions" row and the comparisons need only the counters, not the tables.
        all.merge_counts(&total);
        let first = buckets
            .range(
                Key {
                    finder: finder.to_string(),
                    version: v.clone(),
                    grain: Grain::Hour,
                    start: Grain::Hour.start(range.from),
                }..,
            )
            .next()
            .map_or(u64::MAX, |(k, _)| k.start);
        seen.push((first, v.clone(), total));
        if version.is_none_or(|want| want == v) {
            chosen_versions.push(v.clone());
        }
    }
    // The tables come from the chosen versions' sum: buckets with their maps, the costly part of a report.
    let chosen = sum(buckets, sums, finder, &chosen_versions, range);
    funnel.push(funnel_row("*", &all));
    seen.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let comparisons = match seen.split_first() {
        Some(((_, baseline, base), rest)) => rest
            .iter()
            .map(|(_, version, b)| Comparison {
                version: version.clone(),
                baseline: baseline.clone(),
                completion: difference(b.completed, b.starts, base.completed, base.starts),
                click_through: difference(
                    b.sessions_clicked,
                    b.completed,
                    base.sessions_clicked,
                    base.completed,
                ),
            })
            .collect(),
        None => Vec::new(),
    };
    let step = range.step();
    let mut series: BTreeMap<u64, SeriesRow> = BTreeMap::new();
    let from = step.start(range.from);
    for v in &chosen_versions {
        let key = |start| Key {
            finder: finder.to_string(),
            version: v.clone(),
            grain: step,
            start,
        };
        for (key, b) in buckets.range(key(from)..key(range.to)) {
            let row = series.entry(key.start).or_insert(SeriesRow {
                start: key.start,
                starts: 0,
                completed: 0,
                results_shown: 0,
                clicks: 0,
            });
            row.starts += b.starts;
            row.completed += b.completed;
            row.results_shown += b.shown;
            row.clicks += b.clicks;
        }
    }
    // Every step of the range, so a quiet hour or day shows as zero rather than missing.
    let mut start = from;
    while start < range.to && series.len() < 10_000 {
        series.entry(start).or_insert(SeriesRow {
            start,
            ..SeriesRow::default()
        });
        start += step.seconds();
    }
    let mut report = tables(
        finder,
        range,
        version,
        funnel,
        step,
        series.into_values().collect(),
        &chosen,
        order,
    );
    report.comparisons = comparisons;
    report
}
