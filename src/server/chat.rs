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
use crate::flow::Flow;
use crate::shop_events;
use crate::store;

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
    tuned(ws, limits).on_upgrade(move |socket| {
        // No personal data in logs: the span names the session, not the shopper's address.
        let span = tracing::info_span!("chat", session = tracing::field::Empty);
        async move {
            serve(socket, state).await;
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
}

/// Resolves when another connection has taken over the conversation on this one.
async fn taken(current: &mut Option<Current>) {
    match current {
        Some(conv) => conv.owner.taken().await,
        None => std::future::pending().await,
    }
}

async fn serve(mut socket: WebSocket, state: AppState) {
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
                let Some(replies) = turn(&state, &mut current, text.as_str()).await else {
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

/// The RFC 6455 close code for a read error the peer caused, if the connection can still say so.
fn close_code_for(error: axum::Error) -> Option<(u16, &'static str)> {
    use tokio_tungstenite::tungstenite::Error as WsError;
    use tokio_tungstenite::tungstenite::error::CapacityError;
    let error = match error.into_inner().downcast::<WsError>() {
        Ok(error) => *error,
        Err(other) => {
            tracing::debug!(error = %other, "connection ended");
            return None;
        }
    };
    tracing::debug!(%error, "connection ended");
    match error {
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => {
            Some((1009, "the message is over the size limit; send less"))
        }
        WsError::Utf8(_) => Some((1007, "a text frame was not valid UTF-8")),
        WsError::Protocol(_) => Some((1002, "that frame breaks the WebSocket protocol")),
        _ => None,
    }
}

/// Sends one frame within the send timeout; `false` when the connection is gone or stuck.
async fn send(socket: &mut WebSocket, message: Message, limits: &Limits) -> bool {
    send_all(socket, std::iter::once(message), limits).await
}

/// Sends a turn's frames within the send timeout, written out together (one flush, so usually one `write` to the
/// socket for the whole reply rather than one per frame); `false` when the connection is gone or stuck.
pub(super) async fn send_all(
    socket: &mut WebSocket,
    frames: impl Iterator<Item = Message>,
    limits: &Limits,
) -> bool {
    use futures_util::SinkExt;
    let sending = async {
        for frame in frames {
            socket.feed(frame).await?;
        }
        socket.flush().await
    };
    match tokio::time::timeout(limits.send_timeout, sending).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::debug!(%error, "sending failed");
            false
        }
        Err(_) => {
            tracing::debug!("the client stopped reading; giving up on it");
            false
        }
    }
}

pub(super) async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    // `wait_for` holds a non-Send guard in its future; compare the value in a loop instead.
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Closes the connection with `code` and finishes the closing handshake: reads (and drops) what the client still
/// sends until its close reply, for at most two seconds. Dropping the socket while the client's messages sit unread
/// would make the kernel reset the connection, and a reset can discard the close frame before the client reads it
/// (a flood closed with 1008 would look like a network failure).
async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let sent = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
    if sent.is_err() {
        return;
    }
    let drain = async { while let Some(Ok(_)) = socket.recv().await {} };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
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
) -> Option<Vec<ServerMsg>> {
    // The well-formed message is the common case: parse it once, straight into its type. Only a message that
    // fails is parsed again, as a generic value, to say what is wrong with it.
    let msg: ClientMsg = match serde_json::from_str(text) {
        Ok(msg) => msg,
        Err(_) => return Some(refuse(state, text)),
    };
    state.0.metrics.turn(msg.kind());
    // Everything but a `start` acts on this connection's conversation: hold it for the turn, if still ours.
    let _held = match current.as_ref() {
        Some(conv) if !matches!(msg, ClientMsg::Start { .. }) => Some(conv.owner.hold().await?),
        _ => None,
    };
    Some(act(state, current, msg).await)
}

/// Carries out one well-formed client message.
async fn act(state: &AppState, current: &mut Option<Current>, msg: ClientMsg) -> Vec<ServerMsg> {
    let input = match msg {
        ClientMsg::Start {
            v,
            flow,
            locale,
            visitor,
            customer,
            signature,
            resume,
        } => {
            if v.is_some_and(|v| v != VERSION) {
                return vec![error(
                    "unsupported_version",
                    format!("this server speaks protocol v{VERSION}"),
                )];
            }
            if resume.is_none() {
                let visitor = match identify(state, visitor, customer, signature).await {
                    Ok(visitor) => visitor,
                    Err(refusal) => return vec![refusal],
                };
                return start(state, current, &flow, locale.as_deref(), visitor, None).await;
            }
            return start(state, current, &flow, locale.as_deref(), visitor, resume).await;
        }
        ClientMsg::Answer {
            value,
            values,
            text,
            range,
        } => match (value, values, text, range) {
            (Some(v), None, None, None) => Input::Answer(Reply::Value(v)),
            (None, Some(vs), None, None) => Input::Answer(Reply::Values(vs)),
            (None, None, Some(t), None) => Input::Answer(Reply::Text(t)),
            (None, None, None, Some(r)) => Input::Answer(Reply::Range {
                min: r.min,
                max: r.max,
            }),
            _ => {
                return vec![error(
                    "bad_message",
                    "an answer carries exactly one of value, values, text, range",
                )];
            }
        },
        ClientMsg::Back => Input::Back,
        ClientMsg::Restart => Input::Restart,
        ClientMsg::Skip => Input::Skip,
        ClientMsg::ResultsNow => Input::ResultsNow,
        ClientMsg::Event { kind, product } => {
            let Some(conv) = current.as_ref() else {
                return vec![no_session()];
            };
            let (event, kind) = match kind {
                EventKind::Viewed => (
                    Event::Viewed {
                        product: product.clone(),
                    },
                    shop_events::Kind::Viewed,
                ),
                EventKind::Clicked => (
                    Event::Clicked {
                        product: product.clone(),
                    },
                    shop_events::Kind::Clicked,
                ),
            };
            if let Err(e) = state.0.store.record_event(&conv.session, &event) {
                tracing::warn!(error = %e, "recording an event failed");
            }
            // The same look at a pick is a shop event of the shopper's, for recommendations.
            let shop_event = serde_json::json!({
                "id": format!("w-{}", store::new_token(12)),
                "kind": kind.name(),
                "product": product,
                "session": conv.session.id,
            });
            return track(state, current.as_ref(), None, shop_event).await;
        }
        ClientMsg::Track { visitor, event } => {
            return track(state, current.as_ref(), visitor, event).await;
        }
        ClientMsg::Consent { email, consent } => {
            let Some(conv) = current.as_ref() else {
                return vec![no_session()];
            };
            return super::consent::given(state, &conv.flow, &conv.session, &email, consent).await;
        }
    };
    let Some(conv) = current.as_mut() else {
        return vec![no_session()];
    };
    let typed = match &input {
        Input::Answer(Reply::Text(text)) => Some(text.clone()),
        _ => None,
    };
    let (session, effects) = conversation::step(&conv.flow, conv.session.clone(), input);
    conv.session = session;
    carry_out(state, conv, effects, Some(typed)).await
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

/// A shop event from the widget: validated and queued for the next group commit (asked for now); no reply
/// unless it is refused.
async fn track(
    state: &AppState,
    current: Option<&Current>,
    visitor: Option<String>,
    event: serde_json::Value,
) -> Vec<ServerMsg> {
    let owner = match (current, visitor) {
        (Some(conv), _) => store::owner(&conv.session).to_string(),
        (None, Some(visitor)) if !visitor.starts_with("c:") && super::api::valid_id(&visitor) => {
            visitor
        }
        (None, Some(_)) => {
            return vec![error(
                "bad_message",
                "a visitor id is 1–128 characters without `:` or control characters",
            )];
        }
        (None, None) => {
            return vec![error(
                "no_session",
                "send `start` first, or name the `visitor` of the event",
            )];
        }
    };
    let event = match shop_events::validate(
        &event,
        Some(&owner),
        shop_events::Source::Widget,
        store::now(),
    ) {
        Ok(event) => event,
        Err(invalid) => return vec![error("bad_event", invalid.to_string())],
    };
    let (app_store, catalog) = (state.0.store.clone(), state.0.catalog());
    let kept =
        tokio::task::spawn_blocking(move || super::api::keep(&app_store, &catalog, vec![event]))
            .await;
    match kept {
        Ok(Ok((events, outcomes))) => {
            state.0.store.flush_soon();
            super::api::learn(state, &events, &outcomes);
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "recording a shop event failed"),
        Err(e) => tracing::warn!(error = %e, "recording a shop event failed"),
    }
    Vec::new()
}

/// The owner of a new conversation's records: the widget's visitor id, joined to the shop's customer when the
/// shop signed the customer id. A forged or malformed id is refused and nothing starts.
async fn identify(
    state: &AppState,
    visitor: Option<String>,
    customer: Option<String>,
    signature: Option<String>,
) -> Result<Option<String>, ServerMsg> {
    if let Some(visitor) = &visitor
        && (visitor.starts_with("c:") || !super::api::valid_id(visitor))
    {
        return Err(error(
            "bad_message",
            "a visitor id is 1–128 characters without `:` or control characters",
        ));
    }
    let Some(customer) = customer else {
        return Ok(visitor);
    };
    let Some(secret) = state.0.settings.customer_secret.as_deref() else {
        return Err(error(
            "bad_customer",
            "this server takes no customer ids; start it with --customer-secret to accept signed ones",
        ));
    };
    let signed = signature
        .as_deref()
        .is_some_and(|s| crate::secret::verify_customer(secret, &customer, s));
    if !signed || !super::api::valid_id(&customer) {
        return Err(error(
            "bad_customer",
            "the customer id's signature does not match; sign it with the shop's secret (docs/privacy.md)",
        ));
    }
    let owner = visitor.unwrap_or_else(|| format!("c:{customer}"));
    let store = state.0.store.clone();
    let linked = {
        let owner = owner.clone();
        tokio::task::spawn_blocking(move || store.link_customer(&owner, &customer)).await
    };
    match linked {
        Ok(Ok(_)) => Ok(Some(owner)),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "joining a visitor to its customer failed");
            Err(error("internal", SORRY))
        }
        Err(e) => {
            tracing::error!(error = %e, "joining a visitor to its customer failed");
            Err(error("internal", SORRY))
        }
    }
}

fn no_session() -> ServerMsg {
    error("no_session", "send `start` first")
}

async fn start(
    state: &AppState,
    current: &mut Option<Current>,
    flow_id: &str,
    locale: Option<&str>,
    visitor: Option<String>,
    resume: Option<String>,
) -> Vec<ServerMsg> {
    let app = &state.0;
    if let Some(token) = resume {
        // Own the conversation before reading it: a turn in flight on the connection that had it finishes (and
        // is durable) first, and that connection is then closed with 4001.
        let (owner, _held) = app.owners.claim(&token).await;
        let store = app.store.clone();
        let ttl = app.settings.session_ttl.as_secs();
        let lookup = {
            let token = token.clone();
            tokio::task::spawn_blocking(move || store.session(&token, ttl)).await
        };
        let session = match lookup {
            Ok(Ok(Some(session))) => session,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "reading a session failed");
                return vec![error(
                    "bad_resume",
                    "that conversation can't be resumed; send start without resume",
                )];
            }
            _ => {
                return vec![error(
                    "bad_resume",
                    "that conversation has expired or is unknown; send start without resume",
                )];
            }
        };
        let Some(flow) = app.live.flow_at(&session.flow, &session.flow_version) else {
            return vec![error(
                "bad_resume",
                "that finder is no longer offered; send start without resume",
            )];
        };
        tracing::Span::current().record("session", session.id.as_str());
        let effects = conversation::resume(&flow, &session);
        let mut replies = vec![session_msg(&flow, &session, &token, true)];
        let mut conv = Current {
            flow,
            session,
            token,
            owner,
        };
        replies.extend(carry_out(state, &mut conv, effects, None).await);
        *current = Some(conv);
        return replies;
    }
    let flows = app.flows();
    let Some(flow) = flows.get(flow_id).cloned() else {
        let known: Vec<&str> = flows.iter().map(|f| f.id.as_str()).collect();
        return vec![error(
            "unknown_flow",
            format!(
                "there is no finder `{flow_id}`; try one of: {}",
                known.join(", ")
            ),
        )];
    };
    let session = Session::new(format!("s-{}", store::new_token(8)), &flow, locale, visitor);
    tracing::Span::current().record("session", session.id.as_str());
    let token = store::new_token(16);
    let (session, effects) = conversation::step(&flow, session, Input::Start);
    let mut replies = vec![session_msg(&flow, &session, &token, false)];
    let (owner, _held) = app.owners.claim(&token).await;
    let mut conv = Current {
        flow,
        session,
        token,
        owner,
    };
    replies.extend(carry_out(state, &mut conv, effects, Some(None)).await);
    *current = Some(conv);
    replies
}

fn session_msg(flow: &Flow, session: &Session, token: &str, resumed: bool) -> ServerMsg {
    ServerMsg::Session {
        v: VERSION,
        session: session.id.clone(),
        token: token.to_string(),
        flow: flow.id.clone(),
        title: flow
            .title
            .get(&session.locale, flow.default_locale())
            .to_string(),
        locale: session.locale.clone(),
        resumed,
    }
}

pub(super) const SORRY: &str = "Sorry, something went wrong on our side. Please try again.";

/// Catalogs up to this size are matched on the conversation's own task (the match benchmark's p99 at 10 000
/// products is well under a millisecond); larger ones on the blocking pool.
const INLINE_MATCH_PRODUCTS: usize = 10_000;

/// Carries out the engine's effects, stores the session and waits until it is durable; returns the replies.
///
/// `typed`: what the shopper typed this turn, for the insights; `None` on a resume, which insights do not count
/// (it shows the conversation where it stands and changes nothing).
async fn carry_out(
    state: &AppState,
    conv: &mut Current,
    effects: Vec<Effect>,
    typed: Option<Option<String>>,
) -> Vec<ServerMsg> {
    let app = &state.0;
    let mut replies = Vec::new();
    let mut failed = false;
    let mut observed = super::insights::Observed {
        events: Vec::new(),
        asking: None,
        typed: typed.clone().flatten(),
        shown: None,
    };
    for effect in effects {
        match effect {
            Effect::Say(text) => replies.push(ServerMsg::Message { text }),
            Effect::Ask(prompt) => {
                observed.asking = Some(prompt.id.clone());
                replies.push(ServerMsg::Question(prompt.into()));
            }
            Effect::SaveAnswer { question, answer } => {
                if let Err(e) = app.store.save_answer(&conv.session, &question, &answer) {
                    tracing::error!(error = %e, "storing an answer failed");
                    failed = true;
                }
            }
            Effect::Record(event) => {
                if let Err(e) = app.store.record_event(&conv.session, &event) {
                    tracing::warn!(error = %e, "recording an event failed");
                }
                observed.events.push(event);
            }
            Effect::Search { result, request } => {
                let catalog = app.catalog();
                let inline = catalog.len() <= INLINE_MATCH_PRODUCTS;
                let search = move || {
                    let started = Instant::now();
                    catalog
                        .find(&request)
                        .map(|outcome| (outcome, started.elapsed()))
                };
                // A small catalog's match takes tens of microseconds, less than handing it to another thread
                // and back costs; a large one's may take milliseconds, which must not hold up this worker.
                let found = if inline {
                    Ok(search())
                } else {
                    tokio::task::spawn_blocking(search).await
                };
                match found {
                    Ok(Ok((outcome, took))) => {
                        app.metrics.matched(took);
                        let relaxed: Vec<String> =
                            outcome.relaxed.iter().map(|r| r.question.clone()).collect();
                        let showcase =
                            conversation::present(&conv.flow, &conv.session, &result, outcome);
                        let shown: Vec<String> = showcase
                            .picks
                            .iter()
                            .map(|p| p.product.id.clone())
                            .collect();
                        if let Err(e) = app.store.save_picks(&conv.session, &result, &shown) {
                            tracing::warn!(error = %e, "keeping the picks shown failed");
                        }
                        observed.shown = Some((shown, relaxed));
                        let can_back = !conv.session.answers.is_empty();
                        let mut products = ProductsOut::new(showcase, can_back);
                        if products.email_capture {
                            products.consent =
                                Some(super::consent::text(&conv.flow, &conv.session.locale));
                        }
                        replies.push(ServerMsg::Products(products));
                    }
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "matching failed");
                        replies.push(error("internal", SORRY));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "matching task failed");
                        replies.push(error("internal", SORRY));
                    }
                }
            }
            Effect::Refuse { code, message } => replies.push(error(code, message)),
        }
    }
    if typed.is_some() {
        super::insights::observe(state, &conv.session, &observed);
    }
    if let Err(e) = app.store.put_session(&conv.token, &conv.session) {
        tracing::error!(error = %e, "storing the session failed");
        failed = true;
    }
    if let Err(e) = app.store.durable().await {
        tracing::error!(error = %e, "flushing the store failed");
        failed = true;
    }
    if failed {
        // The answer is not safe: do not acknowledge it as if it were.
        return vec![error("internal", SORRY)];
    }
    replies
}
