//! Privacy rights through the real server: export one shopper, erase one shopper with a canary that must leave no
//! trace anywhere in the data directory after a restart, and the retention sweep under an injected clock.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use shopkeep::secret::TokenHash;
use shopkeep::server::Settings;
use shopkeep::store::Clock;

use crate::profiles::{KEY, private_settings};
use crate::support::{TestApp, api, spawn_with};

const ADMIN: &str = "admin-secret";

fn admin_settings() -> Settings {
    Settings {
        admin_token: Some(TokenHash::new(ADMIN)),
        ..private_settings()
    }
}

/// A shopper who answers two questions, gives consent with `email` and views a product.
async fn shopper(app: &TestApp, visitor: &str, email: Option<&str>) {
    let mut client = app.client().await;
    client
        .send(json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": visitor}))
        .await;
    client.until("question").await;
    client.answer(json!({"value": "trail"})).await;
    client.answer(json!({"value": "yes"})).await;
    if let Some(email) = email {
        client
            .send(json!({"type": "consent", "email": email, "consent": true}))
            .await;
        assert_eq!(client.recv().await["type"], "message");
    }
    let event = json!({"id": format!("view-{visitor}"), "visitor": visitor, "kind": "viewed", "product": "rs-001"});
    let (status, _) = api(app.addr, "POST", "/v1/events", KEY, Some(event)).await;
    assert_eq!(status, 200);
}

/// Every file under `dir` that holds `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read dir") {
                stack.push(entry.expect("entry").path());
            }
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[tokio::test]
async fn one_shopper_is_exported_as_json_with_the_admin_token() {
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), admin_settings()).await;
    shopper(&app, "v-export", Some("ren@example.com")).await;
    let (status, _) = api(app.addr, "GET", "/admin/shoppers/v-export", "", None).await;
    assert_eq!(status, 401, "the admin token is required");
    let (status, _) = api(app.addr, "GET", "/admin/shoppers/v-export", KEY, None).await;
    assert_eq!(status, 401, "an API key is not the admin token");
    let (status, export) = api(app.addr, "GET", "/admin/shoppers/v-export", ADMIN, None).await;
    assert_eq!(status, 200, "{export:#}");
    assert_eq!(export["v"], 1);
    assert_eq!(export["profile"]["email"]["address"], "ren@example.com");
    let questions: Vec<&str> = export["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .filter_map(|a| a["question"].as_str())
        .collect();
    assert_eq!(questions, ["terrain", "waterproof"]);
    assert_eq!(export["consents"][0]["action"], "given");
    assert_eq!(export["events"][0]["product"], "rs-001");
    assert_eq!(export["sessions"].as_array().expect("sessions").len(), 1);
    assert_eq!(export["emails_sent"], json!([]));
    let (status, _) = api(app.addr, "GET", "/admin/shoppers/v-nobody", ADMIN, None).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn an_erased_shopper_leaves_no_trace_in_the_data_directory_after_a_restart() {
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), admin_settings()).await;
    let tag = shopkeep::store::new_token(8);
    let canary = format!("canary-{tag}@example.com");
    let visitor = format!("v-canary-{tag}");
    shopper(&app, &visitor, Some(&canary)).await;
    shopper(&app, "v-neighbour", Some("neighbour@example.com")).await;
    // Flushed and on disk: the canary is in the data directory now.
    assert!(
        !files_holding(app.data.path(), canary.as_bytes()).is_empty(),
        "the canary was written"
    );

    let (status, body) = api(
        app.addr,
        "DELETE",
        &format!("/admin/shoppers/{visitor}"),
        ADMIN,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    let erased = &body["erased"];
    assert_eq!(
        (
            erased["answers"].clone(),
            erased["consents"].clone(),
            erased["events"].clone()
        ),
        (json!(2), json!(1), json!(1)),
        "{body:#}"
    );
    assert_eq!(erased["suppressed"], true);
    assert!(
        erased["analytics_lines"].as_u64().expect("lines") > 0,
        "{body:#}"
    );
    let (status, _) = api(
        app.addr,
        "GET",
        &format!("/admin/shoppers/{visitor}"),
        ADMIN,
        None,
    )
    .await;
    assert_eq!(status, 404, "nothing is known of them");

    let data = app.stop().await;
    let app = spawn_with(data, admin_settings()).await;
    for needle in [canary.as_str(), visitor.as_str(), tag.as_str()] {
        let holding = files_holding(app.data.path(), needle.as_bytes());
        assert!(holding.is_empty(), "`{needle}` is still in {holding:?}");
    }
    let (status, neighbour) =
        api(app.addr, "GET", "/admin/shoppers/v-neighbour", ADMIN, None).await;
    assert_eq!(status, 200, "everyone else is kept");
    assert_eq!(
        neighbour["profile"]["email"]["address"],
        "neighbour@example.com"
    );
    assert_eq!(neighbour["answers"].as_array().expect("answers").len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn the_retention_sweep_deletes_what_never_consenting_shoppers_left_past_the_period() {
    // The sweeps read a clock 31 days ahead: everything written now is past the 30-day period.
    let settings = Settings {
        clock: Clock::from_fn(|| shopkeep::store::now() + 31 * 24 * 3600),
        ..admin_settings()
    };
    assert_eq!(
        settings.retention,
        Duration::from_secs(30 * 24 * 3600),
        "the default period"
    );
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
    shopper(&app, "v-silent", None).await;
    shopper(&app, "v-agreed", Some("agreed@example.com")).await;
    let (status, body) = api(app.addr, "POST", "/admin/retention", ADMIN, None).await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(
        body["swept"],
        json!({"answers": 2, "picks": 0, "events": 1})
    );
    let (status, silent) = api(app.addr, "GET", "/v1/visitors/v-silent/profile", KEY, None).await;
    assert_eq!(
        status, 404,
        "nothing left of the shopper who never consented: {silent:#}"
    );
    let (_, agreed) = api(app.addr, "GET", "/v1/visitors/v-agreed/profile", KEY, None).await;
    assert_eq!(
        agreed["answers"].as_array().map(Vec::len),
        Some(2),
        "consented shoppers are kept"
    );
    assert_eq!(agreed["events"].as_array().map(Vec::len), Some(1));
    let (_, again) = api(app.addr, "POST", "/admin/retention", ADMIN, None).await;
    assert_eq!(
        again["swept"],
        json!({"answers": 0, "picks": 0, "events": 0})
    );
    let _: Value = again;
    app.stop().await;
}
