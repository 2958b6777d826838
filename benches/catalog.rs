//! Catalog benchmarks: index build and the matcher at 10 k and 100 k synthetic products (and 1 M with
//! `SHOPKEEP_BENCH_1M=1`, since that takes minutes), with a bare tantivy query of the same shape measured in the
//! same run so the matcher's overhead can be quoted as a ratio on a busy machine.
//!
//! After criterion's groups, a latency pass runs the matcher and the bare query interleaved (so both see the same
//! machine load) and prints p50/p99 and the ratio, which criterion does not report. The 1 M build is timed once
//! (criterion would need ten samples of a minute each) and prints the process's peak memory (VmHWM).
//!
//! Run: `cargo bench --bench catalog` (add `SHOPKEEP_BENCH_1M=1` for 1 M).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use shopkeep::catalog::synthetic::generate;
use shopkeep::catalog::{Catalog, Constraint, MatchRequest, Op, Product, Scalar, Want};

fn sizes() -> Vec<usize> {
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("SHOPKEEP_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    sizes
}

fn label(n: usize) -> String {
    if n >= 1_000_000 {
        format!("{}M", n / 1_000_000)
    } else {
        format!("{}k", n / 1_000)
    }
}

fn eq(field: &str, value: &str, weight: f32) -> Constraint {
    Constraint {
        weight,
        ..Constraint::new(field, Op::Eq(Scalar::Text(value.into())))
    }
}

/// A running-shoe finder's result: 3 filters (category, budget, in stock), 4 boosts, top 6 explained.
fn request(top_brand: &str) -> MatchRequest {
    MatchRequest {
        scope: vec![eq("category", "running-shoes", 1.0)],
        wants: vec![
            Want {
                question: "budget".into(),
                label: "Under $150".into(),
                any_of: vec![vec![Constraint::new("price", Op::Lte(150.0))]],
                boosts: vec![eq("tags", "waterproof", 2.0)],
            },
            Want {
                question: "style".into(),
                label: "Trail, blue".into(),
                any_of: vec![],
                boosts: vec![
                    eq("terrain", "trail", 1.5),
                    eq("colour", "blue", 1.0),
                    eq("brand", top_brand, 0.5),
                ],
            },
        ],
        text: None,
        count: 6,
        in_stock_only: true,
        diversity: None,
        min: 1,
        relax_order: vec![],
    }
}

fn products(n: usize) -> Vec<Product> {
    generate(n, 1).collect()
}

fn bench_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    for n in sizes().into_iter().filter(|&n| n <= 100_000) {
        let products = products(n);
        group.bench_function(BenchmarkId::from_parameter(label(n)), |b| {
            b.iter(|| Catalog::from_products(black_box(&products)).expect("index builds"))
        });
    }
    group.finish();
}

fn bench_match(c: &mut Criterion, catalogs: &[(usize, Catalog, MatchRequest)]) {
    let mut group = c.benchmark_group("match");
    for (n, catalog, request) in catalogs {
        group.bench_function(BenchmarkId::new("find", label(*n)), |b| {
            b.iter(|| catalog.find(black_box(request)).expect("find"))
        });
        group.bench_function(BenchmarkId::new("bare", label(*n)), |b| {
            b.iter(|| catalog.find_bare(black_box(request)).expect("bare"))
        });
    }
    group.finish();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// Interleaved runs of `find` and the bare query; prints p50, p99 and the ratios to the bare query.
fn latency(catalogs: &[(usize, Catalog, MatchRequest)]) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for (n, catalog, request) in catalogs {
        let rounds = if *n >= 1_000_000 { 300 } else { 2_000 };
        let mut runs: [Vec<Duration>; 2] = Default::default();
        for _ in 0..rounds {
            let started = Instant::now();
            black_box(catalog.find(request).expect("find"));
            runs[0].push(started.elapsed());
            let started = Instant::now();
            black_box(catalog.find_bare(request).expect("bare"));
            runs[1].push(started.elapsed());
        }
        let [find, bare] = runs.map(|mut run| {
            run.sort_unstable();
            (ms(percentile(&run, 0.5)), ms(percentile(&run, 0.99)))
        });
        println!(
            "latency {}: find p50 {:.3} ms p99 {:.3} ms | bare p50 {:.3} ms p99 {:.3} ms | ratio p50 {:.2}x p99 {:.2}x ({rounds} rounds)",
            label(*n),
            find.0,
            find.1,
            bare.0,
            bare.1,
            find.0 / bare.0,
            find.1 / bare.1,
        );
    }
}

/// The process's peak resident memory so far, from /proc (Linux only).
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_build(&mut criterion);
    let mut catalogs = Vec::new();
    for n in sizes() {
        let products = products(n);
        let top_brand = products
            .iter()
            .find(|p| p.category == "running-shoes")
            .map(|p| p.brand.clone())
            .unwrap_or_default();
        let started = Instant::now();
        let catalog = Catalog::from_products(&products).expect("index builds");
        if n >= 1_000_000 {
            println!(
                "build {}: {:.1} s once, in memory; peak memory of this process so far {:.0} MB (includes the {} products held in a Vec)",
                label(n),
                started.elapsed().as_secs_f64(),
                peak_memory_mb().unwrap_or(f64::NAN),
                n
            );
        }
        catalogs.push((n, catalog, request(&top_brand)));
    }
    bench_match(&mut criterion, &catalogs);
    criterion.final_summary();
    latency(&catalogs);
}
