//! Turning what happened into queued (or cancelled) emails, by the rules of `emails/triggers.yaml`.
//!
//! Each function only reads the store and queues records for the caller's group commit, so an email is durable
//! with the turn, consent or shop event that caused it. Queueing needs an address and a current consent (both
//! read again before sending); a shopper without an address costs two record reads.
//!
//! Ids are chosen so one cause queues one email: `picks-SESSION`, `resume-SESSION` (pushed back by every answer,
//! so it goes out `after` the last one), `cart-EVENT`, `browse-DAY`, `inactive`. Later events cancel: the picks
//! cancel the resume email of their conversation; `purchased` cancels cart and browse emails; `added_to_cart`
//! cancels browse emails (and no browse email is queued while a cart email waits); any visit pushes the inactivity
//! email back.

use crate::conversation::{Position, Session};
use crate::shop_events::{Kind as EventKind, ShopEvent};
use crate::store::{self, Purpose, QueuedEmail, Store, StoreError, Trigger};

use super::Mailer;

/// What a call queued and cancelled (for the metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Queued {
    pub queued: usize,
    pub cancelled: usize,
}

impl std::ops::AddAssign for Queued {
    fn add_assign(&mut self, other: Queued) {
        self.queued += other.queued;
        self.cancelled += other.cancelled;
    }
}

/// The shopper's profile owners, if they gave an address and consent to email recommendations.
fn reachable(store: &Store, owner: &str) -> Result<Option<Vec<String>>, StoreError> {
    let profile = store.profile(owner)?;
    if profile.email.is_none() || !store.has_consent(&profile, Purpose::EmailRecommendations)? {
        return Ok(None);
    }
    Ok(Some(profile.owners))
}

/// Whether the shopper of `owner` may get the email of `trigger`: the trigger names no segment, or they are a
/// member now (their stored answers and events; no visit's device or source). Read when queueing and again
/// before sending.
pub fn in_segment(
    mailer: &Mailer,
    store: &Store,
    trigger: Trigger,
    owner: &str,
    now: u64,
) -> Result<bool, StoreError> {
    let Some(name) = mailer
        .triggers()
        .rule(trigger)
        .and_then(|r| r.segment.clone())
    else {
        return Ok(true);
    };
    let segments = mailer.segments();
    let Some(segment) = segments.get(&name) else {
        return Ok(false);
    };
    Ok(crate::segments::evaluate(
        segment,
        &store.facts(owner)?,
        now,
    ))
}

fn email(
    mailer: &Mailer,
    owner: &str,
    id: String,
    trigger: Trigger,
    locale: &str,
    now: u64,
) -> Option<QueuedEmail> {
    let triggers = mailer.triggers();
    let rule = triggers.rule(trigger)?;
    Some(QueuedEmail {
        message_id: format!("<{id}.{}@{}>", store::new_token(8), mailer.message_host),
        id,
        owner: owner.to_string(),
        trigger,
        template: rule.email.clone(),
        locale: locale.to_string(),
        flow: None,
        session: None,
        session_token: None,
        links: None,
        products: Vec::new(),
        queued_at: now,
        due: now + rule.after,
        attempts: Vec::new(),
    })
}

/// After a chat turn (or a consent): the picks email once the finder shows its picks (cancelling the resume
/// email), else the resume email pushed back to `after` from now.
pub fn after_turn(
    mailer: &Mailer,
    store: &Store,
    session: &Session,
    token: &str,
    now: u64,
) -> Result<Queued, StoreError> {
    let owner = store::owner(session);
    let mut done = Queued::default();
    let finished = matches!(session.at, Position::Showing(_));
    let resume_id = format!("resume-{}", session.id);
    if finished {
        done.cancelled += store
            .cancel_emails(&[owner.to_string()], now, "the finder was finished", |e| {
                e.id == resume_id
            })?
            .len();
    }
    if session.answers.is_empty() {
        return Ok(done);
    }
    let Some(profile_owners) = reachable(store, owner)? else {
        return Ok(done);
    };
    // A conversation is a visit too.
    done.queued += inactive(mailer, store, owner, &profile_owners, &session.locale, now)?;
    let trigger = if finished {
        Trigger::FinderCompleted
    } else {
        Trigger::FinderAbandoned
    };
    if !in_segment(mailer, store, trigger, owner, now)? {
        return Ok(done);
    }
    if finished {
        if let Some(mut picks) = email(
            mailer,
            owner,
            format!("picks-{}", session.id),
            Trigger::FinderCompleted,
            &session.locale,
            now,
        ) {
            picks.flow = Some(session.flow.clone());
            picks.session = Some(session.id.clone());
            done.queued += usize::from(store.queue_email(&picks)?);
        }
        return Ok(done);
    }
    let Some(mut resume) = email(
        mailer,
        owner,
        resume_id,
        Trigger::FinderAbandoned,
        &session.locale,
        now,
    ) else {
        return Ok(done);
    };
    match store.queued_email(owner, &resume.id)? {
        // Still waiting: every answer pushes it back.
        Some(mut waiting) => {
            waiting.due = resume.due;
            waiting.locale = session.locale.clone();
            store.put_email(&waiting)?;
        }
        None => {
            resume.flow = Some(session.flow.clone());
            resume.session = Some(session.id.clone());
            resume.session_token = Some(token.to_string());
            done.queued += usize::from(store.queue_email(&resume)?);
        }
    }
    Ok(done)
}

/// After shop events were stored: cancels what they make pointless and queues the abandonment emails.
pub fn after_events(
    mailer: &Mailer,
    store: &Store,
    events: &[ShopEvent],
    locale: &str,
    now: u64,
) -> Result<Queued, StoreError> {
    let mut done = Queued::default();
    for event in events {
        // A purchase or cart add cancels what waits for any id of the shopper's profile (the cart may have been
        // filled on another device than the one that pays).
        let owners = match event.kind {
            EventKind::Purchased | EventKind::AddedToCart => store.profile(&event.visitor)?.owners,
            _ => vec![event.visitor.clone()],
        };
        let cancel = |reason: &str, which: &[Trigger]| {
            store
                .cancel_emails(&owners, now, reason, |e| which.contains(&e.trigger))
                .map(|c| c.len())
        };
        match event.kind {
            EventKind::Purchased => {
                done.cancelled += cancel(
                    "a purchase",
                    &[Trigger::CartAbandoned, Trigger::BrowseAbandoned],
                )?;
            }
            EventKind::AddedToCart => {
                done.cancelled += cancel("an add to cart", &[Trigger::BrowseAbandoned])?
            }
            _ => {}
        }
        let wanted = match event.kind {
            EventKind::AddedToCart => Some((Trigger::CartAbandoned, format!("cart-{}", event.id))),
            EventKind::Viewed => {
                Some((Trigger::BrowseAbandoned, format!("browse-{}", now / 86_400)))
            }
            _ => None,
        };
        let rules = [wanted.as_ref().map(|(t, _)| *t), Some(Trigger::Inactive)];
        if rules
            .iter()
            .flatten()
            .all(|t| mailer.triggers().rule(*t).is_none())
        {
            continue;
        }
        let Some(profile_owners) = reachable(store, &event.visitor)? else {
            continue;
        };
        if let Some((trigger, id)) = wanted
            && in_segment(mailer, store, trigger, &event.visitor, now)?
            && let Some(mut queued) = email(mailer, &event.visitor, id, trigger, locale, now)
        {
            // One cart email waits per shopper, and a shopper with a cart waiting is not browsing without one:
            // no browse email beside it.
            let waiting = store.queued_emails_of(&profile_owners)?;
            let wanted_now = !waiting.iter().any(|e| {
                e.trigger == Trigger::CartAbandoned
                    && matches!(trigger, Trigger::CartAbandoned | Trigger::BrowseAbandoned)
            });
            if wanted_now {
                queued.products = event.products().iter().map(|p| p.to_string()).collect();
                done.queued += usize::from(store.queue_email(&queued)?);
            }
        }
        done.queued += inactive(mailer, store, &event.visitor, &profile_owners, locale, now)?;
    }
    Ok(done)
}

/// Any visit (a shop event, a chat turn) pushes the inactivity email back, or queues it: one waits per shopper.
/// The number queued.
fn inactive(
    mailer: &Mailer,
    store: &Store,
    owner: &str,
    profile_owners: &[String],
    locale: &str,
    now: u64,
) -> Result<usize, StoreError> {
    if !in_segment(mailer, store, Trigger::Inactive, owner, now)? {
        return Ok(0);
    }
    let Some(queued) = email(
        mailer,
        owner,
        format!("inactive-{now}"),
        Trigger::Inactive,
        locale,
        now,
    ) else {
        return Ok(0);
    };
    let waiting = store.queued_emails_of(profile_owners)?;
    match waiting.into_iter().find(|e| e.trigger == Trigger::Inactive) {
        Some(mut waiting) => {
            waiting.due = queued.due;
            store.put_email(&waiting)?;
            Ok(0)
        }
        None => Ok(usize::from(store.queue_email(&queued)?)),
    }
}

/// After consent was withdrawn: every waiting email of the shopper is cancelled.
pub fn after_withdrawal(store: &Store, owner: &str, now: u64) -> Result<Queued, StoreError> {
    let owners = store.profile(owner)?.owners;
    let cancelled = store
        .cancel_emails(&owners, now, "consent withdrawn", |_| true)?
        .len();
    Ok(Queued {
        queued: 0,
        cancelled,
    })
}
