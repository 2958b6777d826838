//! The conversation-test file as written (`flows/tests/*.yaml`): serde types that mirror the YAML one to one,
//! with source locations kept ([`Spanned`]) where a problem may need to point. [`super::format`] turns a
//! [`TestFile`] into checked [`super::Case`]s; `docs/test.schema.json` is generated from these types.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::flow::spec::{ConstraintSpec, ScalarSpec};

/// A file of conversation tests for one or more finders.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// The finder every case of this file talks to, unless a case names its own.
    #[schemars(with = "Option<String>")]
    pub flow: Option<Spanned<String>>,
    /// The locale of every case of this file, unless a case names its own (default: the finder's first).
    pub locale: Option<String>,
    /// For a finder running an experiment: run every case of this file only on `control` or `variant` (default:
    /// each case on both arms).
    #[schemars(with = "Option<String>")]
    pub arm: Option<crate::flow::Arm>,
    /// The cases, run in parallel; each is a fresh conversation.
    pub cases: Vec<CaseSpec>,
}

/// One scripted conversation: steps, then what the products must be. With `rows` it is a table: the steps and
/// expectations are a template, run once per row with `$name` replaced by the row's value of `name`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    /// Unique in the file; in a table, use `$name` to give each row its own name.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The finder's id (default: the file's `flow`).
    #[schemars(with = "Option<String>")]
    pub flow: Option<Spanned<String>>,
    /// The locale to start in (default: the file's, else the finder's first).
    pub locale: Option<String>,
    /// For a finder running an experiment: run this case only on `control` or `variant` (default: the file's,
    /// else both arms).
    #[schemars(with = "Option<String>")]
    pub arm: Option<crate::flow::Arm>,
    /// What the shopper does, in order; each step may first check the question being asked.
    #[serde(default)]
    #[schemars(with = "Vec<StepSpec>")]
    pub steps: Vec<Spanned<StepSpec>>,
    /// What the products shown at the end must be; without it the case only checks its steps.
    pub expect: Option<ExpectSpec>,
    /// Table rows: each sets the template's `$names` and may add to or override `expect`.
    #[serde(default)]
    #[schemars(with = "Vec<RowSpec>")]
    pub rows: Vec<Spanned<RowSpec>>,
}

/// One step: check the current question (`ask`, `says`, `hint`), then do at most one thing.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// The id of the question that must be asked now.
    pub ask: Option<String>,
    /// Text the question must contain (after normalisation: case and width do not matter).
    pub says: Option<String>,
    /// Text the question's hint must contain: the previous answer was not understood.
    pub hint: Option<String>,
    /// Answer with this option value (a button).
    pub answer: Option<ScalarSpec>,
    /// Answer a multi-choice question with these option values.
    pub answers: Option<Vec<ScalarSpec>>,
    /// Type this text, as a shopper would.
    pub typed: Option<String>,
    /// Answer a range question: `{min: 80, max: 120}`; either bound may be left out.
    pub range: Option<RangeSpec>,
    /// `back`, `restart`, `skip` or `results_now`.
    #[serde(rename = "do")]
    pub action: Option<ActionSpec>,
}

/// A range answer; a bound may be a number or, in a table, `$name`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    pub min: Option<ScalarSpec>,
    pub max: Option<ScalarSpec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionSpec {
    Back,
    Restart,
    Skip,
    ResultsNow,
}

/// What the products message at the end of the case must hold.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// The id of the result node shown.
    pub result: Option<String>,
    /// Text the title must contain.
    pub title: Option<String>,
    /// How many products: a number, or `{min, max}`.
    pub count: Option<CountSpec>,
    /// Product ids that must be among the picks.
    pub includes: Option<Vec<String>>,
    /// Product ids that must not be among the picks.
    pub excludes: Option<Vec<String>>,
    /// The id of the first pick.
    pub first: Option<String>,
    /// Constraints every pick must satisfy, in the flows' vocabulary: `{field: price, lte: 120}`.
    pub all: Option<Vec<ConstraintSpec>>,
    /// The question ids whose constraints were relaxed, exactly (in any order); `[]` for none.
    pub relaxed: Option<Vec<String>>,
    /// Text every pick's explanation must mention (an answer's label, e.g. `Trail`).
    pub explains: Option<String>,
}

/// A product count: exactly `n`, or between `min` and `max`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CountSpec {
    Exactly(usize),
    Between {
        min: Option<usize>,
        max: Option<usize>,
    },
}

/// A table row: `$name` values (any key but `expect`) and expectations added to the template's.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RowSpec {
    /// Overrides the template's expectations, field by field.
    pub expect: Option<ExpectSpec>,
    /// The values of the template's `$names`.
    #[serde(flatten)]
    pub values: std::collections::BTreeMap<String, ScalarSpec>,
}

/// The JSON Schema of a test file, for editors (yaml-language-server) and `docs/test.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(TestFile);
    serde_json::to_string_pretty(&schema).expect("a schema always serialises") + "\n"
}
