//! A segment's members as CSV: `GET /admin/segments/{name}/members.csv` (admin access as for the other `/admin`
//! requests). One row per shopper who belongs to the segment now, with their profile id and the shop's customer id
//! when known; the email address only when the shopper's consent to `email_recommendations` stands and the address
//! is not suppressed (the same test the outbox makes before sending), so the file never hands out an address the
//! shop may not mail.
//!
//! Membership is decided from the shopper's stored records (answers, shop events, visits) at the time of the
//! request; a condition on this visit's device or traffic source holds for nobody here, since a visit is not
//! stored (docs/segments.md).

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::admin::allowed;
use super::api::{ApiError, blocking};
use crate::segments::evaluate;
use crate::store::{Purpose, Store, StoreError};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/segments/{name}/members.csv", get(members_csv))
}

/// One member's row.
struct Member {
    profile: String,
    customer: String,
    email: String,
}

async fn members_csv(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    allowed(&state, peer, &headers)?;
    let segments = state.0.live.segments();
    let Some(segment) = segments.get(&name).cloned() else {
        let names = segments.names();
        return Err(ApiError::not_found(if names.is_empty() {
            format!("no segment `{name}`: no segments are defined (write them in segments.yaml)")
        } else {
            format!(
                "no segment `{name}`; segments.yaml defines: {}",
                names.join(", ")
            )
        }));
    };
    let (store, segment_of_request) = (state.0.store.clone(), segment.clone());
    let now = state.0.settings.clock.now();
    let members = blocking(move || members(&store, &segment_of_request, now)).await?;
    // The header written here, so a segment with no members still says what its rows would hold.
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    out.write_record(["profile", "customer", "email"])
        .map_err(ApiError::internal)?;
    // Ids and addresses come from shoppers' browsers and the shop: none may run as a formula in a spreadsheet.
    for member in members {
        let cells = [&member.profile, &member.customer, &member.email];
        out.write_record(cells.map(|cell| crate::text::spreadsheet_cell(cell).into_owned()))
            .map_err(ApiError::internal)?;
    }
    let csv = out.into_inner().map_err(ApiError::internal)?;
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    // Segment names are ASCII (checked when segments.yaml is loaded), so the header value is valid.
    let file = format!(
        "attachment; filename=\"segment-{}-members.csv\"",
        segment.name
    );
    if let Ok(value) = HeaderValue::from_str(&file) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The shoppers who belong to `segment` at `now`, in the order of their profile ids.
fn members(
    store: &Store,
    segment: &crate::segments::Segment,
    now: u64,
) -> Result<Vec<Member>, StoreError> {
    let mut members = Vec::new();
    for profile in store.shoppers()? {
        let facts = store.profile_facts(&profile)?;
        if !evaluate(segment, &facts, now) {
            continue;
        }
        let email = match &profile.email {
            Some(email)
                if store.has_consent(&profile, Purpose::EmailRecommendations)?
                    && !store.is_suppressed(&email.address)? =>
            {
                email.address.clone()
            }
            _ => String::new(),
        };
        members.push(Member {
            customer: profile.customer.clone().unwrap_or_default(),
            profile: profile.id,
            email,
        });
    }
    Ok(members)
}
