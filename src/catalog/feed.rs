//! Reading product feeds as streams.
//!
//! A feed is read row by row and each good row handed to a sink, so a million-product file never sits in memory.
//! A bad row is reported with its line and reason, skipped and counted: the import never stops on one bad row and
//! never hands on a half-parsed product.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::Product;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("cannot read catalog feed `{path}`: {source}; check the path and its permissions")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "catalog folder `{path}` holds no feed (*.jsonl); add one or pass another folder with --catalog"
    )]
    Empty { path: PathBuf },
}

/// One skipped row.
#[derive(Clone, Debug, PartialEq)]
pub struct RowError {
    pub line: usize,
    pub reason: String,
}

/// What one feed file yielded.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    pub file: PathBuf,
    pub imported: usize,
    pub skipped: Vec<RowError>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} products imported, {} rows skipped",
            self.file.display(),
            self.imported,
            self.skipped.len()
        )?;
        for row in self.skipped.iter().take(20) {
            write!(f, "\n  line {}: {}", row.line, row.reason)?;
        }
        if self.skipped.len() > 20 {
            write!(f, "\n  … and {} more", self.skipped.len() - 20)?;
        }
        Ok(())
    }
}

/// The feed files of a catalog folder, in name order so that builds are reproducible.
pub fn files(dir: &Path) -> Result<Vec<PathBuf>, FeedError> {
    let entries = std::fs::read_dir(dir).map_err(|source| FeedError::Unreadable {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(FeedError::Empty {
            path: dir.to_path_buf(),
        });
    }
    Ok(files)
}

/// Reads every feed in `paths`, handing each good product to `sink`. Ids must be unique across all of them.
pub fn read_all(
    paths: &[PathBuf],
    sink: &mut dyn FnMut(Product),
) -> Result<Vec<ImportReport>, FeedError> {
    let mut seen = HashSet::new();
    paths
        .iter()
        .map(|path| read_jsonl(path, &mut seen, sink))
        .collect()
}

/// Reads a JSON Lines feed: one product object per line; blank lines and lines starting with `#` are skipped.
fn read_jsonl(
    path: &Path,
    seen: &mut HashSet<String>,
    sink: &mut dyn FnMut(Product),
) -> Result<ImportReport, FeedError> {
    let file = File::open(path).map_err(|source| FeedError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let mut report = ImportReport {
        file: path.to_path_buf(),
        ..ImportReport::default()
    };
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line_no = n + 1;
        let line = match line {
            Ok(line) => line,
            Err(error) => {
                report.skipped.push(RowError {
                    line: line_no,
                    reason: format!("unreadable line: {error}"),
                });
                continue;
            }
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let outcome = serde_json::from_str::<Product>(trimmed)
            .map_err(|e| format!("not a product object: {e}"))
            .and_then(|product| validate(product, seen));
        match outcome {
            Ok(product) => {
                report.imported += 1;
                sink(product);
            }
            Err(reason) => report.skipped.push(RowError {
                line: line_no,
                reason,
            }),
        }
    }
    Ok(report)
}

/// Checks a parsed product and cleans what can be cleaned; `Err` names the reason the row is skipped.
pub fn validate(mut product: Product, seen: &mut HashSet<String>) -> Result<Product, String> {
    product.id = product.id.trim().to_string();
    product.title = product.title.trim().to_string();
    if product.id.is_empty() {
        return Err("the product has no id".into());
    }
    if product.title.is_empty() {
        return Err(format!("product `{}` has no title", product.id));
    }
    if !product.price.is_finite() || product.price < 0.0 {
        return Err(format!(
            "product `{}` has price {}, which is not a price",
            product.id, product.price
        ));
    }
    if !(0.0..=5.0).contains(&product.rating) {
        return Err(format!(
            "product `{}` has rating {}; ratings run from 0 to 5",
            product.id, product.rating
        ));
    }
    product.currency = product.currency.trim().to_ascii_uppercase();
    product.image = product.image.filter(|url| is_safe_url(url));
    product.link = product.link.filter(|url| is_safe_url(url));
    if !seen.insert(product.id.clone()) {
        return Err(format!(
            "product id `{}` appears twice; ids must be unique",
            product.id
        ));
    }
    Ok(product)
}

/// Only http(s) links and paths on this server reach a shopper; `javascript:` and `data:` never do.
pub fn is_safe_url(url: &str) -> bool {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || (url.starts_with('/') && !url.starts_with("//"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_reported_and_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("feed.jsonl");
        std::fs::write(
            &path,
            concat!(
                "{\"id\":\"a\",\"title\":\"Good\",\"price\":10}\n",
                "not json\n",
                "\n",
                "{\"id\":\"a\",\"title\":\"Again\",\"price\":10}\n",
                "{\"id\":\"b\",\"title\":\"Bad price\",\"price\":-1}\n",
                "{\"id\":\"c\",\"title\":\"Link\",\"price\":1,\"link\":\"javascript:alert(1)\",\"image\":\"https://x/i.png\"}\n",
            ),
        )
        .expect("write feed");
        let mut products = Vec::new();
        let reports = read_all(&[path], &mut |p| products.push(p)).expect("read");
        let report = &reports[0];
        assert_eq!(report.imported, 2);
        let lines: Vec<usize> = report.skipped.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 5]);
        assert!(
            report.skipped[1].reason.contains("appears twice"),
            "{:?}",
            report.skipped[1]
        );
        assert_eq!(products[1].link, None);
        assert_eq!(products[1].image.as_deref(), Some("https://x/i.png"));
    }
}
