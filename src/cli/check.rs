//! `shopkeep check`: flow files, and with `--catalog` every answer path against the catalog.

use crate::catalog::Catalog;
use crate::flow::{Flows, Severity, check_fields};
use anyhow::{Context, bail};
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
    /// With --catalog: paths with fewer products than this are reported as thin.
    #[arg(long, default_value_t = 4)]
    pub thin: usize,
    /// Check the flow files alone, without a catalog (field mappings are then not checked).
    #[arg(long, conflicts_with = "catalog")]
    pub no_catalog: bool,
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
    let shared = match args.path.is_dir() {
        true => crate::flow::Shared::load(&args.path.join("shared")),
        false => crate::flow::Shared::beside(&args.path),
    };
    for problem in &shared.problems {
        println!("{problem}");
        errors += 1;
    }
    for path in &files {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read flow `{}`", path.display()))?;
        let (flow, mut problems) = crate::flow::compile_with(path, &source, &shared);
        if let (Some(flow), Some(catalog)) = (&flow, &catalog) {
            let field_problems = check_fields(flow, catalog.fields());
            let fields_ok = field_problems.is_empty();
            problems.extend(field_problems);
            if args.catalog.is_some() && fields_ok {
                let (empty, thin) = report_paths(flow, catalog, args.thin)?;
                errors += empty;
                warnings += thin;
            }
        }
        for problem in &problems {
            println!("{problem}");
            match problem.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
    }
    println!(
        "{} flows checked: {errors} errors, {warnings} warnings",
        files.len()
    );
    if errors > 0 {
        bail!("{errors} errors in the flows; fix them (each names the file, line and fix)");
    }
    Ok(())
}

/// Runs the catalog-aware check of one flow and prints what it found; returns how many paths are empty and thin.
fn report_paths(
    flow: &crate::flow::Flow,
    catalog: &Catalog,
    thin: usize,
) -> anyhow::Result<(usize, usize)> {
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
    println!(
        "{}: {} answer paths in {:.2}s; {} end with no products, {} with fewer than {thin} exact matches{}",
        flow.file_name(),
        audit.paths,
        started.elapsed().as_secs_f64(),
        audit.empty.len(),
        audit.thin.len(),
        if audit.truncated {
            " (stopped early: too many paths)"
        } else {
            ""
        }
    );
    const SHOWN: usize = 20;
    for path in audit.empty.iter().take(SHOWN) {
        println!(
            "{}: error: no products for {} (→ {}), even after loosening what `relax` allows; list a question under `relax`, widen a filter or add products",
            flow.file_name(),
            path.answers.join(", "),
            path.result
        );
    }
    if audit.empty.len() > SHOWN {
        println!(
            "  … and {} more paths with no products",
            audit.empty.len() - SHOWN
        );
    }
    for path in audit.thin.iter().take(SHOWN) {
        let what = if path.relaxed.is_empty() {
            format!("only {} products", path.shown)
        } else {
            format!(
                "{} exact, {} picks with loosened: {}",
                path.products,
                path.shown,
                path.relaxed.join(", ")
            )
        };
        println!(
            "{}: warning: {what} for {} (→ {})",
            flow.file_name(),
            path.answers.join(", "),
            path.result
        );
    }
    if audit.thin.len() > SHOWN {
        println!("  … and {} more thin paths", audit.thin.len() - SHOWN);
    }
    Ok((audit.empty.len(), audit.thin.len()))
}
