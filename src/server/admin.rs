//! Admin requests about shoppers' data (privacy rights): export one shopper, erase one shopper, run the retention
//! sweep now. They take the admin token (`--admin-token`, kept hashed, compared in constant time); without one
//! configured, only this machine may ask (as for `POST /admin/reload`).

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::Value;

use super::AppState;
use super::api::{ApiError, blocking, presented, valid_id};
use crate::store::{StoreError, Swept};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/shoppers/{id}", get(export).delete(erase))
        .route("/admin/retention", post(retention))
}

/// Whether an admin request may go ahead: with a token configured, only with that token (from anywhere, this
/// machine included: a local process or a proxy on it is no proof of who asks); without one, only from this
/// machine. Every `/admin` route asks this first.
pub(super) fn allowed(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let (ok, fix) = match &state.0.settings.admin_token {
        Some(token) => (
            presented(headers)
                .or(basic_password(headers).as_deref())
                .is_some_and(|given| token.matches(given)),
            "send the admin token as `Authorization: Bearer TOKEN` (serve --admin-token)",
        ),
        None => (
            peer.ip().is_loopback(),
            "admin requests come from this machine unless the server has an admin token (serve --admin-token)",
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", fix))
    }
}

/// The password of HTTP Basic authentication (any user name), so a browser can open the dashboard: it asks for
/// the token once when a page answers 401 with `WWW-Authenticate: Basic`.
fn basic_password(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_string())
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad(
            "id",
            "a shopper id is a visitor id, `c:` + a customer id, or a profile id",
        ))
    }
}

/// `GET /admin/shoppers/{id}`: everything about one shopper as JSON.
async fn export(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    allowed(&state, peer, &headers)?;
    check_id(&id)?;
    let store = state.0.store.clone();
    let export = blocking(move || store.export(&id)).await?;
    let export = export.ok_or_else(|| ApiError::not_found("no shopper is known by that id"))?;
    serde_json::to_value(export)
        .map(Json)
        .map_err(ApiError::internal)
}

/// `DELETE /admin/shoppers/{id}`: erases one shopper; answers once nothing of them is left on disk.
async fn erase(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    allowed(&state, peer, &headers)?;
    check_id(&id)?;
    let (store, now) = (state.0.store.clone(), state.0.settings.clock.now());
    super::insights::forget(&state, &id);
    let (erased, owners) = blocking(move || {
        let owners = store
            .known_profile(&id)?
            .map(|profile| profile.owners)
            .unwrap_or_default();
        Ok((store.erase(&id, now)?, owners))
    })
    .await?;
    let erased = erased.ok_or_else(|| ApiError::not_found("no shopper is known by that id"))?;
    {
        // The recommendation model keeps the shopper's last products and answers in memory: forget them too.
        let mut model = state.0.recommend.write().unwrap_or_else(|p| p.into_inner());
        for owner in &owners {
            model.forget(owner);
        }
    }
    state.0.store.durable().await.map_err(ApiError::internal)?;
    tracing::info!(
        removed_answers = erased.answers,
        removed_events = erased.events,
        "erased a shopper"
    );
    serde_json::to_value(erased)
        .map(|erased| Json(serde_json::json!({ "erased": erased })))
        .map_err(ApiError::internal)
}

/// `POST /admin/retention`: runs the retention sweep now (it also runs every few minutes).
async fn retention(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    allowed(&state, peer, &headers)?;
    let swept = retention_sweep(&state).await.map_err(ApiError::internal)?;
    Ok(Json(serde_json::json!({ "swept": swept })))
}

/// Deletes what shoppers who never consented left longer ago than the retention period; durable on return.
pub(super) async fn retention_sweep(state: &AppState) -> Result<Swept, StoreError> {
    let store = state.0.store.clone();
    let (now, max_age) = (
        state.0.settings.clock.now(),
        state.0.settings.retention.as_secs(),
    );
    let swept = tokio::task::spawn_blocking(move || store.sweep_unconsented(now, max_age))
        .await
        .map_err(|e| StoreError::Flush(e.to_string()))??;
    state.0.store.durable().await?;
    Ok(swept)
}
