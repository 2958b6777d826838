//! `shopkeep test`: the shipped cases pass with full coverage; a broken flow and a feed change each fail with a
//! diff a merchandiser can read; bad test files are located problems; the binary exits non-zero and writes JUnit.

use std::path::{Path, PathBuf};

use shopkeep::scenario::golden;
use shopkeep::scenario::{self, GoldenMode, Plan, ScenarioError, report};

use crate::support::{copy_shipped, repo, spawn_app};

/// A copy of the shipped flows and catalog and of the fixture cases, to break without touching the repository.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = copy_shipped();
        std::fs::create_dir_all(dir.path().join("tests")).expect("mkdir");
        std::fs::copy(
            repo("tests/fixtures/scenario/shoes.yaml"),
            dir.path().join("tests/shoes.yaml"),
        )
        .expect("copy cases");
        World { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Replaces `from` by `to` in a copied file; the text must be there.
    fn edit(&self, file: &str, edit: impl FnOnce(String) -> String) {
        let path = self.path(file);
        let before = std::fs::read_to_string(&path).expect("read");
        let after = edit(before.clone());
        assert_ne!(before, after, "the edit of {file} changed nothing");
        std::fs::write(&path, after).expect("write");
    }

    fn plan(&self, golden: GoldenMode) -> Plan {
        Plan {
            tests: self.path("tests"),
            flows: self.path("flows"),
            catalog: self.path("catalog"),
            url: None,
            options: scenario::Options::default(),
            golden,
        }
    }
}

#[tokio::test]
async fn the_shipped_cases_pass_and_cover_every_question_option_and_edge() {
    let plan = Plan {
        tests: repo("flows/tests"),
        flows: repo("flows"),
        catalog: repo("catalog"),
        url: None,
        options: scenario::Options::default(),
        golden: GoldenMode::Compare,
    };
    let summary = scenario::execute(&plan).await.expect("the cases run");
    let text = report::text(&summary, true);
    assert!(summary.passed(), "{text}");
    let flows: Vec<&str> = summary.coverage.iter().map(|c| c.flow.as_str()).collect();
    assert_eq!(flows, ["backpacks", "knives", "running-shoes"]);
    for coverage in &summary.coverage {
        assert_eq!(coverage.percent(), 100.0, "{text}");
    }
    // The test folder sits inside flows/ but is never taken for a finder.
    let files = shopkeep::flow::Flows::files(&repo("flows")).expect("flow files");
    assert!(files.iter().all(|f| !f.starts_with(repo("flows/tests"))));
}

#[tokio::test]
async fn a_flow_that_skips_a_question_fails_with_the_expected_and_the_actual_question() {
    let world = World::new();
    world.edit("flows/running-shoes.yaml", |flow| {
        flow.replace(
            "- when: {answer: terrain, eq: trail}",
            "- when: {answer: terrain, eq: track}",
        )
    });
    let summary = scenario::execute(&world.plan(GoldenMode::Off))
        .await
        .expect("the cases run");
    assert!(!summary.passed());
    let trail = &summary.outcomes[0];
    assert_eq!(
        trail.failures,
        [
            "step 2 (line 8): expected question `waterproof`, but the server asked question `priorities` (\"What matters most? Pick one or two.\")"
        ]
    );
    assert!(summary.outcomes[1].passed(), "the road case is unaffected");
    let text = report::text(&summary, false);
    assert!(
        text.contains("FAIL ") && text.contains("answers: terrain=trail"),
        "{text}"
    );
    assert!(
        text.contains("options: cushioning, light, stability, wide"),
        "{text}"
    );
}

#[tokio::test]
async fn a_flow_with_errors_is_refused_with_its_problems() {
    let world = World::new();
    world.edit("flows/running-shoes.yaml", |flow| {
        flow.replace("        goto: waterproof\n", "        goto: priorities\n")
    });
    let Err(error) = scenario::execute(&world.plan(GoldenMode::Off)).await else {
        panic!("a flow with errors is never served");
    };
    let message = error.to_string();
    // the line of `- id: waterproof` in the shipped file (which grows as the finder does), column of the id
    let shipped =
        std::fs::read_to_string(crate::support::repo("flows/running-shoes.yaml")).expect("read");
    let line = shipped
        .lines()
        .position(|l| l == "  - id: waterproof")
        .expect("the waterproof question")
        + 1;
    assert!(
        message.contains(&format!(
            "running-shoes.yaml:{line}:9: error: question `waterproof` cannot be reached from the start"
        )),
        "{message}"
    );
}

#[tokio::test]
async fn a_feed_change_that_alters_the_picks_fails_against_the_golden_file() {
    let world = World::new();
    let recorded = scenario::execute(&world.plan(GoldenMode::Update))
        .await
        .expect("record");
    assert!(recorded.passed(), "{}", report::text(&recorded, false));
    let golden_path = golden::path_for(&world.path("tests/shoes.yaml"));
    let file = golden::read(&golden_path).expect("read").expect("recorded");
    let first = file.cases[0].picks[0].clone();

    // Unchanged: the comparison passes.
    let again = scenario::execute(&world.plan(GoldenMode::Compare))
        .await
        .expect("compare");
    assert!(again.passed(), "{}", report::text(&again, false));

    // The feed loses the first trail pick.
    world.edit("catalog/products.jsonl", |feed| {
        feed.lines()
            .filter(|line| !line.contains(&format!("\"id\":\"{}\"", first.id)))
            .map(|line| format!("{line}\n"))
            .collect()
    });
    let changed = scenario::execute(&world.plan(GoldenMode::Compare))
        .await
        .expect("compare");
    assert!(!changed.passed());
    let failure = &changed.outcomes[0].failures[0];
    assert!(failure.starts_with("the picks differ from"), "{failure}");
    assert!(
        failure.contains(&format!(
            "- {} {:?} (was 1st) is no longer picked",
            first.id, first.title
        )),
        "{failure}"
    );
    assert!(failure.contains("is newly picked, 4th"), "{failure}");
    let text = report::text(&changed, false);
    assert!(
        text.contains(
            "answers: terrain=trail, waterproof=yes, priorities=cushioning, budget=skip, colour=any"
        ),
        "the diff says for which answers: {text}"
    );

    // Updating on purpose makes it pass again.
    let updated = scenario::execute(&world.plan(GoldenMode::Update))
        .await
        .expect("update");
    assert!(updated.passed());
    let file = golden::read(&golden_path).expect("read").expect("recorded");
    assert!(file.cases[0].picks.iter().all(|p| p.id != first.id));
}

#[tokio::test]
async fn bad_test_files_are_located_problems_naming_the_fix() {
    let world = World::new();
    let mut plan = world.plan(GoldenMode::Off);
    plan.tests = repo("tests/fixtures/scenario/bad-answer.yaml");
    let Err(ScenarioError::Problems { problems }) = scenario::execute(&plan).await else {
        panic!("the bad file is refused");
    };
    let messages: Vec<String> = problems
        .iter()
        .map(|p| format!("{}:{}: {}", p.line, p.column, p.message))
        .collect();
    assert_eq!(
        messages,
        [
            "5:9: case `grippy`: answers `grip`, which is not an option of `terrain`; use one of road, trail, track",
            "6:9: case `grippy`: finder `running-shoes` has no question `surface`; use one of terrain, waterproof, priorities, race, budget, colour",
            "7:9: case `grippy`: answers `true`, which is not an option of `waterproof`; use one of yes, no (YAML reads an unquoted yes or no as true or false: write \"yes\")",
            "3:11: case `grippy`: finder `running-shoes` has no result `pics`",
            "3:11: case `grippy`: product `rs-999` is not in the catalog; fix the id",
        ]
    );
    assert!(problems[0].file.ends_with("bad-answer.yaml"));
}

#[test]
fn the_binary_exits_non_zero_and_writes_junit() {
    let world = World::new();
    world.edit("flows/running-shoes.yaml", |flow| {
        flow.replace(
            "- when: {answer: terrain, eq: trail}",
            "- when: {answer: terrain, eq: track}",
        )
    });
    let junit = world.path("report.xml");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .arg("test")
        .arg(world.path("tests"))
        .args(["--flows", &arg(&world.path("flows"))])
        .args(["--catalog", &arg(&world.path("catalog"))])
        .args(["--junit", &arg(&junit)])
        .output()
        .expect("run shopkeep");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.contains("2 cases: 1 ok, 1 failing"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains(r#"<testsuites name="shopkeep test" tests="2" failures="1""#),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"step 2 (line 8): expected question `waterproof`, but the server asked question `priorities` (&quot;What matters most? Pick one or two.&quot;)\">"), "{xml}");
}

#[tokio::test]
async fn runs_against_a_running_server_and_notes_where_the_local_flow_differs() {
    let app = spawn_app().await;
    let world = World::new();
    world.edit("flows/running-shoes.yaml", |flow| {
        flow.replace(
            "- when: {answer: terrain, eq: trail}",
            "- when: {answer: terrain, eq: track}",
        )
    });
    let mut plan = world.plan(GoldenMode::Off);
    plan.url = Some(app.ws_url());
    let summary = scenario::execute(&plan).await.expect("the cases run");
    // The server has the shipped flow, which asks trail runners about waterproofing.
    assert!(summary.passed(), "{}", report::text(&summary, false));
    assert_eq!(
        summary.outcomes[0].notes.first().map(String::as_str),
        Some(
            "after step 1 (line 7) the local flow `running-shoes` asks `priorities`, the server showed question `waterproof` (\"Do you need them to be waterproof?\"); coverage follows the local flow file"
        )
    );
    assert!(summary.outcomes[1].notes.is_empty());
}

#[tokio::test]
async fn a_server_that_never_answers_fails_the_case_within_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Accept connections and hold them open without a word.
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let world = World::new();
    let mut plan = world.plan(GoldenMode::Off);
    plan.url = Some(format!("ws://{addr}/v1/chat"));
    plan.options.timeout = std::time::Duration::from_millis(300);
    let summary = scenario::execute(&plan).await.expect("the cases run");
    holder.abort();
    assert_eq!(summary.failed(), 2);
    assert_eq!(
        summary.outcomes[0].failures,
        [format!("no connection to ws://{addr}/v1/chat within 300ms")]
    );
}

#[test]
fn the_binary_fails_below_the_minimum_coverage_and_lists_what_is_missing() {
    let world = World::new();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .arg("test")
        .arg(world.path("tests"))
        .args(["--flows", &arg(&world.path("flows"))])
        .args(["--catalog", &arg(&world.path("catalog"))])
        .args(["--min-coverage", "100"])
        .output()
        .expect("run shopkeep");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.contains("2 cases: 2 ok, 0 failing"), "{stdout}");
    assert!(
        stdout.contains("  running-shoes (41%)\n    questions 6/6 (100%)\n    options 7/17 (41%) — not exercised: terrain=track, waterproof=no, priorities=stability, priorities=wide, race=yes, colour=dark, colour=white, colour=blue, colour=bright, colour=green\n    edges 7/8 (88%) — not exercised: colour → race_picks\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains("coverage is 0%, below --min-coverage 100"),
        "the finders no case touched count: {stderr}"
    );
}

fn arg(path: &Path) -> String {
    path.display().to_string()
}

#[tokio::test]
async fn the_complete_example_in_the_docs_runs_and_passes() {
    let docs = std::fs::read_to_string(repo("docs/testing.md")).expect("docs");
    let example = docs
        .split("## A complete example")
        .nth(1)
        .and_then(|rest| rest.split("```yaml\n").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("a yaml block under 'A complete example'");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("example.yaml"), example).expect("write");
    let plan = Plan {
        tests: dir.path().to_path_buf(),
        flows: repo("flows"),
        catalog: repo("catalog"),
        url: None,
        options: scenario::Options::default(),
        golden: GoldenMode::Off,
    };
    let summary = scenario::execute(&plan)
        .await
        .expect("the example is valid");
    assert_eq!(
        summary.outcomes.len(),
        4,
        "two cases, one a table of two rows"
    );
    assert!(summary.passed(), "{}", report::text(&summary, false));
}

#[test]
fn the_published_test_schema_is_current() {
    crate::support::assert_published(
        "docs/test.schema.json",
        &shopkeep::scenario::spec::json_schema(),
    );
}
