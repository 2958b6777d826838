//! The catalog-aware check finds a seeded dead end and names the answers that lead there.

use shopkeep::catalog::Catalog;
use shopkeep::flow::Flows;

use crate::support::repo;

#[test]
fn names_the_answers_that_lead_to_an_empty_shelf() {
    let (flows, _) = Flows::load_dir(&repo("tests/fixtures/audit/flows")).expect("fixture flows");
    let (catalog, _) =
        Catalog::from_dir(&repo("tests/fixtures/audit/catalog")).expect("fixture catalog");
    let flow = flows.get("dead-end").expect("flow");
    let audit = shopkeep::audit::audit(flow, &catalog, Some(2), &mut |_| {}).expect("audit");
    // 2 terrains × 2 waterproof × (2 buckets + skip) = 12 paths.
    assert_eq!(audit.paths, 12);
    let empty: Vec<String> = audit.empty.iter().map(|p| p.answers.join(", ")).collect();
    assert_eq!(
        empty,
        [
            // Road and waterproof from $100: r3 is in range but out of stock.
            "terrain: road, waterproof: Yes, budget: From 100",
            "terrain: track, waterproof: Yes, budget: Under 100",
            "terrain: track, waterproof: Yes, budget: From 100",
            "terrain: track, waterproof: Yes, budget: (skipped)",
        ]
    );
    // One product exactly: thin, not empty.
    assert!(audit.thin.iter().any(|p| p.answers.join(", ")
        == "terrain: road, waterproof: Yes, budget: Under 100"
        && p.products == 1));
}

#[test]
fn the_cli_fails_on_a_dead_end_and_passes_the_shipped_finders() {
    let run = |flows: &str, catalog: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
            .args([
                "check",
                &repo(flows).display().to_string(),
                "--catalog",
                &repo(catalog).display().to_string(),
            ])
            .output()
            .expect("shopkeep runs")
    };
    let broken = run("tests/fixtures/audit/flows", "tests/fixtures/audit/catalog");
    let out = String::from_utf8_lossy(&broken.stdout);
    assert!(!broken.status.success(), "{out}");
    // Each cause once, with the paths it affects: track + waterproof leaves nothing on 3 paths.
    assert!(
        out.contains("dead-end.yaml: error: terrain: track + waterproof: Yes leaves no products, even after loosening what `relax` allows (3 paths)"),
        "{out}"
    );
    assert_eq!(out.matches("dead-end.yaml: error:").count(), 2, "{out}");
    // The finder that lists `waterproof` under `relax` is not an error: its path shows loosened picks.
    assert!(
        out.contains("rescued.yaml: warning: terrain: track + waterproof: Waterproof leaves no product that meets every answer (1 path; the shopper sees 2 picks, loosened: waterproof)"),
        "{out}"
    );
    assert!(!out.contains("rescued.yaml: error"), "{out}");
    let shipped = run("flows", "catalog");
    let out = String::from_utf8_lossy(&shipped.stdout);
    assert!(shipped.status.success(), "{out}");
    assert!(out.contains("0 end with no products"), "{out}");
    assert!(
        out.contains("3 flows checked: 0 errors, 0 warnings"),
        "{out}"
    );
}

#[test]
fn a_path_rescued_by_relaxation_is_a_warning_that_names_what_was_loosened() {
    let (flows, _) = Flows::load_dir(&repo("tests/fixtures/audit/flows")).expect("fixture flows");
    let (catalog, _) =
        Catalog::from_dir(&repo("tests/fixtures/audit/catalog")).expect("fixture catalog");
    let flow = flows.get("rescued").expect("flow");
    let audit = shopkeep::audit::audit(flow, &catalog, Some(2), &mut |_| {}).expect("audit");
    assert!(audit.empty.is_empty(), "{:?}", audit.empty);
    let track = audit
        .thin
        .iter()
        .find(|p| p.answers.join(", ") == "terrain: track, waterproof: Waterproof")
        .expect("the rescued path is reported");
    // No waterproof track shoe: the shopper sees both track shoes with "Waterproof" loosened.
    assert_eq!((track.products, track.shown), (0, 2));
    assert_eq!(track.relaxed, ["waterproof"], "named by its reason");
    // Road + waterproof has one exact match (r1): min 1 is met, so nothing is loosened and one pick is shown.
    let road = audit
        .thin
        .iter()
        .find(|p| p.answers.join(", ") == "terrain: road, waterproof: Waterproof")
        .expect("the thin path is reported");
    assert_eq!((road.products, road.shown), (1, 1));
    assert!(road.relaxed.is_empty());
}

#[test]
fn the_json_report_groups_paths_by_cause_and_lists_them_on_request() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .args([
            "check",
            &repo("tests/fixtures/audit/flows").display().to_string(),
            "--catalog",
            &repo("tests/fixtures/audit/catalog").display().to_string(),
            "--format",
            "json",
            "--all-paths",
        ])
        .output()
        .expect("shopkeep runs");
    assert!(!output.status.success(), "the dead end is an error");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON document on stdout");
    assert_eq!(report["errors"], 2);
    let dead_end = report["flows"]
        .as_array()
        .and_then(|flows| flows.iter().find(|f| f["flow"] == "dead-end"))
        .expect("the dead-end finder");
    let first = &dead_end["audit"]["causes"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(
        first["answers"],
        serde_json::json!(["terrain: track", "waterproof: Yes"])
    );
    assert_eq!(first["paths"], 3);
    assert_eq!(first["all_paths"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_reader_that_stops_early_is_not_a_crash() {
    // `shopkeep gen-catalog … | head -1`: the pipe closes long before the output ends.
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .args(["gen-catalog", "--products", "200000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("shopkeep runs");
    let mut first = [0u8; 64];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("the first bytes");
    // Dropping our end of the pipe closes it.
    let output = child.wait_with_output().expect("exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?} {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn graph_draws_each_shipped_finder_as_svg_and_dot() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
            .args(args)
            .current_dir(repo("."))
            .output()
            .expect("shopkeep runs")
    };
    for id in ["running-shoes", "backpacks", "knives"] {
        let svg = run(&["graph", id, "--catalog"]);
        let text = String::from_utf8_lossy(&svg.stdout);
        assert!(
            svg.status.success(),
            "{}",
            String::from_utf8_lossy(&svg.stderr)
        );
        assert!(
            text.starts_with("<?xml") && text.trim_end().ends_with("</svg>"),
            "{id}"
        );
        let dot =
            String::from_utf8_lossy(&run(&["graph", id, "--catalog", "--format", "dot"]).stdout)
                .into_owned();
        // Every edge carries its answer and the products left on it.
        assert!(
            dot.starts_with("digraph finder {") && dot.contains("->"),
            "{dot}"
        );
        assert!(
            dot.lines()
                .filter(|l| l.contains("->"))
                .all(|l| l.contains("\\n")),
            "{dot}"
        );
    }
    let dot =
        String::from_utf8_lossy(&run(&["graph", "knives", "--catalog", "--format", "dot"]).stdout)
            .into_owned();
    assert!(
        dot.contains("\"knife_type\" -> \"dishwasher\" [label=\"パン切りナイフ\\n7\"]"),
        "{dot}"
    );
    let unknown = run(&["graph", "no-such-finder"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("the finders there: backpacks, knives, running-shoes")
    );
}

#[test]
fn the_picture_is_red_only_where_the_shopper_sees_nothing() {
    // An edge with no exact match that relaxation rescues is orange (the shopper sees loosened picks); red marks the
    // answers of a cause that leaves the shopper nothing, as the check's errors name them.
    let dot = |id: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
            .args(["graph", id, "--format", "dot", "--flows"])
            .arg(repo("tests/fixtures/audit/flows"))
            .arg("--catalog")
            .arg(repo("tests/fixtures/audit/catalog"))
            .output()
            .expect("shopkeep runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let red = |dot: &str| -> Vec<String> {
        dot.lines()
            .filter(|l| l.contains("->") && l.contains("#c62828"))
            .filter_map(|l| l.split("label=\"").nth(1))
            .filter_map(|l| l.split("\\n").next())
            .map(String::from)
            .collect()
    };
    let rescued = dot("rescued");
    assert!(
        rescued
            .contains("\"waterproof\" -> \"picks\" [label=\"Waterproof\\n0–1\", color=\"#ef6c00\""),
        "{rescued}"
    );
    assert!(red(&rescued).is_empty(), "{rescued}");
    // dead-end's errors: track + Yes, and Yes + From 100.
    let mut dead = red(&dot("dead-end"));
    dead.sort();
    assert_eq!(dead, ["From 100", "Yes", "track"]);
}

#[test]
fn check_without_a_catalog_folder_fails_and_names_the_fix() {
    // A finder with a misspelt catalog field passed `shopkeep check DIR` when there was no `./catalog`: the mapping
    // was never checked. Now the check fails and says how to name the catalog, or to check the flow files alone.
    let dir = tempfile::tempdir().expect("temp dir");
    let flows = dir.path().join("flows");
    std::fs::create_dir(&flows).expect("flows folder");
    std::fs::copy(
        repo("tests/fixtures/audit/flows/rescued.yaml"),
        flows.join("rescued.yaml"),
    )
    .expect("copy a finder");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("shopkeep runs")
    };
    let out = run(&["check", "flows"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("cannot check the field mappings")
            && stderr.contains("--catalog DIR")
            && stderr.contains("--no-catalog"),
        "{stderr}"
    );
    let alone = run(&["check", "flows", "--no-catalog"]);
    assert!(alone.status.success(), "{alone:?}");
    assert!(String::from_utf8_lossy(&alone.stderr).contains("field mappings are not checked"));
}
