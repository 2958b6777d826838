use super::sessions::StoredSession;
use super::*;
use crate::conversation::{Answer, Event, Position, Session};

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
    let reopened = Store::open(dir.path()).expect("reopen");
    assert_eq!(
        reopened.answers_of("v-1").expect("read"),
        [("terrain".to_string(), road)],
        "what was queued is written when the last handle closes"
    );
    assert_eq!(reopened.session("t-1", 60).expect("read"), Some(s));
}

#[tokio::test]
async fn many_waiters_share_few_flushes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let waits: Vec<_> = (0..200)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .put_session(&format!("t{n}"), &session("s"))
                    .expect("put");
                store.durable().await
            })
        })
        .collect();
    for wait in waits {
        wait.await.expect("join").expect("durable");
    }
    assert_eq!(
        store.writes.backend.count(Kind::Sessions).expect("count"),
        200
    );
    let flushes = store.flush_count();
    assert!(
        (1..=20).contains(&flushes),
        "200 durable acknowledgements took {flushes} flushes"
    );
}

#[tokio::test]
async fn concurrent_applies_never_write_an_older_record_over_a_newer_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A second applier, as a sweep is, racing the writer's own applies.
    let other = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                store.writes.apply().expect("apply");
            }
        })
    };
    let mut s = session("a");
    for n in 0..2000 {
        s.misses = n;
        store.put_session("t", &s).expect("put");
        store.writes.apply().expect("apply");
    }
    stop.store(true, Ordering::Relaxed);
    other.join().expect("join");
    store.writes.apply().expect("apply");
    let stored = store
        .writes
        .backend
        .get(Kind::Sessions, b"t")
        .expect("read")
        .expect("stored");
    let record: StoredSession = serde_json::from_slice(&stored).expect("record");
    assert_eq!(
        record.session.misses, 1999,
        "the newest record is the one stored"
    );
}

/// Reads take no lock against the applies (a turn must not wait while a batch is written): a record being moved
/// from the queue to the backend is never missed, and a reader never sees an older value after a newer one.
#[tokio::test]
async fn reads_during_applies_never_miss_a_record_nor_go_back() {
    // Many records a batch, so an apply and a read overlap often.
    const KEYS: usize = 200;
    fn key(k: usize) -> Vec<u8> {
        format!("k\0a{k:03}").into_bytes()
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let written = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, stop, written) = (store.clone(), stop.clone(), written.clone());
        let started = started.clone();
        std::thread::spawn(move || {
            started.store(true, Ordering::Release);
            // The last value read by `get`, then by the scan for each key.
            let (mut last, mut reads) = ([0u64; KEYS + 1], 0u64);
            while !stop.load(Ordering::Relaxed) {
                let floor = written.load(Ordering::Acquire);
                let value = |bytes: &[u8]| u64::from_be_bytes(bytes.try_into().expect("8 bytes"));
                let got = store
                    .get(Kind::Answers, &key(7))
                    .expect("get")
                    .map(|b| value(&b));
                let scanned = store.scan(Kind::Answers, b"k\0").expect("scan");
                let seen = std::iter::once(got)
                    .chain((0..KEYS).map(|k| scanned.get(&key(k)).map(|b| value(b))));
                for (i, (seen, last)) in seen.zip(last.iter_mut()).enumerate() {
                    let seen = seen.unwrap_or(0);
                    assert!(
                        seen >= floor,
                        "read {seen} after {floor} was written (at {i}, 0 = get)"
                    );
                    assert!(seen >= *last, "read {seen} after {last}");
                    *last = seen;
                }
                reads += 1;
            }
            reads
        })
    };
    // A second applier, as a sweep is, racing the writer's own applies.
    let other = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                store.writes.apply().expect("apply");
            }
        })
    };
    for _ in 0..500 {
        if started.load(Ordering::Acquire) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    for n in 1..=300u64 {
        for k in 0..KEYS {
            store.queue(Kind::Answers, key(k), Some(n.to_be_bytes().to_vec()));
        }
        written.store(n, Ordering::Release);
        store.writes.apply().expect("apply");
    }
    stop.store(true, Ordering::Relaxed);
    other.join().expect("join");
    let reads = reader.join().expect("no read missed or went back");
    assert!(reads > 0, "the reader ran");
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
    let reopened = Store::open(dir.path()).expect("reopen");
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
    let reopened = Store::open(dir.path()).expect("reopen");
    assert_eq!(
        reopened.session("old", 60).expect("read"),
        Some(session("b"))
    );
    assert_eq!(
        reopened.session("new", 60).expect("read"),
        Some(session("a"))
    );
}
