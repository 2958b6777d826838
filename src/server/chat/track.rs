//! Shop events sent over the chat socket (the widget's `track`): validated like `POST /v1/events` and queued for
//! the next group commit.

use super::*;

/// A shop event from the widget: validated and queued for the next group commit (asked for now); no reply
/// unless it is refused.
pub(super) async fn track(
    state: &AppState,
    current: Option<&Current>,
    visitor: Option<String>,
    event: serde_json::Value,
) -> Vec<ServerMsg> {
    let owner = match (current, visitor) {
        (Some(conv), _) => store::owner(&conv.session).to_string(),
        (None, Some(visitor))
            if !visitor.starts_with("c:") && super::super::api::valid_id(&visitor) =>
        {
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
    let mail_state = state.clone();
    let kept = tokio::task::spawn_blocking(move || {
        let kept = super::super::api::keep(&app_store, &catalog, vec![event])?;
        super::super::email::after_kept(&mail_state, &kept);
        Ok::<_, store::StoreError>(kept)
    })
    .await;
    match kept {
        Ok(Ok((events, outcomes))) => {
            state.0.store.flush_soon();
            super::super::api::learn(state, &events, &outcomes);
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "recording a shop event failed"),
        Err(e) => tracing::warn!(error = %e, "recording a shop event failed"),
    }
    Vec::new()
}
