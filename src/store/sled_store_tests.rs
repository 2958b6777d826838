//! The sled backend's own tests: power mode's syncs, a rewrite racing writes, durability names.

use super::*;

#[test]
fn the_power_mode_syncs_the_log_and_every_new_blob_and_reopens_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = vec![b'x'; 300 * 1024];
    for durability in [Durability::Power, Durability::Process] {
        let data = dir.path().join(durability.to_string());
        let sled = Sled::open(&data, durability).expect("open");
        let ops = [
            Op::Put(Kind::Sessions, b"small", b"a session"),
            Op::Put(Kind::Outbox, b"big", &big),
        ];
        sled.write(&mut ops.into_iter()).expect("write");
        sled.flush().expect("flush");
        let blobs = std::fs::read_dir(data.join("store/blobs"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert!(blobs >= 1, "a value over 128 KiB goes to a blob file");
        let synced = sled
            .read()
            .expect("open")
            .files
            .synced
            .lock()
            .expect("lock")
            .len();
        match durability {
            Durability::Power => assert_eq!(synced, blobs, "every blob synced once"),
            Durability::Process => assert_eq!(synced, 0),
        }
        drop(sled);
        let again = crate::store::tests::reopen(|| Sled::open(&data, durability));
        assert_eq!(
            again.get(Kind::Outbox, b"big").expect("read"),
            Some(big.clone())
        );
        assert_eq!(
            again
                .get(Kind::Sessions, b"small")
                .expect("read")
                .as_deref(),
            Some(&b"a session"[..])
        );
    }
}

#[test]
fn a_rewrite_keeps_every_write_made_while_it_copies() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().expect("temp dir");
    let sled = Arc::new(Sled::open(dir.path(), Durability::Process).expect("open"));
    let value = vec![b'v'; 200];
    let key = |n: usize| format!("s{n:06}").into_bytes();
    for n in 0..20_000 {
        let ops = [Op::Put(Kind::Sessions, &key(n), &value)];
        sled.write(&mut ops.into_iter()).expect("write");
    }
    sled.flush().expect("flush");
    let (stop, started) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let writer = {
        let (sled, stop, started) = (sled.clone(), stop.clone(), started.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) || n < 100 {
                let answer = format!("a{n:06}").into_bytes();
                let ops = [
                    Op::Put(Kind::Answers, &answer, b"an answer"),
                    Op::Remove(Kind::Sessions, &key(n % 20_000)),
                ];
                sled.write(&mut ops.into_iter()).expect("write");
                started.store(true, Ordering::Relaxed);
                n += 1;
            }
            n
        })
    };
    while !started.load(Ordering::Relaxed) {
        std::thread::yield_now();
    }
    sled.rewrite().expect("rewrite");
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().expect("the writer ends");
    sled.flush().expect("flush");
    drop(sled);
    let sled = crate::store::tests::reopen(|| Sled::open(dir.path(), Durability::Process));
    assert!(dir.path().join("store-1").exists(), "rewritten");
    for n in 0..written {
        let answer = format!("a{n:06}").into_bytes();
        assert!(
            sled.get(Kind::Answers, &answer).expect("read").is_some(),
            "answer {n} of {written}"
        );
    }
    let removed = written.min(20_000);
    assert_eq!(sled.count(Kind::Sessions).expect("count"), 20_000 - removed);
    assert_eq!(
        sled.get(Kind::Sessions, &key(removed.saturating_sub(1)))
            .expect("read"),
        None
    );
}

#[test]
fn a_durability_is_named_power_or_process() {
    assert_eq!("power".parse(), Ok(Durability::Power));
    assert_eq!(" Process ".parse(), Ok(Durability::Process));
    assert_eq!(Durability::default(), Durability::Power);
    let error = "fsync".parse::<Durability>().expect_err("unknown");
    assert!(
        error.contains("`power`") && error.contains("`process`"),
        "{error}"
    );
}
