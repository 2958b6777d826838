//! The flow parser and validator on broken input: the shipped finders mutated line by line (lines dropped,
//! doubled, swapped, re-indented, values replaced by other ids or YAML oddities, characters inserted, the file
//! cut short) and YAML-ish noise. Whatever the input, compiling never panics, a flow comes back exactly when there
//! is no error, and every problem names the flow or a shared file and a line and column inside that file's text.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;

use crate::flow::{Problem, Severity, Shared, compile_with, yaml_files};

const FLOWS: &[&str] = &[
    "flows/running-shoes.yaml",
    "flows/knives.yaml",
    "flows/backpacks.yaml",
];

/// Values a mutation puts where a value was: other ids of the shipped flows, YAML's special forms, wrong types.
const TOKENS: &[&str] = &[
    "",
    "~",
    "[",
    "{",
    "]",
    "yes",
    "-1",
    "1e999",
    ".nan",
    "&anchor",
    "*anchor",
    "!!binary aGk=",
    "<<: *x",
    "{{ nope }",
    "{% for %}",
    "'",
    "\"unterminated",
    "terrain",
    "budget",
    "picks",
    "colour",
    "use: colour",
    "kind: range",
    "next: [{goto: picks, when: {budget: {lt: 5}}}]",
    "- id: extra",
    "{field: price, between: [1, 2]}",
    "三徳包丁",
    "\t",
];

#[derive(Clone, Debug)]
enum Edit {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Indent(Index, bool),
    Insert(Index, Index, char),
    Replace(Index, Index),
    Truncate(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::Delete),
        any::<Index>().prop_map(Edit::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<Index>(), any::<bool>()).prop_map(|(a, deeper)| Edit::Indent(a, deeper)),
        (
            any::<Index>(),
            any::<Index>(),
            prop_oneof![
                Just(':'),
                Just('-'),
                Just('"'),
                Just('#'),
                Just('\t'),
                Just('|'),
                any::<char>()
            ]
        )
            .prop_map(|(a, b, c)| Edit::Insert(a, b, c)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Replace(a, b)),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

/// `source` with `edits` applied, line by line (so the text stays UTF-8).
fn mutate(source: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    for edit in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match edit {
            Edit::Delete(at) => {
                lines.remove(at.index(n));
            }
            Edit::Duplicate(at) => {
                let line = lines[at.index(n)].clone();
                lines.insert(at.index(n), line);
            }
            Edit::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
            Edit::Indent(at, deeper) => {
                let line = &mut lines[at.index(n)];
                if *deeper {
                    line.insert_str(0, "  ");
                } else if let Some(rest) = line.strip_prefix("  ") {
                    *line = rest.to_string();
                }
            }
            Edit::Insert(at, position, c) => {
                let line = &mut lines[at.index(n)];
                let chars = line.chars().count();
                let byte = line
                    .char_indices()
                    .nth(position.index(chars + 1))
                    .map_or(line.len(), |(i, _)| i);
                line.insert(byte, *c);
            }
            Edit::Replace(at, token) => {
                let line = &mut lines[at.index(n)];
                let token = TOKENS[token.index(TOKENS.len())];
                match line.find(": ") {
                    Some(colon) => line.replace_range(colon + 2.., token),
                    None => {
                        let indent = line.len() - line.trim_start().len();
                        line.replace_range(indent.., token);
                    }
                }
            }
            Edit::Truncate(at) => lines.truncate(at.index(n) + 1),
        }
    }
    lines.join("\n") + "\n"
}

struct Setup {
    shared: Shared,
    /// The shared files' text, by the name problems give them.
    shared_sources: HashMap<String, String>,
}

fn setup() -> Setup {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("flows/shared");
    let shared_sources = yaml_files(&dir)
        .expect("flows/shared")
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("shared file");
            (path.display().to_string(), text)
        })
        .collect();
    Setup {
        shared: Shared::load(&dir),
        shared_sources,
    }
}

/// Where `problem` points is inside the text of the file it names.
fn located(problem: &Problem, text: &str) -> Result<(), String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let line = usize::try_from(problem.line).unwrap_or(usize::MAX);
    if line == 0 || line > lines.len() {
        return Err(format!(
            "line {line} is outside the file's {} lines",
            lines.len()
        ));
    }
    let width = lines[line - 1].chars().count();
    let column = usize::try_from(problem.column).unwrap_or(usize::MAX);
    if column == 0 || column > width + 1 {
        return Err(format!(
            "column {column} is outside line {line}, {width} characters long"
        ));
    }
    Ok(())
}

/// Compiles `source` as the flow at `path` and holds every promise of the compiler's report.
fn check(setup: &Setup, path: &Path, source: &str) -> Result<(), TestCaseError> {
    let (flow, problems) = compile_with(path, source, &setup.shared);
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    prop_assert_eq!(
        flow.is_some(),
        errors == 0,
        "a flow must come back exactly when there is no error: {:?}",
        problems
    );
    let file = path.display().to_string();
    for problem in &problems {
        let text = if problem.file == file {
            source
        } else {
            match setup.shared_sources.get(&problem.file) {
                Some(text) => text.as_str(),
                None => {
                    return Err(TestCaseError::fail(format!(
                        "`{problem}` names neither the flow nor a shared file"
                    )));
                }
            }
        };
        prop_assert!(
            !problem.message.trim().is_empty(),
            "a problem without a message at {}:{}",
            problem.line,
            problem.column
        );
        if let Err(why) = located(problem, text) {
            return Err(TestCaseError::fail(format!(
                "`{problem}` is not located: {why}\n--- source ---\n{source}"
            )));
        }
    }
    Ok(())
}

fn flow_path(index: usize) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(FLOWS[index])
}

proptest! {
    #![proptest_config(super::config(48))]

    #[test]
    fn mutated_flows_never_panic_and_every_problem_is_located(
        file in 0..FLOWS.len(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let setup = setup();
        let path = flow_path(file);
        let source = mutate(&super::shipped(FLOWS[file]), &edits);
        check(&setup, &path, &source)?;
    }

    #[test]
    fn yaml_noise_never_panics_and_every_problem_is_located(
        source in prop_oneof![
            "[a-z_:\\-\\[\\]{}\"'#|>&*!%@0-9 \n\t]{0,200}",
            "(id: [a-z]{1,5}\n|questions:\n|  - id: [a-z]\n|    kind: [a-z_]{1,6}\n|    next: [a-z]{1,4}\n|results:\n|  - id: [a-z]\n|    title: \"[{}%a-z ]{0,12}\"\n|\\PC{0,6}\n){0,16}",
        ],
    ) {
        let setup = setup();
        check(&setup, &flow_path(0), &source)?;
    }
}

#[test]
fn the_shipped_flows_compile_unchanged() {
    // The mutations start from working flows: with no edit, each compiles without an error.
    let setup = setup();
    for (index, name) in FLOWS.iter().enumerate() {
        let source = mutate(&super::shipped(name), &[]);
        let (flow, problems) = compile_with(&flow_path(index), &source, &setup.shared);
        assert!(flow.is_some(), "{name}: {problems:?}");
    }
}
