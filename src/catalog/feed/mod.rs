//! Reading product feeds as streams, in every format a shop is likely to have.
//!
//! A feed is read row by row and each good row handed to a sink, so a million-product file never sits in memory.
//! A bad row is reported with its line and reason, skipped and counted: the import never stops on one bad row and
//! never hands on a half-parsed product (a row becomes a [`Product`] whole, or not at all).
//!
//! Formats, chosen by extension and, for CSV, by the header (see [`Format::detect`]):
//! - [`jsonl`]: the native shape, one product object per line;
//! - [`table`]: CSV with a header (known columns map to product fields, the rest become typed attributes) and
//!   Google Merchant Center TSV;
//! - [`google`]: the Google Merchant Center field mapping, shared by its TSV and its RSS 2.0 XML ([`google_xml`]);
//! - [`shopify`]: Shopify's product CSV export, variant rows grouped into one product per handle.
//!
//! [`value`] holds what the formats share: prices, typed attribute inference, HTML to text, safe URLs.

pub mod google;
pub mod google_xml;
pub mod jsonl;
pub mod shopify;
pub mod table;
pub mod value;

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::Product;

pub use value::{is_safe_url, parse_price};

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("cannot read catalog feed `{path}`: {source}; check the path and its permissions")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "catalog folder `{path}` holds no feed (*.jsonl, *.csv, *.tsv, *.xml); add one or pass another folder"
    )]
    Empty { path: PathBuf },
    #[error("catalog feed `{path}`: {reason}; fix the file or move it out of the catalog folder")]
    Malformed { path: PathBuf, reason: String },
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
    /// The format the file was read as.
    pub format: Option<Format>,
    pub imported: usize,
    pub skipped: Vec<RowError>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}: {} products imported, {} rows skipped",
            self.file.display(),
            self.format.map(|f| format!(" ({f})")).unwrap_or_default(),
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

/// The feed formats shopkeep reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `*.jsonl`: the native shape.
    JsonLines,
    /// `*.csv` with a header that is not a Shopify export.
    Csv,
    /// `*.csv` whose header has `Handle` and `Variant Price`.
    Shopify,
    /// `*.tsv`: a Google Merchant Center product feed.
    GoogleTsv,
    /// `*.xml`: a Google Merchant Center RSS 2.0 (or Atom) feed.
    GoogleXml,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::JsonLines => "JSON Lines",
            Format::Csv => "CSV",
            Format::Shopify => "Shopify CSV",
            Format::GoogleTsv => "Google Merchant TSV",
            Format::GoogleXml => "Google Merchant XML",
        })
    }
}

impl Format {
    /// The format of `path` by its extension, and for CSV by its header; `None` for files that are no feed (the
    /// catalog folder also holds images and notes).
    pub fn detect(path: &Path) -> Result<Option<Format>, FeedError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        Ok(match ext.as_deref() {
            Some("jsonl") => Some(Format::JsonLines),
            Some("tsv") => Some(Format::GoogleTsv),
            Some("xml") => Some(Format::GoogleXml),
            Some("csv") => {
                let mut first_line = String::new();
                // The header is one line in every Shopify export; reading it alone keeps detection cheap.
                open(path)?
                    .take(64 * 1024)
                    .read_line(&mut first_line)
                    .map_err(|source| unreadable(path, source))?;
                let headers: Vec<String> = first_line
                    .split(',')
                    .map(|h| {
                        h.trim()
                            .trim_matches('"')
                            .trim_start_matches('\u{feff}')
                            .to_string()
                    })
                    .collect();
                let has = |name: &str| headers.iter().any(|h| h.eq_ignore_ascii_case(name));
                if has("Handle") && has("Variant Price") {
                    Some(Format::Shopify)
                } else {
                    Some(Format::Csv)
                }
            }
            _ => None,
        })
    }
}

/// How values the feeds leave open are read.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportOptions {
    /// The currency of a price that names none (`12.99`).
    pub default_currency: String,
    /// The separator of list cells (tags) in generic CSV; `None`: `|` when the cell has one, else `,`.
    pub list_separator: Option<char>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            default_currency: "USD".into(),
            list_separator: None,
        }
    }
}

/// The feed files of a catalog folder, in name order so that builds are reproducible.
pub fn files(dir: &Path) -> Result<Vec<PathBuf>, FeedError> {
    let entries = std::fs::read_dir(dir).map_err(|source| unreadable(dir, source))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.is_file()
                && path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["jsonl", "csv", "tsv", "xml"].contains(&e.to_ascii_lowercase().as_str())
                })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(FeedError::Empty {
            path: dir.to_path_buf(),
        });
    }
    Ok(files)
}

/// Reads every feed in `paths` with the default options, handing each good product to `sink`. Ids must be
/// unique across all of them.
pub fn read_all(
    paths: &[PathBuf],
    sink: &mut dyn FnMut(Product),
) -> Result<Vec<ImportReport>, FeedError> {
    read_all_with(paths, &ImportOptions::default(), sink)
}

/// [`read_all`] with explicit options.
pub fn read_all_with(
    paths: &[PathBuf],
    options: &ImportOptions,
    sink: &mut dyn FnMut(Product),
) -> Result<Vec<ImportReport>, FeedError> {
    let mut seen = HashSet::new();
    paths
        .iter()
        .map(|path| read_one(path, options, &mut seen, sink))
        .collect()
}

/// Reads one feed of any format into `sink`.
pub fn read_one(
    path: &Path,
    options: &ImportOptions,
    seen: &mut HashSet<String>,
    sink: &mut dyn FnMut(Product),
) -> Result<ImportReport, FeedError> {
    let format = Format::detect(path)?.ok_or_else(|| FeedError::Malformed {
        path: path.to_path_buf(),
        reason: "is not a feed shopkeep reads (*.jsonl, *.csv, *.tsv, *.xml)".into(),
    })?;
    let mut report = ImportReport {
        file: path.to_path_buf(),
        format: Some(format),
        ..ImportReport::default()
    };
    let mut rows = Rows {
        report: &mut report,
        seen,
        sink,
    };
    let reader = open(path)?;
    let outcome = match format {
        Format::JsonLines => jsonl::read(reader, &mut rows),
        Format::Csv => table::read_csv(reader, options, &mut rows),
        Format::GoogleTsv => table::read_google_tsv(reader, options, &mut rows),
        Format::Shopify => shopify::read(reader, options, &mut rows),
        Format::GoogleXml => google_xml::read(reader, options, &mut rows),
    };
    outcome.map_err(|problem| match problem {
        Problem::Io(source) => unreadable(path, source),
        Problem::Malformed(reason) => FeedError::Malformed {
            path: path.to_path_buf(),
            reason,
        },
    })?;
    // Grouped formats (Shopify) report a product when its last row is read; readers want line order.
    report.skipped.sort_by_key(|row| row.line);
    Ok(report)
}

/// Why a whole file could not be read (as opposed to one row).
#[derive(Debug)]
pub(crate) enum Problem {
    Io(std::io::Error),
    Malformed(String),
}

impl From<std::io::Error> for Problem {
    fn from(error: std::io::Error) -> Self {
        Problem::Io(error)
    }
}

/// Where the format readers hand each row's outcome: validated, de-duplicated, counted.
pub(crate) struct Rows<'a> {
    report: &'a mut ImportReport,
    seen: &'a mut HashSet<String>,
    sink: &'a mut dyn FnMut(Product),
}

impl Rows<'_> {
    /// Takes the outcome of the row starting at `line`: a product is validated and passed on, a reason is
    /// recorded.
    pub(crate) fn take(&mut self, line: usize, outcome: Result<Product, String>) {
        match outcome.and_then(|product| validate(product, self.seen)) {
            Ok(product) => {
                self.report.imported += 1;
                (self.sink)(product);
            }
            Err(reason) => self.report.skipped.push(RowError { line, reason }),
        }
    }
}

fn open(path: &Path) -> Result<BufReader<File>, FeedError> {
    File::open(path)
        .map(|file| BufReader::with_capacity(64 * 1024, file))
        .map_err(|source| unreadable(path, source))
}

fn unreadable(path: &Path, source: std::io::Error) -> FeedError {
    FeedError::Unreadable {
        path: path.to_path_buf(),
        source,
    }
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
    if let Some(rating) = product.rating
        && !(0.0..=5.0).contains(&rating)
    {
        return Err(format!(
            "product `{}` has rating {}; ratings run from 0 to 5",
            product.id, rating
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

    #[test]
    fn formats_are_detected_by_extension_and_header() {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        let shopify = write("s.csv", "\u{feff}Handle,Title,Variant Price\n");
        let generic = write("g.csv", "id,title,price\n");
        assert_eq!(
            Format::detect(&shopify).expect("detect"),
            Some(Format::Shopify)
        );
        assert_eq!(Format::detect(&generic).expect("detect"), Some(Format::Csv));
        assert_eq!(
            Format::detect(Path::new("x.TSV")).expect("detect"),
            Some(Format::GoogleTsv)
        );
        assert_eq!(
            Format::detect(Path::new("README.md")).expect("detect"),
            None
        );
    }
}
