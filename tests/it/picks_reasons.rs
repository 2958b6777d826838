//! What the shopper reads beside the picks under relaxation: the shipped finders' intros, range bounds kept as
//! given, and reasons that say what an answer means and how a loosened pick misses it (en and ja). The gift
//! finder and catalog are those of [`crate::picks`].

use std::path::Path;

use shopkeep::catalog::{Catalog, Product};
use shopkeep::conversation::{self, Effect, Input, Reply, Session};

use crate::picks::{GIFT_FINDER, finder, gifts, ids, relaxed, show, up_to, value};

#[test]
fn the_shipped_intro_does_not_state_a_loosened_answer_as_a_fact() {
    // 9: trail + waterproof + under $30 on the shipped finder and catalog: the budget is loosened, so the intro
    // neither says "Priced up to $30" nor claims anything the picks do not all meet.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (flows, _) = shopkeep::flow::Flows::load_dir(&root.join("flows")).expect("flows");
    let flow = flows.get("running-shoes").expect("the shipped finder");
    let (catalog, _) = Catalog::from_dir(&root.join("catalog")).expect("the shipped catalog");
    for locale in ["en", "ja"] {
        let shown = show(
            flow,
            &catalog,
            locale,
            &[
                value("trail"),
                value("yes"),
                Some(Reply::Values(vec!["cushioning".into()])),
                up_to(30.0),
                None,
            ],
        );
        let intro = shown.intro.clone().unwrap_or_default();
        let over_budget = shown.picks.iter().any(|p| p.product.price > 30.0);
        assert!(
            over_budget,
            "the shipped catalog has no waterproof trail shoe under $30"
        );
        assert!(relaxed(&shown).contains(&"budget"));
        assert!(
            !intro.contains("up to $30") && !intro.contains("30ドル以内"),
            "{locale}: {intro}"
        );
        let not_waterproof = shown
            .picks
            .iter()
            .any(|p| !p.exact && relaxed(&shown).contains(&"waterproof"));
        assert!(
            !not_waterproof || !(intro.contains("All waterproof") || intro.contains("すべて防水")),
            "{intro}"
        );
    }
}

#[test]
fn a_range_bound_the_shopper_gave_is_never_dropped() {
    // (d), over generated bounds inside, at and past the slider's ends (0–2,000), given by slider or typed.
    use rand::{Rng, SeedableRng};
    use shopkeep::catalog::Op;
    let flow = finder(GIFT_FINDER);
    let mut rng = rand::rngs::StdRng::seed_from_u64(18);
    for round in 0..300 {
        let bound = |rng: &mut rand::rngs::StdRng| {
            rng.random_bool(0.8)
                .then(|| f64::from(rng.random_range(0..600u32)) * 10.0)
        };
        let (mut min, mut max) = (bound(&mut rng), bound(&mut rng));
        if min.is_none() && max.is_none() {
            max = Some(2000.0);
        }
        if let (Some(a), Some(b)) = (min, max)
            && a > b
        {
            (min, max) = (Some(b), Some(a));
        }
        let reply = match (rng.random_bool(0.5), min, max) {
            (true, Some(a), Some(b)) => Reply::Text(format!("{a} to {b}")),
            (true, None, Some(b)) => Reply::Text(format!("under {b}")),
            (true, Some(a), None) => Reply::Text(format!("from {a}")),
            _ => Reply::Range { min, max },
        };
        let session = Session::new("t".into(), &flow, None, None);
        let (session, _) = conversation::step(&flow, session, Input::Start);
        let (session, _) =
            conversation::step(&flow, session, Input::Answer(Reply::Value("food".into())));
        let (session, _) =
            conversation::step(&flow, session, Input::Answer(Reply::Value("no".into())));
        let (session, effects) = conversation::step(&flow, session, Input::Answer(reply.clone()));
        let request = effects
            .iter()
            .find_map(|e| match e {
                Effect::Search { request, .. } => Some(request),
                _ => None,
            })
            .unwrap_or_else(|| panic!("round {round}: {reply:?} was not taken: {:?}", session.at));
        let budget = request
            .wants
            .iter()
            .find(|w| w.question == "budget")
            .unwrap_or_else(|| panic!("round {round}: {reply:?} lost the budget"));
        let ops: Vec<&Op> = budget.any_of.iter().flatten().map(|c| &c.op).collect();
        if let Some(a) = min {
            assert!(
                ops.contains(&&Op::Gte(a)),
                "round {round}: {reply:?} → {ops:?}"
            );
        }
        if let Some(b) = max {
            assert!(
                ops.contains(&&Op::Lte(b)),
                "round {round}: {reply:?} → {ops:?}"
            );
        }
    }
}

#[test]
fn reasons_name_what_an_answer_means_and_say_nothing_of_unmet_preferences() {
    // The gift finder's "rated 4.5+" needs no `reason:`: it is read off the filter.
    let (flow, catalog) = (finder(GIFT_FINDER), gifts());
    for (locale, rated) in [("en", "rated 4.5+"), ("ja", "評価4.5以上")] {
        let shown = show(
            &flow,
            &catalog,
            locale,
            &[value("sports"), value("yes"), None],
        );
        assert!(
            shown
                .picks
                .iter()
                .all(|p| p.matched.contains(&rated.to_string())),
            "{locale}: {:?}",
            shown.picks[0].matched
        );
    }
    // The shipped shoe finder: a yes/no answer reads as its meaning, a preference a pick lacks is not a miss.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (flows, _) = shopkeep::flow::Flows::load_dir(&root.join("flows")).expect("flows");
    let flow = flows.get("running-shoes").expect("the shipped finder");
    let (catalog, _) = Catalog::from_dir(&root.join("catalog")).expect("the shipped catalog");
    for (locale, waterproof, yes_label, budget) in [
        ("en", "waterproof", "Yes, waterproof", "under $150"),
        ("ja", "防水", "はい、防水がいい", "$150以下"),
    ] {
        let shown = show(
            flow,
            &catalog,
            locale,
            &[
                value("trail"),
                value("yes"),
                Some(Reply::Values(vec!["cushioning".into(), "light".into()])),
                up_to(150.0),
                None,
            ],
        );
        assert!(!shown.picks.is_empty());
        for pick in &shown.picks {
            assert!(
                pick.matched.contains(&waterproof.to_string()),
                "{locale}: {}",
                pick.line
            );
            assert!(
                pick.matched.contains(&budget.to_string()),
                "{locale}: {}",
                pick.line
            );
            assert!(!pick.line.contains(yes_label), "{locale}: {}", pick.line);
            assert!(
                pick.missed.is_empty(),
                "exact picks miss nothing: {}",
                pick.line
            );
        }
        // Cushioning and light weight are preferences: each pick names the ones it has, one by one.
        let cushioning = if locale == "en" {
            "Cushioning"
        } else {
            "クッション性"
        };
        assert!(
            shown
                .picks
                .iter()
                .any(|p| p.matched.contains(&cushioning.to_string()))
        );
    }
}

#[test]
fn a_miss_reads_as_the_products_own_value_against_the_answer() {
    // A loosened pick says how it misses a number in the answer's own terms: a rating as the product's rating
    // against the bound, a range in its question's unit, never the catalog's field name.
    let flow = finder(&GIFT_FINDER.replace("count: 20", "count: 5\n    min: 5"));
    for (locale, rated) in [("en", "rated 3.1, below 4.5"), ("ja", "評価3.1（4.5未満）")] {
        let shown = show(
            &flow,
            &gifts(),
            locale,
            &[value("sports"), value("yes"), None],
        );
        let low = shown
            .picks
            .iter()
            .find(|p| p.product.id == "sp-5")
            .expect("the 3.1-rated product is shown once the rating is loosened");
        assert!(low.line.contains(rated), "{locale}: {}", low.line);
        assert!(!low.line.contains("rating 1.4"), "{}", low.line);
    }
    let packs = finder(
        r#"
id: packs
title: {en: Packs, ja: リュック}
locales: [en, ja]
relax: [capacity]
questions:
  - id: capacity
    kind: range
    text: {en: How big?, ja: 容量は？}
    range: {min: 10, max: 70, step: 5, unit: L}
    filter: {field: capacity_l}
results:
  - id: picks
    count: 2
    min: 2
"#,
    );
    let products: Vec<Product> = [("small", 20.0), ("mid", 35.0), ("big", 50.0)]
        .iter()
        .map(|(id, litres)| {
            serde_json::from_value(serde_json::json!({"id": id, "title": id, "price": 50,
                "stock": 1, "attributes": {"capacity_l": litres}}))
            .expect("product")
        })
        .collect();
    let catalog = Catalog::from_products(&products).expect("index");
    for (locale, over) in [
        ("en", "10 L over your maximum"),
        ("ja", "上限より10 L大きい"),
    ] {
        let shown = show(&packs, &catalog, locale, &[up_to(25.0)]);
        assert_eq!(ids(&shown), ["small", "mid"], "{locale}");
        assert!(
            shown.picks[1].line.contains(over) && !shown.picks[1].line.contains("capacity_l"),
            "{locale}: {}",
            shown.picks[1].line
        );
    }
}

#[test]
fn the_shipped_backpack_intro_keeps_the_units_of_a_loosened_answer() {
    // "under 12 L" was lowered into "under 12 l" by the intro's `| lower`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (flows, _) = shopkeep::flow::Flows::load_dir(&root.join("flows")).expect("flows");
    let flow = flows.get("backpacks").expect("the shipped finder");
    let (catalog, _) = Catalog::from_dir(&root.join("catalog")).expect("the shipped catalog");
    let shown = show(
        flow,
        &catalog,
        "en",
        &[value("hiking"), value("yes"), up_to(12.0), None],
    );
    assert_eq!(relaxed(&shown), ["capacity"]);
    let intro = shown.intro.unwrap_or_default();
    assert!(intro.contains("under 12 L"), "{intro}");
    assert!(
        shown.picks.iter().all(|p| !p.line.contains("capacity_l")),
        "{:?}",
        shown.picks.iter().map(|p| &p.line).collect::<Vec<_>>()
    );
}
