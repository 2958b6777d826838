//! Where a conversation goes next: the rules of a question, the conditions on answers, and the walk past questions
//! that are not asked.

use super::{Answer, Session};
use crate::flow::{Condition, Flow, Kind, Node, Question, Test};

/// The nodes a conversation passes through from `index` on: questions whose `ask_when` fails and info messages,
/// then the question to ask or the result it stops at (last). Bounded by the number of nodes: a flow cannot make it
/// loop; when the walk does not stop within that bound, the last node is one it would pass over.
pub fn route(flow: &Flow, session: &Session, mut index: usize) -> Vec<usize> {
    let mut path = Vec::new();
    for _ in 0..=flow.nodes.len() {
        path.push(index);
        match &flow.nodes[index] {
            Node::Question(q) if passes_over(q, session) => index = next_of(flow, session, q),
            _ => break,
        }
    }
    path
}

/// Whether the walk goes past `q` without asking it: its `ask_when` fails, or it is an info message.
pub(super) fn passes_over(q: &Question, session: &Session) -> bool {
    q.kind == Kind::Info || q.ask_when.as_ref().is_some_and(|c| !holds(c, session))
}

/// The node the rules of `q` lead to now (the first rule whose `when` holds).
pub fn next_of(flow: &Flow, session: &Session, q: &Question) -> usize {
    q.next
        .iter()
        .find(|rule| rule.when.as_ref().is_none_or(|c| holds(c, session)))
        .map_or(flow.start, |rule| rule.goto)
}

/// Whether `condition` holds for the session's answers. A test on an unanswered or skipped question never holds.
pub fn holds(condition: &Condition, session: &Session) -> bool {
    match condition {
        Condition::All(parts) => parts.iter().all(|c| holds(c, session)),
        Condition::Any(parts) => parts.iter().any(|c| holds(c, session)),
        Condition::Not(inner) => !holds(inner, session),
        Condition::Answered(q) => session.answer(q).is_some_and(|a| *a != Answer::Skipped),
        Condition::Segment(name) => session.segments.iter().any(|s| s == name),
        Condition::Test { question, test } => {
            let Some(answer) = session.answer(question) else {
                return false;
            };
            let values: Vec<&str> = match answer {
                Answer::Choice { value } => vec![value],
                Answer::Choices { values } => values.iter().map(String::as_str).collect(),
                Answer::Text { text } => vec![text],
                Answer::Range { .. } | Answer::Skipped => vec![],
            };
            let number = match answer {
                Answer::Range { min, max } => max.or(*min),
                _ => None,
            };
            match test {
                Test::Eq(v) | Test::Contains(v) => values.contains(&v.as_str()),
                Test::Ne(v) => !values.is_empty() && !values.contains(&v.as_str()),
                Test::In(list) => values.iter().any(|v| list.iter().any(|l| l == v)),
                Test::Lt(x) => number.is_some_and(|n| n < *x),
                Test::Lte(x) => number.is_some_and(|n| n <= *x),
                Test::Gt(x) => number.is_some_and(|n| n > *x),
                Test::Gte(x) => number.is_some_and(|n| n >= *x),
            }
        }
    }
}
