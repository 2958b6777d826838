//! `shopkeep eval-recs`: scores next-item prediction on an event log (HR@20, MRR@20, co-occurrence against
//! popularity), and writes a generated log with planted structure.

use std::path::PathBuf;

use anyhow::Context;

use crate::recommend::eval::{self, Row};
use crate::shop_events::Kind;

/// Score the recommendations' next-item prediction on an event log, against a popularity baseline.
#[derive(Debug, clap::Args)]
pub struct EvalRecsArgs {
    /// The log: CSV with a header naming `session` (or `visitorid`), `timestamp` (seconds or milliseconds),
    /// `product` (or `itemid`) and `kind` (or `event`: viewed/view, added_to_cart/addtocart,
    /// purchased/transaction, clicked).
    pub events: PathBuf,
    /// Write a generated log with planted product pairs to EVENTS instead of scoring it.
    #[arg(long)]
    pub generate: bool,
    #[arg(long, default_value_t = 20_000)]
    pub sessions: usize,
    #[arg(long, default_value_t = 2_000)]
    pub products: usize,
    #[arg(long, default_value_t = 30)]
    pub days: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub(super) fn eval_recs(args: EvalRecsArgs) -> anyhow::Result<()> {
    if args.generate {
        let rows = eval::generate(args.sessions, args.products, args.days, args.seed);
        let mut out = csv::Writer::from_path(&args.events)
            .with_context(|| format!("cannot write `{}`", args.events.display()))?;
        out.write_record(["session", "timestamp", "product", "kind"])?;
        for row in &rows {
            out.write_record([
                &row.session,
                &row.at.to_string(),
                &row.product,
                row.kind.name(),
            ])?;
        }
        out.flush()?;
        eprintln!(
            "wrote {} events of {} sessions to {}",
            rows.len(),
            args.sessions,
            args.events.display()
        );
        return Ok(());
    }
    let rows = read(&args.events)?;
    let started = std::time::Instant::now();
    let evaluation = eval::evaluate(rows);
    let took = started.elapsed();
    println!(
        "{} events over {} days; trained on {}, scored {} next-item predictions (last 10 % of days) in {:.1} s\n",
        evaluation.events,
        evaluation.days,
        evaluation.train_events,
        evaluation.cooccurrence.predictions,
        took.as_secs_f64()
    );
    println!("| model | HR@{0} | MRR@{0} |", eval::CUTOFF);
    println!("|---|---|---|");
    for (name, score) in [
        ("co-occurrence (viewed together)", &evaluation.cooccurrence),
        ("popularity", &evaluation.popularity),
    ] {
        println!("| {name} | {:.3} | {:.3} |", score.hit_rate(), score.mrr());
    }
    Ok(())
}

fn read(path: &std::path::Path) -> anyhow::Result<Vec<Row>> {
    let mut csv = csv::Reader::from_path(path)
        .with_context(|| format!("cannot read `{}`; give a CSV event log", path.display()))?;
    let header: Vec<String> = csv
        .headers()?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let column = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.as_str()))
            .with_context(|| {
                format!(
                    "`{}` has no column {}; the header is: {}",
                    path.display(),
                    names.join(" or "),
                    header.join(",")
                )
            })
    };
    let (session, timestamp, product, kind) = (
        column(&["session", "visitorid", "session_id"])?,
        column(&["timestamp", "time", "at"])?,
        column(&["product", "itemid", "item_id", "product_id"])?,
        column(&["kind", "event", "event_type"])?,
    );
    let mut rows = Vec::new();
    for (n, record) in csv.records().enumerate() {
        let line = n + 2;
        let record = record.with_context(|| format!("line {line}: not CSV"))?;
        let field = |i: usize| record.get(i).unwrap_or_default().trim();
        let at: u64 = field(timestamp).parse().with_context(|| {
            format!(
                "line {line}: the timestamp `{}` is not a whole number",
                field(timestamp)
            )
        })?;
        // Milliseconds (as public logs often have) become seconds.
        let at = if at > 100_000_000_000 { at / 1000 } else { at };
        let kind = match field(kind) {
            "viewed" | "view" | "page" => Kind::Viewed,
            "clicked" | "click" => Kind::Clicked,
            "added_to_cart" | "addtocart" | "cart" => Kind::AddedToCart,
            "purchased" | "transaction" | "purchase" => Kind::Purchased,
            other => anyhow::bail!(
                "line {line}: unknown event kind `{other}`; use viewed, clicked, added_to_cart or purchased"
            ),
        };
        rows.push(Row {
            session: field(session).to_string(),
            at,
            product: field(product).to_string(),
            kind,
        });
    }
    Ok(rows)
}

/// Measure shop events and recommendations at scale: durable ingest over HTTP batches, then recommendation
/// requests against what was stored (figures for BENCHMARKS.md).
#[derive(Debug, clap::Args)]
pub struct BenchRecsArgs {
    /// Synthetic products served (seed 1).
    #[arg(long, default_value_t = 100_000)]
    pub products: usize,
    /// Shop events stored before the recommendation requests.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: usize,
    /// Concurrent HTTP connections posting events.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Events per POST (the server takes at most 1 000).
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Recommendation requests, one after another.
    #[arg(long, default_value_t = 2000)]
    pub requests: usize,
    /// Where the catalog and the store go (the disk being measured); default: the temp dir.
    #[arg(long)]
    pub scratch: Option<PathBuf>,
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
}

pub(super) fn bench_recs(args: BenchRecsArgs) -> anyhow::Result<()> {
    use crate::loadgen::{bench_limits, catalog_load, events_load, recs_load};
    use crate::server::{self, App, Limits, Settings};
    if !(1..=1000).contains(&args.batch) || args.connections == 0 || args.products == 0 {
        anyhow::bail!("--batch is 1 to 1000, --connections and --products at least 1");
    }
    let scratch = match &args.scratch {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .context("cannot make a scratch folder; pass another --scratch")?;
    let (flows, _) = crate::setup::load_flows(&args.flows)?;
    eprintln!("writing and indexing {} synthetic products", args.products);
    let synthetic = catalog_load::write_synthetic(&scratch.path().join("catalog"), args.products)?;
    let started = std::time::Instant::now();
    let (catalog, _) = crate::catalog::Catalog::from_dir(&synthetic.dir)?;
    eprintln!("indexed in {:.1} s", started.elapsed().as_secs_f64());
    let mut ids = Vec::with_capacity(args.products);
    crate::catalog::feed::read_all(&crate::catalog::feed::files(&synthetic.dir)?, &mut |p| {
        ids.push(p.id)
    })?;
    let store = crate::store::Store::open(&scratch.path().join("data"))?;
    let settings = Settings {
        limits: Limits {
            events_per_second: 0,
            ..bench_limits()
        },
        api_keys: vec![crate::secret::TokenHash::new(events_load::API_KEY)],
        ..Settings::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let figures = runtime.block_on(async {
        let (state, shutdown) = App::new(flows, catalog, store, settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let served = tokio::spawn(server::run(listener, state));
        let figures = recs_load::run(
            addr,
            std::sync::Arc::new(ids),
            args.events,
            args.connections,
            args.batch,
            args.requests,
            &mut |line| eprintln!("{line}"),
        )
        .await;
        shutdown.trigger();
        let _ = served.await;
        anyhow::Ok(figures?)
    })?;
    let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "| durable ingest | events | batch | connections | events/s | POST p50 | POST p99 | refused |\n|---|---|---|---|---|---|---|---|"
    );
    println!(
        "| `POST /v1/events` | {} | {} | {} | {:.0} | {:.1} ms | {:.1} ms | {} |\n",
        figures.events,
        args.batch,
        args.connections,
        figures.per_second(),
        ms(&figures.batch_latency, 0.5),
        ms(&figures.batch_latency, 0.99),
        figures.refused
    );
    println!(
        "| recommendations | products | stored events | requests | p50 | p99 | max | empty |\n|---|---|---|---|---|---|---|---|"
    );
    println!(
        "| `GET …/recommendations?limit=10` | {} | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {} |",
        args.products,
        figures.events,
        args.requests,
        ms(&figures.latency, 0.5),
        ms(&figures.latency, 0.99),
        figures.latency.max() as f64 / 1000.0,
        figures.empty
    );
    Ok(())
}
