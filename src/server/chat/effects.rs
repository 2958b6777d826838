//! Carrying out the engine's effects for one turn: store the answer, run the match (inline or on the blocking
//! pool), record events, persist the session and wait until it is durable.

use super::*;

pub(in crate::server) const SORRY: &str =
    "Sorry, something went wrong on our side. Please try again.";

/// Catalogs up to this size are matched on the conversation's own task (the match benchmark's p99 at 10 000
/// products is well under a millisecond); larger ones on the blocking pool.
const INLINE_MATCH_PRODUCTS: usize = 10_000;

/// Carries out the engine's effects, stores the session and waits until it is durable; returns the replies.
///
/// `typed`: what the shopper typed this turn, for the insights; `None` on a resume, which insights do not count
/// (it shows the conversation where it stands and changes nothing). `before`: the session before this turn, put
/// back when the store cannot make the turn durable (a full or read-only disk): the shopper is told it failed,
/// so the conversation stays where the shopper still sees it and the same answer can be sent again.
pub(super) async fn carry_out(
    state: &AppState,
    conv: &mut Current,
    effects: Vec<Effect>,
    typed: Option<Option<String>>,
    before: Option<Session>,
) -> Vec<ServerMsg> {
    let app = &state.0;
    let mut replies = Vec::new();
    let mut failed = false;
    // A stored answer or shown picks may queue (or cancel) an email.
    let mails = app.settings.email.is_some()
        && effects
            .iter()
            .any(|e| matches!(e, Effect::SaveAnswer { .. } | Effect::Search { .. }));
    let mut observed = super::super::insights::Observed {
        events: Vec::new(),
        asking: None,
        typed: typed.clone().flatten(),
        shown: None,
    };
    for effect in effects {
        match effect {
            Effect::Say(text) => replies.push(ServerMsg::Message {
                text,
                segment: None,
            }),
            Effect::Ask(prompt) => {
                observed.asking = Some(prompt.id.clone());
                replies.push(ServerMsg::Question(prompt.into()));
            }
            Effect::SaveAnswer { question, answer } => {
                if let Err(e) = app.store.save_answer(&conv.session, &question, &answer) {
                    tracing::error!(error = %e, "storing an answer failed");
                    failed = true;
                } else {
                    alike(app, conv, &question, &answer);
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
                        for failed in &showcase.unrendered {
                            // Names the template and the bound, never the answers it was given.
                            tracing::warn!(
                                finder = %conv.flow.id,
                                result = %result,
                                template = failed.what,
                                reason = failed.reason,
                                "a result template failed to render; the shopper got the default"
                            );
                        }
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
                            products.consent = Some(super::super::consent::text(
                                &conv.flow,
                                &conv.session.locale,
                            ));
                            products.consented =
                                super::super::consent::standing(&app.store, &conv.session);
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
        super::super::insights::observe(state, &conv.flow, &conv.session, &observed);
    }
    if mails {
        // Queued with the turn's records: durable in the same group commit.
        super::super::email::after_turn(state, &conv.session, &conv.token);
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
        if let Some(before) = before {
            conv.session = before;
        }
        return vec![error("internal", SORRY)];
    }
    replies
}

/// An owner's stored answers to one finder, question → answer key.
pub(super) struct Known {
    owner: String,
    answers: std::collections::BTreeMap<String, String>,
}

/// Tells the recommendation model the shopper's stored answers to this finder now (the newest per question, over
/// every conversation of theirs, as at a restart), for "answered like you". The store is read once per
/// conversation (and again if the shopper's id changes, as when a customer id arrives); each answer after that
/// updates what was read.
fn alike(
    app: &crate::server::App,
    conv: &mut Current,
    question: &str,
    answer: &crate::conversation::Answer,
) {
    let owner = crate::store::owner(&conv.session);
    let known = match conv.known.take() {
        Some(mut known) if known.owner == owner => {
            known.answers.insert(question.to_string(), answer.key());
            known
        }
        // Read after the answer was queued, so the stored answers include it.
        _ => match app.store.answers_by_flow(owner) {
            Ok(answers) => Known {
                owner: owner.to_string(),
                answers: answers
                    .into_iter()
                    .filter(|a| a.flow == conv.session.flow)
                    .map(|a| (a.question, a.answer.key()))
                    .collect(),
            },
            Err(e) => {
                tracing::warn!(error = %e, "reading the answers for recommendations failed");
                return;
            }
        },
    };
    let signature = crate::recommend::alike::signature(
        known.answers.iter().map(|(q, a)| (q.as_str(), a.clone())),
    );
    app.recommend
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .answered(owner, &conv.session.flow, signature);
    conv.known = Some(known);
}
