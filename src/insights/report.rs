//! The tables of one finder over a date range: summed from the daily buckets for whole days and the hourly
//! ones for the edges. A [`Report`] is what the admin API answers (JSON, each table also as CSV), what the
//! dashboard draws and what `shopkeep insights` prints. docs/insights.md explains every column.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::bucket::Bucket;
pub use super::compare::{ArmRow, ArmSpec, Comparison, Difference, arm_flow, difference};
pub use super::range::{Range, date_label, parse_span};
use super::sums::{self, DaySums};
use super::{Grain, Key};

/// The report's format version.
pub const VERSION: u32 = 1;
/// Longest tables: the rows with the most results shown (or given, or clicked) come first.
pub const MAX_ROWS: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub v: u32,
    pub finder: String,
    pub range: Range,
    /// The finder version the tables below the funnel are for; `None`: every version together.
    pub version: Option<String>,
    /// One row per finder version, then `*` for all of them.
    pub funnel: Vec<FunnelRow>,
    /// Each later version against the version first seen in the range: differences in completion and
    /// click-through with 95 % confidence intervals (Newcombe's hybrid score method).
    pub comparisons: Vec<Comparison>,
    /// The finder's experiment, when it runs one: the control's and the variant's figures and their difference.
    #[serde(default)]
    pub arms: Vec<ArmRow>,
    pub step: Grain,
    pub series: Vec<SeriesRow>,
    pub questions: Vec<QuestionRow>,
    pub answers: Vec<AnswerRow>,
    pub paths: Vec<PathRow>,
    pub not_understood: Vec<TextRow>,
    pub products: Vec<ProductRow>,
    pub answer_products: Vec<PairRow>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FunnelRow {
    pub version: String,
    pub starts: u64,
    pub restarts: u64,
    pub completed: u64,
    pub completion_rate: Option<f64>,
    pub results_shown: u64,
    pub zero_results: u64,
    pub zero_rate: Option<f64>,
    pub relaxed_results: u64,
    pub relaxed_rate: Option<f64>,
    pub clicked: u64,
    pub click_through: Option<f64>,
    pub carted: u64,
    pub cart_rate: Option<f64>,
    pub purchased: u64,
    pub purchase_rate: Option<f64>,
    pub clicks: u64,
    pub cart_adds: u64,
    pub units_bought: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesRow {
    pub start: u64,
    pub starts: u64,
    pub completed: u64,
    pub results_shown: u64,
    pub clicks: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionRow {
    pub question: String,
    pub reached: u64,
    pub answered: u64,
    pub dropped: u64,
    pub drop_rate: Option<f64>,
    pub skipped: u64,
    pub went_back: u64,
    pub not_understood: u64,
    pub median_seconds: Option<f64>,
    pub timed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerRow {
    pub question: String,
    pub answer: String,
    pub given: u64,
    pub share: Option<f64>,
    pub results_shown: u64,
    pub zero_results: u64,
    pub zero_rate: Option<f64>,
    pub relaxed_results: u64,
    pub relaxed_rate: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PathRow {
    pub path: String,
    pub results_shown: u64,
    pub zero_results: u64,
    pub zero_rate: Option<f64>,
    pub relaxed_results: u64,
    pub relaxed_rate: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TextRow {
    pub question: String,
    pub text: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductRow {
    pub product: String,
    pub shown: u64,
    pub clicked: u64,
    pub click_through: Option<f64>,
    pub carted: u64,
    pub purchased: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PairRow {
    pub question: String,
    pub answer: String,
    pub product: String,
    pub shown: u64,
}

/// `part / whole`, to four places; `None` when nothing was counted.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

/// The buckets of one finder version summed over the range: its whole days from the kept sums (`sums.rs`), the
/// hours at its edges from the hourly buckets.
fn sum(
    buckets: &BTreeMap<Key, Bucket>,
    sums: &mut DaySums,
    finder: &str,
    version: &str,
    range: &Range,
) -> Bucket {
    let pieces = range.pieces();
    // The whole days first: copying their kept sum is cheaper than adding it into an empty bucket.
    let mut total = pieces
        .iter()
        .find(|(grain, _, _)| *grain == Grain::Day)
        .map(|(_, from, to)| sums.days(buckets, finder, version, *from, *to).clone())
        .unwrap_or_default();
    for (grain, from, to) in pieces {
        if grain == Grain::Hour && from < to {
            total.merge(&sums::sum(buckets, finder, version, grain, from, to));
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

pub(super) fn build(
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
    let mut chosen = Bucket::default();
    let mut chosen_versions = Vec::new();
    for v in &versions {
        let total = sum(buckets, sums, finder, v, range);
        if total == Bucket::default() {
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
        seen.push((first, v.clone(), total.counts()));
        if version.is_none_or(|want| want == v) {
            if chosen_versions.is_empty() {
                chosen = total;
            } else {
                chosen.merge(&total);
            }
            chosen_versions.push(v.clone());
        }
    }
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

#[allow(clippy::too_many_arguments)]
fn tables(
    finder: &str,
    range: &Range,
    version: Option<&str>,
    funnel: Vec<FunnelRow>,
    step: Grain,
    series: Vec<SeriesRow>,
    b: &Bucket,
    order: &[String],
) -> Report {
    // The finder's order first, then questions it no longer has.
    let mut ids: Vec<&String> = order
        .iter()
        .filter(|q| b.questions.contains_key(*q))
        .collect();
    ids.extend(b.questions.keys().filter(|q| !order.contains(q)));
    let mut questions = Vec::new();
    let mut answers = Vec::new();
    let mut not_understood = Vec::new();
    for id in ids {
        let q = &b.questions[id];
        let dropped = q.reached.saturating_sub(q.answered);
        questions.push(QuestionRow {
            question: id.clone(),
            reached: q.reached,
            answered: q.answered,
            dropped,
            drop_rate: rate(dropped, q.reached),
            skipped: q.skipped,
            went_back: q.went_back,
            not_understood: q.not_understood,
            median_seconds: q.time.median().map(|s| (s * 10.0).round() / 10.0),
            timed: q.time.len(),
        });
        let given_total: u64 = q.answers.values().map(|a| a.given).sum();
        let mut rows: Vec<AnswerRow> = q
            .answers
            .iter()
            .map(|(answer, a)| AnswerRow {
                question: id.clone(),
                answer: answer.clone(),
                given: a.given,
                share: rate(a.given, given_total),
                results_shown: a.outcomes.shown,
                zero_results: a.outcomes.zero,
                zero_rate: rate(a.outcomes.zero, a.outcomes.shown),
                relaxed_results: a.outcomes.relaxed,
                relaxed_rate: rate(a.outcomes.relaxed, a.outcomes.shown),
            })
            .collect();
        rows.sort_by(|x, y| y.given.cmp(&x.given).then_with(|| x.answer.cmp(&y.answer)));
        answers.extend(rows);
        let mut texts: Vec<TextRow> = q
            .texts
            .iter()
            .map(|(text, n)| TextRow {
                question: id.clone(),
                text: text.clone(),
                count: *n,
            })
            .collect();
        texts.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.text.cmp(&y.text)));
        not_understood.extend(texts);
    }
    not_understood.truncate(MAX_ROWS);
    let mut paths: Vec<PathRow> = b
        .paths
        .iter()
        .map(|(path, o)| PathRow {
            path: path.clone(),
            results_shown: o.shown,
            zero_results: o.zero,
            zero_rate: rate(o.zero, o.shown),
            relaxed_results: o.relaxed,
            relaxed_rate: rate(o.relaxed, o.shown),
        })
        .collect();
    paths.sort_by(|x, y| {
        (y.zero_results, y.results_shown)
            .cmp(&(x.zero_results, x.results_shown))
            .then_with(|| x.path.cmp(&y.path))
    });
    paths.truncate(MAX_ROWS);
    let mut products: Vec<ProductRow> = b
        .products
        .iter()
        .map(|(product, p)| ProductRow {
            product: product.clone(),
            shown: p.shown,
            clicked: p.clicked,
            click_through: rate(p.clicked, p.shown),
            carted: p.carted,
            purchased: p.purchased,
        })
        .collect();
    products.sort_by(|x, y| {
        (y.shown, y.clicked)
            .cmp(&(x.shown, x.clicked))
            .then_with(|| x.product.cmp(&y.product))
    });
    products.truncate(MAX_ROWS);
    let mut answer_products: Vec<PairRow> = Vec::new();
    for (answer, by_product) in &b.pairs {
        let (question, answer) = answer.split_once('=').unwrap_or((answer.as_str(), ""));
        for (product, n) in by_product {
            answer_products.push(PairRow {
                question: question.to_string(),
                answer: answer.to_string(),
                product: product.clone(),
                shown: *n,
            });
        }
    }
    answer_products.sort_by(|x, y| {
        y.shown.cmp(&x.shown).then_with(|| {
            (&x.question, &x.answer, &x.product).cmp(&(&y.question, &y.answer, &y.product))
        })
    });
    answer_products.truncate(2 * MAX_ROWS);
    Report {
        v: VERSION,
        finder: finder.to_string(),
        range: *range,
        version: version.map(str::to_string),
        funnel,
        comparisons: Vec::new(),
        arms: Vec::new(),
        step,
        series,
        questions,
        answers,
        paths,
        not_understood,
        products,
        answer_products,
    }
}

/// The report's tables by name, for CSV export and the terminal.
pub const TABLES: [&str; 9] = [
    "funnel",
    "arms",
    "series",
    "questions",
    "answers",
    "paths",
    "not_understood",
    "products",
    "answer_products",
];

impl Report {
    /// One table as CSV (a header row, then the rows); `None` for an unknown table name.
    pub fn csv(&self, table: &str) -> Option<String> {
        fn write<T: Serialize + Default>(rows: &[T]) -> String {
            let mut out = csv::Writer::from_writer(Vec::new());
            // Rows are flat structs of strings and numbers: serialising them cannot fail.
            if rows.is_empty() {
                // The header alone, so an empty table still says what it would hold.
                let _ = out.serialize(T::default());
                let text =
                    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default();
                return text
                    .lines()
                    .next()
                    .map(|h| format!("{h}\n"))
                    .unwrap_or_default();
            }
            for row in rows {
                let _ = out.serialize(row);
            }
            String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        Some(match table {
            "funnel" => write(&self.funnel),
            "arms" => write(&self.arms),
            "series" => write(&self.series),
            "questions" => write(&self.questions),
            "answers" => write(&self.answers),
            "paths" => write(&self.paths),
            "not_understood" => write(&self.not_understood),
            "products" => write(&self.products),
            "answer_products" => write(&self.answer_products),
            _ => return None,
        })
    }
}
