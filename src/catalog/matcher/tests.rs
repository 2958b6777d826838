//! The matcher on small catalogs whose right answers are known, and the fast path against the product-by-product
//! scan on random requests over a synthetic catalog.

use super::*;
use crate::catalog::{Op, Scalar};

fn shoe(id: &str, brand: &str, terrain: &str, price: f64, rating: f64, tags: &[&str]) -> Product {
    serde_json::from_value(
        serde_json::json!({"id": id, "title": format!("Shoe {id}"), "brand": brand,
        "category": "running-shoes", "price": price, "rating": rating, "stock": 5, "tags": tags,
        "attributes": {"terrain": terrain}}),
    )
    .expect("product")
}

fn eq(field: &str, value: &str) -> Constraint {
    Constraint::new(field, Op::Eq(Scalar::Text(value.into())))
}

fn catalog() -> Catalog {
    Catalog::from_products(&[
        shoe("a", "North", "trail", 120.0, 4.5, &["waterproof"]),
        shoe("b", "North", "trail", 90.0, 4.8, &[]),
        shoe("c", "North", "trail", 80.0, 4.9, &["waterproof"]),
        shoe("d", "Swift", "road", 60.0, 4.0, &["waterproof"]),
        shoe("e", "Swift", "road", 150.0, 3.0, &[]),
    ])
    .expect("index")
}

fn request(wants: Vec<Want>, count: usize) -> MatchRequest {
    MatchRequest {
        scope: vec![eq("category", "running-shoes")],
        wants,
        text: None,
        count,
        min: 1,
        in_stock_only: true,
        diversity: None,
        relax_order: vec![],
    }
}

fn trail() -> Want {
    Want {
        question: "terrain".into(),
        label: "Trail".into(),
        any_of: vec![vec![eq("terrain", "trail")]],
        boosts: vec![],
    }
}

fn budget(max: f64) -> Want {
    Want {
        question: "budget".into(),
        label: format!("Under ${max}"),
        any_of: vec![vec![Constraint::new("price", Op::Lte(max))]],
        boosts: vec![],
    }
}

fn ids(outcome: &MatchOutcome) -> Vec<&str> {
    outcome.hits.iter().map(|h| h.product.id.as_str()).collect()
}

#[test]
fn boosts_rank_and_rating_breaks_ties() {
    let mut waterproof = trail();
    waterproof.boosts.push(Constraint {
        weight: 2.0,
        ..eq("tags", "waterproof")
    });
    let outcome = catalog().find(&request(vec![waterproof], 3)).expect("find");
    assert_eq!(ids(&outcome), ["c", "a", "b"]);
    assert!(outcome.relaxed.is_empty());
    assert_eq!(outcome.total, 3);
}

#[test]
fn relaxes_in_declared_order_and_explains_the_gap() {
    let mut req = request(vec![trail(), budget(85.0)], 2);
    req.relax_order = vec!["budget".into()];
    req.min = 2;
    let outcome = catalog().find(&req).expect("find");
    assert_eq!(
        outcome.relaxed,
        [Relaxed {
            question: "budget".into(),
            label: "Under $85".into()
        }]
    );
    assert_eq!(ids(&outcome), ["c", "b"]);
    let b = &outcome.hits[1].explanation;
    assert_eq!(b.matched, ["Trail"]);
    assert_eq!(b.missed[0].gap, Some(("price".to_string(), 5.0)));
}

#[test]
fn only_listed_answers_are_loosened() {
    // Nothing trail is under $50, and neither answer is listed under `relax`: nothing is shown.
    let outcome = catalog()
        .find(&request(vec![trail(), budget(50.0)], 1))
        .expect("find");
    assert!(outcome.hits.is_empty() && outcome.relaxed.is_empty());
    assert_eq!((outcome.exact, outcome.total), (0, 0));
    // With the budget listed it is loosened; terrain still holds.
    let mut req = request(vec![trail(), budget(50.0)], 4);
    req.relax_order = vec!["budget".into()];
    let outcome = catalog().find(&req).expect("find");
    assert_eq!(
        ids(&outcome),
        ["c", "b", "a"],
        "closest to the budget first"
    );
    assert_eq!(outcome.relaxed.len(), 1);
    assert!(outcome.hits.iter().all(|h| !h.exact));
}

#[test]
fn exact_matches_are_not_topped_up_unless_min_asks() {
    let mut req = request(vec![trail(), budget(85.0)], 3);
    req.relax_order = vec!["budget".into()];
    let outcome = catalog().find(&req).expect("find");
    assert_eq!(ids(&outcome), ["c"]);
    assert!(outcome.relaxed.is_empty(), "{:?}", outcome.relaxed);
    req.min = 3;
    let outcome = catalog().find(&req).expect("find");
    assert_eq!(ids(&outcome), ["c", "b", "a"]);
    assert_eq!(outcome.relaxed[0].question, "budget");
}

#[test]
fn diversity_caps_one_brand() {
    let mut req = request(vec![], 3);
    req.diversity = Some(("brand".into(), 2));
    let outcome = catalog().find(&req).expect("find");
    let brands: Vec<&str> = outcome
        .hits
        .iter()
        .map(|h| h.product.brand.as_str())
        .collect();
    assert_eq!(
        brands.iter().filter(|b| **b == "North").count(),
        2,
        "{brands:?}"
    );
}

mod same_as_the_scan {
    //! The fast path against the product-by-product scan: every outcome equal (picks, order, scores, relaxation,
    //! totals, explanations) over random requests on a synthetic catalog of three segments.

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::catalog::synthetic::generate;
    fn constraint(rng: &mut StdRng) -> Constraint {
        let text = |s: &str| Scalar::Text(s.into());
        let pick =
            |rng: &mut StdRng, items: &[&str]| items[rng.random_range(0..items.len())].to_string();
        let categories = [
            "running-shoes",
            "backpacks",
            "t-shirts",
            "kitchen-knives",
            "tea",
        ];
        let tags = [
            "waterproof",
            "lightweight",
            "recycled",
            "reflective",
            "有機",
            "ギフト",
        ];
        let colours = ["black", "blue", "red", "navy", "white"];
        let price = f64::from(rng.random_range(1..40u32)) * 10.0;
        match rng.random_range(0..12) {
            0 => Constraint::new("category", Op::Eq(text(&pick(rng, &categories)))),
            1 => Constraint::new("price", Op::Lte(price)),
            2 => Constraint::new("price", Op::Gt(price)),
            3 => Constraint::new(
                "rating",
                Op::Gte(4.0 + f64::from(rng.random_range(0..8u32)) / 10.0),
            ),
            4 | 5 => Constraint::new("tags", Op::Contains(text(&pick(rng, &tags)))),
            6 => Constraint::new(
                "terrain",
                Op::Eq(text(&pick(rng, &["trail", "road", "track"]))),
            ),
            7 => Constraint::new("colour", Op::Eq(text(&pick(rng, &colours)))),
            8 => Constraint::new(
                "colour",
                Op::In(vec![text(&pick(rng, &colours)), text(&pick(rng, &colours))]),
            ),
            9 => Constraint::new("category", Op::Ne(text(&pick(rng, &categories)))),
            10 => Constraint::new("waterproof", Op::Eq(Scalar::Bool(true))),
            _ => Constraint::new("no_such_field", Op::Eq(text("x"))),
        }
    }

    fn boost(rng: &mut StdRng) -> Constraint {
        let weights = [0.5, 1.0, 1.5, 2.0, 0.3, 0.7, 3.0, 0.25];
        Constraint {
            weight: weights[rng.random_range(0..weights.len())],
            ..constraint(rng)
        }
    }

    fn random_request(rng: &mut StdRng) -> MatchRequest {
        let wants = (0..rng.random_range(0..4))
            .map(|n| Want {
                question: format!("q{n}"),
                label: format!("answer {n}"),
                any_of: (0..rng.random_range(0..3))
                    .map(|_| {
                        (0..rng.random_range(1..3))
                            .map(|_| constraint(rng))
                            .collect()
                    })
                    .collect(),
                boosts: (0..rng.random_range(0..4)).map(|_| boost(rng)).collect(),
            })
            .collect();
        let texts = [
            "trail runner",
            "waterproof pack",
            "煎茶",
            "包丁 165mm",
            "glide glide",
        ];
        let count = rng.random_range(1..12);
        let mut relax_order: Vec<String> = (0..4)
            .filter(|_| rng.random_bool(0.5))
            .map(|n| format!("q{n}"))
            .collect();
        if rng.random_bool(0.5) {
            relax_order.reverse();
        }
        MatchRequest {
            scope: (0..rng.random_range(0..2))
                .map(|_| constraint(rng))
                .collect(),
            wants,
            text: rng
                .random_bool(0.25)
                .then(|| texts[rng.random_range(0..texts.len())].to_string()),
            count,
            min: rng.random_range(1..=count),
            in_stock_only: rng.random_bool(0.8),
            diversity: rng
                .random_bool(0.3)
                .then(|| ("brand".to_string(), rng.random_range(1..3))),
            relax_order,
        }
    }

    #[test]
    fn on_random_requests() {
        let products: Vec<Product> = generate(3_000, 7).collect();
        let catalog = Catalog::from_batches(&[
            &products[..1_000],
            &products[1_000..2_200],
            &products[2_200..],
        ])
        .expect("index");
        assert_eq!(catalog.searcher().segment_readers().len(), 3);
        let mut rng = StdRng::seed_from_u64(42);
        let (mut relaxed, mut with_text, mut hits) = (0, 0, 0);
        for round in 0..600 {
            let request = random_request(&mut rng);
            let fast = catalog.find(&request).expect("find");
            let reference = catalog.find_by_scan(&request).expect("find_by_scan");
            assert_eq!(fast, reference, "round {round}: {request:#?}");
            relaxed += usize::from(!fast.relaxed.is_empty());
            with_text += usize::from(request.text.is_some());
            hits += fast.hits.len();
        }
        // The random requests do exercise relaxation, free text and real picks.
        assert!(
            relaxed > 50 && with_text > 50 && hits > 1_000,
            "{relaxed} {with_text} {hits}"
        );
    }
}
