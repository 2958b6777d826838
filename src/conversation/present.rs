//! Turning a match outcome into what the shopper reads: the result's title and intro (minijinja templates over
//! the answers), each pick with its explanation line, and what was relaxed, in the session's locale.
//!
//! Templates render within [`Bounds::RESULT_TEXT`]; one that fails (out of fuel, output too long, or any other
//! template error) is replaced by the default title (or no intro) and named in [`Showcase::unrendered`], which the
//! server logs.

use minijinja::{UndefinedBehavior, Value, context};

use super::{Answer, Session};
use crate::catalog::{MatchOutcome, Product};
use crate::flow::template_number;
use crate::flow::{Flow, Node};
use crate::money;
use crate::template_bounds::{Bounds, Overrun};

/// What the shopper sees for a result node.
#[derive(Clone, Debug, PartialEq)]
pub struct Showcase {
    pub result: String,
    pub title: String,
    pub intro: Option<String>,
    pub picks: Vec<Pick>,
    /// The loosened answers, as the shopper reads them.
    pub relaxed: Vec<(String, String)>,
    pub email_capture: bool,
    /// The result's templates that failed to render and were replaced by the default.
    pub unrendered: Vec<Unrendered>,
}

/// A result template that failed to render: which one and why, without the data it was given.
#[derive(Clone, Debug, PartialEq)]
pub struct Unrendered {
    /// `title` or `intro`.
    pub what: &'static str,
    /// The bound exceeded (`fuel`, `output`), or `error` for any other template error.
    pub reason: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pick {
    pub product: std::sync::Arc<Product>,
    /// Meets every answer (nothing loosened for it).
    pub exact: bool,
    pub matched: Vec<String>,
    pub missed: Vec<String>,
    /// One line: "Matches: Trail, Waterproof · $12.00 over your budget".
    pub line: String,
}

fn is_money(unit: &str) -> bool {
    matches!(
        unit.to_ascii_uppercase().as_str(),
        "USD" | "JPY" | "EUR" | "GBP"
    )
}

fn amount(value: f64, unit: Option<&str>) -> String {
    match unit {
        Some(u) if is_money(u) => money::label(value, u),
        Some(u) => format!("{} {u}", crate::catalog::format_number(value)),
        None => crate::catalog::format_number(value),
    }
}

/// "Under $120", "$80–$120", "¥5,000以上".
pub fn range_label(min: Option<f64>, max: Option<f64>, unit: Option<&str>, locale: &str) -> String {
    let ja = locale.starts_with("ja");
    match (min, max) {
        (Some(a), Some(b)) => format!("{}〜{}", amount(a, unit), amount(b, unit))
            .replace('〜', if ja { "〜" } else { "–" }),
        (None, Some(b)) if ja => format!("{}以下", amount(b, unit)),
        (None, Some(b)) => format!("Under {}", amount(b, unit)),
        (Some(a), None) if ja => format!("{}以上", amount(a, unit)),
        (Some(a), None) => format!("From {}", amount(a, unit)),
        (None, None) if ja => "指定なし".to_string(),
        (None, None) => "Any".to_string(),
    }
}

/// A range answer as a pick's reason: the label, lower-cased in English where it starts a word ("under $120").
pub fn range_reason(
    min: Option<f64>,
    max: Option<f64>,
    unit: Option<&str>,
    locale: &str,
) -> String {
    let label = range_label(min, max, unit, locale);
    match label.split_once(' ') {
        Some((first, rest))
            if !locale.starts_with("ja") && first.chars().all(char::is_alphabetic) =>
        {
            format!("{} {rest}", first.to_lowercase())
        }
        _ => label,
    }
}

/// How far a pick lies past a numeric answer, as the shopper reads it: money in the product's currency, a range
/// question's unit ("18 L over your maximum"), a rating as the product's own ("rated 3.5, below 4.5"), else the
/// answer and the product's value.
fn numeric_miss(
    flow: &Flow,
    pick: &crate::catalog::Hit,
    miss: &crate::catalog::Miss,
    (field, gap): (&str, f64),
    ja: bool,
) -> String {
    let over = gap > 0.0;
    let rounded = |n: f64| crate::catalog::format_number((n * 100.0).round() / 100.0);
    if field == "price" {
        let by = money::format(gap.abs(), &pick.product.currency);
        return match (ja, over) {
            (true, true) => format!("予算より{by}高い"),
            (true, false) => format!("下限より{by}安い"),
            (false, true) => format!("{by} over your budget"),
            (false, false) => format!("{by} under your minimum"),
        };
    }
    let unit = flow
        .question(&miss.question)
        .filter(|q| q.within.iter().any(|f| f == field))
        .and_then(|q| q.range.as_ref())
        .and_then(|r| r.unit.as_deref());
    if let Some(unit) = unit {
        let by = amount((gap.abs() * 100.0).round() / 100.0, Some(unit));
        return match (ja, over) {
            (true, true) => format!("上限より{by}大きい"),
            (true, false) => format!("下限より{by}小さい"),
            (false, true) => format!("{by} over your maximum"),
            (false, false) => format!("{by} under your minimum"),
        };
    }
    if field == "rating"
        && let Some(rating) = pick.product.rating
    {
        let (value, bound) = (rounded(rating), rounded(rating - gap));
        return match (ja, over) {
            (true, true) => format!("評価{value}（{bound}超）"),
            (true, false) => format!("評価{value}（{bound}未満）"),
            (false, true) => format!("rated {value}, above {bound}"),
            (false, false) => format!("rated {value}, below {bound}"),
        };
    }
    let value = pick
        .product
        .values(field)
        .into_iter()
        .find_map(|v| match v {
            crate::catalog::FieldValue::Number(n) => Some(rounded(n)),
            _ => None,
        })
        .unwrap_or_default();
    if ja {
        format!("「{}」ではありません（{field}：{value}）", miss.label)
    } else {
        format!("not {} ({field} {value})", miss.label)
    }
}

fn explanation_line(flow: &Flow, pick: &crate::catalog::Hit, locale: &str) -> String {
    let ja = locale.starts_with("ja");
    let mut parts = Vec::new();
    if !pick.explanation.matched.is_empty() {
        let sep = if ja { "、" } else { ", " };
        let head = if ja { "一致：" } else { "Matches: " };
        parts.push(format!("{head}{}", pick.explanation.matched.join(sep)));
    }
    for miss in &pick.explanation.missed {
        let text = match &miss.gap {
            Some((field, gap)) => numeric_miss(flow, pick, miss, (field, *gap), ja),
            None => match (&miss.unknown, ja) {
                (Some(field), true) if field == "rating" => "まだ評価がありません".to_string(),
                (Some(field), false) if field == "rating" => "no rating yet".to_string(),
                (Some(field), true) => format!("{field}の情報がありません"),
                (Some(field), false) => format!("{field} not listed"),
                (None, true) => format!("「{}」ではありません", miss.label),
                (None, false) => format!("not {}", miss.label),
            },
        };
        parts.push(text);
    }
    if parts.is_empty() {
        return if ja {
            "人気と評価の高い商品です".to_string()
        } else {
            "Popular and well rated".to_string()
        };
    }
    parts.join(" · ")
}

/// The template context: every answered question by id, plus `count` (picks shown), `exact` (of those, how many
/// meet every answer), `relaxed` (labels of the loosened answers some pick misses), `relaxed_ids` (their question
/// ids), `locale`, `total`.
fn template_context(flow: &Flow, session: &Session, outcome: &MatchOutcome) -> Value {
    let mut answers = std::collections::BTreeMap::new();
    for answered in &session.answers {
        let Some(q) = flow.question(&answered.question) else {
            continue;
        };
        let label_of = |v: &str| {
            q.options
                .iter()
                .find(|c| c.value == v)
                .map_or(v.to_string(), |c| {
                    c.label(&session.locale, flow.default_locale()).to_string()
                })
        };
        let value = match &answered.answer {
            Answer::Choice { value } => context! { value => value, label => label_of(value) },
            Answer::Choices { values } => {
                let labels: Vec<String> = values.iter().map(|v| label_of(v)).collect();
                let label = labels.join(", ");
                context! { values => values, labels => labels, label => label }
            }
            Answer::Range { min, max } => {
                let unit = q.range.as_ref().and_then(|r| r.unit.as_deref());
                let label = range_label(*min, *max, unit, &session.locale);
                context! { min => min.map(template_number), max => max.map(template_number), label => label }
            }
            Answer::Text { text } => context! { text => text, label => text },
            Answer::Skipped => continue,
        };
        answers.insert(answered.question.clone(), value);
    }
    let relaxed: Vec<String> = outcome.relaxed.iter().map(|r| r.label.clone()).collect();
    let relaxed_ids: Vec<String> = outcome.relaxed.iter().map(|r| r.question.clone()).collect();
    let base = context! {
        count => outcome.hits.len(),
        exact => outcome.hits.iter().filter(|h| h.exact).count(),
        total => outcome.total,
        relaxed => relaxed,
        relaxed_ids => relaxed_ids,
        locale => &session.locale,
    };
    context! { ..Value::from(answers), ..base }
}

/// Renders one of the flow's result templates (compiled when the flow was, and named by its source), bounded.
fn render(flow: &Flow, template: &str, ctx: &Value) -> Result<String, Overrun> {
    let bounds = Bounds::RESULT_TEXT;
    let rendered = match flow.templates.get_template(template) {
        Ok(compiled) => bounds.render(&compiled, ctx.clone()),
        // Only a flow assembled in code, without going through the compiler, lacks its templates.
        Err(_) => {
            let mut env = bounds.environment();
            env.set_undefined_behavior(UndefinedBehavior::Chainable);
            crate::flow::template_functions(&mut env);
            env.template_from_str(template)
                .map_err(Overrun::Template)
                .and_then(|compiled| bounds.render(&compiled, ctx.clone()))
        }
    };
    rendered.map(|s| s.trim().to_string())
}

/// The shopper's view of `outcome` for result node `result`.
pub fn present(flow: &Flow, session: &Session, result: &str, outcome: MatchOutcome) -> Showcase {
    let node = flow.node_index(result).and_then(|i| match &flow.nodes[i] {
        Node::Results(r) => Some(r),
        Node::Question(_) => None,
    });
    let locale = session.locale.as_str();
    let fallback = flow.default_locale();
    let ctx = template_context(flow, session, &outcome);
    let ja = locale.starts_with("ja");
    let default_title = if ja {
        format!("おすすめの{}点です", outcome.hits.len())
    } else {
        format!("Here are {} picks for you", outcome.hits.len())
    };
    let mut unrendered = Vec::new();
    let mut rendered = |what: &'static str, text: Option<&crate::flow::Text>| {
        let source = text?.get(locale, fallback);
        match render(flow, source, &ctx) {
            Ok(out) => Some(out).filter(|t| !t.is_empty()),
            Err(failure) => {
                unrendered.push(Unrendered {
                    what,
                    reason: failure.bound().unwrap_or("error"),
                });
                None
            }
        }
    };
    let title = rendered("title", node.and_then(|n| n.title.as_ref())).unwrap_or(default_title);
    let intro = rendered("intro", node.and_then(|n| n.intro.as_ref()));
    Showcase {
        result: result.to_string(),
        title,
        intro,
        picks: outcome
            .hits
            .into_iter()
            .map(|hit| {
                let line = explanation_line(flow, &hit, locale);
                Pick {
                    product: hit.product,
                    exact: hit.exact,
                    matched: hit.explanation.matched,
                    missed: hit
                        .explanation
                        .missed
                        .into_iter()
                        .map(|m| m.label)
                        .collect(),
                    line,
                }
            })
            .collect(),
        relaxed: outcome
            .relaxed
            .into_iter()
            .map(|r| (r.question, r.label))
            .collect(),
        email_capture: node.is_some_and(|n| n.email_capture),
        unrendered,
    }
}
