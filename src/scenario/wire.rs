//! The server's messages as the test runner reads them (see `docs/protocol.md`). Only what the runner checks is
//! read; unknown fields are ignored so a newer server with more fields still passes.

use serde::Deserialize;

/// One server → client message.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Incoming {
    Session { session: String, locale: String },
    Message { text: String },
    Question(Question),
    Products(Products),
    Error { code: String, message: String },
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Question {
    pub id: String,
    pub kind: String,
    pub text: String,
    #[serde(default)]
    pub options: Vec<OptionIn>,
    #[serde(default)]
    pub hint: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct OptionIn {
    pub value: String,
    pub label: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct Products {
    pub result: String,
    pub title: String,
    #[serde(default)]
    pub intro: Option<String>,
    #[serde(default)]
    pub relaxed: Vec<RelaxedIn>,
    #[serde(default)]
    pub products: Vec<ProductIn>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RelaxedIn {
    pub question: String,
    pub label: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ProductIn {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub brand: String,
    pub price: f64,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub rating: Option<f64>,
    #[serde(default)]
    pub explanation: ExplanationIn,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct ExplanationIn {
    #[serde(default)]
    pub matched: Vec<String>,
    #[serde(default)]
    pub missed: Vec<String>,
    #[serde(default)]
    pub line: String,
}

/// Where a conversation stands after a turn: what the shopper sees last.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    Question(Question),
    Products(Products),
}

impl Screen {
    /// A short description for diffs: `question \`terrain\` ("Where do you run most?")` or `products (picks)`.
    pub fn describe(&self) -> String {
        match self {
            Screen::Question(q) => format!("question `{}` ({:?})", q.id, q.text),
            Screen::Products(p) => format!("products of `{}` ({:?})", p.result, p.title),
        }
    }
}
