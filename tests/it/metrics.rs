//! `/metrics` over real HTTP: a completed finder moves the turn, match and error series.
//!
//! Each server has its own registry (no process-wide recorder), so the figures are this test's alone whether the
//! tests share a process (`cargo test`) or not (nextest); the assertions compare against a scrape taken first all
//! the same, so they say what the finder added.

use serde_json::json;

use crate::support::{http_raw, spawn_app};

/// `GET /metrics`; the status code, the content type and the body.
async fn scrape(addr: std::net::SocketAddr) -> (u16, String, String) {
    let response = http_raw(addr, "GET", "/metrics", &[]).await;
    let content_type = response
        .header("content-type")
        .unwrap_or_default()
        .to_string();
    let body = String::from_utf8(response.body).expect("a UTF-8 response");
    (response.status, content_type, body)
}

/// The value of the series named exactly `series` (with its labels), or 0 when it is absent.
fn value(body: &str, series: &str) -> f64 {
    body.lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

#[tokio::test]
async fn a_completed_finder_moves_the_counters_and_histograms() {
    let app = spawn_app().await;
    let (status, content_type, before) = scrape(app.addr).await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );

    let mut client = app.client().await;
    client
        .send(json!({"type": "answer", "value": "trail"}))
        .await;
    let refused = client.next_step().await;
    assert_eq!(refused["code"], "no_session");
    client.start("running-shoes", "en").await;
    for answer in [
        json!({"value": "trail"}),
        json!({"text": "yes please"}),
        json!({"values": ["cushioning"]}),
        json!({"range": {"max": 120}}),
    ] {
        assert_eq!(client.answer(answer).await["type"], "question");
    }
    let products = client.answer(json!({"value": "any"})).await;
    assert_eq!(products["type"], "products");

    let (_, _, after) = scrape(app.addr).await;
    let delta = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(
        delta(r#"shopkeep_turns_total{type="start"}"#),
        1.0,
        "{after}"
    );
    assert_eq!(
        delta(r#"shopkeep_turns_total{type="answer"}"#),
        6.0,
        "{after}"
    );
    assert_eq!(
        delta(r#"shopkeep_errors_total{code="no_session"}"#),
        1.0,
        "{after}"
    );
    assert_eq!(delta("shopkeep_matches_total"), 1.0, "{after}");
    assert_eq!(
        delta("shopkeep_match_duration_seconds_count"),
        1.0,
        "{after}"
    );
    assert_eq!(
        delta("shopkeep_turn_duration_seconds_count"),
        7.0,
        "{after}"
    );
    assert!(delta("shopkeep_turn_duration_seconds_sum") > 0.0, "{after}");
    // Every turn falls in some bucket, so the last (+Inf) bucket counts them all.
    assert_eq!(
        delta(r#"shopkeep_turn_duration_seconds_bucket{le="+Inf"}"#),
        7.0,
        "{after}"
    );
    assert_eq!(value(&after, "shopkeep_open_conversations"), 1.0, "{after}");
    app.stop().await;
}
