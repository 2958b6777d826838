//! Insights over a million events: feeding them one by one (what a turn pays to keep the figures current) and
//! reading a 30-day report from the buckets (what the API and the dashboard pay per request). Prints the report's
//! p50 and p99 over 200 reads before criterion's own runs (the first read sums the range's days; the later ones
//! read the kept sum), then reads that each follow a change to one of the range's days. Run with `cargo bench --bench insights`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use shopkeep::conversation::{Answer, Answered, Event};
use shopkeep::insights::{Insights, Range, Shown, Turn};
use shopkeep::shop_events::{Kind, ShopEvent, Source};

/// 2026-11-01 00:00 UTC.
const T0: u64 = 1_793_491_200;
const DAYS: u64 = 30;
const QUESTIONS: [&str; 6] = [
    "terrain",
    "waterproof",
    "priorities",
    "race",
    "budget",
    "colour",
];
const VALUES: [&str; 4] = ["a", "b", "c", "d"];

/// A deterministic pseudo-random number (splitmix64), so every run feeds the same events.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn answer(question: &str, value: &str) -> Answered {
    Answered {
        question: question.to_string(),
        answer: Answer::Choice {
            value: value.to_string(),
        },
    }
}

/// Feeds conversations (turns, results, clicks, purchases) spread over 30 days until `events` events went in;
/// the number of events fed.
fn feed(ins: &mut Insights, events: u64) -> u64 {
    let mut fed = 0;
    let mut conversation = 0u64;
    let span_ms = DAYS * 86_400_000;
    let per = events / 9 + 1;
    while fed < events {
        conversation += 1;
        let r = mix(conversation);
        let at_ms = T0 * 1000 + (conversation * span_ms / per) % span_ms;
        let session = format!("s{conversation}");
        let owner = format!("v{}", conversation % 50_000);
        let finder = if r.is_multiple_of(3) {
            "boots"
        } else {
            "shoes"
        };
        let version = if r.is_multiple_of(5) { "v2" } else { "v1" };
        let mut answers = Vec::new();
        let turn = |ins: &mut Insights,
                    at: u64,
                    events: &[Event],
                    answers: &[Answered],
                    asking: Option<&str>| {
            ins.turn(&Turn {
                session: &session,
                finder,
                version,
                at_ms: at,
                events,
                answers,
                asking,
                typed: None,
                flow: None,
            });
        };
        turn(ins, at_ms, &[Event::Started], &answers, Some(QUESTIONS[0]));
        fed += 1;
        // One in five leaves somewhere along the way.
        let leaves_at = if r % 5 == 1 { (r >> 8) % 6 } else { 6 };
        for (i, question) in QUESTIONS.iter().enumerate() {
            if i as u64 == leaves_at {
                break;
            }
            let at = at_ms + (i as u64 + 1) * 4_000 + (r >> (i * 4)) % 7_000;
            if (r >> (20 + i)).is_multiple_of(10) {
                let miss = [Event::NotUnderstood {
                    question: question.to_string(),
                }];
                ins.turn(&Turn {
                    session: &session,
                    finder,
                    version,
                    at_ms: at,
                    events: &miss,
                    answers: &answers,
                    asking: Some(question),
                    typed: Some(["mud", "snow", "beach", "moon"][i % 4]),
                    flow: None,
                });
                fed += 1;
            }
            answers.push(answer(question, VALUES[((r >> (i * 3)) % 4) as usize]));
            let next = QUESTIONS.get(i + 1).copied();
            let done = [
                Event::Answered {
                    question: question.to_string(),
                },
                Event::Finished {
                    result: "picks".into(),
                },
            ];
            let events = if next.is_none() {
                &done[..]
            } else {
                &done[..1]
            };
            turn(ins, at, events, &answers, next);
            fed += events.len() as u64;
        }
        if leaves_at < 6 {
            continue;
        }
        let products: Vec<String> = (0..4)
            .map(|k| format!("p{}", (r >> (k * 8)) % 500))
            .collect();
        let relaxed = if r.is_multiple_of(7) {
            vec!["budget".to_string()]
        } else {
            vec![]
        };
        let shown_at = at_ms + 40_000;
        ins.shown(&Shown {
            session: &session,
            owner: &owner,
            finder,
            version,
            at_ms: shown_at,
            answers: &answers,
            products: if r.is_multiple_of(31) { &[] } else { &products },
            relaxed: &relaxed,
            flow: None,
        });
        fed += 1;
        for (k, kind) in [Kind::Clicked, Kind::AddedToCart, Kind::Purchased]
            .into_iter()
            .enumerate()
        {
            if (r >> (40 + k * 3)) % 8 > 2 - k as u64 {
                continue;
            }
            ins.shop(&ShopEvent {
                id: format!("e{conversation}-{k}"),
                visitor: owner.clone(),
                kind,
                product: Some(products[0].clone()),
                quantity: None,
                order: None,
                category: None,
                url: None,
                session: None,
                at: shown_at / 1000 + 60,
                source: Source::Api,
                unknown_products: vec![],
            });
            fed += 1;
        }
    }
    fed
}

fn insights(c: &mut Criterion) {
    let mut ins = Insights::default();
    let started = Instant::now();
    let fed = feed(&mut ins, 1_000_000);
    let took = started.elapsed();
    println!(
        "fed {fed} events in {:.2} s: {:.0} ns per event",
        took.as_secs_f64(),
        took.as_nanos() as f64 / fed as f64
    );
    let range = Range {
        from: T0,
        to: T0 + DAYS * 86_400,
    };
    let mut times: Vec<f64> = (0..200)
        .map(|_| {
            let started = Instant::now();
            black_box(ins.report("shoes", &range, None, &[]));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let first = times[0];
    times.sort_by(f64::total_cmp);
    println!(
        "30-day report over {fed} events: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (the first read, nothing kept yet: {first:.2} ms)",
        times[100], times[197], times[199]
    );
    // Each read after a change to one of the range's days (a late turn on day 10), so the kept sum of the whole
    // days is summed afresh every time: the worst case, and what the first read after a day ends pays.
    let mut changed: Vec<f64> = (0..40u64)
        .map(|i| {
            ins.turn(&Turn {
                session: &format!("late-{i}"),
                finder: "shoes",
                version: if i % 2 == 0 { "v1" } else { "v2" },
                at_ms: (T0 + 10 * 86_400) * 1000 + i,
                events: &[Event::Started],
                answers: &[],
                asking: Some(QUESTIONS[0]),
                typed: None,
                flow: None,
            });
            let started = Instant::now();
            black_box(ins.report("shoes", &range, None, &[]));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    changed.sort_by(f64::total_cmp);
    println!(
        "30-day report right after one of its days changed: p50 {:.2} ms, max {:.2} ms over 40 reads",
        changed[20], changed[39]
    );
    let mut group = c.benchmark_group("insights");
    group.sample_size(30);
    group.bench_function("report, 30 days of 1 M events", |b| {
        b.iter(|| black_box(ins.report("shoes", &range, None, &[])))
    });
    let week = Range {
        from: T0 + 23 * 86_400 + 7 * 3600,
        to: T0 + DAYS * 86_400,
    };
    group.bench_function("report, 7 days and edge hours", |b| {
        b.iter(|| black_box(ins.report("shoes", &week, None, &[])))
    });
    // One more answered turn of a conversation the figures already know: what a turn adds.
    let answers = [answer("terrain", "a"), answer("waterproof", "b")];
    let events = [Event::Answered {
        question: "waterproof".into(),
    }];
    let mut at = (T0 + DAYS * 86_400) * 1000;
    group.bench_function("one answered turn taken in", |b| {
        b.iter(|| {
            at += 1;
            ins.turn(&Turn {
                session: "s-bench",
                finder: "shoes",
                version: "v1",
                at_ms: at,
                events: &events,
                answers: &answers,
                asking: Some("priorities"),
                typed: None,
                flow: None,
            })
        })
    });
    group.finish();
}

criterion_group!(benches, insights);
criterion_main!(benches);
