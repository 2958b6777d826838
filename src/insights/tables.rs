//! The rows of a report's tables below the funnel, from the summed bucket of the chosen versions: questions in the
//! finder's order, answers by how often given, not-understood texts, answer paths with the most empty results first,
//! products, and which answers led to which products; each long table cut to [`MAX_ROWS`].

use super::Grain;
use std::cmp::Reverse;

use super::bucket::{Bucket, Outcomes, ProductStats};
use super::report::{
    AnswerRow, FunnelRow, MAX_ROWS, PairRow, PathRow, ProductRow, QuestionRow, Range, Report,
    SeriesRow, TextRow, VERSION, rate,
};

#[allow(clippy::too_many_arguments)]
pub(super) fn tables(
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
    // Each long table: the top rows chosen over borrowed keys, and only those copied into rows.
    let mut paths: Vec<(&String, &Outcomes)> = b.paths.iter().collect();
    top(&mut paths, MAX_ROWS, |(path, o)| {
        (Reverse((o.zero, o.shown)), path.as_str())
    });
    let paths: Vec<PathRow> = paths
        .into_iter()
        .map(|(path, o)| PathRow {
            path: path.clone(),
            results_shown: o.shown,
            zero_results: o.zero,
            zero_rate: rate(o.zero, o.shown),
            relaxed_results: o.relaxed,
            relaxed_rate: rate(o.relaxed, o.shown),
        })
        .collect();
    let mut products: Vec<(&String, &ProductStats)> = b.products.iter().collect();
    top(&mut products, MAX_ROWS, |(product, p)| {
        (Reverse((p.shown, p.clicked)), product.as_str())
    });
    let products: Vec<ProductRow> = products
        .into_iter()
        .map(|(product, p)| ProductRow {
            product: product.clone(),
            shown: p.shown,
            clicked: p.clicked,
            click_through: rate(p.clicked, p.shown),
            carted: p.carted,
            purchased: p.purchased,
        })
        .collect();
    let mut pairs: Vec<(&str, &str, &str, u64)> = Vec::new();
    for (answer, by_product) in &b.pairs {
        let (question, answer) = answer.split_once('=').unwrap_or((answer.as_str(), ""));
        for (product, n) in by_product {
            pairs.push((question, answer, product, *n));
        }
    }
    top(
        &mut pairs,
        2 * MAX_ROWS,
        |(question, answer, product, n)| (Reverse(*n), (*question, *answer, *product)),
    );
    let answer_products: Vec<PairRow> = pairs
        .into_iter()
        .map(|(question, answer, product, shown)| PairRow {
            question: question.to_string(),
            answer: answer.to_string(),
            product: product.to_string(),
            shown,
        })
        .collect();
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

/// Keeps the `n` first of `rows` in the order of `key`, sorted: a partial selection first, so a table of thousands
/// of rows sorts only the ones it shows.
fn top<T, K: Ord>(rows: &mut Vec<T>, n: usize, key: impl Fn(&T) -> K) {
    if rows.len() > n {
        rows.select_nth_unstable_by_key(n, &key);
        rows.truncate(n);
    }
    rows.sort_by_key(key);
}

#[cfg(test)]
mod tests {
    use super::top;

    #[test]
    fn top_keeps_the_first_rows_in_order_as_a_full_sort_would() {
        // Counts with ties, broken by name, as the tables order them.
        let all: Vec<(String, u64)> = (0..500u64)
            .map(|i| (format!("p{:03}", (i * 7919) % 500), (i * 31) % 17))
            .collect();
        let key = |(name, n): &(String, u64)| (std::cmp::Reverse(*n), name.clone());
        let mut sorted = all.clone();
        sorted.sort_by_key(key);
        for n in [0, 1, 100, 499, 500, 600] {
            let mut rows = all.clone();
            top(&mut rows, n, key);
            assert_eq!(rows, sorted[..n.min(500)], "n = {n}");
        }
    }
}
