//! What became of each row of an imported feed: its product, the reason it was skipped, or nothing; and the
//! catalog's rules every imported product must hold.

use std::collections::HashSet;

use proptest::prelude::*;

use super::rows::Format;
use crate::catalog::Product;
use crate::catalog::feed::{ImportOptions, ImportReport, is_safe_url, read_one};

/// Imports `text` as a feed of `format`.
pub(super) fn import(format: Format, text: &[u8]) -> Result<(Vec<Product>, ImportReport), String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("feed.{}", format.ext()));
    std::fs::write(&path, text).expect("write the feed");
    let mut products = Vec::new();
    let report = read_one(
        &path,
        &ImportOptions::default(),
        &mut HashSet::new(),
        &mut |p| products.push(p),
    )
    .map_err(|e| e.to_string())?;
    Ok((products, report))
}

/// Every product holds the catalog's rules, and every report points at a line of the file.
pub(super) fn valid(
    products: &[Product],
    report: &ImportReport,
    text: &[u8],
) -> Result<(), TestCaseError> {
    let mut ids = HashSet::new();
    for p in products {
        prop_assert!(!p.id.is_empty() && p.id.trim() == p.id, "id {:?}", p.id);
        prop_assert!(!p.title.trim().is_empty(), "product {} has no title", p.id);
        prop_assert!(p.price.is_finite() && p.price >= 0.0, "price {}", p.price);
        prop_assert!(
            p.rating.is_none_or(|r| (0.0..=5.0).contains(&r)),
            "rating {:?}",
            p.rating
        );
        prop_assert!(
            p.image.as_deref().is_none_or(is_safe_url),
            "image {:?}",
            p.image
        );
        prop_assert!(
            p.link.as_deref().is_none_or(is_safe_url),
            "link {:?}",
            p.link
        );
        prop_assert!(ids.insert(p.id.clone()), "id {} twice", p.id);
    }
    prop_assert_eq!(report.imported, products.len());
    let lines = text.iter().filter(|&&b| b == b'\n').count() + 1;
    for row in &report.skipped {
        prop_assert!(
            row.line >= 1 && row.line <= lines,
            "a report at line {} of {}",
            row.line,
            lines
        );
        prop_assert!(!row.reason.trim().is_empty());
    }
    let _ = report.to_string();
    Ok(())
}

/// What became of each row: its product, the reason it was skipped, or nothing (a comment line).
#[derive(Debug, PartialEq)]
pub(super) enum Fate {
    /// The product's id and all of it, as text (so a NaN attribute compares equal to itself).
    Product(String, String),
    Skipped(String),
    Nothing,
}

/// `reason` with each `line N` it names counted from the row's first line, so that a row's reason reads the
/// same wherever the row stands in a file.
pub(super) fn relative(reason: &str, first: usize) -> String {
    let mut out = String::new();
    let mut rest = reason;
    while let Some(at) = rest.find("line ") {
        let (before, after) = rest.split_at(at + "line ".len());
        out.push_str(before);
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if let Ok(n) = after[..digits].parse::<usize>() {
            out.push_str(&format!("+{}", n.saturating_sub(first)));
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The fate of the rows starting at `lines`, from an import's products (in row order) and reports.
pub(super) fn fates(
    products: &[Product],
    report: &ImportReport,
    lines: &[usize],
    nothing: Option<usize>,
) -> Result<Vec<Fate>, String> {
    for row in &report.skipped {
        if !lines.contains(&row.line) {
            return Err(format!(
                "a report at line {}, where no row starts: {}",
                row.line, row.reason
            ));
        }
    }
    let mut products = products.iter();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let reports: Vec<&str> = report
            .skipped
            .iter()
            .filter(|r| r.line == *line)
            .map(|r| r.reason.as_str())
            .collect();
        out.push(match reports.as_slice() {
            [] if nothing == Some(n) => Fate::Nothing,
            [] => {
                let product = products.next().ok_or("fewer products than rows")?;
                Fate::Product(product.id.clone(), format!("{product:?}"))
            }
            [reason] => Fate::Skipped(relative(reason, *line)),
            more => {
                return Err(format!(
                    "the row at line {line} is reported {} times: {more:?}",
                    more.len()
                ));
            }
        });
    }
    if products.next().is_some() {
        return Err("more products than rows".into());
    }
    Ok(out)
}
