//! A server over a large catalog, deployed the way BENCHMARKS.md recommends: the synthetic catalog written as a
//! feed, indexed once by `shopkeep index --out DIR` (a child process, timed), then `shopkeep serve --index DIR`
//! started as a child process: the time until it serves, its resident memory at start and after the load, and the
//! turn latencies of a few conversations walking the finder through its socket.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::process::Command;

use super::client::{self, Load, Outcome};
use super::idle::{ChildPaths, spawn_server, status_kib};
use super::script::Script;
use super::{BenchError, catalog_load};

/// Conversations driven against the large server (the target is stated for 10).
pub const CONVERSATIONS: usize = 10;

/// Indexing a large catalog may take minutes on a busy 2-core machine; past this the bench gives up.
const INDEX_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What the large-catalog server did.
#[derive(Clone)]
pub struct Large {
    pub products: usize,
    /// `shopkeep index --out`, wall clock.
    pub index_secs: f64,
    /// From starting `serve --index` to its "serving" line.
    pub start_secs: f64,
    pub rss_start_kib: u64,
    pub rss_after_kib: u64,
    /// Peak resident memory of the server over the whole measurement.
    pub hwm_kib: u64,
    pub outcome: Outcome,
}

/// Writes `products` synthetic products into `scratch`, indexes them with `exe index --out`, serves the index with
/// `exe serve --index` and drives [`CONVERSATIONS`] conversations for `duration`.
pub async fn measure(
    exe: &Path,
    flows: &Path,
    scratch: &Path,
    products: usize,
    script: Arc<Script>,
    duration: Duration,
    timeout: Duration,
) -> Result<Large, BenchError> {
    let written = catalog_load::write_synthetic(&scratch.join("catalog"), products)?;
    let index = scratch.join("index");
    let started = Instant::now();
    let mut indexing = Command::new(exe)
        .arg("index")
        .arg(&written.dir)
        .arg("--out")
        .arg(&index)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| BenchError::Io(format!("cannot start `{} index`: {e}", exe.display())))?;
    let status = tokio::time::timeout(INDEX_TIMEOUT, indexing.wait())
        .await
        .map_err(|_| BenchError::Io(format!("`shopkeep index` took over {INDEX_TIMEOUT:?}")))?
        .map_err(|e| BenchError::Io(format!("waiting for `shopkeep index`: {e}")))?;
    if !status.success() {
        return Err(BenchError::Io(format!(
            "`shopkeep index {} --out {}` failed ({status})",
            written.dir.display(),
            index.display()
        )));
    }
    let index_secs = started.elapsed().as_secs_f64();

    // The shop's own rules name the shipped catalog's products, which the synthetic one has not: none here.
    let rules = scratch.join("recommend.yaml");
    std::fs::write(
        &rules,
        "# no merchant rules for the synthetic catalog\nexclude: []\n",
    )
    .map_err(|e| BenchError::Io(format!("cannot write `{}`: {e}", rules.display())))?;
    let paths = ChildPaths {
        exe,
        flows,
        catalog: &written.dir,
        data: &scratch.join("data"),
        index: Some(&index),
        rules: Some(&rules),
    };
    let started = Instant::now();
    let (mut child, url) = spawn_server(&paths, timeout).await?;
    let start_secs = started.elapsed().as_secs_f64();
    let pid = child
        .id()
        .ok_or_else(|| BenchError::Io("the large server exited at once".into()))?;
    let measured = async {
        let rss_start_kib = status_kib(pid, "VmRSS")?;
        let load = Load {
            url,
            connections: CONVERSATIONS,
            duration,
            max_turns: u64::MAX,
            timeout,
        };
        let outcome = client::drive(&load, script).await?;
        Ok(Large {
            products,
            index_secs,
            start_secs,
            rss_start_kib,
            rss_after_kib: status_kib(pid, "VmRSS")?,
            hwm_kib: status_kib(pid, "VmHWM")?,
            outcome,
        })
    }
    .await;
    let _ = child.kill().await;
    measured
}
