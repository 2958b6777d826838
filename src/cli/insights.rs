//! `shopkeep insights FINDER [--since 7d]`: the insights report's tables in the terminal (or one as CSV).
//!
//! It asks the running server's admin API (`--server`, default `http://127.0.0.1:8080`, with `--admin-token`),
//! because a running server holds the data folder locked and keeps the newest figures in memory; with `--data DIR`
//! it reads a stopped server's data folder instead. Both give the same report ([`crate::insights::Report`]).

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::flow::Flows;
use crate::insights::report::{TABLES, Table, arm_flow, date_label};
use crate::insights::{Grain, Insights, Range, Report};
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct InsightsArgs {
    /// The finder's id.
    pub finder: String,
    /// The span up to now: 24h, 7d, 4w.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub since: Option<String>,
    /// The first day (2026-12-01, UTC).
    #[arg(long)]
    pub from: Option<String>,
    /// The last day, included (2026-12-07, UTC).
    #[arg(long)]
    pub to: Option<String>,
    /// Only this finder version below the funnel.
    #[arg(long, conflicts_with = "arm")]
    pub version: Option<String>,
    /// Only this arm of the finder's experiment below the funnel: control or variant.
    #[arg(long)]
    pub arm: Option<String>,
    /// The running server to ask.
    #[arg(long, env = "SHOPKEEP_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The server's admin token (serve --admin-token); not needed on the server's own machine without one.
    #[arg(long, env = "SHOPKEEP_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Read a stopped server's data folder instead of asking a running one.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The finders (for the order of the questions) when reading --data.
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
    /// Print one table as CSV instead: funnel, arms, series, questions, answers, paths, not_understood,
    /// products, answer_products.
    #[arg(long, value_name = "TABLE")]
    pub csv: Option<String>,
    /// Rows shown per table in the terminal.
    #[arg(long, default_value_t = 15)]
    pub rows: usize,
}

pub(super) fn insights(args: InsightsArgs) -> anyhow::Result<()> {
    if let Some(table) = &args.csv
        && !TABLES.contains(&table.as_str())
    {
        bail!(
            "there is no table `{table}`; use one of: {}",
            TABLES.join(", ")
        );
    }
    let report = match &args.data {
        Some(dir) => from_data(&args, dir)?,
        None => from_server(&args)?,
    };
    let out = match &args.csv {
        Some(table) => report.csv(table).unwrap_or_default(),
        None => render(&report, args.rows),
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) ends quietly.
    let _ = std::io::Write::write_all(&mut stdout, out.as_bytes());
    Ok(())
}

fn from_data(args: &InsightsArgs, dir: &std::path::Path) -> anyhow::Result<Report> {
    let range = Range::parse(
        args.since.as_deref(),
        args.from.as_deref(),
        args.to.as_deref(),
        crate::store::now(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !Store::exists(dir) {
        bail!(
            "`{}` holds no shopkeep data; pass the folder `serve --data` uses",
            dir.display()
        );
    }
    let store = Store::open(dir).map_err(|e| {
        anyhow::anyhow!("{e}; while the server runs, ask it instead: drop --data and pass --server")
    })?;
    let mut insights = Insights::default();
    store.each_insights(&mut |key, bucket| insights.restore(key, bucket))?;
    // The finder as the server would serve it (its variant joined), for the question order and the arms.
    let flows = Flows::load_dir(&args.flows).ok().map(|(flows, _)| flows);
    let flow = flows.as_ref().and_then(|f| f.get(&args.finder));
    if !insights.finders().contains_key(&args.finder) && flow.is_none() {
        let known: Vec<String> = insights.finders().into_keys().collect();
        bail!(
            "no figures for finder `{}`; finders with figures: {}",
            args.finder,
            if known.is_empty() {
                "none yet".to_string()
            } else {
                known.join(", ")
            }
        );
    }
    // One arm's tables are its version's, in its own question order, as the API gives them.
    let (version, ordered) = match args.arm.as_deref() {
        None => (args.version.clone(), flow.cloned()),
        Some(arm) => {
            let arm = arm_flow(flow, arm).map_err(|e| anyhow::anyhow!("--arm: {e}"))?;
            (Some(arm.version.clone()), Some(arm))
        }
    };
    let order = ordered
        .map(|f| crate::insights::question_order(&f))
        .unwrap_or_default();
    let mut report = insights.report(&args.finder, &range, version.as_deref(), &order);
    if let Some(flow) = flow {
        report.set_experiment(flow);
    }
    Ok(report)
}

fn from_server(args: &InsightsArgs) -> anyhow::Result<Report> {
    let mut query = Vec::new();
    for (name, value) in [
        ("since", &args.since),
        ("from", &args.from),
        ("to", &args.to),
        ("version", &args.version),
        ("arm", &args.arm),
    ] {
        if let Some(value) = value {
            query.push(format!("{name}={}", encode(value)));
        }
    }
    let path = format!(
        "/admin/insights/{}?{}",
        encode(&args.finder),
        query.join("&")
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (status, body) = runtime.block_on(get(&args.server, &path, args.admin_token.as_deref()))?;
    if status != 200 {
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or(body);
        bail!("the server answered {status}: {message}");
    }
    serde_json::from_str(&body)
        .context("the server's answer is not an insights report; is it the same shopkeep version?")
}

/// Percent-encodes a query value or path segment.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One GET over HTTP/1.1 (plain `http://`; put TLS in front of the server, not between this and it).
async fn get(server: &str, path: &str, token: Option<&str>) -> anyhow::Result<(u16, String)> {
    use http_body_util::BodyExt;
    let Some(authority) = server.trim_end_matches('/').strip_prefix("http://") else {
        bail!("--server `{server}` must start with http:// (such as http://127.0.0.1:8080)");
    };
    let stream = tokio::time::timeout(std::time::Duration::from_secs(10), tokio::net::TcpStream::connect(authority))
        .await
        .map_err(|_| anyhow::anyhow!("{server} did not answer within 10 s"))?
        .with_context(|| format!("cannot reach {server}; is `shopkeep serve` running there? (or read a data folder with --data)"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = hyper::Request::get(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::ACCEPT, "application/json");
    if let Some(token) = token {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = sender
        .send_request(request.body(http_body_util::Empty::<hyper::body::Bytes>::new())?)
        .await
        .with_context(|| format!("asking {server} failed"))?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).to_string()))
}

/// Every table, each as aligned columns under a title, at most `rows` rows each.
pub fn render(report: &Report, rows: usize) -> String {
    let range = format!(
        "{} – {} UTC",
        date_label(report.range.from, Grain::Hour),
        date_label(report.range.to, Grain::Hour)
    );
    let version = report
        .version
        .as_deref()
        .map(|v| format!(", version {v}"))
        .unwrap_or_default();
    let mut out = format!("{}: {range}{version}\n", report.finder);
    for table in TABLES {
        let Some(Table {
            columns,
            rows: body,
        }) = report.table(table)
        else {
            continue;
        };
        // What shoppers typed is shown, never obeyed: no escape sequence or bidirectional override reaches the
        // terminal (figures stored before texts were cleaned when kept could still hold them).
        let mut cells: Vec<Vec<String>> = body
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|c| crate::text::printable(&c.text).into_owned())
                    .collect()
            })
            .collect();
        let total = cells.len();
        if table == "series" {
            // Bucket starts as dates, not seconds; the latest buckets when they are too many to show.
            for row in &mut cells {
                if let Some(start) = row
                    .first_mut()
                    .and_then(|c| c.parse::<u64>().ok().map(|s| (c, s)))
                {
                    *start.0 = date_label(start.1, report.step);
                }
            }
            cells.drain(..total.saturating_sub(rows));
        }
        cells.truncate(rows);
        out.push_str(&format!(
            "\n{table}{}\n",
            match (total > rows, table) {
                (true, "series") => format!(" (the latest {rows} of {total})"),
                (true, _) => format!(" ({rows} of {total})"),
                _ => String::new(),
            }
        ));
        if total == 0 {
            out.push_str("  (nothing yet)\n");
            continue;
        }
        cells.insert(0, columns);
        // Columns aligned by the width a terminal gives each character (two for Japanese).
        let width = |cell: &str| unicode_width::UnicodeWidthStr::width(cell);
        let widths: Vec<usize> = (0..cells[0].len())
            .map(|i| {
                cells
                    .iter()
                    .map(|r| r.get(i).map_or(0, |c| width(c)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &cells {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell}{}", " ".repeat(w.saturating_sub(width(cell)))))
                .collect();
            out.push_str(&format!("  {}\n", line.join("  ").trim_end()));
        }
        if table == "arms" {
            out.push_str(&arm_difference(report));
        }
    }
    out
}

/// The experiment's result in words under the arms table: the variant's difference from the control in
/// completion and click-through, in percentage points, with the 95 % interval (the API's figures, times 100).
fn arm_difference(report: &Report) -> String {
    let Some(variant) = report.arms.iter().find(|a| a.arm == "variant") else {
        return String::new();
    };
    let points =
        |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{:+.1}", v * 100.0));
    let figure = |name: &str, d: Option<f64>, low: Option<f64>, high: Option<f64>| match d {
        Some(_) => format!(
            "  {name}: variant − control {} points (95 % interval {} to {})\n",
            points(d),
            points(low),
            points(high)
        ),
        None => format!("  {name}: no difference yet (an arm has no conversations in the range)\n"),
    };
    let mut out = figure(
        "completion",
        variant.completion_difference,
        variant.completion_low,
        variant.completion_high,
    );
    out.push_str(&figure(
        "click-through",
        variant.click_through_difference,
        variant.click_through_low,
        variant.click_through_high,
    ));
    out.push_str("  (Newcombe's hybrid score interval; an interval that holds 0 shows no clear difference yet)\n");
    out
}
