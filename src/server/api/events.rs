//! `POST /v1/events`: shop events from the shop's server — one event, a list, or `{"events": [...]}`.
//!
//! Every event is validated ([`crate::shop_events::validate`]); product ids the catalog does not know are kept and
//! flagged; a resent event id is stored once. The answer comes after the good events are durable (group commit).
//! One bad event alone gets a 400 naming its field; a batch stores its good events and lists the bad ones.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::{ApiError, authorize};
use crate::catalog::Catalog;
use crate::server::AppState;
use crate::shop_events::{self, Invalid, ShopEvent, Source};
use crate::store::{self, Recorded, Store};

/// `POST /v1/events`.
pub(super) async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state, &headers)?;
    let limits = &state.0.settings.limits;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad("body", format!("the body is not JSON: {e}")))?;
    let (events, batch) = match value {
        Value::Array(events) => (events, true),
        Value::Object(mut fields) if fields.contains_key("events") => match fields.remove("events")
        {
            Some(Value::Array(events)) if fields.is_empty() => (events, true),
            _ => {
                return Err(ApiError::bad(
                    "events",
                    "a batch is {\"events\": [event, …]} and nothing else",
                ));
            }
        },
        single => (vec![single], false),
    };
    if events.is_empty() || events.len() > limits.max_events_batch {
        return Err(ApiError::bad(
            "events",
            format!("send 1 to {} events per request", limits.max_events_batch),
        ));
    }
    if !state.0.events_rate.allow(events.len()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_events",
            "more events per second than this server takes (--events-per-second); send them again shortly",
        ));
    }
    let now = store::now();
    let mut good = Vec::with_capacity(events.len());
    let mut rejected = Vec::new();
    for (index, event) in events.iter().enumerate() {
        match shop_events::validate(event, None, Source::Api, now) {
            Ok(event) => good.push((index, event)),
            Err(Invalid { field, message }) => {
                if !batch {
                    return Err(ApiError {
                        code: "bad_event",
                        ..ApiError::bad(field, message)
                    });
                }
                rejected.push(json!({
                    "index": index,
                    "id": event.get("id"),
                    "field": field,
                    "message": message,
                }));
            }
        }
    }
    if good.is_empty() {
        return Err(ApiError {
            code: "bad_event",
            field: Some("events".into()),
            ..ApiError::bad(
                "events",
                format!(
                    "no event in the batch is valid: {}",
                    Value::from(rejected.clone())
                ),
            )
        });
    }
    let (catalog, app_store) = (state.0.catalog(), state.0.store.clone());
    let (indexes, events): (Vec<usize>, Vec<ShopEvent>) = good.into_iter().unzip();
    let mail_state = state.clone();
    let (events, outcomes) = super::blocking(move || {
        let kept = keep(&app_store, &catalog, events)?;
        super::super::email::after_kept(&mail_state, &kept);
        Ok(kept)
    })
    .await?;
    state.0.store.durable().await.map_err(ApiError::internal)?;
    learn(&state, &events, &outcomes);
    let mut stored = 0;
    let mut duplicates = Vec::new();
    let mut flagged = Vec::new();
    for ((index, event), outcome) in indexes
        .into_iter()
        .zip(&events)
        .zip(outcomes.iter().copied())
    {
        match outcome {
            Recorded::Stored => stored += 1,
            Recorded::Duplicate => duplicates.push(json!({"index": index, "id": event.id})),
        }
        if !event.unknown_products.is_empty() {
            flagged.push(
                json!({"index": index, "id": event.id, "unknown_products": event.unknown_products}),
            );
        }
    }
    let body = json!({
        "stored": stored,
        "duplicates": duplicates,
        "flagged": flagged,
        "rejected": rejected,
    });
    Ok((StatusCode::OK, Json(body)))
}

/// Flags the products the catalog does not know and queues the events; what became of each.
pub(crate) fn keep(
    store: &Store,
    catalog: &Catalog,
    mut events: Vec<ShopEvent>,
) -> Result<(Vec<ShopEvent>, Vec<Recorded>), store::StoreError> {
    for event in &mut events {
        event.unknown_products = event
            .products()
            .into_iter()
            .filter(|p| !catalog.contains(p))
            .map(str::to_string)
            .collect();
    }
    let outcomes = store.record_shop_events(&events)?;
    Ok((events, outcomes))
}

/// Takes the stored events into the recommendation model.
/// Takes the stored events into the recommendation model and the insights (clicks and purchases of picks).
pub(crate) fn learn(state: &AppState, events: &[ShopEvent], outcomes: &[Recorded]) {
    let stored: Vec<&ShopEvent> = events
        .iter()
        .zip(outcomes)
        .filter(|(_, outcome)| **outcome == Recorded::Stored)
        .map(|(event, _)| event)
        .collect();
    {
        let mut model = state.0.recommend.write().unwrap_or_else(|p| p.into_inner());
        for event in &stored {
            model.observe(event);
        }
    }
    crate::server::insights::shop(state, &stored);
}
