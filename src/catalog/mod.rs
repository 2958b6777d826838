//! The catalog: the product model, feed import, the tantivy index and the matcher.
//!
//! - [`Product`] is the one product model every feed maps to; its `attributes` are typed (keyword, number, bool,
//!   list of keywords) and unknown feed columns land there instead of being dropped.
//! - [`feed`] reads feeds (JSON Lines, CSV, Shopify, Google Merchant TSV/XML) as streams and reports bad rows with
//!   their line, never stopping on one. [`synthetic`] generates catalogs of any size for benchmarks.
//! - [`index`] derives a tantivy schema from the products' fields and builds the index; [`Catalog`] is the
//!   searchable, cheaply clonable handle.
//! - [`matcher`] turns constraints into product sets and a ranking, relaxes instead of dead-ending, and explains
//!   every pick; [`bits`] holds the cached product sets it works on.
//! - [`shelf`] keeps indexes on disk in a server's data folder, one folder per fingerprint of the feeds.
//!
//! Invariant: every comparison of text goes through [`crate::text::normalize`], on the index side and the query
//! side alike.

pub mod bits;
mod constraint;
pub mod feed;
pub mod index;
pub mod matcher;
mod memo;
pub mod shelf;
pub mod synthetic;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use constraint::{Constraint, Op, Scalar, format_number};
pub use index::{Catalog, IndexError, Stage};
pub use matcher::{Explanation, Hit, MatchOutcome, MatchRequest, Miss, Relaxed, Want};
pub use shelf::{Origin, Shelf};

/// One product, as every feed format is mapped to it (and as the native JSON Lines feed spells it).
///
/// Read forgivingly, as real exports are written: a `null` optional field is the field absent (`"brand": null`,
/// `"tags": null`, an attribute that is `null`), and an id may be a number. Only a missing id, title or price
/// rejects a row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Product {
    #[serde(deserialize_with = "lenient::id")]
    pub id: String,
    pub title: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub description: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub brand: String,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub category: String,
    pub price: f64,
    #[serde(default = "default_currency", deserialize_with = "lenient::currency")]
    pub currency: String,
    /// The average review rating, 0–5; `None` (null or absent in a feed) when the product has none yet, which is
    /// not a rating of 0.
    #[serde(default)]
    pub rating: Option<f64>,
    /// Units in stock; a feed that does not say counts as in stock.
    #[serde(default = "default_stock", deserialize_with = "lenient::stock")]
    pub stock: i64,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "lenient::attributes")]
    pub attributes: BTreeMap<String, AttrValue>,
}

/// Deserialisers that read `null` as absent, for the optional fields of [`Product`].
mod lenient {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer};

    use super::AttrValue;

    pub fn or_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
    }

    pub fn currency<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        Ok(Option::<String>::deserialize(deserializer)?
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(super::default_currency))
    }

    pub fn stock<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        Ok(Option::<i64>::deserialize(deserializer)?.unwrap_or_else(super::default_stock))
    }

    pub fn attributes<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<String, AttrValue>, D::Error> {
        let map = Option::<BTreeMap<String, Option<AttrValue>>>::deserialize(deserializer)?;
        Ok(map
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, v)))
            .collect())
    }

    /// A string, or a whole number written as one (`"id": 17`).
    pub fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = String;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a product id (text, or a whole number)")
            }

            fn visit_str<E>(self, v: &str) -> Result<String, E> {
                Ok(v.to_string())
            }

            fn visit_u64<E>(self, v: u64) -> Result<String, E> {
                Ok(v.to_string())
            }

            fn visit_i64<E>(self, v: i64) -> Result<String, E> {
                Ok(v.to_string())
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

fn default_currency() -> String {
    "USD".to_string()
}

fn default_stock() -> i64 {
    1
}

/// A typed attribute value. In JSON it is the bare value: `true`, `42`, `"trail"`, `["s", "m"]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AttrValue {
    Bool(bool),
    Number(f64),
    Keyword(String),
    List(Vec<String>),
}

/// Reads the bare JSON value by its type in one pass. (serde's `untagged` would buffer each value and try the
/// variants in turn, building and dropping an error per miss: a tenth of a match's time went there.)
impl<'de> Deserialize<'de> for AttrValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = AttrValue;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a boolean, a number, a string or a list of strings")
            }

            fn visit_bool<E>(self, v: bool) -> Result<AttrValue, E> {
                Ok(AttrValue::Bool(v))
            }

            fn visit_i64<E>(self, v: i64) -> Result<AttrValue, E> {
                Ok(AttrValue::Number(v as f64))
            }

            fn visit_u64<E>(self, v: u64) -> Result<AttrValue, E> {
                Ok(AttrValue::Number(v as f64))
            }

            fn visit_f64<E>(self, v: f64) -> Result<AttrValue, E> {
                Ok(AttrValue::Number(v))
            }

            fn visit_str<E>(self, v: &str) -> Result<AttrValue, E> {
                Ok(AttrValue::Keyword(v.to_string()))
            }

            fn visit_string<E>(self, v: String) -> Result<AttrValue, E> {
                Ok(AttrValue::Keyword(v))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<AttrValue, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(AttrValue::List(items))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// What kind of values a catalog field holds; decides which constraints make sense on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Keyword,
    Number,
    Bool,
    Text,
}

/// The fields every product has, with their kinds.
pub const BUILTIN_FIELDS: &[(&str, FieldKind)] = &[
    ("id", FieldKind::Keyword),
    ("title", FieldKind::Text),
    ("description", FieldKind::Text),
    ("brand", FieldKind::Keyword),
    ("category", FieldKind::Keyword),
    ("price", FieldKind::Number),
    ("currency", FieldKind::Keyword),
    ("rating", FieldKind::Number),
    ("stock", FieldKind::Number),
    ("tags", FieldKind::Keyword),
];

/// One value of a product field, for evaluating constraints in Rust (explanations, the catalog check).
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue<'a> {
    Text(&'a str),
    Number(f64),
    Bool(bool),
}

impl FieldValue<'_> {
    /// Appends the value to a cache or grouping key, distinct for values of distinct kinds (cheaper than `Debug`).
    pub(crate) fn push_key(&self, key: &mut String) {
        match self {
            FieldValue::Text(text) => {
                key.push('t');
                key.push_str(text);
            }
            FieldValue::Number(n) => {
                key.push('n');
                key.push_str(&n.to_bits().to_string());
            }
            FieldValue::Bool(b) => key.push_str(if *b { "b1" } else { "b0" }),
        }
        key.push('\u{0}');
    }
}

impl Product {
    /// Every value of `field` (several for lists such as `tags`); empty when the product lacks the field.
    pub fn values(&self, field: &str) -> Vec<FieldValue<'_>> {
        match field {
            "id" => vec![FieldValue::Text(&self.id)],
            "title" => vec![FieldValue::Text(&self.title)],
            "description" => vec![FieldValue::Text(&self.description)],
            "brand" => vec![FieldValue::Text(&self.brand)],
            "category" => vec![FieldValue::Text(&self.category)],
            "currency" => vec![FieldValue::Text(&self.currency)],
            "price" => vec![FieldValue::Number(self.price)],
            "rating" => self.rating.map(FieldValue::Number).into_iter().collect(),
            "stock" => vec![FieldValue::Number(self.stock as f64)],
            "tags" => self.tags.iter().map(|t| FieldValue::Text(t)).collect(),
            other => match self.attributes.get(other) {
                None => Vec::new(),
                Some(AttrValue::Bool(b)) => vec![FieldValue::Bool(*b)],
                Some(AttrValue::Number(n)) => vec![FieldValue::Number(*n)],
                Some(AttrValue::Keyword(s)) => vec![FieldValue::Text(s)],
                Some(AttrValue::List(items)) => items.iter().map(|s| FieldValue::Text(s)).collect(),
            },
        }
    }

    pub fn in_stock(&self) -> bool {
        self.stock > 0
    }
}

/// The fields a catalog's products carry, with their kinds: what flows may map answers to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields {
    kinds: BTreeMap<String, FieldKind>,
}

impl Fields {
    pub fn builtin() -> Fields {
        let kinds = BUILTIN_FIELDS
            .iter()
            .map(|(name, kind)| (name.to_string(), *kind))
            .collect();
        Fields { kinds }
    }

    /// The fields of a manifest written when an index was built.
    pub(crate) fn from_kinds(kinds: BTreeMap<String, FieldKind>) -> Fields {
        Fields { kinds }
    }

    /// Adds the attributes of `product`. A field seen with two kinds keeps the first (the index stores the other
    /// values as keywords), which is the forgiving reading of a messy feed.
    pub fn observe(&mut self, product: &Product) {
        for (name, value) in &product.attributes {
            let kind = match value {
                AttrValue::Bool(_) => FieldKind::Bool,
                AttrValue::Number(_) => FieldKind::Number,
                AttrValue::Keyword(_) | AttrValue::List(_) => FieldKind::Keyword,
            };
            self.kinds.entry(name.clone()).or_insert(kind);
        }
    }

    pub fn kind(&self, field: &str) -> Option<FieldKind> {
        self.kinds.get(field).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, FieldKind)> {
        self.kinds.iter().map(|(name, kind)| (name.as_str(), *kind))
    }

    pub fn names(&self) -> Vec<&str> {
        self.kinds.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::AttrValue;

    #[test]
    fn attribute_values_read_by_their_json_type() {
        let read = |json: &str| serde_json::from_str::<AttrValue>(json);
        assert_eq!(read("true").ok(), Some(AttrValue::Bool(true)));
        assert_eq!(read("42").ok(), Some(AttrValue::Number(42.0)));
        assert_eq!(read("-1.5").ok(), Some(AttrValue::Number(-1.5)));
        assert_eq!(
            read(r#""トレイル""#).ok(),
            Some(AttrValue::Keyword("トレイル".into()))
        );
        assert_eq!(
            read(r#"["s", "m"]"#).ok(),
            Some(AttrValue::List(vec!["s".into(), "m".into()]))
        );
        let error = read(r#"{"a": 1}"#).expect_err("a map is no attribute value");
        assert!(
            error
                .to_string()
                .contains("a boolean, a number, a string or a list of strings"),
            "{error}"
        );
        for value in [
            AttrValue::Bool(false),
            AttrValue::Number(3.25),
            AttrValue::Keyword("trail".into()),
            AttrValue::List(vec!["blue".into()]),
        ] {
            let json = serde_json::to_string(&value).expect("serialises");
            assert_eq!(read(&json).ok(), Some(value), "round trip of {json}");
        }
    }
}
