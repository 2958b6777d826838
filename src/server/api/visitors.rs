//! `/v1/visitors/{id}/…`: a shopper's profile as the shop's server sees it, the email the shop vouches for, and
//! the consent ledger (read, withdraw).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;

use super::{ApiError, authorize, blocking, parse, valid_id};
use crate::server::AppState;
use crate::store::{self, Action, Channel, ConsentEntry, Purpose};

/// `GET /v1/visitors/{id}/profile`: the merged profile, its answers (newest per question), the picks shown, the
/// consents' state and the shop events.
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
        let consents = store.consent_state(&profile)?;
        let mut events = Vec::new();
        for owner in &profile.owners {
            events.extend(store.shop_events_of(owner)?);
        }
        events.sort_by_key(|e| e.at);
        Ok(Some(serde_json::json!({
            "profile": profile,
            "answers": answers,
            "picks": picks,
            "consents": consents,
            "events": events,
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

/// `GET /v1/visitors/{id}/consents`: the ledger, oldest first, and the state of each purpose.
pub(super) async fn consents(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&state, &headers)?;
    check_id(&id)?;
    let store = state.0.store.clone();
    let ledger = blocking(move || {
        let profile = store.profile(&id)?;
        Ok(serde_json::json!({
            "profile": profile.id,
            "state": store.consent_state(&profile)?,
            "entries": store.consents(&profile)?,
        }))
    })
    .await?;
    Ok(Json(ledger))
}

/// `DELETE /v1/visitors/{id}/consents/{purpose}`: withdraws consent (channel `api`), effective at once and durable
/// before the answer.
pub(super) async fn withdraw(
    State(state): State<AppState>,
    Path((id, purpose)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&state, &headers)?;
    check_id(&id)?;
    let Some(purpose) = Purpose::parse(&purpose) else {
        let known: Vec<&str> = Purpose::ALL.iter().map(|p| p.name()).collect();
        return Err(ApiError::bad(
            "purpose",
            format!(
                "unknown purpose `{purpose}`; use one of: {}",
                known.join(", ")
            ),
        ));
    };
    let store = state.0.store.clone();
    let mail_state = state.clone();
    let withdrawn = blocking(move || {
        let profile = store.profile(&id)?;
        // The withdrawal names the text it withdraws: the last one given for the purpose.
        let last = store
            .consents(&profile)?
            .into_iter()
            .rev()
            .find(|e| e.purpose == purpose && e.action == Action::Given);
        let owner = profile
            .owners
            .first()
            .cloned()
            .unwrap_or(profile.id.clone());
        let entry = ConsentEntry {
            purpose,
            action: Action::Withdrawn,
            text: last.as_ref().map(|e| e.text.clone()).unwrap_or_default(),
            text_version: last
                .as_ref()
                .map(|e| e.text_version.clone())
                .unwrap_or_default(),
            locale: last.map(|e| e.locale).unwrap_or_default(),
            channel: Channel::Api,
            at: store::now(),
        };
        store.append_consent(&owner, &entry)?;
        // Queued emails are cancelled with the withdrawal, in the same group commit.
        super::super::email::after_withdrawal(&mail_state, &owner)?;
        Ok(profile.id)
    })
    .await?;
    state.0.store.durable().await.map_err(ApiError::internal)?;
    Ok(Json(
        serde_json::json!({"profile": withdrawn, "purpose": purpose, "given": false}),
    ))
}
