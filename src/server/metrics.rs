//! Server-side metrics, rendered for Prometheus at `/metrics` (OpenMetrics text).
//!
//! One [`Metrics`] per [`super::App`], in its own `prometheus_client` registry: no process-wide recorder, so two
//! servers in one process (the tests, the load generator's in-process server) never mix their figures.
//!
//! Series: `shopkeep_turns_total{type}` (client messages by type), `shopkeep_turn_duration_seconds` (from a frame
//! received to its last reply sent), `shopkeep_open_conversations`, `shopkeep_matches_total`,
//! `shopkeep_match_duration_seconds` (one catalog match, off the runtime) and `shopkeep_errors_total{code}` (error
//! replies by code).
//!
//! The hot path is cheap: the counters for every known message type and error code are created once, up front,
//! so counting a turn is one atomic add; a histogram observation is one uncontended lock and a bucket search.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = [(&'static str, &'static str); 1];

/// Message types counted under their own name (the protocol's); anything else counts as `other`, last.
fn types() -> impl Iterator<Item = &'static str> {
    super::protocol::MESSAGE_TYPES
        .iter()
        .copied()
        .chain(["other"])
}

/// Error codes of `docs/protocol.md`; an unlisted code still counts, through the family's slower path.
const CODES: &[&str] = &[
    "bad_message",
    "unknown_type",
    "unknown_flow",
    "no_session",
    "bad_resume",
    "not_allowed",
    "unsupported_version",
    "internal",
];

/// The server's counters, gauges and histograms, and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    turns: Vec<Counter>,
    errors_family: Family<Labels, Counter>,
    errors: Vec<Counter>,
    turn_seconds: Histogram,
    open: Gauge,
    matches: Counter,
    match_seconds: Histogram,
    flushes: Counter,
    /// Held while `flushes` catches up with the store's count, so two renders at once add the difference once.
    flushes_sync: std::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::with_email(None)
    }

    /// The server's metrics, with the outbox's counters when it sends email: `shopkeep_emails_queued_total`,
    /// `…_sent_total`, `…_retried_total`, `…_failed_total`, `…_suppressed_total`, `…_cancelled_total`.
    pub fn with_email(email: Option<&crate::email::Counters>) -> Metrics {
        let mut registry = Registry::default();
        if let Some(counters) = email {
            for (outcome, counter) in [
                ("queued", &counters.queued),
                ("sent", &counters.sent),
                ("retried", &counters.retried),
                ("failed", &counters.failed),
                ("suppressed", &counters.suppressed),
                ("cancelled", &counters.cancelled),
            ] {
                // A clone shares the outbox's atomic: the worker counts, the registry renders.
                registry.register(
                    format!("shopkeep_emails_{outcome}"),
                    format!("Emails {outcome} by the outbox"),
                    counter.clone(),
                );
            }
        }
        let turns_family = Family::<Labels, Counter>::default();
        let turns = types()
            .map(|kind| turns_family.get_or_create(&[("type", kind)]).clone())
            .collect();
        registry.register(
            "shopkeep_turns",
            "Client messages received, by type",
            turns_family,
        );
        let errors_family = Family::<Labels, Counter>::default();
        let errors = CODES
            .iter()
            .map(|code| errors_family.get_or_create(&[("code", code)]).clone())
            .collect();
        registry.register(
            "shopkeep_errors",
            "Error replies sent, by code",
            errors_family.clone(),
        );
        // 100 µs .. 3.3 s, doubling.
        let turn_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "shopkeep_turn_duration_seconds",
            "Server-side turn latency: from a client frame received to its last reply sent",
            turn_seconds.clone(),
        );
        let open = Gauge::default();
        registry.register(
            "shopkeep_open_conversations",
            "Chat WebSocket connections open now",
            open.clone(),
        );
        let matches = Counter::default();
        registry.register(
            "shopkeep_matches",
            "Catalog matches run for finders' results",
            matches.clone(),
        );
        let match_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "shopkeep_match_duration_seconds",
            "Latency of one catalog match",
            match_seconds.clone(),
        );
        let flushes = Counter::default();
        registry.register(
            "shopkeep_store_flushes",
            "Group commits of the store (each makes every write before it durable)",
            flushes.clone(),
        );
        Metrics {
            registry,
            turns,
            errors_family,
            errors,
            turn_seconds,
            open,
            matches,
            match_seconds,
            flushes,
            flushes_sync: Default::default(),
        }
    }

    /// Counts one client message of type `kind` (as the client wrote it; unknown types count as `other`).
    pub fn turn(&self, kind: &str) {
        let known = super::protocol::MESSAGE_TYPES;
        let at = known.iter().position(|t| *t == kind).unwrap_or(known.len());
        if let Some(counter) = self.turns.get(at) {
            counter.inc();
        }
    }

    /// Records how long a turn took, from its frame received to its last reply sent.
    pub fn turn_took(&self, took: Duration) {
        self.turn_seconds.observe(took.as_secs_f64());
    }

    /// Counts one `error` reply.
    pub fn error(&self, code: &'static str) {
        match CODES.iter().position(|c| *c == code) {
            Some(at) => {
                if let Some(counter) = self.errors.get(at) {
                    counter.inc();
                }
            }
            None => {
                self.errors_family.get_or_create(&[("code", code)]).inc();
            }
        }
    }

    /// Counts one catalog match and its latency.
    pub fn matched(&self, took: Duration) {
        self.matches.inc();
        self.match_seconds.observe(took.as_secs_f64());
    }

    /// Marks a conversation open until the guard drops.
    pub fn open_conversation(&self) -> OpenGuard {
        self.open.inc();
        OpenGuard(self.open.clone())
    }

    /// The OpenMetrics text exposition of every series.
    /// `flushes` is the store's count of group commits so far.
    pub fn render(&self, flushes: u64) -> String {
        {
            let _sync = self.flushes_sync.lock().unwrap_or_else(|p| p.into_inner());
            self.flushes
                .inc_by(flushes.saturating_sub(self.flushes.get()));
        }
        let mut out = String::with_capacity(4096);
        // Writing into a String cannot fail; an error here would be a bug in the encoder, so say so in the output.
        if let Err(error) = encode(&mut out, &self.registry) {
            out = format!("# metrics could not be rendered: {error}\n");
        }
        out
    }
}

/// Keeps `shopkeep_open_conversations` raised while a connection lives.
pub struct OpenGuard(Gauge);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_in_the_exposition() {
        let metrics = Metrics::new();
        metrics.turn("answer");
        metrics.turn("answer");
        metrics.turn("nonsense");
        metrics.error("no_session");
        metrics.error("made_up_code");
        metrics.matched(Duration::from_millis(2));
        metrics.turn_took(Duration::from_micros(300));
        let guard = metrics.open_conversation();
        let text = metrics.render(7);
        assert!(text.contains("shopkeep_store_flushes_total 7"), "{text}");
        assert!(
            text.contains(r#"shopkeep_turns_total{type="answer"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"shopkeep_turns_total{type="other"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"shopkeep_errors_total{code="no_session"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"shopkeep_errors_total{code="made_up_code"} 1"#),
            "{text}"
        );
        assert!(text.contains("shopkeep_matches_total 1"), "{text}");
        assert!(
            text.contains("shopkeep_turn_duration_seconds_count 1"),
            "{text}"
        );
        assert!(text.contains("shopkeep_open_conversations 1"), "{text}");
        drop(guard);
        assert!(metrics.render(0).contains("shopkeep_open_conversations 0"));
    }
}
