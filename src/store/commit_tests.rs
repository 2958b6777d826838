//! The group commit under concurrency: many waiters share a flush, two appliers never write an older record over
//! a newer one, and readers racing applies never miss a record nor go back.

use super::commit::{Unsynced, sync_all};
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

/// sled in power mode, with each sync counted and held until the test opens the gate (a slow disk), so batches
/// pile up behind it.
struct SlowSync {
    sled: super::sled_store::Sled,
    syncs: Arc<AtomicU64>,
    gate: Arc<std::sync::atomic::AtomicBool>,
}

impl Backend for SlowSync {
    fn get(&self, kind: Kind, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.sled.get(kind, key)
    }
    fn scan(
        &self,
        kind: Kind,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        self.sled.scan(kind, prefix, visit)
    }
    fn scan_newest(
        &self,
        kind: Kind,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        self.sled.scan_newest(kind, prefix, visit)
    }
    fn write(&self, ops: &mut dyn Iterator<Item = Op<'_>>) -> Result<(), StoreError> {
        self.sled.write(ops)
    }
    fn remove_if(&self, kind: Kind, key: &[u8], seen: &[u8]) -> Result<bool, StoreError> {
        self.sled.remove_if(kind, key, seen)
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.sled.flush()
    }
    fn flush_out(&self) -> Result<Flushed, StoreError> {
        self.sled.flush_out()
    }
    fn sync(&self, epoch: u64) -> Result<(), StoreError> {
        self.syncs.fetch_add(1, Ordering::SeqCst);
        for _ in 0..2000 {
            if self.gate.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        self.sled.sync(epoch)
    }
    fn count(&self, kind: Kind) -> Result<usize, StoreError> {
        self.sled.count(kind)
    }
    fn rewrite(&self) -> Result<(), StoreError> {
        self.sled.rewrite()
    }
    fn disk_bytes(&self) -> Result<u64, StoreError> {
        self.sled.disk_bytes()
    }
}

/// Waits (bounded) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_written_while_the_disk_syncs_share_the_next_sync_and_every_ack_is_on_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let syncs = Arc::new(AtomicU64::new(0));
    let gate = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let sled = super::sled_store::Sled::open(dir.path(), Durability::Power).expect("open");
        let store = Store::with_backend(Box::new(SlowSync {
            sled,
            syncs: syncs.clone(),
            gate: gate.clone(),
        }))
        .expect("store");
        let turn = |n: usize| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .put_session(&format!("t{n}"), &session("s"))
                    .expect("put");
                store.durable().await
            })
        };
        // The first turn's sync holds; two more turns are written out meanwhile, one flush each.
        let first = turn(0);
        until("the first sync began", || syncs.load(Ordering::SeqCst) == 1).await;
        let second = turn(1);
        until("the second batch was flushed", || store.flush_count() == 2).await;
        let third = turn(2);
        until("the third batch was flushed", || store.flush_count() == 3).await;
        until("the third batch is in the store", || {
            store.writes.backend.count(Kind::Sessions).ok() == Some(3)
        })
        .await;
        // Its flush out of the process and hand-over to the syncer take well under this.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(!first.is_finished(), "no acknowledgement before its sync");
        gate.store(true, Ordering::SeqCst);
        for turn in [first, second, third] {
            turn.await.expect("join").expect("durable");
        }
        assert_eq!(
            syncs.load(Ordering::SeqCst),
            2,
            "the two batches written while the first sync ran share the next one"
        );
    }
    let store = super::tests::reopen(|| Store::open(dir.path()));
    assert_eq!(
        store.writes.backend.count(Kind::Sessions).expect("count"),
        3,
        "every acknowledged turn is in the store after it is closed and opened again"
    );
}

#[test]
fn a_batch_written_out_before_the_store_was_opened_again_is_not_acknowledged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let syncs = Arc::new(AtomicU64::new(0));
    let sled = super::sled_store::Sled::open(dir.path(), Durability::Power).expect("open");
    let writes = Arc::new(Writes {
        backend: Box::new(SlowSync {
            sled,
            syncs: syncs.clone(),
            gate: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        }),
        queued: Default::default(),
        applying: Default::default(),
        sequence: AtomicU64::new(0),
    });
    let batch = |epoch| {
        let (waiter, answer) = oneshot::channel();
        let unsynced = Unsynced {
            epoch,
            waiters: vec![waiter],
            writes: writes.clone(),
        };
        (unsynced, answer)
    };
    // The sled backend is at epoch 0; a batch counted in another epoch stands for one written before a reopen.
    let (older, older_answer) = batch(u64::MAX);
    let (current, current_answer) = batch(0);
    let (newest, newest_answer) = batch(0);
    sync_all(vec![older, current, newest]);
    assert_eq!(syncs.load(Ordering::Relaxed), 1, "one sync for the three");
    let answer = |mut rx: oneshot::Receiver<Result<(), String>>| rx.try_recv().expect("answered");
    let refused = answer(older_answer).expect_err("the older batch is not acknowledged");
    assert!(refused.contains("opened again"), "{refused}");
    answer(current_answer).expect("the current batch is durable");
    answer(newest_answer).expect("the newest batch is durable");
}
