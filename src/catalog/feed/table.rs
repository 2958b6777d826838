//! Tables with a header: generic CSV and Google Merchant Center TSV, both read with the `csv` crate (quoted
//! commas, tabs and newlines included) one record at a time.
//!
//! Generic CSV: the columns named like product fields fill them (`id`, `title`/`name`, `description`, `brand`,
//! `category`, `price` (may carry a currency), `currency`, `rating`, `stock`/`quantity`, `image`/`image_url`/
//! `thumbnail`, `link`/`url`, `tags`); every other column becomes an attribute named in snake_case whose type is
//! inferred per cell (number, bool, keyword). The Google TSV hands its cells to [`super::google`].

use std::collections::BTreeMap;
use std::io::Read;

use super::value::{self, attribute_name};
use super::{ImportOptions, Problem, Rows, google};
use crate::catalog::Product;

/// A `csv` reader over `reader` with `delimiter`, tolerant of ragged rows (they are reported, not fatal).
pub(crate) fn reader<R: Read>(reader: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(reader)
}

/// The header, as attribute-style names (`Image Src` → `image_src`, `g:price` → `price`).
pub(crate) fn header<R: Read>(csv: &mut csv::Reader<R>) -> Result<Vec<String>, Problem> {
    let headers = csv
        .headers()
        .map_err(|e| Problem::Malformed(csv_problem(&e)))?;
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(Problem::Malformed("has no header row".into()));
    }
    Ok(headers
        .iter()
        .map(|h| attribute_name(h.trim().trim_start_matches("g:")))
        .collect())
}

/// Each record of `csv` with its starting line, or the reason it is unreadable; stops at the end or on an IO error.
pub(crate) fn for_each_record<R: Read>(
    csv: &mut csv::Reader<R>,
    width: usize,
    mut each: impl FnMut(usize, Result<&csv::StringRecord, String>),
) -> Result<(), Problem> {
    let mut record = csv::StringRecord::new();
    loop {
        let line = csv.position().line() as usize;
        match csv.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = record.position().map_or(line, |p| p.line() as usize);
                if record.iter().all(|cell| cell.trim().is_empty()) {
                    continue;
                }
                if record.len() > width {
                    each(
                        line,
                        Err(format!(
                            "the row has {} cells but the header names {width} columns; quote cells that hold the separator",
                            record.len()
                        )),
                    );
                } else {
                    each(line, Ok(&record));
                }
            }
            Err(error) if error.is_io_error() => return Err(Problem::Io(error.into())),
            Err(error) => {
                let line = error.position().map_or(line, |p| p.line() as usize);
                each(line.max(1), Err(csv_problem(&error)));
            }
        }
    }
}

fn csv_problem(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "the row is not UTF-8 text".into(),
        _ => format!("unreadable row: {error}"),
    }
}

/// Reads a generic CSV feed.
pub(crate) fn read_csv(
    reader: impl Read,
    options: &ImportOptions,
    rows: &mut Rows<'_>,
) -> Result<(), Problem> {
    let mut csv = self::reader(reader, b',');
    let names = header(&mut csv)?;
    for_each_record(&mut csv, names.len(), |line, record| {
        rows.take(line, record.and_then(|r| csv_product(&names, r, options)));
    })
}

/// Reads a Google Merchant Center TSV feed.
pub(crate) fn read_google_tsv(
    reader: impl Read,
    options: &ImportOptions,
    rows: &mut Rows<'_>,
) -> Result<(), Problem> {
    let mut csv = self::reader(reader, b'\t');
    let names = header(&mut csv)?;
    for_each_record(&mut csv, names.len(), |line, record| {
        let outcome = record.and_then(|record| {
            let pairs = names.iter().map(String::as_str).zip(record.iter());
            google::product(pairs, options)
        });
        rows.take(line, outcome);
    })
}

fn csv_product(
    names: &[String],
    record: &csv::StringRecord,
    options: &ImportOptions,
) -> Result<Product, String> {
    let mut product = google::empty_product(options);
    let mut price_cell = None;
    let mut currency_cell = None;
    let mut attributes = BTreeMap::new();
    for (name, cell) in names.iter().zip(record.iter()) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        match name.as_str() {
            "id" => product.id = cell.to_string(),
            "title" | "name" => product.title = cell.to_string(),
            "description" => product.description = value::html_to_text(cell),
            "brand" => product.brand = cell.to_string(),
            "category" => product.category = cell.to_string(),
            "price" => price_cell = Some(cell),
            "currency" => currency_cell = Some(cell),
            "rating" => {
                product.rating = Some(
                    value::parse_number(cell)
                        .ok_or_else(|| format!("rating `{cell}` is not a number"))?,
                );
            }
            "stock" | "quantity" => product.stock = value::parse_stock(cell)?,
            "image" | "image_url" | "thumbnail" => product.image = value::link(cell),
            "link" | "url" => product.link = value::link(cell),
            "tags" => product.tags = value::split_list(cell, options.list_separator),
            other => {
                if let Some(value) = value::infer(cell) {
                    attributes.insert(other.to_string(), value);
                }
            }
        }
    }
    let default_currency = currency_cell.unwrap_or(&options.default_currency);
    let label = if product.id.is_empty() {
        "the product".to_string()
    } else {
        format!("product `{}`", product.id)
    };
    let price = price_cell.ok_or_else(|| format!("{label} has no price"))?;
    let (amount, currency) =
        value::parse_price(price, default_currency).map_err(|e| format!("{label}: {e}"))?;
    product.price = amount;
    product.currency = currency;
    product.attributes = attributes;
    Ok(product)
}
