//! The merchant's rules for recommendations, written in `recommend.yaml` beside the flows folder and applied on
//! top of every kind [`super::recommend`] produces:
//! - **pin** a product for a category (a product page of that category, or a shopper last seen there) or for a
//!   finder answer (a shopper who gave it): pinned products come first;
//! - **exclude** products: never recommended, whatever the kind;
//! - **with** X **recommend** Y (accessories): for a shopper who has X in view, looked at it or bought it, Y comes
//!   right after the pins.
//!
//! [`compile`] checks the file the way flows are checked: every problem at once, each with file, line, column and
//! the fix; product ids and categories against the catalog, answers against the finders. A file with errors is
//! never served. Key types: [`Rules`], [`Pin`], [`When`], [`GoesWith`].

use std::collections::HashSet;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::catalog::{Catalog, Constraint, Op, Scalar};
use crate::flow::{Flows, Problem, Severity, Text, yaml_cause};

/// Every rule of a `recommend.yaml`, checked; the default has none.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub pins: Vec<Pin>,
    pub exclude: HashSet<String>,
    pub with: Vec<GoesWith>,
}

/// A product put first when its condition holds.
#[derive(Clone, Debug)]
pub struct Pin {
    pub product: String,
    pub when: When,
    /// The author's reason; else a built-in one naming the category or the answer.
    pub reason: Option<Text>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum When {
    /// The product in view, or the one the shopper looked at last, is in this category.
    Category(String),
    /// The shopper gave this answer (`value`) to `question` of finder `flow`; `label` names it in reasons.
    Answer {
        flow: String,
        question: String,
        value: String,
        label: Text,
    },
}

/// With `product`, recommend `recommend` (accessories), in the order written.
#[derive(Clone, Debug)]
pub struct GoesWith {
    pub product: String,
    pub recommend: Vec<String>,
    pub reason: Option<Text>,
}

impl Rules {
    pub fn is_empty(&self) -> bool {
        self.pins.is_empty() && self.exclude.is_empty() && self.with.is_empty()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesSpec {
    #[serde(default)]
    pin: Vec<PinSpec>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    with: Vec<WithSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinSpec {
    product: Spanned<String>,
    category: Option<Spanned<String>>,
    answer: Option<Spanned<AnswerSpec>>,
    reason: Option<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerSpec {
    flow: String,
    question: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WithSpec {
    product: Spanned<String>,
    recommend: Vec<Spanned<String>>,
    reason: Option<Text>,
}

struct Check<'a> {
    file: &'a str,
    catalog: &'a Catalog,
    problems: Vec<Problem>,
}

impl Check<'_> {
    fn error(&mut self, at: Location, message: String) {
        self.problems
            .push(Problem::located(self.file, at, Severity::Error, message));
    }

    /// The product id, if the catalog has it; else a problem at its line.
    fn product(&mut self, id: &Spanned<String>) -> Option<String> {
        if self.catalog.contains(&id.value) {
            Some(id.value.clone())
        } else {
            self.error(
                id.referenced,
                format!(
                    "product `{}` is not in the catalog; use the `id` of a product in the feeds",
                    id.value
                ),
            );
            None
        }
    }

    fn category(&mut self, category: &Spanned<String>) -> Option<String> {
        let constraint = Constraint::new("category", Op::Eq(Scalar::Text(category.value.clone())));
        let found = self
            .catalog
            .constraint_set(&constraint)
            .is_ok_and(|set| set.count_ones(..) > 0);
        if found {
            Some(category.value.clone())
        } else {
            self.error(
                category.referenced,
                format!(
                    "no product is in category `{}`; use a category of the feeds",
                    category.value
                ),
            );
            None
        }
    }

    fn answer(&mut self, flows: &Flows, answer: &Spanned<AnswerSpec>) -> Option<When> {
        let at = answer.referenced;
        let AnswerSpec {
            flow,
            question,
            value,
        } = &answer.value;
        let Some(finder) = flows.get(flow) else {
            let known: Vec<&str> = flows.iter().map(|f| f.id.as_str()).collect();
            let fix = if known.is_empty() {
                "add it to the flows folder".to_string()
            } else {
                format!("use one of {}", known.join(", "))
            };
            self.error(
                at,
                format!("answer names finder `{flow}`, which is not served; {fix}"),
            );
            return None;
        };
        let Some(asked) = finder.question(question) else {
            self.error(
                at,
                format!("finder `{flow}` has no question `{question}`; use the id of one of its questions"),
            );
            return None;
        };
        let Some(choice) = asked.options.iter().find(|o| &o.value == value) else {
            let values: Vec<&str> = asked.options.iter().map(|o| o.value.as_str()).collect();
            let fix = if values.is_empty() {
                "pin on a question with options".to_string()
            } else {
                format!("use one of {}", values.join(", "))
            };
            self.error(
                at,
                format!("question `{question}` of finder `{flow}` has no option `{value}`; {fix}"),
            );
            return None;
        };
        Some(When::Answer {
            flow: flow.clone(),
            question: question.clone(),
            value: value.clone(),
            label: choice.label.clone(),
        })
    }
}

/// Compiles the rules file `file` (its text `source`) against the finders and catalog served with it. Rules come
/// back only when there is no problem; every problem is listed.
pub fn compile(
    file: &str,
    source: &str,
    flows: &Flows,
    catalog: &Catalog,
) -> (Option<Rules>, Vec<Problem>) {
    let mut check = Check {
        file,
        catalog,
        problems: Vec::new(),
    };
    // An empty file (or one of comments only) holds no rules.
    let spec: RulesSpec = if source.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    }) {
        RulesSpec {
            pin: Vec::new(),
            exclude: Vec::new(),
            with: Vec::new(),
        }
    } else {
        match serde_saphyr::from_str(source) {
            Ok(spec) => spec,
            Err(error) => {
                let (at, cause) = yaml_cause(&error);
                check.error(
                    at,
                    format!("{cause}; the file holds `pin:`, `exclude:` and `with:`, see docs/recommendations.md"),
                );
                return (None, check.problems);
            }
        }
    };
    let mut rules = Rules::default();
    for spec in &spec.exclude {
        if let Some(product) = check.product(spec) {
            rules.exclude.insert(product);
        }
    }
    for pin in &spec.pin {
        let product = check.product(&pin.product);
        let when = match (&pin.category, &pin.answer) {
            (Some(category), None) => check.category(category).map(When::Category),
            (None, Some(answer)) => check.answer(flows, answer),
            (Some(_), Some(_)) | (None, None) => {
                check.error(
                    pin.product.referenced,
                    format!(
                        "the pin of `{}` needs exactly one of `category:` or `answer:`; write two pins for both",
                        pin.product.value
                    ),
                );
                None
            }
        };
        if rules.exclude.contains(&pin.product.value) {
            check.error(
                pin.product.referenced,
                format!(
                    "product `{}` is both pinned and excluded; remove one of the two",
                    pin.product.value
                ),
            );
        }
        if let (Some(product), Some(when)) = (product, when) {
            rules.pins.push(Pin {
                product,
                when,
                reason: pin.reason.clone(),
            });
        }
    }
    for with in &spec.with {
        let product = check.product(&with.product);
        if with.recommend.is_empty() {
            check.error(
                with.product.referenced,
                format!(
                    "`with: {}` recommends nothing; list products under `recommend:`",
                    with.product.value
                ),
            );
        }
        let mut recommend = Vec::new();
        for other in &with.recommend {
            if other.value == with.product.value {
                check.error(
                    other.referenced,
                    format!(
                        "`{}` is recommended with itself; name another product",
                        other.value
                    ),
                );
            } else if rules.exclude.contains(&other.value) {
                check.error(
                    other.referenced,
                    format!(
                        "`{}` is excluded, so it is never recommended; remove it here or from `exclude:`",
                        other.value
                    ),
                );
            } else if let Some(other) = check.product(other) {
                recommend.push(other);
            }
        }
        if let Some(product) = product {
            rules.with.push(GoesWith {
                product,
                recommend,
                reason: with.reason.clone(),
            });
        }
    }
    if check.problems.is_empty() {
        (Some(rules), check.problems)
    } else {
        (None, check.problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Product;

    fn catalog() -> Catalog {
        let product = |id: &str, category: &str| -> Product {
            serde_json::from_value(serde_json::json!({
                "id": id, "title": id.to_uppercase(), "category": category, "price": 10, "stock": 1
            }))
            .expect("a product")
        };
        Catalog::from_products(&[
            product("shoe-a", "shoes"),
            product("shoe-b", "shoes"),
            product("bag-1", "bags"),
        ])
        .expect("catalog")
    }

    fn check(source: &str) -> Result<Rules, Vec<String>> {
        match compile("recommend.yaml", source, &Flows::default(), &catalog()) {
            (Some(rules), _) => Ok(rules),
            (None, problems) => Err(problems.iter().map(ToString::to_string).collect()),
        }
    }

    #[test]
    fn rules_compile_against_the_catalog() {
        let rules = check(
            "pin:\n  - {product: bag-1, category: bags, reason: {en: Staff pick, ja: スタッフのおすすめ}}\nexclude: [shoe-b]\nwith:\n  - {product: shoe-a, recommend: [bag-1]}\n",
        )
        .expect("valid rules");
        assert_eq!(rules.pins[0].when, When::Category("bags".into()));
        assert!(rules.exclude.contains("shoe-b"));
        assert_eq!(rules.with[0].recommend, ["bag-1"]);
        assert!(check("# nothing yet\n").expect("empty").is_empty());
    }

    #[test]
    fn every_problem_is_named_with_its_line() {
        let problems = check(
            "pin:\n  - {product: nope, category: hats}\n  - {product: bag-1}\n  - {product: shoe-b, answer: {flow: bikes, question: q, value: v}}\nexclude: [shoe-b]\nwith:\n  - {product: shoe-a, recommend: [shoe-a, ghost]}\n",
        )
        .expect_err("problems");
        let expected = [
            "recommend.yaml:2:15: error: product `nope` is not in the catalog",
            "recommend.yaml:2:31: error: no product is in category `hats`",
            "recommend.yaml:3:15: error: the pin of `bag-1` needs exactly one of `category:` or `answer:`",
            "recommend.yaml:4:31: error: answer names finder `bikes`, which is not served; add it to the flows folder",
            "recommend.yaml:4:15: error: product `shoe-b` is both pinned and excluded",
            "recommend.yaml:7:35: error: `shoe-a` is recommended with itself",
            "recommend.yaml:7:43: error: product `ghost` is not in the catalog",
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
        for (problem, expected) in problems.iter().zip(expected) {
            assert!(
                problem.starts_with(expected),
                "{problem} / {expected}\n{problems:#?}"
            );
        }
        let problems = check("pins: []\n").expect_err("unknown key");
        assert!(
            problems[0].contains("unknown field `pins`")
                && problems[0].contains("recommend.yaml:1:"),
            "{problems:?}"
        );
    }
}
