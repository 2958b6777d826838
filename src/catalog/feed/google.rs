//! The Google Merchant Center product data specification, mapped to [`Product`]: shared by the TSV feed
//! ([`super::table`]) and the RSS 2.0 / Atom XML feed ([`super::google_xml`]), which both come down to a list of
//! `(field, text)` pairs per product.
//!
//! | Google field | product |
//! |---|---|
//! | `id`, `title`, `brand` | the same fields |
//! | `description` | `description`, HTML stripped to text |
//! | `link`, `image_link` | `link`, `image` (only http(s)) |
//! | `price` (`12.99 USD`) | `price`, `currency`; with a valid `sale_price` the sale price is the price and the original becomes `regular_price`, with `on_sale: true` |
//! | `availability` | `stock`: `in_stock` 1, `out_of_stock`/`preorder`/`backorder` 0 (not on the shelf today); the value is kept as attribute `availability` |
//! | `product_type` (`A > B > C`) | `category` = the last level; attribute `product_type` = every level, so a finder can filter on a parent |
//! | `google_product_category` | attribute (keyword; the category when there is no `product_type`) |
//! | `color` (`red/blue`) | attribute `color`, a list when it names several |
//! | `size`, `gender`, `age_group`, `material`, `pattern`, `condition`, `gtin`, `mpn`, `item_group_id`, `custom_label_0`–`4` | keyword attributes of the same name |
//! | anything else | an attribute with an inferred type; repeated fields become lists |

use std::collections::BTreeMap;

use super::ImportOptions;
use super::value;
use crate::catalog::{AttrValue, Product};

/// Fields kept as keywords even when they look like numbers (codes lose leading zeros as numbers).
const KEYWORDS: &[&str] = &[
    "size",
    "gender",
    "age_group",
    "material",
    "pattern",
    "condition",
    "gtin",
    "mpn",
    "item_group_id",
    "google_product_category",
    "custom_label_0",
    "custom_label_1",
    "custom_label_2",
    "custom_label_3",
    "custom_label_4",
];

/// A product with nothing filled in yet but the defaults of `options`.
pub(crate) fn empty_product(options: &ImportOptions) -> Product {
    Product {
        id: String::new(),
        title: String::new(),
        description: String::new(),
        brand: String::new(),
        category: String::new(),
        price: 0.0,
        currency: options.default_currency.clone(),
        rating: None,
        stock: 1,
        image: None,
        link: None,
        tags: Vec::new(),
        attributes: BTreeMap::new(),
    }
}

/// Maps one product's `(field, text)` pairs (field names already snake_case, without the `g:` prefix).
pub(crate) fn product<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    options: &ImportOptions,
) -> Result<Product, String> {
    let mut product = empty_product(options);
    let (mut price, mut sale_price, mut google_category) = (None, None, None);
    let mut levels: Vec<String> = Vec::new();
    let mut attributes: BTreeMap<String, AttrValue> = BTreeMap::new();
    for (name, text) in pairs {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match name {
            "id" => product.id = text.to_string(),
            "title" => product.title = text.to_string(),
            "description" => product.description = value::html_to_text(text),
            "link" => product.link = value::link(text),
            "image_link" => product.image = value::link(text),
            "brand" => product.brand = text.to_string(),
            "price" => price = Some(text),
            "sale_price" => sale_price = Some(text),
            "availability" => {
                product.stock = stock(text)?;
                attributes.insert(name.into(), AttrValue::Keyword(availability(text)));
            }
            "product_type" => levels.extend(
                text.split('>')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
            ),
            "color" => {
                let colors = value::split_list(text, Some('/'));
                let value = match colors.as_slice() {
                    [one] => AttrValue::Keyword(one.clone()),
                    _ => AttrValue::List(colors),
                };
                attributes.insert(name.into(), value);
            }
            "additional_image_link" => {
                if let Some(url) = value::link(text) {
                    push(&mut attributes, name, AttrValue::Keyword(url));
                }
            }
            _ if name == "google_product_category" => {
                google_category = Some(text);
                attributes.insert(name.into(), AttrValue::Keyword(text.to_string()));
            }
            _ if KEYWORDS.contains(&name) => {
                attributes.insert(name.into(), AttrValue::Keyword(text.to_string()));
            }
            _ => {
                if let Some(value) = value::infer(text) {
                    push(&mut attributes, name, value);
                }
            }
        }
    }
    let label = if product.id.is_empty() {
        "the product".to_string()
    } else {
        format!("product `{}`", product.id)
    };
    let price = price.ok_or_else(|| format!("{label} has no price"))?;
    let (amount, currency) = value::parse_price(price, &options.default_currency)
        .map_err(|e| format!("{label}: {e}"))?;
    (product.price, product.currency) = (amount, currency);
    if let Some(sale) = sale_price {
        let (sale, _) = value::parse_price(sale, &product.currency)
            .map_err(|e| format!("{label}: sale_price: {e}"))?;
        if sale < amount {
            product.price = sale;
            attributes.insert("regular_price".into(), AttrValue::Number(amount));
            attributes.insert("on_sale".into(), AttrValue::Bool(true));
        }
    }
    if let Some(last) = levels.last() {
        product.category = last.clone();
        attributes.insert("product_type".into(), AttrValue::List(levels));
    } else if let Some(google) = google_category {
        product.category = google
            .rsplit('>')
            .next()
            .map(str::trim)
            .unwrap_or(google)
            .to_string();
    }
    product.attributes = attributes;
    Ok(product)
}

/// Adds `value` to attribute `name`, turning a repeated field into a list.
fn push(attributes: &mut BTreeMap<String, AttrValue>, name: &str, value: AttrValue) {
    let text = |v: &AttrValue| match v {
        AttrValue::Keyword(s) => vec![s.clone()],
        AttrValue::Number(n) => vec![crate::catalog::format_number(*n)],
        AttrValue::Bool(b) => vec![b.to_string()],
        AttrValue::List(items) => items.clone(),
    };
    match attributes.remove(name) {
        None => {
            attributes.insert(name.into(), value);
        }
        Some(previous) => {
            let mut items = text(&previous);
            items.extend(text(&value));
            attributes.insert(name.into(), AttrValue::List(items));
        }
    }
}

/// `in_stock`, `in stock` and `In Stock` all name the same availability.
fn availability(text: &str) -> String {
    value::attribute_name(text)
}

fn stock(text: &str) -> Result<i64, String> {
    match availability(text).as_str() {
        "in_stock" => Ok(1),
        "out_of_stock" | "preorder" | "backorder" => Ok(0),
        _ => Err(format!(
            "availability `{text}` is not one of in_stock, out_of_stock, preorder, backorder"
        )),
    }
}
