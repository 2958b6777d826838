//! The catalog-aware check: every answer path of a finder, run against the indexed catalog before it goes live.
//!
//! The walk drives the real conversation engine ([`conversation::step`]) with every answer a shopper can give —
//! each option, each combination a multi-choice allows, each bucket of a range, a skip where allowed, other text
//! where a text question searches — so branching, `ask_when` and fast paths follow exactly the runtime rules.
//! Work is shared across prefixes: each answer's filter is a bitset over the index computed once, and a path's
//! products are its prefix's products intersected with its last answer's. A path with fewer exact products than the
//! threshold is then run through the real matcher ([`Catalog::find`], relaxation included), so what the check
//! reports is what the shopper sees: nothing (an error), or N picks with these answers loosened, or only N picks
//! (warnings).

mod cause;
pub mod picture;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use fixedbitset::FixedBitSet;

pub use cause::Cause;
use cause::Step;

use crate::catalog::{Catalog, IndexError};
use crate::conversation::{self, Effect, Input, Position, Reply, Session};
use crate::flow::{Flow, Kind, Question};

/// Paths past this many are not walked (a finder that large needs splitting anyway).
const MAX_PATHS: usize = 2_000_000;

/// One answer path: how many products meet every answer, and what the shopper is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct PathOutcome {
    /// `question: answer` for each answer on the path.
    pub answers: Vec<String>,
    pub result: String,
    /// Products that meet every answer.
    pub products: usize,
    /// Picks the shopper sees, after relaxation.
    pub shown: usize,
    /// The loosened answers some shown pick misses, as the shopper reads them.
    pub relaxed: Vec<String>,
    /// The smallest cause: the fewest answers of the path that already leave too few products (for an error, the
    /// answers that may not be loosened and leave none), in path order. Empty when the scope alone does.
    pub cause: Vec<String>,
    /// Products the cause's answers leave.
    pub cause_products: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Audit {
    pub flow: String,
    pub paths: usize,
    /// Paths that show the shopper nothing, even after relaxation: errors.
    pub empty: Vec<PathOutcome>,
    /// Paths with fewer exact products than `thin_below` that still show something (loosened picks, or fewer):
    /// warnings.
    pub thin: Vec<PathOutcome>,
    /// Paths with fewer exact products than this are *thin*; `None`: fewer than their result's `min`, that is,
    /// exactly the paths where relaxation runs.
    pub thin_below: Option<usize>,
    /// The walk stopped at [`MAX_PATHS`].
    pub truncated: bool,
    /// Every edge a shopper can take, `(from question, answer, to node)`, with the fewest and most products that
    /// meet every answer so far on the paths through it: what [`picture`] draws.
    pub edges: BTreeMap<Edge, (usize, usize)>,
    /// The edges whose answer is part of an error's cause on some path through them: answers that, together,
    /// leave the shopper nothing even after relaxation ([`picture`] draws them red).
    pub dead: BTreeSet<Edge>,
}

/// An edge of the finder a shopper can take: `(from question, answer, to node)`.
pub type Edge = (String, String, String);

struct Walker<'a> {
    flow: &'a Flow,
    catalog: &'a Catalog,
    wants: HashMap<String, Arc<FixedBitSet>>,
    /// The finder's scope (and stock) as a set: where every path starts.
    base: FixedBitSet,
    audit: Audit,
    /// The edge each answer of the current path took (`None`: it led nowhere to draw), beside the steps.
    trail: Vec<Option<Edge>>,
    progress: &'a mut dyn FnMut(usize),
}

/// Walks every answer path of `flow` against `catalog`; calls `progress` with the paths done so far now and then.
pub fn audit(
    flow: &Flow,
    catalog: &Catalog,
    thin_below: Option<usize>,
    progress: &mut dyn FnMut(usize),
) -> Result<Audit, IndexError> {
    let base = catalog.bits_for(&flow.scope, flow.in_stock_only)?;
    let mut walker = Walker {
        flow,
        catalog,
        wants: HashMap::new(),
        base: base.clone(),
        audit: Audit {
            flow: flow.id.clone(),
            thin_below,
            ..Audit::default()
        },
        trail: Vec::new(),
        progress,
    };
    let session = Session::new("audit".into(), flow, None, None);
    let (session, effects) = conversation::step(flow, session, Input::Start);
    let mut steps = Vec::new();
    walker.visit(session, &effects, &base, &mut steps, 0)?;
    (walker.progress)(walker.audit.paths);
    Ok(walker.audit)
}

impl Walker<'_> {
    fn visit(
        &mut self,
        session: Session,
        effects: &[Effect],
        products: &FixedBitSet,
        steps: &mut Vec<Step>,
        depth: usize,
    ) -> Result<(), IndexError> {
        if self.audit.truncated {
            return Ok(());
        }
        if self.audit.paths >= MAX_PATHS {
            self.audit.truncated = true;
            return Ok(());
        }
        if let Some((result, request)) = effects.iter().find_map(|e| match e {
            Effect::Search { result, request } => Some((result.clone(), request)),
            _ => None,
        }) {
            self.audit.paths += 1;
            if self.audit.paths.is_multiple_of(5_000) {
                (self.progress)(self.audit.paths);
            }
            let count = products.count_ones(..);
            let thin_below = self.audit.thin_below.unwrap_or(request.min.max(1));
            if count < thin_below {
                // Only thin paths pay for a whole match: what the shopper sees once relaxation has run.
                let shown = self.catalog.find(request)?;
                let (cause, cause_products) = if shown.hits.is_empty() {
                    cause::smallest(&self.base, steps, |s| !s.relaxable, 1)
                } else {
                    cause::smallest(&self.base, steps, |_| true, thin_below)
                };
                let outcome = PathOutcome {
                    answers: steps.iter().map(|s| s.label.clone()).collect(),
                    result,
                    products: count,
                    shown: shown.hits.len(),
                    relaxed: shown.relaxed.into_iter().map(|r| r.label).collect(),
                    cause,
                    cause_products,
                };
                if outcome.shown == 0 {
                    self.mark_dead(steps, &outcome.cause);
                    self.audit.empty.push(outcome)
                } else {
                    self.audit.thin.push(outcome)
                }
            }
            return Ok(());
        }
        let Position::Asking(id) = &session.at else {
            return Ok(());
        };
        // A walk longer than twice the graph is going round a loop; its paths are counted by their first lap.
        if depth > self.flow.nodes.len() * 2 {
            return Ok(());
        }
        let Some(question) = self.flow.question(id) else {
            return Ok(());
        };
        for (input, label) in inputs(question, &session.locale, self.flow.default_locale()) {
            let (next, effects) = conversation::step(self.flow, session.clone(), input);
            if next.answers.len() == session.answers.len() {
                continue; // not taken as an answer
            }
            let bits = self.want_bits(&next, &question.id)?;
            let narrowed = match &bits {
                Some(bits) => {
                    let mut set = products.clone();
                    set.intersect_with(bits);
                    set
                }
                None => products.clone(),
            };
            let to = effects
                .iter()
                .find_map(|e| match e {
                    Effect::Search { result, .. } => Some(result.clone()),
                    _ => None,
                })
                .or_else(|| match &next.at {
                    Position::Asking(id) => Some(id.clone()),
                    _ => None,
                });
            let edge = to.map(|to| (question.id.clone(), label.clone(), to));
            if let Some(edge) = &edge {
                let left = narrowed.count_ones(..);
                let counts = self.audit.edges.entry(edge.clone()).or_insert((left, left));
                *counts = (counts.0.min(left), counts.1.max(left));
            }
            self.trail.push(edge);
            steps.push(Step {
                label: format!("{}: {label}", question.id),
                relaxable: self.flow.relax.contains(&question.id),
                bits,
            });
            self.visit(next, &effects, &narrowed, steps, depth + 1)?;
            steps.pop();
            self.trail.pop();
        }
        Ok(())
    }

    /// Marks the edges of the current path whose answers make up `cause`, the smallest cause of a path that shows
    /// nothing; the path's last edge when the scope alone is the cause.
    fn mark_dead(&mut self, steps: &[Step], cause: &[String]) {
        let mut marked = false;
        for (step, edge) in steps.iter().zip(&self.trail) {
            if let Some(edge) = edge
                && cause.contains(&step.label)
            {
                self.audit.dead.insert(edge.clone());
                marked = true;
            }
        }
        if !marked && let Some(Some(last)) = self.trail.last() {
            self.audit.dead.insert(last.clone());
        }
    }

    /// The products the latest answer to `question` allows (`None`: it filters nothing).
    fn want_bits(
        &mut self,
        session: &Session,
        question: &str,
    ) -> Result<Option<Arc<FixedBitSet>>, IndexError> {
        let request = conversation::request(self.flow, session, 1, 1);
        let Some(want) = request.wants.iter().rev().find(|w| w.question == question) else {
            return Ok(None);
        };
        if want.any_of.is_empty() {
            return Ok(None);
        }
        let key = format!("{:?}", want.any_of);
        if let Some(cached) = self.wants.get(&key) {
            return Ok(Some(Arc::clone(cached)));
        }
        let bits = Arc::new(self.catalog.any_of_set(&want.any_of)?);
        self.wants.insert(key, Arc::clone(&bits));
        Ok(Some(bits))
    }
}

/// Every answer a shopper can give to `q`, with how it reads.
pub(crate) fn inputs(q: &Question, locale: &str, fallback: &str) -> Vec<(Input, String)> {
    let mut out = Vec::new();
    match q.kind {
        Kind::Single | Kind::YesNo | Kind::Text => {
            for option in &q.options {
                out.push((
                    Input::Answer(Reply::Value(option.value.clone())),
                    option.label(locale, fallback).to_string(),
                ));
            }
            if q.kind == Kind::Text && q.search {
                out.push((
                    Input::Answer(Reply::Text("…".into())),
                    "(other words)".into(),
                ));
            }
        }
        Kind::Multi => {
            let (min, max) = q.select.unwrap_or((1, q.options.len()));
            let n = q.options.len().min(16);
            for mask in 1u32..(1 << n) {
                let size = mask.count_ones() as usize;
                if size < min || size > max {
                    continue;
                }
                let chosen: Vec<_> = (0..n)
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| &q.options[i])
                    .collect();
                let values = chosen.iter().map(|o| o.value.clone()).collect();
                let label = chosen
                    .iter()
                    .map(|o| o.label(locale, fallback))
                    .collect::<Vec<_>>()
                    .join(" + ");
                out.push((Input::Answer(Reply::Values(values)), label));
            }
        }
        Kind::Range => {
            if let Some(range) = &q.range {
                let mut cuts = vec![range.min];
                cuts.extend(range.buckets.iter().copied());
                cuts.push(range.max);
                for pair in cuts.windows(2) {
                    // As the widget sends it: the slider's own ends are no bound.
                    let reply = Reply::Range {
                        min: (pair[0] > range.min).then_some(pair[0]),
                        max: (pair[1] < range.max).then_some(pair[1]),
                    };
                    let unit = range.unit.as_deref();
                    let label = conversation::range_label(
                        (pair[0] > range.min).then_some(pair[0]),
                        (pair[1] < range.max).then_some(pair[1]),
                        unit,
                        locale,
                    );
                    out.push((Input::Answer(reply), label));
                }
            }
        }
        Kind::Info => {}
    }
    if q.skippable {
        out.push((Input::Skip, "(skipped)".into()));
    }
    out
}
