//! Criterion benchmarks of the pure engine: `conversation::step` for a non-final turn and for the final turn
//! (which builds the match request), `conversation::request` alone, and answer parsing (`parse_range` in the forms
//! shoppers type, `match_option` by synonym). Run with `cargo bench --bench engine`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use shopkeep::conversation::{self, Effect, Input, Reply, Session, match_option, parse_range};
use shopkeep::flow::{Flow, Flows};

fn running_shoes() -> std::sync::Arc<Flow> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("flows");
    let (flows, _) = Flows::load_dir(&dir).expect("the shipped flows load");
    flows
        .get("running-shoes")
        .expect("the running-shoes finder ships")
        .clone()
}

/// A session after `start` and `answers`, each a reply to the question being asked.
fn walked(flow: &Flow, answers: Vec<Reply>) -> Session {
    let session = Session::new("s-bench".into(), flow, Some("en"), None);
    let (mut session, _) = conversation::step(flow, session, Input::Start);
    for reply in answers {
        session = conversation::step(flow, session, Input::Answer(reply)).0;
    }
    session
}

fn before_final() -> Vec<Reply> {
    vec![
        Reply::Value("trail".into()),
        Reply::Text("yes please".into()),
        Reply::Values(vec!["cushioning".into()]),
        Reply::Range {
            min: None,
            max: Some(120.0),
        },
    ]
}

fn step(c: &mut Criterion) {
    let flow = running_shoes();
    let first = walked(&flow, Vec::new());
    c.bench_function("step/non-final (terrain=trail)", |b| {
        b.iter_batched(
            || first.clone(),
            |session| {
                conversation::step(&flow, session, Input::Answer(Reply::Value("trail".into())))
            },
            BatchSize::SmallInput,
        )
    });
    let typed = walked(&flow, vec![Reply::Value("trail".into())]);
    c.bench_function("step/non-final typed (\"yes please\")", |b| {
        b.iter_batched(
            || typed.clone(),
            |session| {
                conversation::step(
                    &flow,
                    session,
                    Input::Answer(Reply::Text("yes please".into())),
                )
            },
            BatchSize::SmallInput,
        )
    });
    let last = walked(&flow, before_final());
    let (_, effects) = conversation::step(
        &flow,
        last.clone(),
        Input::Answer(Reply::Value("any".into())),
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Search { .. })),
        "the final answer runs a match"
    );
    c.bench_function("step/final (builds the match request)", |b| {
        b.iter_batched(
            || last.clone(),
            |session| conversation::step(&flow, session, Input::Answer(Reply::Value("any".into()))),
            BatchSize::SmallInput,
        )
    });
    let mut done = before_final();
    done.push(Reply::Value("any".into()));
    let finished = walked(&flow, done);
    c.bench_function("request (match request alone)", |b| {
        b.iter(|| conversation::request(&flow, black_box(&finished), 4, 1))
    });
}

fn parsing(c: &mut Criterion) {
    for input in ["５万円", "¥50,000", "under 500", "3万〜5万"] {
        c.bench_function(&format!("parse_range/{input}"), |b| {
            b.iter(|| parse_range(black_box(input)))
        });
    }
    let flow = running_shoes();
    let terrain = flow.question("terrain").expect("terrain question");
    for input in [
        "trail",
        "ＴＲＡＩＬ",
        "mostly mountain paths",
        "山道を走ります",
        "the moon",
    ] {
        c.bench_function(&format!("match_option/{input}"), |b| {
            b.iter(|| match_option(terrain, black_box(input)).map(|choice| choice.value.len()))
        });
    }
}

criterion_group!(benches, step, parsing);
criterion_main!(benches);
