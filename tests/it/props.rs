//! Client messages fuzzed through the real server: random text, random JSON, every message type with random and
//! hostile fields (markup, CR/LF, NUL, huge and negative numbers, unknown fields), and truncated well-formed
//! messages, a few per connection, on the real `/v1/chat` socket. Every message gets at most its replies, each a
//! known server message; an `error` reply names its code and never `internal`; the connection stays open and
//! still starts a finder afterwards. Proptest-driven like the unit properties in `src/props/`:
//! `SHOPKEEP_PROPERTY_CASES=N` runs N connections instead of the CI's few dozen.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use shopkeep::server::{Limits, Settings};

use crate::support::{Client, spawn_with};

fn cases() -> u32 {
    std::env::var("SHOPKEEP_PROPERTY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24)
}

fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<script>alert(1)</script>".to_string()),
        Just("\r\nX-Injected: 1\r\n".to_string()),
        Just("\u{0}\u{202e}\u{feff}".to_string()),
        Just("５万円　ＴＲＡＩＬ".to_string()),
        Just("../../etc/passwd".to_string()),
        Just("running-shoes".to_string()),
        "\\PC{0,12}",
    ];
    prop::collection::vec(piece, 0..4).prop_map(|pieces| pieces.concat())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300..1e300f64).prop_map(Value::from),
        hostile().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

const TYPES: &[&str] = &[
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
    "Start",
    "",
    "answer ",
    "products",
];
const FIELDS: &[&str] = &[
    "v",
    "flow",
    "locale",
    "visitor",
    "customer",
    "signature",
    "resume",
    "value",
    "values",
    "text",
    "range",
    "kind",
    "product",
    "email",
    "consent",
    "event",
    "limit",
    "context",
    "min",
    "max",
    "type",
];

/// A well-formed message of each type, with random and hostile values where a client may put anything.
fn well_formed() -> impl Strategy<Value = Value> {
    let flow = prop_oneof![
        prop::sample::select(vec!["running-shoes", "knives", "backpacks"]).prop_map(str::to_string),
        hostile(),
    ];
    let bound = prop_oneof![Just(Value::Null), (-1e12..1e12f64).prop_map(Value::from)];
    prop_oneof![
        (flow, hostile(), hostile(), prop::option::of(hostile())).prop_map(|(flow, locale, visitor, resume)| {
            json!({"type": "start", "v": 1, "flow": flow, "locale": locale, "visitor": visitor, "resume": resume})
        }),
        hostile().prop_map(|text| json!({"type": "answer", "text": text})),
        hostile().prop_map(|value| json!({"type": "answer", "value": value})),
        prop::collection::vec(hostile(), 0..4).prop_map(|values| json!({"type": "answer", "values": values})),
        (bound.clone(), bound).prop_map(|(min, max)| json!({"type": "answer", "range": {"min": min, "max": max}})),
        (prop::sample::select(vec!["viewed", "clicked"]), hostile())
            .prop_map(|(kind, product)| json!({"type": "event", "kind": kind, "product": product})),
        (hostile(), any::<bool>()).prop_map(|(email, consent)| json!({"type": "consent", "email": email, "consent": consent})),
        (hostile(), prop::sample::select(vec!["viewed", "added_to_cart", "purchased", "page", "x"]), hostile(), json_value())
            .prop_map(|(id, kind, product, extra)| {
                json!({"type": "track", "event": {"id": id, "kind": kind, "product": product, "quantity": extra}})
            }),
        (json_value(), hostile()).prop_map(|(limit, context)| json!({"type": "recommend", "limit": limit, "context": context})),
        prop::sample::select(vec!["back", "restart", "skip", "results_now"]).prop_map(|t| json!({"type": t})),
    ]
}

fn message() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => "\\PC{0,40}",
        2 => json_value().prop_map(|v| v.to_string()),
        3 => (prop::sample::select(TYPES), prop::collection::btree_map(prop::sample::select(FIELDS), json_value(), 0..4))
            .prop_map(|(kind, fields)| {
                let mut map: BTreeMap<String, Value> = fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                map.entry("type".into()).or_insert_with(|| Value::from(kind));
                Value::Object(map.into_iter().collect()).to_string()
            }),
        5 => well_formed().prop_map(|v| v.to_string()),
        1 => (well_formed(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string();
            let chars: Vec<char> = text.chars().collect();
            chars[..cut.index(chars.len())].iter().collect()
        }),
    ]
}

const SERVER_TYPES: &[&str] = &[
    "session",
    "message",
    "question",
    "products",
    "recommendations",
    "error",
];

/// Sends `messages` on a fresh connection (after a `start`, when `started`), then starts a finder: every reply
/// must be a known message, no error `internal`, and the start must still work.
async fn converse(url: &str, started: bool, messages: &[String]) -> Result<(), String> {
    let mut client = Client::connect(url).await;
    if started {
        client.start("running-shoes", "en").await;
    }
    for text in messages {
        client
            .send_raw(tokio_tungstenite::tungstenite::Message::Text(
                text.clone().into(),
            ))
            .await;
    }
    client
        .send(
            json!({"type": "start", "v": 1, "flow": "knives", "locale": "ja", "visitor": "v-last"}),
        )
        .await;
    for _ in 0..200 {
        let reply = match client.frame(Duration::from_secs(5)).await {
            Some(tokio_tungstenite::tungstenite::Message::Text(text)) => {
                serde_json::from_str::<Value>(&text)
                    .map_err(|e| format!("a reply that is not JSON ({e}): {}", text.as_str()))?
            }
            Some(
                tokio_tungstenite::tungstenite::Message::Ping(_)
                | tokio_tungstenite::tungstenite::Message::Pong(_),
            ) => continue,
            other => return Err(format!("the connection ended or sent {other:?}")),
        };
        let kind = reply["type"].as_str().unwrap_or_default();
        if !SERVER_TYPES.contains(&kind) {
            return Err(format!("an unknown reply: {reply}"));
        }
        if kind == "error" {
            let code = reply["code"].as_str().unwrap_or_default();
            let text = reply["message"].as_str().unwrap_or_default();
            if code.is_empty() || code == "internal" || text.is_empty() {
                return Err(format!("an error reply without a clear cause: {reply}"));
            }
        }
        if kind == "session" && reply["flow"] == "knives" && reply["locale"] == "ja" {
            return Ok(());
        }
    }
    Err("the last start got no session".into())
}

#[test]
fn client_messages_get_known_replies_and_never_end_the_connection() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let settings = Settings {
        limits: Limits {
            messages_per_second: 0,
            ..Limits::default()
        },
        ..Settings::default()
    };
    let app = runtime.block_on(spawn_with(tempfile::tempdir().expect("temp dir"), settings));
    let url = app.ws_url();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (any::<bool>(), prop::collection::vec(message(), 1..6));
    let outcome = runner.run(&strategy, |(started, messages)| {
        runtime
            .block_on(converse(&url, started, &messages))
            .map_err(TestCaseError::fail)
    });
    runtime.block_on(app.stop());
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
