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
    CondSpec, ConstraintSpec, ExperimentSpec, FlowSpec, Kind, NextSpec, OneOrMany, QuestionSpec,
    ScalarSpec, Text,
};
use super::{
    Choice, Condition, FieldRef, Flow, Node, Problem, Question, Range, Results, Rule, SegmentRef,
    Severity, Test,
};
use crate::catalog::{Constraint, FieldKind, Fields, Op, Scalar};

mod build;
mod conditions;
mod constraints;
mod fields;
mod graph;
mod results;

use build::build;
use conditions::QuestionInfo;
pub(crate) use constraints::constraint_op;
pub(crate) use constraints::scalar_text;
pub use fields::{check_fields, check_segments, undefined_segments};

/// Variables every result template may use besides the question ids.
const TEMPLATE_GLOBALS: &[&str] = &[
    "count",
    "relaxed",
    "relaxed_ids",
    "relaxed_question",
    "exact",
    "locale",
    "total",
];

struct Ctx {
    file: String,
    problems: Vec<Problem>,
    field_refs: Vec<FieldRef>,
    segment_refs: Vec<SegmentRef>,
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
        reason: None,
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
        segment_refs: Vec::new(),
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

/// Checks an `experiment` entry: a share from 0 to 1 and a variant that is another YAML file of this folder.
fn experiment(
    ctx: &mut Ctx,
    spec: &Spanned<ExperimentSpec>,
    path: &Path,
) -> Option<super::Experiment> {
    let (file, share) = (&spec.value.variant, &spec.value.share);
    let mut fine = true;
    if !(share.value.is_finite() && (0.0..=1.0).contains(&share.value)) {
        ctx.error(share.referenced, format!("`share` is {}, not a share of visitors; write a number from 0 to 1 (0.5: half get the variant)", share.value));
        fine = false;
    }
    let name = file.value.as_str();
    let own = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.contains(['/', '\\']) || name.starts_with('.') {
        ctx.error(file.referenced, format!("variant `{name}` must be a file name in this flow's folder (no path); put the variant beside this file"));
        fine = false;
    } else if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
        ctx.error(
            file.referenced,
            format!("variant `{name}` is no flow file; name a `.yaml` file in this folder"),
        );
        fine = false;
    } else if name == own {
        ctx.error(file.referenced, format!("variant `{name}` is this file; name another file, a copy of this finder with your changes"));
        fine = false;
    } else if !path.with_file_name(name).is_file() {
        let folder = path
            .parent()
            .map_or(String::new(), |p| p.display().to_string());
        ctx.error(file.referenced, format!("the variant file `{name}` is not in `{folder}`; create it (a copy of this finder with your changes and the same id) or correct the name"));
        fine = false;
    }
    fine.then(|| super::Experiment {
        file: name.to_string(),
        share: share.value,
        at: (file.referenced.line(), file.referenced.column()),
        key_at: (spec.referenced.line(), spec.referenced.column()),
        variant: None,
    })
}

/// The kind of a resolved question.
fn kind_of(q: &QuestionSpec) -> &Spanned<Kind> {
    q.kind
        .as_ref()
        .expect("`resolve` gives every question a kind")
}
