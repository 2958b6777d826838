//! The email links and the server's side of email: one-click unsubscribe (RFC 8058) and the resume link, the
//! hooks that queue emails with the turn, consent or shop event that causes them, and the outbox worker's start.
//!
//! - `GET /v1/unsubscribe/{token}`: a small page with one button (no script, a strict CSP); `POST` (the button,
//!   or a mail client's one-click `List-Unsubscribe=One-Click`) withdraws the consent at once and cancels every
//!   queued email. No login (the token is the proof), idempotent: a second POST changes nothing and says so.
//! - `GET /v1/resume/{token}`: a single-use, expiring link from the abandoned-finder email; it moves the
//!   conversation to a fresh resume token and redirects to the shop's page, where the widget continues it.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::AppState;
use crate::conversation::Session;
use crate::email::queue;
use crate::store::{
    self, Action, Channel, ConsentEntry, LinkPurpose, Purpose, Refused, Store, StoreError,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/unsubscribe/{token}",
            get(unsubscribe_page).post(unsubscribe),
        )
        .route("/v1/resume/{token}", get(resume))
}

/// After a chat turn that stored an answer or showed picks (or a consent): the picks or resume email, queued for
/// the turn's own group commit. Store reads only (records a turn reads anyway are cached); no IO is waited for.
pub(super) fn after_turn(state: &AppState, session: &Session, token: &str) {
    let Some(mailer) = &state.0.settings.email else {
        return;
    };
    let now = state.0.settings.clock.now();
    match queue::after_turn(mailer, &state.0.store, session, token, now) {
        Ok(done) => {
            mailer.counters.queue(done);
            if done.queued > 0 {
                mailer.wake.notify_one();
            }
        }
        Err(error) => tracing::error!(%error, "queueing an email failed"),
    }
}

/// After shop events were kept (on the blocking pool): the abandonment emails of those stored (not the
/// duplicates) and their cancellations, in the same group commit.
pub(crate) fn after_kept(
    state: &AppState,
    (events, outcomes): &(Vec<crate::shop_events::ShopEvent>, Vec<store::Recorded>),
) {
    let stored: Vec<_> = events
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| **o == store::Recorded::Stored)
        .map(|(e, _)| e.clone())
        .collect();
    after_events(state, &stored);
}

fn after_events(state: &AppState, events: &[crate::shop_events::ShopEvent]) {
    let Some(mailer) = &state.0.settings.email else {
        return;
    };
    let now = state.0.settings.clock.now();
    let store = &state.0.store;
    let locale = |visitor: &str| -> String {
        store
            .profile(visitor)
            .and_then(|p| store.consents(&p))
            .ok()
            .and_then(|c| c.last().map(|e| e.locale.clone()))
            .unwrap_or_else(|| "en".into())
    };
    for event in events {
        match queue::after_events(
            mailer,
            store,
            std::slice::from_ref(event),
            &locale(&event.visitor),
            now,
        ) {
            Ok(done) => {
                mailer.counters.queue(done);
                if done.queued > 0 {
                    mailer.wake.notify_one();
                }
            }
            Err(error) => tracing::error!(%error, "queueing an email failed"),
        }
    }
}

/// After consent was withdrawn (widget, API): every queued email of the shopper is cancelled.
pub(crate) fn after_withdrawal(state: &AppState, owner: &str) -> Result<(), StoreError> {
    let done = queue::after_withdrawal(&state.0.store, owner, state.0.settings.clock.now())?;
    if let Some(mailer) = &state.0.settings.email {
        mailer.counters.queue(done);
    }
    Ok(())
}

/// Starts the outbox worker, if the server sends email; it stops with the server.
pub(super) fn start_worker(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let mailer = state.0.settings.email.clone()?;
    let sources: crate::email::Sources = {
        let state = state.clone();
        std::sync::Arc::new(move || (state.0.flows(), state.0.catalog()))
    };
    Some(tokio::spawn(crate::email::worker::run(
        mailer,
        state.0.store.clone(),
        state.0.settings.clock.clone(),
        sources,
        state.0.shutdown.clone(),
    )))
}

/// A small page: no script, no styles but the browser's, nothing loaded from anywhere.
fn page(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title}</title></head>\n<body><main>\
         <h1>{title}</h1>\n{body}</main></body></html>\n"
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The locale the shopper last consented in (`en` when none).
fn locale_of(store: &Store, owner: &str) -> Result<String, StoreError> {
    let profile = store.profile(owner)?;
    Ok(store
        .consents(&profile)?
        .last()
        .map_or_else(|| "en".to_string(), |e| e.locale.clone()))
}

fn unknown_link(ja: bool) -> Response {
    if ja {
        page(
            StatusCode::NOT_FOUND,
            "ja",
            "リンクが無効です",
            "<p>このリンクは使えません。メールのリンクをもう一度お試しください。</p>",
        )
    } else {
        page(
            StatusCode::NOT_FOUND,
            "en",
            "This link does not work",
            "<p>This link is unknown or has expired. Use the link in the latest email.</p>",
        )
    }
}

fn internal() -> Response {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "en",
        "Something went wrong",
        "<p>Please try again in a moment.</p>",
    )
}

/// `GET /v1/unsubscribe/{token}`: the confirmation page; nothing changes until its button is pressed.
async fn unsubscribe_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let store = state.0.store.clone();
    let now = state.0.settings.clock.now();
    let found = tokio::task::spawn_blocking(move || {
        match store.redeem_link(&token, LinkPurpose::Unsubscribe, now)? {
            Ok(link) => locale_of(&store, &link.owner).map(Ok),
            Err(refused) => Ok(Err(refused)),
        }
    })
    .await;
    match found {
        Ok(Ok(Ok(locale))) if locale.starts_with("ja") => page(
            StatusCode::OK,
            "ja",
            "配信停止",
            "<p>おすすめ商品のメール配信を停止しますか？</p>\n<form method=\"post\"><button type=\"submit\">配信を停止する</button></form>",
        ),
        Ok(Ok(Ok(_))) => page(
            StatusCode::OK,
            "en",
            "Unsubscribe",
            "<p>Stop emails with product recommendations?</p>\n<form method=\"post\"><button type=\"submit\">Unsubscribe</button></form>",
        ),
        Ok(Ok(Err(_))) => unknown_link(false),
        Ok(Err(error)) => {
            tracing::error!(%error, "reading an unsubscribe link failed");
            internal()
        }
        Err(_) => internal(),
    }
}

/// `POST /v1/unsubscribe/{token}`: withdraws consent to email recommendations at once, cancels the queued
/// emails, durable before the answer. Idempotent.
async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let store = state.0.store.clone();
    let now = state.0.settings.clock.now();
    let worker_state = state.clone();
    let done = tokio::task::spawn_blocking(
        move || -> Result<Result<(bool, String), Refused>, StoreError> {
            let link = match store.redeem_link(&token, LinkPurpose::Unsubscribe, now)? {
                Ok(link) => link,
                Err(refused) => return Ok(Err(refused)),
            };
            let profile = store.profile(&link.owner)?;
            let locale = locale_of(&store, &link.owner)?;
            let entries = store.consents(&profile)?;
            let given = store.has_consent(&profile, Purpose::EmailRecommendations)?;
            if given {
                let last = entries.iter().rev().find(|e| {
                    e.purpose == Purpose::EmailRecommendations && e.action == Action::Given
                });
                store.append_consent(
                    &link.owner,
                    &ConsentEntry {
                        purpose: Purpose::EmailRecommendations,
                        action: Action::Withdrawn,
                        text: last.map(|e| e.text.clone()).unwrap_or_default(),
                        text_version: last.map(|e| e.text_version.clone()).unwrap_or_default(),
                        locale: locale.clone(),
                        channel: Channel::EmailLink,
                        at: now.max(store::now()),
                    },
                )?;
            }
            after_withdrawal(&worker_state, &link.owner)?;
            Ok(Ok((given, locale)))
        },
    )
    .await;
    let (withdrawn_now, locale) = match done {
        Ok(Ok(Ok(done))) => done,
        Ok(Ok(Err(_))) => return unknown_link(false),
        Ok(Err(error)) => {
            tracing::error!(%error, "unsubscribing failed");
            return internal();
        }
        Err(_) => return internal(),
    };
    if let Err(error) = state.0.store.durable().await {
        tracing::error!(%error, "unsubscribing failed");
        return internal();
    }
    tracing::info!(withdrawn_now, "one-click unsubscribe");
    if locale.starts_with("ja") {
        page(
            StatusCode::OK,
            "ja",
            "配信を停止しました",
            "<p>今後、おすすめ商品のメールはお送りしません。</p>",
        )
    } else {
        page(
            StatusCode::OK,
            "en",
            "You are unsubscribed",
            "<p>We will not email you recommendations again.</p>",
        )
    }
}

/// `GET /v1/resume/{token}`: continues the conversation of an abandoned-finder email, once.
async fn resume(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some(mailer) = state.0.settings.email.clone() else {
        return unknown_link(false);
    };
    let store = state.0.store.clone();
    let now = state.0.settings.clock.now();
    let ttl = state.0.settings.session_ttl.as_secs();
    let moved =
        tokio::task::spawn_blocking(move || -> Result<Option<(String, String)>, StoreError> {
            let Ok(link) = store.redeem_link(&token, LinkPurpose::Resume, now)? else {
                return Ok(None);
            };
            let Some(old) = link.session_token else {
                return Ok(None);
            };
            let fresh = store::new_token(16);
            Ok(store
                .move_session(&old, &fresh, ttl)?
                .map(|session| (fresh, session.flow)))
        })
        .await;
    let (fresh, flow) = match moved {
        Ok(Ok(Some(found))) => found,
        Ok(Ok(None)) => return unknown_link(false),
        Ok(Err(error)) => {
            tracing::error!(%error, "resuming from an email failed");
            return internal();
        }
        Err(_) => return internal(),
    };
    if let Err(error) = state.0.store.durable().await {
        tracing::error!(%error, "resuming from an email failed");
        return internal();
    }
    let target = crate::email::content::absolute(
        &mailer.shop.url,
        &format!("/?flow={flow}&shopkeep_flow={flow}&shopkeep_resume={fresh}"),
    );
    Redirect::to(&target).into_response()
}
