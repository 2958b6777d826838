//! The conversation engine: a pure state machine, `step(flow, session, input) -> (session, effects)`.
//!
//! No IO and not async: the WebSocket server and the conversation-test runner drive this one engine and carry out
//! its [`Effect`]s (send a question, run a match, store an answer, record an event). The engine never loops
//! forever: walking the graph is bounded by the number of nodes, and a shopper who is not understood
//! `max_misses` times is offered buttons and a skip.
//!
//! Key types: [`Session`] (stored, versioned), [`Input`], [`Effect`], [`Prompt`], [`Showcase`].

mod interpret;
mod model;
mod parse;
mod present;
mod request;
mod route;
mod steps;
mod words;

use crate::catalog::MatchRequest;
use crate::flow::{Flow, Kind, Node, Question};
use interpret::interpret;
pub use interpret::looks_like_email;
pub use model::*;
pub use parse::{match_option, parse_range};
pub use present::{Pick, Showcase, present, range_label};
pub use request::request;
use route::passes_over;
pub use route::{holds, next_of, route};
use words::hint;
pub(crate) use words::ui;

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
