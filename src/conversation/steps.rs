//! How many questions are still to come on the path this shopper is taking: the "of 5" in "Step 2 of 5".
//!
//! The flow's own figure ([`Flow::remaining`]) is the longest path in the graph, which can count questions no
//! shopper meets on one path: running-shoes asks `waterproof` only on trail and `race` only on road or track, yet
//! the longest graph path holds both. Here the walk follows the `next` rules and `ask_when` conditions with the
//! answers given so far, and where a condition depends on a question still to come, it tries each option of that
//! question (and skipping it, if allowed), so the count is the most questions any real path from here asks.
//! Conditions on answers that cannot be enumerated (multi-choice, ranges, text) count as maybe: the larger branch
//! is taken. The walk is bounded ([`BUDGET`] node visits); a flow too branchy for it gets the graph's figure.

use super::{Answer, Answered, Session, holds};
use crate::flow::{Condition, Flow, Kind, Node};

/// Node visits one count may take: far more than the shipped finders need (tens), far less than a turn's budget.
const BUDGET: usize = 4096;

/// The most questions (the one at `index` included) a shopper meets from `index` on, given `session`'s answers.
pub fn remaining(flow: &Flow, session: &Session, index: usize) -> usize {
    let mut walk = Walk {
        flow,
        budget: BUDGET,
        on_path: vec![false; flow.nodes.len()],
    };
    let mut known = session.clone();
    walk.visit(index, &mut known)
        .unwrap_or_else(|| flow.remaining(index))
}

struct Walk<'a> {
    flow: &'a Flow,
    budget: usize,
    on_path: Vec<bool>,
}

impl Walk<'_> {
    /// Questions from `index` on under the answers in `known` (which the walk extends and restores); `None` when
    /// the budget ran out.
    fn visit(&mut self, index: usize, known: &mut Session) -> Option<usize> {
        self.budget = self.budget.checked_sub(1)?;
        if self.on_path[index] {
            return Some(0);
        }
        let Node::Question(q) = &self.flow.nodes[index] else {
            return Some(0);
        };
        self.on_path[index] = true;
        let asked = q.kind != Kind::Info
            && q.ask_when
                .as_ref()
                .is_none_or(|c| decide(c, known) != Some(false));
        let unanswered = known.answer(&q.id).is_none();
        let best = if asked && unanswered && self.decides_later(&q.id) {
            // Try every answer the shopper could give, as later conditions see it.
            let mut answers: Vec<Answer> = q
                .options
                .iter()
                .map(|o| Answer::Choice {
                    value: o.value.clone(),
                })
                .collect();
            if answers.is_empty() || !matches!(q.kind, Kind::Single | Kind::YesNo) {
                answers = vec![Answer::Text {
                    text: String::new(),
                }];
            }
            if q.skippable {
                answers.push(Answer::Skipped);
            }
            let mut best = 0;
            for answer in answers {
                let unknown = matches!(&answer, Answer::Text { text } if text.is_empty());
                if !unknown {
                    known.answers.push(Answered {
                        question: q.id.clone(),
                        answer,
                    });
                }
                let here = self.next(q, known);
                if !unknown {
                    known.answers.pop();
                }
                best = best.max(here?);
            }
            best
        } else {
            if !asked && unanswered {
                // Passed over: later conditions on it see no answer, as the engine's do.
                known.answers.push(Answered {
                    question: q.id.clone(),
                    answer: Answer::Skipped,
                });
            }
            let here = self.next(q, known);
            if !asked && unanswered {
                known.answers.pop();
            }
            here?
        };
        self.on_path[index] = false;
        Some(usize::from(asked) + best)
    }

    /// The most questions after `q`: the first rule that surely holds, and every rule before it that may.
    fn next(&mut self, q: &crate::flow::Question, known: &mut Session) -> Option<usize> {
        let mut best = 0;
        for rule in &q.next {
            let verdict = rule.when.as_ref().map_or(Some(true), |c| decide(c, known));
            if verdict == Some(false) {
                continue;
            }
            best = best.max(self.visit(rule.goto, known)?);
            if verdict == Some(true) {
                break;
            }
        }
        Some(best)
    }

    /// Does any condition of the flow test this question's answer?
    fn decides_later(&self, question: &str) -> bool {
        self.flow.nodes.iter().any(|node| match node {
            Node::Question(q) => {
                q.ask_when.as_ref().is_some_and(|c| mentions(c, question))
                    || q.next
                        .iter()
                        .any(|r| r.when.as_ref().is_some_and(|c| mentions(c, question)))
            }
            Node::Results(_) => false,
        })
    }
}

fn mentions(condition: &Condition, question: &str) -> bool {
    match condition {
        Condition::All(parts) | Condition::Any(parts) => {
            parts.iter().any(|c| mentions(c, question))
        }
        Condition::Not(inner) => mentions(inner, question),
        Condition::Answered(q) | Condition::Test { question: q, .. } => q == question,
        Condition::Segment(_) => false,
    }
}

/// [`holds`], three-valued: `None` when the condition depends on a question with no answer yet.
fn decide(condition: &Condition, known: &Session) -> Option<bool> {
    match condition {
        Condition::All(parts) => parts
            .iter()
            .try_fold(Some(true), |acc, c| match decide(c, known) {
                Some(false) => Err(()),
                Some(true) => Ok(acc),
                None => Ok(None),
            })
            .unwrap_or(Some(false)),
        Condition::Any(parts) => parts
            .iter()
            .try_fold(Some(false), |acc, c| match decide(c, known) {
                Some(true) => Err(()),
                Some(false) => Ok(acc),
                None => Ok(None),
            })
            .unwrap_or(Some(true)),
        Condition::Not(inner) => decide(inner, known).map(|v| !v),
        // Known from the start of the conversation.
        Condition::Segment(_) => Some(holds(condition, known)),
        Condition::Answered(q) | Condition::Test { question: q, .. } => {
            known.answer(q).map(|_| holds(condition, known))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Effect, Input, Reply, Session, step};
    use crate::flow::{Flow, Flows, Kind};

    /// Answers every question with its `pick`-th option (the middle of a range, the first value of a multi) and
    /// returns each prompt's (id, step, steps).
    fn walk(flow: &Flow, pick: usize) -> Vec<(String, usize, usize)> {
        let mut session = Session::new("s".into(), flow, Some("en"), None);
        let mut input = Input::Start;
        let mut seen = Vec::new();
        for _ in 0..30 {
            let (next, effects) = step(flow, session, input);
            session = next;
            let Some(prompt) = effects.iter().find_map(|e| match e {
                Effect::Ask(p) => Some(p.clone()),
                _ => None,
            }) else {
                return seen;
            };
            seen.push((prompt.id.clone(), prompt.step, prompt.steps));
            let option = |i: usize| {
                prompt.options[i.min(prompt.options.len() - 1)]
                    .value
                    .clone()
            };
            input = match prompt.kind {
                Kind::Range => {
                    let r = prompt.range.clone().expect("a range question has a range");
                    Input::Answer(Reply::Range {
                        min: None,
                        max: Some((r.min + r.max) / 2.0),
                    })
                }
                Kind::Multi => Input::Answer(Reply::Values(vec![option(pick)])),
                Kind::Text | Kind::Info if prompt.options.is_empty() => Input::Skip,
                _ => Input::Answer(Reply::Value(option(pick))),
            };
        }
        panic!("{}: no result after 30 answers", flow.id);
    }

    #[test]
    fn the_count_is_right_for_the_path_taken() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
        let (flows, _) = Flows::load_dir(&dir).expect("the shipped flows load");
        for flow in flows.iter() {
            for pick in 0..4 {
                let seen = walk(flow, pick);
                let asked = seen.len();
                let path: Vec<String> = seen
                    .iter()
                    .map(|(id, n, m)| format!("{id} {n}/{m}"))
                    .collect();
                // never fewer than this path asks, and the last question is "n of n"
                assert!(
                    seen.iter().all(|(_, _, m)| *m >= asked),
                    "{} {path:?}",
                    flow.id
                );
                assert_eq!(
                    seen.last().map(|(_, n, m)| (*n, *m)),
                    Some((asked, asked)),
                    "{} {path:?}",
                    flow.id
                );
            }
        }
        // running-shoes asks `waterproof` only on trail and `race` only on road: five questions either way
        let shoes = flows.get("running-shoes").expect("running-shoes");
        for pick in 0..3 {
            assert!(
                walk(shoes, pick).iter().all(|(_, _, m)| *m == 5),
                "{:?}",
                walk(shoes, pick)
            );
        }
    }
}
