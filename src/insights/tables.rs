//! The rows of a report's tables below the funnel, from the summed bucket of the chosen versions: questions in the
//! finder's order, answers by how often given, not-understood texts, answer paths with the most empty results first,
//! products, and which answers led to which products; each long table cut to [`MAX_ROWS`].

use super::Grain;
use super::bucket::Bucket;
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
