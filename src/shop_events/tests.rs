use super::*;
use serde_json::json;

const NOW: u64 = 1_800_000_000;

fn check(event: Value) -> Result<ShopEvent, Invalid> {
    validate(&event, None, Source::Api, NOW)
}

#[test]
fn each_kind_is_read_with_its_fields() {
    let viewed = check(json!({"id": "e1", "visitor": "v-1", "kind": "viewed", "product": "rs-001", "session": "s1"}))
        .expect("valid");
    assert_eq!(
        (viewed.kind, viewed.product.as_deref(), viewed.at),
        (Kind::Viewed, Some("rs-001"), NOW)
    );
    assert_eq!(viewed.products(), ["rs-001"]);
    let bought = check(json!({"id": 7, "customer": "cust-42", "kind": "purchased", "at": NOW - 60,
        "order": {"id": "o-1", "lines": [{"product": "a", "quantity": 2, "price": 10.5}, {"product": "b"}]}}))
    .expect("valid");
    assert_eq!(bought.visitor, "c:cust-42");
    assert_eq!(bought.id, "7", "a numeric id is read as text");
    assert_eq!(bought.products(), ["a", "b"]);
    assert_eq!(bought.order.as_ref().map(|o| o.lines[1].quantity), Some(1));
    let page = check(json!({"id": "e3", "visitor": "v-1", "kind": "page", "category": "running-shoes", "url": "https://shop.example/c/run"}))
        .expect("valid");
    assert_eq!(page.category.as_deref(), Some("running-shoes"));
    let widget = validate(
        &json!({"id": "e4", "kind": "clicked", "product": "p"}),
        Some("v-9"),
        Source::Widget,
        NOW,
    )
    .expect("valid");
    assert_eq!(
        (widget.visitor.as_str(), widget.source),
        ("v-9", Source::Widget)
    );
}

#[test]
fn a_bad_event_names_its_field() {
    let cases = [
        (json!([]), "event"),
        (
            json!({"visitor": "v", "kind": "viewed", "product": "p"}),
            "id",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "liked", "product": "p"}),
            "kind",
        ),
        (
            json!({"id": "e", "kind": "viewed", "product": "p"}),
            "visitor",
        ),
        (
            json!({"id": "e", "visitor": "a:b", "kind": "viewed", "product": "p"}),
            "visitor",
        ),
        (
            json!({"id": "e", "visitor": "v", "customer": "c", "kind": "viewed", "product": "p"}),
            "customer",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "viewed"}),
            "product",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "viewed", "product": "p", "colour": "red"}),
            "colour",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "viewed", "product": "x".repeat(129)}),
            "product",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "viewed", "product": "a\u{0}b"}),
            "product",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "viewed", "product": "p", "at": NOW * 1000}),
            "at",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "added_to_cart", "product": "p", "quantity": 0}),
            "quantity",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "purchased"}),
            "order",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "purchased", "order": {"lines": [{"product": "p"}]}}),
            "order.id",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "purchased", "order": {"id": "o", "lines": []}}),
            "order.lines",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "purchased", "order": {"id": "o", "lines": [{"product": "p"}, {"quantity": 1}]}}),
            "order.lines[1].product",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "purchased", "order": {"id": "o", "lines": [{"product": "p", "price": -1}]}}),
            "order.lines[0].price",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "viewed", "product": "p", "order": {"id": "o", "lines": [{"product": "p"}]}}),
            "order",
        ),
        (
            json!({"id": "e", "visitor": "v", "kind": "page"}),
            "product",
        ),
    ];
    for (event, field) in cases {
        let error = check(event.clone()).expect_err(&format!("{event} is refused"));
        assert_eq!(error.field, field, "{event}: {error}");
        assert!(!error.message.is_empty());
    }
}
