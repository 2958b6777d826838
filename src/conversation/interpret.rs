//! Reading a shopper's reply as an answer to the question asked: a button value, typed text matched to an option,
//! several choices, or a range typed or slid.

use super::parse::{self, match_option, parse_range};
use super::{Answer, Reply};
use crate::flow::{Kind, Question};

/// Reads a reply to `q`; `None` when it is not an answer to this question.
pub(super) fn interpret(q: &Question, reply: Reply) -> Option<Answer> {
    let known = |value: &str| q.options.iter().any(|c| c.value == value);
    match (q.kind, reply) {
        (Kind::Single | Kind::YesNo | Kind::Text, Reply::Value(v)) if known(&v) => {
            Some(Answer::Choice { value: v })
        }
        (Kind::Single | Kind::YesNo, Reply::Text(t)) => {
            match_option(q, &t).map(|c| Answer::Choice {
                value: c.value.clone(),
            })
        }
        (Kind::Text, Reply::Text(t) | Reply::Value(t)) => match match_option(q, &t) {
            Some(c) => Some(Answer::Choice {
                value: c.value.clone(),
            }),
            None if q.search && !t.trim().is_empty() => Some(Answer::Text {
                text: t.trim().to_string(),
            }),
            None => None,
        },
        (Kind::Multi, Reply::Values(values)) => {
            let (min, max) = q.select.unwrap_or((1, q.options.len()));
            let mut picked: Vec<String> = Vec::new();
            for v in values {
                if !known(&v) {
                    return None;
                }
                if !picked.contains(&v) {
                    picked.push(v);
                }
            }
            (picked.len() >= min && picked.len() <= max)
                .then_some(Answer::Choices { values: picked })
        }
        (Kind::Multi, Reply::Value(v)) => interpret(q, Reply::Values(vec![v])),
        (Kind::Multi, Reply::Text(t)) => {
            let values = parse::match_options(q, &t)
                .into_iter()
                .map(|c| c.value.clone())
                .collect();
            interpret(q, Reply::Values(values))
        }
        (Kind::Range, Reply::Range { min, max }) => range_answer(q, min, max),
        (Kind::Range, Reply::Text(t) | Reply::Value(t)) => {
            parse_range(&t).and_then(|(min, max)| range_answer(q, min, max))
        }
        _ => None,
    }
}

pub(super) fn range_answer(q: &Question, min: Option<f64>, max: Option<f64>) -> Option<Answer> {
    if min.is_none() && max.is_none() {
        return None;
    }
    if [min, max]
        .iter()
        .flatten()
        .any(|v| !v.is_finite() || *v < 0.0)
    {
        return None;
    }
    let (min, max) = match (min, max) {
        (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
        other => other,
    };
    // A bound the shopper gave is kept as given, even past the slider's ends: "under $5,000" on a slider that
    // stops at $2,000 is still a budget (the slider's ends only bound what the slider itself can send).
    q.range.as_ref()?;
    Some(Answer::Range { min, max })
}

/// Whether `email` has the shape of an address (`local@domain.tld`, no spaces, at most 254 characters); the
/// shopper is told to check it otherwise.
pub fn looks_like_email(email: &str) -> bool {
    let email = email.trim();
    if email.len() > 254 || email.contains(char::is_whitespace) || email.matches('@').count() != 1 {
        return false;
    }
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && domain.split('.').all(|part| !part.is_empty())
        }
        None => false,
    }
}
