//! The session store against a model: random sequences of puts, reads, moves (an email's resume link), sweeps and
//! group-commit flushes, with the store closed and opened again on the same folder in between. After every step
//! the store reads exactly what a `BTreeMap` of token → session says. Across a clean close this holds for every
//! write, flushed or not: closing writes what is still queued (`store::commit`). What a crash keeps is the crash
//! test's business (`tests/it`), not this one's.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::conversation::{Answer, Answered, Position, Session};
use crate::store::Store;

/// Tokens the steps use: a few, so that steps meet the same records; odd ones among them.
const TOKENS: &[&str] = &[
    "t0",
    "t1",
    "t2",
    "トークン",
    "a/b\\c",
    "\u{0}x",
    "t-long-0123456789abcdef",
];

#[derive(Clone, Debug)]
enum Step {
    Put(usize, u32, String),
    Get(usize),
    Move(usize, usize),
    /// Sweep with a cut-off after every session: all go.
    SweepAll,
    /// Sweep with a cut-off before every session: none goes.
    SweepNone,
    Flush,
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    let token = 0..TOKENS.len();
    prop_oneof![
        6 => (token.clone(), 0..50u32, super::hostile_text()).prop_map(|(t, n, text)| Step::Put(t, n, text)),
        4 => token.clone().prop_map(Step::Get),
        2 => (token.clone(), token)
            .prop_filter("a session moves to another token", |(a, b)| a != b)
            .prop_map(|(a, b)| Step::Move(a, b)),
        1 => Just(Step::SweepAll),
        1 => Just(Step::SweepNone),
        3 => Just(Step::Flush),
        2 => Just(Step::Reopen),
    ]
}

fn session(n: u32, text: &str) -> Session {
    Session {
        id: format!("s{n}"),
        flow: "running-shoes".into(),
        flow_version: format!("v{}", n % 3),
        arm: None,
        locale: if n.is_multiple_of(2) { "en" } else { "ja" }.into(),
        visitor: (!n.is_multiple_of(4)).then(|| text.to_string()),
        at: Position::Asking(format!("q{n}")),
        answers: vec![
            Answered {
                question: "terrain".into(),
                answer: Answer::Text { text: text.into() },
            },
            Answered {
                question: "budget".into(),
                answer: Answer::Range {
                    min: None,
                    max: Some(f64::from(n) * 10.5),
                },
            },
        ],
        misses: n % 3,
        segments: Vec::new(),
    }
}

/// The store reads every token as the model says.
fn agrees(
    store: &Store,
    model: &BTreeMap<&str, Session>,
    after: &str,
) -> Result<(), TestCaseError> {
    for token in TOKENS {
        let stored = store.session(token, u64::MAX).expect("read a session");
        prop_assert_eq!(
            stored.as_ref(),
            model.get(token),
            "token {:?} after {}",
            token,
            after
        );
    }
    Ok(())
}

/// The store on `dir` opened again. Once in a while under a loaded machine the folder's lock outlived the last
/// handle for a moment (seen once in CI-like runs, not explained yet: the flusher lets go before it answers); the
/// property is about what is read, so a second try after a short wait is allowed, and a lasting refusal fails.
fn reopen(dir: &std::path::Path) -> Store {
    match Store::open(dir) {
        Ok(store) => store,
        Err(first) => {
            std::thread::sleep(std::time::Duration::from_millis(200));
            Store::open(dir)
                .unwrap_or_else(|again| panic!("open the store again: {first}; then: {again}"))
        }
    }
}

proptest! {
    #![proptest_config(super::config(32))]

    #[test]
    fn sessions_agree_with_a_btreemap_model_across_reopens(steps in prop::collection::vec(step(), 1..40)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let mut store = Store::open(dir.path()).expect("open the store");
        let mut model: BTreeMap<&str, Session> = BTreeMap::new();
        for (n, step) in steps.iter().enumerate() {
            let after = format!("step {n} ({step:?})");
            match step {
                Step::Put(token, variant, text) => {
                    let session = session(*variant, text);
                    store.put_session(TOKENS[*token], &session).expect("put");
                    model.insert(TOKENS[*token], session);
                }
                Step::Get(token) => {
                    let stored = store.session(TOKENS[*token], u64::MAX).expect("get");
                    prop_assert_eq!(stored.as_ref(), model.get(TOKENS[*token]), "{}", after);
                }
                Step::Move(old, new) => {
                    let moved = store.move_session(TOKENS[*old], TOKENS[*new], u64::MAX).expect("move");
                    let expected = model.remove(TOKENS[*old]);
                    prop_assert_eq!(moved.as_ref(), expected.as_ref(), "{}", after);
                    if let Some(session) = expected {
                        model.insert(TOKENS[*new], session);
                    }
                }
                Step::SweepAll => {
                    let removed = store.sweep_at(u64::MAX, 0).expect("sweep");
                    prop_assert_eq!(removed, model.len(), "{}", after);
                    model.clear();
                }
                Step::SweepNone => {
                    prop_assert_eq!(store.sweep_at(0, 0).expect("sweep"), 0, "{}", after);
                }
                Step::Flush => runtime.block_on(store.durable()).expect("flush"),
                Step::Reopen => {
                    drop(store);
                    store = reopen(dir.path());
                }
            }
            agrees(&store, &model, &after)?;
        }
        drop(store);
        let store = reopen(dir.path());
        agrees(&store, &model, "the last reopen")?;
    }
}
