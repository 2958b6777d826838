//! The edits made to one row: a cell replaced by hostile text or a wrong type, a cell added or cut, characters
//! inserted into or removed from a JSON line, an XML value replaced — each keeping the file's structure.

use proptest::prelude::*;
use proptest::sample::Index;

use super::rows::Format;

pub(super) const TOKENS: &[&str] = &[
    "",
    " ",
    "null",
    "-1",
    "1e400",
    "NaN",
    "inf",
    "ten dollars",
    "１２３",
    "1,299.00 JPY",
    "¥12800",
    "9",
    "5.01",
    "true",
    "javascript:alert(1)",
    "//evil.example/x.png",
    "<p>a<b>b",
    "\"",
    "&amp;",
    "[]",
    "{}",
    "\"<script>\"",
];

#[derive(Clone, Debug)]
pub(super) struct Mutation {
    pub(super) row: Index,
    pub(super) at: Index,
    pub(super) kind: u8,
    pub(super) value: String,
    pub(super) chars: Vec<(Index, Option<char>)>,
}

pub(super) fn mutation() -> impl Strategy<Value = Mutation> {
    let value = prop_oneof![
        crate::props::hostile_text(),
        prop::sample::select(TOKENS).prop_map(str::to_string)
    ];
    let edit = (
        any::<Index>(),
        prop::option::of(prop_oneof![
            Just('"'),
            Just(','),
            Just('}'),
            Just('\\'),
            any::<char>()
        ]),
    );
    (
        any::<Index>(),
        any::<Index>(),
        0..4u8,
        value,
        prop::collection::vec(edit, 1..4),
    )
        .prop_map(|(row, at, kind, value, chars)| Mutation {
            row,
            at,
            kind,
            value,
            chars,
        })
}

pub(super) fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `m` applied to one row of `format`, keeping the file's structure (no row is split or joined).
pub(super) fn apply(
    format: Format,
    m: &Mutation,
    text: &mut String,
    group: &mut [Vec<String>],
    header: &[String],
) {
    match format {
        Format::Jsonl if m.kind < 3 => {
            for (at, c) in &m.chars {
                let chars: Vec<char> = text.chars().collect();
                let i = at.index(chars.len() + 1);
                let mut edited: String = chars[..i].iter().collect();
                match c {
                    Some(c) if *c != '\n' => edited.push(*c),
                    _ => {}
                }
                let rest = if c.is_none() {
                    (i + 1).min(chars.len())
                } else {
                    i
                };
                edited.extend(&chars[rest..]);
                *text = edited;
            }
        }
        Format::Jsonl => {
            let values: Vec<usize> = text.match_indices("\":").map(|(i, _)| i + 2).collect();
            if let Some(&start) = values.get(m.at.index(values.len().max(1))) {
                let end = text[start..]
                    .find([',', '}'])
                    .map_or(text.len(), |e| start + e);
                let value = serde_json::to_string(&m.value).expect("a JSON string");
                let token = if m.value.len().is_multiple_of(2) {
                    m.value.replace('\n', " ")
                } else {
                    value
                };
                text.replace_range(start..end, &token);
            }
        }
        Format::Xml => {
            let leaves: Vec<(usize, usize)> = text
                .match_indices("</")
                .filter_map(|(end, _)| {
                    let start = text[..end].rfind('>')? + 1;
                    (!text[start..end].contains('<')).then_some((start, end))
                })
                .collect();
            if !leaves.is_empty() {
                let (start, end) = leaves[m.at.index(leaves.len())];
                text.replace_range(start..end, &escape_xml(&m.value));
            }
        }
        Format::Csv | Format::Tsv | Format::Shopify => {
            let record = &mut group[m.row.index(group.len())];
            let key = if matches!(format, Format::Shopify) {
                "handle"
            } else {
                "id"
            };
            let keep = header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(key));
            match m.kind {
                0 | 1 => {
                    let at = m.at.index(record.len().max(1));
                    if Some(at) != keep && at < record.len() {
                        record[at] = m.value.clone();
                    }
                }
                2 => record.push(m.value.clone()),
                _ => record.truncate(m.at.index(record.len()).max(keep.map_or(0, |k| k + 1))),
            }
        }
    }
}
