//! The answer conditions of `segments.yaml` (`{finder: F, answer: Q, eq: V}`, `{finder: F, answered: Q}`),
//! checked against the finder's question: the finder and question exist, the test suits the question's kind, and
//! a value compared with `eq`, `ne` or `in` is one of its options (a typed question's `contains` may hold any words).

use serde_saphyr::Location;

use super::{Check, CondSpec, scalar_text};
use crate::flow::{Kind, Test};
use crate::segments::Rule;

impl Check<'_> {
    /// An `answer:` (with one test) or `answered:` condition, checked against the finder's questions.
    pub(super) fn answer(
        &mut self,
        c: &CondSpec,
        at: Location,
        n_tests: usize,
        within: Option<u64>,
    ) -> Option<Rule> {
        let Some(flow_id) = &c.finder else {
            self.error(
                at,
                "an answer condition needs `finder:`, the id of the finder that asks the question"
                    .into(),
            );
            return None;
        };
        let Some(flow) = self.flows.get(flow_id) else {
            let known: Vec<&str> = self.flows.iter().map(|f| f.id.as_str()).collect();
            self.error(
                at,
                format!(
                    "`finder: {flow_id}` is not served; use one of {}",
                    if known.is_empty() {
                        "the finders in the flows folder".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            );
            return None;
        };
        let question_id = c.answer.as_ref().or(c.answered.as_ref())?;
        let Some(question) = flow.question(question_id) else {
            let ids: Vec<&str> = flow
                .nodes
                .iter()
                .filter_map(|n| match n {
                    crate::flow::Node::Question(q) if q.kind != Kind::Info => Some(q.id.as_str()),
                    _ => None,
                })
                .collect();
            self.error(
                at,
                format!(
                    "finder `{flow_id}` has no question `{question_id}`; use one of {}",
                    ids.join(", ")
                ),
            );
            return None;
        };
        let base = |test| Rule::Answer {
            flow: flow_id.clone(),
            question: question_id.clone(),
            test,
            within,
        };
        if c.answered.is_some() {
            if n_tests > 0 {
                self.error(at, format!("`answered: {question_id}` takes no test; write `answer: {question_id}` to compare the answer"));
                return None;
            }
            return Some(base(None));
        }
        if n_tests != 1 {
            self.error(at, format!("the condition on `{question_id}` needs exactly one test (eq, ne, in, contains, lt, lte, gt, gte)"));
            return None;
        }
        let numeric = c.lt.or(c.lte).or(c.gt).or(c.gte).is_some();
        if numeric != (question.kind == Kind::Range) {
            let fix = if numeric {
                "compare it with eq, ne, in or contains"
            } else {
                "compare it with lt, lte, gt or gte"
            };
            self.error(
                at,
                format!(
                    "`{question_id}` is a {} question; {fix}",
                    crate::flow::kind_name(question.kind)
                ),
            );
            return None;
        }
        let values: Vec<&str> = question.options.iter().map(|o| o.value.as_str()).collect();
        // A typed answer (a text question) may hold any words; otherwise the value must be an option.
        let check_value = |check: &mut Self, value: &str| {
            let typed = question.kind == Kind::Text && c.contains.is_some();
            let known = values
                .iter()
                .any(|v| crate::text::normalize(v) == crate::text::normalize(value));
            if !typed && !values.is_empty() && !known {
                check.error(
                    at,
                    format!("question `{question_id}` of finder `{flow_id}` has no option `{value}`; use one of {}", values.join(", ")),
                );
            }
        };
        let test = if let Some(v) = &c.eq {
            let v = scalar_text(v);
            check_value(self, &v);
            Test::Eq(v)
        } else if let Some(v) = &c.ne {
            let v = scalar_text(v);
            check_value(self, &v);
            Test::Ne(v)
        } else if let Some(v) = &c.contains {
            let v = scalar_text(v);
            check_value(self, &v);
            Test::Contains(v)
        } else if let Some(list) = &c.in_ {
            let list: Vec<String> = list.iter().map(scalar_text).collect();
            list.iter().for_each(|v| check_value(self, v));
            Test::In(list)
        } else if let Some(x) = c.lt {
            Test::Lt(x)
        } else if let Some(x) = c.lte {
            Test::Lte(x)
        } else if let Some(x) = c.gt {
            Test::Gt(x)
        } else {
            Test::Gte(c.gte?)
        };
        Some(base(Some(test)))
    }
}
