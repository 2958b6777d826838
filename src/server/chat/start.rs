//! Starting and resuming a conversation: who owns its records (visitor, signed customer), the resume token, and
//! the `session` message.

use super::*;

/// The owner of a new conversation's records: the widget's visitor id, joined to the shop's customer when the
/// shop signed the customer id. A forged or malformed id is refused and nothing starts.
pub(super) async fn identify(
    state: &AppState,
    visitor: Option<String>,
    customer: Option<String>,
    signature: Option<String>,
) -> Result<Option<String>, ServerMsg> {
    if let Some(visitor) = &visitor
        && (visitor.starts_with("c:") || !super::super::api::valid_id(visitor))
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
    if !signed || !super::super::api::valid_id(&customer) {
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

pub(super) fn no_session() -> ServerMsg {
    error("no_session", "send `start` first")
}

/// Starts a conversation on `flow_id` (on the arm of its experiment that `assign_key` falls in: the signed customer
/// id, else the visitor id, else the new session's id), or resumes the one of `resume` on the version and arm it
/// started with.
// A new conversation's inputs (the experiment's key, the visit) and a resume's share one entry point, so a start
// and a resume are decided in one place; grouping them in a struct would only rename the list.
#[allow(clippy::too_many_arguments)]
pub(super) async fn start(
    state: &AppState,
    current: &mut Option<Current>,
    flow_id: &str,
    locale: Option<&str>,
    visitor: Option<String>,
    resume: Option<String>,
    assign_key: Option<String>,
    visit: Option<Visit>,
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
        let Some(flow) = app
            .live
            .flow_at(&session.flow, &session.flow_version, session.arm)
        else {
            return vec![error(
                "bad_resume",
                "that finder is no longer offered; send start without resume",
            )];
        };
        tracing::Span::current().record("session", session.id.as_str());
        tracing::debug!(flow = %session.flow, "resumed");
        let effects = conversation::resume(&flow, &session);
        let mut replies = vec![session_msg(&flow, &session, &token, true)];
        let mut conv = Current {
            flow,
            session,
            token,
            owner,
            known: None,
        };
        replies.extend(carry_out(state, &mut conv, effects, None, None).await);
        *current = Some(conv);
        return replies;
    }
    let flows = app.flows();
    let Some(base) = flows.get(flow_id).cloned() else {
        let known: Vec<&str> = flows.iter().map(|f| f.id.as_str()).collect();
        return vec![error(
            "unknown_flow",
            format!(
                "there is no finder `{flow_id}`; try one of: {}",
                known.join(", ")
            ),
        )];
    };
    let id = format!("s-{}", store::new_token(8));
    let arm = base
        .experiment
        .is_some()
        .then(|| base.arm_for(assign_key.as_deref().unwrap_or(&id)));
    let flow = base.on_arm(arm.unwrap_or(Arm::Control));
    let mut session = Session::new(id, &flow, locale, visitor);
    session.arm = arm;
    tracing::Span::current().record("session", session.id.as_str());
    tracing::debug!(flow = %session.flow, "started");
    let token = store::new_token(16);
    let segments = app.live.segments();
    session.segments = match &visit {
        Some(visit) => visit.segments(state, &segments, &session).await,
        None => Vec::new(),
    };
    let opener = segments.opener(&session.segments, &session.locale);
    let (session, effects) = conversation::step(&flow, session, Input::Start);
    let mut replies = vec![session_msg(&flow, &session, &token, false)];
    if let Some((segment, text)) = opener {
        replies.push(ServerMsg::Message {
            text,
            segment: Some(segment),
        });
    }
    let (owner, _held) = app.owners.claim(&token).await;
    let mut conv = Current {
        flow,
        session,
        token,
        owner,
        known: None,
    };
    replies.extend(carry_out(state, &mut conv, effects, Some(None), None).await);
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
