//! The catalog commands: `query`, `index`, `gen-catalog`.

use super::load;
use crate::catalog::Catalog;
use crate::conversation::{self, Answered, Input, Reply, Session};
use anyhow::{Context, bail};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The finder's id.
    pub flow: String,
    /// Answers: `question=value`, `question=a,b` (multi), `question=..120` / `80..120` or typed text such as
    /// `"budget=under 120"` / `budget=2万円台` (range), `question="text"`.
    pub answers: Vec<String>,
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
    #[arg(long, default_value = "catalog")]
    pub catalog: PathBuf,
    #[arg(long)]
    pub locale: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Folder of feeds: *.jsonl, *.csv (generic or Shopify export), *.tsv and *.xml (Google Merchant Center).
    #[arg(default_value = "catalog")]
    pub catalog: PathBuf,
    /// Write the tantivy index to this new (or empty) folder instead of only building it in memory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The currency of prices that name none.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// The separator of list cells (tags) in generic CSV; by default `|` when a cell has one, else `,`.
    #[arg(long, value_name = "CHAR")]
    pub list_separator: Option<char>,
}

#[derive(Debug, clap::Args)]
pub struct GenCatalogArgs {
    /// How many products.
    #[arg(long, default_value_t = 10_000)]
    pub products: usize,
    /// The random seed: the same seed writes the same catalog.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Whether `value` is `min..max` with either side a plain number or empty, or one plain number.
fn is_numeric_range(value: &str) -> bool {
    let (min, max) = value.split_once("..").unwrap_or(("", value));
    [min, max]
        .iter()
        .all(|s| s.trim().is_empty() || s.trim().parse::<f64>().is_ok())
        && !(min.trim().is_empty() && max.trim().is_empty())
}

/// Reads `question=value` into an answer to that question.
fn parse_answer(flow: &crate::flow::Flow, arg: &str) -> anyhow::Result<Answered> {
    let (question, value) = arg
        .split_once('=')
        .with_context(|| format!("`{arg}` is not question=value"))?;
    let q = flow
        .question(question)
        .with_context(|| format!("finder `{}` has no question `{question}`", flow.id))?;
    let reply = match q.kind {
        crate::flow::Kind::Multi => Reply::Values(value.split(',').map(str::to_string).collect()),
        // `80..120`, `..120`, `80..` as numbers; anything else is typed text, read as the socket reads it
        // (`under 120`, `2万円台`).
        crate::flow::Kind::Range if !is_numeric_range(value) => Reply::Text(value.to_string()),
        crate::flow::Kind::Range => {
            let (min, max) = value.split_once("..").unwrap_or(("", value));
            let num = |s: &str| -> anyhow::Result<Option<f64>> {
                if s.trim().is_empty() {
                    Ok(None)
                } else {
                    Ok(Some(
                        s.trim()
                            .parse()
                            .with_context(|| format!("`{s}` is not a number"))?,
                    ))
                }
            };
            Reply::Range {
                min: num(min)?,
                max: num(max)?,
            }
        }
        _ if q.options.iter().any(|o| o.value == value) => Reply::Value(value.to_string()),
        _ => Reply::Text(value.to_string()),
    };
    // Let the engine interpret it exactly as it would in a conversation.
    let mut session = Session::new("query".into(), flow, None, None);
    session.at = conversation::Position::Asking(q.id.clone());
    let (session, _) = conversation::step(flow, session, Input::Answer(reply));
    session
        .answers
        .into_iter()
        .next()
        .with_context(|| format!("`{value}` is not an answer to `{question}`"))
}

pub(super) fn query(args: QueryArgs) -> anyhow::Result<()> {
    let (flows, catalog) = load(&args.flows, &args.catalog, None)?;
    let flow = flows
        .get(&args.flow)
        .with_context(|| format!("there is no finder `{}`", args.flow))?;
    let mut session = Session::new("query".into(), flow, args.locale.as_deref(), None);
    for arg in &args.answers {
        session.answers.push(parse_answer(flow, arg)?);
    }
    let result = flow
        .nodes
        .iter()
        .find_map(|n| match n {
            crate::flow::Node::Results(r) => Some(r),
            _ => None,
        })
        .context("the finder has no result node")?;
    let request = conversation::request(flow, &session, result.count, result.min);
    let outcome = catalog.find(&request)?;
    let total = outcome.total;
    let showcase = conversation::present(flow, &session, &result.id, outcome);
    println!("{}", showcase.title);
    if let Some(intro) = &showcase.intro {
        println!("{intro}");
    }
    for (_, label) in &showcase.relaxed {
        println!("relaxed: {label}");
    }
    for (n, pick) in showcase.picks.iter().enumerate() {
        let p = &pick.product;
        println!(
            "{}. {} — {} ({}){}",
            n + 1,
            p.title,
            crate::money::format(p.price, &p.currency),
            p.id,
            p.rating.map(|r| format!(" ★{r}")).unwrap_or_default()
        );
        println!("   {}", pick.line);
    }
    println!("{total} products pass the filters");
    Ok(())
}

pub(super) fn index(args: IndexArgs) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if !args.catalog.is_dir() {
        bail!(
            "catalog folder `{}` does not exist; pass the folder that holds your feeds",
            args.catalog.display()
        );
    }
    let currency = args.currency.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        bail!(
            "`{}` is not an ISO 4217 currency code such as USD or JPY; fix --currency",
            args.currency
        );
    }
    let options = crate::catalog::feed::ImportOptions {
        default_currency: currency,
        list_separator: args.list_separator,
    };
    let started = std::time::Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut progress = |stage: crate::catalog::Stage, done: usize| {
        if tty {
            let verb = match stage {
                crate::catalog::Stage::Reading => "read",
                crate::catalog::Stage::Indexing => "indexed",
            };
            eprint!("\r\x1b[2K{done} products {verb}…");
        }
    };
    let built = Catalog::build(&args.catalog, &options, args.out.as_deref(), &mut progress);
    if tty {
        eprint!("\r\x1b[2K");
    }
    let (catalog, reports) = built?;
    for report in &reports {
        println!("{report}");
    }
    let skipped: usize = reports.iter().map(|r| r.skipped.len()).sum();
    println!(
        "{} products indexed from {} files in {:.2}s; {skipped} rows skipped{}",
        catalog.len(),
        reports.len(),
        started.elapsed().as_secs_f64(),
        match &args.out {
            Some(out) => format!("; index written to `{}`", out.display()),
            None => String::new(),
        }
    );
    Ok(())
}

pub(super) fn gen_catalog(args: GenCatalogArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for product in crate::catalog::synthetic::generate(args.products, args.seed) {
        serde_json::to_writer(&mut out, &product)?;
        out.write_all(b"\n")
            .context("cannot write the catalog to stdout")?;
    }
    out.flush().context("cannot write the catalog to stdout")?;
    Ok(())
}
