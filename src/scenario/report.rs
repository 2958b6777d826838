//! What a run says: a line per case, for each failure what was expected and what the server showed (the question,
//! or the picks with their explanations), the golden-file changes, coverage, and JUnit XML for CI.

use std::fmt::Write as _;
use std::path::Path;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::ScenarioError;
use super::coverage::{FlowCoverage, Tally};
use super::run::Outcome;
use super::suite::Summary;
use super::wire::Screen;

/// Where a case is, for messages: `flows/tests/shoes.yaml:12 \`trail\``.
fn title(outcome: &Outcome) -> String {
    format!(
        "{}:{} `{}`",
        outcome.case.file.display(),
        outcome.case.line,
        outcome.case.name
    )
}

/// The screen the case ended on, indented: the question with its options, or the picks with explanations.
pub fn screen(screen: &Screen) -> String {
    let mut out = String::new();
    match screen {
        Screen::Question(q) => {
            let _ = writeln!(
                out,
                "    the server asked `{}` ({}): {:?}",
                q.id, q.kind, q.text
            );
            if !q.options.is_empty() {
                let options: Vec<&str> = q.options.iter().map(|o| o.value.as_str()).collect();
                let _ = writeln!(out, "      options: {}", options.join(", "));
            }
            if let Some(hint) = &q.hint {
                let _ = writeln!(out, "      hint: {hint:?}");
            }
        }
        Screen::Products(p) => {
            let _ = writeln!(out, "    the server showed `{}`: {:?}", p.result, p.title);
            if !p.relaxed.is_empty() {
                let relaxed: Vec<String> = p
                    .relaxed
                    .iter()
                    .map(|r| format!("{} ({})", r.question, r.label))
                    .collect();
                let _ = writeln!(out, "      relaxed: {}", relaxed.join(", "));
            }
            for (n, pick) in p.products.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "      {}. {} {:?} — {}, {} {}{}",
                    n + 1,
                    pick.id,
                    pick.title,
                    pick.brand,
                    crate::catalog::format_number(pick.price),
                    pick.currency,
                    pick.rating.map(|r| format!(" ★{r}")).unwrap_or_default()
                );
                let _ = writeln!(out, "         {}", pick.explanation.line);
            }
            if p.products.is_empty() {
                let _ = writeln!(out, "      (no products)");
            }
        }
    }
    out
}

/// The failure text of one case: every unmet expectation, the answers given and what the server showed last.
pub fn failure(outcome: &Outcome) -> String {
    let mut out = format!("FAIL {} ({}", title(outcome), outcome.case.flow);
    if let Some(locale) = &outcome.case.locale {
        let _ = write!(out, ", {locale}");
    }
    out.push_str(")\n");
    if !outcome.answers.is_empty() {
        let _ = writeln!(out, "    answers: {}", outcome.answers.join(", "));
    }
    for failure in &outcome.failures {
        let _ = writeln!(out, "  ✗ {failure}");
    }
    if let Some(last) = &outcome.last {
        out.push_str(&screen(last));
    }
    out
}

fn tally(name: &str, tally: &Tally) -> String {
    let mut line = format!(
        "{name} {}/{} ({:.0}%)",
        tally.covered(),
        tally.total,
        tally.percent()
    );
    if !tally.missing.is_empty() {
        let _ = write!(line, " — not exercised: {}", tally.missing.join(", "));
    }
    line
}

/// Coverage, one block per finder.
pub fn coverage(coverage: &[FlowCoverage]) -> String {
    let mut out = String::from("coverage:\n");
    for c in coverage {
        let _ = writeln!(out, "  {} ({:.0}%)", c.flow, c.percent());
        for line in [
            tally("questions", &c.questions),
            tally("options", &c.options),
            tally("edges", &c.edges),
        ] {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

/// The whole report: a line per passing case, the failures in full, golden files, the totals.
pub fn text(summary: &Summary, with_coverage: bool) -> String {
    let mut out = String::new();
    for outcome in &summary.outcomes {
        if outcome.passed() {
            let _ = writeln!(
                out,
                "ok   {} ({} ms)",
                title(outcome),
                outcome.elapsed.as_millis()
            );
        } else {
            out.push_str(&failure(outcome));
        }
        for note in &outcome.notes {
            let _ = writeln!(out, "  note: {note}");
        }
    }
    for golden in &summary.golden {
        if let Some(changed) = golden.written {
            let _ = writeln!(
                out,
                "wrote {} ({changed} cases recorded anew or changed)",
                golden.path.display()
            );
        }
        for name in &golden.stale {
            let _ = writeln!(
                out,
                "FAIL {}: case `{name}` is recorded but no longer exists; remove it with `--golden --update`",
                golden.path.display()
            );
        }
    }
    if with_coverage {
        out.push_str(&coverage(&summary.coverage));
    }
    let _ = writeln!(
        out,
        "{} {}: {} ok, {} failing, in {:.2} s",
        summary.outcomes.len(),
        if summary.outcomes.len() == 1 {
            "case"
        } else {
            "cases"
        },
        summary.outcomes.len() - summary.failed(),
        summary.failed(),
        summary.elapsed.as_secs_f64()
    );
    out
}

/// JUnit XML: one `testsuite` per test file, one `testcase` per case; every text escaped by the XML writer.
pub fn junit(summary: &Summary) -> std::io::Result<Vec<u8>> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut files: Vec<&Path> = summary
        .outcomes
        .iter()
        .map(|o| o.case.file.as_path())
        .collect();
    files.dedup();
    let failures = summary.failed().to_string();
    let tests = summary.outcomes.len().to_string();
    let time = format!("{:.3}", summary.elapsed.as_secs_f64());
    writer
        .create_element("testsuites")
        .with_attributes([
            ("name", "shopkeep test"),
            ("tests", tests.as_str()),
            ("failures", failures.as_str()),
            ("time", time.as_str()),
        ])
        .write_inner_content(|writer| {
            for file in &files {
                let cases: Vec<&Outcome> = summary
                    .outcomes
                    .iter()
                    .filter(|o| o.case.file == *file)
                    .collect();
                let name = file.display().to_string();
                let tests = cases.len().to_string();
                let failed = cases.iter().filter(|o| !o.passed()).count().to_string();
                let time = format!(
                    "{:.3}",
                    cases.iter().map(|o| o.elapsed.as_secs_f64()).sum::<f64>()
                );
                writer
                    .create_element("testsuite")
                    .with_attributes([
                        ("name", name.as_str()),
                        ("tests", tests.as_str()),
                        ("failures", failed.as_str()),
                        ("time", time.as_str()),
                    ])
                    .write_inner_content(|writer| {
                        for outcome in &cases {
                            let time = format!("{:.3}", outcome.elapsed.as_secs_f64());
                            let element = writer.create_element("testcase").with_attributes([
                                ("name", outcome.case.name.as_str()),
                                ("classname", outcome.case.flow.as_str()),
                                ("time", time.as_str()),
                            ]);
                            if outcome.passed() {
                                element.write_empty()?;
                            } else {
                                element.write_inner_content(|writer| {
                                    let message =
                                        outcome.failures.first().map_or("", String::as_str);
                                    writer
                                        .create_element("failure")
                                        .with_attribute(("message", message))
                                        .write_text_content(BytesText::new(&failure(outcome)))?;
                                    Ok(())
                                })?;
                            }
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    Ok(writer.into_inner())
}

/// Writes [`junit`] to `path`.
pub fn write_junit(summary: &Summary, path: &Path) -> Result<(), ScenarioError> {
    let failed = |cause| ScenarioError::Junit {
        path: path.to_path_buf(),
        cause,
    };
    let xml = junit(summary).map_err(failed)?;
    std::fs::write(path, xml).map_err(failed)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::scenario::Case;
    use crate::scenario::run::Outcome;
    use crate::scenario::wire::{Question, Screen};

    fn outcome(name: &str, failures: &[&str]) -> Outcome {
        let case = Case {
            file: "t.yaml".into(),
            name: name.into(),
            line: 3,
            column: 5,
            flow: "shoes".into(),
            flow_at: (1, 1),
            locale: None,
            arm: None,
            steps: Vec::new(),
            expect: None,
        };
        let mut outcome = Outcome::new(Arc::new(case));
        outcome.failures = failures.iter().map(|f| f.to_string()).collect();
        outcome.answers = vec!["terrain=trail".into()];
        outcome.last = Some(Screen::Question(Question {
            id: "budget".into(),
            kind: "range".into(),
            text: "What is your budget?".into(),
            options: Vec::new(),
            hint: Some("Give a price <like 80>".into()),
        }));
        outcome
    }

    fn summary() -> Summary {
        Summary {
            outcomes: vec![
                outcome("fine", &[]),
                outcome("<b>&\"odd\"</b>", &["expected `a` & got <none>"]),
            ],
            coverage: Vec::new(),
            golden: Vec::new(),
            elapsed: Duration::from_millis(1500),
        }
    }

    #[test]
    fn a_failure_names_the_case_the_answers_and_what_was_shown() {
        let text = failure(&summary().outcomes[1]);
        assert_eq!(
            text,
            "FAIL t.yaml:3 `<b>&\"odd\"</b>` (shoes)\n    answers: terrain=trail\n  ✗ expected `a` & got <none>\n    the server asked `budget` (range): \"What is your budget?\"\n      hint: \"Give a price <like 80>\"\n"
        );
    }

    #[test]
    fn junit_escapes_every_text() {
        let xml = String::from_utf8(junit(&summary()).expect("xml")).expect("utf-8");
        assert!(
            xml.contains(
                r#"<testsuites name="shopkeep test" tests="2" failures="1" time="1.500">"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase name="fine" classname="shoes" time="0.000"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase name="&lt;b&gt;&amp;&quot;odd&quot;&lt;/b&gt;""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<failure message="expected `a` &amp; got &lt;none&gt;">FAIL"#),
            "{xml}"
        );
        assert!(!xml.contains("<none>") && !xml.contains("<like"), "{xml}");
    }
}
