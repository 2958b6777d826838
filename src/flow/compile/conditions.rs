//! Conditions on earlier answers (`when`, `next` rules), checked against what each question can answer.

use super::*;

/// What the compiler knows of each question while checking conditions.
pub(super) struct QuestionInfo {
    pub(super) kind: Kind,
    pub(super) values: Vec<String>,
}

impl Ctx {
    pub(super) fn condition(
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
            spec.segment.is_some(),
        ];
        if forms.iter().filter(|f| **f).count() != 1 {
            self.error(
                at,
                "a condition needs exactly one of `answer`, `answered`, `segment`, `all`, `any`, `not`"
                    .into(),
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
        if let Some(name) = &spec.segment {
            // Checked against `segments.yaml` when the flows are served with it (`check_segments`).
            self.segment_refs.push(SegmentRef {
                file: self.file.clone(),
                name: name.clone(),
                line: at.line(),
                column: at.column(),
            });
            return Some(Condition::Segment(name.clone()));
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
