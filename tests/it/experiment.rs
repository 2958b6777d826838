//! A/B tests of finder versions through the real server: visitors are assigned stably to the arms of an
//! experiment (tests/fixtures/experiment: `running-shoes.yaml` against `running-shoes-b.yaml`, half each), each arm
//! asks its own questions, a resumed conversation keeps its arm, and the insights API reports per-arm figures.

use serde_json::{Value, json};
use shopkeep::flow::Arm;
use shopkeep::flow::experiment::assign;
use shopkeep::secret::{TokenHash, sign_customer};
use shopkeep::server::Settings;

use crate::profiles::{SECRET, private_settings};
use crate::support::{Client, TestApp, api, http_raw, repo, spawn_dirs};

const ADMIN: &str = "experiment-admin";
const CONTROL_ASKS: &str = "Where do you run most?";
const VARIANT_ASKS: &str = "Which surface do you mostly run on?";

async fn spawn() -> TestApp {
    let settings = Settings {
        admin_token: Some(TokenHash::new(ADMIN)),
        ..private_settings()
    };
    spawn_dirs(
        &repo("tests/fixtures/experiment/flows"),
        &repo("catalog"),
        tempfile::tempdir().expect("temp dir"),
        settings,
    )
    .await
}

/// Starts running-shoes with `extra` fields in the start message; the client, the token and the first question.
async fn start(app: &TestApp, extra: Value) -> (Client, String, Value) {
    let mut client = app.client().await;
    let mut message = json!({"type": "start", "v": 1, "flow": "running-shoes", "locale": "en"});
    for (k, v) in extra.as_object().expect("fields") {
        message[k] = v.clone();
    }
    client.send(message).await;
    let (session, _) = client.until("session").await;
    let (question, _) = client.until("question").await;
    let token = session["token"].as_str().expect("token").to_string();
    (client, token, question)
}

/// The arm a first question belongs to.
fn arm_of(question: &Value) -> Arm {
    match question["text"].as_str() {
        Some(CONTROL_ASKS) => Arm::Control,
        Some(VARIANT_ASKS) => Arm::Variant,
        other => panic!("a question of neither arm: {other:?}"),
    }
}

#[tokio::test]
async fn visitors_are_assigned_stably_and_each_arm_asks_its_own_questions() {
    let app = spawn().await;
    let mut variant = 0;
    let n = 80;
    for i in 0..n {
        let visitor = format!("ab-{i}");
        let (_, _, first) = start(&app, json!({"visitor": visitor})).await;
        let arm = arm_of(&first);
        assert_eq!(first["id"], "terrain");
        // The documented hash decides, and the same visitor gets the same arm again.
        assert_eq!(arm, assign("running-shoes", &visitor, 0.5), "{visitor}");
        let (_, _, again) = start(&app, json!({"visitor": visitor})).await;
        assert_eq!(arm_of(&again), arm, "{visitor} changed arms");
        variant += usize::from(arm == Arm::Variant);
    }
    // Half each, within a band that 80 fair coin tosses leave with probability above 99.9 %.
    assert!(
        (25..=55).contains(&variant),
        "{variant} of {n} on the variant"
    );

    // Each arm asks its own second question; a resumed conversation stays on its arm.
    for arm in [Arm::Control, Arm::Variant] {
        let visitor = (0..)
            .map(|i| format!("resume-{i}"))
            .find(|v| assign("running-shoes", v, 0.5) == arm)
            .expect("a visitor on each arm");
        let (mut client, token, _) = start(&app, json!({"visitor": visitor})).await;
        let second = client.answer(json!({"value": "road"})).await;
        let expected = if arm == Arm::Control {
            "budget"
        } else {
            "cushioning"
        };
        assert_eq!(second["id"], expected, "{arm:?}: {second:#}");
        drop(client);
        let mut again = app.client().await;
        let (_, at) = again.resume("running-shoes", &token).await;
        assert_eq!(at["id"], expected, "{arm:?} after resuming: {at:#}");
    }

    // A signed customer keeps one arm on every device, whatever the visitor id of each.
    for customer in ["cust-1", "cust-2", "cust-3", "cust-4"] {
        let signature = sign_customer(SECRET, customer);
        let expected = assign("running-shoes", &format!("c:{customer}"), 0.5);
        for device in ["phone", "laptop"] {
            let extra = json!({"visitor": format!("{customer}-{device}"), "customer": customer, "signature": signature});
            let (_, _, first) = start(&app, extra).await;
            assert_eq!(arm_of(&first), expected, "{customer} on the {device}");
        }
    }
    app.stop().await;
}

/// A visitor id the experiment puts on `arm`, distinct for each `n`.
fn visitor_on(arm: Arm, n: usize) -> String {
    (0..)
        .map(|i| format!("seed-{n}-{i}"))
        .find(|v| assign("running-shoes", v, 0.5) == arm)
        .expect("a visitor on each arm")
}

/// One conversation on `arm`: answers `road`, then (on the variant) `yes` to cushioning, then skips the budget
/// when `finish`; clicks the first pick when `click`.
async fn converse(app: &TestApp, arm: Arm, n: usize, finish: bool, click: bool) {
    let (mut client, _, first) = start(app, json!({"visitor": visitor_on(arm, n)})).await;
    assert_eq!(arm_of(&first), arm);
    let mut next = client.answer(json!({"value": "road"})).await;
    if !finish {
        return;
    }
    if arm == Arm::Variant {
        assert_eq!(next["id"], "cushioning");
        next = client.answer(json!({"value": "yes"})).await;
    }
    assert_eq!(next["id"], "budget");
    client.send(json!({"type": "skip"})).await;
    let products = client.next_step().await;
    assert_eq!(products["type"], "products", "{products:#}");
    if click {
        let pick = products["products"][0]["id"].as_str().expect("a pick");
        client
            .send(json!({"type": "event", "kind": "clicked", "product": pick}))
            .await;
        // The click has no reply; a refused message after it answers once the click was taken in.
        client.send(json!({"type": "answer"})).await;
        assert_eq!(client.recv().await["type"], "error");
    }
}

async fn report(app: &TestApp, query: &str) -> (u16, Value) {
    api(
        app.addr,
        "GET",
        &format!("/admin/insights/running-shoes{query}"),
        ADMIN,
        None,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_insights_report_each_arm_and_their_difference() {
    let app = spawn().await;
    // Control: 4 start, 3 finish, 1 clicks. Variant: 3 start, 3 finish, 2 click.
    for (n, (finish, click)) in [(true, true), (true, false), (true, false), (false, false)]
        .into_iter()
        .enumerate()
    {
        converse(&app, Arm::Control, n, finish, click).await;
    }
    for (n, (finish, click)) in [(true, true), (true, true), (true, false)]
        .into_iter()
        .enumerate()
    {
        converse(&app, Arm::Variant, 10 + n, finish, click).await;
    }

    let (status, body) = report(&app, "?since=1d").await;
    assert_eq!(status, 200, "{body}");
    let arms = body["arms"].as_array().expect("arms");
    assert_eq!(arms.len(), 2, "{body:#}");
    let figures =
        |a: &Value| ["starts", "completed", "clicked"].map(|k| a[k].as_u64().unwrap_or(99));
    let (control, variant) = (&arms[0], &arms[1]);
    assert_eq!(
        (&control["arm"], &control["file"], control["share"].as_f64()),
        (&json!("control"), &json!("running-shoes.yaml"), Some(0.5))
    );
    assert_eq!(
        (&variant["arm"], &variant["file"]),
        (&json!("variant"), &json!("running-shoes-b.yaml"))
    );
    assert_ne!(control["version"], variant["version"]);
    assert_eq!(figures(control), [4, 3, 1]);
    assert_eq!(figures(variant), [3, 3, 2]);
    assert_eq!(control["completion_rate"], 0.75);
    assert_eq!(variant["click_through"], 0.6667);
    // The difference is the variant's minus the control's, with Newcombe's interval around it.
    let completion = shopkeep::insights::report::difference(3, 3, 3, 4);
    let click = shopkeep::insights::report::difference(2, 3, 1, 3);
    assert_eq!(variant["completion_difference"], 0.25);
    assert_eq!(variant["completion_low"].as_f64(), completion.low);
    assert_eq!(variant["completion_high"].as_f64(), completion.high);
    assert_eq!(variant["click_through_difference"], 0.3333);
    assert_eq!(variant["click_through_low"].as_f64(), click.low);
    assert!(
        click.low < Some(0.0) && click.high > Some(0.3333),
        "{click:?}"
    );
    assert!(control["completion_difference"].is_null());

    // Every table for one arm: each arm's questions are its own.
    let questions = |body: &Value| -> Vec<(String, u64)> {
        body["questions"]
            .as_array()
            .expect("questions")
            .iter()
            .map(|q| {
                (
                    q["question"].as_str().unwrap_or("").to_string(),
                    q["reached"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let (_, on_control) = report(&app, "?since=1d&arm=control").await;
    assert_eq!(
        questions(&on_control),
        [("terrain".to_string(), 4), ("budget".to_string(), 4)]
    );
    let (_, on_variant) = report(&app, "?since=1d&arm=variant").await;
    assert_eq!(
        questions(&on_variant),
        [
            ("terrain".to_string(), 3),
            ("cushioning".to_string(), 3),
            ("budget".to_string(), 3)
        ]
    );
    let (status, refused) = report(&app, "?arm=both").await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused.to_string().contains("`control` or `variant`"),
        "{refused}"
    );

    // The same table as CSV.
    let response = http_raw(
        app.addr,
        "GET",
        "/admin/insights/running-shoes/arms.csv?since=1d",
        &[("Authorization", &format!("Bearer {ADMIN}"))],
    )
    .await;
    assert_eq!(response.status, 200);
    let csv = String::from_utf8_lossy(&response.body).to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("arm,file,version,share,starts,completed"),
        "{csv}"
    );
    assert!(lines[1].starts_with("control,running-shoes.yaml,"), "{csv}");
    assert!(
        lines[2].starts_with("variant,running-shoes-b.yaml,") && lines[2].contains(",0.25,"),
        "{csv}"
    );

    // The dashboard draws the arms.
    let page = http_raw(
        app.addr,
        "GET",
        "/admin/dashboard/running-shoes?since=1d&lang=en",
        &[("Authorization", &format!("Bearer {ADMIN}"))],
    )
    .await;
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(
        html.contains(r#"<section id="arms">"#) && html.contains("+25.0 ("),
        "{html}"
    );

    // `shopkeep insights` prints the arms and the same differences, from the server and from its data folder.
    let points = |v: Option<f64>| format!("{:+.1}", v.expect("a bound") * 100.0);
    let expected = [
        format!(
            "completion: variant − control +25.0 points (95 % interval {} to {})",
            points(completion.low),
            points(completion.high)
        ),
        format!(
            "click-through: variant − control +33.3 points (95 % interval {} to {})",
            points(click.low),
            points(click.high)
        ),
    ];
    let arms_of = |printed: &str| -> Vec<String> {
        let start = printed.find("\narms\n").expect("an arms table");
        let end = printed[start + 1..]
            .find("\nseries")
            .map_or(printed.len(), |e| start + 1 + e);
        printed[start..end]
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    let server = app.url();
    let printed = crate::insights::cli(&[
        "running-shoes",
        "--since",
        "1d",
        "--server",
        &server,
        "--admin-token",
        ADMIN,
    ])
    .await
    .expect("shopkeep insights prints");
    let arms = arms_of(&printed);
    assert!(arms[1].starts_with("arm "), "{printed}");
    assert!(
        arms[2].starts_with("control  running-shoes.yaml")
            && arms[3].starts_with("variant  running-shoes-b.yaml"),
        "{printed}"
    );
    for line in &expected {
        assert!(arms.contains(line), "{line} in {printed}");
    }
    let variant_tables = crate::insights::cli(&[
        "running-shoes",
        "--since",
        "1d",
        "--server",
        &server,
        "--admin-token",
        ADMIN,
        "--arm",
        "variant",
        "--csv",
        "questions",
    ])
    .await
    .expect("one arm's questions");
    assert!(
        variant_tables.contains("\ncushioning,3,"),
        "{variant_tables}"
    );
    let data = app.stop().await;
    let offline = crate::insights::cli(&[
        "running-shoes",
        "--since",
        "1d",
        "--data",
        &data.path().display().to_string(),
        "--flows",
        &repo("tests/fixtures/experiment/flows")
            .display()
            .to_string(),
    ])
    .await
    .expect("reads the data folder");
    assert_eq!(arms_of(&offline), arms, "{offline}");
    let refused = crate::insights::cli(&[
        "running-shoes",
        "--data",
        &data.path().display().to_string(),
        "--flows",
        &repo("flows").display().to_string(),
        "--arm",
        "variant",
    ])
    .await
    .expect_err("no experiment in the shipped flows");
    assert!(refused.contains("runs no experiment"), "{refused}");
}

/// `shopkeep test` with the experiment fixture's tests in `tests`; success and stdout.
async fn shopkeep_test(tests: &std::path::Path) -> (bool, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .arg("test")
        .arg(tests)
        .arg("--flows")
        .arg(repo("tests/fixtures/experiment/flows"))
        .arg("--catalog")
        .arg(repo("catalog"))
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), output)
        .await
        .expect("done in time")
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[tokio::test]
async fn conversation_tests_run_on_both_arms_or_the_pinned_one() {
    let fixture = repo("tests/fixtures/experiment/tests/running-shoes.yaml");
    let (passed, out) = shopkeep_test(&fixture).await;
    assert!(passed, "{out}");
    for name in [
        "`every shopper is first asked where they run [control]`",
        "`every shopper is first asked where they run [variant]`",
        "`the control asks the budget next`",
        "`the variant asks about cushioning first`",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with("ok") && l.contains(name)),
            "{name}: {out}"
        );
    }
    assert!(out.contains("4 cases: 4 ok, 0 failing"), "{out}");

    // The variant's case pinned to the control is refused before it runs: the control has no such question.
    let dir = tempfile::tempdir().expect("temp dir");
    let moved = std::fs::read_to_string(&fixture)
        .expect("fixture")
        .replace("arm: variant", "arm: control");
    let file = dir.path().join("running-shoes.yaml");
    std::fs::write(&file, moved).expect("write");
    let (passed, out) = shopkeep_test(&file).await;
    assert!(!passed, "{out}");
    assert!(
        out.contains("the variant asks about cushioning first"),
        "{out}"
    );
    assert!(
        out.contains("has no question `cushioning`; use one of terrain, budget"),
        "{out}"
    );
}
