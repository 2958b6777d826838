//! The server keeps its catalog index on disk in the data folder: a restart on unchanged feeds reuses it, a
//! changed feed is rebuilt into a new folder (the old one removed), a reload while serving swaps to a new folder,
//! and a build a crash left half-done is never opened.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use shopkeep::catalog::Shelf;
use shopkeep::server::Settings;

use crate::support::{TestApp, answers_to_colour, copy_shipped, http, spawn_catalog};

/// Serves the flows and catalog of `parts` with the index kept under `data/index`, as `shopkeep serve` does.
async fn serve_kept(parts: &Path, data: tempfile::TempDir) -> TestApp {
    let shelf = Shelf::new(data.path().join("index"), Default::default());
    let catalog_dir = parts.join("catalog");
    let (catalog, _) =
        shopkeep::setup::load_catalog(&catalog_dir, Some(&shelf)).expect("the catalog loads");
    let settings = Settings {
        catalog_index: Some(shelf),
        ..Settings::default()
    };
    spawn_catalog(&parts.join("flows"), &catalog_dir, catalog, data, settings).await
}

async fn health(app: &TestApp) -> Value {
    let (status, body) = http(app.addr, "GET", "/healthz", &[]).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("health is JSON")
}

/// The folders under `data/index`.
fn index_folders(data: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(data.join("index"))
        .expect("the index folder exists")
        .map(|e| e.expect("entry").path())
        .collect();
    folders.sort();
    folders
}

fn add_product(parts: &Path, id: &str) {
    let feed = parts.join("catalog/products.jsonl");
    let mut lines = std::fs::read_to_string(&feed).expect("feed");
    lines.push_str(&json!({"id": id, "title": format!("New {id}"), "brand": "Zephyr", "category": "running-shoes",
        "price": 99.0, "rating": 4.9, "stock": 5, "attributes": {"terrain": "road"}}).to_string());
    lines.push('\n');
    std::fs::write(&feed, lines).expect("write feed");
}

#[tokio::test]
async fn a_restart_on_unchanged_feeds_reuses_the_index_and_a_changed_feed_is_rebuilt() {
    let parts = copy_shipped();
    let app = serve_kept(parts.path(), tempfile::tempdir().expect("temp dir")).await;
    let first = health(&app).await;
    assert_eq!(first["catalog_index"], "built", "{first}");
    let data = app.stop().await;
    let built = index_folders(data.path());
    assert_eq!(built.len(), 1, "{built:?}");

    let app = serve_kept(parts.path(), data).await;
    let again = health(&app).await;
    assert_eq!(again["catalog_index"], "reused", "{again}");
    assert_eq!(again["products"], first["products"]);
    let data = app.stop().await;
    assert_eq!(
        index_folders(data.path()),
        built,
        "the same folder is served"
    );

    add_product(parts.path(), "rs-restart");
    let app = serve_kept(parts.path(), data).await;
    let changed = health(&app).await;
    assert_eq!(changed["catalog_index"], "built", "{changed}");
    assert_eq!(
        changed["products"].as_u64(),
        first["products"].as_u64().map(|n| n + 1)
    );
    let (status, page) = http(app.addr, "GET", "/p/rs-restart", &[]).await;
    assert_eq!(status, 200);
    assert!(page.contains("New rs-restart"));
    let data = app.stop().await;
    let rebuilt = index_folders(data.path());
    assert_eq!(rebuilt.len(), 1, "the old index is removed: {rebuilt:?}");
    assert_ne!(rebuilt, built);
}

#[tokio::test]
async fn a_reload_while_serving_swaps_to_a_new_folder_and_removes_the_old() {
    let parts = copy_shipped();
    let app = serve_kept(parts.path(), tempfile::tempdir().expect("temp dir")).await;
    let before = index_folders(app.data.path());
    let mut client = app.client().await;
    client.start("running-shoes", "en").await;

    add_product(parts.path(), "rs-reloaded");
    let (status, body) = http(app.addr, "POST", "/admin/reload", &[]).await;
    assert_eq!(status, 200, "{body}");
    let after = index_folders(app.data.path());
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after, before);
    assert_eq!(health(&app).await["catalog_index"], "built");
    let (status, page) = http(app.addr, "GET", "/p/rs-reloaded", &[]).await;
    assert_eq!(status, 200);
    assert!(page.contains("New rs-reloaded"));

    // The conversation that started before the swap searches the new index.
    for answer in answers_to_colour() {
        client.answer(answer).await;
    }
    let products = client.answer(json!({"value": "any"})).await;
    assert_eq!(products["type"], "products", "{products:#}");
    assert!(
        !products["products"].as_array().expect("picks").is_empty(),
        "{products:#}"
    );

    // A reload of unchanged feeds reuses the folder it serves.
    let (status, body) = http(app.addr, "POST", "/admin/reload", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(health(&app).await["catalog_index"], "reused");
    assert_eq!(index_folders(app.data.path()), after);
    app.stop().await;
}

#[tokio::test]
async fn a_build_left_half_done_by_a_crash_is_never_opened() {
    let parts = copy_shipped();
    let data = tempfile::tempdir().expect("temp dir");
    let fingerprint =
        shopkeep::catalog::shelf::fingerprint(&parts.path().join("catalog"), &Default::default())
            .expect("fingerprint");
    // A crash mid-build leaves a `.building-*` folder; a folder under the final name without its manifest is
    // treated the same way.
    for stray in [format!(".building-{fingerprint}-1"), fingerprint.clone()] {
        let folder = data.path().join("index").join(stray);
        std::fs::create_dir_all(&folder).expect("mkdir");
        std::fs::write(folder.join("meta.json"), "{ half written").expect("write");
    }
    let app = serve_kept(parts.path(), data).await;
    assert_eq!(health(&app).await["catalog_index"], "built");
    let folders = index_folders(app.data.path());
    assert_eq!(folders, [app.data.path().join("index").join(&fingerprint)]);
    assert!(folders[0].join("catalog.json").is_file());
    app.stop().await;
}
