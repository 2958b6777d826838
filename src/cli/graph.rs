//! `shopkeep graph`: a picture of a finder as SVG (or DOT), with the products left on each edge when given a
//! catalog.

use std::path::PathBuf;

use anyhow::Context;

use crate::audit::picture;
use crate::catalog::Catalog;
use crate::flow::Flows;

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The finder's id (or its file name without `.yaml`).
    pub flow: String,
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
    /// Label each edge with the products left on it (from this catalog folder, default `catalog`) and colour the
    /// thin and empty ones.
    #[arg(long, num_args = 0..=1, default_missing_value = "catalog", value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// Edges with fewer products than this are drawn orange; red marks answers that leave the shopper nothing, even after relaxation.
    #[arg(long, default_value_t = 4)]
    pub thin: usize,
    #[arg(long)]
    pub locale: Option<String>,
    /// `svg` (default) or `dot` (Graphviz source).
    #[arg(long, value_enum, default_value_t = GraphFormat::Svg)]
    pub format: GraphFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Svg,
    Dot,
}

pub(super) fn graph(args: GraphArgs) -> anyhow::Result<()> {
    let (flows, problems) = Flows::load_dir(&args.flows)?;
    if let Some(problem) = problems.first() {
        anyhow::bail!(
            "{problem}\n({} problems in the flows; fix them with `shopkeep check {}`)",
            problems.len(),
            args.flows.display()
        );
    }
    let flow = flows.get(&args.flow).with_context(|| {
        format!(
            "there is no finder `{}` in `{}`; the finders there: {}",
            args.flow,
            args.flows.display(),
            flows
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    // Without a catalog the walk still finds every edge; its counts are not drawn.
    let catalog = match &args.catalog {
        Some(dir) => Catalog::from_dir(dir)?.0,
        None => Catalog::from_products(&[])?,
    };
    // With a catalog, thin paths are matched as the shopper's would be (relaxation included), so an edge is red
    // only when the shopper is shown nothing; without one, no path is matched.
    let matched = if args.catalog.is_some() {
        None
    } else {
        Some(0)
    };
    let audit = crate::audit::audit(flow, &catalog, matched, &mut |_| {})?;
    let locale = flow.locale(args.locale.as_deref());
    let dot = picture::dot(flow, &audit, &locale, args.catalog.is_some(), args.thin);
    match args.format {
        GraphFormat::Dot => print!("{dot}"),
        GraphFormat::Svg => print!("{}", picture::svg(&dot)?),
    }
    Ok(())
}
