//! Coverage: which questions, options and edges of each finder the cases exercised, and which they did not.
//!
//! The protocol does not say which option a typed answer chose or which `next` rules were followed, so each case
//! is replayed through the pure engine beside the real conversation ([`Tracker`]): the same inputs, the same flow
//! file. A question counts when it was asked (or, for an `info` message, said); an option when an answer chose
//! it; an edge (a `next` rule's from → to) when the conversation followed it after an answer, a skip or the start.

use std::collections::{BTreeMap, BTreeSet};

use crate::conversation::{self, Answer, Effect, Input, Position, Session};
use crate::flow::{Flow, Kind, Node};

/// What one or more conversations exercised, by node id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Seen {
    pub questions: BTreeSet<String>,
    pub options: BTreeSet<(String, String)>,
    pub edges: BTreeSet<(String, String)>,
}

impl Seen {
    pub fn extend(&mut self, other: &Seen) {
        self.questions.extend(other.questions.iter().cloned());
        self.options.extend(other.options.iter().cloned());
        self.edges.extend(other.edges.iter().cloned());
    }
}

/// A shadow of one conversation in the pure engine, accounting what it exercises.
pub struct Tracker<'a> {
    flow: &'a Flow,
    session: Session,
    pub seen: Seen,
}

impl<'a> Tracker<'a> {
    pub fn new(flow: &'a Flow, locale: Option<&str>) -> Tracker<'a> {
        Tracker {
            flow,
            session: Session::new("scenario".into(), flow, locale, None),
            seen: Seen::default(),
        }
    }

    /// Applies `input` as the server would; returns the id of the question the engine asks now, if it asks one.
    pub fn apply(&mut self, input: Input) -> Option<String> {
        let flow = self.flow;
        let answers_before = self.session.answers.len();
        let starts = matches!(input, Input::Start | Input::Restart);
        let moves_on = matches!(input, Input::Answer(_) | Input::Skip);
        let (session, effects) = conversation::step(flow, self.session.clone(), input);
        self.session = session;
        if starts {
            self.walk(None, flow.start);
        } else if moves_on && self.session.answers.len() == answers_before + 1 {
            let answered = self.session.answers[answers_before].clone();
            match &answered.answer {
                Answer::Choice { value } => {
                    self.seen
                        .options
                        .insert((answered.question.clone(), value.clone()));
                }
                Answer::Choices { values } => {
                    for value in values {
                        self.seen
                            .options
                            .insert((answered.question.clone(), value.clone()));
                    }
                }
                _ => {}
            }
            if let Some(q) = flow.question(&answered.question) {
                let next = conversation::next_of(flow, &self.session, q);
                self.walk(Some(&q.id), next);
            }
        }
        for effect in &effects {
            if let Effect::Ask(prompt) = effect {
                self.seen.questions.insert(prompt.id.clone());
            }
        }
        match &self.session.at {
            Position::Asking(id) => Some(id.clone()),
            _ => None,
        }
    }

    /// Accounts the walk from `index` on (and the edge into it from `from`): edges followed, info messages said.
    fn walk(&mut self, from: Option<&str>, index: usize) {
        let flow = self.flow;
        let path = conversation::route(flow, &self.session, index);
        let mut previous = from.map(str::to_string);
        for &i in &path {
            let id = flow.node_id(i).to_string();
            if let Node::Question(q) = &flow.nodes[i]
                && q.kind == Kind::Info
                && q.ask_when
                    .as_ref()
                    .is_none_or(|c| conversation::holds(c, &self.session))
            {
                self.seen.questions.insert(id.clone());
            }
            if let Some(before) = previous {
                self.seen.edges.insert((before, id.clone()));
            }
            previous = Some(id);
        }
    }
}

/// One kind of thing to cover: how many there are and which were not exercised.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub total: usize,
    pub missing: Vec<String>,
}

impl Tally {
    pub fn covered(&self) -> usize {
        self.total - self.missing.len()
    }

    /// Per cent covered; 100 when there is nothing to cover.
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            100.0 * self.covered() as f64 / self.total as f64
        }
    }
}

/// The coverage of one finder.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowCoverage {
    pub flow: String,
    pub questions: Tally,
    pub options: Tally,
    pub edges: Tally,
}

impl FlowCoverage {
    /// The lowest of the three percentages: 100 only when everything was exercised.
    pub fn percent(&self) -> f64 {
        self.questions
            .percent()
            .min(self.options.percent())
            .min(self.edges.percent())
    }
}

/// What `seen` covers of `flow`: every question, every option (`question=value`), every edge (`from → to`).
pub fn measure(flow: &Flow, seen: &Seen) -> FlowCoverage {
    let mut questions = Tally::default();
    let mut options = Tally::default();
    for q in flow.questions() {
        questions.total += 1;
        if !seen.questions.contains(&q.id) {
            questions.missing.push(q.id.clone());
        }
        if matches!(q.kind, Kind::Range | Kind::Info) {
            continue;
        }
        for o in &q.options {
            options.total += 1;
            if !seen.options.contains(&(q.id.clone(), o.value.clone())) {
                options.missing.push(format!("{}={}", q.id, o.value));
            }
        }
    }
    let mut edges = Tally::default();
    for edge in flow.graph.edge_indices() {
        let Some((a, b)) = flow.graph.edge_endpoints(edge) else {
            continue;
        };
        let from = flow.node_id(flow.graph[a]).to_string();
        let to = flow.node_id(flow.graph[b]).to_string();
        edges.total += 1;
        if !seen.edges.contains(&(from.clone(), to.clone())) {
            edges.missing.push(format!("{from} → {to}"));
        }
    }
    FlowCoverage {
        flow: flow.id.clone(),
        questions,
        options,
        edges,
    }
}

/// The coverage of every finder that `seen` (by flow id) or the cases touched, in id order.
pub fn measure_all(flows: &crate::flow::Flows, seen: &BTreeMap<String, Seen>) -> Vec<FlowCoverage> {
    let empty = Seen::default();
    flows
        .iter()
        .map(|flow| measure(flow, seen.get(&flow.id).unwrap_or(&empty)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Reply;

    const FLOW: &str = r#"
id: t
title: T
questions:
  - id: a
    kind: single
    text: A?
    options: [{value: x, synonyms: [ex]}, {value: y}]
    next:
      - when: {answer: a, eq: x}
        goto: b
      - goto: tip
  - id: b
    kind: yes_no
    text: B?
    next: tip
  - id: tip
    kind: info
    text: A tip.
    next: c
  - id: c
    kind: range
    text: C?
    range: {min: 0, max: 10}
    skippable: true
    next: done
results:
  - id: done
"#;

    #[test]
    fn typed_answers_count_for_their_option_and_walks_for_their_edges() {
        let (flow, problems) = crate::flow::compile(std::path::Path::new("t.yaml"), FLOW);
        let flow = flow.unwrap_or_else(|| panic!("{problems:?}"));
        let mut tracker = Tracker::new(&flow, None);
        assert_eq!(tracker.apply(Input::Start).as_deref(), Some("a"));
        assert_eq!(
            tracker
                .apply(Input::Answer(Reply::Text("EX".into())))
                .as_deref(),
            Some("b")
        );
        assert_eq!(
            tracker.apply(Input::Skip).as_deref(),
            Some("b"),
            "b cannot be skipped"
        );
        assert_eq!(
            tracker
                .apply(Input::Answer(Reply::Value("yes".into())))
                .as_deref(),
            Some("c")
        );
        assert_eq!(tracker.apply(Input::Skip), None, "the results are shown");

        let coverage = measure(&flow, &tracker.seen);
        assert_eq!(
            coverage.questions,
            Tally {
                total: 4,
                missing: vec![]
            }
        );
        assert_eq!(
            coverage.options,
            Tally {
                total: 4,
                missing: vec!["a=y".into(), "b=no".into()]
            }
        );
        assert_eq!(
            coverage.edges,
            Tally {
                total: 5,
                missing: vec!["a → tip".into()]
            }
        );
        assert_eq!(coverage.edges.percent(), 80.0);
        assert_eq!(coverage.percent(), 50.0);
    }
}
