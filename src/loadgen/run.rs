//! [`run`]: every measurement the options ask for, one after another: the headline runs and the sweep against
//! the echo baseline, then the features-on run, the synthetic catalog and its reindexing, the 1 M-product child,
//! durable acks and idle memory.

use std::sync::Arc;
use std::time::Duration;

use super::server_under_test::{InProcess, bind, load_error, product_ids};
use super::*;
use crate::flow::Flows;
use crate::server;

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
