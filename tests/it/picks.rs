//! What the shopper is shown, end to end through the engine, the matcher and the presenter, for each case of the
//! "picks a shopper can trust" report: a gift finder over a messy catalog (no brand, no rating), in English and in
//! Japanese (what the shopper reads beside the picks: [`crate::picks_reasons`]).

use std::path::Path;

use shopkeep::catalog::{Catalog, Product};
use shopkeep::conversation::{self, Effect, Input, Reply, Session, Showcase};
use shopkeep::flow::Flow;

/// A gift catalog shaped like the DummyJSON one: 5 sports products, beauty and food, some without brand or rating.
pub(crate) fn gifts() -> Catalog {
    let rows = [
        // id, category, brand, price, rating
        ("sp-1", "sports", "Kicks", 25.0, Some(4.8)),
        ("sp-2", "sports", "Kicks", 18.0, Some(4.6)),
        ("sp-3", "sports", "Kicks", 15.0, Some(4.5)),
        ("sp-4", "sports", "", 12.0, None),
        ("sp-5", "sports", "", 60.0, Some(3.1)),
        ("be-1", "beauty", "Glow", 9.0, Some(4.9)),
        ("be-2", "beauty", "Glow", 14.0, Some(4.7)),
        ("be-3", "beauty", "Luxe", 8999.0, Some(5.0)),
        ("fo-1", "food", "", 4.0, None),
        ("fo-2", "food", "Farm", 9.5, Some(4.2)),
        ("fo-3", "food", "Farm", 21.0, Some(4.4)),
        ("fo-4", "food", "Farm", 19.8, Some(4.0)),
    ];
    let products: Vec<Product> = rows
        .iter()
        .map(|(id, category, brand, price, rating)| {
            serde_json::from_value(serde_json::json!({
                "id": id, "title": format!("Gift {id}"), "category": category, "brand": brand,
                "price": price, "rating": rating, "stock": 3,
            }))
            .expect("product")
        })
        .collect();
    Catalog::from_products(&products).expect("index")
}

pub(crate) const GIFT_FINDER: &str = r#"
id: gifts
title: {en: Gift finder, ja: ギフト診断}
locales: [en, ja]
diversity: {field: brand, max: 2}
relax: [rating, budget]
questions:
  - id: kind
    kind: single
    text: {en: What kind of gift?, ja: どんなギフト？}
    options:
      - {value: sports, label: {en: Sports, ja: スポーツ}, filter: {field: category, eq: sports}}
      - {value: beauty, label: {en: Beauty, ja: 美容}, filter: {field: category, eq: beauty},
         boost: {field: brand, eq: Luxe, weight: 5}}
      - {value: food, label: {en: Food, ja: 食品}, filter: {field: category, eq: food}}
  - id: rating
    kind: yes_no
    text: {en: Only well rated?, ja: 高評価のものだけ？}
    options:
      - {value: "yes", label: {en: Rated 4.5+, ja: 評価4.5以上}, filter: {field: rating, gte: 4.5}}
      - {value: "no", label: {en: Any rating, ja: こだわらない}}
  - id: budget
    kind: range
    text: {en: Your budget?, ja: ご予算は？}
    range: {min: 0, max: 2000, step: 10, unit: USD}
    filter: {field: price}
    skippable: true
results:
  - id: picks
    count: 20
    intro:
      en: "{% if budget.max and not relaxed_question('budget') %}All {{ budget.label | lower }}.{% endif %}{% if relaxed %} Loosened: {{ relaxed | join(', ') }}.{% endif %}"
      ja: "{% if budget.max and not relaxed_question('budget') %}すべて{{ budget.label }}です。{% endif %}{% if relaxed %}ゆるめた条件：{{ relaxed | join('、') }}。{% endif %}"
"#;

pub(crate) fn finder(source: &str) -> Flow {
    let (flow, problems) = shopkeep::flow::compile(Path::new("gifts.yaml"), source);
    assert!(problems.is_empty(), "{problems:?}");
    flow.expect("the finder compiles")
}

/// Answers `replies` in order (a `None` skips) and returns what the shopper is shown.
pub(crate) fn show(
    flow: &Flow,
    catalog: &Catalog,
    locale: &str,
    replies: &[Option<Reply>],
) -> Showcase {
    let session = Session::new("t".into(), flow, Some(locale), None);
    let (mut session, _) = conversation::step(flow, session, Input::Start);
    let mut effects = Vec::new();
    for reply in replies {
        let input = reply.clone().map_or(Input::Skip, Input::Answer);
        (session, effects) = conversation::step(flow, session, input);
    }
    let (result, request) = effects
        .into_iter()
        .find_map(|e| match e {
            Effect::Search { result, request } => Some((result, request)),
            _ => None,
        })
        .expect("the last answer shows results");
    let outcome = catalog.find(&request).expect("find");
    conversation::present(flow, &session, &result, outcome)
}

pub(crate) fn value(v: &str) -> Option<Reply> {
    Some(Reply::Value(v.into()))
}

pub(crate) fn up_to(max: f64) -> Option<Reply> {
    Some(Reply::Range {
        min: None,
        max: Some(max),
    })
}

pub(crate) fn ids(showcase: &Showcase) -> Vec<&str> {
    showcase
        .picks
        .iter()
        .map(|p| p.product.id.as_str())
        .collect()
}

pub(crate) fn relaxed(showcase: &Showcase) -> Vec<&str> {
    showcase.relaxed.iter().map(|(q, _)| q.as_str()).collect()
}

#[test]
fn an_answer_not_under_relax_is_never_loosened_and_fewer_are_shown() {
    // 1: "sports" with count 20 and 5 sports products shows those 5, never beauty or food.
    let (flow, catalog) = (finder(GIFT_FINDER), gifts());
    for locale in ["en", "ja"] {
        let shown = show(
            &flow,
            &catalog,
            locale,
            &[value("sports"), value("no"), None],
        );
        assert_eq!(shown.picks.len(), 5, "{locale}: {:?}", ids(&shown));
        assert!(shown.picks.iter().all(|p| p.product.category == "sports"));
        assert!(shown.relaxed.is_empty(), "{:?}", shown.relaxed);
        // Food under $10 (2 exact) shows those 2 and nothing of another kind.
        let shown = show(
            &flow,
            &catalog,
            locale,
            &[value("food"), value("no"), up_to(10.0)],
        );
        assert_eq!(ids(&shown), ["fo-2", "fo-1"], "{locale}");
    }
}

#[test]
fn relaxed_names_only_answers_a_shown_pick_misses() {
    for locale in ["en", "ja"] {
        // 2: rated 4.5+ sports under $30: nothing exact is missing a budget, so only the rating is reported.
        let (flow, catalog) = (finder(GIFT_FINDER), gifts());
        let shown = show(
            &flow,
            &catalog,
            locale,
            &[value("sports"), value("yes"), up_to(30.0)],
        );
        assert!(shown.picks.iter().all(|p| p.exact), "{:?}", ids(&shown));
        assert!(shown.relaxed.is_empty());
        // Nothing sporty under $11: the rating is loosened first (no change: nothing is exact), then the budget.
        let shown = show(
            &flow,
            &catalog,
            locale,
            &[value("sports"), value("yes"), up_to(11.0)],
        );
        assert!(!shown.picks.is_empty());
        for pick in &shown.picks {
            assert!(pick.product.price > 11.0 || pick.product.rating.is_none_or(|r| r < 4.5));
        }
        let missed_budget = shown.picks.iter().any(|p| p.product.price > 11.0);
        assert_eq!(relaxed(&shown).contains(&"budget"), missed_budget);
    }
}

#[test]
fn exact_matches_rank_above_a_boosted_loosened_product() {
    for locale in ["en", "ja"] {
        // 3: beauty under $20 with a strong boost for Luxe ($8,999, missing the budget by far). With `min: 3` the
        // budget is loosened to fill the picks: the boosted product comes in, but after both exact matches.
        let flow = finder(&GIFT_FINDER.replace("count: 20", "count: 20\n    min: 3"));
        let shown = show(
            &flow,
            &gifts(),
            locale,
            &[value("beauty"), value("no"), up_to(20.0)],
        );
        assert_eq!(ids(&shown), ["be-1", "be-2", "be-3"]);
        assert!(shown.picks[0].exact && shown.picks[1].exact && !shown.picks[2].exact);
        assert_eq!(relaxed(&shown), ["budget"]);
        // With the default `min: 1` the two exact matches are the result.
        let shown = show(
            &finder(GIFT_FINDER),
            &gifts(),
            locale,
            &[value("beauty"), value("no"), up_to(20.0)],
        );
        assert_eq!(ids(&shown), ["be-1", "be-2"]);
        assert!(shown.relaxed.is_empty());
    }
}

#[test]
fn loosened_ranges_rank_by_closeness_to_the_bound() {
    for locale in ["en", "ja"] {
        // 4: food from $20 (a lower bound): $19.80 (20 cents short) before $9.50 and $4.
        let flow = finder(
            &GIFT_FINDER
                .replace("count: 20", "count: 3\n    min: 3")
                .replace("max: 2}", "max: 9}"),
        );
        let shown = show(
            &flow,
            &gifts(),
            locale,
            &[
                value("food"),
                value("no"),
                Some(Reply::Range {
                    min: Some(20.0),
                    max: None,
                }),
            ],
        );
        assert_eq!(ids(&shown), ["fo-3", "fo-4", "fo-2"]);
        assert_eq!(relaxed(&shown), ["budget"]);
        assert!(shown.picks[0].exact && !shown.picks[1].exact);
        assert!(
            shown.picks[1].line.contains(if locale == "en" {
                "$0.20 under your minimum"
            } else {
                "下限より$0.20安い"
            }),
            "{}",
            shown.picks[1].line
        );
    }
}

#[test]
fn diversity_caps_a_brand_but_never_for_a_loosened_product_nor_brandless_as_one() {
    for locale in ["en", "ja"] {
        // 5: sports, count 3, at most 2 of a brand: Kicks sp-1, sp-2, then the brandless sp-4 (not capped as a group)
        // rather than a third Kicks.
        let flow = finder(&GIFT_FINDER.replace("count: 20", "count: 3"));
        let shown = show(
            &flow,
            &gifts(),
            locale,
            &[value("sports"), value("no"), None],
        );
        assert_eq!(
            ids(&shown),
            ["sp-1", "sp-2", "sp-5"],
            "by rating: sp-5 (3.1) beats unrated sp-4"
        );
        // With 4 places: the cap gives way to an exact match (sp-3) rather than leave a place to a loosened product.
        let flow = finder(&GIFT_FINDER.replace("count: 20", "count: 5\n    min: 5"));
        let shown = show(
            &flow,
            &gifts(),
            locale,
            &[value("sports"), value("no"), up_to(30.0)],
        );
        assert_eq!(
            ids(&shown),
            ["sp-1", "sp-2", "sp-3", "sp-4", "sp-5"],
            "in rank order"
        );
        assert!(shown.picks[..4].iter().all(|p| p.exact) && !shown.picks[4].exact);
    }
}

#[test]
fn a_budget_past_the_slider_is_kept_and_labelled_as_given() {
    // 6: the slider ends at 2,000; "under 5,000" keeps its bound ($8,999 Luxe is not shown as "not Any").
    let (flow, catalog) = (finder(GIFT_FINDER), gifts());
    let shown = show(
        &flow,
        &catalog,
        "en",
        &[value("beauty"), value("no"), up_to(5000.0)],
    );
    assert!(!ids(&shown).contains(&"be-3"), "{:?}", ids(&shown));
    assert_eq!(shown.intro.as_deref(), Some("All under $5,000."));
    // Each pick's reason names the budget as given, never "not Any".
    for pick in &shown.picks {
        assert!(
            pick.matched.contains(&"under $5,000".to_string()) && !pick.line.contains("Any"),
            "{}",
            pick.line
        );
    }
    let shown = show(
        &flow,
        &catalog,
        "ja",
        &[
            value("beauty"),
            value("no"),
            Some(Reply::Text("5〜5000ドル".into())),
        ],
    );
    assert_eq!(shown.intro.as_deref(), Some("すべて$5〜$5,000です。"));
    for pick in &shown.picks {
        assert!(
            pick.matched.contains(&"$5〜$5,000".to_string()) && !pick.line.contains("指定なし"),
            "{}",
            pick.line
        );
    }
}

#[test]
fn typed_japanese_amounts_read_as_shoppers_mean_them() {
    // 7: `2万円台` is ¥20,000–29,999 in a yen finder, through the engine as the socket sends it.
    let yen = GIFT_FINDER.replace(
        "range: {min: 0, max: 2000, step: 10, unit: USD}",
        "range: {min: 0, max: 100000, step: 1000, unit: JPY}",
    );
    let flow = finder(&yen);
    let products: Vec<Product> = [
        ("a", 19_800.0),
        ("b", 20_000.0),
        ("c", 29_999.0),
        ("d", 30_000.0),
    ]
    .iter()
    .map(|(id, price)| {
        serde_json::from_value(
            serde_json::json!({"id": id, "title": id, "category": "food",
                "price": price, "currency": "JPY"}),
        )
        .expect("product")
    })
    .collect();
    let catalog = Catalog::from_products(&products).expect("index");
    let shown = show(
        &flow,
        &catalog,
        "ja",
        &[
            value("food"),
            value("no"),
            Some(Reply::Text("2万円台".into())),
        ],
    );
    assert_eq!(ids(&shown), ["b", "c"]);
    assert_eq!(shown.intro.as_deref(), Some("すべて¥20,000〜¥29,999です。"));
}

#[test]
fn an_unknown_rating_is_not_a_zero_nor_a_miss() {
    // 8: sp-4 has no rating. Loosening "rated 4.5+" shows it with "no rating yet", and on the wire rating is null.
    let flow = finder(&GIFT_FINDER.replace("count: 20", "count: 5\n    min: 5"));
    let catalog = gifts();
    for (locale, words) in [("en", "no rating yet"), ("ja", "まだ評価がありません")] {
        let shown = show(
            &flow,
            &catalog,
            locale,
            &[value("sports"), value("yes"), None],
        );
        let unrated = shown
            .picks
            .iter()
            .find(|p| p.product.id == "sp-4")
            .expect("the unrated product is shown once the rating is loosened");
        assert!(unrated.line.contains(words), "{locale}: {}", unrated.line);
        assert!(!unrated.line.contains("rating 4.5"), "{}", unrated.line);
        let wire = serde_json::to_value(shopkeep::server::protocol::ProductsOut::new(shown, false))
            .expect("json");
        let product = wire["products"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["id"] == "sp-4"))
            .expect("on the wire");
        assert!(
            product["rating"].is_null() && product["exact"] == false,
            "{product}"
        );
    }
}
