//! Conversation tests of a finder running an experiment: each case runs on both arms (named `… [control]` and
//! `… [variant]`) unless the file or the case pins one with `arm:`. A case reaches its arm the way a shopper
//! does: the runner starts it with a visitor id that the experiment's hash puts on that arm.

use super::Case;
use crate::flow::experiment::assign;
use crate::flow::{Arm, Flow, Flows, Problem, Severity};

/// Every case on the arms it runs on; a pinned arm of a finder without an experiment is a problem.
pub fn expand(cases: Vec<Case>, flows: &Flows) -> (Vec<Case>, Vec<Problem>) {
    let (mut out, mut problems) = (Vec::new(), Vec::new());
    for case in cases {
        let experiment = flows
            .get(&case.flow)
            .and_then(|f| f.experiment.as_ref())
            .filter(|e| e.variant.is_some());
        match (experiment, case.arm) {
            (None, None) => out.push(case),
            (None, Some(_)) => problems.push(Problem {
                file: case.file.display().to_string(),
                line: case.line,
                column: case.column,
                severity: Severity::Error,
                message: format!(
                    "case `{}`: finder `{}` runs no experiment, so there is no arm to pin; remove `arm`",
                    case.name, case.flow
                ),
            }),
            (Some(_), Some(_)) => out.push(case),
            (Some(_), None) => {
                for arm in [Arm::Control, Arm::Variant] {
                    out.push(Case {
                        name: format!("{} [{}]", case.name, arm.name()),
                        arm: Some(arm),
                        ..case.clone()
                    });
                }
            }
        }
    }
    (out, problems)
}

/// A visitor id the experiment of `flow` puts on `arm` (one of the first 10 000 tried); an error naming the fix
/// when the share sends no visitor there.
pub fn visitor_for(flow: &Flow, arm: Arm) -> Result<String, String> {
    let share = flow.experiment.as_ref().map_or(0.0, |e| e.share);
    (0..10_000)
        .map(|i| format!("shopkeep-test-{}-{i}", arm.name()))
        .find(|v| assign(&flow.id, v, share) == arm)
        .ok_or_else(|| {
            format!(
                "the experiment of `{}` sends no visitor to the {} (share {share}); change the share or pin the case to the other arm",
                flow.id,
                arm.name()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_is_found_on_each_reachable_arm_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let flows = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/experiment/flows");
        for name in ["running-shoes.yaml", "running-shoes-b.yaml"] {
            std::fs::copy(flows.join(name), dir.path().join(name)).expect("copy");
        }
        let (loaded, _) = Flows::load_dir(dir.path()).expect("loads");
        let flow = loaded.get("running-shoes").expect("finder");
        for arm in [Arm::Control, Arm::Variant] {
            let visitor = visitor_for(flow, arm).expect("a visitor");
            assert_eq!(flow.arm_for(&visitor), arm);
        }
        let path = dir.path().join("running-shoes.yaml");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replace("share: 0.5", "share: 0")).expect("write");
        let (loaded, _) = Flows::load_dir(dir.path()).expect("loads");
        let flow = loaded.get("running-shoes").expect("finder");
        let refused = visitor_for(flow, Arm::Variant).expect_err("no visitor on the variant");
        assert!(
            refused.contains("sends no visitor to the variant (share 0)"),
            "{refused}"
        );
    }
}
