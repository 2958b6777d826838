//! The server under test when `shopkeep bench` starts its own: in-process on `127.0.0.1:0` with a temporary data
//! directory, the limits of a load from one address, and (for the features-on run) a mailer to an in-memory
//! transport.

use std::sync::Arc;

use tokio::net::TcpListener;

use super::BenchError;
use crate::catalog::Catalog;
use crate::flow::Flows;
use crate::server::{self, App, Limits, Settings};
use crate::store::Store;

/// The ids of the products in the catalog folder, for events about real products.
pub(super) fn product_ids(catalog: &std::path::Path) -> Result<Vec<String>, BenchError> {
    let files = crate::catalog::feed::files(catalog).map_err(|e| load_error("catalog", e))?;
    let mut ids = Vec::new();
    crate::catalog::feed::read_all(&files, &mut |product| ids.push(product.id))
        .map_err(|e| load_error("catalog", e))?;
    Ok(ids)
}

/// A shopkeep server started in-process on `127.0.0.1:0` with a temporary data directory.
pub(super) struct InProcess {
    pub(super) url: String,
    pub(super) addr: std::net::SocketAddr,
    pub(super) state: server::AppState,
    pub(super) shutdown: server::Shutdown,
    pub(super) served: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Building the catalog's index at start-up.
    pub(super) build_secs: f64,
}

impl InProcess {
    pub(super) async fn start(
        flows: &Flows,
        flows_dir: &std::path::Path,
        catalog_dir: &std::path::Path,
        data: &std::path::Path,
        progress: &mut dyn FnMut(&str),
        emails: Option<&std::path::Path>,
    ) -> Result<InProcess, BenchError> {
        progress(&format!(
            "indexing the catalog in {}",
            catalog_dir.display()
        ));
        let started = std::time::Instant::now();
        let (catalog, _) = Catalog::from_dir(catalog_dir).map_err(|e| load_error("catalog", e))?;
        let build_secs = started.elapsed().as_secs_f64();
        let store = Store::open(data)
            .map_err(|e| BenchError::Io(format!("opening the server's store: {e}")))?;
        let settings = Settings {
            flows_dir: flows_dir.to_path_buf(),
            catalog_dir: catalog_dir.to_path_buf(),
            // The load is one address sending as fast as it can: the abuse limits would stop it.
            limits: bench_limits(),
            api_keys: vec![crate::secret::TokenHash::new(super::events_load::API_KEY)],
            email: emails.map(mailer).transpose()?,
            ..Settings::default()
        };
        let (state, shutdown) = App::new(flows.clone(), catalog, store, settings);
        let listener = bind().await?;
        let addr = listener
            .local_addr()
            .map_err(|e| BenchError::Io(e.to_string()))?;
        let served = tokio::spawn(server::run(listener, state.clone()));
        Ok(InProcess {
            url: format!("ws://{addr}/v1/chat"),
            addr,
            state,
            shutdown,
            served,
            build_secs,
        })
    }

    /// Emails queued since the start.
    pub(super) fn emails_queued(&self) -> u64 {
        self.state
            .0
            .settings
            .email
            .as_ref()
            .map_or(0, |m| m.counters.queued.get())
    }

    pub(super) async fn stop(self) {
        self.shutdown.trigger();
        let _ = self.served.await;
    }
}

/// A mailer with the templates and triggers in `dir`, sending to the in-memory transport (what queueing costs a
/// turn is measured here; sending through SMTP is `cargo bench --bench email`).
fn mailer(dir: &std::path::Path) -> Result<Arc<crate::email::Mailer>, BenchError> {
    let loaded = crate::email::load_all(dir).map_err(|e| load_error("emails", e))?;
    let from = "Shop <shop@example.com>"
        .parse()
        .map_err(|e| load_error("emails", e))?;
    Ok(Arc::new(crate::email::Mailer::new(
        loaded,
        Arc::new(crate::email::transport::Memory::default()),
        from,
        crate::email::Shop {
            name: "Bench shop".into(),
            url: "http://127.0.0.1".into(),
        },
        1000,
    )))
}

pub(super) fn load_error(what: &'static str, reason: impl std::fmt::Display) -> BenchError {
    BenchError::Load {
        what,
        reason: reason.to_string(),
    }
}

pub(super) async fn bind() -> Result<TcpListener, BenchError> {
    TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| BenchError::Io(format!("cannot listen on 127.0.0.1:0: {e}")))
}

/// The chat's limits for a load test from one address: no message rate or per-address connection cap, the rest
/// (buffers, message size) as served.
pub(crate) fn bench_limits() -> Limits {
    Limits {
        messages_per_second: 0,
        connections_per_ip: 0,
        // Connections are opened a hundred at a time from one address: the slowloris cap would refuse them.
        pending_per_ip: 0,
        ..Limits::default()
    }
}
