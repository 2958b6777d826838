//! The outbox worker: sends the emails that are due, at a set rate, and records every attempt.
//!
//! One round: read the due emails; for each, check again that the shopper's consent stands and their address is
//! not suppressed (else cancel or suppress it), hold it back through quiet hours and the frequency cap (counting
//! the emails already going to the same shopper this round), render it and issue its links; make that durable;
//! send it, a few at a time, while the next ones are prepared; record every outcome; make that durable. A crash between a send and its record costs one duplicate at most, and the duplicate carries the
//! same `Message-ID` and the same (already durable) links.
//!
//! Failures: a temporary one (4xx, connection refused, a timeout) is tried again after 1, 2, 4, … minutes
//! (at most 6 hours apart) until three days after it was queued, then it fails; a permanent one (5xx) suppresses
//! the address, so nothing is sent to it again.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::message::{self, Envelope};
use super::transport::SendError;
use super::{Mailer, Sources};
use crate::store::{
    Attempt, Clock, Link, LinkPurpose, LoggedEmail, Outcome, Purpose, QueuedEmail, Store,
    StoreError, Trigger,
};

/// Temporary failures are retried for this long after an email was queued.
pub const RETRY_FOR: u64 = 3 * 24 * 3600;
/// The first retry waits this long; each next one twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: u64 = 60;
const MAX_BACKOFF: u64 = 6 * 3600;
/// Emails read from the outbox per round.
const BATCH: usize = 256;
/// Sends in flight at once (and SMTP connections kept open between rounds).
pub const IN_FLIGHT: usize = 8;
/// One SMTP conversation may take this long before it counts as a temporary failure.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The wait before try `n + 1` after `n` temporary failures.
pub fn backoff(failures: usize) -> u64 {
    let exponent = failures.saturating_sub(1).min(20) as u32;
    FIRST_BACKOFF.saturating_mul(1 << exponent).min(MAX_BACKOFF)
}

/// An email ready to go: the message and what to record once it went (or did not).
struct Ready {
    email: QueuedEmail,
    message: lettre::Message,
    to: String,
    subject: String,
}

/// Runs rounds until `stop` says so: after each round, waits for a wake-up (an email queued) or `poll`.
pub async fn run(
    mailer: Arc<Mailer>,
    store: Store,
    clock: Clock,
    sources: Sources,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        match round(&mailer, &store, &clock, &sources).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "the outbox round failed"),
        }
        tokio::select! {
            () = mailer.wake.notified() => {}
            () = tokio::time::sleep(mailer.poll) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// One round over the due emails; how many were sent or finished.
///
/// Preparing and sending overlap: a blocking task prepares the due emails one by one and passes on those ready
/// to go; whatever has arrived is made durable in one group commit (their links and `Message-ID` are on disk
/// before anything leaves), then sent while the next ones are prepared. Every outcome is recorded, then made
/// durable, at the end of the round.
pub async fn round(
    mailer: &Arc<Mailer>,
    store: &Store,
    clock: &Clock,
    sources: &Sources,
) -> Result<usize, StoreError> {
    let now = clock.now();
    let (ready, mut prepared) = mpsc::channel(BATCH);
    let preparing = {
        let (mailer, store, sources) = (mailer.clone(), store.clone(), sources.clone());
        tokio::task::spawn_blocking(move || prepare(&mailer, &store, &sources, now, &ready))
    };
    let (outcomes, sending) = send_all(mailer, store, &mut prepared).await;
    // If sending stopped early, the preparer stops at its next email.
    drop(prepared);
    let finished = preparing
        .await
        .map_err(|e| StoreError::Flush(e.to_string()))?;
    if outcomes.is_empty() && matches!(finished, Ok(0)) {
        sending?;
        return Ok(0);
    }
    // What went out is recorded even when preparing or a group commit failed meanwhile.
    let n = outcomes.len() + *finished.as_ref().unwrap_or(&0);
    let (mailer2, store2, now) = (mailer.clone(), store.clone(), clock.now());
    tokio::task::spawn_blocking(move || record(&mailer2, &store2, outcomes, now))
        .await
        .map_err(|e| StoreError::Flush(e.to_string()))??;
    store.durable().await?;
    finished?;
    sending?;
    Ok(n)
}

type Outcomes = Vec<(Ready, Result<(), SendError>)>;

/// Sends what `prepared` passes on, [`IN_FLIGHT`] at a time at the mailer's rate, each batch made durable
/// before any of it starts; the outcomes, and the group commit's failure if one failed (then no more start).
async fn send_all(
    mailer: &Arc<Mailer>,
    store: &Store,
    prepared: &mut mpsc::Receiver<Ready>,
) -> (Outcomes, Result<(), StoreError>) {
    let pace = Duration::from_secs_f64(1.0 / f64::from(mailer.rate.max(1)));
    let mut next_start = tokio::time::Instant::now();
    // Durable and waiting for a free slot.
    let mut waiting: VecDeque<Ready> = VecDeque::new();
    let mut sending = JoinSet::new();
    let mut outcomes = Vec::new();
    let mut open = true;
    let mut failure = Ok(());
    loop {
        while sending.len() < IN_FLIGHT {
            let Some(item) = waiting.pop_front() else {
                break;
            };
            tokio::time::sleep_until(next_start).await;
            next_start = tokio::time::Instant::now() + pace;
            let transport = mailer.transport.clone();
            sending.spawn(async move {
                let sent = tokio::time::timeout(SEND_TIMEOUT, transport.send(&item.message)).await;
                let sent = sent.unwrap_or_else(|_| Err(SendError::Temporary("timed out".into())));
                (item, sent)
            });
        }
        tokio::select! {
            got = prepared.recv(), if open && failure.is_ok() && waiting.len() < IN_FLIGHT => match got {
                Some(first) => {
                    let mut fresh = vec![first];
                    while let Ok(more) = prepared.try_recv() {
                        fresh.push(more);
                    }
                    match store.durable().await {
                        Ok(()) => waiting.extend(fresh),
                        Err(error) => failure = Err(error),
                    }
                }
                None => open = false,
            },
            Some(done) = sending.join_next(), if !sending.is_empty() => match done {
                Ok(outcome) => outcomes.push(outcome),
                // The email stays in the outbox, to be sent again (with its Message-ID) next round.
                Err(error) => tracing::error!(%error, "an email's send task failed"),
            },
            else => return (outcomes, failure),
        }
        if failure.is_err() {
            waiting.clear();
        }
    }
}

/// Reads the due emails and passes each on to `ready` or finishes it (cancelled, suppressed, failed) or defers it;
/// how many were finished.
fn prepare(
    mailer: &Mailer,
    store: &Store,
    sources: &Sources,
    now: u64,
    ready: &mpsc::Sender<Ready>,
) -> Result<usize, StoreError> {
    let mut finished = 0;
    // The shoppers (profile ids) emailed this round: not yet in the mail log, yet under the frequency cap.
    let mut this_round: HashMap<String, usize> = HashMap::new();
    for mut email in store.due_emails(now, BATCH)? {
        let profile = store.profile(&email.owner)?;
        let finish = |outcome: Outcome, reason: &str, email: &QueuedEmail| {
            mailer.counters.count(outcome);
            store.finish_email(&LoggedEmail {
                email: email.clone(),
                outcome,
                finished_at: now,
                subject: String::new(),
                to: String::new(),
                reason: reason.to_string(),
            })
        };
        // Consent is read again now: a withdrawal since the email was queued stops it.
        let address = profile.email.as_ref().map(|e| e.address.clone());
        let Some(address) = address.filter(|_| {
            store
                .has_consent(&profile, Purpose::EmailRecommendations)
                .unwrap_or(false)
        }) else {
            finish(
                Outcome::Cancelled,
                "no consent for email recommendations",
                &email,
            )?;
            finished += 1;
            continue;
        };
        // So is the trigger's segment: a shopper who left it since is not emailed.
        if !super::queue::in_segment(mailer, store, email.trigger, &email.owner, now)? {
            let reason = "the shopper is no longer in the trigger's segment";
            finish(Outcome::Cancelled, reason, &email)?;
            finished += 1;
            continue;
        }
        if store.is_suppressed(&address)? {
            finish(Outcome::Suppressed, "the address is suppressed", &email)?;
            finished += 1;
            continue;
        }
        let defer = |email: &mut QueuedEmail, until: u64, why: &str| {
            email.due = until;
            email.attempts.push(Attempt {
                at: now,
                outcome: "deferred".into(),
                detail: why.into(),
            });
            store.put_email(email)
        };
        if let Some(until) = mailer.triggers().quiet_until(now) {
            defer(&mut email, until, "quiet hours")?;
            continue;
        }
        let mut sent: Vec<u64> = store
            .logged_emails_of(&profile.owners)?
            .iter()
            .filter(|e| e.outcome == Outcome::Sent)
            .map(|e| e.finished_at)
            .collect();
        let going = this_round.get(&profile.id).copied().unwrap_or(0);
        sent.extend(std::iter::repeat_n(now, going));
        if let Some(until) = mailer.triggers().cap_until(&sent, now) {
            defer(&mut email, until, "frequency cap")?;
            continue;
        }
        if email.links.is_none() {
            email.links = Some(issue_links(mailer, store, &email, now)?);
        }
        let rendered = match super::render(mailer, sources, store, &email, &profile) {
            Ok(rendered) => rendered,
            Err(error) => {
                tracing::error!(%error, email = %email.id, "an email could not be rendered");
                finish(Outcome::Failed, &error, &email)?;
                finished += 1;
                continue;
            }
        };
        let built = message::build(
            &Envelope {
                from: &mailer.from,
                to: &address,
                message_id: &email.message_id,
                unsubscribe: &mailer
                    .unsubscribe_url(email.links.as_ref().map_or("", |l| &l.unsubscribe)),
            },
            &rendered,
        );
        match built {
            Ok(message) => {
                store.put_email(&email)?;
                *this_round.entry(profile.id.clone()).or_default() += 1;
                let item = Ready {
                    email,
                    message,
                    to: address,
                    subject: rendered.subject,
                };
                if ready.blocking_send(item).is_err() {
                    // Sending stopped (a failed group commit): the rest waits for the next round.
                    break;
                }
            }
            Err(error) => {
                finish(Outcome::Failed, &error.to_string(), &email)?;
                finished += 1;
            }
        }
    }
    Ok(finished)
}

/// The unsubscribe link (and, for a resume email, the resume link) of an email.
fn issue_links(
    mailer: &Mailer,
    store: &Store,
    email: &QueuedEmail,
    now: u64,
) -> Result<crate::store::EmailLinks, StoreError> {
    let unsubscribe = store.issue_link(&Link {
        purpose: LinkPurpose::Unsubscribe,
        owner: email.owner.clone(),
        session_token: None,
        expires: None,
        used_at: None,
    })?;
    let resume = match (&email.session_token, email.trigger) {
        (Some(token), Trigger::FinderAbandoned) => Some(
            store.issue_link(&Link {
                purpose: LinkPurpose::Resume,
                owner: email.owner.clone(),
                session_token: Some(token.clone()),
                expires: Some(
                    now + mailer
                        .triggers()
                        .rule(Trigger::FinderAbandoned)
                        .map_or(3 * 24 * 3600, |r| r.link_valid),
                ),
                used_at: None,
            })?,
        ),
        _ => None,
    };
    Ok(crate::store::EmailLinks {
        unsubscribe,
        resume,
    })
}

/// Records how each send went.
fn record(
    mailer: &Mailer,
    store: &Store,
    outcomes: Vec<(Ready, Result<(), SendError>)>,
    now: u64,
) -> Result<(), StoreError> {
    for (ready, sent) in outcomes {
        let Ready {
            mut email,
            to,
            subject,
            ..
        } = ready;
        let (outcome, detail) = match &sent {
            Ok(()) => ("sent", String::new()),
            Err(SendError::Temporary(d)) => ("temporary", d.clone()),
            Err(SendError::Permanent(d)) => ("permanent", d.clone()),
        };
        email.attempts.push(Attempt {
            at: now,
            outcome: outcome.into(),
            detail: detail.clone(),
        });
        let finished = |outcome: Outcome, email: QueuedEmail, reason: String| {
            mailer.counters.count(outcome);
            store.finish_email(&LoggedEmail {
                email,
                outcome,
                finished_at: now,
                subject: subject.clone(),
                to: to.clone(),
                reason,
            })
        };
        match sent {
            Ok(()) => finished(Outcome::Sent, email, String::new())?,
            Err(SendError::Permanent(_)) => {
                store.suppress(&to, now)?;
                finished(Outcome::Suppressed, email, detail)?;
            }
            Err(SendError::Temporary(_)) => {
                let failures = email
                    .attempts
                    .iter()
                    .filter(|a| a.outcome == "temporary")
                    .count();
                let due = now + backoff(failures);
                if due > email.queued_at + RETRY_FOR {
                    finished(Outcome::Failed, email, detail)?;
                } else {
                    mailer.counters.retried.inc();
                    email.due = due;
                    store.put_email(&email)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
