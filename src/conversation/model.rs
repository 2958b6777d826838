//! What the engine works on and gives back: the stored [`Session`] and its answers, the shopper's [`Input`],
//! the [`Effect`]s a turn asks the caller to carry out, and the [`Prompt`] a question is shown as.

use serde::{Deserialize, Serialize};

use super::*;

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

    pub(super) fn answered_count(&self) -> usize {
        self.answers
            .iter()
            .filter(|a| a.answer != Answer::Skipped)
            .count()
    }
}
