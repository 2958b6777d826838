//! Segments: rule-based audiences the merchant writes in `segments.yaml` beside the flows folder (docs/segments.md).
//!
//! A segment is a name, a condition over what is known of a shopper — stored finder answers, shop events and how
//! recent they are, new / returning / customer, the device and the traffic source of this visit — and optionally an
//! opener the widget shows when a member starts a finder. Segments are used by email triggers (`segment: NAME`: send
//! only to members), by finders (a condition `{segment: NAME}`) and by the widget (the opener).
//!
//! Pure like the engine: no IO, not async. [`compile`] checks the file against the finders (every problem at once,
//! each with file, line and column and the fix); [`evaluate`] decides membership from [`Facts`] the server gathers
//! from the store. Key types: [`Segments`], [`Segment`], [`Rule`], [`Facts`].

mod compile;
#[cfg(test)]
mod tests;

pub use compile::compile;

use crate::conversation::Answer;
use crate::flow::{Test, Text};
use crate::shop_events::Kind as EventKind;

/// Activity further apart than this starts a new visit (the common web-analytics definition).
pub const VISIT_GAP: u64 = 30 * 60;

/// Every segment of a `segments.yaml`, in the order written; the default has none.
#[derive(Clone, Debug, Default)]
pub struct Segments {
    pub list: Vec<Segment>,
}

#[derive(Clone, Debug)]
pub struct Segment {
    pub name: String,
    pub rule: Rule,
    /// Shown (as text) when a member starts a finder; the first listed segment with an opener wins.
    pub opener: Option<Text>,
}

/// A checked condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    All(Vec<Rule>),
    Any(Vec<Rule>),
    Not(Box<Rule>),
    Visitor(Visitor),
    /// The shop signed the shopper's customer id (they are logged in to the shop).
    SignedIn(bool),
    /// An answer to `question` of finder `flow` given `within` seconds (any time when `None`); with `test: None`,
    /// any answer but a skip.
    Answer {
        flow: String,
        question: String,
        test: Option<Test>,
        within: Option<u64>,
    },
    /// At least `at_least` shop events of `kind` within the last `within` seconds (any time when `None`).
    Event {
        kind: EventKind,
        at_least: u32,
        within: Option<u64>,
    },
    /// Active within the last this many seconds.
    SeenWithin(u64),
    /// At least this many visits.
    Visits(u32),
    Device(Device),
    /// The referrer's host is this host or one of its subdomains.
    Referrer(String),
    /// `utm_source`, `utm_medium` or `utm_campaign` (the parameter's name) equals the value, ignoring case.
    Utm(&'static str, String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visitor {
    /// Nothing known from an earlier visit.
    New,
    /// Seen in an earlier visit.
    Returning,
    /// Bought at least once.
    Customer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Mobile,
    Tablet,
    Desktop,
}

impl Device {
    pub const NAMES: [&str; 3] = ["mobile", "tablet", "desktop"];

    pub fn parse(name: &str) -> Option<Device> {
        match name.trim().to_ascii_lowercase().as_str() {
            "mobile" => Some(Device::Mobile),
            "tablet" => Some(Device::Tablet),
            "desktop" => Some(Device::Desktop),
            _ => None,
        }
    }

    /// A rough reading of a User-Agent header: tablets first (an iPad says "Mobile" too), then phones.
    pub fn from_user_agent(agent: &str) -> Device {
        let agent = agent.to_ascii_lowercase();
        if agent.contains("ipad")
            || agent.contains("tablet")
            || (agent.contains("android") && !agent.contains("mobile"))
        {
            Device::Tablet
        } else if agent.contains("mobi") || agent.contains("iphone") || agent.contains("android") {
            Device::Mobile
        } else {
            Device::Desktop
        }
    }
}

/// Where this visit came from, as the embed passed it (all optional).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Source {
    /// The referring page's URL or host.
    pub referrer: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
}

/// One stored answer.
#[derive(Clone, Debug, PartialEq)]
pub struct AnswerFact {
    pub flow: String,
    pub question: String,
    pub answer: Answer,
    pub at: u64,
}

/// What is known of one shopper, gathered by the caller (the server reads the store, the connection and the
/// `start` message). Times are seconds since the epoch.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The newest answer per finder and question.
    pub answers: Vec<AnswerFact>,
    /// Shop events: kind and time.
    pub events: Vec<(EventKind, u64)>,
    /// When the shopper was active (answers, events, this visit), in any order.
    pub seen: Vec<u64>,
    /// The shop signed a customer id for them.
    pub signed_in: bool,
    /// This visit's device, when the shopper is on the site now.
    pub device: Option<Device>,
    /// This visit's traffic source, when the shopper is on the site now.
    pub source: Source,
}

impl Facts {
    /// How many visits `seen` makes: runs of activity with no gap over [`VISIT_GAP`].
    pub fn visits(&self) -> u32 {
        let mut times = self.seen.clone();
        times.sort_unstable();
        let mut visits = 0;
        let mut last: Option<u64> = None;
        for at in times {
            if last.is_none_or(|l| at.saturating_sub(l) > VISIT_GAP) {
                visits += 1;
            }
            last = Some(at);
        }
        visits
    }

    fn purchases(&self) -> usize {
        self.events
            .iter()
            .filter(|(kind, _)| *kind == EventKind::Purchased)
            .count()
    }
}

impl Segments {
    pub fn get(&self, name: &str) -> Option<&Segment> {
        self.list.iter().find(|s| s.name == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(|s| s.name.as_str()).collect()
    }

    /// The names of every segment the shopper belongs to, in the order written.
    pub fn members_of(&self, facts: &Facts, now: u64) -> Vec<String> {
        self.list
            .iter()
            .filter(|s| evaluate(s, facts, now))
            .map(|s| s.name.clone())
            .collect()
    }

    /// The opener of the first segment in `names` (in the file's order) that has one, in `locale`, and its
    /// segment's name.
    pub fn opener(&self, names: &[String], locale: &str) -> Option<(String, String)> {
        self.list
            .iter()
            .filter(|s| names.contains(&s.name))
            .find_map(|s| {
                let text = s.opener.as_ref()?.get(locale, "en");
                (!text.trim().is_empty()).then(|| (s.name.clone(), text.to_string()))
            })
    }
}

/// Whether the shopper of `facts` belongs to `segment` at `now`.
pub fn evaluate(segment: &Segment, facts: &Facts, now: u64) -> bool {
    holds(&segment.rule, facts, now)
}

fn recent(at: u64, within: Option<u64>, now: u64) -> bool {
    within.is_none_or(|w| at.saturating_add(w) >= now)
}

fn holds(rule: &Rule, facts: &Facts, now: u64) -> bool {
    match rule {
        Rule::All(parts) => parts.iter().all(|r| holds(r, facts, now)),
        Rule::Any(parts) => parts.iter().any(|r| holds(r, facts, now)),
        Rule::Not(inner) => !holds(inner, facts, now),
        Rule::Visitor(Visitor::Customer) => facts.purchases() > 0,
        Rule::Visitor(Visitor::Returning) => facts.visits() >= 2,
        Rule::Visitor(Visitor::New) => facts.visits() <= 1 && facts.purchases() == 0,
        Rule::SignedIn(wanted) => facts.signed_in == *wanted,
        Rule::Answer {
            flow,
            question,
            test,
            within,
        } => facts
            .answers
            .iter()
            .filter(|a| &a.flow == flow && &a.question == question)
            .filter(|a| recent(a.at, *within, now))
            .any(|a| match test {
                None => a.answer != Answer::Skipped,
                Some(test) => passes(&a.answer, test),
            }),
        Rule::Event {
            kind,
            at_least,
            within,
        } => {
            let n = facts
                .events
                .iter()
                .filter(|(k, at)| k == kind && recent(*at, *within, now))
                .count();
            n >= *at_least as usize
        }
        Rule::SeenWithin(within) => facts.seen.iter().any(|at| recent(*at, Some(*within), now)),
        Rule::Visits(n) => facts.visits() >= *n,
        Rule::Device(device) => facts.device == Some(*device),
        Rule::Referrer(host) => facts
            .source
            .referrer
            .as_deref()
            .and_then(referrer_host)
            .is_some_and(|h| h == *host || h.ends_with(&format!(".{host}"))),
        Rule::Utm(name, wanted) => {
            let value = match *name {
                "utm_source" => &facts.source.utm_source,
                "utm_medium" => &facts.source.utm_medium,
                _ => &facts.source.utm_campaign,
            };
            value
                .as_deref()
                .is_some_and(|v| crate::text::normalize(v.trim()) == *wanted)
        }
    }
}

/// The host of a referrer given as a URL or a bare host, lowercase, without `www.` or a port.
pub fn referrer_host(referrer: &str) -> Option<String> {
    let rest = referrer
        .trim()
        .split_once("://")
        .map_or(referrer.trim(), |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (!host.is_empty()).then_some(host)
}

/// Whether one stored answer passes a test, as a finder's condition would decide it; texts are compared after
/// `text::normalize` on both sides, so full-width and half-width Japanese agree.
fn passes(answer: &Answer, test: &Test) -> bool {
    let norm = crate::text::normalize;
    let values: Vec<String> = match answer {
        Answer::Choice { value } => vec![norm(value)],
        Answer::Choices { values } => values.iter().map(|v| norm(v)).collect(),
        Answer::Text { text } => vec![norm(text)],
        Answer::Range { .. } | Answer::Skipped => Vec::new(),
    };
    let number = match answer {
        Answer::Range { min, max } => max.or(*min),
        _ => None,
    };
    let typed = matches!(answer, Answer::Text { .. });
    match test {
        Test::Eq(v) => values.contains(&norm(v)),
        Test::Ne(v) => !values.is_empty() && !values.contains(&norm(v)),
        Test::In(list) => values.iter().any(|v| list.iter().any(|l| norm(l) == *v)),
        Test::Contains(v) if typed => values.iter().any(|t| t.contains(&norm(v))),
        Test::Contains(v) => values.contains(&norm(v)),
        Test::Lt(x) => number.is_some_and(|n| n < *x),
        Test::Lte(x) => number.is_some_and(|n| n <= *x),
        Test::Gt(x) => number.is_some_and(|n| n > *x),
        Test::Gte(x) => number.is_some_and(|n| n >= *x),
    }
}
