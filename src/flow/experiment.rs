//! A/B tests of a finder: `experiment: {variant: running-shoes-b.yaml, share: 0.5}` in a flow file sends a share of
//! visitors to the variant, a complete finder with the same id in a file of the same folder.
//!
//! Assignment is stable and needs no stored state: a visitor's arm is a pure function of the finder id and the
//! visitor's key (the signed customer id when the shop gives one, else the widget's visitor id, else the session
//! id), so the same visitor gets the same arm on every device and in every session. The hash is SHA-256 of
//! `finder id`, one zero byte, `key`; its first 8 bytes read as a big-endian integer and divided by 2⁶⁴ give a
//! number in [0, 1); below `share` is the variant, else the control. Changing `share` moves only the visitors
//! between the old and the new share.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Flow, Problem, Severity};

/// Which side of an experiment a conversation is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// The base flow file.
    Control,
    /// The variant file.
    Variant,
}

impl Arm {
    pub fn name(self) -> &'static str {
        match self {
            Arm::Control => "control",
            Arm::Variant => "variant",
        }
    }

    pub fn parse(name: &str) -> Option<Arm> {
        match name {
            "control" => Some(Arm::Control),
            "variant" => Some(Arm::Variant),
            _ => None,
        }
    }
}

/// A finder's experiment, as declared in its file; `variant` is filled by [`super::Flows::load_dir`] once the
/// variant file is compiled and checked (every served finder with an experiment has it).
#[derive(Debug)]
pub struct Experiment {
    /// The variant's file name as written.
    pub file: String,
    /// The share of visitors who get the variant, 0 to 1.
    pub share: f64,
    /// Where `variant:` is written (line, column), for problems.
    pub at: (u64, u64),
    /// Where `experiment:` is written, for a problem in a variant that declares one of its own.
    pub key_at: (u64, u64),
    pub variant: Option<Arc<Flow>>,
}

/// A number in [0, 1) fixed by the finder and the visitor's key (see the module documentation).
pub fn position(finder: &str, key: &str) -> f64 {
    let mut hash = Sha256::new();
    hash.update(finder.as_bytes());
    hash.update([0u8]);
    hash.update(key.as_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 2⁶⁴ as f64 is exact; the quotient of a u64 by it is below 1 except by rounding at the very top.
    (u64::from_be_bytes(first) as f64 / 18_446_744_073_709_551_616.0).min(0.999_999_999_999)
}

/// The arm of the visitor with `key` in an experiment of finder `finder` that gives the variant to `share`.
pub fn assign(finder: &str, key: &str, share: f64) -> Arm {
    if position(finder, key) < share {
        Arm::Variant
    } else {
        Arm::Control
    }
}

impl Flow {
    /// The arm of the visitor with `key`: always the control for a finder without an experiment.
    pub fn arm_for(&self, key: &str) -> Arm {
        match &self.experiment {
            Some(e) if e.variant.is_some() => assign(&self.id, key, e.share),
            _ => Arm::Control,
        }
    }

    /// The finder served on `arm`: the variant's flow, or this one.
    pub fn on_arm(self: &Arc<Flow>, arm: Arm) -> Arc<Flow> {
        match (&self.experiment, arm) {
            (
                Some(Experiment {
                    variant: Some(v), ..
                }),
                Arm::Variant,
            ) => Arc::clone(v),
            _ => Arc::clone(self),
        }
    }

    /// This finder and, when it runs an experiment, its variant.
    pub fn arms(self: &Arc<Flow>) -> Vec<(Arm, Arc<Flow>)> {
        let mut arms = vec![(Arm::Control, Arc::clone(self))];
        if let Some(Experiment {
            variant: Some(v), ..
        }) = &self.experiment
        {
            arms.push((Arm::Variant, Arc::clone(v)));
        }
        arms
    }
}

fn problem(file: &Path, at: (u64, u64), message: String) -> Problem {
    Problem {
        file: file.display().to_string(),
        line: at.0,
        column: at.1,
        severity: Severity::Error,
        message,
    }
}

/// Joins each finder of a folder to its variant: takes the variant files out of `compiled` (a variant is never
/// served as a finder of its own) and checks them. `failed` holds the files that did not compile (their problems
/// are already reported).
pub(super) fn join(
    compiled: Vec<(PathBuf, Flow)>,
    failed: &HashSet<PathBuf>,
    problems: &mut Vec<Problem>,
) -> Vec<(PathBuf, Flow)> {
    // Variant path → the base file that names it.
    let mut base_of: HashMap<PathBuf, PathBuf> = HashMap::new();
    for (path, flow) in &compiled {
        let Some(e) = &flow.experiment else { continue };
        let variant = path.with_file_name(&e.file);
        if let Some(other) = base_of.insert(variant.clone(), path.clone()) {
            problems.push(problem(
                path,
                e.at,
                format!(
                    "`{}` is already the variant of `{}`; a variant belongs to one finder, so copy it to a file of its own",
                    e.file,
                    other.display()
                ),
            ));
        }
    }
    let (mut variants, mut bases): (HashMap<PathBuf, Flow>, Vec<(PathBuf, Flow)>) =
        (HashMap::new(), Vec::new());
    for (path, flow) in compiled {
        if base_of.contains_key(&path) {
            variants.insert(path, flow);
        } else {
            bases.push((path, flow));
        }
    }
    for (path, variant) in &variants {
        if let Some(own) = &variant.experiment {
            let base = base_of
                .get(path)
                .map_or(String::new(), |b| b.display().to_string());
            problems.push(problem(
                path,
                own.key_at,
                format!(
                    "this file is the variant of `{base}` and cannot run an experiment of its own; remove `experiment` here (one experiment per finder)"
                ),
            ));
        }
    }
    for (path, flow) in &mut bases {
        let Some(e) = &mut flow.experiment else {
            continue;
        };
        let variant_path = path.with_file_name(&e.file);
        match variants.remove(&variant_path) {
            Some(variant) if variant.id != flow.id => problems.push(problem(
                path,
                e.at,
                format!(
                    "the variant `{}` is finder `{}`, not `{}`; a variant is the same finder changed, so give it `id: {}`",
                    e.file, variant.id, flow.id, flow.id
                ),
            )),
            Some(variant) => e.variant = Some(Arc::new(variant)),
            None if failed.contains(&variant_path)
                || base_of.get(&variant_path) != Some(&*path) => {}
            None => problems.push(problem(
                path,
                e.at,
                format!(
                    "the variant file `{}` is not in `{}`; create it (a copy of this finder with your changes and the same id) or correct the name",
                    e.file,
                    path.parent().map_or(String::new(), |p| p.display().to_string())
                ),
            )),
        }
    }
    bases
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Flows, LoadError};

    fn finder(id: &str, question: &str, extra: &str) -> String {
        format!(
            "id: {id}\ntitle: Shoes\n{extra}questions:\n  - id: {question}\n    kind: single\n    text: Which?\n    options: [{{value: a}}, {{value: b}}]\nresults:\n  - id: done\n"
        )
    }

    fn folder(files: &[(&str, String)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        dir
    }

    fn problems(files: &[(&str, String)]) -> Vec<String> {
        let dir = folder(files);
        match Flows::load_dir(dir.path()) {
            Err(LoadError::Problems { problems }) => problems
                .iter()
                .map(|p| {
                    let file = Path::new(&p.file)
                        .file_name()
                        .expect("a file")
                        .to_string_lossy();
                    format!("{file}:{}:{}: {}", p.line, p.column, p.message)
                })
                .collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    const EXP: &str = "experiment: {variant: shoes-b.yaml, share: 0.3}\n";

    #[test]
    fn a_variant_joins_its_finder_and_is_not_served_alone() {
        let dir = folder(&[
            ("shoes.yaml", finder("shoes", "terrain", EXP)),
            ("shoes-b.yaml", finder("shoes", "distance", "")),
            ("bags.yaml", finder("bags", "size", "")),
        ]);
        let (flows, warnings) = Flows::load_dir(dir.path()).expect("loads");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(flows.len(), 2);
        let shoes = flows.get("shoes").expect("shoes");
        let e = shoes.experiment.as_ref().expect("experiment");
        assert_eq!((e.file.as_str(), e.share), ("shoes-b.yaml", 0.3));
        let variant = shoes.on_arm(Arm::Variant);
        assert_eq!(
            variant.questions().next().expect("a question").id,
            "distance"
        );
        assert_ne!(variant.version, shoes.version);
        assert_eq!(shoes.on_arm(Arm::Control).version, shoes.version);
        assert_eq!(flows.all_arms().len(), 3);
        // A finder without an experiment is always the control.
        let bags = flows.get("bags").expect("bags");
        assert_eq!(bags.arm_for("anyone"), Arm::Control);
        assert_eq!(bags.on_arm(Arm::Variant).version, bags.version);
    }

    #[test]
    fn every_experiment_problem_is_located_and_names_the_fix() {
        let found = problems(&[(
            "shoes.yaml",
            finder(
                "shoes",
                "t",
                "experiment: {variant: gone.yaml, share: 1.5}\n",
            ),
        )]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("shoes.yaml:3:23: the variant file `gone.yaml` is not in"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("shoes.yaml:3:41: `share` is 1.5"),
            "{found:?}"
        );

        let found = problems(&[
            ("shoes.yaml", finder("shoes", "t", EXP)),
            ("shoes-b.yaml", finder("boots", "t", "")),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("the variant `shoes-b.yaml` is finder `boots`, not `shoes`"));
        assert!(found[0].contains("give it `id: shoes`"));

        let found = problems(&[
            ("shoes.yaml", finder("shoes", "t", EXP)),
            (
                "shoes-b.yaml",
                finder(
                    "shoes",
                    "t",
                    "experiment: {variant: shoes-c.yaml, share: 0.5}\n",
                ),
            ),
            ("shoes-c.yaml", finder("shoes", "t", "")),
        ]);
        assert!(
            found.iter().any(
                |p| p.starts_with("shoes-b.yaml:3:13: this file is the variant of")
                    && p.contains("remove `experiment` here")
            ),
            "{found:?}"
        );

        for (variant, says) in [
            (
                "../elsewhere.yaml",
                "must be a file name in this flow's folder",
            ),
            ("shoes.txt", "is no flow file"),
            ("shoes.yaml", "is this file"),
        ] {
            let extra = format!("experiment: {{variant: {variant}, share: 0.5}}\n");
            let found = problems(&[("shoes.yaml", finder("shoes", "t", &extra))]);
            assert!(
                found.len() == 1 && found[0].contains(says),
                "{variant}: {found:?}"
            );
        }

        let found = problems(&[
            ("a.yaml", finder("shoes", "t", EXP)),
            ("b.yaml", finder("shoes", "t", EXP)),
            ("shoes-b.yaml", finder("shoes", "t", "")),
        ]);
        assert!(
            found
                .iter()
                .any(|p| p.contains("is already the variant of")),
            "{found:?}"
        );
    }

    #[test]
    fn assignment_is_stable_and_splits_by_the_share() {
        assert_eq!(
            assign("shoes", "visitor-1", 0.5),
            assign("shoes", "visitor-1", 0.5)
        );
        // Every share is honoured within a few points over 20 000 generated ids.
        for share in [0.0, 0.1, 0.5, 0.9, 1.0] {
            let n = 20_000;
            let variant = (0..n)
                .filter(|i| assign("shoes", &format!("v-{i}"), share) == Arm::Variant)
                .count();
            let observed = variant as f64 / n as f64;
            assert!(
                (observed - share).abs() < 0.015,
                "share {share}: observed {observed}"
            );
        }
        // The finder id takes part: the same visitor is not on the same side of every experiment.
        let differs = (0..200)
            .filter(|i| {
                let key = format!("v-{i}");
                assign("shoes", &key, 0.5) != assign("bags", &key, 0.5)
            })
            .count();
        assert!((60..140).contains(&differs), "{differs}");
        // Raising the share only moves control visitors to the variant.
        for i in 0..2_000 {
            let key = format!("v-{i}");
            if assign("shoes", &key, 0.2) == Arm::Variant {
                assert_eq!(assign("shoes", &key, 0.6), Arm::Variant);
            }
        }
        // The documented hash, worked by hand once: SHA-256("shoes\0v-1")[..8] / 2^64.
        let digest = Sha256::digest(b"shoes\0v-1");
        let expected =
            u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) as f64 / 2f64.powi(64);
        assert_eq!(position("shoes", "v-1"), expected);
    }
}
