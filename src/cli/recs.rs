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
