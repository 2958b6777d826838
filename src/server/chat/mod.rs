//! The `/v1/chat` WebSocket: one conversation per connection, driven by the pure engine.
//!
//! Each text frame is one turn: parse, `conversation::step`, carry out the effects (store the answer, run the
//! match off the runtime, record events), persist the session, wait for the group-committed flush, then reply.
//! Bad messages get an `error` reply and the conversation lives on; binary frames close with 1003.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::AppState;
use super::limits::{Limits, MessageRate};
use super::owners::{Ownership, TAKEN_OVER, TAKEN_OVER_REASON};
use super::protocol::{ClientMsg, EventKind, MESSAGE_TYPES, ProductsOut, ServerMsg, VERSION};
use crate::conversation::{self, Effect, Event, Input, Reply, Session};
use crate::flow::{Arm, Flow};
use crate::shop_events;
use crate::store;

mod act;
mod effects;
mod recommend;
mod socket;
mod start;
mod track;
mod visit;

use act::act;
pub(super) use effects::SORRY;
use effects::carry_out;
use socket::{close, close_code_for, send};
pub(super) use socket::{send_all, stopped};
use start::{identify, no_session, start};
use track::track;
use visit::Visit;

/// The upgrade: checks the page's Origin first (cross-site WebSocket hijacking → 403).
pub(super) async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !super::origin::request_allowed(&state, &headers) {
        return (
            StatusCode::FORBIDDEN,
            "this page's origin may not use the chat; add it to --allow-origin",
        )
            .into_response();
    }
    let limits = &state.0.settings.limits;
    let Some(slot) = state
        .0
        .connections
        .admit(peer.ip(), limits.connections_per_ip)
    else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too many open conversations from this address; close one and try again",
        )
            .into_response();
    };
    // The stop waits for this conversation (from the upgrade on) to finish its turn and close.
    let draining = state.0.drain.token();
    // The device, for segments, unless the `start` message says otherwise.
    let device = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|agent| agent.to_str().ok())
        .map(crate::segments::Device::from_user_agent);
    tuned(ws, limits).on_upgrade(move |socket| {
        // No personal data in logs: the span names the session, not the shopper's address.
        let span = tracing::info_span!("chat", session = tracing::field::Empty);
        async move {
            serve(socket, state, device).await;
            drop((slot, draining));
        }
        .instrument(span)
    })
}

/// The chat's WebSocket settings, shared with the echo baseline ([`super::echo`]) so the two are measured alike:
/// 4 KiB read and write buffers (the 128 KiB default costs ~130 KiB per idle connection and half the turn rate),
/// the capped write buffer and the message size limit.
pub(super) fn tuned(ws: WebSocketUpgrade, limits: &Limits) -> WebSocketUpgrade {
    let max = limits.max_message_bytes;
    ws.read_buffer_size(4096)
        .write_buffer_size(4096)
        .max_write_buffer_size(limits.max_write_buffer.max(4096 + 1))
        .max_message_size(max)
        .max_frame_size(max)
}

/// The conversation on one connection.
struct Current {
    flow: Arc<Flow>,
    session: Session,
    token: String,
    /// This connection's claim on the conversation: turns run only while it still owns it.
    owner: Ownership,
    /// The shopper's stored answers to this finder (question → answer key, over every conversation of theirs),
    /// read from the store at this conversation's first answer and kept up to date by its answers after, for
    /// "answered like you" without a store read on every turn. `None` until then.
    known: Option<effects::Known>,
}

/// Resolves when another connection has taken over the conversation on this one.
async fn taken(current: &mut Option<Current>) {
    match current {
        Some(conv) => conv.owner.taken().await,
        None => std::future::pending().await,
    }
}

async fn serve(mut socket: WebSocket, state: AppState, device: Option<crate::segments::Device>) {
    let limits = state.0.settings.limits.clone();
    let rate = MessageRate::new(&limits);
    let _open = state.0.metrics.open_conversation();
    let mut current: Option<Current> = None;
    let mut stop = state.0.shutdown.clone();
    let mut ping =
        tokio::time::interval_at(Instant::now() + limits.ping_interval, limits.ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Any frame proves the peer is there; only messages keep a conversation from being idle.
    let mut heard = Instant::now();
    let mut last_message = Instant::now();
    loop {
        let frame = tokio::select! {
            frame = socket.recv() => frame,
            _ = ping.tick() => {
                if heard.elapsed() > limits.ping_interval * 2 {
                    tracing::debug!("the peer stopped answering pings");
                    return;
                }
                if !send(&mut socket, Message::Ping(Default::default()), &limits).await {
                    return;
                }
                continue;
            }
            () = tokio::time::sleep_until(last_message + limits.idle_timeout) => {
                close(&mut socket, 1000, "closed after a long silence; reconnect to resume").await;
                return;
            }
            () = taken(&mut current) => {
                close(&mut socket, TAKEN_OVER, TAKEN_OVER_REASON).await;
                return;
            }
            _ = stopped(&mut stop) => {
                close(&mut socket, 1001, "the server is restarting; reconnect and resume").await;
                return;
            }
        };
        heard = Instant::now();
        match frame {
            Some(Ok(Message::Text(text))) => {
                last_message = heard;
                if !rate.allow() {
                    close(
                        &mut socket,
                        1008,
                        "too many messages; slow down and reconnect",
                    )
                    .await;
                    return;
                }
                let received = Instant::now();
                let Some(replies) = turn(&state, &mut current, text.as_str(), device).await else {
                    close(&mut socket, TAKEN_OVER, TAKEN_OVER_REASON).await;
                    return;
                };
                let frames = replies.iter().map(|reply| {
                    if let ServerMsg::Error { code, .. } = reply {
                        state.0.metrics.error(code);
                    }
                    let json = serde_json::to_string(reply).expect("wire types always serialise");
                    Message::Text(json.into())
                });
                if !send_all(&mut socket, frames, &limits).await {
                    return;
                }
                state.0.metrics.turn_took(received.elapsed());
            }
            Some(Ok(Message::Binary(_))) => {
                close(
                    &mut socket,
                    1003,
                    "binary frames are not supported; send JSON text",
                )
                .await;
                return;
            }
            // Keep reading once more so the library sends its reply to the close frame (a clean 1000).
            Some(Ok(Message::Close(_))) => continue,
            None => return,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Err(error)) => {
                if let Some((code, reason)) = close_code_for(error) {
                    close(&mut socket, code, reason).await;
                }
                return;
            }
        }
    }
}

pub(super) fn error(code: &'static str, message: impl Into<String>) -> ServerMsg {
    ServerMsg::Error {
        code,
        message: message.into(),
    }
}

/// One client message in, the replies out; `None` when another connection owns the conversation now (the message
/// is not carried out).
async fn turn(
    state: &AppState,
    current: &mut Option<Current>,
    text: &str,
    device: Option<crate::segments::Device>,
) -> Option<Vec<ServerMsg>> {
    // The well-formed message is the common case: parse it once, straight into its type. Only a message that
    // fails is parsed again, as a generic value, to say what is wrong with it.
    let msg: ClientMsg = match serde_json::from_str(text) {
        Ok(msg) => msg,
        Err(_) => {
            // The length, never the text: a message may carry an address or whatever the shopper typed.
            tracing::debug!(bytes = text.len(), "a message that does not parse");
            return Some(refuse(state, text));
        }
    };
    tracing::debug!(kind = msg.kind(), bytes = text.len(), "turn");
    state.0.metrics.turn(msg.kind());
    // Everything but a `start` acts on this connection's conversation: hold it for the turn, if still ours.
    let _held = match current.as_ref() {
        Some(conv) if !matches!(msg, ClientMsg::Start { .. }) => Some(conv.owner.hold().await?),
        _ => None,
    };
    Some(act(state, current, msg, device).await)
}

/// The error reply for a message that is not a well-formed client message, naming what is wrong.
fn refuse(state: &AppState, text: &str) -> Vec<ServerMsg> {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => {
            state.0.metrics.turn("other");
            return vec![error(
                "bad_message",
                format!("the message is not valid JSON: {e}"),
            )];
        }
    };
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_string();
    state.0.metrics.turn(&kind);
    if !MESSAGE_TYPES.contains(&kind.as_str()) {
        return vec![error(
            "unknown_type",
            format!(
                "unknown message type `{kind}`; use one of: {}",
                MESSAGE_TYPES.join(", ")
            ),
        )];
    }
    match serde_json::from_value::<ClientMsg>(value) {
        Err(e) => vec![error(
            "bad_message",
            format!("the `{kind}` message is not right: {e}"),
        )],
        // Parsing text and parsing its value agree; should they not, say so rather than guess.
        Ok(_) => vec![error(
            "bad_message",
            format!("the `{kind}` message is not right"),
        )],
    }
}
