//! Conversations over a real WebSocket against the real server.

use serde_json::json;

use crate::support::{Client, spawn_app, spawn_with};

fn product_ids(products: &serde_json::Value) -> Vec<String> {
    products["products"]
        .as_array()
        .expect("products")
        .iter()
        .map(|p| p["id"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn completes_the_running_shoe_finder() {
    let app = spawn_app().await;
    let mut client = app.client().await;
    let (session, question) = client.start("running-shoes", "en").await;
    assert_eq!(session["flow"], "running-shoes");
    assert!(
        session["token"].as_str().expect("token").len() >= 32,
        "a token of at least 128 bits"
    );
    assert_eq!(question["id"], "terrain");
    assert_eq!(question["step"], 1);
    let question = client.answer(json!({"value": "trail"})).await;
    assert_eq!(
        question["id"], "waterproof",
        "trail runners are asked about waterproofing"
    );
    let question = client.answer(json!({"text": "yes please"})).await;
    assert_eq!(question["id"], "priorities");
    let question = client.answer(json!({"values": ["cushioning"]})).await;
    assert_eq!(
        question["id"], "budget",
        "the race question is only for road and track"
    );
    let question = client.answer(json!({"range": {"max": 120}})).await;
    assert_eq!(question["id"], "colour");
    let products = client.answer(json!({"value": "any"})).await;
    assert_eq!(products["type"], "products", "{products:#}");
    let picks = products["products"].as_array().expect("products");
    assert_eq!(picks.len(), 4);
    for pick in picks {
        assert!(pick["price"].as_f64().expect("price") <= 120.0, "{pick:#}");
        let line = pick["explanation"]["line"].as_str().expect("line");
        assert!(
            line.contains("Trail"),
            "the explanation names the answer: {line}"
        );
    }
    assert!(products["relaxed"].as_array().expect("relaxed").is_empty());
    // The answers were stored for later recommendations.
    let data = app.stop().await;
    let store = tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let _guard = rt.enter();
        let store = shopkeep::store::Store::open(data.path()).expect("reopen");
        let id = session["session"].as_str().expect("id").to_string();
        store.answers_of(&id).expect("answers")
    })
    .await
    .expect("join");
    let questions: Vec<&str> = store.iter().map(|(q, _)| q.as_str()).collect();
    assert_eq!(
        questions,
        ["budget", "colour", "priorities", "terrain", "waterproof"]
    );
}

#[tokio::test]
async fn japanese_finder_understands_typed_japanese() {
    let app = spawn_app().await;
    let mut client = app.client().await;
    let (session, question) = client.start("knives", "ja").await;
    assert_eq!(session["locale"], "ja");
    assert!(
        question["text"]
            .as_str()
            .expect("text")
            .chars()
            .any(shopkeep::text::is_cjk)
    );
    // Typed, in katakana with a full-width variant, not a button.
    let next = client.answer(json!({"text": "ｻﾝﾄｸ"})).await;
    assert_ne!(
        next["id"], question["id"],
        "the answer was understood: {next:#}"
    );
    let mut step = next;
    for _ in 0..6 {
        if step["type"] == "products" {
            break;
        }
        step = match step["kind"].as_str() {
            Some("range") => client.answer(json!({"text": "２万円以下"})).await,
            _ => {
                let first = step["options"][0]["value"].clone();
                client.answer(json!({"value": first})).await
            }
        };
    }
    assert_eq!(step["type"], "products", "{step:#}");
    let products = step["products"].as_array().expect("products");
    assert!(!products.is_empty());
    for p in products {
        assert_eq!(p["currency"], "JPY");
        assert!(
            p["price"].as_f64().expect("price") <= 20000.0
                || !step["relaxed"].as_array().expect("relaxed").is_empty()
        );
    }
}

#[tokio::test]
async fn resumes_after_reconnect_and_after_restart() {
    let app = spawn_app().await;
    let mut client = app.client().await;
    let (session, _) = client.start("running-shoes", "en").await;
    let token = session["token"].as_str().expect("token").to_string();
    let question = client.answer(json!({"value": "road"})).await;
    assert_eq!(question["id"], "priorities");
    drop(client);

    let mut again = app.client().await;
    again
        .send(json!({"type": "start", "v": 1, "flow": "running-shoes", "resume": token}))
        .await;
    let (resumed, _) = again.until("session").await;
    assert_eq!(resumed["resumed"], true);
    let (question, _) = again.until("question").await;
    assert_eq!(question["id"], "priorities");
    assert_eq!(question["step"], 2);
    drop(again);

    // A new server process on the same data directory.
    let data = app.stop().await;
    let app = spawn_with(data, Default::default()).await;
    let mut third = app.client().await;
    let (_, question) = third.resume("running-shoes", &token).await;
    assert_eq!(question["id"], "priorities");
    let question = third.answer(json!({"values": ["light"]})).await;
    assert_eq!(
        question["id"], "race",
        "the road answer survived the restart"
    );
}

#[tokio::test]
async fn back_restart_and_bad_input_keep_the_session_alive() {
    let app = spawn_app().await;
    let mut client = app.client().await;
    client.start("running-shoes", "en").await;
    client
        .send(json!({"type": "answer", "value": "trail"}))
        .await;
    client.until("question").await;
    client.send(json!({"type": "back"})).await;
    let (question, _) = client.until("question").await;
    assert_eq!(question["id"], "terrain");
    assert_eq!(question["can_back"], false);

    client
        .send_raw(tokio_tungstenite::tungstenite::Message::Text(
            "{not json".into(),
        ))
        .await;
    let reply = client.recv().await;
    assert_eq!(reply["code"], "bad_message");
    client.send(json!({"type": "dance"})).await;
    assert_eq!(client.recv().await["code"], "unknown_type");

    let question = client.answer(json!({"text": "the moon"})).await;
    assert_eq!(question["id"], "terrain");
    assert!(
        question["hint"].as_str().expect("hint").contains("trail"),
        "the hint names the choices: {question:#}"
    );
    let question = client.answer(json!({"text": "the moon"})).await;
    assert_eq!(
        question["offer_buttons"], true,
        "after two misses the shopper gets buttons and a skip"
    );
    assert_eq!(question["can_skip"], true);

    let question = client.answer(json!({"text": "Trail please"})).await;
    assert_eq!(question["id"], "waterproof");
    client.send(json!({"type": "restart"})).await;
    let (question, _) = client.until("question").await;
    assert_eq!(question["id"], "terrain");
    assert_eq!(question["step"], 1);

    // A binary frame ends the connection with RFC 6455's "unsupported data".
    client
        .send_raw(tokio_tungstenite::tungstenite::Message::Binary(
            vec![1, 2, 3].into(),
        ))
        .await;
    assert_eq!(client.closed().await, Some(1003));
}

#[tokio::test]
async fn unknown_flow_and_messages_before_start() {
    let app = spawn_app().await;
    let mut client: Client = app.client().await;
    client.send(json!({"type": "answer", "value": "x"})).await;
    assert_eq!(client.recv().await["code"], "no_session");
    client
        .send(json!({"type": "start", "v": 1, "flow": "nope"}))
        .await;
    let reply = client.recv().await;
    assert_eq!(reply["code"], "unknown_flow");
    assert!(
        reply["message"]
            .as_str()
            .expect("message")
            .contains("running-shoes")
    );
    let (_, question) = client.start("backpacks", "en").await;
    assert!(question["id"].is_string());
    let ids = product_ids(&json!({"products": []}));
    assert!(ids.is_empty());
}

#[test]
fn the_published_protocol_schema_is_current() {
    crate::support::assert_published(
        "docs/protocol.schema.json",
        &shopkeep::server::protocol::json_schema(),
    );
}

/// A client written from docs/protocol.md alone (Python's `websockets`, installed by scripts/test.sh) completes
/// every shipped finder, and every message it receives fits docs/protocol.schema.json.
#[tokio::test]
async fn a_client_written_from_the_protocol_doc_completes_every_finder() {
    let app = spawn_app().await;
    let script = crate::support::repo("tests/clients/chat_client.py");
    let schema = crate::support::repo("docs/protocol.schema.json");
    for (flow, locale) in [
        ("running-shoes", "en"),
        ("backpacks", "en"),
        ("knives", "ja"),
    ] {
        let run = tokio::process::Command::new("python3")
            .arg(&script)
            .arg(app.ws_url())
            .args([flow, locale])
            .arg(&schema)
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(std::time::Duration::from_secs(60), run)
            .await
            .expect("the client finishes in time")
            .expect("python3 runs (scripts/test.sh installs websockets and jsonschema)");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{flow}: {stderr}");
        let outcome: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("one JSON line");
        let picks = outcome["products"].as_array().expect("products");
        assert!(!picks.is_empty(), "{flow}: no products: {outcome:#}");
        for kind in ["message", "question", "products"] {
            assert!(
                outcome["types"]
                    .as_array()
                    .expect("types")
                    .contains(&json!(kind)),
                "{flow}: {outcome:#}"
            );
        }
    }
}
