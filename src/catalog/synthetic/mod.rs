//! A synthetic catalog of any size, for benchmarks and load tests: `generate(n, seed)` yields `n` products with
//! realistic shapes, the same ones for the same seed.
//!
//! What makes it realistic enough to measure a matcher on: six categories of unequal size with their own
//! attributes (keywords, numbers, bools, lists), brands whose popularity follows a Zipf law (a few brands hold
//! most products, as in real shops), log-normal prices per category, ratings bunched around 4.2, about 8% of
//! products out of stock, colours and sizes with skewed popularity, 0–4 tags, and Japanese titles and
//! descriptions for the knife and tea categories (priced in yen).

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{AttrValue, Product};

mod vocab;

use vocab::{COLOURS, JAPANESE_BRANDS, KINDS, SHIRT_SIZES, SHOE_SIZES, SYLLABLES};

/// The cumulative weights of a Zipf law over `n` ranks (exponent 1.1), for picking by binary search.
fn zipf(n: usize) -> Vec<f64> {
    let mut total = 0.0;
    (1..=n)
        .map(|rank| {
            total += 1.0 / (rank as f64).powf(1.1);
            total
        })
        .collect()
}

struct Generator {
    rng: StdRng,
    brands: Vec<Vec<String>>,
    brand_weights: Vec<f64>,
    colour_weights: Vec<f64>,
    kind_weights: Vec<f64>,
}

/// An index drawn with the weights whose running totals are `cumulative`.
fn pick(rng: &mut StdRng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(1.0);
    let x = rng.random::<f64>() * total;
    cumulative
        .partition_point(|&c| c <= x)
        .min(cumulative.len().saturating_sub(1))
}

impl Generator {
    /// A standard normal deviate (Box–Muller), so no distribution crate is needed.
    fn normal(&mut self) -> f64 {
        let u1: f64 = self.rng.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = self.rng.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn one_of<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.rng.random_range(0..items.len())]
    }

    fn product(&mut self, n: usize) -> Product {
        let kind_index = pick(&mut self.rng, &self.kind_weights);
        let kind = &KINDS[kind_index];
        let brand_rank = pick(&mut self.rng, &self.brand_weights);
        let brand = self.brands[kind_index][brand_rank].clone();
        let raw_price = kind.median_price * (kind.sigma * self.normal()).exp();
        let price = if kind.currency == "JPY" {
            (raw_price / 10.0).round().max(1.0) * 10.0
        } else {
            (raw_price.max(1.0)).floor() + 0.99
        };
        let rating = ((4.2 + 0.5 * self.normal()).clamp(1.0, 5.0) * 10.0).round() / 10.0;
        let stock = if self.rng.random::<f64>() < 0.08 {
            0
        } else {
            1 + (12.0 * (0.8 * self.normal()).exp()) as i64
        };
        let colour = COLOURS[pick(&mut self.rng, &self.colour_weights)];
        let noun = self.one_of(kind.nouns);
        let model = self.rng.random_range(1..=9);
        let mut tags: Vec<String> = Vec::new();
        for _ in 0..self.rng.random_range(0..=4) {
            let tag = self.one_of(kind.tags).to_string();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let mut attributes = BTreeMap::new();
        let (title, description) = if kind.japanese {
            let (field, size, unit) = if kind.name == "kitchen-knives" {
                ("blade_mm", self.rng.random_range(8..=27) * 10, "mm")
            } else {
                ("weight_g", self.rng.random_range(2..=20) * 25, "g")
            };
            attributes.insert(field.into(), AttrValue::Number(f64::from(size)));
            (
                format!("{brand} {noun} {size}{unit}"),
                format!("{brand}の{noun}。毎日の台所で使いやすい定番品です。"),
            )
        } else {
            (
                format!("{brand} {noun} {model}"),
                format!("A {colour} {noun} from {brand}, made for every day."),
            )
        };
        if kind.name == "kitchen-knives" {
            attributes.insert(
                "knife_type".into(),
                AttrValue::Keyword(knife_type(noun).into()),
            );
        }
        self.attributes(kind.name, colour, &mut attributes);
        Product {
            id: format!("syn-{n:07}"),
            title,
            description,
            brand,
            category: kind.name.to_string(),
            price,
            currency: kind.currency.to_string(),
            rating: Some(rating),
            stock,
            image: None,
            link: Some(format!("/p/syn-{n:07}")),
            tags,
            attributes,
        }
    }

    /// The category's own facets.
    fn attributes(&mut self, kind: &str, colour: &str, out: &mut BTreeMap<String, AttrValue>) {
        let keyword = |s: &str| AttrValue::Keyword(s.to_string());
        let sizes = |rng: &mut StdRng, all: &[&str]| {
            let from = rng.random_range(0..all.len());
            let to = rng.random_range(from..all.len());
            AttrValue::List(all[from..=to].iter().map(|s| s.to_string()).collect())
        };
        match kind {
            "running-shoes" => {
                out.insert(
                    "terrain".into(),
                    keyword(self.one_of(&["road", "road", "trail", "track"])),
                );
                out.insert("colour".into(), keyword(colour));
                out.insert("sizes".into(), sizes(&mut self.rng, SHOE_SIZES));
                let weight = self.rng.random_range(150..340);
                out.insert("weight_g".into(), AttrValue::Number(f64::from(weight)));
                // Derived, not drawn, so the random stream (and every product after this one) stays as it was:
                // heavier shoes carry more foam; about one in seven comes in a wide fit.
                let cushioning = match weight {
                    280.. => "high",
                    220.. => "medium",
                    _ => "low",
                };
                out.insert("cushioning".into(), keyword(cushioning));
                let width = if weight % 7 == 0 { "wide" } else { "regular" };
                out.insert("width".into(), keyword(width));
                out.insert(
                    "waterproof".into(),
                    AttrValue::Bool(self.rng.random_bool(0.25)),
                );
            }
            "backpacks" => {
                out.insert(
                    "use".into(),
                    keyword(self.one_of(&["commute", "school", "hiking", "travel"])),
                );
                out.insert("colour".into(), keyword(colour));
                out.insert(
                    "capacity_l".into(),
                    AttrValue::Number(self.rng.random_range(8..70) as f64),
                );
                out.insert(
                    "laptop_sleeve".into(),
                    AttrValue::Bool(self.rng.random_bool(0.5)),
                );
            }
            "t-shirts" => {
                out.insert("colour".into(), keyword(colour));
                out.insert("sizes".into(), sizes(&mut self.rng, SHIRT_SIZES));
                out.insert(
                    "material".into(),
                    keyword(self.one_of(&["cotton", "cotton", "merino", "polyester"])),
                );
                out.insert(
                    "fit".into(),
                    keyword(self.one_of(&["regular", "slim", "relaxed"])),
                );
            }
            "headphones" => {
                out.insert("colour".into(), keyword(colour));
                out.insert(
                    "wireless".into(),
                    AttrValue::Bool(self.rng.random_bool(0.7)),
                );
                out.insert(
                    "noise_cancelling".into(),
                    AttrValue::Bool(self.rng.random_bool(0.4)),
                );
                out.insert(
                    "battery_h".into(),
                    AttrValue::Number(self.rng.random_range(5..60) as f64),
                );
            }
            "kitchen-knives" => {
                out.insert(
                    "steel".into(),
                    keyword(self.one_of(&["stainless", "carbon", "damascus", "powder"])),
                );
                out.insert(
                    "handle".into(),
                    keyword(self.one_of(&["wood", "resin", "stainless"])),
                );
                out.insert(
                    "dishwasher_safe".into(),
                    AttrValue::Bool(self.rng.random_bool(0.3)),
                );
            }
            _ => {
                out.insert(
                    "origin".into(),
                    keyword(self.one_of(&["uji", "shizuoka", "kagoshima", "yame"])),
                );
                out.insert("organic".into(), AttrValue::Bool(self.rng.random_bool(0.3)));
            }
        }
    }
}

/// The shipped knives finder's `knife_type` for a knife's Japanese name.
fn knife_type(noun: &str) -> &'static str {
    match noun {
        "三徳包丁" => "santoku",
        "牛刀" => "gyuto",
        "ペティナイフ" => "petty",
        "菜切包丁" => "nakiri",
        "出刃包丁" => "deba",
        "柳刃包丁" => "yanagiba",
        _ => "other",
    }
}

/// `n` synthetic products, deterministic for `seed`; ids are `syn-0000000`, `syn-0000001`, …
pub fn generate(n: usize, seed: u64) -> impl Iterator<Item = Product> {
    let mut rng = StdRng::seed_from_u64(seed);
    let brands = KINDS
        .iter()
        .map(|kind| {
            (0..40)
                .map(|i| {
                    if kind.japanese {
                        let base = JAPANESE_BRANDS[i % JAPANESE_BRANDS.len()];
                        if i < JAPANESE_BRANDS.len() {
                            base.to_string()
                        } else {
                            format!("{base}{}", i / JAPANESE_BRANDS.len() + 1)
                        }
                    } else {
                        // Two or three syllables; the position makes each name unique within its category.
                        let a = SYLLABLES[rng.random_range(0..SYLLABLES.len())];
                        let b = SYLLABLES[i % SYLLABLES.len()];
                        let c = if i < SYLLABLES.len() {
                            ""
                        } else {
                            SYLLABLES[i / SYLLABLES.len()]
                        };
                        let mut name = format!("{a}{b}{c}");
                        name[..1].make_ascii_uppercase();
                        name
                    }
                })
                .collect()
        })
        .collect();
    let mut kind_total = 0.0;
    let kind_weights = KINDS
        .iter()
        .map(|k| {
            kind_total += k.share;
            kind_total
        })
        .collect();
    let mut generator = Generator {
        rng,
        brands,
        brand_weights: zipf(40),
        colour_weights: zipf(COLOURS.len()),
        kind_weights,
    };
    (0..n).map(move |i| generator.product(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_catalog() {
        let a: Vec<Product> = generate(500, 7).collect();
        let b: Vec<Product> = generate(500, 7).collect();
        let c: Vec<Product> = generate(500, 8).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn distributions_look_like_a_shop() {
        let products: Vec<Product> = generate(20_000, 1).collect();
        let out_of_stock = products.iter().filter(|p| p.stock == 0).count() as f64 / 20_000.0;
        assert!((0.06..0.10).contains(&out_of_stock), "{out_of_stock}");
        let japanese = products
            .iter()
            .filter(|p| p.title.chars().any(crate::text::is_cjk))
            .count();
        assert!(japanese > 3_000 && japanese < 7_000, "{japanese}");
        let mut per_brand: BTreeMap<&str, usize> = BTreeMap::new();
        for p in products.iter().filter(|p| p.category == "t-shirts") {
            *per_brand.entry(&p.brand).or_default() += 1;
        }
        let mut counts: Vec<usize> = per_brand.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        // Zipf: the top brand holds several times the share of the tenth.
        assert!(counts[0] > 4 * counts[9], "{counts:?}");
        let mut seen = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        for p in &products {
            assert!(ids.insert(&p.id));
            assert!(
                crate::catalog::feed::validate(p.clone(), &mut seen).is_ok(),
                "{p:?}"
            );
        }
    }
}
