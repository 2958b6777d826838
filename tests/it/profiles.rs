//! Profiles through the real server: a signed customer id joins devices, a forged one is refused, a confirmed
//! email merges profiles, newest answer per question wins.

use serde_json::{Value, json};
use shopkeep::secret::{TokenHash, sign_customer};
use shopkeep::server::Settings;

use crate::support::{TestApp, api, spawn_with};

pub const KEY: &str = "test-api-key";
pub const SECRET: &str = "shop-secret";

/// Settings with the test API key and customer secret.
pub fn private_settings() -> Settings {
    Settings {
        api_keys: vec![TokenHash::new(KEY)],
        customer_secret: Some(SECRET.into()),
        ..Settings::default()
    }
}

pub async fn spawn_private() -> TestApp {
    spawn_with(tempfile::tempdir().expect("temp dir"), private_settings()).await
}

/// Starts the running-shoes finder with `extra` fields in the start message and answers the first question.
async fn answer_terrain(app: &TestApp, extra: Value, terrain: &str) {
    let mut client = app.client().await;
    let mut start = json!({"type": "start", "v": 1, "flow": "running-shoes", "locale": "en"});
    for (k, v) in extra.as_object().expect("fields") {
        start[k] = v.clone();
    }
    client.send(start).await;
    client.until("session").await;
    let (question, _) = client.until("question").await;
    assert_eq!(question["id"], "terrain");
    let next = client.answer(json!({"value": terrain})).await;
    assert_eq!(next["type"], "question", "{next:#}");
}

async fn profile(app: &TestApp, id: &str) -> Value {
    let (status, body) = api(
        app.addr,
        "GET",
        &format!("/v1/visitors/{id}/profile"),
        KEY,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    body
}

fn terrain_of(profile: &Value) -> Vec<String> {
    profile["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .filter(|a| a["question"] == "terrain")
        .map(|a| a["answer"]["value"].as_str().expect("value").to_string())
        .collect()
}

#[tokio::test]
async fn a_signed_customer_id_joins_two_devices_and_the_newest_answer_wins() {
    let app = spawn_private().await;
    let signature = sign_customer(SECRET, "cust-42");
    answer_terrain(
        &app,
        json!({"visitor": "phone-1", "customer": "cust-42", "signature": signature}),
        "trail",
    )
    .await;
    // A second later on another device (answers are timed in seconds; the newer must be later).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    answer_terrain(
        &app,
        json!({"visitor": "laptop-2", "customer": "cust-42", "signature": signature}),
        "road",
    )
    .await;
    let merged = profile(&app, "phone-1").await;
    assert_eq!(merged["profile"]["id"], "c:cust-42");
    assert_eq!(merged["profile"]["customer"], "cust-42");
    let owners = merged["profile"]["owners"].to_string();
    assert!(
        owners.contains("phone-1") && owners.contains("laptop-2"),
        "{owners}"
    );
    assert_eq!(
        terrain_of(&merged),
        ["road"],
        "one answer per question, the newest"
    );
    assert_eq!(
        profile(&app, "c:cust-42").await,
        merged,
        "every id reads the same profile"
    );
    // Unknown shoppers and requests without the key are refused.
    let (status, _) = api(app.addr, "GET", "/v1/visitors/nobody/profile", KEY, None).await;
    assert_eq!(status, 404);
    let (status, body) = api(app.addr, "GET", "/v1/visitors/phone-1/profile", "", None).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = api(
        app.addr,
        "GET",
        "/v1/visitors/phone-1/profile",
        "wrong",
        None,
    )
    .await;
    assert_eq!(status, 401);
    app.stop().await;
}

#[tokio::test]
async fn a_forged_customer_id_is_refused_and_nothing_starts() {
    let app = spawn_private().await;
    let mut client = app.client().await;
    let forged = sign_customer("not-the-shop-secret", "cust-42");
    client
        .send(json!({"type": "start", "flow": "running-shoes", "visitor": "mallory", "customer": "cust-42", "signature": forged}))
        .await;
    let reply = client.recv().await;
    assert_eq!(reply["type"], "error");
    assert_eq!(reply["code"], "bad_customer", "{reply:#}");
    client
        .send(json!({"type": "start", "flow": "running-shoes", "visitor": "mallory", "customer": "cust-42"}))
        .await;
    assert_eq!(client.recv().await["code"], "bad_customer", "no signature");
    client
        .send(json!({"type": "answer", "value": "trail"}))
        .await;
    assert_eq!(client.recv().await["code"], "no_session", "nothing started");
    let (status, _) = api(app.addr, "GET", "/v1/visitors/c:cust-42/profile", KEY, None).await;
    assert_eq!(status, 404, "the forged id reached no profile");
    app.stop().await;
}

#[tokio::test]
async fn a_confirmed_email_merges_two_visitors_and_an_unconfirmed_one_does_not() {
    let app = spawn_private().await;
    answer_terrain(&app, json!({"visitor": "a-tablet"}), "trail").await;
    // The phone answers a second later (answers are timed in seconds): its answer is the newer.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    answer_terrain(&app, json!({"visitor": "b-phone"}), "road").await;
    let set = |id: &'static str, confirmed: bool| {
        let addr = app.addr;
        async move {
            api(
                addr,
                "PUT",
                &format!("/v1/visitors/{id}/email"),
                KEY,
                Some(json!({"email": " Aiko@Example.com ", "confirmed": confirmed})),
            )
            .await
        }
    };
    let (status, body) = set("a-tablet", true).await;
    assert_eq!(
        (status, &body["profile"]),
        (200, &json!("a-tablet")),
        "{body}"
    );
    let (_, body) = set("b-phone", false).await;
    assert_eq!(
        body["profile"], "b-phone",
        "an unconfirmed address merges nothing"
    );
    assert_eq!(
        profile(&app, "b-phone").await["profile"]["owners"],
        json!(["b-phone"])
    );
    let (_, body) = set("b-phone", true).await;
    assert_eq!(
        body["profile"], "a-tablet",
        "the older profile wins (the smaller id on a tie)"
    );
    let merged = profile(&app, "b-phone").await;
    assert_eq!(merged["profile"]["owners"], json!(["a-tablet", "b-phone"]));
    assert_eq!(merged["profile"]["email"]["confirmed"], true);
    assert_eq!(
        terrain_of(&merged),
        ["road"],
        "one answer per question, the newest, whichever profile it came from"
    );
    assert_eq!(
        profile(&app, "a-tablet").await,
        merged,
        "both devices read the same profile"
    );
    let (status, body) = api(
        app.addr,
        "PUT",
        "/v1/visitors/b-phone/email",
        KEY,
        Some(json!({"email": "not an address"})),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("email")),
        "{body}"
    );
    app.stop().await;
}
