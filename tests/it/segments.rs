//! Segments through the real server: a finder condition `{segment: returning}` lets a returning shopper skip the
//! intro (and the widget's opener greets them, in their language) while a new shopper gets the intro; a segment's
//! members export as CSV, with an email address only where the shopper consented.

use serde_json::{Value, json};
use shopkeep::server::Settings;

use crate::support::{Client, TestApp, copy_shipped, spawn_dirs};

/// A finder whose intro is only for shoppers who are not returning.
const INTRO: &str = r#"
id: intro
title: {en: Intro, ja: イントロ}
locales: [en, ja]
questions:
  - id: hello
    kind: info
    text: {en: "First time? Two quick questions.", ja: はじめての方へ：質問は2つだけです。}
    ask_when: {not: {segment: returning}}
  - id: kind
    kind: single
    text: {en: Which?, ja: どちら？}
    options: [{value: a}, {value: b}]
results:
  - id: picks
"#;

const SEGMENTS: &str = "segments:
  - name: returning
    when: {visitor: returning}
    opener: {en: Welcome back!, ja: おかえりなさい！}
  - name: new
    when: {visitor: new}
  - name: instagram-mobile
    when: {all: [{utm_source: instagram}, {device: mobile}]}
    opener: Hello from Instagram!
";

pub async fn spawn_segmented(segments: &str) -> (TestApp, tempfile::TempDir) {
    spawn_segmented_with(segments, crate::profiles::private_settings()).await
}

pub async fn spawn_segmented_with(
    segments: &str,
    settings: Settings,
) -> (TestApp, tempfile::TempDir) {
    let dir = copy_shipped();
    std::fs::write(dir.path().join("flows/intro.yaml"), INTRO).expect("write flow");
    let file = dir.path().join("segments.yaml");
    std::fs::write(&file, segments).expect("write segments");
    let settings = Settings {
        segments_file: Some(file),
        ..settings
    };
    let app = spawn_dirs(
        &dir.path().join("flows"),
        &dir.path().join("catalog"),
        tempfile::tempdir().expect("temp dir"),
        settings,
    )
    .await;
    (app, dir)
}

/// Starts the intro finder; the messages up to (and with) the first question.
async fn start(client: &mut Client, extra: Value) -> Vec<Value> {
    let mut message = json!({"type": "start", "v": 1, "flow": "intro"});
    for (k, v) in extra.as_object().expect("fields") {
        message[k] = v.clone();
    }
    client.send(message).await;
    let (question, mut before) = client.until("question").await;
    before.push(question);
    before
}

fn texts(messages: &[Value]) -> Vec<(String, Value)> {
    messages
        .iter()
        .filter(|m| m["type"] == "message")
        .map(|m| {
            (
                m["text"].as_str().unwrap_or_default().to_string(),
                m["segment"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_returning_shopper_skips_the_intro_and_is_welcomed_back_a_new_one_is_not() {
    let (app, _dir) = spawn_segmented(SEGMENTS).await;
    // The shop saw this visitor two days ago.
    let two_days_ago = shopkeep::store::now() - 2 * 86_400;
    let mut client = app.client().await;
    client
        .send(json!({"type": "track", "visitor": "v-back", "event": {
            "id": "e-earlier", "kind": "viewed", "product": "p-1", "at": two_days_ago}}))
        .await;
    let returning = start(&mut client, json!({"visitor": "v-back", "locale": "ja"})).await;
    assert_eq!(returning[0]["type"], "session", "{returning:#?}");
    assert_eq!(
        texts(&returning),
        [("おかえりなさい！".to_string(), json!("returning"))],
        "the opener, and no intro: {returning:#?}"
    );
    assert_eq!(returning.last().expect("question")["id"], "kind");

    let mut fresh = app.client().await;
    let new = start(&mut fresh, json!({"visitor": "v-new", "locale": "en"})).await;
    assert_eq!(
        texts(&new),
        [("First time? Two quick questions.".to_string(), Value::Null)],
        "the intro, and no opener: {new:#?}"
    );

    // This visit's source and device (from the User-Agent unless the message says) pick another opener.
    let mut social = app.client().await;
    let visit = start(
        &mut social,
        json!({"visitor": "v-social", "locale": "en", "device": "mobile",
               "utm": {"source": "Instagram", "campaign": "winter"}, "referrer": "https://l.instagram.com/"}),
    )
    .await;
    assert_eq!(
        texts(&visit)[0],
        (
            "Hello from Instagram!".to_string(),
            json!("instagram-mobile")
        )
    );
    social
        .send(json!({"type": "start", "flow": "intro", "device": "phone"}))
        .await;
    let refused = social.recv().await;
    assert_eq!(refused["code"], "bad_message", "{refused:#}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("mobile, tablet, desktop")
    );
}

#[tokio::test]
async fn a_finder_naming_an_undefined_segment_is_refused_naming_the_line() {
    let dir = copy_shipped();
    std::fs::write(dir.path().join("flows/intro.yaml"), INTRO).expect("write flow");
    let (flows, _) = shopkeep::flow::Flows::load_dir(&dir.path().join("flows")).expect("flows");
    let file = dir.path().join("segments.yaml");
    std::fs::write(
        &file,
        "segments:\n  - {name: customer, when: {visitor: customer}}\n",
    )
    .expect("write");
    let error = shopkeep::setup::load_segments(&file, &flows).expect_err("refused");
    let text = error.to_string();
    assert!(
        text.contains(
            "intro.yaml:9:15: error: the condition names segment `returning`, which is not defined"
        ),
        "{text}"
    );
}

/// A segment on a trigger: only shoppers who answered a budget of $100 or less get the picks email; the other
/// shopper, who consented too, gets nothing.
#[tokio::test]
async fn a_segment_on_a_trigger_sends_the_picks_email_to_members_only() {
    use crate::mailing::{Mailing, Sink, consent, started};
    let sink = Sink::start().await;
    let triggers = "finder_completed: { email: picks, segment: bargain-hunter }\nfrequency: { per_day: 5, per_week: 20 }\n";
    let mailing = Mailing::spawn(&sink, triggers).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("segments.yaml");
    std::fs::write(
        &file,
        "segments:\n  - name: bargain-hunter\n    when: {finder: running-shoes, answer: budget, lte: 100}\n",
    )
    .expect("write");
    let (flows, _) =
        shopkeep::flow::Flows::load_dir(&crate::support::repo("flows")).expect("flows");
    let segments = shopkeep::setup::load_segments(&file, &flows).expect("segments");
    assert!(
        mailing
            .mailer
            .triggers()
            .check_segments(&segments.names(), "segments.yaml")
            .is_empty()
    );
    assert_eq!(
        mailing
            .mailer
            .triggers()
            .check_segments(&[], "segments.yaml")[0]
            .message,
        "the condition names segment `bargain-hunter`, which is not defined; define it in `segments.yaml`"
    );
    mailing.mailer.set_segments(std::sync::Arc::new(segments));

    let finish_with_budget = |max: u32| {
        let mut answers = crate::support::answers_to_colour();
        answers[3] = json!({"range": {"max": max}});
        answers
    };
    for (visitor, address, budget) in [
        ("v-rich", "rich@example.com", 200),
        ("v-thrifty", "thrifty@example.com", 90),
    ] {
        let mut client = started(&mailing.app, visitor, "en").await;
        for answer in finish_with_budget(budget) {
            client.answer(answer).await;
        }
        let products = client.answer(json!({"value": "any"})).await;
        assert_eq!(products["type"], "products", "{products:#}");
        consent(&mut client, address).await;
    }
    let messages = sink.wait_for(1).await;
    mailing.settled(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let messages = if sink.messages().len() > messages.len() {
        sink.messages()
    } else {
        messages
    };
    assert_eq!(messages.len(), 1, "only the member: {messages:#?}");
    assert!(
        messages[0].to_string().contains("thrifty@example.com"),
        "{:#}",
        messages[0]
    );
    assert_eq!(mailing.mailer.counters.queued.get(), 1);
}

/// `GET /admin/segments/{name}/members.csv` as the admin: the status and the body.
async fn members_csv(app: &TestApp, name: &str, token: &str) -> (u16, String) {
    let auth = format!("Bearer {token}");
    crate::support::http(
        app.addr,
        "GET",
        &format!("/admin/segments/{name}/members.csv"),
        &[("Authorization", auth.as_str())],
    )
    .await
}

/// Three shoppers answer the first question; two of them (trail) are members of `trail-runners`. Of those, Aiko
/// consented to email from the widget and Ben only gave his address through the shop's API, so only Aiko's address
/// is in the export; Chika consented but answered `road`, so she is not a member at all.
#[tokio::test]
async fn a_segments_members_export_as_csv_with_emails_only_where_consented() {
    use crate::profiles::KEY;
    const ADMIN: &str = "admin-secret";
    let settings = Settings {
        admin_token: Some(shopkeep::secret::TokenHash::new(ADMIN)),
        ..crate::profiles::private_settings()
    };
    let segments = "segments:\n  - name: trail-runners\n    when: {finder: running-shoes, answer: terrain, eq: trail}\n  - name: customer\n    when: {visitor: customer}\n  - name: returning\n    when: {visitor: returning}\n";
    let (app, _dir) = spawn_segmented_with(segments, settings).await;
    for (visitor, terrain, consent) in [
        ("v-aiko", "trail", Some("aiko@example.jp")),
        ("v-ben", "trail", None),
        ("v-chika", "road", Some("chika@example.jp")),
        // A visitor id is whatever the browser sends: one that a spreadsheet would run as a formula.
        ("=2+5", "trail", None),
    ] {
        let mut client = app.client().await;
        client
            .send(json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": visitor}))
            .await;
        client.until("question").await;
        let next = client.answer(json!({"value": terrain})).await;
        assert_eq!(next["type"], "question", "{next:#}");
        if let Some(email) = consent {
            client
                .send(json!({"type": "consent", "email": email, "consent": true}))
                .await;
            let thanks = client.recv().await;
            assert_eq!(thanks["type"], "message", "{thanks:#}");
        }
    }
    // Ben's address comes from the shop, confirmed, with no consent to email.
    let (status, body) = crate::support::api(
        app.addr,
        "PUT",
        "/v1/visitors/v-ben/email",
        KEY,
        Some(json!({"email": "ben@example.com", "confirmed": true})),
    )
    .await;
    assert_eq!(status, 200, "{body:#}");

    let (status, csv) = members_csv(&app, "trail-runners", ADMIN).await;
    assert_eq!(status, 200, "{csv}");
    assert_eq!(
        csv, "profile,customer,email\n'=2+5,,\nv-aiko,,aiko@example.jp\nv-ben,,\n",
        "members only, Ben without his address, the formula-like id kept as text"
    );
    assert!(!csv.contains("ben@example.com") && !csv.contains("chika"));

    // Aiko withdraws: her address leaves the export, she stays a member.
    let (status, _) = crate::support::api(
        app.addr,
        "DELETE",
        "/v1/visitors/v-aiko/consents/email_recommendations",
        KEY,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, csv) = members_csv(&app, "trail-runners", ADMIN).await;
    assert_eq!(csv, "profile,customer,email\n'=2+5,,\nv-aiko,,\nv-ben,,\n");

    // A segment nobody belongs to is the header alone.
    let (status, csv) = members_csv(&app, "customer", ADMIN).await;
    assert_eq!((status, csv.as_str()), (200, "profile,customer,email\n"));

    // An unknown segment is a 404 naming it and the ones there are; no token, no list.
    let (status, body) = members_csv(&app, "trial-runners", ADMIN).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body.contains("no segment `trial-runners`") && body.contains("trail-runners, customer"),
        "{body}"
    );
    let (status, body) = members_csv(&app, "trail-runners", "wrong").await;
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("aiko"));
}

/// `shopkeep check FLOWS --no-catalog`: success and stdout.
fn check(flows: &std::path::Path) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .args(["check", &flows.display().to_string(), "--no-catalog"])
        .output()
        .expect("shopkeep runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string(),
    )
}

/// `shopkeep check` checks the `segments.yaml` that `serve` would load beside the flows folder, every problem
/// with file and line, and the finders' `{segment: …}` conditions against it; a good file passes.
#[test]
fn check_finds_every_problem_in_segments_yaml_beside_the_flows() {
    let dir = copy_shipped();
    std::fs::write(dir.path().join("flows/intro.yaml"), INTRO).expect("write flow");
    let flows = dir.path().join("flows");
    let file = dir.path().join("segments.yaml");
    std::fs::write(
        &file,
        "segments:\n  - name: new\n    when: {visitor: new}\n  - name: muddy\n    when: {finder: running-shoes, answer: terrain, eq: mud}\n  - name: Bad Name\n    when: {visitor: customer}\n",
    )
    .expect("write segments");
    let (ok, out) = check(&flows);
    assert!(!ok, "{out}");
    let shown = file.display().to_string();
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with(&shown)).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{shown}:5:")) && l.contains("mud")),
        "the answer that is no option, on its line: {out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{shown}:6:")) && l.contains("Bad Name")),
        "the bad name, on its line: {out}"
    );
    assert!(out.contains("errors"), "{out}");

    // Once the file is right, the finder naming a segment it does not define is the one problem left.
    std::fs::write(
        &file,
        "segments:\n  - name: new\n    when: {visitor: new}\n  - name: muddy\n    when: {finder: running-shoes, answer: terrain, eq: trail}\n",
    )
    .expect("write segments");
    let (ok, out) = check(&flows);
    assert!(!ok, "{out}");
    assert!(
        out.contains(
            "intro.yaml:9:15: error: the condition names segment `returning`, which is not defined"
        ),
        "{out}"
    );
    assert!(out.contains(" flows checked: 1 errors, "), "{out}");

    std::fs::write(
        &file,
        "segments:\n  - name: returning\n    when: {visitor: returning}\n  - name: muddy\n    when: {finder: running-shoes, answer: terrain, eq: trail}\n",
    )
    .expect("write segments");
    let (ok, out) = check(&flows);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("{shown}: 2 segments checked (returning, muddy)")),
        "{out}"
    );
}
