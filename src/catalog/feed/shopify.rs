//! Shopify's product CSV export: one row per variant (and per extra image), grouped by `Handle`; the first row of a
//! handle carries the product's fields, continuation rows have an empty `Title`.
//!
//! A finder recommends products, not sizes, so **one handle becomes one product** (id = the handle):
//! - `Title`, `Body (HTML)` (stripped to text), `Vendor` → title, description, brand; `Tags` (comma-separated) →
//!   tags; `Image Src` → image (the first http(s) one);
//! - `Type` → category (or, without one, the last level of `Product Category`, whose levels become the list
//!   attribute `product_category`);
//! - every `OptionN Name`/`OptionN Value` → a list attribute named after the option (`Size` → `size`: `["S","M"]`),
//!   except Shopify's placeholder `Title`/`Default Title`;
//! - `Variant Price` → price: the lowest variant's (`price_max` says the highest when they differ);
//!   `Variant Compare At Price` of that variant → `compare_at_price` when above the price; `Variant SKU` → list
//!   attribute `sku`; `Variant Inventory Qty` → stock, summed over variants (untracked inventory counts as in
//!   stock);
//! - `Status` other than `active`, or `Published` false → the product is skipped with that reason (shoppers must
//!   not be shown drafts);
//! - other product-level columns of the first row → attributes with inferred types; per-variant logistics
//!   (grams, barcode, fulfilment, tax) are not product facts a shopper chooses by and are left out.
//!
//! A bad variant row makes the whole product bad: it is reported at the product's first line, naming the row.

use std::collections::BTreeMap;
use std::io::Read;

use super::value::{self, infer};
use super::{ImportOptions, Problem, Rows, google, table};
use crate::catalog::{AttrValue, Product};

/// One handle's rows so far.
struct Group {
    handle: String,
    line: usize,
    product: Product,
    /// Option attribute names by option number (1–3), learnt from the first row.
    options: [Option<String>; 3],
    /// (price, compare-at price) of each variant.
    prices: Vec<(f64, Option<f64>)>,
    skus: Vec<String>,
    stock: Option<i64>,
    problem: Option<String>,
}

pub(crate) fn read(
    reader: impl Read,
    options: &ImportOptions,
    rows: &mut Rows<'_>,
) -> Result<(), Problem> {
    let mut csv = table::reader(reader, b',');
    let names = table::header(&mut csv)?;
    let mut group: Option<Group> = None;
    // Rows with more cells than the header are checked here rather than by the table reader: such a row still
    // names its handle, and the product it belongs to is reported whole (not imported without that variant).
    table::for_each_record(&mut csv, usize::MAX, |line, record| {
        let record = match record {
            Ok(record) => record,
            Err(reason) => return rows.take(line, Err(reason)),
        };
        let ragged = (record.len() > names.len()).then(|| {
            format!(
                "line {line}: the row has {} cells but the header names {} columns; quote cells that hold a comma",
                record.len(),
                names.len()
            )
        });
        let cells: BTreeMap<&str, &str> = names
            .iter()
            .map(String::as_str)
            .zip(record.iter().map(str::trim))
            .filter(|(_, cell)| !cell.is_empty())
            .collect();
        let Some(handle) = cells.get("handle").copied() else {
            return rows.take(line, Err("the row has no Handle".into()));
        };
        if group.as_ref().is_none_or(|g| g.handle != handle) {
            if let Some(done) = group.take() {
                rows.take(done.line, finish(done));
            }
            group = Some(start(handle, line, &cells, options));
        }
        if let Some(current) = group.as_mut() {
            match ragged {
                Some(reason) if current.problem.is_none() => {
                    current.problem = Some(format!("product `{handle}`: {reason}"));
                }
                Some(_) => {}
                None => add_row(current, line, &cells),
            }
        }
    })?;
    if let Some(done) = group {
        rows.take(done.line, finish(done));
    }
    Ok(())
}

/// Columns read per row or deliberately left out; every other column of the first row becomes an attribute.
fn is_mapped(name: &str) -> bool {
    matches!(
        name,
        "handle"
            | "title"
            | "body_html"
            | "vendor"
            | "type"
            | "product_category"
            | "tags"
            | "published"
            | "status"
            | "image_src"
            | "image_position"
            | "image_alt_text"
            | "cost_per_item"
    ) || name.starts_with("variant_")
        || (name.starts_with("option") && (name.ends_with("_name") || name.ends_with("_value")))
}

fn start(
    handle: &str,
    line: usize,
    cells: &BTreeMap<&str, &str>,
    options: &ImportOptions,
) -> Group {
    let get = |name: &str| cells.get(name).copied().unwrap_or_default();
    let mut product = google::empty_product(options);
    product.id = handle.to_string();
    product.title = get("title").to_string();
    product.description = value::html_to_text(get("body_html"));
    product.brand = get("vendor").to_string();
    product.tags = value::split_list(get("tags"), Some(','));
    let levels: Vec<String> = get("product_category")
        .split('>')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    product.category = match (get("type"), levels.last()) {
        ("", Some(last)) => last.clone(),
        (kind, _) => kind.to_string(),
    };
    if !levels.is_empty() {
        product
            .attributes
            .insert("product_category".into(), AttrValue::List(levels));
    }
    for (name, cell) in cells {
        if !is_mapped(name)
            && let Some(value) = infer(cell)
        {
            product.attributes.insert(name.to_string(), value);
        }
    }
    let mut problem = None;
    let status = get("status").to_ascii_lowercase();
    if !status.is_empty() && status != "active" {
        problem = Some(format!(
            "product `{handle}` has status `{status}`; only active products are imported"
        ));
    } else if get("published").eq_ignore_ascii_case("false") {
        problem = Some(format!(
            "product `{handle}` is not published; only published products are imported"
        ));
    }
    let option_name = |n: usize| {
        cells
            .get(format!("option{n}_name").as_str())
            .map(|name| value::attribute_name(name))
            .filter(|name| !name.is_empty() && name != "title")
    };
    Group {
        handle: handle.to_string(),
        line,
        product,
        options: [option_name(1), option_name(2), option_name(3)],
        prices: Vec::new(),
        skus: Vec::new(),
        stock: None,
        problem,
    }
}

fn add_row(group: &mut Group, line: usize, cells: &BTreeMap<&str, &str>) {
    if group.problem.is_some() {
        return;
    }
    let get = |name: &str| cells.get(name).copied();
    if group.product.image.is_none() {
        group.product.image = get("image_src").and_then(value::link);
    }
    let Some(price) = get("variant_price") else {
        // An image-only row, or a variant with no price: nothing to add but its image.
        return;
    };
    let currency = group.product.currency.clone();
    let parsed = value::parse_price(price, &currency).and_then(|(amount, _)| {
        let compare = match get("variant_compare_at_price") {
            Some(cell) => Some(value::parse_price(cell, &currency)?.0),
            None => None,
        };
        let stock = get("variant_inventory_qty")
            .map(value::parse_stock)
            .transpose()?;
        Ok((amount, compare, stock))
    });
    let (amount, compare, stock) = match parsed {
        Ok(parsed) => parsed,
        Err(reason) => {
            group.problem = Some(format!("product `{}`: line {line}: {reason}", group.handle));
            return;
        }
    };
    group.prices.push((amount, compare));
    if let Some(stock) = stock {
        group.stock = Some(group.stock.unwrap_or(0) + stock);
    }
    if let Some(sku) = get("variant_sku") {
        group.skus.push(sku.to_string());
    }
    for (n, name) in group.options.iter().enumerate() {
        let (Some(name), Some(cell)) = (name, get(format!("option{}_value", n + 1).as_str()))
        else {
            continue;
        };
        let entry = group
            .product
            .attributes
            .entry(name.clone())
            .or_insert_with(|| AttrValue::List(Vec::new()));
        if let AttrValue::List(values) = entry
            && !values.iter().any(|v| v == cell)
        {
            values.push(cell.to_string());
        }
    }
}

fn finish(group: Group) -> Result<Product, String> {
    if let Some(problem) = group.problem {
        return Err(problem);
    }
    let mut product = group.product;
    let Some(&(low, compare)) = group.prices.iter().min_by(|a, b| a.0.total_cmp(&b.0)) else {
        return Err(format!("product `{}` has no Variant Price", group.handle));
    };
    let high = group.prices.iter().map(|p| p.0).fold(low, f64::max);
    product.price = low;
    if high > low {
        product
            .attributes
            .insert("price_max".into(), AttrValue::Number(high));
    }
    if let Some(compare) = compare.filter(|c| *c > low) {
        product
            .attributes
            .insert("compare_at_price".into(), AttrValue::Number(compare));
    }
    if !group.skus.is_empty() {
        product
            .attributes
            .insert("sku".into(), AttrValue::List(group.skus));
    }
    product.stock = group.stock.unwrap_or(1);
    Ok(product)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::{ImportOptions, read_one};

    #[test]
    fn a_variant_row_with_too_many_cells_fails_its_whole_product() {
        // Found by `props::feeds`: the row was reported on its own and its product imported without it.
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("shop.csv");
        std::fs::write(
            &path,
            "Handle,Title,Option1 Name,Option1 Value,Variant Price\n\
             tee,Tee,Size,S,10.00\n\
             tee,,,M,12.00,extra\n\
             cap,Cap,Size,One,5.00\n",
        )
        .expect("write the feed");
        let mut products = Vec::new();
        let report = read_one(
            &path,
            &ImportOptions::default(),
            &mut HashSet::new(),
            &mut |p| products.push(p),
        )
        .expect("read");
        let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["cap"]);
        assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
        assert_eq!(report.skipped[0].line, 2);
        assert!(
            report.skipped[0]
                .reason
                .contains("product `tee`: line 3: the row has 6 cells"),
            "{}",
            report.skipped[0].reason
        );
    }
}
