//! The flow file as written: serde types that mirror the YAML one to one, with source locations kept
//! ([`Spanned`]) wherever a problem may need to point. [`super::compile`] turns a [`FlowSpec`] into a checked
//! [`super::Flow`].

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
pub use serde_saphyr::Spanned;

/// Text in one or several locales: `Road` or `{en: Road, ja: ロード}`.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Text {
    One(String),
    Many(BTreeMap<String, String>),
}

impl Text {
    /// The text in `locale`, else in `fallback`, else any.
    pub fn get<'a>(&'a self, locale: &str, fallback: &str) -> &'a str {
        match self {
            Text::One(s) => s,
            Text::Many(map) => map
                .get(locale)
                .or_else(|| map.get(fallback))
                .or_else(|| map.values().next())
                .map_or("", String::as_str),
        }
    }

    /// Every locale's text (for matching typed answers in any language).
    pub fn all(&self) -> Vec<&str> {
        match self {
            Text::One(s) => vec![s.as_str()],
            Text::Many(map) => map.values().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Unique finder id (lowercase letters, digits, '-'); the widget's `data-flow`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// The finder's title: a string, or a map from locale to string.
    pub title: Text,
    /// Locales this finder speaks; the first is the default. Default: [en].
    #[serde(default)]
    pub locales: Vec<String>,
    /// Said before the first question.
    pub greeting: Option<Text>,
    /// Constraints applied to every match of this finder; never relaxed.
    #[serde(default)]
    #[schemars(with = "Option<OneOrMany<ConstraintSpec>>")]
    pub scope: Option<Spanned<OneOrMany<ConstraintSpec>>>,
    /// The first question (default: the first under `questions`).
    #[schemars(with = "Option<String>")]
    pub start: Option<Spanned<String>>,
    /// Answers needed before 'show results now' is offered (default: never offered).
    pub min_answers: Option<usize>,
    /// Answers not understood before buttons and a skip are offered (default 2).
    pub max_misses: Option<u32>,
    /// Only products with stock > 0 (default true).
    pub in_stock_only: Option<bool>,
    /// At most `max` picks sharing one value of `field` (default brand / 2).
    pub diversity: Option<DiversitySpec>,
    /// Question ids whose constraints may be relaxed when too few products match, first first.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub relax: Vec<Spanned<String>>,
    /// The questions, in order; a question without `next` goes on to the one after it.
    pub questions: Vec<QuestionSpec>,
    /// Result nodes: how many products to show and the title/intro templates.
    pub results: Vec<ResultSpec>,
    /// What the shopper agrees to beside the email field; recorded word for word in the consent ledger.
    pub consent: Option<ConsentSpec>,
    /// An A/B test: a share of visitors gets the variant file instead of this one (docs/flows.md, *Experiments*).
    #[schemars(with = "Option<ExperimentSpec>")]
    pub experiment: Option<Spanned<ExperimentSpec>>,
}

/// `experiment: {variant: running-shoes-b.yaml, share: 0.5}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    /// The variant: a complete finder with the same id, in a file of the same folder (not served on its own).
    #[schemars(with = "String")]
    pub variant: Spanned<String>,
    /// The share of visitors who get the variant, from 0 to 1 (0.5: half).
    #[schemars(with = "f64")]
    pub share: Spanned<f64>,
}

/// The consent text shown beside the email field, per locale, and its version.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentSpec {
    /// Change it whenever the text changes, e.g. `2026-12-01`: the ledger records which text a shopper agreed to.
    pub version: String,
    /// The text: a string, or a map from locale to string.
    pub text: Text,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiversitySpec {
    pub field: String,
    pub max: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Single,
    Multi,
    Range,
    YesNo,
    Text,
    Info,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionSpec {
    /// Unique among the finder's questions and results.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// A shared question (from a file in `flows/shared/`) to ask here: it brings its kind, text, help, options,
    /// range and mappings; this entry keeps its own id, `next`, `ask_when` and `skippable`.
    #[serde(rename = "use")]
    #[schemars(with = "Option<String>")]
    pub uses: Option<Spanned<String>>,
    /// single, multi, range, yes_no, text (free text mapped to options) or info (a message).
    #[schemars(with = "Option<Kind>")]
    pub kind: Option<Spanned<Kind>>,
    /// The question as the shopper reads it.
    pub text: Option<Text>,
    /// Shown when an answer is not understood.
    pub help: Option<Text>,
    /// The choices (single, multi, yes_no, text).
    #[serde(default)]
    pub options: Vec<OptionSpec>,
    /// For multi: how many may be picked.
    #[schemars(with = "Option<SelectSpec>")]
    pub select: Option<Spanned<SelectSpec>>,
    /// For range: the slider's bounds, step, unit and the buckets the catalog check tries.
    #[schemars(with = "Option<RangeSpec>")]
    pub range: Option<Spanned<RangeSpec>>,
    /// For range: catalog fields that must lie in the answered range.
    #[schemars(with = "Option<OneOrMany<ConstraintSpec>>")]
    pub filter: Option<Spanned<OneOrMany<ConstraintSpec>>>,
    /// For range: catalog fields preferred when they lie in the answered range.
    #[schemars(with = "Option<OneOrMany<ConstraintSpec>>")]
    pub boost: Option<Spanned<OneOrMany<ConstraintSpec>>>,
    /// For text: search the catalog with text that matches no option (default true).
    pub search: Option<bool>,
    /// The shopper may skip this question.
    #[serde(default)]
    pub skippable: bool,
    /// Ask only when this condition holds; otherwise follow `next`.
    #[schemars(with = "Option<CondSpec>")]
    pub ask_when: Option<Spanned<CondSpec>>,
    /// Where to go after this question.
    #[schemars(with = "Option<NextSpec>")]
    pub next: Option<Spanned<NextSpec>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    /// Unique in the question; what conditions and tests refer to.
    #[schemars(with = "String")]
    pub value: Spanned<String>,
    /// What the shopper reads (default: the value).
    pub label: Option<Text>,
    /// An http(s) URL or a path on this server.
    pub image: Option<String>,
    /// How a pick's explanation names this answer ("waterproof", "rated 4.5+"): a string or a map from locale to
    /// string. Default: the label, or for a yes/no question's `yes` a name derived from its filter.
    pub reason: Option<Text>,
    /// Other words a shopper may type for this option.
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// Hard constraint(s) on products when this option is chosen.
    #[schemars(with = "Option<OneOrMany<ConstraintSpec>>")]
    pub filter: Option<Spanned<OneOrMany<ConstraintSpec>>>,
    /// Soft preference(s), each with a `weight`, when this option is chosen.
    #[schemars(with = "Option<OneOrMany<ConstraintSpec>>")]
    pub boost: Option<Spanned<OneOrMany<ConstraintSpec>>>,
}

#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectSpec {
    pub min: Option<usize>,
    pub max: Option<usize>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    pub min: f64,
    pub max: f64,
    pub step: Option<f64>,
    pub unit: Option<String>,
    #[serde(default)]
    pub buckets: Vec<f64>,
}

/// A YAML scalar: a keyword, a number or a boolean.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ScalarSpec {
    Bool(bool),
    Number(f64),
    Text(String),
}

/// `{field: F, OP: V, weight: W}`: exactly one operator (none on a range question).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConstraintSpec {
    /// A catalog field: category, brand, price, rating, stock, tags or any product attribute.
    pub field: String,
    pub eq: Option<ScalarSpec>,
    pub ne: Option<ScalarSpec>,
    #[serde(rename = "in")]
    pub in_: Option<Vec<ScalarSpec>>,
    pub contains: Option<ScalarSpec>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
    pub gt: Option<f64>,
    pub gte: Option<f64>,
    /// Under `boost`: how much a match counts (default 1).
    pub weight: Option<f32>,
}

/// A condition on earlier answers: one of the forms in `docs/flows.md`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CondSpec {
    pub all: Option<Vec<CondSpec>>,
    pub any: Option<Vec<CondSpec>>,
    pub not: Option<Box<CondSpec>>,
    /// Holds when the shopper answered (did not skip) this question.
    pub answered: Option<String>,
    /// The question whose answer is tested (with eq, ne, in, contains, lt, lte, gt or gte).
    pub answer: Option<String>,
    /// Holds when the shopper belongs to this segment of `segments.yaml` (decided when the conversation starts).
    pub segment: Option<String>,
    pub eq: Option<ScalarSpec>,
    pub ne: Option<ScalarSpec>,
    #[serde(rename = "in")]
    pub in_: Option<Vec<ScalarSpec>>,
    pub contains: Option<ScalarSpec>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
    pub gt: Option<f64>,
    pub gte: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub when: Option<CondSpec>,
    pub goto: String,
}

/// `next: budget` or `next: [{when: …, goto: …}, {goto: …}]`.
#[derive(Clone, Debug)]
pub enum NextSpec {
    Id(String),
    Rules(Vec<RuleSpec>),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultSpec {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// How many products to show (default 4).
    pub count: Option<usize>,
    /// While fewer than this many products meet every answer, the questions under `relax` are loosened, in order,
    /// and loosened products fill the picks up to `count` (default 1: loosen only when nothing fits; set it to
    /// `count` to always fill).
    pub min: Option<usize>,
    /// A minijinja template over the answers, e.g. "Here are {{ count }} shoes".
    #[schemars(with = "Option<Text>")]
    pub title: Option<Spanned<Text>>,
    /// A minijinja template shown under the title.
    #[schemars(with = "Option<Text>")]
    pub intro: Option<Spanned<Text>>,
    /// Offer to email the picks (with explicit consent).
    #[serde(default)]
    pub email_capture: bool,
}

/// One item or a list of them. Deserialised through the real deserializer (not serde's buffering `untagged`), so
/// locations inside the items survive.
#[derive(Clone, Debug)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(item) => vec![item],
            OneOrMany::Many(items) => items,
        }
    }

    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(item) => std::slice::from_ref(item),
            OneOrMany::Many(items) => items,
        }
    }
}

impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let one = generator.subschema_for::<T>();
        let many = generator.subschema_for::<Vec<T>>();
        schemars::json_schema!({ "anyOf": [one, many] })
    }
}

impl JsonSchema for NextSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Next".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let rules = generator.subschema_for::<Vec<RuleSpec>>();
        schemars::json_schema!({
            "description": "A question or result id, or a list of {when, goto} rules (the first that holds wins; end with one without `when`).",
            "anyOf": [{"type": "string"}, rules]
        })
    }
}

/// A file of shared questions (`flows/shared/*.yaml`) that finders ask with `- {id: …, use: …}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedSpec {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Questions as in a finder, without `next` or `ask_when`: each finder wires them into its own graph.
    pub questions: Vec<QuestionSpec>,
}

/// The JSON Schema of a shared-questions file (`docs/shared.schema.json`).
pub fn shared_json_schema() -> String {
    let schema = schemars::schema_for!(SharedSpec);
    serde_json::to_string_pretty(&schema).expect("a schema always serialises") + "\n"
}

/// The JSON Schema of a flow file, for editors (yaml-language-server) and `docs/flow.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(FlowSpec);
    serde_json::to_string_pretty(&schema).expect("a schema always serialises") + "\n"
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping or a list of mappings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(OneOrMany::Many(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor(PhantomData))
    }
}

impl<'de> Deserialize<'de> for NextSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NextVisitor;
        impl<'de> Visitor<'de> for NextVisitor {
            type Value = NextSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a question or result id, or a list of {when, goto} rules")
            }
            fn visit_str<E: de::Error>(self, id: &str) -> Result<Self::Value, E> {
                Ok(NextSpec::Id(id.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut rules = Vec::new();
                while let Some(rule) = seq.next_element()? {
                    rules.push(rule);
                }
                Ok(NextSpec::Rules(rules))
            }
        }
        deserializer.deserialize_any(NextVisitor)
    }
}
