//! The chat's limits and bad input over a real WebSocket: each limit closes or refuses the one offending
//! connection with the documented code, and every other conversation goes on.

use std::time::Duration;

use serde_json::json;
use shopkeep::server::{AllowedOrigins, Limits, Settings};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::support::{Client, http_raw, spawn_app, spawn_with};

fn http_status(error: &tokio_tungstenite::tungstenite::Error) -> Option<u16> {
    match error {
        tokio_tungstenite::tungstenite::Error::Http(response) => Some(response.status().as_u16()),
        _ => None,
    }
}

async fn spawn_limited(limits: Limits) -> crate::support::TestApp {
    let settings = Settings {
        limits,
        ..Settings::default()
    };
    spawn_with(tempfile::tempdir().expect("temp dir"), settings).await
}

#[tokio::test]
async fn pages_from_other_sites_get_403_unless_allowed() {
    let app = spawn_app().await;
    let refused = Client::try_connect(&app.ws_url(), Some("https://evil.example"))
        .await
        .err()
        .expect("a page on another site is refused");
    assert_eq!(http_status(&refused), Some(403));
    let own = format!("http://{}", app.addr);
    assert!(
        Client::try_connect(&app.ws_url(), Some(&own)).await.is_ok(),
        "the server's own pages may chat"
    );

    let settings = Settings {
        allowed_origins: AllowedOrigins::parse(["https://Shop.Example/"]).expect("an origin"),
        ..Settings::default()
    };
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
    let mut client = Client::try_connect(&app.ws_url(), Some("https://shop.example"))
        .await
        .expect("an allowed shop may embed the chat");
    let (_, question) = client.start("running-shoes", "en").await;
    assert_eq!(question["id"], "terrain");
    let refused = Client::try_connect(&app.ws_url(), Some("https://shop.example.evil"))
        .await
        .err()
        .expect("a look-alike origin is refused");
    assert_eq!(http_status(&refused), Some(403));
}

/// The widget cannot read the status of a refused upgrade, so it asks `/v1/access` (with CORS) why the socket failed.
#[tokio::test]
async fn the_access_endpoint_tells_a_page_whether_its_origin_may_chat() {
    let settings = Settings {
        allowed_origins: AllowedOrigins::parse(["HTTPS://Shop.Example:443/"]).expect("an origin"),
        ..Settings::default()
    };
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
    let refused = http_raw(
        app.addr,
        "GET",
        "/v1/access",
        &[("Origin", "https://evil.example")],
    )
    .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
    assert_eq!(refused.header("cache-control"), Some("no-store"));
    let body: serde_json::Value = serde_json::from_slice(&refused.body).expect("json");
    assert_eq!(body["allowed"], false);
    assert_eq!(
        body["fix"],
        "start shopkeep with --allow-origin https://evil.example"
    );

    let allowed = http_raw(
        app.addr,
        "GET",
        "/v1/access",
        &[("Origin", "https://shop.example")],
    )
    .await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    let body: serde_json::Value = serde_json::from_slice(&allowed.body).expect("json");
    assert_eq!(body["allowed"], true);
    // the socket agrees with the endpoint
    assert!(
        Client::try_connect(&app.ws_url(), Some("https://shop.example"))
            .await
            .is_ok()
    );

    // a file opened from disk (or a sandboxed frame) has no origin to allow: the fix says so, not `--allow-origin
    // null`, which the server would refuse at start
    let file_page = http_raw(app.addr, "GET", "/v1/access", &[("Origin", "null")]).await;
    assert_eq!(file_page.status, 403);
    let body: serde_json::Value = serde_json::from_slice(&file_page.body).expect("json");
    let fix = body["fix"].as_str().expect("a fix");
    assert!(
        fix.contains("no web origin")
            && fix.contains("serve it over https")
            && !fix.contains("--allow-origin null"),
        "{fix}"
    );
}

#[tokio::test]
async fn a_message_over_the_size_limit_closes_with_1009() {
    let app = spawn_app().await;
    let mut client = app.client().await;
    client.start("running-shoes", "en").await;
    let mut bystander = app.client().await;
    bystander.start("running-shoes", "en").await;
    let text = "a".repeat(17 * 1024);
    client.send(json!({"type": "answer", "text": text})).await;
    assert_eq!(client.closed().await, Some(1009));
    let question = bystander.answer(json!({"value": "road"})).await;
    assert_eq!(question["id"], "priorities", "other conversations go on");
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007() {
    let app = spawn_app().await;
    let mut client = app.client().await;
    client.start("running-shoes", "en").await;
    let frame = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    client.send_raw(Message::Frame(frame)).await;
    assert_eq!(client.closed().await, Some(1007));
}

#[tokio::test]
async fn a_flood_of_messages_closes_with_1008() {
    let app = spawn_limited(Limits {
        messages_per_second: 5,
        message_burst: 10,
        ..Limits::default()
    })
    .await;
    let mut bystander = app.client().await;
    bystander.start("running-shoes", "en").await;
    let mut client = app.client().await;
    for _ in 0..40 {
        client.send(json!({"type": "back"})).await;
    }
    assert_eq!(client.closed().await, Some(1008));
    let question = bystander.answer(json!({"value": "trail"})).await;
    assert_eq!(question["id"], "waterproof", "other conversations go on");
}

#[tokio::test]
async fn connections_per_address_are_capped_and_freed() {
    let app = spawn_limited(Limits {
        connections_per_ip: 2,
        ..Limits::default()
    })
    .await;
    let first = app.client().await;
    let _second = app.client().await;
    let refused = Client::try_connect(&app.ws_url(), None)
        .await
        .err()
        .expect("a third connection from one address is refused");
    assert_eq!(http_status(&refused), Some(429));
    drop(first);
    // The server frees the place once it sees the connection end; wait for that, boundedly.
    let mut admitted = None;
    for _ in 0..100 {
        match Client::try_connect(&app.ws_url(), None).await {
            Ok(client) => {
                admitted = Some(client);
                break;
            }
            Err(error) => {
                assert_eq!(http_status(&error), Some(429), "{error}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    let mut client = admitted.expect("a freed place is given to the next connection");
    let (_, question) = client.start("backpacks", "en").await;
    assert!(question["id"].is_string());
}

#[tokio::test]
async fn a_silent_connection_is_pinged_then_closed_and_can_resume() {
    let app = spawn_limited(Limits {
        // Wide margins: on a busy machine a pong can take a while, and a missed one drops the connection.
        ping_interval: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(1500),
        ..Limits::default()
    })
    .await;
    let mut client = app.client().await;
    let (session, _) = client.start("running-shoes", "en").await;
    client.answer(json!({"value": "road"})).await;
    let (pings, code) = client.pings_until_closed().await;
    assert!(
        pings >= 2,
        "the server pinged the idle connection ({pings} pings)"
    );
    assert_eq!(code, Some(1000), "an idle connection is closed normally");

    let mut again = app.client().await;
    let (_, question) = again
        .resume("running-shoes", session["token"].as_str().expect("token"))
        .await;
    assert_eq!(
        question["id"], "priorities",
        "the answer survived the idle close"
    );
}

#[tokio::test]
async fn every_kind_of_bad_message_gets_an_error_and_the_session_lives_on() {
    let app = spawn_app().await;
    let mut client = app.client().await;
    client.start("running-shoes", "en").await;
    let cases = [
        ("{\"type\": \"answer\"", "bad_message"),
        ("[1, 2, 3]", "unknown_type"),
        ("{\"no_type\": true}", "unknown_type"),
        (
            "{\"type\": \"answer\", \"value\": \"road\", \"text\": \"road\"}",
            "bad_message",
        ),
        ("{\"type\": \"answer\", \"value\": 42}", "bad_message"),
        (
            "{\"type\": \"answer\", \"range\": {\"max\": \"cheap\"}}",
            "bad_message",
        ),
        (
            "{\"type\": \"event\", \"kind\": \"liked\", \"product\": \"rs-001\"}",
            "bad_message",
        ),
        (
            "{\"type\": \"start\", \"v\": 2, \"flow\": \"running-shoes\"}",
            "unsupported_version",
        ),
        ("{\"type\": \"skip\"}", "not_allowed"),
        ("{\"type\": \"results_now\"}", "not_allowed"),
        ("{\"type\": \"answer\", \"value\": \"moon\"}", "question"),
        (
            "{\"type\": \"consent\", \"email\": \"not an address\", \"consent\": true}",
            "bad_message",
        ),
    ];
    for (raw, expected) in cases {
        client.send_raw(Message::Text(raw.into())).await;
        let reply = client.recv().await;
        if expected == "question" {
            assert_eq!(reply["type"], "question", "{raw}: {reply:#}");
            assert!(reply["hint"].is_string(), "{raw}: a hint: {reply:#}");
        } else {
            assert_eq!(reply["type"], "error", "{raw}: {reply:#}");
            assert_eq!(reply["code"], expected, "{raw}: {reply:#}");
            let message = reply["message"].as_str().expect("message");
            assert!(!message.is_empty(), "{raw}: a human message");
        }
    }
    let question = client.answer(json!({"value": "road"})).await;
    assert_eq!(question["id"], "priorities", "the session is still alive");
}

#[tokio::test]
async fn shutdown_closes_conversations_with_1001() {
    let app = spawn_app().await;
    let mut client = app.client().await;
    client.start("running-shoes", "en").await;
    app.shutdown.trigger();
    assert_eq!(client.closed().await, Some(1001));
}
