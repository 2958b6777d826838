//! Follow-up email to shoppers who consented. An adapter at the edge: it reads template files and talks SMTP,
//! and knows nothing of axum or sled.
//!
//! - [`templates`]: the merchant's templates (`emails/`), checked at load, rendering bounded.
//! - [`content`]: what an email says — the picks the finder makes from the shopper's stored answers, each with
//!   its reason, image, price in the catalog's currency and a link carrying UTM parameters.
//! - [`triggers`]: `emails/triggers.yaml` — which event sends which email after how long, the frequency cap and
//!   the quiet hours; [`queue`] applies them as events happen (queueing into the store's outbox with the event).
//! - [`worker`]: sends what is due through a [`transport::Transport`] (lettre SMTP, or the in-memory twin) at a
//!   set rate, retrying temporary failures and suppressing addresses that refuse for good; [`message`] builds
//!   the MIME message with typed headers only (List-Unsubscribe per RFC 8058).

pub mod content;
pub mod message;
pub mod queue;
pub mod smtp;
pub mod templates;
pub mod transport;
pub mod triggers;
pub mod worker;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use lettre::message::Mailbox;
use prometheus_client::metrics::counter::Counter;

pub use content::{Content, Links, Shop};
pub use templates::{Rendered, TemplateError, Templates};
pub use triggers::Triggers;

use crate::catalog::Catalog;
use crate::flow::Flows;
use crate::store::{Outcome, Profile, QueuedEmail, Store};

/// Loads the templates of `dir`, checking each email renders with the built-in sample; every problem in one
/// message, one per line, each naming its file and line.
pub fn load(dir: &std::path::Path) -> Result<Templates, String> {
    let sample = minijinja::Value::from(minijinja::value::Serde(Content::sample("en")));
    Templates::load(dir, &sample).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Loads the templates and the triggers of an `emails/` folder, every problem in one message.
pub fn load_all(dir: &std::path::Path) -> Result<(Templates, Triggers), String> {
    let templates = load(dir)?;
    let names: Vec<&str> = templates.emails().keys().map(String::as_str).collect();
    let triggers = Triggers::load(&dir.join("triggers.yaml"), &names).map_err(|problems| {
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok((templates, triggers))
}

/// Where the worker reads the finders and catalog served now (a reload swaps them).
pub type Sources = Arc<dyn Fn() -> (Arc<Flows>, Catalog) + Send + Sync>;

/// `/metrics` counters of the outbox; cheap clones of atomic counters the server's registry renders.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub queued: Counter,
    pub sent: Counter,
    pub retried: Counter,
    pub failed: Counter,
    pub suppressed: Counter,
    pub cancelled: Counter,
}

impl Counters {
    pub fn count(&self, outcome: Outcome) {
        match outcome {
            Outcome::Sent => self.sent.inc(),
            Outcome::Cancelled => self.cancelled.inc(),
            Outcome::Failed => self.failed.inc(),
            Outcome::Suppressed => self.suppressed.inc(),
        };
    }

    pub fn queue(&self, done: queue::Queued) {
        self.queued.inc_by(done.queued as u64);
        self.cancelled.inc_by(done.cancelled as u64);
    }
}

/// Everything sending email needs; one per server.
pub struct Mailer {
    templates: RwLock<Arc<Templates>>,
    triggers: RwLock<Arc<Triggers>>,
    /// The merchant's emails folder, loaded again on a reload (`None`: the templates were given, not read).
    pub folder: Option<std::path::PathBuf>,
    pub transport: Arc<dyn transport::Transport>,
    pub from: Mailbox,
    pub shop: Shop,
    /// Emails sent per second at most.
    pub rate: u32,
    /// How often the worker looks at the outbox when nobody wakes it.
    pub poll: Duration,
    /// Woken when an email is queued.
    pub wake: tokio::sync::Notify,
    pub counters: Counters,
    /// The right-hand side of Message-IDs (the public URL's host).
    pub message_host: String,
    /// The segments triggers may name (`segment:`); the server swaps them in with the flows.
    segments: RwLock<Arc<crate::segments::Segments>>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("shop", &self.shop)
            .field("rate", &self.rate)
            .finish()
    }
}

impl Mailer {
    pub fn new(
        (templates, triggers): (Templates, Triggers),
        transport: Arc<dyn transport::Transport>,
        from: Mailbox,
        shop: Shop,
        rate: u32,
    ) -> Mailer {
        let message_host = shop
            .url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .filter(|h| !h.is_empty())
            .unwrap_or("shopkeep.invalid")
            .to_string();
        Mailer {
            templates: RwLock::new(Arc::new(templates)),
            triggers: RwLock::new(Arc::new(triggers)),
            folder: None,
            transport,
            from,
            shop,
            rate: rate.max(1),
            poll: Duration::from_secs(5),
            wake: tokio::sync::Notify::new(),
            counters: Counters::default(),
            message_host,
            segments: RwLock::default(),
        }
    }

    pub fn templates(&self) -> Arc<Templates> {
        self.templates
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The triggers served now (`emails/triggers.yaml`).
    pub fn triggers(&self) -> Arc<Triggers> {
        self.triggers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Swaps in the templates and triggers loaded again (a reload); a folder with a problem was refused before
    /// this, and the ones served until now keep serving.
    pub fn set_emails(&self, (templates, triggers): (Templates, Triggers)) {
        *self.templates.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(templates);
        *self.triggers.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(triggers);
    }

    pub fn segments(&self) -> Arc<crate::segments::Segments> {
        self.segments
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Swaps in the segments served now (checked against the triggers before).
    pub fn set_segments(&self, segments: Arc<crate::segments::Segments>) {
        *self.segments.write().unwrap_or_else(|p| p.into_inner()) = segments;
    }

    pub fn unsubscribe_url(&self, token: &str) -> String {
        content::absolute(&self.shop.url, &format!("/v1/unsubscribe/{token}"))
    }

    pub fn resume_url(&self, token: &str) -> String {
        content::absolute(&self.shop.url, &format!("/v1/resume/{token}"))
    }
}

/// Renders a queued email for the shopper `profile`, with its links.
pub fn render(
    mailer: &Mailer,
    sources: &Sources,
    store: &Store,
    email: &QueuedEmail,
    profile: &Profile,
) -> Result<Rendered, String> {
    let answers = store.profile_answers(profile).map_err(|e| e.to_string())?;
    let (flows, catalog) = sources();
    let tokens = email.links.as_ref();
    let links = Links {
        shop: content::utm(&mailer.shop.url, email.trigger.name()),
        resume: tokens
            .and_then(|l| l.resume.as_deref())
            .map(|t| mailer.resume_url(t)),
        unsubscribe: mailer.unsubscribe_url(tokens.map_or("", |l| &l.unsubscribe)),
    };
    let content = Content::build(
        &mailer.shop,
        (&flows, &catalog),
        &answers,
        &email.products,
        &email.locale,
        (email.trigger.name(), links),
    );
    mailer
        .templates()
        .render(
            &email.template,
            &email.locale,
            &minijinja::Value::from(minijinja::value::Serde(&content)),
        )
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
