//! Criterion benchmarks of the recommendation model: one incremental co-occurrence update (`Model::observe`) on a
//! model that has already seen 1 M events over 100 000 products, for a view and for a cart; and a pure
//! `recommend` over that model. Run with `cargo bench --bench recommend`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use shopkeep::recommend::{self, Catalogued, Model, Request, Rules};
use shopkeep::shop_events::{Kind, ShopEvent, Source};

const PRODUCTS: usize = 100_000;
const EVENTS: usize = 1_000_000;

/// The bench-recs event shape: 10 events per session, two sessions per shopper, a neighbourhood of the catalog
/// per session, a cart at the end.
fn event(n: usize) -> ShopEvent {
    let session = n / 10;
    let step = n % 10;
    let base = session.wrapping_mul(7919) % PRODUCTS;
    ShopEvent {
        id: format!("r-{n}"),
        visitor: format!("v-{}", session / 2),
        kind: if step == 9 {
            Kind::AddedToCart
        } else {
            Kind::Viewed
        },
        product: Some(format!("p-{}", (base + step * 3) % PRODUCTS)),
        quantity: None,
        order: None,
        category: None,
        url: None,
        session: Some(format!("s-{session}")),
        at: n as u64,
        source: Source::Api,
        unknown_products: Vec::new(),
    }
}

fn warm() -> Model {
    let mut model = Model::default();
    for n in 0..EVENTS {
        model.observe(&event(n));
    }
    model
}

fn update(c: &mut Criterion) {
    let mut model = warm();
    let mut group = c.benchmark_group("co-occurrence update (1 M events seen)");
    // Events continue the log: each lands in a live session with up to 9 products before it.
    let mut n = EVENTS;
    group.bench_function("view", |b| {
        b.iter(|| {
            n += 1;
            if n % 10 == 9 {
                n += 1;
            }
            model.observe(black_box(&event(n)));
        })
    });
    let mut m = EVENTS + 9;
    group.bench_function("cart", |b| {
        b.iter(|| {
            m += 10;
            model.observe(black_box(&event(m)));
        })
    });
    group.finish();

    let lookup = |id: &str| {
        Some(Catalogued {
            title: id.to_uppercase(),
            category: "bench".into(),
            in_stock: true,
            in_scope: true,
        })
    };
    let history: Vec<ShopEvent> = (0..20).map(|k| event(2 * 10 * 777 + k)).collect();
    let rules = Rules::default();
    c.bench_function("recommend (pure, 1 M events seen, 10 results)", |b| {
        b.iter(|| {
            let request = Request {
                limit: 10,
                context: None,
                locale: "en",
                history: &history,
                from_answers: &[],
                in_stock_only: true,
                answers_stale: false,
                answered: &[],
                rules: &rules,
                signature: None,
            };
            black_box(recommend::recommend(&model, &request, &lookup))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = update
}
criterion_main!(benches);
