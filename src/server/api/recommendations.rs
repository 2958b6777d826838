//! `GET /v1/visitors/{id}/recommendations?limit=N&context=PRODUCT&locale=ja`: products for one shopper, each with
//! its reason. The server gathers the inputs — the shopper's events, the finder's picks for their stored answers
//! (the matcher run on a session rebuilt from them), the catalog — and [`crate::recommend`] decides.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, authorize, blocking, valid_id};
use crate::conversation::{self, Answered, Position, Session};
use crate::recommend::{self, Catalogued};
use crate::server::AppState;
use crate::store::StoredAnswer;

#[derive(Deserialize)]
pub(super) struct Params {
    limit: Option<usize>,
    context: Option<String>,
    locale: Option<String>,
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
    let app = state.clone();
    let out = blocking(move || {
        let app = &app.0;
        let store = &app.store;
        let catalog = app.catalog();
        let (history, answers) = match store.known_profile(&id)? {
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
        let locale = params.locale.clone().unwrap_or_else(|| "en".into());
        let (from_answers, in_stock_only) =
            from_answers(&app.flows(), &catalog, &answers, &locale, limit);
        let lookup = |product: &str| {
            catalog.get(product).ok().flatten().map(|p| Catalogued {
                in_stock: p.stock > 0,
                title: p.title,
                category: p.category,
            })
        };
        let request = recommend::Request {
            limit,
            context: params.context.as_deref(),
            locale: &locale,
            history: &history,
            from_answers: &from_answers,
            in_stock_only,
        };
        let model = app.recommend.read().unwrap_or_else(|p| p.into_inner());
        Ok(recommend::recommend(&model, &request, &lookup))
    })
    .await?;
    Ok(Json(json!({ "recommendations": out })))
}

/// The finder's picks for the shopper's stored answers of the finder they answered last, each with the answers it
/// matched; and whether that finder shows only products in stock (the default when they answered none).
fn from_answers(
    flows: &crate::flow::Flows,
    catalog: &crate::catalog::Catalog,
    answers: &[StoredAnswer],
    locale: &str,
    limit: usize,
) -> (Vec<(String, Vec<String>)>, bool) {
    let mut by_flow: HashMap<&str, Vec<&StoredAnswer>> = HashMap::new();
    for answer in answers {
        by_flow
            .entry(answer.flow.as_str())
            .or_default()
            .push(answer);
    }
    let Some((flow_id, mut given)) = by_flow
        .into_iter()
        .max_by_key(|(flow, answers)| (answers.iter().map(|a| a.at).max().unwrap_or(0), *flow))
    else {
        return (Vec::new(), true);
    };
    let Some(flow) = flows.get(flow_id) else {
        return (Vec::new(), true);
    };
    given.sort_by_key(|a| a.at);
    let mut session = Session::new("recommend".into(), flow, Some(locale), None);
    session.answers = given
        .iter()
        .filter(|a| flow.question(&a.question).is_some())
        .map(|a| Answered {
            question: a.question.clone(),
            answer: a.answer.clone(),
        })
        .collect();
    let Some(result) = flow.nodes.iter().find_map(|n| match n {
        crate::flow::Node::Results(r) => Some(r.id.clone()),
        crate::flow::Node::Question(_) => None,
    }) else {
        return (Vec::new(), flow.in_stock_only);
    };
    session.at = Position::Showing(result.clone());
    let request = conversation::request(flow, &session, limit, 1);
    let Ok(outcome) = catalog.find(&request) else {
        return (Vec::new(), flow.in_stock_only);
    };
    let showcase = conversation::present(flow, &session, &result, outcome);
    let picks = showcase
        .picks
        .into_iter()
        .filter(|p| !p.matched.is_empty())
        .map(|p| (p.product.id.clone(), p.matched))
        .collect();
    (picks, flow.in_stock_only)
}
