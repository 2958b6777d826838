//! Reading a ledger newest first: [`Store::scan_newest`] over stored, queued and removed records, and
//! [`Store::has_consent`] against the whole ledger's [`Store::consent_state`].

use super::consents::{Action, Channel, ConsentEntry, Purpose};
use super::profiles::Profile;
use super::*;

#[test]
fn newest_first_lays_the_queue_over_the_stored_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let put = |k: &str, v: &str| {
        store.queue(
            Kind::Consents,
            k.as_bytes().to_vec(),
            Some(v.as_bytes().to_vec()),
        )
    };
    // Stored: a1 a3 a5 a7; then queued: a2 (new), a5 (replaced), a7 (removed), a9 (new), and b1 (another prefix).
    for k in ["a1", "a3", "a5", "a7"] {
        put(k, "stored");
    }
    store.writes.apply().expect("apply");
    put("a2", "queued");
    put("a5", "queued");
    store.queue(Kind::Consents, b"a7".to_vec(), None);
    put("a9", "queued");
    put("b1", "queued");
    let read = |limit: usize| {
        let mut seen = Vec::new();
        store
            .scan_newest(Kind::Consents, b"a", &mut |k, v| {
                seen.push(format!(
                    "{}={}",
                    String::from_utf8_lossy(k),
                    String::from_utf8_lossy(v)
                ));
                seen.len() < limit
            })
            .expect("scan");
        seen
    };
    let all = read(usize::MAX);
    assert_eq!(
        all,
        [
            "a9=queued",
            "a5=queued",
            "a3=stored",
            "a2=queued",
            "a1=stored"
        ]
    );
    // The same records as the forward scan, reversed.
    let forward: Vec<String> = store
        .scan(Kind::Consents, b"a")
        .expect("scan")
        .into_iter()
        .rev()
        .map(|(k, v)| {
            format!(
                "{}={}",
                String::from_utf8_lossy(&k),
                String::from_utf8_lossy(&v)
            )
        })
        .collect();
    assert_eq!(all, forward);
    // It stops when told, in the stored part and in the queued part.
    assert_eq!(read(1), ["a9=queued"]);
    assert_eq!(read(3), ["a9=queued", "a5=queued", "a3=stored"]);
    // Applied, the same again.
    store.writes.apply().expect("apply");
    assert_eq!(read(usize::MAX), all);
}

fn entry(action: Action, at: u64) -> ConsentEntry {
    ConsentEntry {
        purpose: Purpose::EmailRecommendations,
        action,
        text: "Email me my picks".into(),
        text_version: "1".into(),
        locale: "en".into(),
        channel: Channel::Widget,
        at,
    }
}

/// Gives and withdrawals spread over a profile's two owners, some applied and some still queued, in many
/// pseudo-random orders: the newest-first answer is always the whole ledger's.
#[test]
fn has_consent_agrees_with_the_whole_ledger() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for case in 0..200 {
        let owners = vec![format!("v-{case}-a"), format!("v-{case}-b")];
        let profile = Profile {
            v: 1,
            id: format!("p-{case}"),
            created: 0,
            customer: None,
            owners: owners.clone(),
            email: None,
            merged_into: None,
        };
        // Seconds repeat on purpose: entries within one second are ordered by when they were written.
        for step in 0..(next() % 6) {
            let action = if next() % 2 == 0 {
                Action::Given
            } else {
                Action::Withdrawn
            };
            let owner = &owners[(next() % 2) as usize];
            store
                .append_consent(owner, &entry(action, 1_000 + step / 2))
                .expect("append");
            if next() % 3 == 0 {
                store.writes.apply().expect("apply");
            }
            let whole = store
                .consent_state(&profile)
                .expect("state")
                .iter()
                .any(|s| s.purpose == Purpose::EmailRecommendations && s.given);
            assert_eq!(
                store
                    .has_consent(&profile, Purpose::EmailRecommendations)
                    .expect("newest"),
                whole,
                "case {case}, step {step}"
            );
        }
    }
}
