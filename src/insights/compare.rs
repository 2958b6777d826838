//! Comparing finder versions: the difference of two proportions (completion, click-through) with its 95 %
//! confidence interval by Newcombe's hybrid score method.

use serde::{Deserialize, Serialize};

use super::report::{FunnelRow, Report};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub version: String,
    pub baseline: String,
    /// `completed / starts` of `version` minus that of `baseline`.
    pub completion: Difference,
    /// `clicked / completed` of `version` minus that of `baseline`.
    pub click_through: Difference,
}

/// A difference of two proportions and its 95 % interval; `None` when either side has no trials.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub difference: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// Wilson's score interval of `x / n` at z = 1.96.
fn wilson(x: u64, n: u64) -> (f64, f64) {
    let (x, n, z) = (x as f64, n as f64, 1.959_964);
    let p = x / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    (centre - half, centre + half)
}

/// `x1/n1 − x2/n2` with Newcombe's hybrid score interval (method 10 of Newcombe 1998, from the two Wilson
/// intervals): sound for small counts and rates near 0 or 1, where the plain Wald interval is not.
pub fn difference(x1: u64, n1: u64, x2: u64, n2: u64) -> Difference {
    if n1 == 0 || n2 == 0 {
        return Difference {
            difference: None,
            low: None,
            high: None,
        };
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let ((l1, u1), (l2, u2)) = (wilson(x1, n1), wilson(x2, n2));
    let d = p1 - p2;
    let round = |v: f64| (v * 10_000.0).round() / 10_000.0;
    Difference {
        difference: Some(round(d)),
        low: Some(round(d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt())),
        high: Some(round(d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt())),
    }
}

/// One arm of a finder's experiment (the `arms` table): its funnel figures and, on the variant's row, the
/// difference from the control with its 95 % interval (Newcombe's hybrid score method).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmRow {
    /// `control` (the base flow file) or `variant`.
    pub arm: String,
    pub file: String,
    /// The finder version the arm is served as: its figures are that version's.
    pub version: String,
    /// The share of visitors the experiment assigns to this arm.
    pub share: f64,
    pub starts: u64,
    pub completed: u64,
    pub completion_rate: Option<f64>,
    pub clicked: u64,
    pub click_through: Option<f64>,
    pub carted: u64,
    pub purchased: u64,
    pub results_shown: u64,
    pub zero_results: u64,
    /// Variant minus control, in completion rate, with the interval's ends; empty on the control's row.
    pub completion_difference: Option<f64>,
    pub completion_low: Option<f64>,
    pub completion_high: Option<f64>,
    /// Variant minus control, in click-through, with the interval's ends; empty on the control's row.
    pub click_through_difference: Option<f64>,
    pub click_through_low: Option<f64>,
    pub click_through_high: Option<f64>,
}

/// The flow of one arm (`control` or `variant`) of the experiment `flow` runs: its version's figures and its
/// question order make that arm's tables. An error saying the fix when there is no experiment or no such arm.
pub fn arm_flow(
    flow: Option<&std::sync::Arc<crate::flow::Flow>>,
    arm: &str,
) -> Result<std::sync::Arc<crate::flow::Flow>, String> {
    use crate::flow::Arm;
    let experiment = flow.and_then(|f| Some((f, f.experiment.as_ref()?.variant.as_ref()?)));
    let Some((control, variant)) = experiment else {
        return Err(
            "this finder runs no experiment; leave `arm` out (or add `experiment` to its flow file)"
                .into(),
        );
    };
    match Arm::parse(arm) {
        Some(Arm::Control) => Ok(std::sync::Arc::clone(control)),
        Some(Arm::Variant) => Ok(std::sync::Arc::clone(variant)),
        None => Err(format!("no arm `{arm}`; ask for `control` or `variant`")),
    }
}

/// An arm as the finder declares it: its file, the version it is served as, and its share of visitors.
#[derive(Clone, Copy, Debug)]
pub struct ArmSpec<'a> {
    pub file: &'a str,
    pub version: &'a str,
    pub share: f64,
}

impl Report {
    /// Fills the `arms` table when `flow` (the finder as loaded, its variant joined) runs an experiment: the
    /// control is the finder's own file and version, the variant the variant file's. The API, the dashboard and
    /// `shopkeep insights` all call this, so they show the same arms.
    pub fn set_experiment(&mut self, flow: &crate::flow::Flow) {
        let Some(experiment) = &flow.experiment else {
            return;
        };
        let Some(variant) = &experiment.variant else {
            return;
        };
        let own = flow
            .path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().to_string());
        self.set_arms(
            ArmSpec {
                file: &own,
                version: &flow.version,
                share: 1.0 - experiment.share,
            },
            ArmSpec {
                file: &experiment.file,
                version: &variant.version,
                share: experiment.share,
            },
        );
    }

    /// Fills the `arms` table from the funnel rows of the two arms' versions (an arm without conversations in the
    /// range has zeros): the control's figures, then the variant's with the difference from the control.
    pub fn set_arms(&mut self, control: ArmSpec<'_>, variant: ArmSpec<'_>) {
        let row_of = |spec: ArmSpec<'_>| {
            self.funnel
                .iter()
                .find(|f| f.version == spec.version)
                .cloned()
                .unwrap_or_else(|| FunnelRow {
                    version: spec.version.to_string(),
                    ..FunnelRow::default()
                })
        };
        let (c, v) = (row_of(control), row_of(variant));
        let completion = difference(v.completed, v.starts, c.completed, c.starts);
        let click = difference(v.clicked, v.completed, c.clicked, c.completed);
        let arm = |name: &str, spec: ArmSpec<'_>, f: &FunnelRow| ArmRow {
            arm: name.to_string(),
            file: spec.file.to_string(),
            version: spec.version.to_string(),
            share: spec.share,
            starts: f.starts,
            completed: f.completed,
            completion_rate: f.completion_rate,
            clicked: f.clicked,
            click_through: f.click_through,
            carted: f.carted,
            purchased: f.purchased,
            results_shown: f.results_shown,
            zero_results: f.zero_results,
            ..ArmRow::default()
        };
        let mut variant_row = arm("variant", variant, &v);
        variant_row.completion_difference = completion.difference;
        variant_row.completion_low = completion.low;
        variant_row.completion_high = completion.high;
        variant_row.click_through_difference = click.difference;
        variant_row.click_through_low = click.low;
        variant_row.click_through_high = click.high;
        self.arms = vec![arm("control", control, &c), variant_row];
    }
}
