//! The dashboard's sections: each a heading, a chart and the table of its numbers.

use std::fmt::Write as _;

use super::chart::{self, BLUE, Bar, GREEN, GREY, RED, escape};
use super::words::Words;
use super::{one, percent, signed, table};
use crate::insights::Report;
use crate::insights::report::date_label;

/// Rows charted per section; the tables (and the CSV) hold the rest.
const CHARTED: usize = 12;

fn open(out: &mut String, id: &str, heading: &str, note: Option<&str>) {
    let _ = write!(out, r#"<section id="{id}"><h2>{}</h2>"#, escape(heading));
    if let Some(note) = note {
        let _ = write!(out, r#"<p class="note">{}</p>"#, escape(note));
    }
}

pub fn funnel(out: &mut String, w: &Words, report: &Report) {
    let f = report.funnel.last().cloned().unwrap_or_default();
    open(out, "funnel", w.funnel, None);
    let values = [f.starts, f.completed, f.clicked, f.carted, f.purchased];
    let bars: Vec<Bar> = w
        .steps
        .iter()
        .zip(values)
        .enumerate()
        .map(|(i, (step, n))| {
            let share = if i == 0 {
                String::new()
            } else {
                format!(" ({})", percent(crate::insights::report::rate(n, f.starts)))
            };
            one(
                step,
                n as f64,
                if i == 0 { BLUE } else { GREEN },
                format!("{n}{share}"),
            )
        })
        .collect();
    out.push_str(&chart::bars(w.funnel, &bars));
    let c = &w.columns;
    let rows: Vec<Vec<String>> = report
        .funnel
        .iter()
        .map(|f| {
            vec![
                if f.version == "*" {
                    w.every_version.to_string()
                } else {
                    f.version.clone()
                },
                f.starts.to_string(),
                percent(f.completion_rate),
                percent(f.click_through),
                percent(f.zero_rate),
            ]
        })
        .collect();
    out.push_str(&table(
        w.funnel,
        &[
            c.version,
            c.starts,
            c.completion,
            c.click_through,
            c.zero_rate,
        ],
        &rows,
    ));
    out.push_str("</section>");
    if report.comparisons.is_empty() {
        return;
    }
    open(out, "versions", w.versions, Some(w.versions_note));
    let mut bars = Vec::new();
    for f in report.funnel.iter().filter(|f| f.version != "*") {
        bars.push(one(
            &format!("{} · {}", f.version, c.completion),
            f.completion_rate.unwrap_or(0.0) * 100.0,
            GREEN,
            percent(f.completion_rate),
        ));
        bars.push(one(
            &format!("{} · {}", f.version, c.click_through),
            f.click_through.unwrap_or(0.0) * 100.0,
            BLUE,
            percent(f.click_through),
        ));
    }
    out.push_str(&chart::bars(w.versions, &bars));
    let rows: Vec<Vec<String>> = report
        .comparisons
        .iter()
        .flat_map(|cmp| {
            [
                (c.completion, cmp.completion),
                (c.click_through, cmp.click_through),
            ]
            .map(|(what, d)| {
                vec![
                    format!("{} − {}", cmp.version, cmp.baseline),
                    what.to_string(),
                    signed(d.difference),
                    format!("{} … {}", signed(d.low), signed(d.high)),
                ]
            })
        })
        .collect();
    out.push_str(&table(
        w.versions,
        &[c.version, c.figure, c.difference, c.interval],
        &rows,
    ));
    out.push_str("</section>");
}

/// The finder's experiment: each arm's figures, and the variant's difference from the control with its interval.
pub fn arms(out: &mut String, w: &Words, report: &Report) {
    if report.arms.is_empty() {
        return;
    }
    let c = &w.columns;
    open(out, "arms", w.arms, Some(w.arms_note));
    let name = |arm: &str| {
        if arm == "control" {
            w.arm_names[0]
        } else {
            w.arm_names[1]
        }
    };
    let mut bars = Vec::new();
    for a in &report.arms {
        bars.push(one(
            &format!("{} · {}", name(&a.arm), c.completion),
            a.completion_rate.unwrap_or(0.0) * 100.0,
            GREEN,
            percent(a.completion_rate),
        ));
        bars.push(one(
            &format!("{} · {}", name(&a.arm), c.click_through),
            a.click_through.unwrap_or(0.0) * 100.0,
            BLUE,
            percent(a.click_through),
        ));
    }
    out.push_str(&chart::bars(w.arms, &bars));
    let interval = |d: Option<f64>, low: Option<f64>, high: Option<f64>| match d {
        Some(_) => format!("{} ({} … {})", signed(d), signed(low), signed(high)),
        None => String::new(),
    };
    let rows: Vec<Vec<String>> = report
        .arms
        .iter()
        .map(|a| {
            vec![
                format!("{} ({}, {})", name(&a.arm), a.file, percent(Some(a.share))),
                a.starts.to_string(),
                percent(a.completion_rate),
                interval(a.completion_difference, a.completion_low, a.completion_high),
                percent(a.click_through),
                interval(
                    a.click_through_difference,
                    a.click_through_low,
                    a.click_through_high,
                ),
            ]
        })
        .collect();
    let completion_diff = format!("{} · {}", c.completion, c.difference);
    let click_diff = format!("{} · {}", c.click_through, c.difference);
    out.push_str(&table(
        w.arms,
        &[
            c.version,
            c.starts,
            c.completion,
            &completion_diff,
            c.click_through,
            &click_diff,
        ],
        &rows,
    ));
    out.push_str("</section>");
}

pub fn series(out: &mut String, w: &Words, report: &Report) {
    if report.series.is_empty() {
        return;
    }
    open(out, "series", w.over_time, Some(w.over_time_note));
    let points: Vec<(String, f64, f64)> = report
        .series
        .iter()
        .map(|r| {
            (
                date_label(r.start, report.step),
                r.starts as f64,
                r.completed as f64,
            )
        })
        .collect();
    out.push_str(&chart::columns(w.over_time, &points));
    out.push_str("</section>");
}

pub fn drop_off(out: &mut String, w: &Words, report: &Report) {
    if report.questions.is_empty() {
        return;
    }
    let c = &w.columns;
    open(out, "drop-off", w.drop_off, Some(w.drop_off_note));
    let bars: Vec<Bar> = report
        .questions
        .iter()
        .map(|q| Bar {
            label: q.question.clone(),
            segments: vec![(q.answered as f64, GREEN), (q.dropped as f64, RED)],
            note: format!("{} / {} ({})", q.dropped, q.reached, percent(q.drop_rate)),
        })
        .collect();
    out.push_str(&chart::bars(w.drop_off, &bars));
    let rows: Vec<Vec<String>> = report
        .questions
        .iter()
        .map(|q| {
            vec![
                q.question.clone(),
                q.reached.to_string(),
                q.answered.to_string(),
                q.dropped.to_string(),
                percent(q.drop_rate),
                q.median_seconds
                    .map_or_else(|| "–".into(), |s| format!("{s:.1} s")),
                q.skipped.to_string(),
                q.went_back.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        w.drop_off,
        &[
            c.question, c.reached, c.answered, c.dropped, "%", c.median, c.skipped, c.back,
        ],
        &rows,
    ));
    out.push_str("</section>");
}

pub fn zero(out: &mut String, w: &Words, report: &Report) {
    let c = &w.columns;
    open(out, "zero", w.zero, None);
    let answers: Vec<Vec<String>> = report
        .answers
        .iter()
        .filter(|a| a.zero_results > 0)
        .map(|a| {
            vec![
                format!("{} = {}", a.question, a.answer),
                a.results_shown.to_string(),
                a.zero_results.to_string(),
                percent(a.zero_rate),
            ]
        })
        .collect();
    if answers.is_empty() {
        let _ = write!(out, "<p>{}</p></section>", escape(w.zero_none));
        return;
    }
    out.push_str(r#"<div class="warn">"#);
    out.push_str(&table(w.zero, &[c.answer, c.shown, c.empty, "%"], &answers));
    out.push_str("</div>");
    let paths: Vec<Vec<String>> = report
        .paths
        .iter()
        .filter(|p| p.zero_results > 0)
        .map(|p| {
            vec![
                p.path.clone(),
                p.results_shown.to_string(),
                p.zero_results.to_string(),
                percent(p.zero_rate),
            ]
        })
        .collect();
    out.push_str(&table(c.path, &[c.path, c.shown, c.empty, "%"], &paths));
    out.push_str("</section>");
}

pub fn answers(out: &mut String, w: &Words, report: &Report) {
    if report.answers.is_empty() {
        return;
    }
    let c = &w.columns;
    open(out, "answers", w.answers, None);
    for q in &report.questions {
        let rows: Vec<_> = report
            .answers
            .iter()
            .filter(|a| a.question == q.question)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let bars: Vec<Bar> = rows
            .iter()
            .take(CHARTED)
            .map(|a| {
                let colour = if a.zero_results > 0 {
                    RED
                } else if a.relaxed_results > 0 {
                    GREY
                } else {
                    BLUE
                };
                one(
                    &a.answer,
                    a.given as f64,
                    colour,
                    format!("{} ({})", a.given, percent(a.share)),
                )
            })
            .collect();
        let _ = write!(out, "<h3>{}</h3>", escape(&q.question));
        out.push_str(&chart::bars(
            &format!("{} — {}", w.answers, q.question),
            &bars,
        ));
        let table_rows: Vec<Vec<String>> = rows
            .iter()
            .map(|a| {
                vec![
                    a.answer.clone(),
                    a.given.to_string(),
                    percent(a.share),
                    a.results_shown.to_string(),
                    a.zero_results.to_string(),
                ]
            })
            .collect();
        out.push_str(&table(
            &q.question,
            &[c.answer, c.given, "%", c.shown, c.empty],
            &table_rows,
        ));
    }
    out.push_str("</section>");
}

/// Click-through of picks; `titles`: the products' titles in the catalog served now (a product no longer in it has
/// none).
pub fn picks(
    out: &mut String,
    w: &Words,
    report: &Report,
    titles: &std::collections::HashMap<String, String>,
) {
    if report.products.is_empty() {
        return;
    }
    let c = &w.columns;
    open(out, "picks", w.picks, None);
    let bars: Vec<Bar> = report
        .products
        .iter()
        .take(CHARTED)
        .map(|p| Bar {
            label: titles
                .get(&p.product)
                .map_or_else(|| p.product.clone(), |t| short(t)),
            segments: vec![
                (p.clicked.min(p.shown) as f64, GREEN),
                (p.shown.saturating_sub(p.clicked) as f64, GREY),
            ],
            note: format!("{} / {} ({})", p.clicked, p.shown, percent(p.click_through)),
        })
        .collect();
    out.push_str(&chart::bars(w.picks, &bars));
    let rows: Vec<Vec<String>> = report
        .products
        .iter()
        .map(|p| {
            vec![
                p.product.clone(),
                titles.get(&p.product).cloned().unwrap_or_default(),
                p.shown.to_string(),
                p.clicked.to_string(),
                percent(p.click_through),
                p.carted.to_string(),
                p.purchased.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        w.picks,
        &[
            c.product,
            c.title,
            c.shown,
            c.clicked,
            "%",
            c.carted,
            c.purchased,
        ],
        &rows,
    ));
    out.push_str("</section>");
}

/// A title short enough for a chart's label (28 characters at most).
fn short(title: &str) -> String {
    if title.chars().count() <= 28 {
        return title.to_string();
    }
    let cut: String = title.chars().take(27).collect();
    format!("{cut}…")
}

pub fn not_understood(out: &mut String, w: &Words, report: &Report) {
    if report.not_understood.is_empty() {
        return;
    }
    let c = &w.columns;
    open(
        out,
        "not-understood",
        w.not_understood,
        Some(w.not_understood_note),
    );
    let rows: Vec<Vec<String>> = report
        .not_understood
        .iter()
        .map(|t| vec![t.question.clone(), t.text.clone(), t.count.to_string()])
        .collect();
    out.push_str(&table(
        w.not_understood,
        &[c.question, c.text, c.count],
        &rows,
    ));
    out.push_str("</section>");
}
