//! One well-formed client message carried out: a start or resume, an answer, back, restart, consent, a shop
//! event or a recommendation request, each through the engine or the store, into the replies.

use super::*;

/// Carries out one well-formed client message; `device` is the one the connection's User-Agent names.
pub(super) async fn act(
    state: &AppState,
    current: &mut Option<Current>,
    msg: ClientMsg,
    device: Option<crate::segments::Device>,
) -> Vec<ServerMsg> {
    let input = match msg {
        ClientMsg::Start {
            v,
            flow,
            locale,
            visitor,
            customer,
            signature,
            resume,
            referrer,
            utm,
            device: said,
        } => {
            if v.is_some_and(|v| v != VERSION) {
                return vec![error(
                    "unsupported_version",
                    format!("this server speaks protocol v{VERSION}"),
                )];
            }
            if resume.is_none() {
                let visit = match Visit::read(device, said, referrer, utm) {
                    Ok(visit) => visit,
                    Err(reason) => return vec![error("bad_message", reason)],
                };
                // A signed customer is the same shopper on every device: their id decides the arm of an
                // experiment (checked by `identify`), else the visitor id does.
                let key = customer
                    .as_ref()
                    .map(|c| format!("c:{c}"))
                    .or_else(|| visitor.clone());
                let visitor = match identify(state, visitor, customer, signature).await {
                    Ok(visitor) => visitor,
                    Err(refusal) => return vec![refusal],
                };
                let locale = locale.as_deref();
                return start(
                    state,
                    current,
                    &flow,
                    locale,
                    visitor,
                    None,
                    key,
                    Some(visit),
                )
                .await;
            }
            return start(
                state,
                current,
                &flow,
                locale.as_deref(),
                visitor,
                resume,
                None,
                None,
            )
            .await;
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
        ClientMsg::Recommend { limit, context } => {
            let Some(conv) = current.as_ref() else {
                return vec![no_session()];
            };
            return recommend::recommend(state, conv, limit, context).await;
        }
        ClientMsg::Consent { email, consent } => {
            let Some(conv) = current.as_ref() else {
                return vec![no_session()];
            };
            return super::super::consent::given(
                state,
                &conv.flow,
                &conv.session,
                &conv.token,
                &email,
                consent,
            )
            .await;
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
    let before = std::mem::replace(&mut conv.session, session);
    carry_out(state, conv, effects, Some(typed), Some(before)).await
}
