//! The public API for a shop's own server (`/v1/…`, an API key): shop events and visitors' profiles.
//!
//! Every request names its key as `Authorization: Bearer KEY` (or `X-Api-Key: KEY`); keys are kept hashed and
//! compared in constant time ([`crate::secret`]). Every error has one JSON shape: `{error, message, field?}`.

mod events;
pub(super) mod recommendations;
mod visitors;

pub(crate) use events::{keep, learn};

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};

use super::AppState;

pub(super) fn routes(limits: &super::Limits) -> Router<AppState> {
    Router::new()
        .route(
            "/v1/events",
            post(events::ingest).layer(DefaultBodyLimit::max(limits.max_events_body)),
        )
        .route("/v1/visitors/{id}/profile", get(visitors::profile))
        .route(
            "/v1/visitors/{id}/recommendations",
            get(recommendations::recommendations),
        )
        .route("/v1/visitors/{id}/email", put(visitors::email))
        .route("/v1/visitors/{id}/consents", get(visitors::consents))
        .route(
            "/v1/visitors/{id}/consents/{purpose}",
            delete(visitors::withdraw),
        )
}

/// An API error: status, a code, a message naming the thing and the fix, and the field at fault if any.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn bad(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.into()),
            ..ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "an API request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; try again",
        )
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", what)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({"error": self.code, "message": self.message});
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        (self.status, Json(body)).into_response()
    }
}

/// The token a request presents: `Authorization: Bearer …` (the scheme in any case) or `X-Api-Key: …`.
pub(crate) fn presented(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .and_then(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer").then_some(token))
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .map(str::trim)
}

/// Refuses a request without one of the server's API keys.
pub(crate) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let keys = &state.0.settings.api_keys;
    if keys.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this server has no API key; start it with --api-key (or SHOPKEEP_API_KEYS)",
        ));
    }
    match presented(headers) {
        Some(key) if crate::secret::any_matches(keys, key) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "that API key is not one of this server's; check --api-key",
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the API key as `Authorization: Bearer KEY`",
        )),
    }
}

/// Parses a JSON body, naming what is wrong with it.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad("body", format!("the body is not right: {e}")))
}

/// Runs store work on the blocking pool (a read may touch the disk).
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(ApiError::internal(error)),
        Err(error) => Err(ApiError::internal(error)),
    }
}

/// A visitor or customer id as the API takes it: 1–128 characters, no control characters and no `:` (which
/// marks the server's own profile ids), or `c:` + a customer id.
pub(crate) fn valid_id(id: &str) -> bool {
    let bare = id.strip_prefix("c:").unwrap_or(id);
    !bare.is_empty()
        && id.len() <= 128
        && !bare.contains(':')
        && !bare.chars().any(char::is_control)
}
