//! The conversation engine: a pure state machine, `step(flow, session, input) -> (session, effects)`.
//!
//! No IO and not async: the WebSocket server and the conversation-test runner drive this one engine and carry out
//! its [`Effect`]s (send a question, run a match, store an answer, record an event). The engine never loops
//! forever: walking the graph is bounded by the number of nodes, and a shopper who is not understood
//! `max_misses` times is offered buttons and a skip.
//!
//! Key types: [`Session`] (stored, versioned), [`Input`], [`Effect`], [`Prompt`], [`Showcase`].

mod interpret;
mod parse;
mod present;
mod request;
mod route;
mod steps;
mod words;

use serde::{Deserialize, Serialize};

use crate::catalog::MatchRequest;
use crate::flow::{Flow, Kind, Node, Question};
use interpret::interpret;
pub use interpret::looks_like_email;
pub use parse::{match_option, parse_range};
pub use present::{Pick, Showcase, present, range_label};
pub use request::request;
use route::passes_over;
pub use route::{holds, next_of, route};
use words::hint;
pub(crate) use words::ui;

/// Where a conversation stands, as stored between turns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub flow: String,
    pub flow_version: String,
    /// The arm of the finder's experiment this conversation is on (`None`: the finder ran none when it started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<crate::flow::Arm>,
    pub locale: String,
    pub visitor: Option<String>,
    pub at: Position,
    /// Every answer, in the order given; `back` pops the last.
    pub answers: Vec<Answered>,
    /// Answers in a row to the current question that were not understood.
    pub misses: u32,
    /// The segments (`segments.yaml`) the shopper belonged to when the conversation started, for `{segment: …}`
    /// conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<String>,
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

impl Answer {
    /// The option values chosen (none for a range, a typed text or a skip).
    pub fn values(&self) -> Vec<String> {
        match self {
            Answer::Choice { value } => vec![value.clone()],
            Answer::Choices { values } => values.clone(),
            Answer::Range { .. } | Answer::Text { .. } | Answer::Skipped => Vec::new(),
        }
    }

    /// The answer as canonical text, equal for equal answers (values sorted, text normalised, `-` for a skip):
    /// what "shoppers who answered like you" compares.
    pub fn key(&self) -> String {
        let bound = |b: &Option<f64>| b.map(crate::catalog::format_number).unwrap_or_default();
        match self {
            Answer::Choice { value } => value.clone(),
            Answer::Choices { values } => {
                let mut values = values.clone();
                values.sort();
                values.join(",")
            }
            Answer::Range { min, max } => format!("{}..{}", bound(min), bound(max)),
            Answer::Text { text } => crate::text::normalize(text),
            Answer::Skipped => "-".into(),
        }
    }
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
            arm: None,
            locale: flow.locale(locale),
            visitor,
            at: Position::New,
            answers: Vec::new(),
            misses: 0,
            segments: Vec::new(),
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
