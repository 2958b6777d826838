//! Consent from the widget (the chat's `consent` message) and the text a shopper agrees to.
//!
//! Giving consent stores the address in the shopper's profile and an entry in the ledger, both durable before the
//! reply says so; a malformed address gets an error in the shopper's locale and nothing is stored. `consent: false`
//! withdraws, effective at once.

use super::AppState;
use super::chat::{SORRY, error};
use super::protocol::{ConsentOut, ServerMsg};
use crate::conversation::{self, Event, Session};
use crate::flow::Flow;
use crate::store::{self, Action, Channel, ConsentEntry, Purpose};

/// The version of the built-in text, used by finders that word no consent of their own.
const BUILTIN_VERSION: &str = "builtin-1";

/// The consent text of a finder in a locale: the finder's own, else the built-in one.
pub(super) fn text(flow: &Flow, locale: &str) -> ConsentOut {
    match &flow.consent {
        Some((version, text)) => ConsentOut {
            text: text.get(locale, flow.default_locale()).to_string(),
            version: version.clone(),
        },
        None => ConsentOut {
            text: if locale.starts_with("ja") {
                "回答内容の保存と、おすすめ商品のメール送信に同意します。配信はいつでも停止できます。"
            } else {
                "I agree that my answers are kept and that I may be emailed product recommendations. I can unsubscribe at any time."
            }
            .to_string(),
            version: BUILTIN_VERSION.to_string(),
        },
    }
}

/// Whether the shopper of `session` stands by their consent to recommendations by email now (a store error reads
/// as no: the widget then offers the form again, which is harmless).
pub(super) fn standing(app_store: &store::Store, session: &Session) -> bool {
    let owner = store::owner(session);
    app_store
        .profile(owner)
        .and_then(|profile| app_store.has_consent(&profile, Purpose::EmailRecommendations))
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "reading the consent ledger failed");
            false
        })
}

/// The `consent` message: records consent (or its withdrawal) durably, then thanks the shopper.
pub(super) async fn given(
    state: &AppState,
    flow: &Flow,
    session: &Session,
    token: &str,
    email: &str,
    consent: bool,
) -> Vec<ServerMsg> {
    let ja = session.locale.starts_with("ja");
    if consent && !conversation::looks_like_email(email) {
        let message = if ja {
            "メールアドレスの形式が正しくありません（例: aiko@example.jp）。ご確認のうえ、もう一度お送りください。"
        } else {
            "That email address doesn't look right (for example: aiko@example.com). Please check it and send it again."
        };
        return vec![error("bad_message", message)];
    }
    let shown = text(flow, &session.locale);
    let entry = ConsentEntry {
        purpose: Purpose::EmailRecommendations,
        action: if consent {
            Action::Given
        } else {
            Action::Withdrawn
        },
        text: shown.text,
        text_version: shown.version,
        locale: session.locale.clone(),
        channel: Channel::Widget,
        at: store::now(),
    };
    let owner = store::owner(session).to_string();
    let (app_store, session, email) = (state.0.store.clone(), session.clone(), email.to_string());
    let (state_now, token) = (state.clone(), token.to_string());
    let recorded = tokio::task::spawn_blocking(move || {
        if consent {
            app_store.set_email(&owner, &email, false)?;
        }
        app_store.append_consent(&owner, &entry)?;
        // With the consent, in the same group commit: the picks email (or the resume email, mid-finder), or
        // every queued email cancelled.
        if consent {
            super::email::after_turn(&state_now, &session, &token);
        } else {
            super::email::after_withdrawal(&state_now, &owner)?;
        }
        app_store.record_event(&session, &Event::Consent { given: consent })
    })
    .await;
    // "Your consent is recorded" is said only once it is.
    let durable = match recorded {
        Ok(Ok(())) => state.0.store.durable().await.map_err(|e| e.to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = durable {
        tracing::error!(error = %e, "recording consent failed");
        return vec![error("internal", SORRY)];
    }
    // Whether, never the address.
    tracing::debug!(given = consent, "consent recorded");
    let text = match (ja, consent) {
        (true, true) => "ありがとうございます。ご同意を記録しました。配信はいつでも停止できます。",
        (true, false) => "承知しました。メールはお送りしません。",
        (false, true) => "Thanks! Your consent is recorded; you can unsubscribe at any time.",
        (false, false) => "Understood: we won't email you.",
    };
    vec![ServerMsg::Message {
        text: text.to_string(),
        segment: None,
    }]
}
