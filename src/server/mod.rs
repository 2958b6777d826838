//! The HTTP and WebSocket server: the only module that knows axum.
//!
//! [`router`] builds the app (tests reuse it); [`run`] serves it on a listener the caller bound, so tests bind
//! `127.0.0.1:0`. Routes: `/v1/chat` (the chat WebSocket, see `docs/protocol.md`), `/v1/events` and
//! `/v1/visitors/…` (the API for a shop's server, `api/`), `/` (the demo shop, with `/demo.css`, `/demo.js` and
//! `/product.css` kept out of its pages so the strict Content-Security-Policy of [`headers`] holds), `/track.js`
//! (shop events), `/v1/access` (may this page's origin chat? see [`origin`]), `/widget.js`, `/catalog/images/*`,
//! `/p/{id}` (a demo product page), `/healthz`, `/metrics` (Prometheus, see [`metrics`]), `/admin/…` (the admin
//! token or, without one, this machine only). [`echo`] is the bare WebSocket echo server the load generator
//! measures against.
//!
//! Invariants: blocking work (tantivy searches, sled flushes) runs off the async runtime; no lock is held across
//! an `.await`; a shopper's answer is acknowledged only after the store made it durable.

mod admin;
mod api;
mod assets;
mod chat;
mod consent;
mod dashboard;
pub mod echo;
mod email;
mod finders;
mod headers;
mod insights;
pub mod limits;
mod listen;
pub mod metrics;
pub mod origin;
mod owners;
pub mod protocol;
pub mod reload;
mod segments;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::watch;

use limits::Connections;
pub use limits::Limits;
use reload::Live;

use crate::catalog::Catalog;
use crate::flow::Flows;
use crate::secret::TokenHash;
use crate::store::Store;
pub use metrics::Metrics;
pub use origin::AllowedOrigins;

/// Limits and settings of a running server; every limit has a safe default.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Origins allowed to open the chat WebSocket, besides the server's own and loopback pages.
    pub allowed_origins: AllowedOrigins,
    /// Limits of the chat WebSocket.
    pub limits: Limits,
    /// Sessions idle for longer are forgotten.
    pub session_ttl: Duration,
    /// Where the served finders come from; reloads read it again.
    pub flows_dir: PathBuf,
    pub catalog_dir: PathBuf,
    /// The merchant's recommendation rules (`recommend.yaml`); reloads read it again. `None`: no rules.
    pub rules_file: Option<PathBuf>,
    /// The merchant's segments (`segments.yaml`; a missing file holds none); reloads read it again. `None`: none.
    pub segments_file: Option<PathBuf>,
    /// Where reloads keep the catalog's index on disk (`DATA/index`); `None`: in memory.
    pub catalog_index: Option<crate::catalog::Shelf>,
    /// An index built elsewhere (`shopkeep index --out DIR`, `serve --index DIR`): served as it is, never rebuilt
    /// from feeds; a reload opens it again.
    pub prebuilt_index: Option<PathBuf>,
    /// Reload when a file in the flows or catalog folder changes.
    pub watch: bool,
    /// The bearer token of admin requests (`POST /admin/reload`), hashed; without one, only this machine may ask.
    pub admin_token: Option<TokenHash>,
    /// Keys of the shop's servers for the public API (`/v1/events`, `/v1/visitors/…`), hashed.
    pub api_keys: Vec<TokenHash>,
    /// The secret a shop signs customer ids with; without it, customer ids are refused.
    pub customer_secret: Option<String>,
    /// Answers, picks and shop events of shoppers who never consented are deleted once older than this.
    pub retention: Duration,
    /// Conversation analytics events are deleted once older than this (the insights keep their aggregates).
    pub events_retention: Duration,
    /// Answers older than this weigh less in recommendations: their picks come after what the shopper did since
    /// (bought or viewed together, recently viewed), before the popular products.
    pub answers_fresh: Duration,
    /// The time the background sweeps go by (tests set it).
    pub clock: crate::store::Clock,
    /// Templates, triggers and SMTP of follow-up email; `None`: no email is queued or sent.
    pub email: Option<Arc<crate::email::Mailer>>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            allowed_origins: AllowedOrigins::default(),
            limits: Limits::default(),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            flows_dir: PathBuf::from("flows"),
            catalog_dir: PathBuf::from("catalog"),
            rules_file: None,
            segments_file: None,
            catalog_index: None,
            prebuilt_index: None,
            watch: false,
            admin_token: None,
            api_keys: Vec::new(),
            customer_secret: None,
            retention: Duration::from_secs(30 * 24 * 3600),
            events_retention: Duration::from_secs(30 * 24 * 3600),
            answers_fresh: Duration::from_secs(90 * 24 * 3600),
            clock: crate::store::Clock::system(),
            email: None,
        }
    }
}

/// Everything a request needs.
pub struct App {
    /// The finders and catalog served now; reloads swap them.
    pub live: Live,
    pub store: Store,
    pub settings: Settings,
    /// Open chat connections per client address.
    pub connections: Arc<Connections>,
    pub metrics: Metrics,
    /// The rate of shop events over the API.
    pub events_rate: limits::EventRate,
    /// Co-occurrence and popularity of products, updated on every stored shop event. A std lock: held only for an
    /// update or a read of a few lists, never across an `.await`.
    pub recommend: std::sync::RwLock<crate::recommend::Model>,
    /// Funnels and answer analytics, kept current on every turn and shop event; a std lock held only for a few
    /// map updates or a read, never across an `.await`. Its changed buckets are stored every few seconds.
    pub insights: std::sync::Mutex<crate::insights::Insights>,
    shutdown: watch::Receiver<bool>,
    /// Every HTTP connection and chat conversation holds a token of it; a stop waits until they are all gone.
    drain: tokio_util::task::TaskTracker,
    /// Which connection owns each conversation (the newest resume).
    owners: Arc<owners::Owners>,
}

/// The router's state: a cheap handle on the [`App`].
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

/// Stops a running server: clients are told to reconnect (close 1001), the store is flushed.
pub struct Shutdown {
    signal: watch::Sender<bool>,
}

impl Shutdown {
    pub fn trigger(&self) {
        let _ = self.signal.send(true);
    }
}

impl App {
    /// The router state for these parts, and the handle that stops the server.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(
        flows: Flows,
        catalog: Catalog,
        store: Store,
        settings: Settings,
    ) -> (AppState, Shutdown) {
        let (signal, shutdown) = watch::channel(false);
        // The model is rebuilt from the stored events (a first start has none).
        let mut model = crate::recommend::Model::default();
        if let Err(error) = store.each_shop_event(&mut |event| model.observe(&event)) {
            tracing::error!(%error, "reading the shop events for recommendations failed");
        }
        if let Err(error) = rebuild_answers(&store, &mut model) {
            tracing::error!(%error, "reading the answers for recommendations failed");
        }
        let insights = insights::restore(&store);
        let metrics = Metrics::with_email(settings.email.as_ref().map(|m| &m.counters));
        (
            AppState(Arc::new(App {
                live: Live::new(flows, catalog),
                store,
                events_rate: limits::EventRate::new(&settings.limits),
                recommend: std::sync::RwLock::new(model),
                insights: std::sync::Mutex::new(insights),
                settings,
                connections: Arc::default(),
                metrics,
                shutdown,
                drain: tokio_util::task::TaskTracker::new(),
                owners: Arc::default(),
            })),
            Shutdown { signal },
        )
    }
}

/// Gives the model every shopper's answers per finder, as "answered like you" compares them.
fn rebuild_answers(
    store: &Store,
    model: &mut crate::recommend::Model,
) -> Result<(), crate::store::StoreError> {
    let mut by_shopper: std::collections::BTreeMap<(String, String), Vec<(String, String)>> =
        Default::default();
    store.each_answer(&mut |owner, answer| {
        by_shopper
            .entry((owner.to_string(), answer.flow.clone()))
            .or_default()
            .push((answer.question, answer.answer.key()));
    })?;
    for ((owner, flow), answers) in by_shopper {
        let signature = crate::recommend::alike::signature(
            answers.iter().map(|(q, a)| (q.as_str(), a.clone())),
        );
        model.answered(&owner, &flow, signature);
    }
    Ok(())
}

impl App {
    /// The finders served now.
    pub fn flows(&self) -> Arc<Flows> {
        self.live.flows()
    }

    /// The catalog served now (a cheap handle: a search keeps the catalog it started on).
    pub fn catalog(&self) -> Catalog {
        self.live.catalog()
    }
}

pub fn router(state: AppState) -> Router {
    // Pages and the widget go out gzipped to browsers that accept it; the chat upgrade is left alone.
    let assets = Router::new()
        .route("/", get(assets::demo_page))
        .route("/demo.css", get(assets::demo_css))
        .route("/demo.js", get(assets::demo_js))
        .route("/product.css", get(assets::product_css))
        .route("/widget.js", get(assets::widget_js))
        .route("/track.js", get(assets::track_js))
        .route("/catalog/images/{file}", get(assets::image))
        .route("/p/{id}", get(assets::product_page))
        .layer(tower_http::compression::CompressionLayer::new());
    Router::new()
        .route("/v1/chat", get(chat::upgrade))
        .route("/v1/access", get(origin::access))
        .merge(assets)
        .route("/healthz", get(assets::health))
        .route("/admin/reload", post(reload::admin_reload))
        .route("/metrics", get(render_metrics))
        .merge(api::routes(&state.0.settings.limits))
        .merge(admin::routes())
        .merge(email::routes())
        .merge(finders::routes())
        .merge(insights::routes())
        .merge(dashboard::routes())
        .merge(segments::routes())
        .route("/admin/finders.css", get(finders::stylesheet))
        .layer(axum::middleware::map_response(headers::secure))
        .with_state(state)
}

/// `/metrics`: the OpenMetrics text exposition, which Prometheus scrapes.
async fn render_metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.0.metrics.render(state.0.store.flush_count()),
    )
}

/// Serves `state` on `listener` until `shutdown` is triggered, then lets every open conversation finish its turn
/// (each gets its reply, then close 1001), flushes the store and returns (within 20 s at most).
pub async fn run(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let mut stopping = state.0.shutdown.clone();
    let sweeper = tokio::spawn(sweep(state.clone()));
    let mailing = email::start_worker(&state);
    let keeper = tokio::spawn(insights::keep(state.clone()));
    let watching = if state.0.settings.watch {
        match reload::watch(&state) {
            Ok(guard) => Some(guard),
            Err(error) => {
                tracing::warn!(%error, "cannot watch the flows and catalog folders; reload with POST /admin/reload");
                None
            }
        }
    } else {
        None
    };
    let served = listen::accept(
        listener,
        state.clone(),
        router(state.clone()),
        state.0.shutdown.clone(),
    );
    tokio::pin!(served);
    // Serve until stopped; from the stop on, allow 20 s for conversations to close before giving up on them.
    let finished = tokio::select! {
        () = &mut served => true,
        () = chat::stopped(&mut stopping) => tokio::time::timeout(Duration::from_secs(20), served).await.is_ok(),
    };
    // Wait for the background tasks to let go of the state: once `run` returns, the last store handle is the
    // caller's, so the data folder can be opened again at once (a restart in the same process, as tests do).
    sweeper.abort();
    let _ = sweeper.await;
    // The worker ends its round (a send under way is recorded) and stops.
    if let Some(mailing) = mailing {
        let _ = tokio::time::timeout(Duration::from_secs(10), mailing).await;
    }
    keeper.abort();
    let _ = keeper.await;
    insights::store_changed(&state);
    if let Some(watching) = watching {
        watching.stop().await;
    }
    // The last flush goes through the group-commit queue, behind any flush still waiting there, so once it is
    // answered no queued flush holds the database either.
    if let Err(error) = state.0.store.durable().await {
        tracing::error!(%error, "final flush failed");
    }
    if !finished {
        tracing::warn!("connections still open after 20 s; stopping anyway");
    }
    Ok(())
}

/// Every few minutes: forgets idle sessions, what shoppers who never consented left longer ago than the retention
/// period and old conversation analytics, and compacts the store when its files far outgrow what is live
/// (`store::Store::expire`).
async fn sweep(state: AppState) {
    // The first sweep one period after the start, not at it: a start is busy enough.
    let period = Duration::from_secs(300);
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        every.tick().await;
        let store = state.0.store.clone();
        let settings = &state.0.settings;
        let retention = crate::store::Retention {
            sessions: settings.session_ttl.as_secs(),
            unconsented: settings.retention.as_secs(),
            events: settings.events_retention.as_secs(),
        };
        let now = settings.clock.now();
        match tokio::task::spawn_blocking(move || store.expire(now, &retention)).await {
            Ok(Ok(expired)) if expired.any() => tracing::info!(
                sessions = expired.sessions,
                answers = expired.swept.answers,
                picks = expired.swept.picks,
                shop_events = expired.swept.events,
                event_batches = expired.event_batches,
                compacted = ?expired.compacted,
                "expired old records"
            ),
            Ok(Err(error)) => tracing::warn!(%error, "expiring old records failed"),
            Err(error) => tracing::warn!(%error, "expiring old records stopped"),
            _ => {}
        }
    }
}
