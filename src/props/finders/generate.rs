//! The generated side of `props::finders`: messy catalogs (no brand, no rating, missing attributes, USD or JPY) and
//! finders written as a merchandiser would write them (YAML, compiled by the real compiler), with the range answers
//! a shopper may type or give past the slider's ends.

use std::fmt::Write;

use rand::Rng;
use rand::rngs::StdRng;

use super::Bounds;
use crate::catalog::Product;
use crate::conversation::Reply;

const BRANDS: &[&str] = &["North", "Swift", "山田", ""];
const CATEGORIES: &[&str] = &["sports", "beauty", "food", "shoes"];
const TERRAINS: &[&str] = &["road", "trail", "track"];
const TAGS: &[&str] = &["grippy", "light", "wide"];

pub(super) fn catalog(rng: &mut StdRng, currency: &str) -> Vec<Product> {
    let scale = if currency == "JPY" { 1000.0 } else { 10.0 };
    (0..rng.random_range(4..80))
        .map(|n| {
            let mut json = serde_json::json!({
                "id": format!("p{n:03}"),
                "title": format!("Product {n}"),
                "brand": BRANDS[rng.random_range(0..BRANDS.len())],
                "category": CATEGORIES[rng.random_range(0..CATEGORIES.len())],
                "price": f64::from(rng.random_range(1..60u32)) * scale,
                "currency": currency,
                "stock": rng.random_range(0..3),
                "tags": TAGS.iter().filter(|_| rng.random_bool(0.4)).collect::<Vec<_>>(),
                "attributes": {},
            });
            if rng.random_bool(0.7) {
                json["rating"] = serde_json::json!(f64::from(rng.random_range(20..=50u32)) / 10.0);
            }
            if rng.random_bool(0.8) {
                json["attributes"]["terrain"] = TERRAINS[rng.random_range(0..3)].into();
            }
            if rng.random_bool(0.8) {
                json["attributes"]["waterproof"] = rng.random_bool(0.4).into();
            }
            serde_json::from_value(json).expect("a generated product")
        })
        .collect()
}

/// One generated question as YAML (without `next`), indented as an item of `questions:`.
fn question(rng: &mut StdRng, id: &str, currency: &str) -> String {
    let mut q = format!("  - id: {id}\n");
    match id {
        "terrain" => {
            q += "    kind: single\n    text: {en: Where?, ja: どこで？}\n    options:\n";
            for t in TERRAINS {
                let boost = if rng.random_bool(0.3) {
                    ", boost: {field: tags, contains: grippy, weight: 3}"
                } else {
                    ""
                };
                let _ = writeln!(
                    q,
                    "      - {{value: {t}, label: {{en: {t}, ja: {t}道}}, filter: {{field: terrain, eq: {t}}}{boost}}}"
                );
            }
            if rng.random_bool(0.5) {
                q += "      - {value: any, label: {en: Anywhere, ja: どこでも}}\n";
            }
        }
        "waterproof" => {
            q += "    kind: yes_no\n    text: {en: Waterproof?, ja: 防水？}\n    options:\n";
            if rng.random_bool(0.7) {
                q += "      - {value: \"yes\", reason: {ja: 防水}, filter: {field: waterproof, eq: true}}\n";
            } else {
                q += "      - {value: \"yes\", boost: {field: waterproof, eq: true, weight: 2}}\n";
            }
            q += "      - {value: \"no\"}\n";
        }
        "rated" => {
            let at = ["4", "4.5"][rng.random_range(0..2)];
            let _ = write!(
                q,
                "    kind: yes_no\n    text: {{en: Well rated?, ja: 高評価？}}\n    options:\n      - {{value: \"yes\", filter: {{field: rating, gte: {at}}}}}\n      - {{value: \"no\"}}\n"
            );
        }
        "kinds" => {
            q += "    kind: multi\n    text: {en: What kind?, ja: 種類は？}\n    select: {min: 1, max: 2}\n    options:\n";
            for c in &CATEGORIES[..3] {
                let _ = writeln!(
                    q,
                    "      - {{value: {c}, label: {{en: {c}, ja: {c}類}}, filter: {{field: category, eq: {c}}}}}"
                );
            }
        }
        "maker" => {
            q += "    kind: single\n    text: {en: Which maker?, ja: メーカーは？}\n    options:\n";
            for b in &BRANDS[..3] {
                let _ = writeln!(
                    q,
                    "      - {{value: {b}, filter: {{field: brand, eq: {b}}}}}"
                );
            }
            q += "      - {value: any, label: {en: Any maker, ja: こだわらない}}\n";
        }
        "extras" => {
            q += "    kind: multi\n    text: {en: Nice to have?, ja: あればうれしい？}\n    options:\n";
            for t in TAGS {
                let _ = writeln!(
                    q,
                    "      - {{value: {t}, boost: {{field: tags, contains: {t}}}}}"
                );
            }
        }
        _ => {
            let (scale, unit) = if currency == "JPY" {
                (1000.0, "JPY")
            } else {
                (10.0, "USD")
            };
            let max = f64::from(rng.random_range(10..50u32)) * scale;
            let mut cuts: Vec<u32> = (0..rng.random_range(1..4))
                .map(|_| rng.random_range(1..10u32))
                .collect();
            cuts.sort_unstable();
            cuts.dedup();
            let buckets: Vec<String> = cuts
                .iter()
                .map(|c| (f64::from(*c) * max / 10.0).to_string())
                .collect();
            let _ = write!(
                q,
                "    kind: range\n    text: {{en: Budget?, ja: ご予算は？}}\n    range: {{min: 0, max: {max}, step: {scale}, unit: {unit}, buckets: [{}]}}\n    filter: {{field: price}}\n    skippable: {}\n",
                buckets.join(", "),
                rng.random_bool(0.5)
            );
        }
    }
    q
}

/// A finder over the generated catalog: 2–4 questions in random order, a random `relax` list, `count` and `min`,
/// scope, stock and diversity, and an intro that claims each answer only when `relaxed_question` allows it.
pub(super) fn finder(rng: &mut StdRng, currency: &str) -> String {
    let mut pool = vec![
        "terrain",
        "waterproof",
        "rated",
        "kinds",
        "maker",
        "extras",
        "budget",
    ];
    let mut ids = Vec::new();
    for _ in 0..rng.random_range(2..=4) {
        ids.push(pool.remove(rng.random_range(0..pool.len())));
    }
    let mut relax: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.5))
        .collect();
    if rng.random_bool(0.5) {
        relax.reverse();
    }
    let mut yaml =
        String::from("id: generated\ntitle: {en: Generated, ja: 生成}\nlocales: [en, ja]\n");
    let _ = writeln!(yaml, "relax: [{}]", relax.join(", "));
    let _ = writeln!(yaml, "in_stock_only: {}", rng.random_bool(0.6));
    match rng.random_range(0..3) {
        0 => yaml += "diversity: {field: brand, max: 1}\n",
        1 => yaml += "diversity: {field: brand, max: 2}\n",
        _ => {}
    }
    if rng.random_bool(0.3) {
        yaml += "scope: [{field: category, in: [sports, beauty, shoes]}]\n";
    }
    yaml += "questions:\n";
    let two_results = ids.contains(&"budget") && rng.random_bool(0.4);
    for (n, id) in ids.iter().enumerate() {
        yaml += &question(rng, id, currency);
        match ids.get(n + 1) {
            Some(next) => {
                let _ = writeln!(yaml, "    next: {next}");
            }
            None if two_results => {
                yaml += "    next: [{when: {answered: budget}, goto: picks}, {goto: more}]\n";
            }
            None => yaml += "    next: picks\n",
        }
    }
    let claims: String = ids
        .iter()
        .map(|id| format!("{{% if {id} and not relaxed_question('{id}') %}}[{id}]{{% endif %}}"))
        .collect();
    yaml += "results:\n";
    for result in ["picks", "more"].iter().take(1 + usize::from(two_results)) {
        let count = rng.random_range(1..8);
        let min = rng.random_range(1..=count);
        let _ = writeln!(
            yaml,
            "  - id: {result}\n    count: {count}\n    min: {min}\n    intro: \"{claims}\""
        );
    }
    yaml
}

/// A range answer typed or given past the slider's ends, with the bounds it must keep.
pub(super) fn extra_ranges(q: &crate::flow::Question, locale: &str) -> Vec<(Reply, Bounds)> {
    let Some(range) = &q.range else {
        return Vec::new();
    };
    let yen = range.unit.as_deref() == Some("JPY");
    let past = range.max * 3.0;
    let mut out = vec![
        // Past the slider's end: kept as given.
        (
            Reply::Range {
                min: None,
                max: Some(past),
            },
            (None, Some(past)),
        ),
        (
            Reply::Range {
                min: Some(range.max / 2.0),
                max: Some(past),
            },
            (Some(range.max / 2.0), Some(past)),
        ),
    ];
    if yen && locale == "ja" {
        // 2万円台: ¥20,000–29,999.
        out.push((
            Reply::Text("2万円台".into()),
            (Some(20_000.0), Some(29_999.0)),
        ));
        out.push((Reply::Text("5千円以下".into()), (None, Some(5_000.0))));
    } else {
        let b = range.max * 2.0;
        out.push((Reply::Text(format!("under {b}")), (None, Some(b))));
    }
    out
}
