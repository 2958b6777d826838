//! The flow file as written: serde types that mirror the YAML one to one, with source locations kept
//! ([`Spanned`]) wherever a problem may need to point. [`super::compile`] turns a [`FlowSpec`] into a checked
//! [`super::Flow`].

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
pub use serde_saphyr::Spanned;

/// Text in one or several locales: `Road` or `{en: Road, ja: ロード}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    pub id: Spanned<String>,
    pub title: Text,
    #[serde(default)]
    pub locales: Vec<String>,
    pub greeting: Option<Text>,
    #[serde(default)]
    pub scope: Option<Spanned<OneOrMany<ConstraintSpec>>>,
    pub start: Option<Spanned<String>>,
    pub min_answers: Option<usize>,
    pub max_misses: Option<u32>,
    pub in_stock_only: Option<bool>,
    pub diversity: Option<DiversitySpec>,
    #[serde(default)]
    pub relax: Vec<Spanned<String>>,
    pub questions: Vec<QuestionSpec>,
    pub results: Vec<ResultSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiversitySpec {
    pub field: String,
    pub max: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Single,
    Multi,
    Range,
    YesNo,
    Text,
    Info,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSpec {
    pub id: Spanned<String>,
    pub kind: Spanned<Kind>,
    pub text: Text,
    pub help: Option<Text>,
    #[serde(default)]
    pub options: Vec<OptionSpec>,
    pub select: Option<Spanned<SelectSpec>>,
    pub range: Option<Spanned<RangeSpec>>,
    pub filter: Option<Spanned<OneOrMany<ConstraintSpec>>>,
    pub boost: Option<Spanned<OneOrMany<ConstraintSpec>>>,
    pub search: Option<bool>,
    #[serde(default)]
    pub skippable: bool,
    pub ask_when: Option<Spanned<CondSpec>>,
    pub next: Option<Spanned<NextSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    pub value: Spanned<String>,
    pub label: Option<Text>,
    pub image: Option<String>,
    #[serde(default)]
    pub synonyms: Vec<String>,
    pub filter: Option<Spanned<OneOrMany<ConstraintSpec>>>,
    pub boost: Option<Spanned<OneOrMany<ConstraintSpec>>>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectSpec {
    pub min: Option<usize>,
    pub max: Option<usize>,
}

#[derive(Clone, Debug, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ScalarSpec {
    Bool(bool),
    Number(f64),
    Text(String),
}

/// `{field: F, OP: V, weight: W}`: exactly one operator (none on a range question).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstraintSpec {
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
    pub weight: Option<f32>,
}

/// A condition on earlier answers: one of the forms in `docs/flows.md`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CondSpec {
    pub all: Option<Vec<CondSpec>>,
    pub any: Option<Vec<CondSpec>>,
    pub not: Option<Box<CondSpec>>,
    pub answered: Option<String>,
    pub answer: Option<String>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub when: Option<CondSpec>,
    pub goto: String,
}

/// `next: budget` or `next: [{when: …, goto: …}, {goto: …}]`.
#[derive(Debug)]
pub enum NextSpec {
    Id(String),
    Rules(Vec<RuleSpec>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultSpec {
    pub id: Spanned<String>,
    pub count: Option<usize>,
    pub title: Option<Spanned<Text>>,
    pub intro: Option<Spanned<Text>>,
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
