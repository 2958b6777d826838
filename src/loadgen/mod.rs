//! The load generator behind `shopkeep bench`: scripted conversations over real WebSockets, measured against a
//! bare WebSocket echo baseline *B* in the same run, plus durable acknowledgements and idle memory.
//!
//! - [`script`]: the finder walk every connection repeats, and its calibration against the server under test.
//! - [`client`]: N concurrent closed-loop connections with client-side `hdrhistogram` latencies.
//! - [`durability`]: group-committed durable acks against bare `fdatasync` on the same disk.
//! - [`idle`]: server memory per idle conversation, with the server in a child process.
//! - [`catalog_load`]: a synthetic catalog of any size served in-process, the final turn against it, and turns
//!   while that catalog is reindexed again and again.
//! - `server_under_test`: the in-process server (its limits, mailer and catalog) and listening on loopback.
//! - [`report`]: the ready-to-paste markdown tables and the SVG plot of p99 latency against concurrency.
//!
//! Bounded everywhere: each measurement has a duration and a turn cap, every connect and frame a timeout, and
//! only loopback addresses are accepted. The server under test is either one already running (`--url`) or one
//! started in-process on `127.0.0.1:0` with the shipped flows and catalog and a temporary data directory.

pub mod catalog_load;
pub mod client;
pub mod durability;
pub mod events_load;
pub mod idle;
pub mod large;
pub mod recs_load;
pub mod report;
pub mod script;
mod server_under_test;
pub mod store_growth;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::flow::Flows;
use crate::server;
pub use client::{Load, Outcome};
pub use script::Script;
pub(crate) use server_under_test::bench_limits;
use server_under_test::{InProcess, bind, load_error, product_ids};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(
        "`{0}` is not a loopback WebSocket URL; the load generator only drives ws://127.0.0.1:PORT/v1/chat"
    )]
    NotLoopback(String),
    #[error("cannot connect to `{url}`: {reason}; start the server or leave out --url")]
    Connect { url: String, reason: String },
    #[error(
        "calibration failed: {0}; check that the server serves the shipped running-shoes finder"
    )]
    Calibration(String),
    #[error("the server refused `{0}`")]
    Refused(String),
    #[error("the connection broke or timed out at `{0}`")]
    Broken(String),
    #[error(
        "cannot load the shipped {what}: {reason}; run from the repository root or pass --flows/--catalog"
    )]
    Load { what: &'static str, reason: String },
    #[error(
        "the open-files limit is {limit} but {needed} are needed; raise it (`ulimit -n 20000`) or pass fewer --idle"
    )]
    FdLimit { limit: u64, needed: u64 },
    #[error("bench: {0}")]
    Io(String),
    #[error("--products, --reindex and --events-rate need the in-process server; leave out --url")]
    InProcessOnly,
}

/// What `shopkeep bench` runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// A running server's chat URL; `None` starts one in-process.
    pub url: Option<String>,
    pub flows: PathBuf,
    pub catalog: PathBuf,
    /// Concurrent conversations for the headline figures.
    pub connections: usize,
    /// How often to repeat the headline measurement (median and min–max are reported).
    pub runs: usize,
    /// Concurrency levels for the latency plot; empty for none.
    pub sweep: Vec<usize>,
    /// Length of one measurement.
    pub duration: Duration,
    /// Turn cap of one measurement.
    pub max_turns: u64,
    /// Timeout for each connect and each frame.
    pub timeout: Duration,
    /// Also measure durable acks against fdatasync, with this many sessions.
    pub durability: Option<usize>,
    /// Also measure memory with this many idle conversations (needs `exe`).
    pub idle: Option<usize>,
    /// The `shopkeep` binary, to start as the idle-memory server.
    pub exe: PathBuf,
    /// Where temporary data directories go (the disk whose fdatasync is measured).
    pub scratch: PathBuf,
    /// Serve a synthetic catalog of this many products instead of `catalog` (in-process server only).
    pub products: Option<usize>,
    /// Also measure turns while the catalog is reindexed back to back (in-process server only).
    pub reindex: bool,
    /// Also measure turns with this round's features on — every walk records a consent and an email, a finished
    /// finder queues its picks email — while a shop's server posts this many events per second over HTTP
    /// (in-process only).
    pub events_rate: Option<u32>,
    /// The email templates and triggers of that measurement's server (sent to an in-memory transport).
    pub emails: PathBuf,
    /// Also index this many synthetic products with `shopkeep index --out` and measure `serve --index` over them in
    /// a child process (needs `exe`).
    pub large: Option<usize>,
}

/// Turns measured while shop events arrived over HTTP.
#[derive(Clone)]
pub struct EventsRun {
    pub pair: Pair,
    /// Emails the finished finders queued (the outbox's `queued` counter).
    pub emails: u64,
    pub posted: events_load::Posted,
}

/// The final turn against a catalog of a given size.
#[derive(Clone)]
pub struct CatalogRun {
    pub products: usize,
    /// Building the index the server started with.
    pub build_secs: f64,
    /// One conversation at a time, so a turn's latency is its own work plus the loopback hops.
    pub single: Pair,
}

/// One measurement of shopkeep and of the echo baseline at the same concurrency, back to back.
#[derive(Clone)]
pub struct Pair {
    pub shopkeep: Outcome,
    pub echo: Outcome,
}

/// Everything one `shopkeep bench` found.
pub struct Report {
    pub machine: String,
    pub target: String,
    pub duration: Duration,
    pub runs: Vec<Pair>,
    pub sweep: Vec<Pair>,
    pub durability: Option<durability::Durability>,
    pub idle: Option<idle::Idle>,
    pub catalog: Option<CatalogRun>,
    pub reindex: Option<catalog_load::Reindexing>,
    pub events: Option<EventsRun>,
    pub large: Option<large::Large>,
}

/// Checks that `url` is a `ws://` URL on a loopback address.
pub fn loopback_only(url: &str) -> Result<(), BenchError> {
    let host = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .map(|authority| {
            authority
                .rsplit_once(':')
                .map_or(authority, |(host, _)| host)
        });
    match host {
        Some("127.0.0.1" | "localhost" | "[::1]") => Ok(()),
        _ => Err(BenchError::NotLoopback(url.to_string())),
    }
}

/// Runs everything `options` asks for; `progress` hears a line before each measurement.
pub async fn run(options: &Options, progress: &mut dyn FnMut(&str)) -> Result<Report, BenchError> {
    let (flows, _) = Flows::load_dir(&options.flows).map_err(|e| load_error("flows", e))?;
    let scratch = tempfile::Builder::new()
        .prefix("shopkeep-bench-")
        .tempdir_in(&options.scratch)
        .map_err(|e| {
            BenchError::Io(format!(
                "cannot make a scratch directory in `{}`: {e}",
                options.scratch.display()
            ))
        })?;
    let flow = flows
        .get("running-shoes")
        .cloned()
        .ok_or_else(|| load_error("flows", "there is no running-shoes finder"))?;

    if options.url.is_some()
        && (options.products.is_some() || options.reindex || options.events_rate.is_some())
    {
        return Err(BenchError::InProcessOnly);
    }
    let (url, in_process) = match &options.url {
        Some(url) => {
            loopback_only(url)?;
            (url.clone(), None)
        }
        None => {
            let server = InProcess::start(
                &flows,
                &options.flows,
                &options.catalog,
                &scratch.path().join("server"),
                progress,
                None,
            )
            .await?;
            (server.url.clone(), Some(server))
        }
    };

    progress(&format!("calibrating the script against {url}"));
    let mut script = Script::running_shoes();
    script.calibrate(&url, options.timeout).await?;
    let script = Arc::new(script);

    let (stop_echo, echo_stopped) = tokio::sync::oneshot::channel::<()>();
    let echo_listener = bind().await?;
    let echo_url = format!(
        "ws://{}/v1/chat",
        echo_listener
            .local_addr()
            .map_err(|e| BenchError::Io(e.to_string()))?
    );
    let echo = tokio::spawn(server::echo::run(
        echo_listener,
        server::echo::Replies::new(script.reply_table()),
        bench_limits(),
        async move {
            let _ = echo_stopped.await;
        },
    ));

    // Echo baseline, then shopkeep, at the same load; with `reindexing`, shopkeep's catalog is reindexed back to
    // back meanwhile (and the reindexes finished and their mean time come back too).
    let pair_at = |url: &str,
                   connections: usize,
                   duration: Duration,
                   reindexing: Option<server::AppState>| {
        let (url, echo_url, script) = (url.to_string(), echo_url.clone(), script.clone());
        let load = Load {
            url,
            connections,
            duration,
            max_turns: options.max_turns,
            timeout: options.timeout,
        };
        async move {
            let echo = client::drive(
                &Load {
                    url: echo_url,
                    ..load.clone()
                },
                script.clone(),
            )
            .await?;
            let (shopkeep, reindexed) = match reindexing {
                Some(state) => {
                    let (outcome, reloads, secs) =
                        catalog_load::while_reindexing(&state, client::drive(&load, script))
                            .await?;
                    (outcome, Some((reloads, secs)))
                }
                None => (client::drive(&load, script).await?, None),
            };
            Ok::<_, BenchError>((Pair { shopkeep, echo }, reindexed))
        }
    };
    let pair = |connections: usize| {
        let measured = pair_at(&url, connections, options.duration, None);
        async move { measured.await.map(|(pair, _)| pair) }
    };
    let mut runs = Vec::new();
    for n in 0..options.runs {
        progress(&format!(
            "run {}/{}: {} conversations, echo baseline then shopkeep, {:?} each",
            n + 1,
            options.runs,
            options.connections,
            options.duration
        ));
        runs.push(pair(options.connections).await?);
    }
    let mut sweep = Vec::new();
    for &connections in &options.sweep {
        progress(&format!("sweep: {connections} conversations"));
        sweep.push(pair(connections).await?);
    }
    let events = match (options.events_rate, &in_process) {
        (Some(rate), Some(_)) => {
            // A server of its own, which sends email (to the in-memory transport): the headline figures above are
            // those of the default `serve`, without email.
            let server = InProcess::start(
                &flows,
                &options.flows,
                &options.catalog,
                &scratch.path().join("remembered"),
                progress,
                Some(&options.emails),
            )
            .await?;
            let mut remembered = Script::remembered();
            remembered.calibrate(&server.url, options.timeout).await?;
            let remembered = Arc::new(remembered);
            progress(&format!(
                "{} conversations that give consent and queue email while a shop posts {rate} events/s over HTTP",
                options.connections
            ));
            let products = Arc::new(product_ids(&options.catalog)?);
            let load = Load {
                url: server.url.clone(),
                connections: options.connections,
                duration: options.duration,
                max_turns: options.max_turns,
                timeout: options.timeout,
            };
            let echo = client::drive(
                &Load {
                    url: echo_url.clone(),
                    ..load.clone()
                },
                remembered.clone(),
            )
            .await?;
            let (shopkeep, posted) = events_load::beside(
                server.addr,
                rate,
                products,
                client::drive(&load, remembered),
            )
            .await?;
            let emails = server.emails_queued();
            server.stop().await;
            Some(EventsRun {
                pair: Pair {
                    shopkeep: shopkeep?,
                    echo,
                },
                posted,
                emails,
            })
        }
        _ => None,
    };
    // The synthetic catalog gets a server of its own, so the figures above keep the shipped catalog.
    let synthetic = match options.products {
        Some(products) => {
            progress(&format!(
                "writing a synthetic catalog of {products} products"
            ));
            let written = catalog_load::write_synthetic(&scratch.path().join("catalog"), products)?;
            let server = InProcess::start(
                &flows,
                &options.flows,
                &written.dir,
                &scratch.path().join("synthetic"),
                progress,
                None,
            )
            .await?;
            Some(server)
        }
        None => None,
    };
    let catalog = match &synthetic {
        Some(server) => {
            let products = server.state.0.live.catalog().len();
            progress(&format!(
                "final turns against {products} products, one conversation"
            ));
            Some(CatalogRun {
                products,
                build_secs: server.build_secs,
                single: pair_at(&server.url, 1, options.duration, None).await?.0,
            })
        }
        None => None,
    };
    let reindexed = synthetic.as_ref().or(in_process.as_ref());
    let reindex = match reindexed {
        Some(server) if options.reindex => {
            let products = server.state.0.live.catalog().len();
            // Long enough for several reindexes, however big the catalog.
            let duration = options
                .duration
                .max(Duration::from_secs_f64(server.build_secs * 3.0))
                .min(Duration::from_secs(120));
            progress(&format!(
                "reindexing {products} products back to back while {} conversations run, {duration:?}",
                options.connections
            ));
            let (Pair { shopkeep, echo }, reindexed) = pair_at(
                &server.url,
                options.connections,
                duration,
                Some(server.state.clone()),
            )
            .await?;
            let (reloads, reload_secs) = reindexed.unwrap_or_default();
            Some(catalog_load::Reindexing {
                products,
                reloads,
                reload_secs,
                echo,
                shopkeep,
            })
        }
        _ => None,
    };
    let _ = stop_echo.send(());
    let _ = echo.await;
    for server in [in_process, synthetic].into_iter().flatten() {
        server.stop().await;
    }

    let large = match options.large {
        Some(products) => {
            progress(&format!(
                "{products} products: shopkeep index --out, then serve --index with {} conversations",
                large::CONVERSATIONS
            ));
            Some(
                large::measure(
                    &options.exe,
                    &options.flows,
                    &scratch.path().join("large"),
                    products,
                    script.clone(),
                    options.duration,
                    options.timeout,
                )
                .await?,
            )
        }
        None => None,
    };
    let durability = match options.durability {
        Some(sessions) => {
            progress(&format!(
                "durability: bare fdatasync, then durable acks at 1 and {sessions} sessions"
            ));
            Some(
                durability::measure(
                    scratch.path(),
                    &flow,
                    sessions,
                    options.duration.min(Duration::from_secs(5)),
                )
                .await?,
            )
        }
        None => None,
    };
    let idle = match options.idle {
        Some(connections) => {
            progress(&format!(
                "idle memory: {connections} conversations against a child server"
            ));
            let paths = idle::ChildPaths {
                exe: &options.exe,
                flows: &options.flows,
                catalog: &options.catalog,
                data: &scratch.path().join("idle"),
                index: None,
                rules: None,
            };
            Some(idle::measure(paths, &script, connections, options.timeout).await?)
        }
        None => None,
    };
    Ok(Report {
        machine: report::machine(),
        target: if options.url.is_some() {
            url
        } else {
            "in-process server".to_string()
        },
        duration: options.duration,
        runs,
        sweep,
        durability,
        idle,
        catalog,
        reindex,
        events,
        large,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_driven() {
        for url in [
            "ws://127.0.0.1:8080/v1/chat",
            "ws://localhost:1/v1/chat",
            "ws://[::1]:9/v1/chat",
        ] {
            assert!(loopback_only(url).is_ok(), "{url}");
        }
        for url in [
            "ws://example.com/v1/chat",
            "wss://127.0.0.1:1/v1/chat",
            "ws://10.0.0.1:80/v1/chat",
            "http://127.0.0.1:1/",
        ] {
            assert!(loopback_only(url).is_err(), "{url}");
        }
    }
}
