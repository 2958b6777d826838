//! Result nodes and their title and intro templates: each template compiled once, checked for names that are no
//! question of the flow, rendered once with the largest answers a shopper can give (so a template that runs out
//! of its [`Bounds::RESULT_TEXT`] is refused here, not met by a shopper), and kept under its source text so
//! presenting a result never compiles it again.

use std::collections::BTreeMap;

use minijinja::{Value, context};

use super::*;
use crate::flow::template_number;
use crate::template_bounds::Bounds;

/// The typed answer a text question is tried with: long, and in both scripts.
const SAMPLE_TEXT_CHARS: usize = 4000;
/// The number of products matched a template is tried with (`total`): a large catalog's.
const SAMPLE_TOTAL: usize = 100_000;

/// Appends the flow's result nodes to `nodes` and returns the environment holding their compiled templates.
pub(super) fn results(
    ctx: &mut Ctx,
    spec: &FlowSpec,
    nodes: &mut Vec<Node>,
    default_locale: &str,
) -> minijinja::Environment<'static> {
    let mut template_env: minijinja::Environment<'static> = Bounds::RESULT_TEXT.environment();
    template_env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    crate::flow::template_functions(&mut template_env);
    // minijinja's own globals (`range`, `dict`, `namespace`) are no unknown answers either.
    let builtins: Vec<String> = template_env
        .globals()
        .map(|(name, _)| name.to_string())
        .collect();
    let known_vars: HashSet<&str> = spec
        .questions
        .iter()
        .map(|q| q.id.value.as_str())
        .chain(TEMPLATE_GLOBALS.iter().copied())
        .chain(builtins.iter().map(String::as_str))
        .collect();
    for r in &spec.results {
        let count = r.count.unwrap_or(4);
        for (what, text) in [("title", &r.title), ("intro", &r.intro)] {
            let Some(text) = text else { continue };
            for (locale, source) in sources(&text.value, default_locale) {
                let compiled = match template_env.template_from_str(source) {
                    Ok(template) => {
                        let mut unknown: Vec<String> = template
                            .undeclared_variables(false)
                            .into_iter()
                            .filter(|v| !known_vars.contains(v.as_str()))
                            .collect();
                        unknown.sort();
                        for name in unknown {
                            ctx.error(text.referenced, format!("the {what} of result `{}` uses `{name}`, which is no question of this flow; use a question id, or one of: {}", r.id.value, TEMPLATE_GLOBALS.join(", ")));
                        }
                        true
                    }
                    Err(e) => {
                        ctx.error(
                            text.referenced,
                            format!(
                                "the {what} of result `{}` is not a valid template: {e}",
                                r.id.value
                            ),
                        );
                        false
                    }
                };
                // Kept compiled, under its own source text as its name: presenting a result renders it without
                // compiling it again.
                if compiled {
                    let _ = template_env.add_template_owned(source.to_string(), source.to_string());
                    let sample = sample_context(nodes, count, locale, default_locale);
                    if let Ok(template) = template_env.get_template(source)
                        && let Err(failure) = Bounds::RESULT_TEXT.render(&template, sample)
                    {
                        let message = format!(
                            "the {what} of result `{}` ({locale}) fails with the largest answers a shopper can give: {failure}",
                            r.id.value
                        );
                        // Over a bound, it is refused; any other error only where such answers reach it, and the
                        // shopper would get the default.
                        if failure.bound().is_some() {
                            ctx.error(text.referenced, message);
                        } else {
                            ctx.warn(
                                text.referenced,
                                format!("{message}; the shopper would see the default {what} then"),
                            );
                        }
                    }
                }
            }
        }
        if count == 0 || count > 50 {
            ctx.error(
                r.id.referenced,
                format!(
                    "result `{}` shows {count} products; choose 1 to 50",
                    r.id.value
                ),
            );
        }
        let min = r.min.unwrap_or(1);
        if min == 0 || min > count {
            ctx.error(
                r.id.referenced,
                format!(
                    "result `{}` has `min: {min}`; choose 1 to {count} (its `count`): relaxation runs while fewer than `min` products meet every answer",
                    r.id.value
                ),
            );
        }
        nodes.push(Node::Results(Results {
            id: r.id.value.clone(),
            count,
            min,
            title: r.title.as_ref().map(|t| t.value.clone()),
            intro: r.intro.as_ref().map(|t| t.value.clone()),
            email_capture: r.email_capture,
        }));
    }

    template_env
}

/// A text's source per locale: the one source of a plain string in the default locale.
fn sources<'a>(text: &'a Text, default_locale: &'a str) -> Vec<(&'a str, &'a str)> {
    match text {
        Text::One(source) => vec![(default_locale, source.as_str())],
        Text::Many(map) => map
            .iter()
            .map(|(locale, source)| (locale.as_str(), source.as_str()))
            .collect(),
    }
}

/// What a result template sees (`conversation::present`), every question answered at its largest: all options of
/// a choice (so a loop over `values` runs longest), a range from its minimum to its maximum, a long typed text, and
/// every answer relaxed. Each answer carries every field any kind has, so a template reading the wrong one still
/// meets data.
fn sample_context(nodes: &[Node], count: usize, locale: &str, default_locale: &str) -> Value {
    let text: String = "Long answer 長い回答。"
        .chars()
        .cycle()
        .take(SAMPLE_TEXT_CHARS)
        .collect();
    let mut answers = BTreeMap::new();
    let (mut ids, mut labels) = (Vec::new(), Vec::new());
    for node in nodes {
        let Node::Question(q) = node else { continue };
        let values: Vec<String> = q.options.iter().map(|c| c.value.clone()).collect();
        let option_labels: Vec<String> = q
            .options
            .iter()
            .map(|c| c.label(locale, default_locale).to_string())
            .collect();
        let label = if option_labels.is_empty() {
            text.clone()
        } else {
            option_labels.join(", ")
        };
        let (min, max) = q.range.as_ref().map_or((None, None), |r| {
            (Some(template_number(r.min)), Some(template_number(r.max)))
        });
        answers.insert(
            q.id.clone(),
            context! {
                value => values.iter().max_by_key(|v| v.len()),
                values => values,
                labels => option_labels,
                label => &label,
                min => min,
                max => max,
                text => &text,
            },
        );
        ids.push(q.id.clone());
        labels.push(label);
    }
    let base = context! {
        count => count,
        exact => count,
        total => SAMPLE_TOTAL,
        relaxed => labels,
        relaxed_ids => ids,
        locale => locale,
    };
    context! { ..Value::from(answers), ..base }
}
