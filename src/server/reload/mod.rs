//! Reloading finders and the catalog while serving, without disturbing a conversation.
//!
//! [`Live`] holds what is served now behind locks that are only ever held to clone an `Arc` (never across an
//! `.await`). A reload builds the new flows or catalog off to the side, checks them together (a finder with errors,
//! or one that maps to a field the new catalog lacks, is refused and the old ones keep serving), then swaps. A
//! search that started before a swap finishes on the catalog it started with, so no search fails during one.
//!
//! A conversation stays on the finder version it started with: every version served since the server started is
//! kept (the last [`KEPT_VERSIONS`]) and a resumed session gets its own version back.
//!
//! Reloads happen on `POST /admin/reload` and, with `Settings::watch`, when a file in the flows or catalog folder
//! changes (after a quiet moment, so an editor's save is one reload). A reload of the flows also reads the email
//! templates and triggers again (`--emails`), refused as a whole when they have a problem.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::catalog::Catalog;
use crate::flow::{Arm, Flow, Flows};
use crate::recommend::Rules;
use crate::segments::Segments;
use crate::setup::{self, SetupError};

/// Older finder versions kept for the conversations that started on them.
pub const KEPT_VERSIONS: usize = 64;

/// What is served now.
pub struct Live {
    flows: RwLock<Arc<Flows>>,
    catalog: RwLock<Catalog>,
    /// The merchant's recommendation rules (`recommend.yaml`), checked against the flows and catalog above.
    rules: RwLock<Arc<Rules>>,
    /// The merchant's segments (`segments.yaml`), checked against the flows above.
    segments: RwLock<Arc<Segments>>,
    versions: Mutex<Versions>,
    /// One reload at a time: two saves in a row must not race each other's swap.
    reloading: Mutex<()>,
}

#[derive(Default)]
struct Versions {
    by_key: HashMap<(String, String), Arc<Flow>>,
    order: VecDeque<(String, String)>,
}

impl Versions {
    fn keep(&mut self, flows: &Flows) {
        for flow in flows.all_arms() {
            let key = (flow.id.clone(), flow.version.clone());
            if self.by_key.insert(key.clone(), flow).is_none() {
                self.order.push_back(key);
            }
        }
        while self.order.len() > KEPT_VERSIONS {
            if let Some(oldest) = self.order.pop_front() {
                self.by_key.remove(&oldest);
            }
        }
    }
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

fn write<T>(lock: &RwLock<T>, value: T) {
    *lock
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = value;
}

impl Live {
    pub fn new(flows: Flows, catalog: Catalog) -> Live {
        let mut versions = Versions::default();
        versions.keep(&flows);
        Live {
            flows: RwLock::new(Arc::new(flows)),
            catalog: RwLock::new(catalog),
            rules: RwLock::default(),
            segments: RwLock::default(),
            versions: Mutex::new(versions),
            reloading: Mutex::new(()),
        }
    }

    pub fn flows(&self) -> Arc<Flows> {
        read(&self.flows)
    }

    pub fn catalog(&self) -> Catalog {
        read(&self.catalog)
    }

    pub fn rules(&self) -> Arc<Rules> {
        read(&self.rules)
    }

    /// Serves `rules` from now on (checked by [`setup::load_rules`] against the flows and catalog served).
    pub fn set_rules(&self, rules: Rules) {
        write(&self.rules, Arc::new(rules));
    }

    pub fn segments(&self) -> Arc<Segments> {
        read(&self.segments)
    }

    /// Serves `segments` from now on (checked by [`setup::load_segments`] against the flows served).
    pub fn set_segments(&self, segments: Segments) {
        write(&self.segments, Arc::new(segments));
    }

    /// The finder `id` at `version` if it is still kept, else its current version on `arm` (a conversation keeps
    /// the arm of the experiment it started on).
    pub fn flow_at(&self, id: &str, version: &str, arm: Option<Arm>) -> Option<Arc<Flow>> {
        let kept = self
            .versions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .by_key
            .get(&(id.to_string(), version.to_string()))
            .cloned();
        kept.or_else(|| {
            self.flows()
                .get(id)
                .map(|flow| flow.on_arm(arm.unwrap_or(Arm::Control)))
        })
    }
}

/// Which folder changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Flows,
    Catalog,
    Both,
}

/// What a reload now serves.
#[derive(Debug, serde::Serialize)]
pub struct Reloaded {
    pub flows: usize,
    pub products: usize,
    /// Flow warnings and skipped feed rows.
    pub notes: Vec<String>,
}

/// Reloads `part` from the server's folders and swaps it in; on any problem the old parts keep serving. Blocking:
/// run it off the async runtime.
pub fn reload(state: &AppState, part: Part) -> Result<Reloaded, SetupError> {
    let app = &state.0;
    let _one_at_a_time = app
        .live
        .reloading
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let settings = &app.settings;
    let mut notes = Vec::new();
    let flows = match part {
        Part::Catalog => None,
        Part::Flows | Part::Both => {
            let (flows, warnings) = setup::load_flows(&settings.flows_dir)?;
            notes.extend(warnings.iter().map(ToString::to_string));
            Some(flows)
        }
    };
    let catalog = match part {
        Part::Flows => None,
        Part::Catalog | Part::Both => {
            let (catalog, reports) = match &settings.prebuilt_index {
                Some(folder) => (Catalog::open_dir(folder)?, Vec::new()),
                None => {
                    setup::load_catalog(&settings.catalog_dir, settings.catalog_index.as_ref())?
                }
            };
            notes.extend(
                reports
                    .iter()
                    .filter(|r| !r.skipped.is_empty())
                    .map(ToString::to_string),
            );
            Some(catalog)
        }
    };
    let live = &app.live;
    let checked_flows = flows
        .as_ref()
        .map_or_else(|| live.flows(), |f| Arc::new(f.clone()));
    let checked_catalog = catalog.clone().unwrap_or_else(|| live.catalog());
    setup::check(&checked_flows, &checked_catalog, &settings.catalog_dir)?;
    // The rules name products, categories and answers: checked again against what is about to be served.
    let rules = match &settings.rules_file {
        Some(file) => Some(setup::load_rules(file, &checked_flows, &checked_catalog)?),
        None => None,
    };
    // The emails folder (templates and triggers) is read again with the flows; a problem refuses the reload and
    // the templates served until now keep serving.
    let emails = match (&settings.email, part) {
        (Some(mailer), Part::Flows | Part::Both) => match &mailer.folder {
            Some(folder) => {
                Some(
                    crate::email::load_all(folder).map_err(|problems| SetupError::Emails {
                        dir: folder.clone(),
                        problems,
                    })?,
                )
            }
            None => None,
        },
        _ => None,
    };
    // So are the segments, and the finders' conditions on them.
    let segments = match &settings.segments_file {
        Some(file) => {
            let segments = setup::load_segments(file, &checked_flows)?;
            if let Some(mailer) = &settings.email {
                let names = segments.names();
                let served = mailer.triggers();
                let triggers = emails.as_ref().map_or(&*served, |(_, triggers)| triggers);
                let problems = triggers.check_segments(&names, &file.display().to_string());
                if !problems.is_empty() {
                    return Err(SetupError::Segments {
                        file: file.clone(),
                        problems,
                    });
                }
            }
            Some(segments)
        }
        None => None,
    };
    if let Some(rules) = rules {
        live.set_rules(rules);
    }
    if let (Some(mailer), Some(emails)) = (&settings.email, emails) {
        mailer.set_emails(emails);
    }
    if let Some(segments) = segments {
        live.set_segments(segments);
        if let Some(mailer) = &settings.email {
            mailer.set_segments(live.segments());
        }
    }
    if let Some(catalog) = catalog {
        write(&live.catalog, catalog);
    }
    if flows.is_some() {
        live.versions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .keep(&checked_flows);
        write(&live.flows, Arc::clone(&checked_flows));
    }
    Ok(Reloaded {
        flows: checked_flows.len(),
        products: checked_catalog.len(),
        notes,
    })
}

/// Runs [`reload`] on a thread of its own at a low scheduling priority (the index builder's threads inherit it),
/// so that reindexing a big catalog takes the CPU the conversations leave rather than the other way round.
async fn reload_off_runtime(state: &AppState, part: Part) -> Result<Reloaded, SetupError> {
    let state = state.clone();
    let (done, outcome) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("shopkeep-reload".into())
        .spawn(move || {
            lower_this_threads_priority();
            let _ = done.send(reload(&state, part));
        });
    if let Err(error) = spawned {
        return Err(SetupError::Interrupted(error.to_string()));
    }
    match outcome.await {
        Ok(outcome) => outcome,
        Err(_) => Err(SetupError::Interrupted("the reload thread stopped".into())),
    }
}

/// The nice value background work runs at: the conversations' threads (nice 0) get about ten times its share of a
/// busy CPU.
const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`BACKGROUND_NICE`], for good: call it only on a thread made
/// for background work. On Linux a nice value belongs to one thread, and threads it starts inherit it; elsewhere
/// this does nothing. Failing to lower it is harmless, so the error is only logged.
pub fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    if let Err(error) =
        rustix::process::setpriority_process(Some(rustix::thread::gettid()), BACKGROUND_NICE)
    {
        tracing::debug!(%error, "cannot lower the reload thread's priority");
    }
}

/// `POST /admin/reload`: reloads flows and catalog now. Allowed with `Authorization: Bearer <admin token>`, or
/// from this machine when no token is set.
pub(super) async fn admin_reload(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = super::admin::allowed(&state, peer, &headers) {
        return refused.into_response();
    }
    match reload_off_runtime(&state, Part::Both).await {
        Ok(reloaded) => {
            tracing::info!(
                flows = reloaded.flows,
                products = reloaded.products,
                "reloaded"
            );
            (StatusCode::OK, Json(reloaded)).into_response()
        }
        Err(error) => {
            tracing::warn!(%error, "reload refused; still serving the previous flows and catalog");
            let body = serde_json::json!({
                "error": "the reload was refused; the previous flows and catalog are still served",
                "problems": error.lines(),
            });
            (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
        }
    }
}

mod watch;
pub use watch::{Watching, watch};
