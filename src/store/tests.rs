use super::sessions::StoredSession;
use super::*;
use crate::conversation::{Answer, Event, Position, Session};

/// Opens a store folder again after its store was dropped. sled's IO threads are shared by every database of
/// the process, so while other tests keep them busy a dropped database may hold its folder's lock a moment longer
/// (a restarted server is a new process and never sees this): retry a locked folder, boundedly.
pub(super) fn reopen<T>(open: impl Fn() -> Result<T, StoreError>) -> T {
    for _ in 0..100 {
        match open() {
            Err(StoreError::Locked { .. }) => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            opened => return opened.expect("reopen"),
        }
    }
    open().expect("reopen: the folder stayed locked for 5 s")
}

/// A session at the finder's first question (the store's tests and expiry's use it).
pub(super) fn session(id: &str) -> Session {
    Session {
        id: id.into(),
        flow: "running-shoes".into(),
        flow_version: "v1".into(),
        arm: None,
        locale: "en".into(),
        visitor: None,
        at: Position::Asking("terrain".into()),
        answers: Vec::new(),
        misses: 0,
        segments: Vec::new(),
    }
}

/// Session `t-1` of visitor `v-1`, and its answer `trail` to `terrain`, written to `store` (queued).
fn answered(store: &Store) -> (Session, Answer) {
    let mut s = session("a");
    s.visitor = Some("v-1".into());
    store.put_session("t-1", &s).expect("put");
    let trail = Answer::Choice {
        value: "trail".into(),
    };
    store.save_answer(&s, "terrain", &trail).expect("save");
    (s, trail)
}

#[tokio::test]
async fn idle_sessions_expire_and_are_swept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    store.put_session("fresh", &session("a")).expect("put");
    store
        .put_session_at("stale", &session("b"), now() - 3600)
        .expect("put");
    assert_eq!(
        store.session("fresh", 60).expect("read"),
        Some(session("a"))
    );
    assert_eq!(
        store.session("stale", 60).expect("read"),
        None,
        "an expired session cannot be resumed"
    );
    assert!(store.session("stale", 7200).expect("read").is_some());
    assert_eq!(store.sweep(60).expect("sweep"), 1);
    assert_eq!(store.sweep(60).expect("sweep"), 0);
    assert!(
        store.session("stale", 7200).expect("read").is_none(),
        "swept away"
    );
    assert!(store.session("fresh", 60).expect("read").is_some());
}

#[tokio::test]
async fn a_second_store_on_the_same_folder_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _first = Store::open(dir.path()).expect("open");
    let second = Store::open(dir.path()).err().expect("refused");
    assert!(matches!(second, StoreError::Locked { .. }), "{second}");
}

#[tokio::test]
async fn events_are_written_in_one_batch_per_flush_and_read_back_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let s = session("a");
    let recorded = [
        Event::Started,
        Event::Answered {
            question: "terrain".into(),
        },
        Event::Viewed {
            product: "p-1".into(),
        },
    ];
    for event in &recorded {
        store.record_event(&s, event).expect("record");
    }
    let read: Vec<Event> = store
        .events()
        .expect("read")
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert_eq!(read, recorded, "waiting events are read too");
    store.durable().await.expect("durable");
    assert_eq!(
        store.writes.backend.count(Kind::Events).expect("count"),
        1,
        "one batch for the three"
    );
    store
        .record_event(&s, &Event::Consent { given: true })
        .expect("record");
    store.durable().await.expect("durable");
    assert_eq!(store.writes.backend.count(Kind::Events).expect("count"), 2);
    let all = store.events().expect("read");
    assert_eq!(all.len(), 4);
    assert_eq!(all[3].event, Event::Consent { given: true });
    assert!(
        all.iter()
            .all(|r| r.session == "a" && r.flow == "running-shoes")
    );
    // The last handle closes the database at once: the folder can be opened again straight away.
    drop(store);
    let reopened = Store::open(dir.path()).expect("reopens without waiting for the flusher");
    assert_eq!(
        reopened.events().expect("read").len(),
        4,
        "they were durable"
    );
}

#[tokio::test]
async fn queued_writes_are_read_at_once_and_written_by_the_flush_or_on_close() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let (s, trail) = answered(&store);
    assert_eq!(
        store.writes.backend.count(Kind::Sessions).expect("count"),
        0,
        "queued, not yet in the tree"
    );
    assert_eq!(store.session("t-1", 60).expect("read"), Some(s.clone()));
    assert_eq!(
        store.answers_of("v-1").expect("read"),
        [("terrain".to_string(), trail.clone())]
    );
    store.durable().await.expect("durable");
    assert_eq!(
        store.writes.backend.count(Kind::Sessions).expect("count"),
        1,
        "the flush wrote it"
    );
    assert_eq!(store.writes.backend.count(Kind::Answers).expect("count"), 1);
    // A newer answer, queued over the stored one, wins; the store closes without a flush asked for.
    let road = Answer::Choice {
        value: "road".into(),
    };
    store.save_answer(&s, "terrain", &road).expect("save");
    assert_eq!(
        store.answers_of("v-1").expect("read"),
        [("terrain".to_string(), road.clone())]
    );
    drop(store);
    let reopened = reopen(|| Store::open(dir.path()));
    assert_eq!(
        reopened.answers_of("v-1").expect("read"),
        [("terrain".to_string(), road)],
        "what was queued is written when the last handle closes"
    );
    assert_eq!(reopened.session("t-1", 60).expect("read"), Some(s));
}

#[tokio::test]
async fn a_rewrite_keeps_every_live_record_and_leaves_one_store_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let (s, trail) = answered(&store);
    store.durable().await.expect("durable");
    for _ in 0..2 {
        store.writes.apply().expect("apply");
        store.writes.backend.rewrite().expect("rewrite");
    }
    // Written after the rewrites, into the new folder.
    store.put_session("t-2", &session("b")).expect("put");
    drop(store);
    let folders: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("store"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(folders, ["store-2", "store.current"]);
    // A folder an interrupted rewrite left behind is removed at the next open.
    std::fs::create_dir(dir.path().join("store-3")).expect("mkdir");
    let reopened = reopen(|| Store::open(dir.path()));
    assert!(!dir.path().join("store-3").exists());
    assert_eq!(reopened.session("t-1", 60).expect("read"), Some(s));
    assert!(reopened.session("t-2", 60).expect("read").is_some());
    assert_eq!(
        reopened.answers_of("v-1").expect("read"),
        [("terrain".to_string(), trail)]
    );
}

fn queued(owner: &str, id: &str, due: u64) -> QueuedEmail {
    QueuedEmail {
        id: id.into(),
        message_id: format!("<{id}@test>"),
        owner: owner.into(),
        trigger: Trigger::FinderCompleted,
        template: "picks".into(),
        locale: "en".into(),
        flow: None,
        session: None,
        session_token: Some("resume-token".into()),
        links: None,
        products: Vec::new(),
        queued_at: due,
        due,
        attempts: Vec::new(),
    }
}

#[tokio::test]
async fn the_outbox_queues_once_finishes_into_the_log_and_is_erased_with_the_shopper() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    store
        .set_email("v1", "aiko@example.jp", false)
        .expect("email");
    assert!(
        store
            .queue_email(&queued("v1", "picks-s1", 100))
            .expect("queue")
    );
    assert!(
        !store
            .queue_email(&queued("v1", "picks-s1", 200))
            .expect("queue"),
        "the same cause queues one email"
    );
    store
        .queue_email(&queued("v1", "resume-s2", 300))
        .expect("queue");
    store.durable().await.expect("durable");
    let due: Vec<String> = store
        .due_emails(250, 10)
        .expect("due")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(due, ["picks-s1"]);
    let first = store.due_emails(250, 10).expect("due").remove(0);
    store
        .finish_email(&LoggedEmail {
            email: first,
            outcome: Outcome::Sent,
            finished_at: 260,
            subject: "Your picks".into(),
            to: "aiko@example.jp".into(),
            reason: String::new(),
        })
        .expect("finish");
    assert!(
        !store
            .queue_email(&queued("v1", "picks-s1", 300))
            .expect("queue"),
        "a sent email is not queued again"
    );
    let cancelled = store
        .cancel_emails(&["v1".into()], 270, "test", |e| e.id == "resume-s2")
        .expect("cancel");
    assert_eq!(cancelled.len(), 1);
    assert_eq!(store.outbox_next().expect("next"), (0, None));
    let logged = store.logged_emails_of(&["v1".into()]).expect("log");
    assert_eq!(logged.len(), 2);
    assert!(
        logged.iter().all(|e| e.email.session_token.is_none()),
        "tokens leave with the email"
    );
    let export = store.export("v1").expect("export").expect("known");
    assert_eq!(export.emails_sent.len(), 2);
    store
        .queue_email(&queued("v1", "resume-s3", 400))
        .expect("queue");
    let erased = store.erase("v1", 500).expect("erase").expect("known");
    assert_eq!((erased.emails_queued, erased.emails_logged), (1, 2));
    assert!(
        store
            .logged_emails_of(&["v1".into()])
            .expect("log")
            .is_empty()
    );
    assert_eq!(store.outbox_next().expect("next"), (0, None));
}

#[tokio::test]
async fn a_resume_link_works_once_and_an_unsubscribe_link_keeps_working() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let link = |purpose| Link {
        purpose,
        owner: "v1".into(),
        session_token: Some("tok".into()),
        expires: Some(1000),
        used_at: None,
    };
    let resume = store.issue_link(&link(LinkPurpose::Resume)).expect("issue");
    let unsubscribe = store
        .issue_link(&link(LinkPurpose::Unsubscribe))
        .expect("issue");
    assert_eq!(
        store
            .redeem_link(&resume, LinkPurpose::Unsubscribe, 10)
            .expect("read"),
        Err(Refused::Unknown),
        "one purpose only"
    );
    assert!(
        store
            .redeem_link(&resume, LinkPurpose::Resume, 10)
            .expect("read")
            .is_ok()
    );
    assert_eq!(
        store
            .redeem_link(&resume, LinkPurpose::Resume, 11)
            .expect("read"),
        Err(Refused::Used)
    );
    assert!(
        store
            .redeem_link(&unsubscribe, LinkPurpose::Unsubscribe, 10)
            .expect("read")
            .is_ok()
    );
    assert!(
        store
            .redeem_link(&unsubscribe, LinkPurpose::Unsubscribe, 11)
            .expect("read")
            .is_ok()
    );
    assert_eq!(
        store
            .redeem_link(&unsubscribe, LinkPurpose::Unsubscribe, 1001)
            .expect("read"),
        Err(Refused::Expired)
    );
    assert_eq!(
        store
            .redeem_link("nonsense", LinkPurpose::Resume, 10)
            .expect("read"),
        Err(Refused::Unknown)
    );
}

#[test]
fn an_unreadable_record_is_described_without_its_content() {
    // serde's own message would quote the value it could not read; the store's error reaches the logs.
    let record = br#"{"v": 1, "session": "shopper@example.com", "updated": 1}"#;
    let error = decode::<StoredSession>(record, 1)
        .err()
        .expect("a session is no string");
    let text = error.to_string();
    assert!(!text.contains("shopper@example.com"), "{text}");
    assert!(text.contains("line 1 column"), "{text}");
}

#[tokio::test]
async fn a_token_moved_away_and_written_again_keeps_the_write_and_a_moved_token_reads_empty() {
    // Found by `props::store`: the removal a move queued was written after the sessions of the same batch, so a
    // token moved away and then written again before the flush lost the write; and a moved token still read its
    // stored copy until the next flush.
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    store.put_session("old", &session("a")).expect("put");
    store.durable().await.expect("flush");
    store.move_session("old", "new", 60).expect("move");
    assert_eq!(store.session("old", 60).expect("read"), None);
    store.put_session("old", &session("b")).expect("put again");
    assert_eq!(store.session("old", 60).expect("read"), Some(session("b")));
    store.durable().await.expect("flush");
    drop(store);
    let reopened = reopen(|| Store::open(dir.path()));
    assert_eq!(
        reopened.session("old", 60).expect("read"),
        Some(session("b"))
    );
    assert_eq!(
        reopened.session("new", 60).expect("read"),
        Some(session("a"))
    );
}
