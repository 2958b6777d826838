//! Insights on the running server: feeding the pure aggregates ([`crate::insights`]) from turns and shop events,
//! storing their changed buckets every few seconds, and the admin API over them:
//! - `GET /admin/insights` — the finders with figures, and their versions;
//! - `GET /admin/insights/{finder}?since=7d | from=2026-12-01&to=2026-12-07 & version=V` — the report as JSON;
//! - `GET /admin/insights/{finder}/{table}.csv?…` — one of its tables as CSV.
//!
//! Admin access as for the other `/admin` requests (the admin token; without one, this machine only).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::admin::allowed;
use super::api::ApiError;
use crate::conversation::{Event, Session};
use crate::insights::report::{TABLES, arm_flow};
use crate::insights::{Insights, Range, Report, Shown, Turn};
use crate::shop_events::ShopEvent;
use crate::store::Store;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/insights", get(finders))
        .route("/admin/insights/{finder}", get(report_json))
        .route("/admin/insights/{finder}/{table}", get(table_csv))
}

/// Milliseconds since the epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The aggregates as stored, and the picks shown before the restart (so later purchases are still credited).
pub(super) fn restore(store: &Store) -> Insights {
    let mut insights = Insights::default();
    if let Err(error) = store.each_insights(&mut |key, bucket| insights.restore(key, bucket)) {
        tracing::error!(%error, "reading the stored insights failed; figures start again from here");
    }
    let remembered = store.each_picks(&mut |owner, picks| {
        insights.remember_picks(
            owner,
            &picks.flow,
            &picks.flow_version,
            &picks.products,
            picks.at,
        )
    });
    if let Err(error) = remembered {
        tracing::warn!(%error, "reading the picks shown failed; earlier picks are not credited");
    }
    insights
}

fn lock(state: &AppState) -> std::sync::MutexGuard<'_, Insights> {
    state.0.insights.lock().unwrap_or_else(|p| p.into_inner())
}

/// What one turn changed: its events, the question asked now, what was typed, the result shown.
pub(super) struct Observed {
    pub events: Vec<Event>,
    pub asking: Option<String>,
    pub typed: Option<String>,
    /// The picks and the loosened questions of a result shown.
    pub shown: Option<(Vec<String>, Vec<String>)>,
}

/// Takes one turn in (a few map updates under the lock).
pub(super) fn observe(
    state: &AppState,
    flow: &crate::flow::Flow,
    session: &Session,
    observed: &Observed,
) {
    let at_ms = now_ms();
    let mut insights = lock(state);
    insights.turn(&Turn {
        session: &session.id,
        finder: &session.flow,
        version: &session.flow_version,
        at_ms,
        events: &observed.events,
        answers: &session.answers,
        asking: observed.asking.as_deref(),
        typed: observed.typed.as_deref(),
        flow: Some(flow),
    });
    if let Some((products, relaxed)) = &observed.shown {
        insights.shown(&Shown {
            session: &session.id,
            owner: crate::store::owner(session),
            finder: &session.flow,
            version: &session.flow_version,
            at_ms,
            answers: &session.answers,
            products,
            relaxed,
            flow: Some(flow),
        });
    }
}

/// Takes stored shop events in (clicks, cart adds and purchases of picks).
pub(super) fn shop(state: &AppState, events: &[&ShopEvent]) {
    let mut insights = lock(state);
    for event in events {
        insights.shop(event);
    }
}

/// Forgets an erased shopper's latest picks.
pub(super) fn forget(state: &AppState, owner: &str) {
    lock(state).forget(owner);
}

/// Queues the buckets changed since the last call for the store's next group commit.
pub(super) fn store_changed(state: &AppState) {
    let changed = lock(state).take_changed();
    if changed.is_empty() {
        return;
    }
    match state.0.store.put_insights(&changed) {
        Ok(()) => state.0.store.flush_soon(),
        Err(error) => tracing::warn!(%error, "storing insights failed"),
    }
}

/// Stores the changed buckets every two seconds: a crash loses at most that much of the figures, and no turn
/// pays for writing them.
pub(super) async fn keep(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(2));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let state = state.clone();
        let _ = tokio::task::spawn_blocking(move || store_changed(&state)).await;
    }
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(super) struct Ask {
    pub since: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub version: Option<String>,
    /// `control` or `variant`: the tables below the funnel for one arm of the finder's experiment.
    pub arm: Option<String>,
}

/// The report a request asks for; an unknown finder (neither served nor with figures) is a 404.
pub(super) fn report(state: &AppState, finder: &str, ask: &Ask) -> Result<Report, ApiError> {
    let range = Range::parse(
        ask.since.as_deref(),
        ask.from.as_deref(),
        ask.to.as_deref(),
        crate::store::now(),
    )
    .map_err(|message| ApiError::bad("since", message))?;
    let flows = state.0.flows();
    let flow = flows.get(finder);
    let mut insights = lock(state);
    if flow.is_none() && !insights.finders().contains_key(finder) {
        return Err(ApiError::not_found(
            "no finder has that id; GET /admin/insights lists them",
        ));
    }
    // One arm's tables are its version's, in its own question order.
    let (version, ordered) = match ask.arm.as_deref() {
        None => (ask.version.clone(), flow.cloned()),
        Some(arm) => {
            let arm = arm_flow(flow, arm).map_err(|message| ApiError::bad("arm", message))?;
            (Some(arm.version.clone()), Some(arm))
        }
    };
    let order = ordered
        .map(|f| crate::insights::question_order(&f))
        .unwrap_or_default();
    let mut report = insights.report(finder, &range, version.as_deref(), &order);
    if let Some(flow) = flow {
        report.set_experiment(flow);
    }
    Ok(report)
}

/// [`report`] on the blocking pool: summing a month of buckets is CPU work of a millisecond or more, which must
/// not hold up a runtime worker.
pub(super) async fn report_off(
    state: &AppState,
    finder: &str,
    ask: Ask,
) -> Result<Report, ApiError> {
    let (state, finder) = (state.clone(), finder.to_string());
    tokio::task::spawn_blocking(move || report(&state, &finder, &ask))
        .await
        .map_err(ApiError::internal)?
}

/// The finders served and those with figures, with their versions.
pub(super) fn finder_list(state: &AppState) -> Vec<(String, Vec<String>)> {
    let mut known = lock(state).finders();
    for flow in state.0.flows().iter() {
        known.entry(flow.id.clone()).or_default();
    }
    known
        .into_iter()
        .map(|(id, versions)| (id, versions.into_iter().collect()))
        .collect()
}

async fn finders(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    allowed(&state, peer, &headers)?;
    let finders: Vec<Value> = finder_list(&state)
        .into_iter()
        .map(|(id, versions)| json!({"id": id, "versions": versions}))
        .collect();
    Ok(Json(json!({ "finders": finders, "tables": TABLES })))
}

async fn report_json(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(finder): Path<String>,
    Query(ask): Query<Ask>,
    headers: HeaderMap,
) -> Result<Json<Report>, ApiError> {
    allowed(&state, peer, &headers)?;
    report_off(&state, &finder, ask).await.map(Json)
}

async fn table_csv(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((finder, table)): Path<(String, String)>,
    Query(ask): Query<Ask>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    allowed(&state, peer, &headers)?;
    let unknown = || {
        ApiError::not_found(format!(
            "no table `{table}`; ask for one of: {}",
            TABLES.map(|t| format!("{t}.csv")).join(", ")
        ))
    };
    let name = table.strip_suffix(".csv").ok_or_else(unknown)?;
    let report = report_off(&state, &finder, ask).await?;
    let csv = report.csv(name).ok_or_else(unknown)?;
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let file = format!("attachment; filename=\"{finder}-{name}.csv\"");
    if let Ok(value) = HeaderValue::from_str(&file) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
