//! A/B tests of finder versions through the real server: visitors are assigned stably to the arms of an
//! experiment (tests/fixtures/experiment: `running-shoes.yaml` against `running-shoes-b.yaml`, half each), each arm
//! asks its own questions, a resumed conversation keeps its arm, and the insights API reports per-arm figures.

use serde_json::{Value, json};
use shopkeep::flow::Arm;
use shopkeep::flow::experiment::assign;
use shopkeep::secret::{TokenHash, sign_customer};
use shopkeep::server::Settings;

use crate::profiles::{SECRET, private_settings};
use crate::support::{Client, TestApp, repo, spawn_dirs};

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
