//! Building the flow from its resolved spec: nodes, edges, templates, and the graph checks.

use super::graph::{Wiring, check_graph, longest_remaining};
use super::results::results;
use super::*;

pub(super) fn build(
    ctx: &mut Ctx,
    spec: FlowSpec,
    origins: &[Option<String>],
    path: &Path,
    source: &str,
) -> Option<Flow> {
    let flow_id = spec.id.value.clone();
    if flow_id.is_empty()
        || !flow_id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        ctx.error(
            spec.id.referenced,
            format!("flow id `{flow_id}` may hold only lowercase letters, digits and '-'"),
        );
    }
    let locales = if spec.locales.is_empty() {
        vec!["en".to_string()]
    } else {
        spec.locales.clone()
    };
    if spec.questions.is_empty() {
        ctx.error(
            spec.id.referenced,
            "the flow has no questions; add at least one under `questions`".into(),
        );
    }
    if spec.results.is_empty() {
        ctx.error(
            spec.id.referenced,
            "the flow has no result node; add one under `results`".into(),
        );
    }

    // Ids of every node, questions first.
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut id_lines: HashMap<String, u64> = HashMap::new();
    let all_ids = spec
        .questions
        .iter()
        .map(|q| &q.id)
        .chain(spec.results.iter().map(|r| &r.id));
    for (index, id) in all_ids.enumerate() {
        if let Some(first) = id_lines.get(&id.value) {
            ctx.error(id.referenced, format!("id `{}` is used twice (first on line {first}); give each question and result its own id", id.value));
        } else {
            ids.insert(id.value.clone(), index);
            id_lines.insert(id.value.clone(), id.referenced.line());
        }
    }
    let n_questions = spec.questions.len();

    // What conditions may test.
    let mut known: HashMap<String, QuestionInfo> = HashMap::new();
    for q in &spec.questions {
        let values = match kind_of(q).value {
            Kind::YesNo if q.options.is_empty() => vec!["yes".to_string(), "no".to_string()],
            _ => q.options.iter().map(|o| o.value.value.clone()).collect(),
        };
        known.insert(
            q.id.value.clone(),
            QuestionInfo {
                kind: kind_of(q).value,
                values,
            },
        );
    }

    let experiment = spec
        .experiment
        .as_ref()
        .and_then(|e| super::experiment(ctx, e, path));
    let scope = ctx.constraints(&spec.scope, false);
    let mut nodes = Vec::new();
    // Per node: (question ids its conditions test, location of the condition).
    let mut condition_uses: Vec<Vec<(String, Location, bool)>> = Vec::new();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    // Questions with a `next` to an unknown id: already reported, so not again as "no way to a result".
    let mut broken_goto: HashSet<usize> = HashSet::new();

    let flow_file = ctx.file.clone();
    for (index, q) in spec.questions.iter().enumerate() {
        let id = q.id.value.clone();
        let kind = kind_of(q).value;
        let kind_at = kind_of(q).referenced;
        // A shared question's options and mappings are checked, and reported, in its own file.
        if let Some(Some(file)) = origins.get(index) {
            ctx.file = file.clone();
        }
        let mut uses = Vec::new();
        let mut options = Vec::new();
        let mut seen_values: HashSet<String> = HashSet::new();
        for o in &q.options {
            if !seen_values.insert(o.value.value.clone()) {
                ctx.error(
                    o.value.referenced,
                    format!(
                        "question `{id}` has option `{}` twice; option values must be unique",
                        o.value.value
                    ),
                );
            }
            if let Some(image) = &o.image
                && !crate::catalog::feed::is_safe_url(image)
            {
                ctx.error(o.value.referenced, format!("option `{}` has image `{image}`; use an http(s) URL or a path starting with /", o.value.value));
            }
            let filters = ctx.constraints(&o.filter, false);
            let boosts = ctx.constraints(&o.boost, true);
            options.push(Choice {
                value: o.value.value.clone(),
                label: o
                    .label
                    .clone()
                    .unwrap_or_else(|| Text::One(o.value.value.clone())),
                reason: o.reason.clone(),
                image: o.image.clone(),
                synonyms: o.synonyms.clone(),
                filters,
                boosts,
                names: std::sync::OnceLock::new(),
            });
        }
        match kind {
            Kind::Single | Kind::Multi if options.is_empty() => {
                ctx.error(
                    kind_at,
                    format!("question `{id}` is a choice but has no options; add `options`"),
                );
            }
            Kind::YesNo => {
                let mut defaults = default_yes_no();
                for o in &options {
                    if o.value != "yes" && o.value != "no" {
                        ctx.error(kind_at, format!("yes/no question `{id}` has option `{}`; its options are `yes` and `no`", o.value));
                    }
                }
                for d in &mut defaults {
                    if let Some(given) = options.iter_mut().find(|o| o.value == d.value) {
                        if matches!(given.label, Text::One(ref s) if *s == given.value) {
                            given.label = d.label.clone();
                        }
                        std::mem::swap(d, given);
                    }
                }
                options = defaults;
            }
            Kind::Info | Kind::Range if !options.is_empty() => {
                ctx.error(kind_at, format!("question `{id}` is {} and takes no options; remove them or change its kind", kind_name(kind)));
            }
            _ => {}
        }
        let select = match (&q.select, kind) {
            (Some(s), Kind::Multi) => {
                let min = s.value.min.unwrap_or(1);
                let max = s.value.max.unwrap_or(options.len().max(1));
                if min > max || max > options.len().max(1) {
                    ctx.error(s.referenced, format!("question `{id}` selects {min} to {max} of {} options; make min ≤ max ≤ the number of options", options.len()));
                }
                Some((min, max))
            }
            (Some(s), _) => {
                ctx.error(
                    s.referenced,
                    format!("`select` applies to multi questions; `{id}` is not one"),
                );
                None
            }
            (None, Kind::Multi) => Some((1, options.len().max(1))),
            (None, _) => None,
        };
        let range = match (&q.range, kind) {
            (Some(r), Kind::Range) => {
                let spec = &r.value;
                if spec.min >= spec.max {
                    ctx.error(
                        r.referenced,
                        format!(
                            "range of `{id}` runs from {} to {}; min must be below max",
                            spec.min, spec.max
                        ),
                    );
                }
                if spec
                    .buckets
                    .iter()
                    .any(|b| *b <= spec.min || *b >= spec.max)
                {
                    ctx.error(r.referenced, format!("a bucket of `{id}` lies outside its range; buckets cut the range between min and max"));
                }
                Some(Range {
                    min: spec.min,
                    max: spec.max,
                    step: spec.step.unwrap_or(1.0),
                    unit: spec.unit.clone(),
                    buckets: spec.buckets.clone(),
                })
            }
            (None, Kind::Range) => {
                ctx.error(
                    kind_at,
                    format!("range question `{id}` needs `range: {{min, max}}`"),
                );
                None
            }
            (Some(r), _) => {
                ctx.error(
                    r.referenced,
                    format!("`range` applies to range questions; `{id}` is not one"),
                );
                None
            }
            (None, _) => None,
        };
        let (within, within_boost) = if kind == Kind::Range {
            let hard = ctx.range_fields(&q.filter);
            let soft = ctx.range_fields(&q.boost);
            (hard.into_iter().map(|(f, _)| f).collect(), soft)
        } else {
            for spec in [&q.filter, &q.boost].into_iter().flatten() {
                ctx.error(spec.referenced, format!("question `{id}` maps answers per option; put `filter`/`boost` under its options"));
            }
            (Vec::new(), Vec::new())
        };
        ctx.file = flow_file.clone();
        let ask_when = q.ask_when.as_ref().and_then(|c| {
            let mut used = Vec::new();
            let cond = ctx.condition(&c.value, c.referenced, &known, &mut used);
            uses.extend(used.into_iter().map(|u| (u, c.referenced, true)));
            cond
        });
        // The way on: explicit rules, else the next question in file order, else the first result.
        let mut next = Vec::new();
        match &q.next {
            Some(spanned) => {
                let at = spanned.referenced;
                let rules: Vec<(Option<&CondSpec>, &str)> = match &spanned.value {
                    NextSpec::Id(goto) => vec![(None, goto.as_str())],
                    NextSpec::Rules(rules) => rules
                        .iter()
                        .map(|r| (r.when.as_ref(), r.goto.as_str()))
                        .collect(),
                };
                let mut open_ended = false;
                for (when, goto) in rules {
                    if open_ended {
                        ctx.warn(at, format!("a rule of `{id}` after one without `when` is never used; remove it or move it up"));
                        continue;
                    }
                    let Some(&target) = ids.get(goto) else {
                        broken_goto.insert(index);
                        ctx.error(at, format!("question `{id}` goes to unknown question `{goto}`; add a question or result with that id, or fix the id"));
                        // A default rule with a wrong id is still the default: report the id, not a missing rule.
                        open_ended |= when.is_none();
                        continue;
                    };
                    let when = match when {
                        Some(cond) => {
                            let mut used = Vec::new();
                            let compiled = ctx.condition(cond, at, &known, &mut used);
                            uses.extend(used.into_iter().map(|u| (u, at, false)));
                            match compiled {
                                Some(c) => Some(c),
                                None => continue,
                            }
                        }
                        None => {
                            open_ended = true;
                            None
                        }
                    };
                    edges.push((index, target));
                    next.push(Rule { when, goto: target });
                }
                if !open_ended && !next.is_empty() {
                    ctx.error(at, format!("every `next` rule of `{id}` has a `when`; add `- goto: <id>` last so every answer has somewhere to go"));
                }
            }
            None => {
                let target = if index + 1 < n_questions {
                    index + 1
                } else {
                    n_questions
                };
                if target < n_questions + spec.results.len() {
                    edges.push((index, target));
                    next.push(Rule {
                        when: None,
                        goto: target,
                    });
                }
            }
        }
        condition_uses.push(uses);
        nodes.push(Node::Question(Box::new(Question {
            id,
            kind,
            text: q.text.clone().unwrap_or(Text::One(String::new())),
            help: q.help.clone(),
            options,
            select,
            range,
            within,
            within_boost,
            search: q.search.unwrap_or(kind == Kind::Text),
            skippable: q.skippable,
            ask_when,
            next,
        })));
    }

    let template_env = results(ctx, &spec, &mut nodes, &locales[0]);

    let mut relax = Vec::new();
    for entry in &spec.relax {
        if known.contains_key(&entry.value) {
            relax.push(entry.value.clone());
        } else {
            ctx.error(
                entry.referenced,
                format!(
                    "`relax` names `{}`, which is no question of this flow; fix the id",
                    entry.value
                ),
            );
        }
    }
    let diversity = spec.diversity.as_ref().map(|d| {
        ctx.field_ref(&d.field, false, spec.id.referenced);
        (d.field.clone(), d.max.max(1))
    });
    let start = match &spec.start {
        Some(s) => match ids.get(&s.value) {
            Some(&i) if i < n_questions => i,
            _ => {
                ctx.error(
                    s.referenced,
                    format!(
                        "`start` names `{}`, which is no question of this flow",
                        s.value
                    ),
                );
                0
            }
        },
        None => 0,
    };

    if nodes.is_empty() {
        return None;
    }
    let graph = check_graph(
        ctx,
        &spec,
        &nodes,
        &Wiring {
            edges: &edges,
            start,
            ids: &ids,
            condition_uses: &condition_uses,
            broken_goto: &broken_goto,
        },
    );
    let remaining = longest_remaining(&nodes, &graph);
    Some(Flow {
        id: flow_id,
        version: crate::text::fingerprint(source),
        path: path.to_path_buf(),
        title: spec.title,
        greeting: spec.greeting,
        consent: spec.consent.map(|c| (c.version, c.text)),
        experiment,
        locales,
        scope,
        start,
        min_answers: spec.min_answers,
        max_misses: spec.max_misses.unwrap_or(2),
        in_stock_only: spec.in_stock_only.unwrap_or(true),
        diversity: diversity.or(Some(("brand".to_string(), 2))),
        relax,
        nodes,
        graph,
        ids,
        remaining,
        field_refs: std::mem::take(&mut ctx.field_refs),
        segment_refs: std::mem::take(&mut ctx.segment_refs),
        templates: template_env,
    })
}
