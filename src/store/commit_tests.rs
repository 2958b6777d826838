//! The group commit under concurrency: many waiters share a flush, two appliers never write an older record over
//! a newer one, and readers racing applies never miss a record nor go back.

use super::sessions::StoredSession;
use super::tests::session;
use super::*;

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
