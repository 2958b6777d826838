//! The consent ledger through the real server: given from the widget (durable before the thanks, surviving a
//! restart), a malformed address refused in the shopper's locale with nothing stored, withdrawn from the widget
//! and from the API at once.

use serde_json::{Value, json};

use crate::profiles::{KEY, spawn_private};
use crate::support::{Client, TestApp, api, spawn_with};

async fn started(app: &TestApp, visitor: &str, locale: &str) -> Client {
    let mut client = app.client().await;
    client
        .send(
            json!({"type": "start", "flow": "running-shoes", "locale": locale, "visitor": visitor}),
        )
        .await;
    client.until("question").await;
    client
}

async fn consent(client: &mut Client, email: &str, given: bool) -> Value {
    client
        .send(json!({"type": "consent", "email": email, "consent": given}))
        .await;
    client.recv().await
}

async fn ledger(app: &TestApp, id: &str) -> Value {
    let (status, body) = api(
        app.addr,
        "GET",
        &format!("/v1/visitors/{id}/consents"),
        KEY,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    body
}

#[tokio::test]
async fn a_malformed_address_is_refused_in_the_shoppers_locale_and_nothing_is_stored() {
    let app = spawn_private().await;
    let mut client = started(&app, "v-ja", "ja").await;
    let reply = consent(&mut client, "aiko＠example", true).await;
    assert_eq!(reply["code"], "bad_message", "{reply:#}");
    assert!(
        reply["message"]
            .as_str()
            .expect("message")
            .contains("メールアドレス"),
        "{reply:#}"
    );
    let mut client = started(&app, "v-en", "en").await;
    let reply = consent(&mut client, "aiko at example.com", true).await;
    assert!(
        reply["message"]
            .as_str()
            .expect("message")
            .contains("email address"),
        "{reply:#}"
    );
    for id in ["v-ja", "v-en"] {
        let body = ledger(&app, id).await;
        assert_eq!(body["entries"], json!([]), "nothing stored for {id}");
        let (_, profile) = api(
            app.addr,
            "GET",
            &format!("/v1/visitors/{id}/profile"),
            KEY,
            None,
        )
        .await;
        assert!(profile["profile"]["email"].is_null(), "{profile:#}");
    }
    app.stop().await;
}

#[tokio::test]
async fn consent_is_durable_before_the_thanks_and_withdrawn_at_once_from_widget_and_api() {
    let app = spawn_private().await;
    let mut client = started(&app, "v-aiko", "ja").await;
    let thanks = consent(&mut client, "aiko@example.jp", true).await;
    assert_eq!(thanks["type"], "message", "{thanks:#}");
    // Stopped and started again on the same data: the consent was on disk before the thanks.
    let data = app.stop().await;
    let settings = crate::profiles::private_settings();
    let app = spawn_with(data, settings).await;
    let body = ledger(&app, "v-aiko").await;
    let entry = &body["entries"][0];
    assert_eq!(entry["purpose"], "email_recommendations");
    assert_eq!(entry["action"], "given");
    assert_eq!(entry["channel"], "widget");
    assert_eq!(entry["locale"], "ja");
    assert_eq!(entry["text_version"], "2026-12-04");
    assert!(
        entry["text"]
            .as_str()
            .expect("text")
            .starts_with("回答内容の保存と、おすすめのランニングシューズ"),
        "the exact text of the finder file, in the shopper's locale: {entry:#}"
    );
    assert_eq!(body["state"][0]["given"], true);
    let (_, profile) = api(app.addr, "GET", "/v1/visitors/v-aiko/profile", KEY, None).await;
    assert_eq!(profile["profile"]["email"]["address"], "aiko@example.jp");
    assert_eq!(profile["profile"]["email"]["confirmed"], false);

    // Withdrawn from the widget: in effect for the very next read.
    let mut client = started(&app, "v-aiko", "ja").await;
    let reply = consent(&mut client, "", false).await;
    assert_eq!(reply["type"], "message", "{reply:#}");
    let body = ledger(&app, "v-aiko").await;
    assert_eq!(body["state"][0]["given"], false);
    assert!(body["state"][0]["withdrawn_at"].is_u64());

    // Given again, then withdrawn through the API.
    consent(&mut client, "aiko@example.jp", true).await;
    assert_eq!(ledger(&app, "v-aiko").await["state"][0]["given"], true);
    let (status, body) = api(
        app.addr,
        "DELETE",
        "/v1/visitors/v-aiko/consents/email_recommendations",
        KEY,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    let body = ledger(&app, "v-aiko").await;
    assert_eq!(body["state"][0]["given"], false);
    let trail: Vec<(&str, &str)> = body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["channel"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            ("given", "widget"),
            ("withdrawn", "widget"),
            ("given", "widget"),
            ("withdrawn", "api")
        ],
        "append-only, in order"
    );
    let (status, body) = api(
        app.addr,
        "DELETE",
        "/v1/visitors/v-aiko/consents/sms",
        KEY,
        None,
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("purpose")),
        "{body:#}"
    );
    app.stop().await;
}
