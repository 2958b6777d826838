//! `shopkeep check`: flow files, the `segments.yaml` beside a flows folder (as `serve` loads it), and with
//! `--catalog` every answer path against the catalog.

use crate::audit::{Audit, Cause, PathOutcome};
use crate::catalog::Catalog;
use crate::flow::{Flows, Problem, Severity, check_fields};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// A flow file or a folder of them.
    #[arg(default_value = "flows")]
    pub path: PathBuf,
    /// Also run every answer path of every finder against this catalog folder (default `catalog`) and name the
    /// paths that end with no products or too few. Field mappings are checked against it either way.
    #[arg(long, num_args = 0..=1, default_missing_value = "catalog", value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// With --catalog: report paths where fewer products than this meet every answer (default: the result's
    /// `min`, so exactly the paths where answers get loosened).
    #[arg(long, value_name = "N")]
    pub thin: Option<usize>,
    /// Check the flow files alone, without a catalog (field mappings are then not checked).
    #[arg(long, conflicts_with = "catalog")]
    pub no_catalog: bool,
    /// With --catalog: list every reported answer path, not only each cause once.
    #[arg(long)]
    pub all_paths: bool,
    /// `text` for people, `json` (one document on stdout) for tools.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub(super) fn check(args: CheckArgs) -> anyhow::Result<()> {
    let files = if args.path.is_dir() {
        Flows::files(&args.path)?
    } else {
        vec![args.path.clone()]
    };
    let catalog_dir = args
        .catalog
        .clone()
        .unwrap_or_else(|| PathBuf::from("catalog"));
    let text = args.format == Format::Text;
    // Without a catalog a misspelt field would pass unnoticed: that takes an explicit `--no-catalog`.
    let catalog = if args.no_catalog {
        eprintln!("note: --no-catalog: field mappings are not checked against a catalog");
        None
    } else {
        match Catalog::from_dir(&catalog_dir) {
            Ok((catalog, _)) => Some(catalog),
            Err(e) => bail!(
                "cannot check the field mappings: {e}; pass --catalog DIR to name the catalog folder, or --no-catalog to check the flow files alone"
            ),
        }
    };
    let (mut errors, mut warnings) = (0, 0);
    let mut reports: Vec<Value> = Vec::new();
    let shared = match args.path.is_dir() {
        true => crate::flow::Shared::load(&args.path.join("shared")),
        false => crate::flow::Shared::beside(&args.path),
    };
    for problem in &shared.problems {
        if text {
            println!("{problem}");
        }
        errors += 1;
    }
    let mut all_problems: Vec<Problem> = shared.problems.clone();
    for path in &files {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read flow `{}`", path.display()))?;
        let (flow, mut problems) = crate::flow::compile_with(path, &source, &shared);
        let mut report = json!({"file": path.display().to_string()});
        if let (Some(flow), Some(catalog)) = (&flow, &catalog) {
            let field_problems = check_fields(flow, catalog.fields());
            let fields_ok = field_problems.is_empty();
            problems.extend(field_problems);
            report["flow"] = json!(flow.id);
            if args.catalog.is_some() && fields_ok {
                let audit = run_audit(flow, catalog, args.thin, text)?;
                let causes = audit.causes();
                errors += causes.iter().filter(|c| c.error).count();
                warnings += causes.iter().filter(|c| !c.error).count();
                if text {
                    print_causes(flow, &audit, &causes, args.all_paths);
                }
                report["audit"] = audit_json(&audit, &causes, args.all_paths);
            }
        }
        for problem in &problems {
            if text {
                println!("{problem}");
            }
            match problem.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        report["problems"] = problems.iter().map(problem_json).collect();
        all_problems.extend(problems);
        reports.push(report);
    }
    // A folder is checked whole too: each experiment's variant against its finder (same id, no experiment of its
    // own, named by one finder) and ids used twice. Every file above, variants included, was checked on its own.
    let mut folder_problems = Vec::new();
    let loaded = args.path.is_dir().then(|| Flows::load_dir(&args.path));
    if let Some(Err(crate::flow::LoadError::Problems { problems })) = &loaded {
        let problems = problems.clone();
        for problem in problems {
            if !all_problems.contains(&problem) {
                if text {
                    println!("{problem}");
                }
                match problem.severity {
                    Severity::Error => errors += 1,
                    Severity::Warning => warnings += 1,
                }
                folder_problems.push(problem);
            }
        }
    }
    // The segments `serve` would load beside this folder, checked as it checks them.
    let segments = match &loaded {
        Some(Ok((flows, _))) => check_segments(&args.path, flows)?,
        Some(Err(_)) => {
            let file = crate::setup::default_segments_file(&args.path);
            if file.exists() && text {
                println!(
                    "note: `{}` is checked once the flows above have no errors",
                    file.display()
                );
            }
            None
        }
        None => None,
    };
    if let Some(segments) = &segments {
        for problem in &segments.problems {
            if text {
                println!("{problem}");
            }
            match problem.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        if text && segments.problems.is_empty() && segments.count > 0 {
            println!(
                "{}: {} segments checked ({})",
                segments.file.display(),
                segments.count,
                segments.names.join(", ")
            );
        }
    }
    if text {
        println!(
            "{} flows checked: {errors} errors, {warnings} warnings",
            files.len()
        );
    } else {
        let document = json!({
            "flows": reports,
            "shared_problems": shared.problems.iter().map(problem_json).collect::<Vec<_>>(),
            "folder_problems": folder_problems.iter().map(problem_json).collect::<Vec<_>>(),
            "segments": segments.as_ref().map(|s| json!({
                "file": s.file.display().to_string(),
                "segments": s.names,
                "problems": s.problems.iter().map(problem_json).collect::<Vec<_>>(),
            })),
            "errors": errors,
            "warnings": warnings,
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
    }
    if errors > 0 {
        bail!(
            "{errors} errors in the flows or segments; fix them (each names the file, line and fix)"
        );
    }
    Ok(())
}

/// What checking `segments.yaml` found.
struct SegmentsChecked {
    file: PathBuf,
    count: usize,
    names: Vec<String>,
    problems: Vec<Problem>,
}

/// Checks the segments `serve` would load for the flows folder `dir` (`segments.yaml` beside it) against its
/// finders, and every finder's `{segment: …}` condition against them; `None` when there is no such file and no
/// finder names a segment.
fn check_segments(dir: &std::path::Path, flows: &Flows) -> anyhow::Result<Option<SegmentsChecked>> {
    let file = crate::setup::default_segments_file(dir);
    match crate::setup::load_segments(&file, flows) {
        Ok(segments) if segments.list.is_empty() && !file.exists() => Ok(None),
        Ok(segments) => Ok(Some(SegmentsChecked {
            count: segments.list.len(),
            names: segments.names().into_iter().map(str::to_string).collect(),
            file,
            problems: Vec::new(),
        })),
        Err(crate::setup::SetupError::Segments { problems, .. }) => Ok(Some(SegmentsChecked {
            file,
            count: 0,
            names: Vec::new(),
            problems,
        })),
        Err(e) => Err(e.into()),
    }
}

fn problem_json(problem: &Problem) -> Value {
    json!({
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "severity": match problem.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "message": problem.message,
    })
}

/// Walks every answer path of one flow, with a progress line on a terminal.
fn run_audit(
    flow: &crate::flow::Flow,
    catalog: &Catalog,
    thin: Option<usize>,
    text: bool,
) -> anyhow::Result<Audit> {
    use std::io::IsTerminal;
    let started = std::time::Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut progress = |done: usize| {
        if tty {
            eprint!("\r{}: {done} answer paths checked", flow.id);
        }
    };
    let audit = crate::audit::audit(flow, catalog, thin, &mut progress)?;
    if tty {
        eprintln!();
    }
    if text {
        println!(
            "{}: {} answer paths in {:.2}s; {} end with no products, {} with fewer than {} exact matches{}",
            flow.file_name(),
            audit.paths,
            started.elapsed().as_secs_f64(),
            audit.empty.len(),
            audit.thin.len(),
            thin.map_or("the result's `min`".to_string(), |n| n.to_string()),
            if audit.truncated {
                " (stopped early: too many paths)"
            } else {
                ""
            }
        );
    }
    Ok(audit)
}

/// `terrain: Trail + budget: Under $50`, or the scope when a cause has no answers.
fn cause_label(answers: &[String]) -> String {
    if answers.is_empty() {
        "the finder's scope alone".to_string()
    } else {
        answers.join(" + ")
    }
}

/// What the shopper sees on one path.
fn seen(path: &PathOutcome) -> String {
    match (path.shown, path.relaxed.is_empty()) {
        (0, _) => "nothing".to_string(),
        (1, true) => "1 exact pick".to_string(),
        (n, true) => format!("{n} exact picks"),
        (n, false) => format!(
            "{n} picks ({} exact), loosened: {}",
            path.products.min(n),
            path.relaxed.join(", ")
        ),
    }
}

/// Each cause once, worst first: errors, then the causes that affect most paths.
fn print_causes(flow: &crate::flow::Flow, audit: &Audit, causes: &[Cause], all_paths: bool) {
    let file = flow.file_name();
    for cause in causes {
        let n = cause.paths.len();
        let plural = if n == 1 { "path" } else { "paths" };
        if cause.error {
            println!(
                "{file}: error: {} leaves no products, even after loosening what `relax` allows ({n} {plural}); list one of these questions under `relax`, widen a filter or add products",
                cause_label(&cause.answers)
            );
        } else {
            let (fewest, most) = cause.shown();
            let shows = if fewest == most {
                format!("{fewest}")
            } else {
                format!("{fewest}–{most}")
            };
            let loosened = match cause.loosened() {
                l if l.is_empty() => l,
                l => format!(", loosened: {l}"),
            };
            let leaves = match cause.products {
                0 => "leaves no product that meets every answer".to_string(),
                1 => "leaves only 1 product".to_string(),
                n => format!("leaves only {n} products"),
            };
            let picks = if most == 1 { "pick" } else { "picks" };
            println!(
                "{file}: warning: {} {leaves} ({n} {plural}; the shopper sees {shows} {picks}{loosened})",
                cause_label(&cause.answers),
            );
        }
        if all_paths {
            for path in &cause.paths {
                println!(
                    "    {} (→ {}): {}",
                    path.answers.join(", "),
                    path.result,
                    seen(path)
                );
            }
        }
    }
    if !all_paths && !causes.is_empty() {
        let paths = audit.empty.len() + audit.thin.len();
        println!(
            "  ({paths} reported {} from {} {}; --all-paths lists them)",
            if paths == 1 { "path" } else { "paths" },
            causes.len(),
            if causes.len() == 1 { "cause" } else { "causes" }
        );
    }
}

fn path_json(path: &PathOutcome) -> Value {
    json!({
        "answers": path.answers,
        "result": path.result,
        "exact": path.products,
        "shown": path.shown,
        "relaxed": path.relaxed,
    })
}

fn audit_json(audit: &Audit, causes: &[Cause], all_paths: bool) -> Value {
    json!({
        "paths": audit.paths,
        "truncated": audit.truncated,
        "thin_below": audit.thin_below,
        "causes": causes.iter().map(|c| {
            let (fewest, most) = c.shown();
            let mut cause = json!({
                "severity": if c.error { "error" } else { "warning" },
                "answers": c.answers,
                "products": c.products,
                "paths": c.paths.len(),
                "shown": {"min": fewest, "max": most},
                "relaxed": c.relaxed(),
                "relaxed_on": c.relaxed_on().into_iter().map(|(label, paths)| json!({"label": label, "paths": paths})).collect::<Vec<_>>(),
            });
            if all_paths {
                cause["all_paths"] = c.paths.iter().map(path_json).collect();
            }
            cause
        }).collect::<Vec<_>>(),
    })
}
