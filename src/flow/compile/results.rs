//! Result nodes and their title and intro templates: each template compiled once, checked for names that are no
//! question of the flow, and kept under its source text so presenting a result never compiles it again.

use super::*;

/// Appends the flow's result nodes to `nodes` and returns the environment holding their compiled templates.
pub(super) fn results(
    ctx: &mut Ctx,
    spec: &FlowSpec,
    nodes: &mut Vec<Node>,
) -> minijinja::Environment<'static> {
    let mut template_env: minijinja::Environment<'static> = minijinja::Environment::new();
    template_env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    crate::flow::template_functions(&mut template_env);
    let known_vars: HashSet<&str> = spec
        .questions
        .iter()
        .map(|q| q.id.value.as_str())
        .chain(TEMPLATE_GLOBALS.iter().copied())
        .collect();
    for r in &spec.results {
        for (what, text) in [("title", &r.title), ("intro", &r.intro)] {
            let Some(text) = text else { continue };
            for source in text.value.all() {
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
                }
            }
        }
        let count = r.count.unwrap_or(4);
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
