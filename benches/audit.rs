//! The catalog-aware check's benchmark: every answer path of a six-question finder
//! (`benches/fixtures/six-questions.yaml`, 3 000 paths) against 100 000 synthetic products (target ≤ 5 s on
//! 2 cores), and against 10 000 for scale. The catalog is built once per size, outside the measurement.
//!
//! Run: `cargo bench --bench audit`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use shopkeep::catalog::Catalog;
use shopkeep::catalog::synthetic::generate;

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures/six-questions.yaml");
    let source = std::fs::read_to_string(&path).expect("the bench finder is in the repository");
    let (flow, problems) = shopkeep::flow::compile(&path, &source);
    let flow = flow.unwrap_or_else(|| panic!("the bench finder compiles: {problems:?}"));
    let mut criterion = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .configure_from_args();
    let mut group = criterion.benchmark_group("audit six questions");
    for n in [10_000, 100_000] {
        let products: Vec<_> = generate(n, 7).collect();
        let catalog = Catalog::from_products(&products).expect("the synthetic catalog indexes");
        let audit = shopkeep::audit::audit(&flow, &catalog, Some(4), &mut |_| {}).expect("audit");
        eprintln!(
            "{n} products: {} answer paths, {} empty, {} thin",
            audit.paths,
            audit.empty.len(),
            audit.thin.len()
        );
        group.bench_with_input(BenchmarkId::from_parameter(n), &catalog, |b, catalog| {
            b.iter(|| {
                let audit =
                    shopkeep::audit::audit(&flow, catalog, Some(4), &mut |_| {}).expect("audit");
                black_box(audit.paths)
            });
        });
    }
    group.finish();
    criterion.final_summary();
}
