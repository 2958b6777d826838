//! Compiling a flow file into a checked [`Flow`]: every problem at once, each located and naming the fix.
//!
//! Checks: YAML shape; ids (format, duplicates); per-kind requirements; option values unique; constraints with
//! exactly one operator; `next` targets exist and every question has a way on; unreachable questions; cycles with
//! no exit; questions with no way to a result; conditions on unknown questions, on option values that do not
//! exist, of the wrong type (a numeric comparison on a choice), or on answers not asked on every path to them;
//! templates that do not compile or use unknown answers; relax entries that are not questions.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use petgraph::algo::{dominators, tarjan_scc};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, Reversed};
use serde_saphyr::{Location, Spanned};

use super::shared::Shared;
use super::spec::{
    CondSpec, ConstraintSpec, FlowSpec, Kind, NextSpec, OneOrMany, QuestionSpec, ScalarSpec, Text,
};
use super::{
    Choice, Condition, FieldRef, Flow, Node, Problem, Question, Range, Results, Rule, Severity,
    Test,
};
use crate::catalog::{Constraint, FieldKind, Fields, Op, Scalar};

/// Variables every result template may use besides the question ids.
const TEMPLATE_GLOBALS: &[&str] = &["count", "relaxed", "locale", "total"];

struct Ctx {
    file: String,
    problems: Vec<Problem>,
    field_refs: Vec<FieldRef>,
}

impl Ctx {
    fn push(&mut self, at: Location, severity: Severity, message: String) {
        self.problems
            .push(Problem::located(&self.file, at, severity, message));
    }

    fn error(&mut self, at: Location, message: String) {
        self.push(at, Severity::Error, message);
    }

    fn warn(&mut self, at: Location, message: String) {
        self.push(at, Severity::Warning, message);
    }
}

fn scalar(spec: &ScalarSpec) -> Scalar {
    match spec {
        ScalarSpec::Bool(b) => Scalar::Bool(*b),
        ScalarSpec::Number(n) => Scalar::Number(*n),
        ScalarSpec::Text(s) => Scalar::Text(s.clone()),
    }
}

fn scalar_text(spec: &ScalarSpec) -> String {
    match spec {
        ScalarSpec::Bool(b) => b.to_string(),
        ScalarSpec::Number(n) => crate::catalog::format_number(*n),
        ScalarSpec::Text(s) => s.clone(),
    }
}

const OPERATORS: &str = "eq, ne, in, contains, lt, lte, gt, gte";

/// The operator of a constraint, or `None` when it has none; `Err` when it has several.
pub(crate) fn constraint_op(spec: &ConstraintSpec) -> Result<Option<Op>, usize> {
    let mut ops = Vec::new();
    if let Some(v) = &spec.eq {
        ops.push(Op::Eq(scalar(v)));
    }
    if let Some(v) = &spec.ne {
        ops.push(Op::Ne(scalar(v)));
    }
    if let Some(v) = &spec.in_ {
        ops.push(Op::In(v.iter().map(scalar).collect()));
    }
    if let Some(v) = &spec.contains {
        ops.push(Op::Contains(scalar(v)));
    }
    for (v, make) in [
        (spec.lt, Op::Lt as fn(f64) -> Op),
        (spec.lte, Op::Lte),
        (spec.gt, Op::Gt),
        (spec.gte, Op::Gte),
    ] {
        if let Some(v) = v {
            ops.push(make(v));
        }
    }
    match ops.len() {
        0 => Ok(None),
        1 => Ok(ops.pop()),
        n => Err(n),
    }
}

fn is_numeric(op: &Op) -> bool {
    matches!(op, Op::Lt(_) | Op::Lte(_) | Op::Gt(_) | Op::Gte(_))
}

impl Ctx {
    /// Compiles the constraints of a `filter`/`boost`/`scope` entry that must each carry one operator.
    fn constraints(
        &mut self,
        spec: &Option<Spanned<OneOrMany<ConstraintSpec>>>,
        boost: bool,
    ) -> Vec<Constraint> {
        let Some(spec) = spec else { return Vec::new() };
        let at = spec.referenced;
        let mut out = Vec::new();
        for c in spec.value.as_slice() {
            match constraint_op(c) {
                Ok(Some(op)) => {
                    self.field_ref(&c.field, is_numeric(&op), at);
                    let weight = if boost { c.weight.unwrap_or(1.0) } else { 1.0 };
                    if !boost && c.weight.is_some() {
                        self.warn(at, format!("`weight` on the filter on `{}` has no effect; move it under `boost`", c.field));
                    }
                    out.push(Constraint { field: c.field.clone(), op, weight });
                }
                Ok(None) => self.error(
                    at,
                    format!("the constraint on `{}` has no operator; add one of {OPERATORS}", c.field),
                ),
                Err(n) => self.error(
                    at,
                    format!("the constraint on `{}` has {n} operators; give it exactly one of {OPERATORS}", c.field),
                ),
            }
        }
        out
    }

    /// Compiles the constraints of a range question: fields only, the answered range being the bound.
    fn range_fields(
        &mut self,
        spec: &Option<Spanned<OneOrMany<ConstraintSpec>>>,
    ) -> Vec<(String, f32)> {
        let Some(spec) = spec else { return Vec::new() };
        let at = spec.referenced;
        let mut out = Vec::new();
        for c in spec.value.as_slice() {
            match constraint_op(c) {
                Ok(None) => {
                    self.field_ref(&c.field, true, at);
                    out.push((c.field.clone(), c.weight.unwrap_or(1.0)));
                }
                _ => self.error(
                    at,
                    format!(
                        "on a range question the answered range is the bound: write `{{field: {}}}` without an operator",
                        c.field
                    ),
                ),
            }
        }
        out
    }

    fn field_ref(&mut self, field: &str, numeric: bool, at: Location) {
        let (line, column) = if at == Location::UNKNOWN {
            (1, 1)
        } else {
            (at.line(), at.column())
        };
        self.field_refs.push(FieldRef {
            file: self.file.clone(),
            field: field.to_string(),
            numeric,
            line,
            column,
        });
    }
}

/// What the compiler knows of each question while checking conditions.
struct QuestionInfo {
    kind: Kind,
    values: Vec<String>,
}

impl Ctx {
    fn condition(
        &mut self,
        spec: &CondSpec,
        at: Location,
        known: &HashMap<String, QuestionInfo>,
        uses: &mut Vec<String>,
    ) -> Option<Condition> {
        let forms = [
            spec.all.is_some(),
            spec.any.is_some(),
            spec.not.is_some(),
            spec.answered.is_some(),
            spec.answer.is_some(),
        ];
        if forms.iter().filter(|f| **f).count() != 1 {
            self.error(
                at,
                "a condition needs exactly one of `answer`, `answered`, `all`, `any`, `not`".into(),
            );
            return None;
        }
        if let Some(list) = &spec.all {
            let parts: Option<Vec<_>> = list
                .iter()
                .map(|c| self.condition(c, at, known, uses))
                .collect();
            return parts.map(Condition::All);
        }
        if let Some(list) = &spec.any {
            let parts: Option<Vec<_>> = list
                .iter()
                .map(|c| self.condition(c, at, known, uses))
                .collect();
            return parts.map(Condition::Any);
        }
        if let Some(inner) = &spec.not {
            return self
                .condition(inner, at, known, uses)
                .map(|c| Condition::Not(Box::new(c)));
        }
        if let Some(question) = &spec.answered {
            if !known.contains_key(question) {
                self.error(at, format!("the condition tests `{question}`, which is no question of this flow; fix the id"));
                return None;
            }
            return Some(Condition::Answered(question.clone()));
        }
        let question = spec.answer.clone().unwrap_or_default();
        let Some(info) = known.get(&question) else {
            self.error(at, format!("the condition tests `{question}`, which is no question of this flow; fix the id"));
            return None;
        };
        let mut tests = Vec::new();
        let check_value = |ctx: &mut Ctx, value: &str| {
            if !info.values.is_empty() && !info.values.iter().any(|v| v == value) {
                ctx.error(
                    at,
                    format!(
                        "question `{question}` has no option `{value}`; use one of: {}",
                        info.values.join(", ")
                    ),
                );
            }
        };
        for (value, make) in [
            (&spec.eq, Test::Eq as fn(String) -> Test),
            (&spec.ne, Test::Ne),
            (&spec.contains, Test::Contains),
        ] {
            if let Some(v) = value {
                let v = scalar_text(v);
                check_value(self, &v);
                tests.push(make(v));
            }
        }
        if let Some(list) = &spec.in_ {
            let values: Vec<String> = list.iter().map(scalar_text).collect();
            values.iter().for_each(|v| check_value(self, v));
            tests.push(Test::In(values));
        }
        let numeric_before = tests.len();
        for (value, make) in [
            (spec.lt, Test::Lt as fn(f64) -> Test),
            (spec.lte, Test::Lte),
            (spec.gt, Test::Gt),
            (spec.gte, Test::Gte),
        ] {
            if let Some(v) = value {
                tests.push(make(v));
            }
        }
        let numeric = tests.len() > numeric_before;
        if tests.len() != 1 {
            self.error(at, format!("the condition on `{question}` needs exactly one test (eq, ne, in, contains, lt, lte, gt, gte)"));
            return None;
        }
        if numeric && info.kind != Kind::Range {
            self.error(
                at,
                format!("`{question}` is a {} question, so a numeric comparison on it never holds; compare with eq/in/contains", kind_name(info.kind)),
            );
            return None;
        }
        if !numeric && info.kind == Kind::Range {
            self.error(
                at,
                format!("`{question}` is a range question; compare it with lt, lte, gt or gte"),
            );
            return None;
        }
        uses.push(question.clone());
        Some(Condition::Test {
            question,
            test: tests.remove(0),
        })
    }
}

/// The kind as merchandisers write it in flow files.
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Single => "single",
        Kind::Multi => "multi",
        Kind::Range => "range",
        Kind::YesNo => "yes_no",
        Kind::Text => "text",
        Kind::Info => "info",
    }
}

fn default_yes_no() -> Vec<Choice> {
    let choice = |value: &str, en: &str, ja: &str| Choice {
        value: value.to_string(),
        label: Text::Many(
            [
                ("en".to_string(), en.to_string()),
                ("ja".to_string(), ja.to_string()),
            ]
            .into(),
        ),
        image: None,
        synonyms: Vec::new(),
        filters: Vec::new(),
        boosts: Vec::new(),
        names: std::sync::OnceLock::new(),
    };
    vec![choice("yes", "Yes", "はい"), choice("no", "No", "いいえ")]
}

/// Compiles the flow file at `path` with contents `source`. Returns the flow when it has no errors, and every
/// problem found (warnings too).
pub fn compile(path: &Path, source: &str) -> (Option<Flow>, Vec<Problem>) {
    let shared = Shared::beside(path);
    compile_with(path, source, &shared)
}

/// Compiles a flow whose `use` entries are looked up in `shared`.
pub fn compile_with(path: &Path, source: &str, shared: &Shared) -> (Option<Flow>, Vec<Problem>) {
    let mut ctx = Ctx {
        file: path.display().to_string(),
        problems: Vec::new(),
        field_refs: Vec::new(),
    };
    let spec: FlowSpec = match serde_saphyr::from_str(source) {
        Ok(spec) => spec,
        Err(error) => {
            let (at, cause) = yaml_cause(&error);
            ctx.error(at, format!("{cause}; see docs/flows.md for the format"));
            return (None, ctx.problems);
        }
    };
    let mut spec = spec;
    let origins = resolve(&mut ctx, &mut spec, shared);
    let flow = build(&mut ctx, spec, &origins, path, source);
    let has_errors = ctx.problems.iter().any(|p| p.severity == Severity::Error);
    ctx.problems.sort_by_key(|p| (p.severity, p.line, p.column));
    (if has_errors { None } else { flow }, ctx.problems)
}

/// Where a YAML error is and its cause in one line, without the location the problem's prefix already gives.
pub(crate) fn yaml_cause(error: &serde_saphyr::Error) -> (Location, String) {
    let at = error.location().unwrap_or(Location::UNKNOWN);
    let message = error.to_string();
    let mut first = message.lines().next().unwrap_or("not valid YAML").trim();
    first = first.strip_prefix("error: ").unwrap_or(first);
    if first.starts_with("line ")
        && let Some((_, cause)) = first.split_once(": ")
    {
        first = cause;
    }
    (at, first.to_string())
}

/// Fills each `use` entry from its shared question and checks that every other question has a kind and a text.
/// Returns, per question, the file its kind, options and mappings come from (`None`: the flow itself). After
/// this, every question has `kind` and `text`.
fn resolve(ctx: &mut Ctx, spec: &mut FlowSpec, shared: &Shared) -> Vec<Option<String>> {
    let mut origins = Vec::new();
    for q in &mut spec.questions {
        let id = q.id.value.clone();
        let Some(uses) = q.uses.clone() else {
            if q.kind.is_none() {
                ctx.error(q.id.referenced, format!("question `{id}` has no `kind`; add one of single, multi, range, yes_no, text, info (or `use` a shared question)"));
            }
            if q.text.is_none() {
                ctx.error(
                    q.id.referenced,
                    format!("question `{id}` has no `text`; add what the shopper reads"),
                );
            }
            fill_missing(q);
            origins.push(None);
            continue;
        };
        let own = [
            ("kind", q.kind.is_some()),
            ("text", q.text.is_some()),
            ("help", q.help.is_some()),
            ("options", !q.options.is_empty()),
            ("select", q.select.is_some()),
            ("range", q.range.is_some()),
            ("filter", q.filter.is_some()),
            ("boost", q.boost.is_some()),
            ("search", q.search.is_some()),
        ];
        for (field, set) in own {
            if set {
                ctx.error(uses.referenced, format!("question `{id}` uses shared question `{}` and also sets `{field}`; a shared question brings its own, so remove `{field}` here (or drop `use`)", uses.value));
            }
        }
        match shared.get(&uses.value) {
            Some((file, from)) => {
                q.kind = from.kind.clone();
                q.text = from.text.clone();
                q.help = from.help.clone();
                q.options = from.options.clone();
                q.select = from.select.clone();
                q.range = from.range.clone();
                q.filter = from.filter.clone();
                q.boost = from.boost.clone();
                q.search = from.search;
                fill_missing(q);
                origins.push(Some(file.to_string()));
            }
            None => {
                let known = shared.ids();
                ctx.error(
                    uses.referenced,
                    format!(
                        "question `{id}` uses `{}`, which is no shared question; {}",
                        uses.value,
                        if known.is_empty() {
                            "add it to a file in flows/shared/".to_string()
                        } else {
                            format!("use one of: {}", known.join(", "))
                        }
                    ),
                );
                fill_missing(q);
                origins.push(None);
            }
        }
    }
    origins
}

/// Gives a question that lacks them a placeholder kind and text, so that checking goes on and reports every other
/// problem too (the flow is refused anyway: the lack is already an error).
fn fill_missing(q: &mut QuestionSpec) {
    if q.kind.is_none() {
        q.kind = Some(Spanned {
            value: Kind::Info,
            referenced: q.id.referenced,
            defined: q.id.defined,
        });
    }
    if q.text.is_none() {
        q.text = Some(Text::One(String::new()));
    }
}

/// The kind of a resolved question.
fn kind_of(q: &QuestionSpec) -> &Spanned<Kind> {
    q.kind
        .as_ref()
        .expect("`resolve` gives every question a kind")
}

fn build(
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

    // Result nodes and their templates.
    let mut template_env: minijinja::Environment<'static> = minijinja::Environment::new();
    template_env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
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
        nodes.push(Node::Results(Results {
            id: r.id.value.clone(),
            count,
            title: r.title.as_ref().map(|t| t.value.clone()),
            intro: r.intro.as_ref().map(|t| t.value.clone()),
            email_capture: r.email_capture,
        }));
    }

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

    // The graph, and what it says about reachability.
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    for i in 0..nodes.len() {
        graph.add_node(i);
    }
    for (from, to) in &edges {
        graph.update_edge(NodeIndex::new(*from), NodeIndex::new(*to), ());
    }
    let node_line = |i: usize| -> Location {
        let id = if i < n_questions {
            &spec.questions[i].id
        } else {
            &spec.results[i - n_questions].id
        };
        id.referenced
    };
    let node_name = |i: usize| -> String {
        if i < n_questions {
            spec.questions[i].id.value.clone()
        } else {
            spec.results[i - n_questions].id.value.clone()
        }
    };
    if nodes.is_empty() {
        return None;
    }
    let mut reachable = vec![false; nodes.len()];
    let mut bfs = Bfs::new(&graph, NodeIndex::new(start));
    while let Some(n) = bfs.next(&graph) {
        reachable[n.index()] = true;
    }
    let mut reaches_result = vec![false; nodes.len()];
    let reversed = Reversed(&graph);
    for r in n_questions..nodes.len() {
        let mut bfs = Bfs::new(reversed, NodeIndex::new(r));
        while let Some(n) = bfs.next(reversed) {
            reaches_result[n.index()] = true;
        }
    }
    let mut reported = vec![false; nodes.len()];
    for component in tarjan_scc(&graph) {
        let looped = component.len() > 1 || graph.contains_edge(component[0], component[0]);
        if looped && component.iter().all(|n| !reaches_result[n.index()]) {
            let mut names: Vec<String> = component.iter().map(|n| node_name(n.index())).collect();
            names.sort();
            let first = component.iter().map(|n| n.index()).min().unwrap_or(0);
            ctx.error(node_line(first), format!("questions {} form a cycle with no exit; add a rule that leads out of it to a result", names.join(" → ")));
            component.iter().for_each(|n| reported[n.index()] = true);
        }
    }
    for i in 0..n_questions {
        if !reachable[i] {
            ctx.error(node_line(i), format!("question `{}` cannot be reached from the start; link to it from a `next` or remove it", node_name(i)));
        } else if !reaches_result[i] && !reported[i] && !broken_goto.contains(&i) {
            ctx.error(
                node_line(i),
                format!(
                    "question `{}` has no way to a result; give it a `next` that leads to one",
                    node_name(i)
                ),
            );
        }
    }
    for (i, reached) in reachable.iter().enumerate().skip(n_questions) {
        if !reached {
            ctx.warn(
                node_line(i),
                format!(
                    "result `{}` is never reached; link to it or remove it",
                    node_name(i)
                ),
            );
        }
    }
    // A condition may only test answers asked on every path that reaches it.
    let doms = dominators::simple_fast(&graph, NodeIndex::new(start));
    for (i, uses) in condition_uses.iter().enumerate() {
        if !reachable[i] {
            continue;
        }
        let dominating: HashSet<usize> = doms
            .dominators(NodeIndex::new(i))
            .map(|it| it.map(|n| n.index()).collect())
            .unwrap_or_default();
        for (question, at, strict) in uses {
            let Some(&q) = ids.get(question) else {
                continue;
            };
            let asked_before = dominating.contains(&q) && !(*strict && q == i);
            if !asked_before {
                ctx.error(*at, format!("the condition at `{}` tests `{question}`, which is not asked on every path to `{}`; test `{{answered: {question}}}` first or move the condition", node_name(i), node_name(i)));
            }
        }
    }
    let remaining = longest_remaining(&nodes, &graph);
    Some(Flow {
        id: flow_id,
        version: crate::text::fingerprint(source),
        path: path.to_path_buf(),
        title: spec.title,
        greeting: spec.greeting,
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
        templates: template_env,
    })
}

/// For every node, the most questions (info messages excluded) on any path from it to a result. Edges that close a
/// cycle count nothing, so the figure is finite.
fn longest_remaining(nodes: &[Node], graph: &DiGraph<usize, ()>) -> Vec<usize> {
    fn visit(
        i: usize,
        nodes: &[Node],
        graph: &DiGraph<usize, ()>,
        memo: &mut Vec<Option<usize>>,
        on_stack: &mut Vec<bool>,
    ) -> usize {
        if let Some(v) = memo[i] {
            return v;
        }
        if on_stack[i] {
            return 0;
        }
        on_stack[i] = true;
        let own = match &nodes[i] {
            Node::Question(q) if q.kind != Kind::Info => 1,
            _ => 0,
        };
        let best = graph
            .neighbors(NodeIndex::new(i))
            .map(|n| visit(n.index(), nodes, graph, memo, on_stack))
            .max()
            .unwrap_or(0);
        on_stack[i] = false;
        memo[i] = Some(own + best);
        own + best
    }
    let mut memo = vec![None; nodes.len()];
    let mut on_stack = vec![false; nodes.len()];
    (0..nodes.len())
        .map(|i| visit(i, nodes, graph, &mut memo, &mut on_stack))
        .collect()
}

/// Checks the flow's mappings against the fields a catalog has: unknown fields, and numeric comparisons on
/// fields that hold no numbers.
pub fn check_fields(flow: &Flow, fields: &Fields) -> Vec<Problem> {
    let mut problems = Vec::new();
    for r in &flow.field_refs {
        let problem = match fields.kind(&r.field) {
            None => Some(format!(
                "`{}` is not a field of the catalog; use one of: {}",
                r.field,
                fields.names().join(", ")
            )),
            Some(kind) if r.numeric && kind != FieldKind::Number => {
                Some(format!("`{}` holds {kind:?} values, so a numeric comparison on it never holds; compare with eq/in/contains", r.field).replace("Keyword", "keyword").replace("Bool", "boolean").replace("Text", "text"))
            }
            _ => None,
        };
        if let Some(message) = problem {
            problems.push(Problem {
                file: r.file.clone(),
                line: r.line,
                column: r.column,
                severity: Severity::Error,
                message,
            });
        }
    }
    problems
}
