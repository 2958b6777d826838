//! Checking a products message against a case's [`Expect`]: pure, every unmet expectation reported as one
//! sentence saying what was expected and what the server showed.
//!
//! Conditions (`all`) are tested with [`Constraint::test`] on the product: the fields the products message
//! carries (id, title, brand, price, currency, rating) are taken from the message, so a remote server's prices are
//! the ones checked; other attributes (`terrain`, `steel`, …) come from the local catalog by id.

use crate::catalog::{BUILTIN_FIELDS, Constraint, Op, Product, Scalar};
use crate::text::normalize;

use super::Expect;
use super::wire::{ProductIn, Products};

/// A condition as a test reads it: `price <= 120`, `terrain = trail`, `tags contains gift`.
pub fn describe(field: &str, op: &Op) -> String {
    let scalar = |s: &Scalar| match s {
        Scalar::Text(t) => t.clone(),
        Scalar::Number(n) => crate::catalog::format_number(*n),
        Scalar::Bool(b) => b.to_string(),
    };
    let num = |n: &f64| crate::catalog::format_number(*n);
    match op {
        Op::Eq(s) => format!("{field} = {}", scalar(s)),
        Op::Ne(s) => format!("{field} != {}", scalar(s)),
        Op::In(list) => format!(
            "{field} in [{}]",
            list.iter().map(scalar).collect::<Vec<_>>().join(", ")
        ),
        Op::Contains(s) => format!("{field} contains {}", scalar(s)),
        Op::Lt(n) => format!("{field} < {}", num(n)),
        Op::Lte(n) => format!("{field} <= {}", num(n)),
        Op::Gt(n) => format!("{field} > {}", num(n)),
        Op::Gte(n) => format!("{field} >= {}", num(n)),
    }
}

/// The fields a products message carries for each product.
const WIRE_FIELDS: &[&str] = &["id", "title", "brand", "price", "currency", "rating"];

/// The product a condition is tested on: the catalog's, with the message's own values for the wire fields.
pub fn subject(shown: &ProductIn, catalog: Option<Product>) -> (Product, bool) {
    let found = catalog.is_some();
    let mut product = catalog.unwrap_or_else(|| Product {
        id: shown.id.clone(),
        title: String::new(),
        description: String::new(),
        brand: String::new(),
        category: String::new(),
        price: 0.0,
        currency: String::new(),
        rating: None,
        stock: 1,
        image: None,
        link: None,
        tags: Vec::new(),
        attributes: Default::default(),
    });
    product.id = shown.id.clone();
    product.title = shown.title.clone();
    product.brand = shown.brand.clone();
    product.price = shown.price;
    product.currency = shown.currency.clone();
    product.rating = shown.rating;
    (product, found)
}

fn mentions(haystack: &str, needle: &str) -> bool {
    normalize(haystack).contains(&normalize(needle))
}

/// Every expectation `products` fails, as sentences. `lookup` finds a product in the local catalog by id.
pub fn products(
    expect: &Expect,
    shown: &Products,
    lookup: &dyn Fn(&str) -> Option<Product>,
) -> Vec<String> {
    let mut failures = Vec::new();
    let ids: Vec<&str> = shown.products.iter().map(|p| p.id.as_str()).collect();
    if let Some(result) = &expect.result
        && &shown.result != result
    {
        failures.push(format!(
            "expected the result `{result}`, got `{}`",
            shown.result
        ));
    }
    if let Some(title) = &expect.title
        && !mentions(&shown.title, title)
    {
        failures.push(format!(
            "expected the title to contain {title:?}, got {:?}",
            shown.title
        ));
    }
    if let Some((min, max)) = expect.count
        && !(min..=max).contains(&ids.len())
    {
        let wanted = match (min, max) {
            (a, b) if a == b => format!("{a}"),
            (a, usize::MAX) => format!("at least {a}"),
            (a, b) => format!("{a} to {b}"),
        };
        failures.push(format!("expected {wanted} products, got {}", ids.len()));
    }
    for id in &expect.includes {
        if !ids.contains(&id.as_str()) {
            failures.push(format!("expected `{id}` among the picks; it is not"));
        }
    }
    for id in &expect.excludes {
        if ids.contains(&id.as_str()) {
            failures.push(format!("expected `{id}` not to be picked; it is"));
        }
    }
    if let Some(first) = &expect.first
        && ids.first() != Some(&first.as_str())
    {
        failures.push(format!(
            "expected `{first}` first, got {}",
            ids.first()
                .map_or("no products".to_string(), |id| format!("`{id}`"))
        ));
    }
    for (text, constraint) in &expect.all {
        failures.extend(condition(text, constraint, shown, lookup));
    }
    if let Some(relaxed) = &expect.relaxed {
        let mut want: Vec<&str> = relaxed.iter().map(String::as_str).collect();
        let mut got: Vec<&str> = shown.relaxed.iter().map(|r| r.question.as_str()).collect();
        want.sort_unstable();
        got.sort_unstable();
        if want != got {
            failures.push(format!(
                "expected relaxed [{}], got [{}]",
                want.join(", "),
                got.join(", ")
            ));
        }
    }
    if let Some(text) = &expect.explains {
        for p in &shown.products {
            let said = std::iter::once(p.explanation.line.as_str())
                .chain(p.explanation.matched.iter().map(String::as_str));
            if !said.into_iter().any(|s| mentions(s, text)) {
                failures.push(format!(
                    "expected the explanation of `{}` to mention {text:?}, got {:?}",
                    p.id, p.explanation.line
                ));
            }
        }
    }
    failures
}

fn condition(
    text: &str,
    constraint: &Constraint,
    shown: &Products,
    lookup: &dyn Fn(&str) -> Option<Product>,
) -> Vec<String> {
    let on_wire = WIRE_FIELDS.contains(&constraint.field.as_str());
    let builtin = BUILTIN_FIELDS.iter().any(|(f, _)| *f == constraint.field);
    let mut failures = Vec::new();
    for p in &shown.products {
        let (product, found) = subject(p, if on_wire { None } else { lookup(&p.id) });
        if !on_wire && !found {
            failures.push(format!(
                "cannot test `{text}` on `{}`: it is not in the local catalog (only {} come with the products message)",
                p.id,
                WIRE_FIELDS.join(", ")
            ));
        } else if !constraint.test(&product) {
            let value: Vec<String> = product
                .values(&constraint.field)
                .iter()
                .map(|v| match v {
                    crate::catalog::FieldValue::Text(t) => t.to_string(),
                    crate::catalog::FieldValue::Number(n) => crate::catalog::format_number(*n),
                    crate::catalog::FieldValue::Bool(b) => b.to_string(),
                })
                .collect();
            let value = if value.is_empty() {
                if builtin {
                    "nothing".into()
                } else {
                    "no such attribute".into()
                }
            } else {
                value.join(", ")
            };
            failures.push(format!(
                "expected every pick to satisfy `{text}`; `{}` ({}) has {} {value}",
                p.id, p.title, constraint.field
            ));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::wire::{ExplanationIn, RelaxedIn};

    fn shown(id: &str, price: f64, line: &str) -> ProductIn {
        ProductIn {
            id: id.into(),
            title: format!("T {id}"),
            brand: "B".into(),
            price,
            currency: "USD".into(),
            rating: Some(4.0),
            explanation: ExplanationIn {
                matched: vec![],
                missed: vec![],
                line: line.into(),
            },
        }
    }

    fn products() -> Products {
        Products {
            result: "picks".into(),
            title: "Here are 2 shoes for the trail".into(),
            intro: None,
            relaxed: vec![RelaxedIn {
                question: "colour".into(),
                label: "Colour: red".into(),
            }],
            products: vec![
                shown("a", 100.0, "Matches: Trail"),
                shown("b", 130.0, "Matches: Road"),
            ],
        }
    }

    fn catalog(id: &str) -> Option<Product> {
        let terrain = if id == "a" { "trail" } else { "road" };
        serde_json::from_value(serde_json::json!({
            "id": id, "title": "stale title", "price": 1, "attributes": {"terrain": terrain}
        }))
        .ok()
    }

    fn constraint(field: &str, op: Op) -> (String, Constraint) {
        (describe(field, &op), Constraint::new(field, op))
    }

    #[test]
    fn met_expectations_report_nothing() {
        let expect = Expect {
            result: Some("picks".into()),
            title: Some("FOR THE TRAIL".into()),
            count: Some((1, 4)),
            includes: vec!["a".into()],
            excludes: vec!["z".into()],
            first: Some("a".into()),
            all: vec![constraint("price", Op::Lte(130.0))],
            relaxed: Some(vec!["colour".into()]),
            explains: Some("matches".into()),
        };
        assert_eq!(products_failures(&expect), Vec::<String>::new());
    }

    fn products_failures(expect: &Expect) -> Vec<String> {
        super::products(expect, &products(), &catalog)
    }

    #[test]
    fn each_unmet_expectation_says_what_was_shown() {
        let expect = Expect {
            result: Some("race_picks".into()),
            count: Some((4, 4)),
            includes: vec!["c".into()],
            excludes: vec!["b".into()],
            first: Some("b".into()),
            all: vec![
                constraint("price", Op::Lte(120.0)),
                constraint("terrain", Op::Eq(Scalar::Text("trail".into()))),
            ],
            relaxed: Some(vec![]),
            explains: Some("Trail".into()),
            ..Expect::default()
        };
        assert_eq!(
            products_failures(&expect),
            [
                "expected the result `race_picks`, got `picks`",
                "expected 4 products, got 2",
                "expected `c` among the picks; it is not",
                "expected `b` not to be picked; it is",
                "expected `b` first, got `a`",
                "expected every pick to satisfy `price <= 120`; `b` (T b) has price 130",
                "expected every pick to satisfy `terrain = trail`; `b` (T b) has terrain road",
                "expected relaxed [], got [colour]",
                "expected the explanation of `b` to mention \"Trail\", got \"Matches: Road\"",
            ]
        );
    }

    #[test]
    fn attributes_need_the_product_in_the_catalog() {
        let expect = Expect {
            all: vec![constraint("terrain", Op::Eq(Scalar::Text("trail".into())))],
            ..Expect::default()
        };
        let failures = super::products(&expect, &products(), &|_| None);
        assert_eq!(failures.len(), 2);
        assert!(
            failures[0].starts_with(
                "cannot test `terrain = trail` on `a`: it is not in the local catalog"
            )
        );
    }
}
