//! Recommendations through the real server, on the shipped catalog and a seeded event log: each kind returns the
//! products planted for it, with its reason.

use serde_json::{Value, json};

use crate::profiles::{KEY, private_settings, spawn_private};
use crate::support::{TestApp, api, repo, spawn_with};

async fn post(app: &TestApp, events: Value) {
    let (status, body) = api(app.addr, "POST", "/v1/events", KEY, Some(events)).await;
    assert_eq!(status, 200, "{body:#}");
    assert!(
        body["rejected"].as_array().is_some_and(Vec::is_empty),
        "{body:#}"
    );
}

async fn recommend(app: &TestApp, query: &str) -> Vec<(String, String, String)> {
    let (status, body) = api(app.addr, "GET", &format!("/v1/visitors/{query}"), KEY, None).await;
    assert_eq!(status, 200, "{body:#}");
    body["recommendations"]
        .as_array()
        .expect("recommendations")
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (text("product"), text("kind"), text("reason"))
        })
        .collect()
}

fn has(recs: &[(String, String, String)], product: &str, kind: &str) -> bool {
    recs.iter().any(|(p, k, _)| p == product && k == kind)
}

#[tokio::test]
async fn each_kind_of_recommendation_finds_what_was_planted() {
    let app = spawn_private().await;
    let mut events = Vec::new();
    // Viewed together: rs-001 and rs-002 in three sessions; rs-003 once with rs-001, alongside the best-seller.
    for n in 0..3 {
        for product in ["rs-001", "rs-002"] {
            events.push(json!({"id": format!("v{n}-{product}"), "visitor": format!("v{n}"), "session": format!("s{n}"), "kind": "viewed", "product": product}));
        }
    }
    // Bought together: rs-010 with bp-004 by two shoppers.
    for n in 0..2 {
        events.push(json!({"id": format!("o{n}"), "visitor": format!("buyer-{n}"), "kind": "purchased",
            "order": {"id": format!("order-{n}"), "lines": [{"product": "rs-010"}, {"product": "bp-004"}]}}));
    }
    // Popular backpacks: bp-003 bought often, bp-005 viewed once.
    for n in 0..4 {
        events.push(
            json!({"id": format!("p{n}"), "visitor": format!("fan-{n}"), "kind": "purchased",
            "order": {"id": format!("fan-order-{n}"), "lines": [{"product": "bp-003"}]}}),
        );
    }
    events.push(json!({"id": "p9", "visitor": "fan-9", "kind": "viewed", "product": "bp-005"}));
    // A returning shopper's own history: viewed rs-005 then rs-006, bought rs-009.
    let earlier = shopkeep::store::now() - 60;
    for (n, product) in ["rs-005", "rs-006"].iter().enumerate() {
        events.push(json!({"id": format!("me-{n}"), "visitor": "v-me", "session": "s-me", "kind": "viewed", "product": product, "at": earlier + n as u64}));
    }
    events.push(json!({"id": "me-buy", "visitor": "v-me", "kind": "purchased", "order": {"id": "me-order", "lines": [{"product": "rs-009"}]}}));
    post(&app, json!({"events": events})).await;

    let recs = recommend(&app, "v-new/recommendations?context=rs-001&limit=5").await;
    assert_eq!(
        recs[0].0, "rs-002",
        "viewed together comes first on a product page: {recs:#?}"
    );
    assert_eq!(recs[0].1, "viewed_together");
    assert_eq!(recs[0].2, "Shoppers who viewed Skylark 6 also viewed this");

    let recs = recommend(&app, "v-new/recommendations?context=rs-010&limit=5").await;
    assert!(has(&recs, "bp-004", "bought_together"), "{recs:#?}");

    // Cold start: a first-time visitor on a backpack page gets the popular backpacks, most popular first.
    let recs = recommend(&app, "v-first/recommendations?context=bp-002&limit=3").await;
    let popular: Vec<&str> = recs
        .iter()
        .filter(|r| r.1 == "popular")
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(popular.first(), Some(&"bp-003"), "{recs:#?}");
    assert!(
        recs.iter().all(|r| r.0.starts_with("bp-")),
        "only backpacks: {recs:#?}"
    );
    assert_eq!(recs[0].2, "Popular in backpacks");

    // A returning visitor: recently viewed (newest first), what they bought left out.
    let recs = recommend(&app, "v-me/recommendations?limit=10&locale=ja").await;
    let recent: Vec<&str> = recs
        .iter()
        .filter(|r| r.1 == "recently_viewed")
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(recent, ["rs-006", "rs-005"], "{recs:#?}");
    assert_eq!(
        recs.iter()
            .find(|r| r.1 == "recently_viewed")
            .map(|r| r.2.as_str()),
        Some("最近見た商品")
    );
    assert!(
        !recs.iter().any(|r| r.0 == "rs-009"),
        "bought already: {recs:#?}"
    );

    let (status, body) = api(
        app.addr,
        "GET",
        "/v1/visitors/v-me/recommendations?limit=0",
        KEY,
        None,
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("limit")));
    app.stop().await;
}

#[tokio::test]
async fn a_shopper_who_answered_a_finder_gets_picks_because_of_what_they_told() {
    let app = spawn_private().await;
    let mut client = app.client().await;
    client
        .send(
            json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": "v-told"}),
        )
        .await;
    client.until("question").await;
    client.answer(json!({"value": "trail"})).await;
    client.answer(json!({"value": "yes"})).await;
    let recs = recommend(&app, "v-told/recommendations?limit=4").await;
    assert!(!recs.is_empty(), "picks from the stored answers");
    for (_, kind, reason) in &recs {
        assert_eq!(kind, "from_answers");
        assert!(reason.starts_with("Because you told us: "), "{reason}");
        assert!(
            reason.contains("Trail"),
            "the reason names the answer: {reason}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_reason_names_the_answers_in_the_finders_order_as_the_chat_does() {
    let app = spawn_private().await;
    let mut client = app.client().await;
    client
        .send(
            json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": "v-order"}),
        )
        .await;
    client.until("question").await;
    client.answer(json!({"value": "road"})).await;
    client.answer(json!({"values": ["cushioning"]})).await;
    client.answer(json!({"value": "no"})).await;
    let recs = recommend(&app, "v-order/recommendations?limit=2").await;
    assert!(!recs.is_empty());
    for (_, kind, reason) in &recs {
        assert_eq!(kind, "from_answers");
        assert!(
            reason.starts_with("Because you told us: Road, Cushioning"),
            "terrain, then priorities (the store keeps them by question id): {reason}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn answers_older_than_the_freshness_weigh_less_than_what_the_shopper_viewed_since() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let later = Arc::new(AtomicU64::new(0));
    let clock = {
        let later = later.clone();
        shopkeep::store::Clock::from_fn(move || {
            shopkeep::store::now() + later.load(Ordering::SeqCst)
        })
    };
    let settings = shopkeep::server::Settings {
        clock,
        answers_fresh: std::time::Duration::from_secs(90 * 24 * 3600),
        ..private_settings()
    };
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
    tell(&app, "v-stale", "trail", "yes").await;
    post(
        &app,
        json!({"id": "stale-1", "visitor": "v-stale", "kind": "viewed", "product": "rs-002"}),
    )
    .await;
    let fresh = recommend(&app, "v-stale/recommendations?limit=4").await;
    assert_eq!(fresh[0].1, "from_answers", "{fresh:#?}");
    later.store(91 * 24 * 3600, Ordering::SeqCst);
    let stale = recommend(&app, "v-stale/recommendations?limit=4").await;
    let at = |kind: &str| stale.iter().position(|r| r.1 == kind);
    assert!(at("recently_viewed").is_some(), "{stale:#?}");
    assert!(
        at("from_answers") > at("recently_viewed"),
        "three months on, what they viewed comes first: {stale:#?}"
    );
    app.stop().await;
}

/// A shopper `visitor` tells the running-shoe finder where they run and whether they want waterproof shoes.
async fn tell(app: &TestApp, visitor: &str, terrain: &str, waterproof: &str) {
    let mut client = app.client().await;
    client
        .send(json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": visitor}))
        .await;
    client.until("question").await;
    client.answer(json!({"value": terrain})).await;
    if terrain == "trail" {
        client.answer(json!({"value": waterproof})).await;
    }
}

#[tokio::test]
async fn shoppers_who_answered_alike_lend_their_choices_within_the_finders_scope_and_stock() {
    let app = spawn_private().await;
    for visitor in ["v-a", "v-b"] {
        tell(&app, visitor, "trail", "yes").await;
    }
    tell(&app, "v-road", "road", "").await;
    tell(&app, "v-dry", "trail", "no").await;
    let buy = |visitor: &str, products: &[&str]| {
        let lines: Vec<Value> = products.iter().map(|p| json!({"product": p})).collect();
        json!({"id": format!("buy-{visitor}"), "visitor": visitor, "kind": "purchased",
            "order": {"id": format!("order-{visitor}"), "lines": lines}})
    };
    post(
        &app,
        json!({"events": [
            // Both trail-and-waterproof shoppers bought the road shoe rs-009 and a backpack; one also the
            // sold-out rs-007 and clicked rs-001 in their picks.
            buy("v-a", &["rs-009", "bp-004", "rs-007"]),
            buy("v-b", &["rs-009", "bp-004"]),
            {"id": "click-b", "visitor": "v-b", "kind": "clicked", "product": "rs-001"},
            // Shoppers who answered otherwise.
            buy("v-road", &["rs-010"]),
            buy("v-dry", &["rs-012", "rs-013"]),
        ]}),
    )
    .await;

    tell(&app, "v-me", "trail", "yes").await;
    let recs = recommend(&app, "v-me/recommendations?limit=20&flow=running-shoes").await;
    let alike: Vec<&str> = recs
        .iter()
        .filter(|r| r.1 == "answered_alike")
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(
        alike,
        ["rs-009", "rs-001"],
        "most often chosen first; the backpack is outside the finder's scope, rs-007 is sold out: {recs:#?}"
    );
    let reason = recs
        .iter()
        .find(|r| r.1 == "answered_alike")
        .map(|r| r.2.as_str());
    assert_eq!(reason, Some("Shoppers who answered like you chose this"));

    // Without the finder named, its scope does not hold: the backpack the alike shoppers bought comes too.
    let recs = recommend(&app, "v-me/recommendations?limit=20&locale=ja").await;
    assert!(has(&recs, "bp-004", "answered_alike"), "{recs:#?}");
    assert!(!recs.iter().any(|r| r.0 == "rs-007"), "sold out: {recs:#?}");
    assert!(
        recs.iter().any(|r| r.2 == "同じ回答をした方が選んだ商品"),
        "{recs:#?}"
    );

    // A shopper who answered otherwise gets what their own kind chose.
    tell(&app, "v-road-2", "road", "").await;
    let recs = recommend(&app, "v-road-2/recommendations?limit=20&flow=running-shoes").await;
    assert!(has(&recs, "rs-010", "answered_alike"), "{recs:#?}");
    assert!(!has(&recs, "rs-009", "answered_alike"), "{recs:#?}");

    // After a restart the model is rebuilt from the stored answers and events.
    let data = app.stop().await;
    let app = spawn_with(data, private_settings()).await;
    let recs = recommend(&app, "v-me/recommendations?limit=20&flow=running-shoes").await;
    assert!(has(&recs, "rs-009", "answered_alike"), "{recs:#?}");
    app.stop().await;
}

#[tokio::test]
async fn the_widget_asks_over_the_chat_socket_within_its_finders_scope() {
    let app = spawn_private().await;
    let at = shopkeep::store::now() - 3600;
    let events: Vec<Value> = ["rs-005", "bp-004", "rs-006"]
        .iter()
        .enumerate()
        .map(|(n, product)| json!({"id": format!("s-{n}"), "visitor": "v-back", "session": "sb", "kind": "viewed", "product": product, "at": at + n as u64}))
        .collect();
    post(&app, json!({"events": events})).await;

    let mut client = app.client().await;
    client
        .send(
            json!({"type": "start", "flow": "running-shoes", "locale": "ja", "visitor": "v-back"}),
        )
        .await;
    client.until("question").await;
    client.send(json!({"type": "recommend", "limit": 3})).await;
    let (reply, _) = client.until("recommendations").await;
    assert_eq!(reply["returning"], true, "{reply:#}");
    let products = reply["products"].as_array().expect("products");
    let ids: Vec<&str> = products.iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids[..2], ["rs-006", "rs-005"], "{reply:#}");
    assert!(
        !ids.contains(&"bp-004"),
        "outside the finder's scope: {reply:#}"
    );
    assert_eq!(products[0]["reason"], "最近見た商品");
    assert_eq!(products[0]["kind"], "recently_viewed");
    assert!(products[0]["price"].is_number() && products[0]["image"].is_string());

    // A first-time visitor on a product page: what was viewed with it.
    let mut client = app.client().await;
    client
        .send(
            json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": "v-first"}),
        )
        .await;
    client.until("question").await;
    client
        .send(json!({"type": "recommend", "context": "rs-006"}))
        .await;
    let (reply, _) = client.until("recommendations").await;
    assert_eq!(reply["returning"], false);
    assert_eq!(reply["products"][0]["id"], "rs-005", "{reply:#}");
    assert_eq!(
        reply["products"][0]["reason"],
        "Shoppers who viewed Bramble 3 Dry also viewed this"
    );
    client.send(json!({"type": "recommend", "limit": 99})).await;
    let (reply, _) = client.until("error").await;
    assert_eq!(reply["code"], "bad_message", "{reply:#}");
    app.stop().await;
}

#[tokio::test]
async fn the_merchants_rules_pin_exclude_and_recommend_accessories() {
    let settings = shopkeep::server::Settings {
        rules_file: Some(repo("recommend.yaml")),
        ..private_settings()
    };
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
    // rs-044 (excluded by the shipped rules) is viewed with rs-001 more often than anything else.
    let mut events = Vec::new();
    for n in 0..4 {
        for product in ["rs-001", "rs-044"] {
            events.push(json!({"id": format!("x{n}-{product}"), "visitor": format!("x{n}"), "session": format!("xs{n}"), "kind": "viewed", "product": product}));
        }
    }
    events.push(json!({"id": "y-1", "visitor": "y", "session": "ys", "kind": "viewed", "product": "rs-001"}));
    events.push(json!({"id": "y-2", "visitor": "y", "session": "ys", "kind": "viewed", "product": "rs-002"}));
    post(&app, json!({"events": events})).await;

    let recs = recommend(&app, "v-new/recommendations?context=rs-001&limit=10").await;
    assert!(!recs.iter().any(|r| r.0 == "rs-044"), "excluded: {recs:#?}");
    assert!(has(&recs, "rs-002", "viewed_together"), "{recs:#?}");

    // A category pin on a backpack page, before every other kind.
    let recs = recommend(&app, "v-new/recommendations?context=bp-002&limit=3").await;
    assert_eq!(
        recs[0],
        (
            "bp-004".into(),
            "pinned".into(),
            "Staff pick: our best-selling day pack".into()
        ),
        "{recs:#?}"
    );

    // An accessory on the page of the shoe it goes with; the running-shoe finder's scope keeps it out of the
    // widget's strip.
    let recs = recommend(&app, "v-new/recommendations?context=rs-005&limit=3").await;
    assert_eq!(recs[0].0, "bp-008", "{recs:#?}");
    assert_eq!(recs[0].1, "goes_with");
    let recs = recommend(
        &app,
        "v-new/recommendations?context=rs-005&limit=5&flow=running-shoes",
    )
    .await;
    assert!(
        recs.iter().all(|r| r.0.starts_with("rs-")),
        "the finder's scope: {recs:#?}"
    );

    // An answer pin: a shopper who told the finder they run trails.
    let mut client = app.client().await;
    client
        .send(
            json!({"type": "start", "flow": "running-shoes", "locale": "ja", "visitor": "v-trail"}),
        )
        .await;
    client.until("question").await;
    client.answer(json!({"value": "trail"})).await;
    let recs = recommend(&app, "v-trail/recommendations?limit=4&locale=ja").await;
    assert_eq!(
        recs[0],
        (
            "rs-034".into(),
            "pinned".into(),
            "「トレイル」のおすすめ".into()
        ),
        "{recs:#?}"
    );
    let recs = recommend(&app, "v-trail/recommendations?limit=4").await;
    assert_eq!(recs[0].2, "Our pick for Trail", "{recs:#?}");

    let (status, body) = api(
        app.addr,
        "GET",
        "/v1/visitors/v-trail/recommendations?flow=bikes",
        KEY,
        None,
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("flow")));
    app.stop().await;
}

#[test]
fn a_rules_file_with_mistakes_stops_the_server_naming_each_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("recommend.yaml");
    std::fs::write(
        &rules,
        "pin:\n  - product: bp-004\n    category: hats\n  - product: rs-001\n    answer: {flow: running-shoes, question: terrain, value: moon}\nexclude: [rs-999]\nwith:\n  - product: rs-005\n    recommend: [bp-008, rs-005]\n",
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .args(["serve", "--addr", "127.0.0.1:0", "--no-watch", "--rules"])
        .arg(&rules)
        .arg("--flows")
        .arg(repo("flows"))
        .arg("--catalog")
        .arg(repo("catalog"))
        .arg("--data")
        .arg(dir.path().join("data"))
        .output()
        .expect("shopkeep runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = rules.display();
    for expected in [
        format!("{file}:3:15: error: no product is in category `hats`"),
        format!(
            "{file}:5:13: error: question `terrain` of finder `running-shoes` has no option `moon`; use one of road, trail, track"
        ),
        format!("{file}:6:11: error: product `rs-999` is not in the catalog"),
        format!("{file}:9:25: error: `rs-005` is recommended with itself"),
    ] {
        assert!(stderr.contains(&expected), "{expected}\n{stderr}");
    }
}

#[test]
fn eval_recs_scores_a_generated_log_and_finds_its_planted_pairs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("events.csv");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
            .args(args)
            .output()
            .expect("shopkeep runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let path = log.to_str().expect("utf-8 path");
    run(&[
        "eval-recs",
        "--generate",
        path,
        "--sessions",
        "3000",
        "--products",
        "200",
    ]);
    let table = run(&["eval-recs", path]);
    let score = |model: &str| -> Vec<f64> {
        let line = table
            .lines()
            .find(|l| l.starts_with(&format!("| {model}")))
            .expect("a row");
        line.split('|')
            .filter_map(|c| c.trim().parse().ok())
            .collect()
    };
    let (co, popular) = (score("co-occurrence"), score("popularity"));
    assert!(co[0] > 0.8 && co[1] > 2.0 * popular[1], "{table}");
    std::fs::write(&log, "session,timestamp,product,kind\ns1,1,p,liked\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .args(["eval-recs", path])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: unknown event kind `liked`"));
}
