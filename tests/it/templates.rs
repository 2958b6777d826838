//! A merchandiser's runaway result template, from outside: `shopkeep check` refuses one that runs out of its
//! bounds with the largest answers (naming the file and the fix), and one that only runs away on an answer the
//! check does not try is served with the default title: the shopper still gets the picks, at once, the server
//! logs which template failed (not the answers), and the next shopper is served as before.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::process::{kill, serve_by, shopkeep};
use crate::support::{Client, copy_shipped};

/// Ten billion iterations without a bound.
const RUNAWAY: &str =
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";

/// The shipped running-shoe finder with `title` as the English title of its `picks` result.
fn with_title(dir: &std::path::Path, title: &str) -> std::path::PathBuf {
    let path = dir.join("flows/running-shoes.yaml");
    let source = std::fs::read_to_string(crate::support::repo("flows/running-shoes.yaml"))
        .expect("the flow");
    let shipped = r#"en: "{% if count == 1 %}Here is a shoe{% else %}Here are {{ count }} shoes{% endif %} for the {{ terrain.label | lower }}""#;
    assert!(source.contains(shipped), "the shipped title moved");
    let edited = source.replace(shipped, &format!("en: \"{title}\""));
    std::fs::write(&path, edited).expect("write the flow");
    path
}

#[tokio::test]
async fn a_runaway_result_template_is_refused_by_check_and_falls_back_when_served() {
    let dir = copy_shipped();
    let flow = with_title(dir.path(), RUNAWAY);
    let started = Instant::now();
    let output = shopkeep()
        .arg("check")
        .arg(dir.path().join("flows"))
        .arg("--no-catalog")
        .output()
        .await
        .expect("run shopkeep check");
    assert!(!output.status.success(), "check refuses the flow");
    let said = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains(&format!("{}:", flow.display()))
            && said.contains("error: the title of result `picks` (en) fails with the largest answers a shopper can give: it runs out of its budget of 100000 steps")
            && said.contains("shorten the loop or drop it"),
        "{said}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the check itself is bounded"
    );

    // Runs away only when the shopper answers "no" to waterproof: the check tries the longest option, "yes".
    with_title(
        dir.path(),
        &format!(
            "{{% if waterproof.value == 'no' %}}{RUNAWAY}{{% endif %}}{{{{ count }}}} for the trail"
        ),
    );
    let data = tempfile::tempdir().expect("temp dir");
    let log_path = data.path().join("server.log");
    let mut command = shopkeep();
    command
        .env("RUST_LOG", "shopkeep=warn")
        .stderr(Stdio::from(std::fs::File::create(&log_path).expect("log")));
    let flows = dir.path().join("flows");
    let catalog = dir.path().join("catalog");
    let (child, url) = serve_by(
        command,
        &data.path().join("data"),
        &[
            "--flows",
            flows.to_str().expect("utf-8"),
            "--catalog",
            catalog.to_str().expect("utf-8"),
        ],
    )
    .await;

    let mut shopper = Client::connect(&url).await;
    shopper.start("running-shoes", "en").await;
    for answer in [
        json!({"value": "trail"}),
        json!({"value": "no"}),
        json!({"values": ["cushioning"]}),
        json!({"range": {"max": 150}}),
    ] {
        assert_eq!(shopper.answer(answer).await["type"], "question");
    }
    let asked = Instant::now();
    let products = shopper.answer(json!({"value": "any"})).await;
    let took = asked.elapsed();
    assert_eq!(products["type"], "products", "{products:#}");
    let count = products["products"].as_array().expect("products").len();
    assert!(count > 0, "{products:#}");
    assert_eq!(
        products["title"],
        format!("Here are {count} picks for you"),
        "the default title stands in for the runaway one"
    );
    assert!(
        products["intro"].as_str().is_some_and(|i| !i.is_empty()),
        "the intro, a template of its own, still renders: {products:#}"
    );
    assert!(
        took < Duration::from_secs(2),
        "the runaway template stopped on its bound: {took:?}"
    );

    // The next shopper, with the answer the template handles, gets its title: the server is up and unharmed.
    let mut next = Client::connect(&url).await;
    next.start("running-shoes", "en").await;
    for answer in crate::support::answers_to_colour() {
        assert_eq!(next.answer(answer).await["type"], "question");
    }
    let products = next.answer(json!({"value": "any"})).await;
    let count = products["products"].as_array().expect("products").len();
    assert_eq!(products["title"], format!("{count} for the trail"));

    tokio::time::sleep(Duration::from_millis(200)).await;
    kill(child).await;
    let log = std::fs::read_to_string(&log_path).expect("read the log");
    let failed: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("a result template failed to render"))
        .collect();
    assert_eq!(failed.len(), 1, "{log}");
    assert!(
        failed[0].contains("finder=running-shoes")
            && failed[0].contains("result=picks")
            && failed[0].contains("template=\"title\"")
            && failed[0].contains("reason=\"fuel\""),
        "{log}"
    );
}
