//! The match request for a session: each answer becomes a want (filters that must hold, boosts that rank), named by
//! the option's reason so an explanation reads "waterproof", not "Yes, waterproof".

use super::{Answer, Session, present};
use crate::catalog::{Constraint, MatchRequest, Op, Want};
use crate::flow::Flow;

/// The match request for the session's answers, from the flow's mappings, for a result of `count` picks that
/// loosens answers while fewer than `min` products meet them all.
pub fn request(flow: &Flow, session: &Session, count: usize, min: usize) -> MatchRequest {
    let locale = session.locale.as_str();
    let fallback = flow.default_locale();
    let mut wants = Vec::new();
    let mut texts = Vec::new();
    for answered in &session.answers {
        let Some(q) = flow.question(&answered.question) else {
            continue;
        };
        let choice = |v: &str| q.options.iter().find(|c| c.value == v);
        let want = |label: String, any_of: Vec<Vec<Constraint>>, boosts: Vec<Constraint>| Want {
            question: q.id.clone(),
            label,
            any_of,
            boosts,
        };
        match &answered.answer {
            // A want's label is how an explanation names the answer (`Choice::reason`): "waterproof", not
            // "Yes, waterproof".
            Answer::Choice { value } => {
                if let Some(c) = choice(value) {
                    let any_of = if c.filters.is_empty() {
                        vec![]
                    } else {
                        vec![c.filters.clone()]
                    };
                    if !any_of.is_empty() || !c.boosts.is_empty() {
                        wants.push(want(
                            c.reason(q.kind, locale, fallback),
                            any_of,
                            c.boosts.clone(),
                        ));
                    }
                }
            }
            Answer::Choices { values } => {
                let chosen: Vec<_> = values.iter().filter_map(|v| choice(v)).collect();
                if chosen.iter().all(|c| c.filters.is_empty()) {
                    // Preferences only: one want per option, so a pick is said to match only what it does.
                    for c in chosen.iter().filter(|c| !c.boosts.is_empty()) {
                        wants.push(want(
                            c.reason(q.kind, locale, fallback),
                            vec![],
                            c.boosts.clone(),
                        ));
                    }
                    continue;
                }
                let any_of = if chosen.iter().any(|c| c.filters.is_empty()) {
                    vec![]
                } else {
                    chosen.iter().map(|c| c.filters.clone()).collect()
                };
                let boosts: Vec<Constraint> = chosen
                    .iter()
                    .flat_map(|c| c.boosts.iter().cloned())
                    .collect();
                let label = chosen
                    .iter()
                    .map(|c| c.reason(q.kind, locale, fallback))
                    .collect::<Vec<_>>()
                    .join(if locale.starts_with("ja") {
                        "・"
                    } else {
                        " or "
                    });
                if !any_of.is_empty() || !boosts.is_empty() {
                    wants.push(want(label, any_of, boosts));
                }
            }
            Answer::Range { min, max } => {
                let bounds = |field: &str, weight: f32| {
                    let mut out = Vec::new();
                    if let Some(min) = min {
                        out.push(Constraint {
                            field: field.to_string(),
                            op: Op::Gte(*min),
                            weight,
                        });
                    }
                    if let Some(max) = max {
                        out.push(Constraint {
                            field: field.to_string(),
                            op: Op::Lte(*max),
                            weight,
                        });
                    }
                    out
                };
                let clause: Vec<Constraint> =
                    q.within.iter().flat_map(|f| bounds(f, 1.0)).collect();
                let boosts: Vec<Constraint> = q
                    .within_boost
                    .iter()
                    .flat_map(|(f, w)| bounds(f, *w / 2.0))
                    .collect();
                let any_of = if clause.is_empty() {
                    vec![]
                } else {
                    vec![clause]
                };
                let label = present::range_reason(
                    *min,
                    *max,
                    q.range.as_ref().and_then(|r| r.unit.as_deref()),
                    locale,
                );
                wants.push(want(label, any_of, boosts));
            }
            Answer::Text { text } => texts.push(text.clone()),
            Answer::Skipped => {}
        }
    }
    MatchRequest {
        scope: flow.scope.clone(),
        wants,
        text: (!texts.is_empty()).then(|| texts.join(" ")),
        count,
        min,
        in_stock_only: flow.in_stock_only,
        diversity: flow.diversity.clone(),
        relax_order: flow.relax.clone(),
    }
}
