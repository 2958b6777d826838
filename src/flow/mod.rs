//! Finders as files: the flow model, loading with line/column problems, the petgraph graph and validation.
//!
//! A flow file ([`spec::FlowSpec`], YAML) is compiled into a [`Flow`]: nodes (questions and result nodes) in a
//! `petgraph` graph whose edges are the `next` rules. Compilation reports every problem at once, each with file,
//! line, column and a sentence naming the fix; a flow with errors is never served.
//!
//! Key types: [`Flow`], [`Question`], [`Choice`], [`Condition`], [`Problem`], [`Flows`] (every flow of a folder).

mod compile;
pub mod experiment;
mod folder;
pub mod shared;
pub mod spec;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use petgraph::graph::DiGraph;

use crate::catalog::Constraint;
pub use compile::{
    check_fields, check_segments, compile, compile_with, kind_name, undefined_segments,
};
pub(crate) use compile::{constraint_op, scalar_text, yaml_cause};
pub use experiment::{Arm, Experiment};
pub use folder::{Flows, LoadError, yaml_files};
pub use shared::Shared;
pub use spec::{Kind, Text};

/// How serious a problem is: errors stop a flow from being served; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a flow file, located.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    /// A problem at a YAML location (line 1, column 1 when the location is unknown).
    pub fn located(
        file: &str,
        at: serde_saphyr::Location,
        severity: Severity,
        message: String,
    ) -> Problem {
        let (line, column) = if at == serde_saphyr::Location::UNKNOWN {
            (1, 1)
        } else {
            (at.line(), at.column())
        };
        Problem {
            file: file.to_string(),
            line,
            column,
            severity,
            message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {severity}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// A compiled, checked finder.
#[derive(Debug)]
pub struct Flow {
    pub id: String,
    /// A fingerprint of the source: sessions remember the version they started on.
    pub version: String,
    pub path: PathBuf,
    pub title: Text,
    pub greeting: Option<Text>,
    /// The consent text beside the email field and its version (`None`: the built-in text).
    pub consent: Option<(String, Text)>,
    /// An A/B test against a variant file (`experiment`).
    pub experiment: Option<Experiment>,
    pub locales: Vec<String>,
    pub scope: Vec<Constraint>,
    pub start: usize,
    pub min_answers: Option<usize>,
    pub max_misses: u32,
    pub in_stock_only: bool,
    pub diversity: Option<(String, usize)>,
    pub relax: Vec<String>,
    pub nodes: Vec<Node>,
    pub graph: DiGraph<usize, ()>,
    ids: HashMap<String, usize>,
    /// For each node, the most questions still to answer on any path to a result (itself included).
    remaining: Vec<usize>,
    /// Every catalog field the flow maps to, located, for [`check_fields`].
    pub field_refs: Vec<FieldRef>,
    /// Every segment its conditions name, located, for [`check_segments`].
    pub segment_refs: Vec<SegmentRef>,
    /// The result titles and intros, compiled once; each is named by its source text.
    pub templates: minijinja::Environment<'static>,
}

#[derive(Clone, Debug)]
pub struct FieldRef {
    /// The file the mapping is written in: the flow's, or a shared question's.
    pub file: String,
    pub field: String,
    pub numeric: bool,
    pub line: u64,
    pub column: u64,
}

/// A `{segment: NAME}` condition of a flow (or a trigger's `segment:`), located.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentRef {
    pub file: String,
    pub name: String,
    pub line: u64,
    pub column: u64,
}

#[derive(Debug)]
pub enum Node {
    Question(Box<Question>),
    Results(Results),
}

#[derive(Debug)]
pub struct Question {
    pub id: String,
    pub kind: Kind,
    pub text: Text,
    pub help: Option<Text>,
    pub options: Vec<Choice>,
    /// For multi-choice: how many may be picked.
    pub select: Option<(usize, usize)>,
    pub range: Option<Range>,
    /// For range questions: fields whose value must lie in the answered range (hard) …
    pub within: Vec<String>,
    /// … or that are preferred when they do (soft, weighted).
    pub within_boost: Vec<(String, f32)>,
    /// For text questions: search the catalog with text that matches no option.
    pub search: bool,
    pub skippable: bool,
    pub ask_when: Option<Condition>,
    pub next: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub unit: Option<String>,
    pub buckets: Vec<f64>,
}

#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub label: Text,
    /// How an explanation names the answer, when the author gave it.
    pub reason: Option<Text>,
    pub image: Option<String>,
    pub synonyms: Vec<String>,
    pub filters: Vec<Constraint>,
    pub boosts: Vec<Constraint>,
    /// Every name of the option, normalised for matching typed answers: worked out by `conversation::parse` on
    /// first use and kept (a memo; the flow never changes once compiled), so a typed answer does not normalise
    /// every synonym of every option again.
    pub names: std::sync::OnceLock<Vec<String>>,
}

#[derive(Debug)]
pub struct Rule {
    pub when: Option<Condition>,
    pub goto: usize,
}

#[derive(Debug)]
pub struct Results {
    pub id: String,
    pub count: usize,
    /// Relaxation runs while fewer than this many products meet every answer (default 1).
    pub min: usize,
    pub title: Option<Text>,
    pub intro: Option<Text>,
    pub email_capture: bool,
}

/// A condition on earlier answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Answered(String),
    Test {
        question: String,
        test: Test,
    },
    /// The shopper belongs to this segment (`segments.yaml`), as decided when the conversation started.
    Segment(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    Contains(String),
    Lt(f64),
    Lte(f64),
    Gt(f64),
    Gte(f64),
}

impl Flow {
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.ids.get(id).copied()
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        match self.node_index(id).map(|i| &self.nodes[i]) {
            Some(Node::Question(q)) => Some(q),
            _ => None,
        }
    }

    pub fn node_id(&self, index: usize) -> &str {
        match &self.nodes[index] {
            Node::Question(q) => &q.id,
            Node::Results(r) => &r.id,
        }
    }

    /// The most questions still to answer from `index` to a result, counting `index` itself when it asks.
    pub fn remaining(&self, index: usize) -> usize {
        self.remaining[index]
    }

    /// The flow file's path as given, for messages.
    pub fn file_name(&self) -> String {
        self.path.display().to_string()
    }

    pub fn default_locale(&self) -> &str {
        self.locales.first().map_or("en", String::as_str)
    }

    /// `requested` if this flow speaks it, else the flow's default locale.
    pub fn locale(&self, requested: Option<&str>) -> String {
        match requested {
            Some(locale) if self.locales.iter().any(|l| l == locale) => locale.to_string(),
            _ => self.default_locale().to_string(),
        }
    }

    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.nodes.iter().filter_map(|n| match n {
            Node::Question(q) => Some(q.as_ref()),
            Node::Results(_) => None,
        })
    }
}

impl Choice {
    pub fn label(&self, locale: &str, fallback: &str) -> &str {
        self.label.get(locale, fallback)
    }

    /// How a pick's explanation names this answer: the author's `reason`; else, for the `yes` of a yes/no
    /// question, what its filter asks for ("waterproof" for `{field: waterproof, eq: true}`, "rated 4.5+" for
    /// `{field: rating, gte: 4.5}`, the tag for `{field: tags, contains: …}`), in English; else the label.
    pub fn reason(&self, kind: Kind, locale: &str, fallback: &str) -> String {
        if let Some(reason) = &self.reason {
            return reason.get(locale, fallback).to_string();
        }
        let ja = locale.starts_with("ja");
        for constraint in &self.filters {
            if let (crate::catalog::Op::Gte(x), "rating") =
                (&constraint.op, constraint.field.as_str())
            {
                let x = crate::catalog::format_number(*x);
                return if ja {
                    format!("評価{x}以上")
                } else {
                    format!("rated {x}+")
                };
            }
        }
        if kind == Kind::YesNo && self.value == "yes" && !ja {
            use crate::catalog::{Op, Scalar};
            let named = self
                .filters
                .iter()
                .chain(&self.boosts)
                .find_map(|c| match &c.op {
                    Op::Eq(Scalar::Bool(true)) => Some(c.field.replace('_', " ")),
                    Op::Eq(Scalar::Text(t)) if t == "true" => Some(c.field.replace('_', " ")),
                    Op::Contains(Scalar::Text(tag)) => Some(tag.replace('-', " ")),
                    _ => None,
                });
            if let Some(named) = named {
                return named;
            }
        }
        self.label(locale, fallback).to_string()
    }
}

/// A number as result templates see it: whole numbers as integers, so `{{ budget.max }}` reads `120`, not
/// `120.0`, and `range(budget.max)` works.
pub fn template_number(n: f64) -> minijinja::Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        minijinja::Value::from(n as i64)
    } else {
        minijinja::Value::from(n)
    }
}

/// The functions result templates may call, registered wherever they are compiled:
/// `relaxed_question('budget')` is true when the shown picks include one that misses the answer to `budget` (the
/// same as `'budget' in relaxed_ids`), so an intro never states a loosened answer as a fact.
pub fn template_functions(env: &mut minijinja::Environment<'_>) {
    // `{{ budget.max | money('JPY') }}` → `¥30,000`, `{{ 120 | money('USD') }}` → `$120`: amounts as the answers'
    // labels and the explanations print them (cents only when there are some).
    env.add_filter("money", |amount: f64, currency: String| {
        crate::money::label(amount, &currency)
    });
    env.add_function(
        "relaxed_question",
        |state: &minijinja::State, question: String| -> bool {
            state
                .lookup("relaxed_ids")
                .and_then(|ids| {
                    ids.try_iter()
                        .ok()
                        .map(|mut it| it.any(|id| id.as_str() == Some(&question)))
                })
                .unwrap_or(false)
        },
    );
}
