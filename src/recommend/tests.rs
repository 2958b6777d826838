use super::*;
use crate::shop_events::{Line, Order, Source};

fn event(visitor: &str, session: &str, kind: EventKind, products: &[&str]) -> ShopEvent {
    let order = (kind == EventKind::Purchased).then(|| Order {
        id: format!("o-{visitor}"),
        lines: products
            .iter()
            .map(|p| Line {
                product: p.to_string(),
                quantity: 1,
                price: None,
            })
            .collect(),
    });
    ShopEvent {
        id: format!("{visitor}-{session}-{}", products.join("+")),
        visitor: visitor.into(),
        kind,
        product: (kind != EventKind::Purchased).then(|| products[0].to_string()),
        quantity: None,
        order,
        category: None,
        url: None,
        session: Some(session.into()),
        at: 0,
        source: Source::Api,
        unknown_products: Vec::new(),
    }
}

fn lookup(product: &str) -> Option<Catalogued> {
    let category = if product.starts_with("bag") {
        "bags"
    } else {
        "shoes"
    };
    (product != "gone").then(|| Catalogued {
        title: product.to_uppercase(),
        category: category.into(),
        in_stock: product != "sold-out",
        in_scope: true,
    })
}

fn kinds(recs: &[Recommendation]) -> Vec<(&str, Kind)> {
    recs.iter().map(|r| (r.product.as_str(), r.kind)).collect()
}

#[test]
fn a_product_page_gets_its_companions_and_a_returning_visitor_their_own_history() {
    let mut model = Model::default();
    for n in 0..3 {
        let (v, s) = (format!("v{n}"), format!("s{n}"));
        model.observe(&event(&v, &s, EventKind::Viewed, &["shoe-a"]));
        model.observe(&event(&v, &s, EventKind::Viewed, &["shoe-b"]));
        model.observe(&event(
            &v,
            &s,
            EventKind::Purchased,
            &["shoe-a", "sock-1", "sold-out", "gone"],
        ));
    }
    let request = Request {
        limit: 3,
        context: Some("shoe-a"),
        locale: "en",
        history: &[],
        from_answers: &[],
        in_stock_only: true,
        answers_stale: false,
        answered: &[],
        rules: &Rules::default(),
        signature: None,
    };
    let recs = recommend(&model, &request, &lookup);
    assert_eq!(
        kinds(&recs),
        [
            ("sock-1", Kind::BoughtTogether),
            ("shoe-b", Kind::ViewedTogether)
        ],
        "out of stock and unknown products are left out; the product in view too"
    );
    assert_eq!(
        recs[0].reason,
        "Shoppers who bought SHOE-A also bought this"
    );

    let history = [
        event("me", "s9", EventKind::Viewed, &["shoe-b"]),
        event("me", "s9", EventKind::Viewed, &["bag-1"]),
        event("me", "s9", EventKind::Purchased, &["sock-1"]),
    ];
    let told = [(
        "shoe-c".to_string(),
        vec!["Trail".to_string(), "Waterproof".to_string()],
    )];
    let request = Request {
        limit: 10,
        context: None,
        locale: "ja",
        history: &history,
        from_answers: &told,
        in_stock_only: true,
        answers_stale: false,
        answered: &[],
        rules: &Rules::default(),
        signature: None,
    };
    let recs = recommend(&model, &request, &lookup);
    assert_eq!(recs[0].product, "shoe-c");
    assert_eq!(recs[0].reason, "ご回答（Trail、Waterproof）に合わせて");
    assert!(
        kinds(&recs).contains(&("bag-1", Kind::RecentlyViewed)),
        "{recs:#?}"
    );
    assert!(
        kinds(&recs).contains(&("shoe-a", Kind::ViewedTogether)),
        "{recs:#?}"
    );
    assert!(
        !recs.iter().any(|r| r.product == "sock-1"),
        "what they bought is left out"
    );

    // Answers older than the server's freshness weigh less: what the shopper did since comes before their picks.
    let stale = Request {
        answers_stale: true,
        ..request
    };
    let recs = recommend(&model, &stale, &lookup);
    let at = |product: &str| recs.iter().position(|r| r.product == product);
    assert_ne!(recs[0].product, "shoe-c", "{recs:#?}");
    assert!(at("shoe-c") > at("bag-1"), "{recs:#?}");
    assert!(at("shoe-c") > at("shoe-a"), "{recs:#?}");
}

#[test]
fn a_first_time_visitor_gets_the_popular_products_of_the_category_in_view() {
    let mut model = Model::default();
    model.observe(&event("v1", "s1", EventKind::Purchased, &["bag-2"]));
    model.observe(&event("v2", "s2", EventKind::Viewed, &["bag-3"]));
    model.observe(&event("v3", "s3", EventKind::Purchased, &["shoe-z"]));
    let request = Request {
        limit: 5,
        context: Some("bag-9"),
        locale: "en",
        history: &[],
        from_answers: &[],
        in_stock_only: true,
        answers_stale: false,
        answered: &[],
        rules: &Rules::default(),
        signature: None,
    };
    let recs = recommend(&model, &request, &lookup);
    assert_eq!(
        kinds(&recs),
        [("bag-2", Kind::Popular), ("bag-3", Kind::Popular)]
    );
    assert_eq!(recs[0].reason, "Popular in bags");
}
