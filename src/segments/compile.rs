//! `segments.yaml` as written (serde types with locations) and its check against the finders served with it:
//! every problem at once, each with file, line and column and the fix. A file with errors is never served.

use std::collections::HashSet;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

mod answer;

use super::{Device, Rule, Segment, Segments, Visitor};
use crate::email::triggers::parse_duration;
use crate::flow::spec::ScalarSpec;
use crate::flow::{Flows, Problem, Severity, Text, yaml_cause};
use crate::shop_events::Kind as EventKind;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    segments: Vec<SegmentSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentSpec {
    name: Spanned<String>,
    when: Spanned<CondSpec>,
    opener: Option<Text>,
}

/// One condition: exactly one of its forms (docs/segments.md).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CondSpec {
    all: Option<Vec<Spanned<CondSpec>>>,
    any: Option<Vec<Spanned<CondSpec>>>,
    not: Option<Box<Spanned<CondSpec>>>,
    visitor: Option<String>,
    signed_in: Option<bool>,
    /// With `answer` or `answered`: the finder asked.
    finder: Option<String>,
    answer: Option<String>,
    answered: Option<String>,
    eq: Option<ScalarSpec>,
    ne: Option<ScalarSpec>,
    #[serde(rename = "in")]
    in_: Option<Vec<ScalarSpec>>,
    contains: Option<ScalarSpec>,
    lt: Option<f64>,
    lte: Option<f64>,
    gt: Option<f64>,
    gte: Option<f64>,
    event: Option<String>,
    at_least: Option<u32>,
    within: Option<Spanned<String>>,
    seen_within: Option<Spanned<String>>,
    visits: Option<u32>,
    device: Option<String>,
    referrer: Option<String>,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
}

const FORMS: &str = "all, any, not, visitor, signed_in, answer, answered, event, seen_within, visits, device, referrer, utm_source, utm_medium, utm_campaign";

struct Check<'a> {
    file: &'a str,
    flows: &'a Flows,
    problems: Vec<Problem>,
}

fn scalar_text(value: &ScalarSpec) -> String {
    match value {
        ScalarSpec::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        ScalarSpec::Number(n) => crate::catalog::format_number(*n),
        ScalarSpec::Text(t) => t.clone(),
    }
}

impl Check<'_> {
    fn error(&mut self, at: Location, message: String) {
        self.problems
            .push(Problem::located(self.file, at, Severity::Error, message));
    }

    fn duration(&mut self, text: &Spanned<String>) -> Option<u64> {
        let seconds = parse_duration(&text.value).filter(|s| *s > 0);
        if seconds.is_none() {
            self.error(
                text.referenced,
                format!(
                    "`{}` is no duration; write it as 30m, 12h or 7d",
                    text.value
                ),
            );
        }
        seconds
    }

    fn rule(&mut self, spec: &Spanned<CondSpec>) -> Option<Rule> {
        let (c, at) = (&spec.value, spec.referenced);
        let forms = [
            c.all.is_some(),
            c.any.is_some(),
            c.not.is_some(),
            c.visitor.is_some(),
            c.signed_in.is_some(),
            c.answer.is_some(),
            c.answered.is_some(),
            c.event.is_some(),
            c.seen_within.is_some(),
            c.visits.is_some(),
            c.device.is_some(),
            c.referrer.is_some(),
            c.utm_source.is_some(),
            c.utm_medium.is_some(),
            c.utm_campaign.is_some(),
        ];
        if forms.iter().filter(|f| **f).count() != 1 {
            self.error(
                at,
                format!("a condition needs exactly one of {FORMS}; combine several with `all:` or `any:`"),
            );
            return None;
        }
        let tests = [
            c.eq.is_some(),
            c.ne.is_some(),
            c.in_.is_some(),
            c.contains.is_some(),
            c.lt.is_some(),
            c.lte.is_some(),
            c.gt.is_some(),
            c.gte.is_some(),
        ];
        let n_tests = tests.iter().filter(|t| **t).count();
        let answering = c.answer.is_some() || c.answered.is_some();
        if !answering && (c.finder.is_some() || n_tests > 0) {
            self.error(at, "`finder:` and the tests (eq, ne, in, contains, lt, lte, gt, gte) belong to an `answer:` condition".into());
            return None;
        }
        if c.event.is_none() && c.at_least.is_some() {
            self.error(at, "`at_least:` belongs to an `event:` condition".into());
            return None;
        }
        if !answering && c.event.is_none() && c.within.is_some() {
            self.error(
                at,
                "`within:` belongs to an `answer:`, `answered:` or `event:` condition".into(),
            );
            return None;
        }
        let within = match &c.within {
            Some(w) => Some(self.duration(w)?),
            None => None,
        };
        let parts = |check: &mut Self, list: &[Spanned<CondSpec>]| -> Option<Vec<Rule>> {
            if list.is_empty() {
                check.error(
                    at,
                    "an empty `all:` or `any:` list; give it conditions".into(),
                );
            }
            let rules: Vec<Option<Rule>> = list.iter().map(|c| check.rule(c)).collect();
            rules.into_iter().collect()
        };
        if let Some(list) = &c.all {
            return parts(self, list).map(Rule::All);
        }
        if let Some(list) = &c.any {
            return parts(self, list).map(Rule::Any);
        }
        if let Some(inner) = &c.not {
            return self.rule(inner).map(|r| Rule::Not(Box::new(r)));
        }
        if let Some(visitor) = &c.visitor {
            return match visitor.as_str() {
                "new" => Some(Rule::Visitor(Visitor::New)),
                "returning" => Some(Rule::Visitor(Visitor::Returning)),
                "customer" => Some(Rule::Visitor(Visitor::Customer)),
                other => {
                    self.error(
                        at,
                        format!("`visitor: {other}` is unknown; use new, returning or customer"),
                    );
                    None
                }
            };
        }
        if let Some(signed_in) = c.signed_in {
            return Some(Rule::SignedIn(signed_in));
        }
        if answering {
            return self.answer(c, at, n_tests, within);
        }
        if let Some(event) = &c.event {
            let Some(kind) = EventKind::ALL.into_iter().find(|k| k.name() == event) else {
                let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
                self.error(
                    at,
                    format!(
                        "`event: {event}` is unknown; use one of {}",
                        names.join(", ")
                    ),
                );
                return None;
            };
            let at_least = c.at_least.unwrap_or(1);
            if at_least == 0 {
                self.error(
                    at,
                    "`at_least: 0` always holds; write 1 or more, or drop the condition".into(),
                );
                return None;
            }
            return Some(Rule::Event {
                kind,
                at_least,
                within,
            });
        }
        if let Some(seen) = &c.seen_within {
            return self.duration(seen).map(Rule::SeenWithin);
        }
        if let Some(visits) = c.visits {
            if visits == 0 {
                self.error(at, "`visits: 0` always holds; write 1 or more".into());
                return None;
            }
            return Some(Rule::Visits(visits));
        }
        if let Some(device) = &c.device {
            let parsed = Device::parse(device);
            if parsed.is_none() {
                self.error(
                    at,
                    format!(
                        "`device: {device}` is unknown; use one of {}",
                        Device::NAMES.join(", ")
                    ),
                );
            }
            return parsed.map(Rule::Device);
        }
        if let Some(referrer) = &c.referrer {
            let host = super::referrer_host(referrer);
            if host.is_none() {
                self.error(
                    at,
                    "`referrer:` needs a host such as google.com".to_string(),
                );
            }
            return host.map(Rule::Referrer);
        }
        let (name, value) = [
            ("utm_source", &c.utm_source),
            ("utm_medium", &c.utm_medium),
            ("utm_campaign", &c.utm_campaign),
        ]
        .into_iter()
        .find_map(|(name, v)| v.as_ref().map(|v| (name, v)))?;
        if value.trim().is_empty() {
            self.error(at, format!("`{name}:` needs a value"));
            return None;
        }
        Some(Rule::Utm(name, crate::text::normalize(value.trim())))
    }
}

/// Compiles the segments file `file` (its text `source`) against the finders served with it. Segments come back
/// only when there is no problem; every problem is listed.
pub fn compile(file: &str, source: &str, flows: &Flows) -> (Option<Segments>, Vec<Problem>) {
    let mut check = Check {
        file,
        flows,
        problems: Vec::new(),
    };
    let blank = source.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    });
    let spec: FileSpec = if blank {
        FileSpec::default()
    } else {
        match serde_saphyr::from_str(source) {
            Ok(spec) => spec,
            Err(error) => {
                let (at, cause) = yaml_cause(&error);
                check.error(
                    at,
                    format!("{cause}; the file holds `segments:`, a list of {{name, when, opener}}, see docs/segments.md"),
                );
                return (None, check.problems);
            }
        }
    };
    let mut segments = Segments::default();
    let mut names = HashSet::new();
    for spec in &spec.segments {
        let name = &spec.name.value;
        let well_formed = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !well_formed {
            check.error(
                spec.name.referenced,
                format!("segment name `{name}` must be 1–64 lowercase letters, digits, `-` or `_`; rename it"),
            );
        } else if !names.insert(name.clone()) {
            check.error(
                spec.name.referenced,
                format!("segment `{name}` is defined twice; rename or merge one"),
            );
        }
        if let Some(rule) = check.rule(&spec.when) {
            segments.list.push(Segment {
                name: name.clone(),
                rule,
                opener: spec.opener.clone(),
            });
        }
    }
    if check.problems.is_empty() {
        (Some(segments), check.problems)
    } else {
        (None, check.problems)
    }
}
