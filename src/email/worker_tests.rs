//! The worker with the in-memory transport: backoff, the frequency cap within one round, every email of a long
//! outbox sent once and recorded.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{BATCH, backoff, round};
use crate::conversation::{Answer, Position, Session};
use crate::email::transport::Memory;
use crate::email::{Mailer, Shop, Sources};
use crate::store::{
    Action, Channel, Clock, ConsentEntry, Outcome, Purpose, QueuedEmail, Store, Trigger, now,
};

#[test]
fn backoff_doubles_up_to_six_hours() {
    assert_eq!(backoff(1), 60);
    assert_eq!(backoff(2), 120);
    assert_eq!(backoff(5), 960);
    assert_eq!(backoff(30), 6 * 3600);
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A consenting shopper `owner` with an answer stored, and a picks email `id` queued for them, due now.
fn queue_picks(store: &Store, owner: &str, id: &str) {
    store
        .set_email(owner, &format!("{owner}@example.com"), false)
        .expect("email");
    store
        .append_consent(
            owner,
            &ConsentEntry {
                purpose: Purpose::EmailRecommendations,
                action: Action::Given,
                text: "ok".into(),
                text_version: "1".into(),
                locale: "en".into(),
                channel: Channel::Widget,
                at: now(),
            },
        )
        .expect("consent");
    let session = Session {
        id: id.into(),
        flow: "running-shoes".into(),
        flow_version: "v1".into(),
        arm: None,
        locale: "en".into(),
        visitor: Some(owner.into()),
        at: Position::Showing("picks".into()),
        answers: Vec::new(),
        misses: 0,
        segments: Vec::new(),
    };
    let trail = Answer::Choice {
        value: "trail".into(),
    };
    store
        .save_answer(&session, "terrain", &trail)
        .expect("answer");
    store
        .queue_email(&QueuedEmail {
            id: format!("picks-{id}"),
            message_id: format!("<picks-{id}@shop.example>"),
            owner: owner.into(),
            trigger: Trigger::FinderCompleted,
            template: "picks".into(),
            locale: "en".into(),
            flow: Some("running-shoes".into()),
            session: Some(id.into()),
            session_token: None,
            links: None,
            products: Vec::new(),
            queued_at: now(),
            due: 0,
            attempts: Vec::new(),
        })
        .expect("queue");
}

/// A mailer with the shipped templates and triggers (at most one email a day per shopper) sending into memory.
fn mailer() -> (Arc<Mailer>, Arc<Memory>, Sources) {
    let memory = Arc::new(Memory::default());
    let mailer = Mailer::new(
        crate::email::load_all(&repo("emails")).expect("the shipped templates load"),
        memory.clone(),
        "Shop <shop@shop.example>".parse().expect("from"),
        Shop {
            name: "Shop".into(),
            url: "https://shop.example".into(),
        },
        100_000,
    );
    let (flows, _) = crate::flow::Flows::load_dir(&repo("flows")).expect("flows");
    let (catalog, _) = crate::catalog::Catalog::from_dir(&repo("catalog")).expect("catalog");
    let flows = Arc::new(flows);
    let sources: Sources = Arc::new(move || (flows.clone(), catalog.clone()));
    (Arc::new(mailer), memory, sources)
}

#[tokio::test]
async fn two_emails_due_for_one_shopper_in_one_round_keep_the_daily_cap() {
    let data = tempfile::tempdir().expect("temp dir");
    let store = Store::open(data.path()).expect("store");
    queue_picks(&store, "v-one", "s1");
    queue_picks(&store, "v-one", "s2");
    store.durable().await.expect("durable");
    let (mailer, memory, sources) = mailer();
    let clock = Clock::system();
    let done = round(&mailer, &store, &clock, &sources)
        .await
        .expect("round");
    assert_eq!(done, 1, "one sent, the other held back");
    assert_eq!(memory.sent_text().len(), 1);
    let waiting = store
        .queued_emails_of(&["v-one".to_string()])
        .expect("outbox");
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    let attempt = waiting[0].attempts.last().expect("an attempt");
    assert_eq!(
        (attempt.outcome.as_str(), attempt.detail.as_str()),
        ("deferred", "frequency cap")
    );
    assert!(waiting[0].due >= clock.now() + 23 * 3600, "{waiting:?}");
}

#[tokio::test]
async fn a_full_round_sends_every_email_once_and_records_each() {
    let data = tempfile::tempdir().expect("temp dir");
    let store = Store::open(data.path()).expect("store");
    let n = BATCH + 44;
    for i in 0..n {
        queue_picks(&store, &format!("v{i}"), &format!("s{i}"));
    }
    store.durable().await.expect("durable");
    let (mailer, memory, sources) = mailer();
    let clock = Clock::system();
    assert_eq!(
        round(&mailer, &store, &clock, &sources)
            .await
            .expect("round"),
        BATCH
    );
    assert_eq!(
        round(&mailer, &store, &clock, &sources)
            .await
            .expect("round"),
        n - BATCH
    );
    assert_eq!(
        round(&mailer, &store, &clock, &sources)
            .await
            .expect("round"),
        0
    );
    let sent = memory.sent_text();
    let mut ids: Vec<&str> = sent
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID:")))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((sent.len(), ids.len()), (n, n), "each once");
    assert_eq!(store.outbox_next().expect("outbox").0, 0, "none left");
    let logged = store.logged_emails_of(&["v7".to_string()]).expect("log");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].outcome, Outcome::Sent);
    assert_eq!(mailer.counters.sent.get(), n as u64);
}
