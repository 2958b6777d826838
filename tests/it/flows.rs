//! Flow validation: each rule has a broken-flow fixture in `tests/fixtures/flows/` and its exact messages here.

use shopkeep::catalog::{Fields, Product};
use shopkeep::flow::{Severity, check_fields, compile};

use crate::support::repo;

/// Compiles the fixture (and checks its fields against a small catalog) and returns `line:col: severity: message`.
fn problems(fixture: &str) -> Vec<String> {
    let path = repo("tests/fixtures/flows").join(fixture);
    let source = std::fs::read_to_string(&path).expect("fixture");
    let (flow, mut problems) = compile(&path, &source);
    if let Some(flow) = &flow {
        let mut fields = Fields::builtin();
        let product: Product = serde_json::from_value(serde_json::json!({
            "id": "p", "title": "P", "price": 1, "attributes": {"terrain": "road", "colour": "red"}
        }))
        .expect("product");
        fields.observe(&product);
        problems.extend(check_fields(flow, &fields));
    }
    problems
        .iter()
        .map(|p| {
            let severity = if p.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            format!("{}:{}: {severity}: {}", p.line, p.column, p.message)
        })
        .collect()
}

fn check(fixture: &str, expected: &[&str]) {
    assert_eq!(problems(fixture), expected, "fixture {fixture}");
}

#[test]
fn yaml_shape_errors_name_the_field_and_the_choices() {
    check(
        "bad-yaml.yaml",
        &[
            "6:5: error: unknown field `colour`, expected one of id, use, kind, text, help, options, select, range, filter, boost, search, skippable, ask_when, next; see docs/flows.md for the format",
        ],
    );
}

#[test]
fn unknown_question_ids() {
    check(
        "unknown-goto.yaml",
        &[
            "10:11: error: question `terrain` goes to unknown question `grip`; add a question or result with that id, or fix the id",
            "12:9: warning: result `picks` is never reached; link to it or remove it",
        ],
    );
}

#[test]
fn unreachable_questions() {
    check(
        "unreachable.yaml",
        &[
            "9:9: error: question `orphan` cannot be reached from the start; link to it from a `next` or remove it",
        ],
    );
}

#[test]
fn cycles_with_no_exit() {
    check(
        "cycle.yaml",
        &[
            "12:9: error: questions ping → pong form a cycle with no exit; add a rule that leads out of it to a result",
        ],
    );
}

#[test]
fn questions_with_no_way_on() {
    check(
        "no-exit.yaml",
        &[
            "9:7: error: every `next` rule of `start` has a `when`; add `- goto: <id>` last so every answer has somewhere to go",
        ],
    );
}

#[test]
fn duplicate_ids_and_option_values() {
    check(
        "duplicates.yaml",
        &[
            "9:16: error: question `terrain` has option `road` twice; option values must be unique",
            "10:9: error: id `terrain` is used twice (first on line 4); give each question and result its own id",
        ],
    );
}

#[test]
fn conditions_on_answers_not_asked_on_every_path() {
    check(
        "not-on-every-path.yaml",
        &[
            "21:7: error: the condition at `budget` tests `waterproof`, which is not asked on every path to `budget`; test `{answered: waterproof}` first or move the condition",
        ],
    );
}

#[test]
fn type_errors_in_conditions() {
    check(
        "type-error.yaml",
        &[
            "12:15: error: `terrain` is a single question, so a numeric comparison on it never holds; compare with eq/in/contains",
            "14:7: error: `budget` is a range question; compare it with lt, lte, gt or gte",
        ],
    );
}

#[test]
fn conditions_on_options_that_do_not_exist() {
    check(
        "unknown-option.yaml",
        &["9:7: error: question `terrain` has no option `trial`; use one of: road, trail"],
    );
}

#[test]
fn mappings_to_catalog_fields_that_do_not_exist() {
    check(
        "unknown-field.yaml",
        &[
            "10:17: error: `surface` is not a field of the catalog; use one of: brand, category, colour, currency, description, id, price, rating, stock, tags, terrain, title",
            "12:17: error: `brand` holds keyword values, so a numeric comparison on it never holds; compare with eq/in/contains",
        ],
    );
}

#[test]
fn templates_that_do_not_compile_or_use_unknown_answers() {
    check(
        "templates.yaml",
        &[
            "10:12: error: the title of result `picks` uses `terain`, which is no question of this flow; use a question id, or one of: count, relaxed, relaxed_ids, relaxed_question, exact, locale, total",
            "11:12: error: the intro of result `picks` is not a valid template: syntax error: unexpected end of input, expected end of block (in <string>:1)",
        ],
    );
}

#[test]
fn templates_that_run_out_of_their_bounds_with_the_largest_answers() {
    let fuel = "fails with the largest answers a shopper can give: it runs out of its budget of 100000 steps (a loop too long, or a string or list too big); shorten the loop or drop it";
    check(
        "runaway-templates.yaml",
        &[
            &format!("20:7: error: the title of result `picks` (en) {fuel}"),
            "20:7: error: the title of result `picks` (ja) fails with the largest answers a shopper can give: its output is over 65536 bytes; shorten the template",
            &format!("22:12: error: the intro of result `picks` (en) {fuel}"),
            "26:7: warning: the intro of result `fine` (ja) fails with the largest answers a shopper can give: invalid operation: cannot convert string to f64; the shopper would see the default intro then",
        ],
    );
}

#[test]
fn relax_entries_and_constraint_operators() {
    check(
        "relax-and-constraints.yaml",
        &[
            "3:9: error: `relax` names `colour`, which is no question of this flow; fix the id",
            "10:17: error: the constraint on `terrain` has no operator; add one of eq, ne, in, contains, lt, lte, gt, gte",
            "12:17: error: the constraint on `terrain` has 2 operators; give it exactly one of eq, ne, in, contains, lt, lte, gt, gte",
        ],
    );
}

#[test]
fn warnings_do_not_stop_a_flow() {
    let path = repo("tests/fixtures/flows/warnings.yaml");
    let (flow, problems) = compile(&path, &std::fs::read_to_string(&path).expect("fixture"));
    assert!(flow.is_some(), "a flow with only warnings compiles");
    assert!(problems.iter().all(|p| p.severity == Severity::Warning));
    check(
        "warnings.yaml",
        &[
            "9:7: warning: a rule of `terrain` after one without `when` is never used; remove it or move it up",
            "14:9: warning: result `never` is never reached; link to it or remove it",
        ],
    );
}

#[test]
fn the_shipped_flows_have_no_problems() {
    let (flows, warnings) = shopkeep::flow::Flows::load_dir(&repo("flows")).expect("shipped flows");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(flows.len(), 3);
}

#[test]
fn the_published_json_schema_is_current() {
    crate::support::assert_published(
        "docs/flow.schema.json",
        &shopkeep::flow::spec::json_schema(),
    );
    crate::support::assert_published(
        "docs/shared.schema.json",
        &shopkeep::flow::spec::shared_json_schema(),
    );
}

/// Like [`problems`], with the file each problem is in: `file:line:col: message`.
fn located(fixture: &str) -> Vec<String> {
    let path = repo("tests/fixtures/flows").join(fixture);
    let source = std::fs::read_to_string(&path).expect("fixture");
    let (flow, mut problems) = compile(&path, &source);
    assert!(flow.is_none(), "a flow with errors is refused");
    let fields = Fields::builtin();
    let shared = shopkeep::flow::Shared::beside(&path);
    let (gift_file, _) = shared.get("gift").expect("the shared fixture is read");
    assert!(gift_file.ends_with("shared/common.yaml"));
    // The unknown catalog field inside a shared question is found when the fields are checked.
    let field_source = source
        .replace(
            "  - id: again\n    use: gift\n    text: Is it for someone else?\n",
            "",
        )
        .replace("  - id: nowhere\n    use: wrapping\n", "")
        .replace("  - id: bare\n    text: A question with no kind\n", "");
    let (fixed, _) = compile(&path, &field_source);
    let fixed = fixed.expect("without the broken entries the flow compiles");
    problems.extend(check_fields(&fixed, &fields));
    problems
        .iter()
        .map(|p| {
            let file = std::path::Path::new(&p.file)
                .components()
                .rev()
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect::<Vec<_>>()
                .join("/");
            format!("{file}:{}:{}: {}", p.line, p.column, p.message)
        })
        .collect()
}

#[test]
fn shared_questions_are_asked_with_use_and_their_problems_point_to_their_file() {
    let found = located("uses-shared.yaml");
    let expected = [
        "flows/uses-shared.yaml:18:10: question `again` uses shared question `gift` and also sets `text`; a shared question brings its own, so remove `text` here (or drop `use`)",
        "flows/uses-shared.yaml:21:10: question `nowhere` uses `wrapping`, which is no shared question; use one of: gift, shade",
        "flows/uses-shared.yaml:22:9: question `bare` has no `kind`; add one of single, multi, range, yes_no, text, info (or `use` a shared question)",
        "shared/common.yaml:14:17: `hue` is not a field of the catalog; use one of: brand, category, currency, description, id, price, rating, stock, tags, title",
    ];
    for line in expected {
        assert!(
            found.iter().any(|f| f == line),
            "missing {line:?} in {found:#?}"
        );
    }

    // A finder asking a shared question gets it whole, with its own id and way on.
    let path = repo("flows/running-shoes.yaml");
    let source = std::fs::read_to_string(&path).expect("flow");
    let (flow, problems) = compile(&path, &source);
    assert!(problems.is_empty(), "{problems:?}");
    let flow = flow.expect("compiles");
    let colour = flow.question("colour").expect("the shared colour question");
    assert_eq!(colour.options.len(), 6);
    assert!(colour.skippable, "the finder's own `skippable` holds");
    assert_eq!(colour.text.get("ja", "en"), "好きな色はありますか？");
}

#[test]
fn a_broken_shared_file_refuses_the_folder_and_says_where() {
    let error = shopkeep::flow::Flows::load_dir(&repo("tests/fixtures/shared-broken"))
        .expect_err("refused");
    let text = error.to_string();
    assert!(
        text.contains("shared/sizes.yaml:2:9: error: shared question `size` sets `next`, which belongs to each finder that asks it; remove it here"),
        "{text}"
    );
}
