//! The SMTP client's pooled connections, seen from the real SMTP server (`tests/smtp_sink.py` records which
//! client port carried each message): one connection carries one email after another, and a connection the
//! server closed after a delivery is replaced at the next email, which then goes exactly once.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::mailing::{Mailing, Sink, TRIGGERS, consent, finish, started};

/// A shopper finishes the finder and consents: their picks email is queued; waits until the worker finished
/// `done` emails in all.
async fn mail_one(mailing: &Mailing, visitor: &str, address: &str, done: u64) {
    let mut client = started(&mailing.app, visitor, "en").await;
    finish(&mut client).await;
    consent(&mut client, address).await;
    mailing.settled(done).await;
}

fn peers(messages: &[Value]) -> BTreeSet<u64> {
    messages
        .iter()
        .map(|m| {
            m["peer"]
                .as_u64()
                .expect("the sink records the client's port")
        })
        .collect()
}

#[tokio::test]
async fn one_connection_carries_email_after_email_and_one_the_server_closed_is_replaced_losing_and_repeating_none()
 {
    let sink = Sink::start().await;
    let mailing = Mailing::spawn(&sink, TRIGGERS).await;
    for i in 0..5u64 {
        let address = format!("pool{i}@example.com");
        mail_one(&mailing, &format!("v-pool-{i}"), &address, i + 1).await;
    }
    let messages = sink.wait_for(5).await;
    assert_eq!(
        peers(&messages).len(),
        1,
        "five emails one after another, one SMTP connection: {messages:#?}"
    );
    // The server accepts this one and hangs up; the pooled connection is dead when the next email comes.
    mail_one(&mailing, "v-pool-hangup", "hangup@example.com", 6).await;
    mail_one(&mailing, "v-pool-after", "after@example.com", 7).await;
    let messages = sink.wait_for(7).await;
    let counters = &mailing.mailer.counters;
    assert_eq!(
        (
            counters.sent.get(),
            counters.retried.get(),
            counters.failed.get()
        ),
        (7, 0, 0),
        "the next email went at once, on a new connection, not after a retry: {counters:?}"
    );
    assert_eq!(messages.len(), 7, "nothing sent twice: {messages:#?}");
    let ids: BTreeSet<&str> = messages
        .iter()
        .map(|m| m["message_id"].as_str().expect("Message-ID"))
        .collect();
    assert_eq!(ids.len(), 7, "seven different emails: {messages:#?}");
    assert_eq!(messages[6]["rcpt_tos"][0], "after@example.com");
    assert_eq!(
        messages[5]["peer"], messages[0]["peer"],
        "the sixth still rode the pooled connection"
    );
    assert_ne!(
        messages[6]["peer"], messages[5]["peer"],
        "the seventh came on a new connection"
    );
}
