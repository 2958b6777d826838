//! The fixtures of the insights tests: answers, turns, results shown and shop events, and one seeded day.

use super::*;
use crate::conversation::{Answer, Answered, Event};
use crate::shop_events::{Line, Order, ShopEvent, Source};

/// 2026-12-01 00:00 UTC.
pub(super) const T0: u64 = 1_796_083_200;

pub(super) fn choice(question: &str, value: &str) -> Answered {
    Answered {
        question: question.into(),
        answer: Answer::Choice {
            value: value.into(),
        },
    }
}

pub(super) fn under(max: f64) -> Answered {
    Answered {
        question: "budget".into(),
        answer: Answer::Range {
            min: None,
            max: Some(max),
        },
    }
}

pub(super) fn answered(q: &str) -> Event {
    Event::Answered { question: q.into() }
}

/// One step of session `s` at `at` seconds after [`T0`].
#[allow(clippy::too_many_arguments)]
pub(super) fn step(
    ins: &mut Insights,
    s: &str,
    at: u64,
    events: &[Event],
    answers: &[Answered],
    asking: Option<&str>,
    typed: Option<&str>,
) {
    ins.turn(&Turn {
        session: s,
        finder: "shoes",
        version: "v1",
        at_ms: (T0 + at) * 1000,
        events,
        answers,
        asking,
        typed,
        flow: None,
    });
}

pub(super) fn show(
    ins: &mut Insights,
    s: &str,
    owner: &str,
    at: u64,
    answers: &[Answered],
    products: &[&str],
    relaxed: &[&str],
) {
    let products: Vec<String> = products.iter().map(|p| p.to_string()).collect();
    let relaxed: Vec<String> = relaxed.iter().map(|p| p.to_string()).collect();
    ins.shown(&Shown {
        session: s,
        owner,
        finder: "shoes",
        version: "v1",
        at_ms: (T0 + at) * 1000,
        answers,
        products: &products,
        relaxed: &relaxed,
        flow: None,
    });
}

pub(super) fn shop(
    visitor: &str,
    kind: crate::shop_events::Kind,
    product: &str,
    quantity: u32,
    at: u64,
) -> ShopEvent {
    let order = (kind == crate::shop_events::Kind::Purchased).then(|| Order {
        id: format!("o-{at}"),
        lines: vec![Line {
            product: product.into(),
            quantity,
            price: None,
        }],
    });
    ShopEvent {
        id: format!("e-{at}"),
        visitor: visitor.into(),
        kind,
        product: order.is_none().then(|| product.to_string()),
        quantity: None,
        order,
        category: None,
        url: None,
        session: None,
        at: T0 + at,
        source: Source::Api,
        unknown_products: vec![],
    }
}

/// Three conversations: one finishes and buys, one drops at the budget, one skips to an empty result.
pub(super) fn seeded() -> Insights {
    use crate::shop_events::Kind::*;
    let mut ins = Insights::default();
    // s1: trail, under 120, two picks; clicks both, buys two of the first.
    step(
        &mut ins,
        "s1",
        0,
        &[Event::Started],
        &[],
        Some("terrain"),
        None,
    );
    let a1 = [choice("terrain", "trail")];
    step(
        &mut ins,
        "s1",
        10,
        &[answered("terrain")],
        &a1,
        Some("budget"),
        None,
    );
    let a1 = [choice("terrain", "trail"), under(120.0)];
    let finished = Event::Finished {
        result: "picks".into(),
    };
    step(
        &mut ins,
        "s1",
        40,
        &[answered("budget"), finished.clone()],
        &a1,
        None,
        None,
    );
    show(&mut ins, "s1", "v-1", 40, &a1, &["p1", "p2"], &[]);
    ins.shop(&shop("v-1", Clicked, "p1", 1, 50));
    ins.shop(&shop("v-1", Clicked, "p2", 1, 55));
    ins.shop(&shop("v-1", Clicked, "p9", 1, 56)); // not a pick
    ins.shop(&shop("v-1", Purchased, "p1", 2, 90));
    // s2: one answer not understood, then road; leaves at the budget.
    step(
        &mut ins,
        "s2",
        100,
        &[Event::Started],
        &[],
        Some("terrain"),
        None,
    );
    let miss = Event::NotUnderstood {
        question: "terrain".into(),
    };
    step(
        &mut ins,
        "s2",
        105,
        &[miss],
        &[],
        Some("terrain"),
        Some("  Mud "),
    );
    let a2 = [choice("terrain", "road")];
    step(
        &mut ins,
        "s2",
        130,
        &[answered("terrain")],
        &a2,
        Some("budget"),
        None,
    );
    // s3: skips the terrain, a budget nothing meets, loosened and still empty; goes back once.
    step(
        &mut ins,
        "s3",
        200,
        &[Event::Started],
        &[],
        Some("terrain"),
        None,
    );
    let skipped = Event::Skipped {
        question: "terrain".into(),
    };
    let a3 = [
        Answered {
            question: "terrain".into(),
            answer: Answer::Skipped,
        },
        under(5.0),
    ];
    step(
        &mut ins,
        "s3",
        205,
        &[skipped],
        &a3[..1],
        Some("budget"),
        None,
    );
    step(
        &mut ins,
        "s3",
        215,
        &[answered("budget"), finished.clone()],
        &a3,
        None,
        None,
    );
    show(&mut ins, "s3", "s3", 215, &a3, &[], &["budget"]);
    let back = Event::WentBack {
        question: "budget".into(),
    };
    step(&mut ins, "s3", 220, &[back], &a3[..1], Some("budget"), None);
    // Shown again after going back: a second result, not a second completion.
    step(
        &mut ins,
        "s3",
        230,
        &[answered("budget"), finished],
        &a3,
        None,
        None,
    );
    show(&mut ins, "s3", "s3", 230, &a3, &[], &["budget"]);
    ins
}

pub(super) fn day() -> Range {
    Range {
        from: T0,
        to: T0 + DAY,
    }
}
