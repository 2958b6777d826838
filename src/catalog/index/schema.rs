//! The tantivy schema derived from the product model, products as tantivy documents, and constraints as tantivy
//! queries: the one place that knows how a product field is spelled in the index.
//!
//! Keyword facets share one raw field `kw` holding `field=value` terms; numbers (price, rating, stock and every
//! numeric attribute) get fast, indexed f64 fields for range filters; text goes through [`super::ShopTokenizer`].
//! The whole product is stored as JSON so a hit can be explained.

use std::collections::HashMap;
use std::ops::Bound;

use tantivy::query::{AllQuery, BooleanQuery, EmptyQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{TantivyDocument, Term};

use super::{Catalog, TOKENIZER};
use crate::catalog::{AttrValue, Constraint, FieldKind, Fields, Op, Product, Scalar};
use crate::text;

/// The schema's field handles.
#[derive(Clone)]
pub(crate) struct SchemaFields {
    pub id: Field,
    pub doc: Field,
    pub title: Field,
    pub body: Field,
    pub kw: Field,
    /// Numeric fields by catalog field name (`price`, `rating`, `stock`, numeric attributes).
    pub numbers: HashMap<String, Field>,
    /// The schema name of the `rating` fast field, which breaks ties between equal scores.
    pub rating_column: String,
}

pub(super) fn build_schema(fields: &Fields) -> (Schema, SchemaFields) {
    let mut builder = Schema::builder();
    let text_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let id = builder.add_text_field("id", STRING | STORED);
    let doc = builder.add_text_field("doc", STORED);
    let title = builder.add_text_field("title", text_options.clone());
    let body = builder.add_text_field("body", text_options);
    let kw = builder.add_text_field("kw", STRING);
    let mut numbers = HashMap::new();
    let mut rating_column = String::new();
    for (n, (name, kind)) in fields.iter().enumerate() {
        if kind == FieldKind::Number {
            let column = format!("n{n}");
            if name == "rating" {
                rating_column = column.clone();
            }
            numbers.insert(
                name.to_string(),
                builder.add_f64_field(&column, FAST | INDEXED),
            );
        }
    }
    (
        builder.build(),
        SchemaFields {
            id,
            doc,
            title,
            body,
            kw,
            numbers,
            rating_column,
        },
    )
}

/// The `kw` term for `field` = `value`.
fn keyword_term(kw: Field, field: &str, value: &str) -> Term {
    Term::from_field_text(kw, &format!("{field}={value}"))
}

pub(super) fn to_document(product: &Product, f: &SchemaFields) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &product.id);
    doc.add_text(
        f.doc,
        serde_json::to_string(product).expect("a product always serialises"),
    );
    doc.add_text(f.title, &product.title);
    let body = format!(
        "{}\n{}\n{}\n{}",
        product.description,
        product.brand,
        product.category,
        product.tags.join(" ")
    );
    doc.add_text(f.body, &body);
    let mut keyword = |field: &str, value: &str| {
        doc.add_text(f.kw, format!("{field}={}", text::normalize(value)));
    };
    keyword("id", &product.id);
    keyword("brand", &product.brand);
    keyword("category", &product.category);
    keyword("currency", &product.currency);
    for tag in &product.tags {
        keyword("tags", tag);
    }
    for (name, value) in &product.attributes {
        match value {
            AttrValue::Keyword(s) => keyword(name, s),
            AttrValue::List(items) => items.iter().for_each(|s| keyword(name, s)),
            AttrValue::Bool(b) => keyword(name, &b.to_string()),
            AttrValue::Number(n) => keyword(name, &crate::catalog::format_number(*n)),
        }
    }
    let mut number = |name: &str, value: f64| {
        if let Some(field) = f.numbers.get(name) {
            doc.add_f64(*field, value);
        }
    };
    number("price", product.price);
    if let Some(rating) = product.rating {
        number("rating", rating);
    }
    number("stock", product.stock as f64);
    for (name, value) in &product.attributes {
        if let AttrValue::Number(n) = value {
            number(name, *n);
        }
    }
    doc
}

impl Catalog {
    /// The tantivy query matching products that satisfy `constraint`. A constraint on a field the catalog does not
    /// have matches nothing (the flow checker reports such mappings before they go live).
    pub(crate) fn query_for(&self, constraint: &Constraint) -> Box<dyn Query> {
        let s = &self.inner.schema;
        let field = constraint.field.as_str();
        let number_field = s.numbers.get(field).copied();
        let range = |lower: Bound<f64>, upper: Bound<f64>| -> Box<dyn Query> {
            match number_field {
                Some(nf) => Box::new(RangeQuery::new(
                    lower.map(|v| Term::from_field_f64(nf, v)),
                    upper.map(|v| Term::from_field_f64(nf, v)),
                )),
                None => Box::new(EmptyQuery),
            }
        };
        let equals = |scalar: &Scalar| -> Box<dyn Query> {
            match (scalar, number_field) {
                (Scalar::Number(n), Some(_)) => range(Bound::Included(*n), Bound::Included(*n)),
                _ => Box::new(TermQuery::new(
                    keyword_term(s.kw, field, &scalar.keyword()),
                    IndexRecordOption::Basic,
                )),
            }
        };
        match &constraint.op {
            Op::Eq(v) | Op::Contains(v) => equals(v),
            Op::Ne(v) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, equals(v)),
            ])),
            Op::In(values) => Box::new(BooleanQuery::new(
                values.iter().map(|v| (Occur::Should, equals(v))).collect(),
            )),
            Op::Lt(x) => range(Bound::Unbounded, Bound::Excluded(*x)),
            Op::Lte(x) => range(Bound::Unbounded, Bound::Included(*x)),
            Op::Gt(x) => range(Bound::Excluded(*x), Bound::Unbounded),
            Op::Gte(x) => range(Bound::Included(*x), Bound::Unbounded),
        }
    }

    /// The text query for free text typed by a shopper: any of its terms, in the title (weighted) or the body.
    pub(crate) fn text_query(&self, free_text: &str) -> Option<Box<dyn Query>> {
        let s = &self.inner.schema;
        let normalized = text::normalize(free_text);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, _, _) in text::terms(&normalized) {
            for (field, boost) in [(s.title, 2.0), (s.body, 1.0)] {
                let query = TermQuery::new(
                    Term::from_field_text(field, &term),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(tantivy::query::BoostQuery::new(Box::new(query), boost)),
                ));
            }
        }
        if clauses.is_empty() {
            None
        } else {
            Some(Box::new(BooleanQuery::new(clauses)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::Count;

    fn product(id: &str, title: &str, price: f64) -> Product {
        serde_json::from_value(serde_json::json!({"id": id, "title": title, "price": price,
            "category": "knives", "attributes": {"blade_mm": 165, "steel": "Damascus"}}))
        .expect("product")
    }

    fn count(catalog: &Catalog, query: &dyn Query) -> usize {
        catalog.searcher().search(query, &Count).expect("search")
    }

    #[test]
    fn japanese_titles_are_found_by_japanese_words() {
        let catalog = Catalog::from_products(&[
            product("a", "関匠 ダマスカス 三徳包丁 165mm", 12800.0),
            product("b", "越前 牛刀 210mm", 22000.0),
            product("c", "Ｖｉｃｔｏｒｙ Bread Knife", 3000.0),
        ])
        .expect("index");
        let hits = |q: &str| count(&catalog, &*catalog.text_query(q).expect("query"));
        assert_eq!(hits("三徳包丁"), 1);
        assert_eq!(hits("包丁"), 1);
        assert_eq!(hits("牛刀"), 1);
        assert_eq!(
            hits("victory"),
            1,
            "full-width Latin in the catalog matches half-width queries"
        );
        assert_eq!(
            hits("ＢＲＥＡＤ"),
            1,
            "full-width queries match half-width catalog text"
        );
    }

    #[test]
    fn keyword_and_number_constraints() {
        let catalog = Catalog::from_products(&[product("a", "A", 100.0), product("b", "B", 300.0)])
            .expect("index");
        let q = |c: Constraint| count(&catalog, &*catalog.query_for(&c));
        assert_eq!(
            q(Constraint::new(
                "steel",
                Op::Eq(Scalar::Text("damascus".into()))
            )),
            2
        );
        assert_eq!(q(Constraint::new("price", Op::Lte(100.0))), 1);
        assert_eq!(q(Constraint::new("price", Op::Gt(100.0))), 1);
        assert_eq!(q(Constraint::new("blade_mm", Op::Gte(160.0))), 2);
        assert_eq!(
            q(Constraint::new("price", Op::Ne(Scalar::Number(100.0)))),
            1
        );
        assert_eq!(
            q(Constraint::new(
                "colour",
                Op::Eq(Scalar::Text("red".into()))
            )),
            0
        );
    }
}
