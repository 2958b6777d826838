//! `/v1/visitors/{id}/…`: a shopper's profile as the shop's server sees it, and the email the shop vouches for.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;

use super::{ApiError, authorize, blocking, parse, valid_id};
use crate::server::AppState;

/// `GET /v1/visitors/{id}/profile`: the merged profile, its answers (newest per question) and the picks shown.
pub(super) async fn profile(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&state, &headers)?;
    check_id(&id)?;
    let store = state.0.store.clone();
    let found = blocking(move || {
        let Some(profile) = store.known_profile(&id)? else {
            return Ok(None);
        };
        let answers = store.profile_answers(&profile)?;
        let mut picks = Vec::new();
        for owner in &profile.owners {
            picks.extend(store.picks_of(owner)?);
        }
        picks.sort_by_key(|p| p.at);
        Ok(Some(serde_json::json!({
            "profile": profile,
            "answers": answers,
            "picks": picks,
        })))
    })
    .await?;
    found
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no shopper is known by that id"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailIn {
    email: String,
    /// The shop confirmed the address (a signed-in customer's verified email); merges profiles with it.
    #[serde(default)]
    confirmed: bool,
}

/// `PUT /v1/visitors/{id}/email`: the shop tells us a shopper's email; a confirmed one merges every profile
/// confirmed with the same address.
pub(super) async fn email(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&state, &headers)?;
    check_id(&id)?;
    let given: EmailIn = parse(&body)?;
    if !crate::conversation::looks_like_email(&given.email) {
        return Err(ApiError::bad(
            "email",
            "that is not an email address such as aiko@example.com",
        ));
    }
    let store = state.0.store.clone();
    let profile = blocking(move || store.set_email(&id, &given.email, given.confirmed)).await?;
    state.0.store.durable().await.map_err(ApiError::internal)?;
    Ok(Json(serde_json::json!({ "profile": profile })))
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad(
            "id",
            "a visitor id is 1–128 characters without `:` or control characters (or `c:` + a customer id)",
        ))
    }
}
