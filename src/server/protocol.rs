//! The wire types of the chat protocol, v1 (documented in `docs/protocol.md`). Only these (and stored types)
//! derive `Serialize`: they are a versioned boundary.

use serde::{Deserialize, Serialize};

use crate::conversation::{Pick, Prompt, Showcase};

pub const VERSION: u32 = 1;

/// Client → server.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    Start {
        v: Option<u32>,
        flow: String,
        locale: Option<String>,
        visitor: Option<String>,
        resume: Option<String>,
    },
    Answer {
        value: Option<String>,
        values: Option<Vec<String>>,
        text: Option<String>,
        range: Option<RangeIn>,
    },
    Back,
    Restart,
    Skip,
    ResultsNow,
    Event {
        kind: EventKind,
        product: String,
    },
    Consent {
        email: String,
        consent: bool,
    },
}

impl ClientMsg {
    /// The message's `type`, as the client wrote it.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMsg::Start { .. } => "start",
            ClientMsg::Answer { .. } => "answer",
            ClientMsg::Back => "back",
            ClientMsg::Restart => "restart",
            ClientMsg::Skip => "skip",
            ClientMsg::ResultsNow => "results_now",
            ClientMsg::Event { .. } => "event",
            ClientMsg::Consent { .. } => "consent",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeIn {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Viewed,
    Clicked,
}

/// Server → client.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    Session {
        v: u32,
        session: String,
        token: String,
        flow: String,
        title: String,
        locale: String,
        resumed: bool,
    },
    Message {
        text: String,
    },
    Question(QuestionOut),
    Products(ProductsOut),
    Error {
        code: &'static str,
        message: String,
    },
}

#[derive(Debug, Serialize)]
pub struct QuestionOut {
    pub id: String,
    pub kind: &'static str,
    pub text: String,
    pub options: Vec<OptionOut>,
    pub select: Option<SelectOut>,
    pub range: Option<RangeOut>,
    pub step: usize,
    pub steps: usize,
    pub can_back: bool,
    pub can_skip: bool,
    pub can_results_now: bool,
    pub hint: Option<String>,
    pub offer_buttons: bool,
}

#[derive(Debug, Serialize)]
pub struct OptionOut {
    pub value: String,
    pub label: String,
    pub image: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SelectOut {
    pub min: usize,
    pub max: usize,
}

#[derive(Debug, Serialize)]
pub struct RangeOut {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub unit: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ProductsOut {
    pub result: String,
    pub title: String,
    pub intro: Option<String>,
    pub relaxed: Vec<RelaxedOut>,
    pub products: Vec<ProductOut>,
    pub can_back: bool,
    pub email_capture: bool,
}

#[derive(Debug, Serialize)]
pub struct RelaxedOut {
    pub question: String,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct ProductOut {
    pub id: String,
    pub title: String,
    pub brand: String,
    pub price: f64,
    pub currency: String,
    pub rating: f64,
    pub image: Option<String>,
    pub link: Option<String>,
    pub explanation: ExplanationOut,
}

#[derive(Debug, Serialize)]
pub struct ExplanationOut {
    pub matched: Vec<String>,
    pub missed: Vec<String>,
    pub line: String,
}

impl From<Prompt> for QuestionOut {
    fn from(p: Prompt) -> QuestionOut {
        QuestionOut {
            id: p.id,
            kind: crate::flow::kind_name(p.kind),
            text: p.text,
            options: p
                .options
                .into_iter()
                .map(|o| OptionOut {
                    value: o.value,
                    label: o.label,
                    image: o.image,
                })
                .collect(),
            select: p.select.map(|(min, max)| SelectOut { min, max }),
            range: p.range.map(|r| RangeOut {
                min: r.min,
                max: r.max,
                step: r.step,
                unit: r.unit,
            }),
            step: p.step,
            steps: p.steps,
            can_back: p.can_back,
            can_skip: p.can_skip,
            can_results_now: p.can_results_now,
            hint: p.hint,
            offer_buttons: p.offer_buttons,
        }
    }
}

impl From<Pick> for ProductOut {
    fn from(pick: Pick) -> ProductOut {
        let p = pick.product;
        ProductOut {
            id: p.id,
            title: p.title,
            brand: p.brand,
            price: p.price,
            currency: p.currency,
            rating: p.rating,
            image: p.image,
            link: p.link,
            explanation: ExplanationOut {
                matched: pick.matched,
                missed: pick.missed,
                line: pick.line,
            },
        }
    }
}

impl ProductsOut {
    pub fn new(showcase: Showcase, can_back: bool) -> ProductsOut {
        ProductsOut {
            result: showcase.result,
            title: showcase.title,
            intro: showcase.intro,
            relaxed: showcase
                .relaxed
                .into_iter()
                .map(|(question, label)| RelaxedOut { question, label })
                .collect(),
            products: showcase.picks.into_iter().map(ProductOut::from).collect(),
            can_back,
            email_capture: showcase.email_capture,
        }
    }
}
