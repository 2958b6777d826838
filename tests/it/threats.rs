//! Threats of docs/security.md that no other module covers: guessed resume tokens, deeply nested JSON, and paths
//! that climb out of the served folders.

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{http, spawn_app};

#[tokio::test]
async fn guessed_resume_tokens_get_one_answer_and_take_nothing_over() {
    let app = spawn_app().await;
    let mut shopper = app.client().await;
    let (session, _) = shopper.start("running-shoes", "en").await;
    let token = session["token"].as_str().expect("a token").to_string();
    assert_eq!(token.len(), 32, "128 random bits, as hex: {token}");
    let question = shopper.answer(json!({"value": "trail"})).await;
    assert_eq!(question["id"], "waterproof");

    let mut near = token.clone();
    let last = near.pop().expect("a character");
    near.push(if last == '0' { '1' } else { '0' });
    let guesses = [
        near,
        token[..16].to_string(),
        token.to_uppercase(),
        format!("{token} "),
        "0".repeat(32),
        String::new(),
        "../../store.current".to_string(),
        "x".repeat(10_000),
    ];
    let mut messages = Vec::new();
    for guess in &guesses {
        let mut attacker = app.client().await;
        attacker
            .send(json!({"type": "start", "v": 1, "flow": "running-shoes", "resume": guess}))
            .await;
        let reply = attacker.recv().await;
        assert_eq!(
            reply["type"],
            "error",
            "{}: {reply:#}",
            &guess[..guess.len().min(40)]
        );
        assert_eq!(reply["code"], "bad_resume", "{reply:#}");
        messages.push(reply["message"].clone());
        // Nothing started: an answer on this connection has no conversation to go to.
        attacker
            .send(json!({"type": "answer", "value": "yes"}))
            .await;
        assert_eq!(attacker.recv().await["code"], "no_session");
    }
    messages.dedup();
    assert_eq!(
        messages.len(),
        1,
        "one answer for every guess, so none tells more than another: {messages:?}"
    );
    // The shopper's conversation was neither taken over nor touched.
    let question = shopper.answer(json!({"value": "yes"})).await;
    assert_eq!(question["id"], "priorities", "{question:#}");
}

#[tokio::test]
async fn deeply_nested_json_is_refused_and_the_conversation_goes_on() {
    let app = spawn_app().await;
    let mut client = app.client().await;
    client.start("running-shoes", "en").await;
    let deep = 2_500;
    let frames = [
        format!("{}{}", "[".repeat(deep), "]".repeat(deep)),
        format!(
            r#"{{"type":"answer","value":{}"trail"{}}}"#,
            "[".repeat(deep),
            "]".repeat(deep)
        ),
        format!(
            r#"{{"type":"track","event":{}{}}}"#,
            r#"{"a":"#.repeat(deep),
            "}".repeat(deep)
        ),
    ];
    for frame in frames {
        assert!(frame.len() < 16 * 1024, "under the message size limit");
        client.send_raw(Message::Text(frame.into())).await;
        let reply = client.recv().await;
        assert_eq!(reply["type"], "error", "{reply:#}");
        assert_eq!(reply["code"], "bad_message", "{reply:#}");
    }
    let question = client.answer(json!({"value": "trail"})).await;
    assert_eq!(question["id"], "waterproof", "the session is still alive");
}

#[tokio::test]
async fn paths_that_climb_out_of_the_served_folders_find_nothing() {
    let app = spawn_app().await;
    for path in [
        "/catalog/images/..%2f..%2fCargo.toml",
        "/catalog/images/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/catalog/images/../../Cargo.toml",
        "/catalog/images/..%5c..%5cCargo.toml",
        "/catalog/images/.hidden.png",
        "/catalog/images/%2e%2e%2fproducts.jsonl.png",
        "/p/..%2f..%2fCargo.toml",
        "/widget.js/../Cargo.toml",
    ] {
        let (status, body) = http(app.addr, "GET", path, &[]).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(
            !body.contains("[package]") && !body.contains("\"id\""),
            "{path}: {body}"
        );
    }
    // The same route still serves what it should.
    let (status, _) = http(app.addr, "GET", "/widget.js", &[]).await;
    assert_eq!(status, 200);
}
