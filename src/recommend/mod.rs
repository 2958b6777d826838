//! Recommendations for a returning (or first-time) visitor: pure over its inputs, like the engine — no IO, not
//! async. The server gathers the inputs (the shopper's events, the picks the finder's matcher makes from their
//! stored answers, a catalog lookup) and [`recommend`] decides.
//!
//! Kinds, each with its reason in the shopper's locale: the merchant's **pins** and **accessories** ([`rules`],
//! always first), **from their answers** ("because you told us: …"), **answered alike** ([`alike`]: what shoppers
//! with the same answers chose),
//! **bought together** and **viewed together** with the product in view or the ones they looked at last
//! ([`model`]: incremental, popularity-corrected co-occurrence), **recently viewed**, and **popular** in the
//! category of the product in view (the cold start of a first-time visitor). The lists are interleaved in that
//! order of priority (with a product in view, its companions come first), products already bought or in view are
//! left out, and so are excluded products, products outside the finder's scope, products the catalog does not have
//! or, with `in_stock_only`, has none of.

pub mod alike;
pub mod eval;
pub mod model;
pub mod rules;

use std::collections::HashSet;

use serde::Serialize;

pub use model::{Model, Together};
pub use rules::Rules;

use crate::shop_events::{Kind as EventKind, ShopEvent};

/// What the catalog says of a product, as a recommendation needs it.
#[derive(Clone, Debug)]
pub struct Catalogued {
    pub title: String,
    pub category: String,
    pub in_stock: bool,
    /// Within the finder's `scope` (every product when no finder is in play).
    pub in_scope: bool,
}

/// Why a product is recommended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Pinned by the merchant's rules.
    Pinned,
    /// Recommended with a product the shopper has in view, looked at or bought (the merchant's rules).
    GoesWith,
    FromAnswers,
    /// Chosen by shoppers who gave the finder the same answers.
    AnsweredAlike,
    BoughtTogether,
    ViewedTogether,
    RecentlyViewed,
    Popular,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    pub product: String,
    pub title: String,
    pub kind: Kind,
    pub reason: String,
}

/// The inputs of one recommendation request.
pub struct Request<'a> {
    pub limit: usize,
    /// The product in view (a product page), if any.
    pub context: Option<&'a str>,
    pub locale: &'a str,
    /// The shopper's shop events, oldest first (none for a first-time visitor).
    pub history: &'a [ShopEvent],
    /// What the finder's matcher picked from the shopper's stored answers, each with the answers it matched.
    pub from_answers: &'a [(String, Vec<String>)],
    pub in_stock_only: bool,
    /// The answers behind `from_answers` are older than the server's `answers_fresh`: their picks weigh less, and
    /// come after what the shopper did since (bought or viewed together, recently viewed).
    pub answers_stale: bool,
    /// The shopper's stored answers: finder, question and the option values given.
    pub answered: &'a [(String, String, Vec<String>)],
    /// The merchant's rules, applied on top of every kind.
    pub rules: &'a Rules,
    /// The finder in play and the shopper's answers to it ([`alike::signature`]), for "answered like you".
    pub signature: Option<(&'a str, &'a str)>,
}

/// How many of the shopper's last products anchor "bought / viewed together" when no product is in view.
const ANCHORS: usize = 3;

/// The recommendations for `request`, at most `limit`, best first.
pub fn recommend(
    model: &Model,
    request: &Request<'_>,
    lookup: &dyn Fn(&str) -> Option<Catalogued>,
) -> Vec<Recommendation> {
    let ja = request.locale.starts_with("ja");
    let bought: HashSet<&str> = request
        .history
        .iter()
        .filter(|e| e.kind == EventKind::Purchased)
        .flat_map(|e| e.products())
        .collect();
    let mut recent: Vec<&str> = Vec::new();
    for event in request.history.iter().rev() {
        if matches!(
            event.kind,
            EventKind::Viewed | EventKind::Page | EventKind::AddedToCart
        ) && let Some(product) = event.product.as_deref()
            && !recent.contains(&product)
        {
            recent.push(product);
        }
    }
    let anchors: Vec<&str> = match request.context {
        Some(product) => vec![product],
        None => recent.iter().take(ANCHORS).copied().collect(),
    };
    let title = |product: &str| lookup(product).map_or_else(|| product.to_string(), |c| c.title);
    let mut lists: Vec<Vec<(String, Kind, String)>> = Vec::new();
    let answers: Vec<(String, Kind, String)> = request
        .from_answers
        .iter()
        .map(|(product, told)| {
            (
                product.clone(),
                Kind::FromAnswers,
                because_you_told(told, request.locale),
            )
        })
        .collect();
    let together = |kind: Together| {
        let mut list = Vec::new();
        for anchor in &anchors {
            let with = title(anchor);
            for (product, _) in model.together(kind, anchor) {
                // What they saw themselves is "recently viewed", not what others saw with it.
                if request.context.is_none() && recent.contains(&product.as_str()) {
                    continue;
                }
                let reason = match (kind, ja) {
                    (Together::Bought, false) => {
                        format!("Shoppers who bought {with} also bought this")
                    }
                    (Together::Bought, true) => {
                        format!("「{with}」を購入した方はこちらも購入しています")
                    }
                    (Together::Viewed, false) => {
                        format!("Shoppers who viewed {with} also viewed this")
                    }
                    (Together::Viewed, true) => format!("「{with}」を見た方はこちらも見ています"),
                };
                let kind = match kind {
                    Together::Bought => Kind::BoughtTogether,
                    Together::Viewed => Kind::ViewedTogether,
                };
                list.push((product, kind, reason));
            }
        }
        list
    };
    // What shoppers who answered alike chose, less what this shopper chose already.
    let chosen: HashSet<&str> = request
        .history
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Clicked | EventKind::AddedToCart | EventKind::Purchased
            )
        })
        .flat_map(|e| e.products())
        .collect();
    let alike: Vec<(String, Kind, String)> = request
        .signature
        .map(|(flow, signature)| model.answered_alike(flow, signature))
        .unwrap_or_default()
        .into_iter()
        .filter(|(p, _)| !chosen.contains(p.as_str()))
        .map(|(p, _)| {
            let reason = if ja {
                "同じ回答をした方が選んだ商品"
            } else {
                "Shoppers who answered like you chose this"
            };
            (p, Kind::AnsweredAlike, reason.to_string())
        })
        .collect();
    let bought_together = together(Together::Bought);
    let viewed_together = together(Together::Viewed);
    let recently: Vec<(String, Kind, String)> = recent
        .iter()
        .map(|p| {
            let reason = if ja {
                "最近見た商品"
            } else {
                "Recently viewed"
            };
            (p.to_string(), Kind::RecentlyViewed, reason.to_string())
        })
        .collect();
    match (request.context.is_some(), request.answers_stale) {
        (true, false) => lists.extend([bought_together, viewed_together, answers, alike, recently]),
        (false, false) => {
            lists.extend([answers, alike, bought_together, viewed_together, recently])
        }
        (_, true) => lists.extend([bought_together, viewed_together, recently, answers, alike]),
    }
    // The cold start: what is popular in the category of the product in view (or last seen), else overall.
    let category = anchors.first().and_then(|p| lookup(p)).map(|c| c.category);
    // Read lazily, most popular first, and only as far as needed: the other kinds can take at most `limit` of
    // these, so `2 × limit` that could be shown (in the category, scope and stock; not bought, excluded or in
    // view) always fill the list as the whole ranking would.
    let popular: Vec<(String, Kind, String)> = model
        .popular()
        .filter(|(p, _)| {
            !bought.contains(p)
                && request.context != Some(*p)
                && !request.rules.exclude.contains(*p)
                && lookup(p).is_some_and(|c| {
                    c.in_scope
                        && (c.in_stock || !request.in_stock_only)
                        && category
                            .as_ref()
                            .is_none_or(|category| &c.category == category)
                })
        })
        .take(2 * request.limit)
        .map(|(p, _)| {
            let reason = match (&category, ja) {
                (Some(c), false) => format!("Popular in {c}"),
                (Some(c), true) => format!("{c}で人気"),
                (None, false) => "Popular right now".to_string(),
                (None, true) => "いま人気".to_string(),
            };
            (p.to_string(), Kind::Popular, reason)
        })
        .collect();
    lists.push(popular);

    let rules = rules_lists(request, &recent, &bought, category.as_deref(), &title);

    let mut taken: HashSet<String> = bought.iter().map(|p| p.to_string()).collect();
    taken.extend(request.context.map(str::to_string));
    taken.extend(request.rules.exclude.iter().cloned());
    let mut out = Vec::new();
    let mut take = |(product, kind, reason): &(String, Kind, String),
                    out: &mut Vec<Recommendation>| {
        if taken.contains(product) {
            return false;
        }
        let Some(found) = lookup(product) else {
            return false;
        };
        if !found.in_scope || (request.in_stock_only && !found.in_stock) {
            return false;
        }
        taken.insert(product.clone());
        out.push(Recommendation {
            product: product.clone(),
            title: found.title,
            kind: *kind,
            reason: reason.clone(),
        });
        true
    };
    // The merchant's pins and accessories first, in the order written.
    for entry in &rules {
        if out.len() >= request.limit {
            break;
        }
        take(entry, &mut out);
    }
    let mut cursors = vec![0usize; lists.len()];
    // Then round robin over the kinds, in priority order, so no one kind fills every place.
    while out.len() < request.limit {
        let mut progressed = false;
        for (list, cursor) in lists.iter().zip(cursors.iter_mut()) {
            while *cursor < list.len() {
                *cursor += 1;
                if take(&list[*cursor - 1], &mut out) {
                    progressed = true;
                    break;
                }
            }
            if out.len() >= request.limit {
                break;
            }
        }
        if !progressed {
            break;
        }
    }
    out
}

/// The merchant's pins that hold for this request (the category in view or last seen; the shopper's answers),
/// then the accessories of the products in view, looked at (newest first) or bought, each with its reason.
fn rules_lists(
    request: &Request<'_>,
    recent: &[&str],
    bought: &HashSet<&str>,
    category: Option<&str>,
    title: &dyn Fn(&str) -> String,
) -> Vec<(String, Kind, String)> {
    let ja = request.locale.starts_with("ja");
    let own = |text: &Option<crate::flow::Text>| {
        text.as_ref()
            .map(|t| t.get(request.locale, "en").to_string())
    };
    let mut out = Vec::new();
    for pin in &request.rules.pins {
        let reason = match &pin.when {
            rules::When::Category(c) if Some(c.as_str()) == category => match ja {
                false => format!("Our pick in {c}"),
                true => format!("{c}のおすすめ"),
            },
            rules::When::Answer {
                flow,
                question,
                value,
                label,
            } => {
                let given = request
                    .answered
                    .iter()
                    .any(|(f, q, values)| f == flow && q == question && values.contains(value));
                if !given {
                    continue;
                }
                let label = label.get(request.locale, "en");
                match ja {
                    false => format!("Our pick for {label}"),
                    true => format!("「{label}」のおすすめ"),
                }
            }
            rules::When::Category(_) => continue,
        };
        out.push((
            pin.product.clone(),
            Kind::Pinned,
            own(&pin.reason).unwrap_or(reason),
        ));
    }
    let mut bought: Vec<&str> = bought.iter().copied().collect();
    bought.sort_unstable();
    let anchors = request
        .context
        .into_iter()
        .chain(recent.iter().copied())
        .chain(bought);
    for anchor in anchors {
        for rule in request.rules.with.iter().filter(|w| w.product == anchor) {
            let with = title(anchor);
            let reason = own(&rule.reason).unwrap_or_else(|| match ja {
                false => format!("Goes with {with}"),
                true => format!("「{with}」と一緒に"),
            });
            for product in &rule.recommend {
                out.push((product.clone(), Kind::GoesWith, reason.clone()));
            }
        }
    }
    out
}

/// The reason of a pick made from the shopper's answers, in their locale ("Because you told us: Trail, Waterproof";
/// 「ご回答（トレイル、防水）に合わせて」): the same words on the site and in email.
pub fn because_you_told(told: &[String], locale: &str) -> String {
    if locale.starts_with("ja") {
        format!("ご回答（{}）に合わせて", told.join("、"))
    } else {
        format!("Because you told us: {}", told.join(", "))
    }
}

#[cfg(test)]
mod tests;
