//! What the server sends besides the chat: the widget script, small, gzipped, cached and never sniffed; the demo
//! shop; the health endpoint.

use crate::support::{http_raw, spawn_app};

#[tokio::test]
async fn the_widget_is_served_gzipped_cached_and_under_25_kb() {
    let app = spawn_app().await;
    let widget = http_raw(
        app.addr,
        "GET",
        "/widget.js",
        &[("Accept-Encoding", "gzip")],
    )
    .await;
    assert_eq!(widget.status, 200);
    assert_eq!(
        widget.header("content-encoding"),
        Some("gzip"),
        "{:?}",
        widget.headers
    );
    assert!(
        widget.body.len() <= 25 * 1024,
        "the widget is {} bytes gzipped; the budget is 25 KB",
        widget.body.len()
    );
    assert_eq!(widget.header("x-content-type-options"), Some("nosniff"));
    assert!(
        widget
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/javascript")),
        "{:?}",
        widget.headers
    );
    assert!(
        widget
            .header("cache-control")
            .is_some_and(|c| c.contains("max-age")),
        "{:?}",
        widget.headers
    );

    let plain = http_raw(app.addr, "GET", "/widget.js", &[]).await;
    assert_eq!(
        plain.header("content-encoding"),
        None,
        "no gzip unless asked"
    );
    let text = String::from_utf8_lossy(&plain.body);
    assert!(text.contains("new WebSocket("), "the script opens the chat");
    assert!(plain.body.len() > widget.body.len());
}

#[tokio::test]
async fn the_demo_shop_and_health() {
    let app = spawn_app().await;
    let page = http_raw(app.addr, "GET", "/", &[]).await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(
        html.contains("widget.js"),
        "the demo shop embeds the widget"
    );
    let health = http_raw(app.addr, "GET", "/healthz", &[]).await;
    assert_eq!(health.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&health.body).expect("health is JSON");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["flows"], 3);
    assert_eq!(body["products"], 365);
    let missing = http_raw(app.addr, "GET", "/catalog/images/..%2Fsecret.svg", &[]).await;
    assert_eq!(missing.status, 404);
}
