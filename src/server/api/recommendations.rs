//! `GET /v1/visitors/{id}/recommendations?limit=N&context=PRODUCT&locale=ja`: products for one shopper, each with
//! its reason. The server gathers the inputs — the shopper's events, the finder's picks for their stored answers
//! (the matcher run on a session rebuilt from them), the catalog — and [`crate::recommend`] decides.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, authorize, blocking, valid_id};
use crate::catalog::Product;
use crate::conversation::Answer;
use crate::flow::Flow;
use crate::recommend::{self, Catalogued, Recommendation};
use crate::server::{App, AppState};
use crate::store::{StoreError, StoredAnswer};

#[derive(Deserialize)]
pub(super) struct Params {
    limit: Option<usize>,
    context: Option<String>,
    locale: Option<String>,
    /// The finder in play (the widget's): its scope and `in_stock_only` hold. Default: the one answered last.
    flow: Option<String>,
}

/// Most recommendations one request returns.
const MAX_LIMIT: usize = 50;

pub(super) async fn recommendations(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers)?;
    if !valid_id(&id) {
        return Err(ApiError::bad(
            "id",
            "a visitor id is 1–128 characters without `:` (or `c:` + a customer id)",
        ));
    }
    let limit = params.limit.unwrap_or(10);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad("limit", format!("from 1 to {MAX_LIMIT}")));
    }
    if let Some(context) = &params.context
        && (context.is_empty() || context.len() > 128)
    {
        return Err(ApiError::bad("context", "a product id of 1–128 characters"));
    }
    if let Some(flow) = &params.flow
        && state.0.flows().get(flow).is_none()
    {
        return Err(ApiError::bad(
            "flow",
            format!("no finder `{flow}` is served; name one of its flows or leave `flow` out"),
        ));
    }
    let ask = Ask {
        limit,
        context: params.context,
        locale: params.locale.unwrap_or_else(|| "en".into()),
        flow: params.flow,
    };
    let app = state.clone();
    let gathered = blocking(move || gather(&app.0, &id, &ask)).await?;
    let out: Vec<Value> = gathered
        .items
        .iter()
        .map(|r| {
            json!({
                "product": r.rec.product, "title": r.rec.title, "kind": r.rec.kind, "reason": r.rec.reason,
                "price": r.product.price, "currency": r.product.currency,
                "image": r.product.image, "link": r.product.link,
            })
        })
        .collect();
    Ok(Json(json!({ "recommendations": out })))
}

/// What one recommendation request asks, however it came (the API or the chat socket).
pub(in crate::server) struct Ask {
    pub limit: usize,
    pub context: Option<String>,
    pub locale: String,
    /// The finder in play: its scope and `in_stock_only` hold. `None`: the one answered last, without its scope.
    pub flow: Option<String>,
}

/// A recommendation with the product it names, for a card.
pub(in crate::server) struct Recommended {
    pub rec: Recommendation,
    pub product: Product,
}

pub(in crate::server) struct Gathered {
    pub items: Vec<Recommended>,
    /// Whether the shopper is known: they answered a finder or the shop sent events of theirs.
    pub returning: bool,
}

/// Gathers the inputs for shopper `id` and asks [`recommend::recommend`]. Blocking (store reads, catalog lookups):
/// run it off the async runtime.
pub(in crate::server) fn gather(app: &App, id: &str, ask: &Ask) -> Result<Gathered, StoreError> {
    let (limit, locale) = (ask.limit, ask.locale.as_str());
    let store = &app.store;
    let catalog = app.catalog();
    let (history, answers) = match store.known_profile(id)? {
        Some(profile) => {
            let mut history = Vec::new();
            for owner in &profile.owners {
                history.extend(store.shop_events_of(owner)?);
            }
            history.sort_by_key(|e| e.at);
            (history, store.profile_answers(&profile)?)
        }
        None => (Vec::new(), Vec::new()),
    };
    let flows = app.flows();
    let (flow, from_answers, signature, answered_at) = from_answers(
        &flows,
        &catalog,
        &answers,
        ask.flow.as_deref(),
        locale,
        limit,
    );
    // The scope of a finder named by the request (the widget names its own); a finder answered on another day
    // still gives its picks, but does not narrow a product page of another category.
    let scope = match (&flow, &ask.flow) {
        (Some(flow), Some(_)) => flow.scope.as_slice(),
        _ => &[],
    };
    // Each product is read once: `recommend` looks some up several times, and the cards need them after.
    let seen: RefCell<HashMap<String, Option<Product>>> = RefCell::default();
    let product = |id: &str| -> Option<Product> {
        if let Some(found) = seen.borrow().get(id) {
            return found.clone();
        }
        let found = catalog.get(id).ok().flatten();
        seen.borrow_mut().insert(id.to_string(), found.clone());
        found
    };
    let lookup = |id: &str| {
        product(id).map(|p| Catalogued {
            in_stock: p.stock > 0,
            in_scope: scope.iter().all(|c| c.test(&p)),
            title: p.title,
            category: p.category,
        })
    };
    let answered: Vec<(String, String, Vec<String>)> = answers
        .iter()
        .map(|a| (a.flow.clone(), a.question.clone(), a.answer.values()))
        .collect();
    let rules = app.live.rules();
    let answers_stale =
        app.settings.clock.now().saturating_sub(answered_at) > app.settings.answers_fresh.as_secs();
    let request = recommend::Request {
        limit,
        context: ask.context.as_deref(),
        locale,
        history: &history,
        from_answers: &from_answers,
        in_stock_only: flow.as_ref().is_none_or(|f| f.in_stock_only),
        answers_stale,
        answered: &answered,
        rules: &rules,
        signature: flow
            .as_ref()
            .zip(signature.as_deref())
            .map(|(f, s)| (f.id.as_str(), s)),
    };
    let recs = {
        let model = app.recommend.read().unwrap_or_else(|p| p.into_inner());
        recommend::recommend(&model, &request, &lookup)
    };
    let items = recs
        .into_iter()
        .filter_map(|rec| {
            Some(Recommended {
                product: product(&rec.product)?,
                rec,
            })
        })
        .collect();
    Ok(Gathered {
        items,
        returning: !history.is_empty() || !answers.is_empty(),
    })
}

/// The finder in play — `wanted`, else the one the shopper answered last — its picks for the shopper's stored
/// answers to it (each with the answers it matched), those answers as a signature, and when the newest of them was
/// given (0 when none).
fn from_answers(
    flows: &crate::flow::Flows,
    catalog: &crate::catalog::Catalog,
    answers: &[StoredAnswer],
    wanted: Option<&str>,
    locale: &str,
    limit: usize,
) -> (Option<Arc<Flow>>, Picks, Option<String>, u64) {
    let mut by_flow: HashMap<&str, Vec<&StoredAnswer>> = HashMap::new();
    for answer in answers {
        by_flow
            .entry(answer.flow.as_str())
            .or_default()
            .push(answer);
    }
    let last = by_flow
        .iter()
        .max_by_key(|(flow, answers)| (answers.iter().map(|a| a.at).max().unwrap_or(0), **flow))
        .map(|(flow, _)| *flow);
    let Some(flow) = wanted.or(last).and_then(|id| flows.get(id)).cloned() else {
        return (None, Vec::new(), None, 0);
    };
    let mut given = by_flow.remove(flow.id.as_str()).unwrap_or_default();
    if given.is_empty() {
        return (Some(flow), Vec::new(), None, 0);
    }
    given.sort_by_key(|a| a.at);
    let signature =
        recommend::alike::signature(given.iter().map(|a| (a.question.as_str(), a.answer.key())));
    let picks = picks_for(&flow, catalog, &given, locale, limit);
    let newest = given.iter().map(|a| a.at).max().unwrap_or(0);
    (Some(flow), picks, Some(signature), newest)
}

/// Products with the answers each matched.
type Picks = Vec<(String, Vec<String>)>;

/// What the finder's matcher picks for `given` answers ([`crate::replay::picks`]).
fn picks_for(
    flow: &Flow,
    catalog: &crate::catalog::Catalog,
    given: &[&StoredAnswer],
    locale: &str,
    limit: usize,
) -> Picks {
    let given: Vec<(&str, &Answer)> = given
        .iter()
        .map(|a| (a.question.as_str(), &a.answer))
        .collect();
    crate::replay::picks(flow, catalog, &given, locale, limit)
        .into_iter()
        .map(|(product, matched)| (product.id.clone(), matched))
        .collect()
}
