//! The email outbox and the log of emails finished with.
//!
//! - `outbox`: `owner \0 email id` → `{v, …QueuedEmail}`, the emails waiting to be sent (or to be tried again).
//! - `mail_log`: `owner \0 email id` → `{v, …LoggedEmail}`, every email sent, cancelled, failed or suppressed,
//!   with every attempt; read for the frequency cap, the shopper's export and the metrics.
//!
//! An email is queued with the rest of what triggered it and made durable by the same group commit. Its id is
//! chosen by the trigger (one picks email per conversation, one resume email per conversation, …), so the same
//! trigger seen twice queues one email; its `Message-ID` is fixed when it is queued, so a send repeated after a
//! crash carries the same one. Finishing an email moves it from the outbox to the log in one group commit.

use serde::{Deserialize, Serialize};

use super::answers::prefix;
use super::{Kind, Store, StoreError, decode, encode};

const VERSION: u32 = 1;

/// What made an email.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The finder showed its picks to a shopper who consented.
    FinderCompleted,
    /// A shopper who gave their email left a finder half-way.
    FinderAbandoned,
    /// `added_to_cart` with no `purchased` after it.
    CartAbandoned,
    /// Products viewed, nothing added to the cart.
    BrowseAbandoned,
    /// No visit for a while.
    Inactive,
}

impl Trigger {
    pub const ALL: [Trigger; 5] = [
        Trigger::FinderCompleted,
        Trigger::FinderAbandoned,
        Trigger::CartAbandoned,
        Trigger::BrowseAbandoned,
        Trigger::Inactive,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Trigger::FinderCompleted => "finder_completed",
            Trigger::FinderAbandoned => "finder_abandoned",
            Trigger::CartAbandoned => "cart_abandoned",
            Trigger::BrowseAbandoned => "browse_abandoned",
            Trigger::Inactive => "inactive",
        }
    }
}

/// One try at sending an email.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: u64,
    /// `sent`, `temporary` (4xx, connection refused), `permanent` (5xx), `deferred` (quiet hours, the cap).
    pub outcome: String,
    /// The server's reply or why it was deferred, without the address.
    #[serde(default)]
    pub detail: String,
}

/// An email waiting in the outbox. The address is not kept here: it is read from the profile just before
/// sending, with the consent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuedEmail {
    /// Chosen by the trigger; unique per owner.
    pub id: String,
    /// `<id@host>`, fixed when queued: every send of this email carries it.
    pub message_id: String,
    /// The visitor (or session) id the trigger belongs to.
    pub owner: String,
    pub trigger: Trigger,
    /// The template (`picks`, `resume`, …).
    pub template: String,
    pub locale: String,
    /// The finder and conversation it is about, if any.
    #[serde(default)]
    pub flow: Option<String>,
    #[serde(default)]
    pub session: Option<String>,
    /// The conversation's resume token (a resume link reopens it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// The tokens of its links, issued (and durable) before its first send, so a repeated send carries the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<EmailLinks>,
    /// Products it is about (the cart's), if any.
    #[serde(default)]
    pub products: Vec<String>,
    pub queued_at: u64,
    /// Not sent before this time (seconds since the epoch).
    pub due: u64,
    #[serde(default)]
    pub attempts: Vec<Attempt>,
}

/// The raw tokens of an email's links (the store keeps only their hashes in `links`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailLinks {
    pub unsubscribe: String,
    #[serde(default)]
    pub resume: Option<String>,
}

/// How an email ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Sent,
    /// A later event made it pointless, or consent was withdrawn.
    Cancelled,
    /// Temporary failures for longer than the retry period.
    Failed,
    /// The address refused it permanently (5xx), or was suppressed before.
    Suppressed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
            Outcome::Suppressed => "suppressed",
        }
    }
}

/// An email finished with: what it was, how it ended and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedEmail {
    #[serde(flatten)]
    pub email: QueuedEmail,
    pub outcome: Outcome,
    pub finished_at: u64,
    /// The subject sent (empty when it never was).
    #[serde(default)]
    pub subject: String,
    /// The address it went to (empty when it never was).
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize)]
struct Versioned<'a, T> {
    v: u32,
    #[serde(flatten)]
    record: &'a T,
}

fn key(owner: &str, id: &str) -> Vec<u8> {
    let mut key = prefix(owner);
    key.extend_from_slice(id.as_bytes());
    key
}

impl Store {
    /// Queues `email` for the next group commit unless one with its id is waiting or was finished; whether it
    /// was queued.
    pub fn queue_email(&self, email: &QueuedEmail) -> Result<bool, StoreError> {
        let key = key(&email.owner, &email.id);
        if self.get(Kind::Outbox, &key)?.is_some() || self.get(Kind::MailLog, &key)?.is_some() {
            return Ok(false);
        }
        self.put_email(email)?;
        Ok(true)
    }

    /// Writes an email of the outbox as it is now (a new due time, an attempt recorded).
    pub fn put_email(&self, email: &QueuedEmail) -> Result<(), StoreError> {
        let value = encode(&Versioned {
            v: VERSION,
            record: email,
        })?;
        self.queue(Kind::Outbox, key(&email.owner, &email.id), Some(value));
        Ok(())
    }

    /// The email of the outbox with this owner and id, if it is still waiting.
    pub fn queued_email(&self, owner: &str, id: &str) -> Result<Option<QueuedEmail>, StoreError> {
        self.get(Kind::Outbox, &key(owner, id))?
            .map(|bytes| decode(&bytes, VERSION))
            .transpose()
    }

    /// The emails due at `now`, soonest first, at most `limit`.
    pub fn due_emails(&self, now: u64, limit: usize) -> Result<Vec<QueuedEmail>, StoreError> {
        let mut due = Vec::new();
        for bytes in self.scan(Kind::Outbox, b"")?.values() {
            let email: QueuedEmail = decode(bytes, VERSION)?;
            if email.due <= now {
                due.push(email);
            }
        }
        due.sort_by(|a, b| (a.due, &a.id).cmp(&(b.due, &b.id)));
        due.truncate(limit);
        Ok(due)
    }

    /// How many emails wait in the outbox, and when the soonest is due.
    pub fn outbox_next(&self) -> Result<(usize, Option<u64>), StoreError> {
        let mut next: Option<u64> = None;
        let records = self.scan(Kind::Outbox, b"")?;
        for bytes in records.values() {
            let email: QueuedEmail = decode(bytes, VERSION)?;
            next = Some(next.map_or(email.due, |n| n.min(email.due)));
        }
        Ok((records.len(), next))
    }

    /// The emails waiting for any of `owners`.
    pub fn queued_emails_of(&self, owners: &[String]) -> Result<Vec<QueuedEmail>, StoreError> {
        let mut out = Vec::new();
        for owner in owners {
            for bytes in self.scan(Kind::Outbox, &prefix(owner))?.values() {
                out.push(decode(bytes, VERSION)?);
            }
        }
        Ok(out)
    }

    /// The finished emails of any of `owners`, oldest first.
    pub fn logged_emails_of(&self, owners: &[String]) -> Result<Vec<LoggedEmail>, StoreError> {
        let mut out: Vec<LoggedEmail> = Vec::new();
        for owner in owners {
            for bytes in self.scan(Kind::MailLog, &prefix(owner))?.values() {
                out.push(decode(bytes, VERSION)?);
            }
        }
        out.sort_by_key(|e| e.finished_at);
        Ok(out)
    }

    /// Moves an email from the outbox to the log (without its tokens), in the next group commit.
    pub fn finish_email(&self, logged: &LoggedEmail) -> Result<(), StoreError> {
        let key = key(&logged.email.owner, &logged.email.id);
        let mut logged = logged.clone();
        logged.email.session_token = None;
        logged.email.links = None;
        let value = encode(&Versioned {
            v: VERSION,
            record: &logged,
        })?;
        let mut queued = self.writes.queued();
        queued.waiting.put(Kind::Outbox, key.clone(), None);
        queued.waiting.put(Kind::MailLog, key, Some(value));
        Ok(())
    }

    /// Cancels the waiting emails of `owners` that `cancel` picks; the cancelled ones.
    pub fn cancel_emails(
        &self,
        owners: &[String],
        now: u64,
        reason: &str,
        cancel: impl Fn(&QueuedEmail) -> bool,
    ) -> Result<Vec<QueuedEmail>, StoreError> {
        let mut cancelled = Vec::new();
        for email in self.queued_emails_of(owners)? {
            if cancel(&email) {
                self.finish_email(&LoggedEmail {
                    email: email.clone(),
                    outcome: Outcome::Cancelled,
                    finished_at: now,
                    subject: String::new(),
                    to: String::new(),
                    reason: reason.to_string(),
                })?;
                cancelled.push(email);
            }
        }
        Ok(cancelled)
    }

    /// Suppresses an address that refused email permanently: nothing is sent to it again.
    pub fn suppress(&self, address: &str, now: u64) -> Result<(), StoreError> {
        let entry = encode(&serde_json::json!({"v": VERSION, "at": now, "reason": "bounced"}))?;
        self.queue(
            Kind::Suppressed,
            super::email_key(address).into_bytes(),
            Some(entry),
        );
        Ok(())
    }

    /// Removes every outbox and log record of `owners` (erasure); how many were waiting and how many logged.
    pub(super) fn remove_emails_of(&self, owners: &[String]) -> Result<(usize, usize), StoreError> {
        let (mut queued, mut logged) = (0, 0);
        for owner in owners {
            queued += self.remove_prefix(Kind::Outbox, &prefix(owner))?;
            logged += self.remove_prefix(Kind::MailLog, &prefix(owner))?;
        }
        Ok((queued, logged))
    }
}
