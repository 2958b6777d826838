//! The bench report: ready-to-paste markdown tables (medians with min–max, every figure also as a ratio to the
//! echo baseline *B* of the same run) and an SVG plot of p99 latency against concurrency (`plot.rs`).

use std::fmt::Write;

use super::Report;
use super::client::{Outcome, Turns};

/// `nproc` and the CPU model, as one line.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    format!("{cores} cores, {model}")
}

/// Median, min and max of `values` (which must not be empty to mean anything).
fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    match values.as_slice() {
        [] => (0.0, 0.0, 0.0),
        all => {
            let mid = all.len() / 2;
            let median = if all.len() % 2 == 1 {
                all[mid]
            } else {
                (all[mid - 1] + all[mid]) / 2.0
            };
            (median, all[0], all[all.len() - 1])
        }
    }
}

/// `median (min–max)`, or just the median with one run.
fn cell(values: Vec<f64>, digits: usize) -> String {
    let n = values.len();
    let (median, min, max) = spread(values);
    if n <= 1 {
        format!("{median:.digits$}")
    } else {
        format!("{median:.digits$} ({min:.digits$}–{max:.digits$})")
    }
}

type Figure = fn(&Outcome) -> f64;

fn class_rate(outcome: &Outcome, turns: &Turns) -> f64 {
    outcome.rate(turns)
}

/// A target on a ratio to B: at least (`true`) or at most (`false`) the bound.
type Target = Option<(bool, f64)>;

/// Rows of the headline table: label, figure, digits, target on the ratio.
const ROWS: &[(&str, Figure, usize, Target)] = &[
    (
        "non-final turns/s",
        |o| class_rate(o, &o.non_final),
        0,
        Some((true, 0.5)),
    ),
    (
        "non-final p50 (µs)",
        |o| o.non_final.micros(0.5) as f64,
        0,
        None,
    ),
    (
        "non-final p99 (µs)",
        |o| o.non_final.micros(0.99) as f64,
        0,
        Some((false, 1.5)),
    ),
    (
        "non-final p999 (µs)",
        |o| o.non_final.micros(0.999) as f64,
        0,
        None,
    ),
    (
        "final (match) turns/s",
        |o| class_rate(o, &o.final_),
        0,
        None,
    ),
    ("final p50 (µs)", |o| o.final_.micros(0.5) as f64, 0, None),
    ("final p99 (µs)", |o| o.final_.micros(0.99) as f64, 0, None),
    (
        "final p999 (µs)",
        |o| o.final_.micros(0.999) as f64,
        0,
        None,
    ),
    ("errors", |o| o.errors() as f64, 0, None),
];

fn verdict(ratio: f64, target: Target) -> String {
    match target {
        Some((true, bound)) => format!(
            "≥ {bound} × B: {}",
            if ratio >= bound { "met" } else { "missed" }
        ),
        Some((false, bound)) => format!(
            "≤ {bound} × B: {}",
            if ratio <= bound { "met" } else { "missed" }
        ),
        None => String::new(),
    }
}

/// The whole report as markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Machine: {}. Target: {}.\n",
        report.machine, report.target
    );
    if let Some(first) = report.runs.first() {
        let _ = writeln!(
            out,
            "#### {} concurrent conversations, {} runs of {:.0} s each (median, min–max over runs)\n",
            first.shopkeep.connections,
            report.runs.len(),
            report.duration.as_secs_f64()
        );
        out.push_str(
            "| figure | shopkeep | B (bare echo) | ratio to B | target |\n|---|---|---|---|---|\n",
        );
        for (label, figure, digits, target) in ROWS {
            let ours: Vec<f64> = report.runs.iter().map(|p| figure(&p.shopkeep)).collect();
            let base: Vec<f64> = report.runs.iter().map(|p| figure(&p.echo)).collect();
            let ratios: Vec<f64> = report
                .runs
                .iter()
                .map(|p| figure(&p.shopkeep) / figure(&p.echo).max(1e-9))
                .collect();
            let (median_ratio, _, _) = spread(ratios.clone());
            let ratio = if *label == "errors" {
                String::new()
            } else {
                cell(ratios, 2)
            };
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {ratio} | {} |",
                cell(ours, *digits),
                cell(base, *digits),
                verdict(median_ratio, *target)
            );
        }
        out.push('\n');
    }
    if !report.sweep.is_empty() {
        out.push_str("#### Sweep: non-final turns against concurrency (one run each)\n\n");
        out.push_str("| conversations | shopkeep turns/s | B turns/s | ratio | shopkeep p99 (µs) | B p99 (µs) | ratio |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for pair in &report.sweep {
            let (ours, base) = (&pair.shopkeep, &pair.echo);
            let (rate, base_rate) = (ours.rate(&ours.non_final), base.rate(&base.non_final));
            let (p99, base_p99) = (ours.non_final.micros(0.99), base.non_final.micros(0.99));
            let _ = writeln!(
                out,
                "| {} | {rate:.0} | {base_rate:.0} | {:.2} | {p99} | {base_p99} | {:.2} |",
                ours.connections,
                rate / base_rate.max(1e-9),
                p99 as f64 / (base_p99 as f64).max(1.0)
            );
        }
        out.push('\n');
    }
    if let Some(d) = &report.durability {
        out.push_str("#### Durable acknowledgements\n\n");
        let _ = writeln!(
            out,
            "| store mode | bare write + fdatasync /s (append; overwrite) | durable acks/s, 1 session | durable acks/s, {} sessions | ratio to fdatasync | target |",
            d.sessions
        );
        out.push_str("|---|---|---|---|---|---|\n");
        let ratio = d.ratio();
        let _ = writeln!(
            out,
            "| power (default) | {:.0}; {:.0} | {:.0} | {:.0} | {ratio:.1} | ≥ 10 × : {} |",
            d.fdatasync_per_sec,
            d.overwrite_fdatasync_per_sec,
            d.single_acks_per_sec,
            d.acks_per_sec,
            if ratio >= 10.0 { "met" } else { "missed" }
        );
        let _ = writeln!(
            out,
            "| process | {:.0}; {:.0} | {:.0} | {:.0} | {:.1} | — |\n",
            d.fdatasync_per_sec,
            d.overwrite_fdatasync_per_sec,
            d.process_single_acks_per_sec,
            d.process_acks_per_sec,
            d.process_acks_per_sec / d.fdatasync_per_sec.max(1e-9)
        );
    }
    if let Some(run) = &report.catalog {
        let _ = writeln!(
            out,
            "#### Against {} synthetic products (index built in {:.1} s), one conversation\n",
            run.products, run.build_secs
        );
        out.push_str(
            "Client-side latency, so each figure is the server's time plus two loopback hops.\n\n",
        );
        out.push_str(
            "| turn | shopkeep p50 (µs) | p99 (µs) | p999 (µs) | B p99 (µs) | turns/s |\n",
        );
        out.push_str("|---|---|---|---|---|---|\n");
        let (ours, base) = (&run.single.shopkeep, &run.single.echo);
        for (label, turns, base_turns) in [
            ("non-final", &ours.non_final, &base.non_final),
            ("final (match)", &ours.final_, &base.final_),
        ] {
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {} | {} | {:.0} |",
                turns.micros(0.5),
                turns.micros(0.99),
                turns.micros(0.999),
                base_turns.micros(0.99),
                ours.rate(turns)
            );
        }
        out.push('\n');
    }
    if let Some(r) = &report.reindex {
        let _ = writeln!(
            out,
            "#### Turns while {} products are reindexed back to back ({} {}, {:.1} s each)\n",
            r.products,
            r.reloads,
            if r.reloads == 1 {
                "reindex"
            } else {
                "reindexes"
            },
            r.reload_secs
        );
        out.push_str("| conversations | shopkeep turns/s | B turns/s | shopkeep p99 (µs) | B p99 (µs) | p99 ratio | target |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        let (ours, base) = (&r.shopkeep, &r.echo);
        let (p99, base_p99) = (ours.non_final.micros(0.99), base.non_final.micros(0.99));
        let ratio = p99 as f64 / (base_p99 as f64).max(1.0);
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {p99} | {base_p99} | {ratio:.2} | ≤ 2 × B: {} |\n",
            ours.connections,
            ours.rate(&ours.non_final),
            base.rate(&base.non_final),
            if ratio <= 2.0 { "met" } else { "missed" }
        );
    }
    if let Some(run) = &report.events {
        let _ = writeln!(
            out,
            "#### This round's features on: every walk gives an email and consent, finished finders queue their picks email, and a shop posts {} events/s over HTTP (`/v1/events`, batches every 100 ms)\n",
            run.posted.rate
        );
        out.push_str("| conversations | emails queued | events stored/s | batches refused | POST p99 (µs) | shopkeep turns/s | B turns/s | ratio | shopkeep p99 (µs) | B p99 (µs) | p99 ratio | target |\n");
        out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        let (ours, base) = (&run.pair.shopkeep, &run.pair.echo);
        let (rate, base_rate) = (ours.rate(&ours.non_final), base.rate(&base.non_final));
        let (p99, base_p99) = (ours.non_final.micros(0.99), base.non_final.micros(0.99));
        let (ratio, p99_ratio) = (
            rate / base_rate.max(1e-9),
            p99 as f64 / (base_p99 as f64).max(1.0),
        );
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {} | {rate:.0} | {base_rate:.0} | {ratio:.2} | {p99} | {base_p99} | {p99_ratio:.2} | ≥ 0.5 × B: {}; p99 ≤ 1.5 × B: {} |\n",
            ours.connections,
            run.emails,
            run.posted.per_second(),
            run.posted.refused,
            run.posted.latency.value_at_quantile(0.99),
            if ratio >= 0.5 { "met" } else { "missed" },
            if p99_ratio <= 1.5 { "met" } else { "missed" }
        );
    }
    if let Some(large) = &report.large {
        let _ = writeln!(
            out,
            "#### `serve --index` over {} synthetic products (child process, {} conversations)\n",
            large.products, large.outcome.connections
        );
        out.push_str("| index --out (s) | start to serving (s) | RSS at start (MiB) | RSS after (MiB) | peak RSS (MiB) | final p50 (µs) | final p99 (µs) | non-final p99 (µs) | final turns/s | errors | targets |\n");
        out.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
        let o = &large.outcome;
        let final_p99 = o.final_.micros(0.99);
        let verdict = |ok: bool| if ok { "met" } else { "missed" };
        let _ = writeln!(
            out,
            "| {:.1} | {:.2} | {:.0} | {:.0} | {:.0} | {} | {final_p99} | {} | {:.0} | {} | start ≤ 5 s: {}; RSS ≤ 1 GB: {}; final p99 ≤ 12 ms: {} |\n",
            large.index_secs,
            large.start_secs,
            large.rss_start_kib as f64 / 1024.0,
            large.rss_after_kib as f64 / 1024.0,
            large.hwm_kib as f64 / 1024.0,
            o.final_.micros(0.5),
            o.non_final.micros(0.99),
            o.rate(&o.final_),
            o.errors(),
            verdict(large.start_secs <= 5.0),
            verdict(large.hwm_kib <= 1024 * 1024),
            verdict(final_p99 <= 12_000)
        );
    }
    if let Some(idle) = &report.idle {
        out.push_str("#### Idle conversations (server in a child process)\n\n");
        out.push_str("| conversations | server RSS before (KiB) | after (KiB) | per conversation (KiB) | target |\n");
        out.push_str("|---|---|---|---|---|\n");
        let per = idle.kib_per_connection();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {per:.1} | ≤ 16 KiB: {} |\n",
            idle.connections,
            idle.rss_before_kib,
            idle.rss_after_kib,
            if per <= 16.0 { "met" } else { "missed" }
        );
    }
    out
}

pub use super::plot::svg;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ranges() {
        assert_eq!(spread(vec![3.0, 1.0, 2.0]), (2.0, 1.0, 3.0));
        assert_eq!(spread(vec![4.0, 1.0, 2.0, 3.0]), (2.5, 1.0, 4.0));
        assert_eq!(cell(vec![5.0], 0), "5");
        assert_eq!(cell(vec![1.0, 2.0, 3.0], 1), "2.0 (1.0–3.0)");
    }
}
