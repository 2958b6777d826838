//! The shop-event emails through a REAL SMTP server: a cart left alone brings the cart email with its items; a
//! purchase cancels it, also when it is paid on another device of the same shopper; a shopper with a cart waiting
//! gets no browse email beside it; a shopper who only looked gets the browse email.

use std::time::Duration;

use serde_json::{Value, json};

use crate::mailing::{Mailing, Sink, consent, started};
use crate::profiles::KEY;
use crate::support::api;

const TRIGGERS: &str = "cart_abandoned: { email: cart, after: 4h }\nbrowse_abandoned: { email: browse, after: 1d }\n\
                        frequency: { per_day: 5, per_week: 20 }\n";

async fn post(mailing: &Mailing, events: Value) {
    let (status, body) = api(mailing.app.addr, "POST", "/v1/events", KEY, Some(events)).await;
    assert_eq!(status, 200, "{body:#}");
    assert!(
        body["rejected"].as_array().is_some_and(Vec::is_empty),
        "{body:#}"
    );
}

/// A shopper `visitor` who gave `address` and consent in the chat (before answering anything: no finder email).
async fn consenting(mailing: &Mailing, visitor: &str, address: &str) {
    let mut client = started(&mailing.app, visitor, "en").await;
    consent(&mut client, address).await;
}

fn to(messages: &[Value], address: &str) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| m["rcpt_tos"] == json!([address]))
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_cart_left_alone_is_emailed_a_purchase_cancels_it_and_a_cart_holds_off_the_browse_email()
{
    let sink = Sink::start().await;
    let mailing = Mailing::spawn(&sink, TRIGGERS).await;
    consenting(&mailing, "v-cart", "cart@example.com").await;
    consenting(&mailing, "v-paid", "paid@example.com").await;
    consenting(&mailing, "v-look", "look@example.com").await;
    // The paying shopper's phone is the same shopper: the shop confirms the address on both.
    for id in ["v-paid", "v-paid-phone"] {
        let (status, body) = api(
            mailing.app.addr,
            "PUT",
            &format!("/v1/visitors/{id}/email"),
            KEY,
            Some(json!({"email": "paid@example.com", "confirmed": true})),
        )
        .await;
        assert_eq!(
            (status, &body["profile"]),
            (200, &json!("v-paid")),
            "{body}"
        );
    }
    post(
        &mailing,
        json!({"events": [
            // Adds to the cart, then keeps looking: the cart email, and no browse email beside it.
            {"id": "c1", "visitor": "v-cart", "kind": "added_to_cart", "product": "rs-005"},
            {"id": "c2", "visitor": "v-cart", "kind": "viewed", "product": "rs-006"},
            // Fills the cart on the phone and pays on the laptop.
            {"id": "p1", "visitor": "v-paid-phone", "kind": "added_to_cart", "product": "rs-010"},
            {"id": "p2", "visitor": "v-paid", "kind": "purchased",
             "order": {"id": "order-1", "lines": [{"product": "rs-010", "quantity": 1}]}},
            // Only looks.
            {"id": "l1", "visitor": "v-look", "kind": "viewed", "product": "rs-007"},
        ]}),
    )
    .await;

    mailing.advance(4 * 3600 - 60);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.messages().is_empty(), "nothing before 4 hours");
    mailing.advance(120);
    let messages = sink.wait_for(1).await;
    let cart = to(&messages, "cart@example.com");
    assert_eq!(cart.len(), 1, "{messages:#?}");
    assert_eq!(
        cart[0]["subject"],
        "Still thinking it over? Your cart at Test shop"
    );
    let text = cart[0]["text"].as_str().expect("text");
    let title = crate::support::shipped_title("rs-005");
    assert!(text.contains(&title), "the item left in the cart: {text}");
    assert!(
        text.contains("https://shop.example/p/rs-005?utm_source=shopkeep"),
        "{text}"
    );

    mailing.advance(24 * 3600);
    sink.wait_for(2).await;
    // Whatever else was due went out in the same rounds.
    mailing.settled(3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = sink.messages();
    assert_eq!(
        to(&messages, "look@example.com").len(),
        1,
        "the shopper who only looked gets the browse email: {messages:#?}"
    );
    assert_eq!(
        to(&messages, "cart@example.com").len(),
        1,
        "no browse email beside the cart email: {messages:#?}"
    );
    assert!(
        to(&messages, "paid@example.com").is_empty(),
        "the purchase on the other device cancelled the cart email: {messages:#?}"
    );
    assert_eq!(mailing.mailer.counters.cancelled.get(), 1);
}

#[tokio::test]
async fn a_shopper_who_only_chats_gets_the_inactivity_email_pushed_back_by_each_visit() {
    let sink = Sink::start().await;
    let mailing = Mailing::spawn(&sink, "inactive: { email: browse, after: 30d }\n").await;
    let mut client = started(&mailing.app, "v-away", "en").await;
    client.answer(json!({"value": "trail"})).await;
    consent(&mut client, "away@example.com").await;
    drop(client);
    // Twenty days on, the shopper comes back to a finder: the email waits thirty days from then.
    mailing.advance(20 * 86_400);
    let mut back = started(&mailing.app, "v-away", "en").await;
    back.answer(json!({"value": "road"})).await;
    drop(back);
    mailing.advance(20 * 86_400);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.messages().is_empty(), "the visit pushed it back");
    mailing.advance(11 * 86_400);
    let messages = sink.wait_for(1).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(messages[0]["rcpt_tos"], json!(["away@example.com"]));
    let text = messages[0]["text"].as_str().expect("text");
    assert!(
        text.contains("Because you told us: Road"),
        "recommendations from their stored answers: {text}"
    );
}
