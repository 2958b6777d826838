//! A picture of a finder: its questions, the answers that lead on from each and, with a catalog, the products
//! left on every edge: orange where fewer than `thin` products meet every answer so far on some path through it,
//! red where its answer is part of a cause that leaves the shopper nothing even after relaxation (the check's
//! errors). An edge with no exact match that relaxation rescues is orange, not red: the shopper sees picks.
//! Written as Graphviz DOT from the flow and the audit's walk, and rendered to SVG in-process by `layout-rs` (a
//! pure-Rust DOT layout and SVG renderer: no `dot` binary to install, nothing downloaded).

use std::fmt::Write;

use super::Audit;
use crate::flow::{Flow, Node};

#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error(
        "the finder's picture could not be laid out ({0}); `--format dot` writes the DOT text to render elsewhere"
    )]
    Layout(String),
}

/// An answer on an edge with the fewest and most products left on the paths through it, and whether it is part of
/// a dead end.
type Answer<'a> = (&'a str, usize, usize, bool);

/// More answers than this between the same two nodes are drawn as one edge ("10 answers").
const MAX_PARALLEL: usize = 4;

/// A DOT string literal: quotes and backslashes escaped, new lines as `\n`.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        text.chars().take(max - 1).chain(['…']).collect()
    }
}

/// The finder as DOT, in `locale`. With `counts`, each edge says how many products meet every answer so far on the
/// paths through it ("12" or "3–40") and is coloured: red when its answer is part of a dead end (the shopper sees
/// nothing, even after relaxation), else orange when some path through it is thin (fewer than `thin`).
pub fn dot(flow: &Flow, audit: &Audit, locale: &str, counts: bool, thin: usize) -> String {
    let fallback = flow.default_locale();
    let mut out = String::new();
    let _ = writeln!(out, "digraph finder {{");
    let _ = writeln!(out, "  rankdir=TB;");
    for node in &flow.nodes {
        match node {
            Node::Question(q) => {
                let text = short(q.text.get(locale, fallback), 40);
                let _ = writeln!(
                    out,
                    "  {} [shape=box, label={}];",
                    quoted(&q.id),
                    quoted(&format!("{}\n{text}", q.id))
                );
            }
            Node::Results(r) => {
                let _ = writeln!(
                    out,
                    "  {} [shape=ellipse, style=filled, fillcolor=\"#e3f2e8\", label={}];",
                    quoted(&r.id),
                    quoted(&format!("{} (up to {})", r.id, r.count))
                );
            }
        }
    }
    // Many answers between the same two nodes (a multi-choice's combinations) are drawn as one edge.
    let mut grouped: std::collections::BTreeMap<(&str, &str), Vec<Answer<'_>>> = Default::default();
    for (edge, (fewest, most)) in &audit.edges {
        let (from, answer, to) = edge;
        grouped.entry((from, to)).or_default().push((
            answer,
            *fewest,
            *most,
            audit.dead.contains(edge),
        ));
    }
    let mut edges: Vec<(&str, String, &str, usize, usize, bool)> = Vec::new();
    for ((from, to), answers) in grouped {
        if answers.len() <= MAX_PARALLEL {
            for (answer, fewest, most, dead) in answers {
                let answer = short(answer.trim_start_matches(&format!("{from}: ")), 24);
                edges.push((from, answer, to, fewest, most, dead));
            }
        } else {
            let fewest = answers.iter().map(|a| a.1).min().unwrap_or(0);
            let most = answers.iter().map(|a| a.2).max().unwrap_or(0);
            let dead = answers.iter().any(|a| a.3);
            let label = format!("{} answers", answers.len());
            edges.push((from, label, to, fewest, most, dead));
        }
    }
    for (from, answer, to, fewest, most, dead) in &edges {
        let mut label = answer.clone();
        let mut colour = "";
        if counts {
            let left = if fewest == most {
                format!("{fewest}")
            } else {
                format!("{fewest}–{most}")
            };
            label = format!("{label}\n{left}");
            colour = if *dead {
                ", color=\"#c62828\", fontcolor=\"#c62828\""
            } else if *fewest < thin {
                ", color=\"#ef6c00\", fontcolor=\"#ef6c00\""
            } else {
                ""
            };
        }
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{colour}];",
            quoted(from),
            quoted(to),
            quoted(&label)
        );
    }
    let _ = writeln!(out, "}}");
    out
}

/// Lays `dot` out and renders it as an SVG document. The layout library is a young crate: a panic inside it is
/// caught and reported as an error rather than taking the caller down.
pub fn svg(dot: &str) -> Result<String, PictureError> {
    let dot = dot.to_string();
    std::panic::catch_unwind(move || {
        let mut parser = layout::gv::DotParser::new(&dot);
        let graph = parser.process().map_err(PictureError::Layout)?;
        let mut builder = layout::gv::GraphBuilder::new();
        builder.visit_graph(&graph);
        let mut visual = builder.get();
        let mut writer = layout::backends::svg::SVGWriter::new();
        visual.do_it(false, false, false, &mut writer);
        Ok(writer.finalize())
    })
    .unwrap_or_else(|_| Err(PictureError::Layout("the layout failed".into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_strings_are_escaped() {
        assert_eq!(quoted("a \"b\"\\\nc"), r#""a \"b\"\\\nc""#);
        assert_eq!(short("abcdef", 4), "abc…");
    }
}
