//! This visit, for segments: the device (the `start` message's, else the connection's User-Agent) and the traffic
//! source the embed passed (`referrer`, `utm`); and the segments a shopper starting a finder belongs to, decided
//! from their stored records and this visit (docs/segments.md).

use super::*;
use crate::segments::{Device, Facts, Segments, Source};
use crate::server::protocol::UtmIn;

/// Longest referrer taken.
const MAX_REFERRER: usize = 2048;
/// Longest UTM value taken.
const MAX_UTM: usize = 128;

pub(super) struct Visit {
    device: Option<Device>,
    source: Source,
}

impl Visit {
    /// The visit a `start` message describes; a device that is none of the three, or an overlong value, is
    /// refused (the caller answers `bad_message` with the reason, which names the field).
    pub(super) fn read(
        agent: Option<Device>,
        device: Option<String>,
        referrer: Option<String>,
        utm: Option<UtmIn>,
    ) -> Result<Visit, String> {
        let device = match device {
            None => agent,
            Some(name) => Some(Device::parse(&name).ok_or_else(|| {
                format!(
                    "`device` is `{name}`; send one of {} or leave it out",
                    Device::NAMES.join(", ")
                )
            })?),
        };
        if referrer
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_REFERRER)
        {
            return Err(format!(
                "`referrer` is over {MAX_REFERRER} characters; send the page's URL"
            ));
        }
        let utm = utm.unwrap_or_default();
        for (name, value) in [
            ("utm.source", &utm.source),
            ("utm.medium", &utm.medium),
            ("utm.campaign", &utm.campaign),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > MAX_UTM) {
                return Err(format!(
                    "`{name}` is over {MAX_UTM} characters; send it shorter"
                ));
            }
        }
        let keep = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        Ok(Visit {
            device,
            source: Source {
                referrer: keep(referrer),
                utm_source: keep(utm.source),
                utm_medium: keep(utm.medium),
                utm_campaign: keep(utm.campaign),
            },
        })
    }

    /// The segments the shopper of `session` belongs to as they start it, in the file's order. Nothing is read
    /// when no segment is defined; a store that cannot be read counts as nothing known (logged).
    pub(super) async fn segments(
        &self,
        state: &AppState,
        segments: &Arc<Segments>,
        session: &Session,
    ) -> Vec<String> {
        if segments.list.is_empty() {
            return Vec::new();
        }
        let now = state.0.settings.clock.now();
        let store = state.0.store.clone();
        let owner = store::owner(session).to_string();
        let read = tokio::task::spawn_blocking(move || store.facts(&owner)).await;
        let mut facts = match read {
            Ok(Ok(facts)) => facts,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "reading a shopper's records for segments failed");
                Facts::default()
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading a shopper's records for segments failed");
                Facts::default()
            }
        };
        // This start is activity of its own: it is this visit.
        facts.seen.push(now);
        facts.device = self.device;
        facts.source = self.source.clone();
        segments.members_of(&facts, now)
    }
}
