//! Property tests: what random and hostile input must never do, held over generated cases with `proptest`.
//!
//! One module per area: `flow` (the flow parser and validator never panic and locate every problem), `feeds`
//! (every feed importer takes a row whole or reports it by line), `finders` (generated finders keep the promises
//! of "How picks are chosen" on every answer path, and the catalog check reports what the shopper sees), `answers` (typed answers, in any script, never
//! panic and read as ranges with lo ≤ hi), `templates` (emails and result titles rendered from hostile data stay
//! escaped and bounded) and `store` (the session store against a `BTreeMap` model, with the store closed and opened
//! again in between).
//!
//! Each property runs a few dozen cases in CI; `SHOPKEEP_PROPERTY_CASES=N` runs N cases of every property (the
//! same flag as the matcher's promises, `catalog::matcher::promises`). A failure prints the smallest input
//! proptest found; failures are not persisted to files, a found bug gets a regression test of its own.

mod answers;
mod feeds;
mod finders;
mod flow;
mod store;
mod templates;

use proptest::test_runner::Config;

/// The proptest configuration of a property: `ci_cases` cases, or `SHOPKEEP_PROPERTY_CASES` when set.
pub(crate) fn config(ci_cases: u32) -> Config {
    let cases = std::env::var("SHOPKEEP_PROPERTY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ci_cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A file shipped with the project, by its path from the repository root.
pub(crate) fn shipped(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {}: {e}", full.display()))
}

/// Text a hostile shopper or feed might send: markup, quotes, CR/LF, NUL, right-to-left marks, full-width and
/// Japanese characters, and the odd long run.
pub(crate) fn hostile_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        Just("<script>alert(1)</script>".to_string()),
        Just("\"><img src=x onerror=alert(1)>".to_string()),
        Just("{{ 7*7 }}{% raw %}".to_string()),
        Just("\r\nBcc: victim@example.com\r\n".to_string()),
        Just("&amp;&lt;&#0;".to_string()),
        Just("\u{0}\u{202e}\u{feff}".to_string()),
        Just("５万円　ＴＲＡＩＬ".to_string()),
        Just("javascript:alert(1)".to_string()),
        "\\PC{0,12}",
        "[a-z<>&\"' \r\n]{0,12}",
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}
