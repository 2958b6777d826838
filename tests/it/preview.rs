//! `shopkeep email preview`: the shipped templates rendered to files with sample data (in Japanese too) and with a
//! real shopper's stored answers and cart from a server's data directory.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::profiles::{KEY, spawn_private};
use crate::support::{api, repo};

/// Runs `shopkeep email preview ARGS` in the repository (its emails/, flows/ and catalog/); the paths printed.
fn preview(args: &[&str]) -> Result<Vec<String>, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .current_dir(repo(""))
        .args(["email", "preview"])
        .args(args)
        .output()
        .expect("shopkeep runs");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The lines of a plain-text part between `heading` and the next blank-line-separated heading, as product lines.
fn listed_under(text: &str, heading: &str) -> Vec<String> {
    let Some((_, rest)) = text.split_once(heading) else {
        return Vec::new();
    };
    rest.lines()
        .skip(1)
        .take_while(|l| !l.ends_with(':') && !l.starts_with("Visit the shop"))
        .filter(|l| l.starts_with("* "))
        .map(str::to_string)
        .collect()
}

#[test]
fn sample_previews_write_both_parts_in_japanese_and_a_cart_with_its_item() {
    let out = tempfile::tempdir().expect("temp dir");
    let dir = out.path().to_str().expect("utf-8");
    let paths = preview(&["picks", "--locale", "ja", "--out", dir]).expect("previews");
    assert_eq!(
        paths,
        [
            format!("{dir}/picks.ja.html"),
            format!("{dir}/picks.ja.txt")
        ]
    );
    let (html, text) = (read(&paths[0]), read(&paths[1]));
    assert!(html.contains("<html lang=\"ja\">"), "{html}");
    assert!(text.starts_with("Subject: "), "{text}");
    assert!(
        text.contains("ご回答（"),
        "the picks' reasons in Japanese: {text}"
    );
    assert!(text.contains("utm_source=shopkeep"), "{text}");

    let paths = preview(&["cart", "--out", dir]).expect("previews");
    let text = read(&paths[1]);
    let items = listed_under(&text, "You left these in your cart:");
    assert_eq!(items.len(), 1, "a sample cart item: {text}");
    let alternatives = listed_under(&text, "Also a match for what you told us:");
    assert!(!alternatives.is_empty(), "{text}");
    let item_title = items[0]
        .trim_start_matches("* ")
        .split(" (")
        .next()
        .unwrap_or_default();
    assert!(
        alternatives.iter().all(|a| !a.contains(item_title)),
        "the item is not offered as its own alternative: {text}"
    );

    let error = preview(&["nosuch", "--out", dir]).expect_err("an unknown email");
    assert!(
        error.contains("no email `nosuch`") && error.contains("cart, picks, resume"),
        "{error}"
    );
}

#[tokio::test]
async fn a_visitors_preview_shows_their_answers_and_their_cart() {
    let app = spawn_private().await;
    let mut client = app.client().await;
    client
        .send(json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": "v-preview"}))
        .await;
    client.until("question").await;
    client.answer(json!({"value": "trail"})).await;
    client.answer(json!({"value": "yes"})).await;
    client
        .send(json!({"type": "consent", "email": "preview@example.com", "consent": true}))
        .await;
    client.until("message").await;
    let (status, body) = api(
        app.addr,
        "POST",
        "/v1/events",
        KEY,
        Some(json!({"id": "pv-1", "visitor": "v-preview", "kind": "added_to_cart", "product": "rs-009"})),
    )
    .await;
    assert_eq!((status, &body["stored"]), (200, &json!(1)), "{body}");
    drop(client);
    let data = app.stop().await;
    let out = tempfile::tempdir().expect("temp dir");
    let (data_dir, dir) = (
        data.path().to_str().expect("utf-8"),
        out.path().to_str().expect("utf-8"),
    );
    let args = |name: &'static str| {
        vec![
            name,
            "--visitor",
            "v-preview",
            "--data",
            data_dir,
            "--out",
            dir,
        ]
    };
    let paths = preview(&args("picks")).expect("previews");
    let text = read(&paths[1]);
    assert!(
        text.contains("Because you told us: Trail, waterproof"),
        "their own answers: {text}"
    );
    let paths = preview(&args("cart")).expect("previews");
    let text = read(&paths[1]);
    let items = listed_under(&text, "You left these in your cart:");
    let title = crate::support::shipped_title("rs-009");
    assert_eq!(items.len(), 1, "{text}");
    assert!(items[0].contains(&title), "their cart: {text}");
    assert!(!Path::new(&format!("{dir}/resume.en.html")).exists());
}
