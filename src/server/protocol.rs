//! The wire types of the chat protocol, v1 (documented in `docs/protocol.md`). Only these (and stored types)
//! derive `Serialize`: they are a versioned boundary.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::conversation::{Pick, Prompt, Showcase};

pub const VERSION: u32 = 1;

/// The `type`s a client may send, as the protocol spells them.
pub const MESSAGE_TYPES: &[&str] = &[
    "start",
    "answer",
    "back",
    "restart",
    "skip",
    "results_now",
    "event",
    "consent",
    "track",
    "recommend",
];

/// Client → server.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(rename = "ClientMessage")]
pub enum ClientMsg {
    /// Begin a finder, or resume the conversation whose token is `resume`.
    Start {
        /// The protocol version the client speaks (1).
        v: Option<u32>,
        /// The finder's id, e.g. `running-shoes`.
        flow: String,
        /// `en`, `ja`, …; the finder's default when absent or not offered.
        locale: Option<String>,
        /// The shopper's visitor id: the random id the widget keeps (or the shop's own visitor id).
        visitor: Option<String>,
        /// The shop's customer id of a signed-in shopper; needs `signature`.
        customer: Option<String>,
        /// `hex(HMAC-SHA256(shop secret, customer))`; a wrong one is refused with `bad_customer`.
        signature: Option<String>,
        /// The `token` of an earlier `session` message.
        resume: Option<String>,
        /// The page that referred this visit (the widget sends `document.referrer`), for segments; at most 2048
        /// characters.
        referrer: Option<String>,
        /// This visit's UTM parameters (the widget reads them from the page's URL), for segments.
        utm: Option<UtmIn>,
        /// `mobile`, `tablet` or `desktop`, for segments; when absent, read from the request's User-Agent.
        device: Option<String>,
    },
    /// Answer the current question with exactly one of `value`, `values`, `text`, `range`.
    Answer {
        /// An option's value (single, yes/no, text questions).
        value: Option<String>,
        /// Option values (multi questions).
        values: Option<Vec<String>>,
        /// What the shopper typed; understood for every kind of question.
        text: Option<String>,
        /// A range (range questions); either bound may be absent.
        range: Option<RangeIn>,
    },
    /// Undo the last answer and ask its question again.
    Back,
    /// Forget every answer and ask the first question.
    Restart,
    /// Pass over the current question (when `can_skip`).
    Skip,
    /// Show products now (when `can_results_now`).
    ResultsNow,
    /// The shopper saw or clicked a product; recorded, no reply.
    Event {
        kind: EventKind,
        /// The product's id.
        product: String,
    },
    /// The shopper agrees (or not) to keep their answers and to be emailed; `consent: false` withdraws.
    Consent { email: String, consent: bool },
    /// A shop event from the shop's pages (`shopkeep.track`); stored with the next group commit, no reply unless
    /// it is refused (`bad_event`, naming the field).
    Track {
        /// Whose event; needed only when no finder was started on this connection.
        visitor: Option<String>,
        /// `{id, kind, product?, quantity?, order?, category?, url?, session?, at?}` (docs/events.md).
        event: serde_json::Value,
    },
    /// Products recommended to this shopper within the finder's scope (docs/recommendations.md); answered with
    /// `recommendations`. Needs `start` first.
    Recommend {
        /// How many, 1–12 (default 4).
        limit: Option<usize>,
        /// The product in view, on a product page.
        context: Option<String>,
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
            ClientMsg::Track { .. } => "track",
            ClientMsg::Recommend { .. } => "recommend",
        }
    }
}

/// `utm_source`, `utm_medium` and `utm_campaign` of the page, each at most 128 characters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Utm")]
pub struct UtmIn {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RangeAnswer")]
pub struct RangeIn {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Viewed,
    Clicked,
}

/// Server → client.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schemars(rename = "ServerMessage")]
pub enum ServerMsg {
    /// Sent after `start`: keep `token` and send it back as `resume` after a refresh or reconnect.
    Session {
        v: u32,
        session: String,
        token: String,
        flow: String,
        title: String,
        locale: String,
        resumed: bool,
    },
    /// Plain text from the finder (the greeting, an info message, a reply to consent), or the opener of a
    /// segment the shopper belongs to (then `segment` names it; docs/segments.md). Shown as text, never HTML.
    Message {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        segment: Option<String>,
    },
    /// The question to answer now.
    Question(QuestionOut),
    /// The picks, each with why it was picked.
    Products(ProductsOut),
    /// The answer to `recommend`: products for this shopper, best first, each with its reason.
    Recommendations {
        /// Whether the shopper is known (answered a finder, or the shop sent events of theirs): a widget shows
        /// "recommended for you" only then, or on a product page.
        returning: bool,
        products: Vec<RecommendationOut>,
    },
    /// A problem with the last message; the conversation is unchanged and still open.
    Error {
        /// `bad_message`, `unknown_type`, `unknown_flow`, `no_session`, `bad_resume`, `not_allowed`,
        /// `unsupported_version`, `bad_customer`, `bad_event` or `internal`.
        code: &'static str,
        message: String,
    },
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Question")]
pub struct QuestionOut {
    pub id: String,
    /// `single`, `multi`, `range`, `yes_no` or `text`.
    pub kind: &'static str,
    pub text: String,
    /// The choices, as chips (empty for range questions).
    pub options: Vec<OptionOut>,
    /// How many options a multi question takes.
    pub select: Option<SelectOut>,
    /// The slider of a range question.
    pub range: Option<RangeOut>,
    /// This question's number, from 1: "step 2 of 4".
    pub step: usize,
    /// Questions on the path being taken, answered ones included: the most any path from here asks given the
    /// answers so far; may shrink as answers branch.
    pub steps: usize,
    pub can_back: bool,
    pub can_skip: bool,
    pub can_results_now: bool,
    /// Set when the previous answer was not understood.
    pub hint: Option<String>,
    /// Set once the shopper was not understood `max_misses` times: show the options as buttons and a skip.
    pub offer_buttons: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Option")]
pub struct OptionOut {
    pub value: String,
    pub label: String,
    pub image: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Select")]
pub struct SelectOut {
    pub min: usize,
    pub max: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Range")]
pub struct RangeOut {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    /// A currency code (`USD`, `JPY`) or a unit such as `L` or `mm`.
    pub unit: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Products")]
pub struct ProductsOut {
    pub result: String,
    pub title: String,
    pub intro: Option<String>,
    /// The answers loosened to avoid an empty result; say them plainly.
    pub relaxed: Vec<RelaxedOut>,
    pub products: Vec<ProductOut>,
    pub can_back: bool,
    /// Offer the email capture (with its consent text) under the picks.
    pub email_capture: bool,
    /// The consent text to show beside the email field (when `email_capture`), as the finder words it.
    pub consent: Option<ConsentOut>,
    /// The shopper already agreed to recommendations by email (when `email_capture`): offer to stop them
    /// (`consent` with `consent: false`) instead of asking for an address again.
    pub consented: bool,
}

/// The consent a shopper is asked for, word for word as the ledger records it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Consent")]
pub struct ConsentOut {
    pub text: String,
    pub version: String,
}

#[derive(Debug, Serialize, JsonSchema)]
/// An answer that was loosened because too few products satisfied every answer.
#[schemars(rename = "Relaxed")]
pub struct RelaxedOut {
    pub question: String,
    pub label: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Product")]
pub struct ProductOut {
    pub id: String,
    pub title: String,
    pub brand: String,
    pub price: f64,
    pub currency: String,
    /// The average review rating, 0–5; null when the product has no rating yet (not a rating of 0).
    pub rating: Option<f64>,
    pub image: Option<String>,
    pub link: Option<String>,
    /// Whether the product meets every answer; false for a product shown because answers were loosened (it
    /// misses at least one answer named in `relaxed`). Exact matches always come first.
    pub exact: bool,
    pub explanation: ExplanationOut,
}

/// One recommended product, for a card.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Recommendation")]
pub struct RecommendationOut {
    pub id: String,
    pub title: String,
    pub brand: String,
    pub price: f64,
    pub currency: String,
    pub rating: Option<f64>,
    pub image: Option<String>,
    pub link: Option<String>,
    /// `pinned`, `goes_with`, `from_answers`, `answered_alike`, `bought_together`, `viewed_together`,
    /// `recently_viewed` or `popular`.
    pub kind: crate::recommend::Kind,
    /// Why, in the shopper's locale: "Because you told us: Trail, Waterproof".
    pub reason: String,
}

#[derive(Debug, Serialize, JsonSchema)]
/// Why a product was picked.
#[schemars(rename = "Explanation")]
pub struct ExplanationOut {
    /// The answers it satisfies, as the shopper reads them.
    pub matched: Vec<String>,
    /// The answers it misses, as the shopper reads them ("under $120"); `line` says by how much.
    pub missed: Vec<String>,
    /// One line for a product card: "Matches: Trail, Waterproof · $12.00 over your budget".
    pub line: String,
}

/// The JSON Schema of every message, both ways (`docs/protocol.schema.json`): `$defs/ClientMessage` and
/// `$defs/ServerMessage`; the root accepts either.
pub fn json_schema() -> String {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let client = generator.subschema_for::<ClientMsg>();
    let server = generator.subschema_for::<ServerMsg>();
    let schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("shopkeep chat protocol v{VERSION}"),
        "description": "JSON text frames over the WebSocket at /v1/chat; see docs/protocol.md.",
        "anyOf": [client, server],
        "$defs": generator.take_definitions(true),
    });
    serde_json::to_string_pretty(&schema).expect("a schema always serialises") + "\n"
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
        let p = &pick.product;
        ProductOut {
            id: p.id.clone(),
            title: p.title.clone(),
            brand: p.brand.clone(),
            price: p.price,
            currency: p.currency.clone(),
            rating: p.rating,
            image: p.image.clone(),
            link: p.link.clone(),
            exact: pick.exact,
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
            consent: None,
            consented: false,
        }
    }
}
