//! Shop events through the real server: `POST /v1/events` (validated, de-duplicated, durable, bad fields named,
//! batches partly stored, unknown products flagged, bounded) and `track` over the chat socket.

use serde_json::{Value, json};
use shopkeep::server::{Limits, Settings};

use crate::profiles::{KEY, private_settings, spawn_private};
use crate::support::{TestApp, api, spawn_with};

async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    api(app.addr, "POST", "/v1/events", KEY, Some(body)).await
}

async fn events_of(app: &TestApp, visitor: &str) -> Vec<Value> {
    let (status, body) = api(
        app.addr,
        "GET",
        &format!("/v1/visitors/{visitor}/profile"),
        KEY,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    body["events"].as_array().expect("events").clone()
}

#[tokio::test]
async fn events_are_stored_once_durably_and_a_bad_one_is_named() {
    let app = spawn_private().await;
    let viewed = json!({"id": "e-1", "visitor": "v-shop", "kind": "viewed", "product": "rs-001", "session": "s-9"});
    let (status, body) = post(&app, viewed.clone()).await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["stored"], 1);
    let (_, body) = post(&app, viewed).await;
    assert_eq!(
        (body["stored"].clone(), body["duplicates"][0]["id"].clone()),
        (json!(0), json!("e-1")),
        "{body:#}"
    );

    let (status, body) = post(
        &app,
        json!({"id": "e-2", "visitor": "v-shop", "kind": "purchased", "order": {"id": "o-1", "lines": [{"product": "rs-002", "quantity": 0}]}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "bad_event");
    assert_eq!(body["field"], "order.lines[0].quantity", "{body:#}");

    // A batch stores its good events, lists the bad one, and flags a product the catalog does not know.
    let (status, body) = post(
        &app,
        json!({"events": [
            {"id": "e-3", "visitor": "v-shop", "kind": "added_to_cart", "product": "rs-002", "quantity": 2},
            {"id": "e-4", "visitor": "v-shop", "kind": "clicked"},
            {"id": "e-5", "visitor": "v-shop", "kind": "purchased", "order": {"id": "o-2", "lines": [{"product": "rs-002", "price": 120}, {"product": "no-such-shoe"}]}},
            {"id": "e-6", "customer": "cust-7", "kind": "page", "category": "running-shoes"},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["stored"], 3);
    assert_eq!(
        body["rejected"],
        json!([{"index": 1, "id": "e-4", "field": "product",
        "message": "required for `clicked`: the product's id"}])
    );
    assert_eq!(
        body["flagged"],
        json!([{"index": 2, "id": "e-5", "unknown_products": ["no-such-shoe"]}])
    );

    // On disk before the answer: still there after a restart.
    let data = app.stop().await;
    let app = spawn_with(data, private_settings()).await;
    let kinds: Vec<Value> = events_of(&app, "v-shop")
        .await
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("viewed"), json!("added_to_cart"), json!("purchased")]
    );
    assert_eq!(
        events_of(&app, "c:cust-7").await[0]["category"],
        "running-shoes"
    );

    let (status, _) = api(app.addr, "POST", "/v1/events", "", Some(json!({}))).await;
    assert_eq!(status, 401, "the API key is required");
    let (status, body) = post(&app, json!({"events": [{"id": "x", "kind": "viewed"}]})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("bad_event")),
        "a batch with nothing good: {body:#}"
    );
    let too_many: Vec<Value> = (0..1001)
        .map(|n| json!({"id": n, "visitor": "v", "kind": "viewed", "product": "p"}))
        .collect();
    let (status, body) = post(&app, Value::from(too_many)).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("events")),
        "{body:#}"
    );
    app.stop().await;
}

#[tokio::test]
async fn events_over_the_rate_get_429() {
    let settings = Settings {
        limits: Limits {
            events_per_second: 5,
            ..Limits::default()
        },
        ..private_settings()
    };
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
    let batch: Vec<Value> = (0..20)
        .map(|n| json!({"id": n, "visitor": "v", "kind": "viewed", "product": "rs-001"}))
        .collect();
    let (status, body) = post(&app, Value::from(batch)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("too_many_events")),
        "{body:#}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_widget_tracks_events_over_the_socket() {
    let app = spawn_private().await;
    let mut client = app.client().await;
    // No finder started: the event names its visitor.
    client
        .send(json!({"type": "track", "visitor": "v-page", "event": {"id": "t-1", "kind": "viewed", "product": "rs-003"}}))
        .await;
    client
        .send(json!({"type": "track", "visitor": "v-page", "event": {"id": "t-2", "kind": "added_to_cart"}}))
        .await;
    let refused = client.recv().await;
    assert_eq!(refused["code"], "bad_event", "{refused:#}");
    assert!(
        refused["message"]
            .as_str()
            .expect("message")
            .contains("product"),
        "{refused:#}"
    );
    // In a conversation, the picks the shopper looks at are shop events of theirs too.
    client
        .send(json!({"type": "start", "flow": "running-shoes", "visitor": "v-page"}))
        .await;
    client.until("question").await;
    client
        .send(json!({"type": "event", "kind": "clicked", "product": "rs-004"}))
        .await;
    client
        .send(json!({"type": "track", "event": {"id": "t-3", "kind": "page", "product": "rs-005"}}))
        .await;
    client.send(json!({"type": "back"})).await;
    client.recv().await;
    let events = events_of(&app, "v-page").await;
    let seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or(""),
                e["product"].as_str().unwrap_or(""),
                e["source"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(seen.len(), 3, "{events:#?}");
    for expected in [
        ("viewed", "rs-003", "widget"),
        ("clicked", "rs-004", "widget"),
        ("page", "rs-005", "widget"),
    ] {
        assert!(seen.contains(&expected), "{expected:?} in {seen:?}");
    }
    app.stop().await;
}
