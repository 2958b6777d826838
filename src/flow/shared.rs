//! Shared questions: the files in `flows/shared/` hold questions that several finders ask (a budget, a contact
//! preference, a "who is it for"), written once. A finder asks one with `- {id: budget, use: budget}`; the entry
//! keeps its own id, `next`, `ask_when` and `skippable`, and the shared question brings the rest.
//!
//! A shared file's own problems (YAML shape, duplicate ids, a `next` that belongs in the finder) are reported
//! against that file; the problems of its options and mappings are reported against it too when a finder compiles
//! them, so a merchandiser is always sent to the line to fix.

use std::collections::BTreeMap;
use std::path::Path;

use serde_saphyr::Location;

use super::spec::{QuestionSpec, SharedSpec};
use super::{Problem, Severity};

/// The shared questions of a flows folder, by id, with the file each comes from.
#[derive(Debug, Default)]
pub struct Shared {
    by_id: BTreeMap<String, (String, QuestionSpec)>,
    /// Problems of the shared files themselves.
    pub problems: Vec<Problem>,
}

impl Shared {
    /// The shared questions for the flow file at `flow_path`: those in `shared/` beside it (none if there is no
    /// such folder).
    pub fn beside(flow_path: &Path) -> Shared {
        match flow_path.parent() {
            Some(dir) => Shared::load(&dir.join("shared")),
            None => Shared::default(),
        }
    }

    /// Reads every `*.yaml` / `*.yml` file in `dir`; a missing folder means no shared questions.
    pub fn load(dir: &Path) -> Shared {
        let mut shared = Shared::default();
        let Ok(files) = super::yaml_files(dir) else {
            return shared;
        };
        for path in files {
            shared.read(&path);
        }
        shared
    }

    fn problem(&mut self, file: &str, at: Location, message: String) {
        self.problems
            .push(Problem::located(file, at, Severity::Error, message));
    }

    fn read(&mut self, path: &Path) {
        let file = path.display().to_string();
        let source = match std::fs::read_to_string(path) {
            Ok(source) => source,
            Err(error) => {
                self.problem(
                    &file,
                    Location::UNKNOWN,
                    format!("cannot read shared questions: {error}"),
                );
                return;
            }
        };
        let spec: SharedSpec = match serde_saphyr::from_str(&source) {
            Ok(spec) => spec,
            Err(error) => {
                let (at, cause) = super::yaml_cause(&error);
                self.problem(&file, at, format!("{cause}; a shared file holds `questions:` as in a finder, see docs/flows.md"));
                return;
            }
        };
        for question in spec.questions {
            let at = question.id.referenced;
            let id = question.id.value.clone();
            for (field, set) in [
                ("next", question.next.is_some()),
                ("ask_when", question.ask_when.is_some()),
                ("use", question.uses.is_some()),
            ] {
                if set {
                    self.problem(&file, at, format!("shared question `{id}` sets `{field}`, which belongs to each finder that asks it; remove it here"));
                }
            }
            if let Some((other, _)) = self.by_id.get(&id) {
                let other = other.clone();
                self.problem(
                    &file,
                    at,
                    format!(
                        "shared question `{id}` is also defined in `{other}`; give each its own id"
                    ),
                );
                continue;
            }
            self.by_id.insert(id, (file.clone(), question));
        }
    }

    /// The shared question `id` and the file it is written in.
    pub fn get(&self, id: &str) -> Option<(&str, &QuestionSpec)> {
        self.by_id.get(id).map(|(file, q)| (file.as_str(), q))
    }

    pub fn ids(&self) -> Vec<&str> {
        self.by_id.keys().map(String::as_str).collect()
    }
}
