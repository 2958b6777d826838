//! Reloading finders and the catalog while serving: a reload is checked first and refused whole on a problem,
//! swaps atomically, and never disturbs a conversation in progress (it stays on the finder version it started
//! with, even when resumed on a new connection).

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use shopkeep::server::{Limits, Settings};

use crate::support::{Client, TestApp, answers_to_colour, copy_shipped, http, spawn_dirs};

const OLD_TEXT: &str = "What matters most? Pick one or two.";
const NEW_TEXT: &str = "What matters most to you on a run?";

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{} holds {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

async fn serve(parts: &Path, settings: Settings) -> TestApp {
    let data = tempfile::tempdir().expect("temp dir");
    spawn_dirs(&parts.join("flows"), &parts.join("catalog"), data, settings).await
}

/// Starts running-shoes, answers road: the next question is `priorities`; its text.
async fn priorities_text(client: &mut Client) -> String {
    client.start("running-shoes", "en").await;
    let question = client.answer(json!({"value": "road"})).await;
    assert_eq!(question["id"], "priorities");
    question["text"].as_str().expect("text").to_string()
}

#[tokio::test]
async fn an_admin_reload_serves_new_conversations_and_keeps_old_ones_on_their_version() {
    let parts = copy_shipped();
    let app = serve(parts.path(), Settings::default()).await;
    let mut before = app.client().await;
    before.start("running-shoes", "en").await;
    let token = {
        let (session, _) = before.start("running-shoes", "en").await;
        session["token"].as_str().expect("token").to_string()
    };
    edit(
        &parts.path().join("flows/running-shoes.yaml"),
        OLD_TEXT,
        NEW_TEXT,
    );
    let (status, body) = http(app.addr, "POST", "/admin/reload", &[]).await;
    assert_eq!(status, 200, "{body}");
    let reloaded: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(reloaded["flows"], 3);

    let question = before.answer(json!({"value": "road"})).await;
    assert_eq!(
        question["text"], OLD_TEXT,
        "a conversation in progress keeps its version"
    );
    let mut after = app.client().await;
    assert_eq!(
        priorities_text(&mut after).await,
        NEW_TEXT,
        "a new conversation gets the new version"
    );

    drop(before);
    let mut resumed = app.client().await;
    let (_, question) = resumed.resume("running-shoes", &token).await;
    assert_eq!(
        question["text"], OLD_TEXT,
        "a resumed conversation gets its own version back"
    );
}

#[tokio::test]
async fn a_broken_edit_is_refused_with_its_location_and_the_old_flows_keep_serving() {
    let parts = copy_shipped();
    let app = serve(parts.path(), Settings::default()).await;
    let flow = parts.path().join("flows/running-shoes.yaml");
    edit(&flow, "      - goto: priorities", "      - goto: nowhere");
    let (status, body) = http(app.addr, "POST", "/admin/reload", &[]).await;
    assert_eq!(status, 422, "{body}");
    let refused: serde_json::Value = serde_json::from_str(&body).expect("json");
    let problems = refused["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "one mistake, one problem: {problems:#?}");
    let problems = refused["problems"].to_string();
    // The line of the problem lies in the `terrain` question, at or before the edited rule.
    let source = std::fs::read_to_string(&flow).expect("the edited flow");
    let line_of = |needle: &str| {
        source
            .lines()
            .position(|l| l.contains(needle))
            .expect("in the flow")
            + 1
    };
    let (question, edited) = (line_of("- id: terrain"), line_of("goto: nowhere"));
    let reported: usize = problems
        .split("running-shoes.yaml:")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .expect("the problem names the file and line");
    assert!(
        (question..=edited).contains(&reported) && problems.contains("`nowhere`"),
        "the problem names the file, a line of `terrain` ({question}–{edited}) and the id: {problems}"
    );
    let mut client = app.client().await;
    assert_eq!(priorities_text(&mut client).await, OLD_TEXT);

    // A mapping to a field the catalog lacks is refused too.
    edit(&flow, "      - goto: nowhere", "      - goto: priorities");
    edit(
        &flow,
        "filter: {field: terrain, eq: road}",
        "filter: {field: surface, eq: road}",
    );
    let (status, body) = http(app.addr, "POST", "/admin/reload", &[]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("surface"), "{body}");
}

#[tokio::test]
async fn admin_requests_need_the_token_when_one_is_set() {
    let parts = copy_shipped();
    let settings = Settings {
        admin_token: Some(shopkeep::secret::TokenHash::new("s3cret")),
        ..Settings::default()
    };
    let app = serve(parts.path(), settings).await;
    let (status, _) = http(app.addr, "POST", "/admin/reload", &[]).await;
    assert_eq!(status, 401);
    let (status, _) = http(
        app.addr,
        "POST",
        "/admin/reload",
        &[("Authorization", "Bearer wrong")],
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = http(
        app.addr,
        "POST",
        "/admin/reload",
        &[("Authorization", "Bearer s3cret")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn saving_a_flow_file_reloads_it() {
    let parts = copy_shipped();
    let settings = Settings {
        watch: true,
        ..Settings::default()
    };
    let app = serve(parts.path(), settings).await;
    // A conversation proves the server (and so its watcher) is up before the file is saved.
    let mut client = app.client().await;
    assert_eq!(priorities_text(&mut client).await, OLD_TEXT);
    edit(
        &parts.path().join("flows/running-shoes.yaml"),
        OLD_TEXT,
        NEW_TEXT,
    );
    let mut seen = String::new();
    for _ in 0..100 {
        let mut client = app.client().await;
        seen = priorities_text(&mut client).await;
        if seen == NEW_TEXT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, NEW_TEXT, "the saved flow is served within 10 s");
}

#[tokio::test]
async fn a_catalog_reload_swaps_while_conversations_search_without_a_failure() {
    let parts = copy_shipped();
    let settings = Settings {
        limits: Limits {
            messages_per_second: 0,
            ..Limits::default()
        },
        ..Settings::default()
    };
    let app = serve(parts.path(), settings).await;
    let feed = parts.path().join("catalog/products.jsonl");
    let mut lines = std::fs::read_to_string(&feed).expect("feed");
    lines.push_str(r#"{"id":"rs-new","title":"Brand New Road Flyer","brand":"Zephyr","category":"running-shoes","price":99.0,"currency":"USD","rating":4.9,"stock":5,"tags":[],"attributes":{"terrain":"road"}}"#);
    lines.push('\n');
    std::fs::write(&feed, lines).expect("write feed");

    let mut client = app.client().await;
    client.start("running-shoes", "en").await;
    for answer in answers_to_colour() {
        client.answer(answer).await;
    }
    let searcher = tokio::spawn(async move {
        let mut searches = 0;
        for _ in 0..40 {
            let products = client.answer(json!({"value": "any"})).await;
            assert_eq!(products["type"], "products", "{products:#}");
            assert!(!products["products"].as_array().expect("picks").is_empty());
            searches += 1;
            client.send(json!({"type": "back"})).await;
            let question = client.next_step().await;
            assert_eq!(question["id"], "colour", "{question:#}");
        }
        searches
    });
    for _ in 0..3 {
        let (status, body) = http(app.addr, "POST", "/admin/reload", &[]).await;
        assert_eq!(status, 200, "{body}");
    }
    let searches = searcher
        .await
        .expect("the searching conversation never failed");
    assert_eq!(searches, 40);
    let (status, health) = http(app.addr, "GET", "/healthz", &[]).await;
    assert_eq!(status, 200);
    assert!(health.contains("\"products\":366"), "{health}");
    let (status, page) = http(app.addr, "GET", "/p/rs-new", &[]).await;
    assert_eq!(status, 200);
    assert!(page.contains("Brand New Road Flyer"));
}
