//! The conversation engine: a pure state machine, `step(flow, session, input) -> (session, effects)`.
//!
//! No IO and not async: the WebSocket server and the conversation-test runner drive this one engine and carry out
//! its [`Effect`]s (send a question, run a match, store an answer, record an event). The engine never loops
//! forever: walking the graph is bounded by the number of nodes, and a shopper who is not understood
//! `max_misses` times is offered buttons and a skip.
//!
//! Key types: [`Session`] (stored, versioned), [`Input`], [`Effect`], [`Prompt`], [`Showcase`].

mod parse;
mod present;
mod steps;

use serde::{Deserialize, Serialize};

use crate::catalog::{Constraint, MatchRequest, Op, Want};
use crate::flow::{Condition, Flow, Kind, Node, Question, Test};
pub use parse::{match_option, parse_range};
pub use present::{Pick, Showcase, present, range_label};

/// Where a conversation stands, as stored between turns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub flow: String,
    pub flow_version: String,
    pub locale: String,
    pub visitor: Option<String>,
    pub at: Position,
    /// Every answer, in the order given; `back` pops the last.
    pub answers: Vec<Answered>,
    /// Answers in a row to the current question that were not understood.
    pub misses: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "node", rename_all = "snake_case")]
pub enum Position {
    /// Not started yet.
    New,
    Asking(String),
    Showing(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    pub question: String,
    pub answer: Answer,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    Choice { value: String },
    Choices { values: Vec<String> },
    Range { min: Option<f64>, max: Option<f64> },
    Text { text: String },
    Skipped,
}

/// What a shopper can do.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Start,
    Answer(Reply),
    Back,
    Restart,
    Skip,
    ResultsNow,
}

/// An answer as given: a chip, several chips, typed text or a slider range.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Value(String),
    Values(Vec<String>),
    Text(String),
    Range { min: Option<f64>, max: Option<f64> },
}

/// Something for the caller to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Show the shopper a line of text (the greeting, an info message).
    Say(String),
    Ask(Prompt),
    /// Keep this answer (zero-party data) for recommendations and email.
    SaveAnswer {
        question: String,
        answer: Answer,
    },
    /// Run this match and show its outcome through [`present`].
    Search {
        result: String,
        request: MatchRequest,
    },
    Record(Event),
    /// The input is not allowed here; the session is unchanged.
    Refuse {
        code: &'static str,
        message: String,
    },
}

/// Events for analytics (which questions lose shoppers, which answers are not understood).
///
/// Stored as `{"kind": "answered", "question": "terrain"}`: the kind in snake case beside the variant's fields.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Started,
    Answered {
        question: String,
    },
    NotUnderstood {
        question: String,
    },
    Skipped {
        question: String,
    },
    WentBack {
        question: String,
    },
    Restarted,
    Finished {
        result: String,
    },
    /// The shopper looked at a pick (reported by the widget; the engine never emits it).
    Viewed {
        product: String,
    },
    /// The shopper followed a pick's link (reported by the widget).
    Clicked {
        product: String,
    },
    /// The shopper gave or refused consent to follow-up email (the address itself is not an event).
    Consent {
        given: bool,
    },
}

/// A question as the shopper sees it, in their locale.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub id: String,
    pub kind: Kind,
    pub text: String,
    pub options: Vec<OptionView>,
    pub select: Option<(usize, usize)>,
    pub range: Option<crate::flow::Range>,
    pub step: usize,
    pub steps: usize,
    pub can_back: bool,
    pub can_skip: bool,
    pub can_results_now: bool,
    pub hint: Option<String>,
    pub offer_buttons: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OptionView {
    pub value: String,
    pub label: String,
    pub image: Option<String>,
}

impl Session {
    pub fn new(id: String, flow: &Flow, locale: Option<&str>, visitor: Option<String>) -> Session {
        Session {
            id,
            flow: flow.id.clone(),
            flow_version: flow.version.clone(),
            locale: flow.locale(locale),
            visitor,
            at: Position::New,
            answers: Vec::new(),
            misses: 0,
        }
    }

    /// The latest answer to `question`, if it was asked.
    pub fn answer(&self, question: &str) -> Option<&Answer> {
        self.answers
            .iter()
            .rev()
            .find(|a| a.question == question)
            .map(|a| &a.answer)
    }

    fn answered_count(&self) -> usize {
        self.answers
            .iter()
            .filter(|a| a.answer != Answer::Skipped)
            .count()
    }
}

/// Advances `session` by `input`. Pure: the same inputs give the same outputs.
pub fn step(flow: &Flow, mut session: Session, input: Input) -> (Session, Vec<Effect>) {
    let mut effects = Vec::new();
    let asking = match &session.at {
        Position::Asking(id) => flow.question(id),
        _ => None,
    };
    let ui = ui(&session.locale);
    match input {
        Input::Start => {
            session.answers.clear();
            session.misses = 0;
            effects.push(Effect::Record(Event::Started));
            if let Some(greeting) = &flow.greeting {
                effects.push(Effect::Say(
                    greeting
                        .get(&session.locale, flow.default_locale())
                        .to_string(),
                ));
            }
            enter(flow, &mut session, flow.start, &mut effects);
        }
        Input::Restart => {
            session.answers.clear();
            session.misses = 0;
            effects.push(Effect::Record(Event::Restarted));
            enter(flow, &mut session, flow.start, &mut effects);
        }
        Input::Answer(reply) => match asking {
            None => refuse(&mut effects, "not_allowed", ui.nothing_to_answer),
            Some(question) => match interpret(question, reply) {
                Some(answer) => {
                    session.misses = 0;
                    session.answers.push(Answered {
                        question: question.id.clone(),
                        answer: answer.clone(),
                    });
                    effects.push(Effect::SaveAnswer {
                        question: question.id.clone(),
                        answer,
                    });
                    effects.push(Effect::Record(Event::Answered {
                        question: question.id.clone(),
                    }));
                    let next = next_of(flow, &session, question);
                    enter(flow, &mut session, next, &mut effects);
                }
                None => {
                    session.misses += 1;
                    effects.push(Effect::Record(Event::NotUnderstood {
                        question: question.id.clone(),
                    }));
                    let mut prompt = prompt(flow, &session, question);
                    prompt.hint = Some(hint(flow, &session, question));
                    prompt.offer_buttons = session.misses >= flow.max_misses;
                    prompt.can_skip = prompt.can_skip || prompt.offer_buttons;
                    effects.push(Effect::Ask(prompt));
                }
            },
        },
        Input::Skip => match asking {
            Some(question) if question.skippable || session.misses >= flow.max_misses => {
                session.misses = 0;
                session.answers.push(Answered {
                    question: question.id.clone(),
                    answer: Answer::Skipped,
                });
                effects.push(Effect::Record(Event::Skipped {
                    question: question.id.clone(),
                }));
                let next = next_of(flow, &session, question);
                enter(flow, &mut session, next, &mut effects);
            }
            _ => refuse(&mut effects, "not_allowed", ui.cannot_skip),
        },
        Input::Back => match session.answers.pop() {
            Some(last) => match flow.node_index(&last.question) {
                Some(index) => {
                    session.misses = 0;
                    effects.push(Effect::Record(Event::WentBack {
                        question: last.question.clone(),
                    }));
                    ask(flow, &mut session, index, &mut effects);
                }
                None => refuse(&mut effects, "not_allowed", ui.nothing_to_go_back_to),
            },
            None => refuse(&mut effects, "not_allowed", ui.nothing_to_go_back_to),
        },
        Input::ResultsNow => match asking {
            Some(question) if can_results_now(flow, &session) => {
                // Fast-forward: follow the rules from here, past every unanswered question, to a result.
                let mut index = flow.node_index(&question.id).unwrap_or(flow.start);
                for _ in 0..=flow.nodes.len() {
                    match &flow.nodes[index] {
                        Node::Question(q) => index = next_of(flow, &session, q),
                        Node::Results(_) => break,
                    }
                }
                if matches!(flow.nodes[index], Node::Results(_)) {
                    enter(flow, &mut session, index, &mut effects);
                } else {
                    refuse(&mut effects, "not_allowed", ui.cannot_results_now);
                }
            }
            _ => refuse(&mut effects, "not_allowed", ui.cannot_results_now),
        },
    }
    (session, effects)
}

/// The effects that show a resumed session where it stands, without changing it.
pub fn resume(flow: &Flow, session: &Session) -> Vec<Effect> {
    let mut effects = Vec::new();
    let mut session = session.clone();
    let index = match &session.at {
        Position::Asking(id) | Position::Showing(id) => flow.node_index(id),
        Position::New => None,
    };
    match index {
        Some(index) => enter(flow, &mut session, index, &mut effects),
        None => enter(flow, &mut session, flow.start, &mut effects),
    }
    effects
}

fn refuse(effects: &mut Vec<Effect>, code: &'static str, message: &str) {
    effects.push(Effect::Refuse {
        code,
        message: message.to_string(),
    });
}

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
fn passes_over(q: &Question, session: &Session) -> bool {
    q.kind == Kind::Info || q.ask_when.as_ref().is_some_and(|c| !holds(c, session))
}

/// Walks from `index` past questions whose `ask_when` fails and info messages (saying them), to the next question
/// to ask or a result ([`route`]).
fn enter(flow: &Flow, session: &mut Session, index: usize, effects: &mut Vec<Effect>) {
    for index in route(flow, session, index) {
        match &flow.nodes[index] {
            Node::Question(q) if passes_over(q, session) => {
                let asked = q.ask_when.as_ref().is_none_or(|c| holds(c, session));
                if q.kind == Kind::Info && asked {
                    effects.push(Effect::Say(
                        q.text
                            .get(&session.locale, flow.default_locale())
                            .to_string(),
                    ));
                }
            }
            Node::Question(_) => {
                ask(flow, session, index, effects);
                return;
            }
            Node::Results(r) => {
                session.at = Position::Showing(r.id.clone());
                effects.push(Effect::Record(Event::Finished {
                    result: r.id.clone(),
                }));
                effects.push(Effect::Search {
                    result: r.id.clone(),
                    request: request(flow, session, r.count, r.min),
                });
                return;
            }
        }
    }
    // Only a flow that slipped past validation can get here; say so rather than spin.
    refuse(
        effects,
        "internal",
        "this finder has a loop with no way out; please tell the shop",
    );
}

fn ask(flow: &Flow, session: &mut Session, index: usize, effects: &mut Vec<Effect>) {
    if let Node::Question(q) = &flow.nodes[index] {
        session.at = Position::Asking(q.id.clone());
        effects.push(Effect::Ask(prompt(flow, session, q)));
    }
}

fn can_results_now(flow: &Flow, session: &Session) -> bool {
    flow.min_answers
        .is_some_and(|min| session.answered_count() >= min)
}

fn prompt(flow: &Flow, session: &Session, q: &Question) -> Prompt {
    let fallback = flow.default_locale();
    let step = session.answers.len() + 1;
    let index = flow.node_index(&q.id).unwrap_or(flow.start);
    Prompt {
        id: q.id.clone(),
        kind: q.kind,
        text: q.text.get(&session.locale, fallback).to_string(),
        options: q
            .options
            .iter()
            .map(|c| OptionView {
                value: c.value.clone(),
                label: c.label(&session.locale, fallback).to_string(),
                image: c.image.clone(),
            })
            .collect(),
        select: q.select,
        range: q.range.clone(),
        step,
        steps: session.answers.len() + steps::remaining(flow, session, index).max(1),
        can_back: !session.answers.is_empty(),
        can_skip: q.skippable,
        can_results_now: can_results_now(flow, session),
        hint: None,
        offer_buttons: false,
    }
}

/// Reads a reply to `q`; `None` when it is not an answer to this question.
fn interpret(q: &Question, reply: Reply) -> Option<Answer> {
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

fn range_answer(q: &Question, min: Option<f64>, max: Option<f64>) -> Option<Answer> {
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

/// The match request for the session's answers, from the flow's mappings, for a result of `count` picks that
/// loosens answers while fewer than `min` products meet them all.
pub fn request(flow: &Flow, session: &Session, count: usize, min: usize) -> MatchRequest {
    let locale = session.locale.as_str();
    let fallback = flow.default_locale();
    let mut wants = Vec::new();
    let mut texts = Vec::new();
    for answered in &session.answers {
        let Some(q) = flow.question(&answered.question) else {
            continue;
        };
        let choice = |v: &str| q.options.iter().find(|c| c.value == v);
        let want = |label: String, any_of: Vec<Vec<Constraint>>, boosts: Vec<Constraint>| Want {
            question: q.id.clone(),
            label,
            any_of,
            boosts,
        };
        match &answered.answer {
            // A want's label is how an explanation names the answer (`Choice::reason`): "waterproof", not
            // "Yes, waterproof".
            Answer::Choice { value } => {
                if let Some(c) = choice(value) {
                    let any_of = if c.filters.is_empty() {
                        vec![]
                    } else {
                        vec![c.filters.clone()]
                    };
                    if !any_of.is_empty() || !c.boosts.is_empty() {
                        wants.push(want(
                            c.reason(q.kind, locale, fallback),
                            any_of,
                            c.boosts.clone(),
                        ));
                    }
                }
            }
            Answer::Choices { values } => {
                let chosen: Vec<_> = values.iter().filter_map(|v| choice(v)).collect();
                if chosen.iter().all(|c| c.filters.is_empty()) {
                    // Preferences only: one want per option, so a pick is said to match only what it does.
                    for c in chosen.iter().filter(|c| !c.boosts.is_empty()) {
                        wants.push(want(
                            c.reason(q.kind, locale, fallback),
                            vec![],
                            c.boosts.clone(),
                        ));
                    }
                    continue;
                }
                let any_of = if chosen.iter().any(|c| c.filters.is_empty()) {
                    vec![]
                } else {
                    chosen.iter().map(|c| c.filters.clone()).collect()
                };
                let boosts: Vec<Constraint> = chosen
                    .iter()
                    .flat_map(|c| c.boosts.iter().cloned())
                    .collect();
                let label = chosen
                    .iter()
                    .map(|c| c.reason(q.kind, locale, fallback))
                    .collect::<Vec<_>>()
                    .join(if locale.starts_with("ja") {
                        "・"
                    } else {
                        " or "
                    });
                if !any_of.is_empty() || !boosts.is_empty() {
                    wants.push(want(label, any_of, boosts));
                }
            }
            Answer::Range { min, max } => {
                let bounds = |field: &str, weight: f32| {
                    let mut out = Vec::new();
                    if let Some(min) = min {
                        out.push(Constraint {
                            field: field.to_string(),
                            op: Op::Gte(*min),
                            weight,
                        });
                    }
                    if let Some(max) = max {
                        out.push(Constraint {
                            field: field.to_string(),
                            op: Op::Lte(*max),
                            weight,
                        });
                    }
                    out
                };
                let clause: Vec<Constraint> =
                    q.within.iter().flat_map(|f| bounds(f, 1.0)).collect();
                let boosts: Vec<Constraint> = q
                    .within_boost
                    .iter()
                    .flat_map(|(f, w)| bounds(f, *w / 2.0))
                    .collect();
                let any_of = if clause.is_empty() {
                    vec![]
                } else {
                    vec![clause]
                };
                let label = present::range_reason(
                    *min,
                    *max,
                    q.range.as_ref().and_then(|r| r.unit.as_deref()),
                    locale,
                );
                wants.push(want(label, any_of, boosts));
            }
            Answer::Text { text } => texts.push(text.clone()),
            Answer::Skipped => {}
        }
    }
    MatchRequest {
        scope: flow.scope.clone(),
        wants,
        text: (!texts.is_empty()).then(|| texts.join(" ")),
        count,
        min,
        in_stock_only: flow.in_stock_only,
        diversity: flow.diversity.clone(),
        relax_order: flow.relax.clone(),
    }
}

fn hint(flow: &Flow, session: &Session, q: &Question) -> String {
    let ui = ui(&session.locale);
    if let Some(help) = &q.help {
        return help.get(&session.locale, flow.default_locale()).to_string();
    }
    match q.kind {
        Kind::Range => ui.range_hint.to_string(),
        _ => {
            let labels: Vec<&str> = q
                .options
                .iter()
                .map(|c| c.label(&session.locale, flow.default_locale()))
                .collect();
            format!("{}{}", ui.choose_hint, labels.join(ui.list_separator))
        }
    }
}

/// The engine's own words, in English and Japanese.
pub(crate) struct Ui {
    pub nothing_to_answer: &'static str,
    pub cannot_skip: &'static str,
    pub nothing_to_go_back_to: &'static str,
    pub cannot_results_now: &'static str,
    pub range_hint: &'static str,
    pub choose_hint: &'static str,
    pub list_separator: &'static str,
}

pub(crate) fn ui(locale: &str) -> &'static Ui {
    static EN: Ui = Ui {
        nothing_to_answer: "There is no question to answer right now: go back or start again.",
        cannot_skip: "This question can't be skipped.",
        nothing_to_go_back_to: "There is nothing to go back to.",
        cannot_results_now: "Please answer a few more questions first.",
        range_hint: "Sorry, I didn't catch that. Type an amount such as 120, under 150 or 80-150.",
        choose_hint: "Sorry, I didn't catch that. Please choose one of: ",
        list_separator: ", ",
    };
    static JA: Ui = Ui {
        nothing_to_answer: "いまお答えいただく質問はありません。戻るか、最初からやり直してください。",
        cannot_skip: "この質問はスキップできません。",
        nothing_to_go_back_to: "これより前には戻れません。",
        cannot_results_now: "もう少し質問にお答えください。",
        range_hint: "すみません、よく分かりませんでした。「5000」「1万円以下」「3万〜5万」のように入力してください。",
        choose_hint: "すみません、よく分かりませんでした。次から選んでください：",
        list_separator: "、",
    };
    if locale.starts_with("ja") { &JA } else { &EN }
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
