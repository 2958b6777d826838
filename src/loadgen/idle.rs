//! Memory per idle conversation: many connections that each sent `start` and then wait.
//!
//! The server runs as a child process (`shopkeep serve --addr 127.0.0.1:0` with the shipped flows and catalog and
//! a temporary data directory), so its resident set (`VmRSS` in `/proc/<pid>/status`) holds no client memory and
//! no file descriptors are shared: 10 000 connections need 10 000 descriptors on each side, and the two together
//! would pass the usual 20 000 hard limit in one process. The soft `RLIMIT_NOFILE` is raised to the hard limit
//! first (the child inherits it).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::BenchError;
use super::client::{Socket, connect};
use super::script::Script;

/// What the idle-memory measurement found.
#[derive(Clone, Debug)]
pub struct Idle {
    pub connections: usize,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
}

impl Idle {
    pub fn kib_per_connection(&self) -> f64 {
        self.rss_after_kib.saturating_sub(self.rss_before_kib) as f64
            / self.connections.max(1) as f64
    }
}

/// Where the child server finds its files.
pub struct ChildPaths<'a> {
    pub exe: &'a Path,
    pub flows: &'a Path,
    pub catalog: &'a Path,
    pub data: &'a Path,
    /// Serve this prebuilt index (`serve --index`) instead of importing the catalog's feeds.
    pub index: Option<&'a Path>,
    /// The merchant's recommendation rules (`serve --rules`); by default those beside the flows folder.
    pub rules: Option<&'a Path>,
}

/// Raises the soft open-files limit to the hard limit; fails when even that cannot hold `needed` descriptors.
pub fn raise_fd_limit(needed: u64) -> Result<u64, BenchError> {
    let limit = rlimit::increase_nofile_limit(u64::MAX)
        .map_err(|e| BenchError::Io(format!("cannot raise the open-files limit: {e}")))?;
    if limit < needed {
        return Err(BenchError::FdLimit { limit, needed });
    }
    Ok(limit)
}

/// Opens `connections` idle conversations against a child server and measures its memory before and after.
pub async fn measure(
    paths: ChildPaths<'_>,
    script: &Script,
    connections: usize,
    timeout: Duration,
) -> Result<Idle, BenchError> {
    raise_fd_limit(connections as u64 + 256)?;
    let (mut child, url) = spawn_server(&paths, timeout).await?;
    let pid = child
        .id()
        .ok_or_else(|| BenchError::Io("the child server exited at once".into()))?;
    let outcome = async {
        // Warm up: load every lazy piece (flows, catalog readers, allocator arenas) before the first reading.
        let mut warm = open_many(&url, script, 8, timeout).await?;
        warm.clear();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_before_kib = rss_kib(pid)?;
        let open = open_many(&url, script, connections, timeout).await?;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let rss_after_kib = rss_kib(pid)?;
        drop(open);
        Ok(Idle {
            connections,
            rss_before_kib,
            rss_after_kib,
        })
    }
    .await;
    let _ = child.kill().await;
    outcome
}

/// Starts `shopkeep serve` on `127.0.0.1:0` as a child; returns it once it says where it listens, with its chat URL.
pub(super) async fn spawn_server(
    paths: &ChildPaths<'_>,
    timeout: Duration,
) -> Result<(Child, String), BenchError> {
    let arg = |p: &Path| PathBuf::from(p).into_os_string();
    let mut child = Command::new(paths.exe)
        .arg("serve")
        .args([
            "--addr",
            "127.0.0.1:0",
            "--connections-per-ip",
            "0",
            // The idle conversations are opened a hundred at a time from one address: the cap on unfinished
            // handshakes (slowloris) would refuse them.
            "--pending-per-ip",
            "0",
            // One address sends as fast as it can: the abuse limits would stop it.
            "--messages-per-second",
            "0",
            "--no-watch",
        ])
        .arg("--flows")
        .arg(arg(paths.flows))
        .arg("--catalog")
        .arg(arg(paths.catalog))
        .arg("--data")
        .arg(arg(paths.data))
        .args(
            paths
                .index
                .map(|index| ["--index".into(), arg(index)])
                .into_iter()
                .flatten(),
        )
        .args(
            paths
                .rules
                .map(|rules| ["--rules".into(), arg(rules)])
                .into_iter()
                .flatten(),
        )
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            BenchError::Io(format!("cannot start `{} serve`: {e}", paths.exe.display()))
        })?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| BenchError::Io("the child server has no stdout".into()))?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| BenchError::Io("the child server has no stderr".into()))?;
    // Its log, kept (bounded) so a server that stops at start can say why; read on so it never blocks on a pipe.
    let (said, mut log) = tokio::sync::mpsc::channel::<String>(64);
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = said.try_send(line);
        }
    });
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(timeout.max(Duration::from_secs(30)), lines.next_line())
        .await
        .map_err(|_| {
            BenchError::Io("the child server did not say where it listens in time".into())
        })?
        .map_err(|e| BenchError::Io(format!("reading the child server's output: {e}")))?
        .unwrap_or_default();
    let addr = line
        .split_once("http://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(addr, _)| addr.to_string());
    let Some(addr) = addr else {
        let _ = child.wait().await;
        let mut said = Vec::new();
        while let Ok(line) = log.try_recv() {
            said.push(line);
        }
        return Err(BenchError::Io(format!(
            "the child server said `{line}`, not its address; its log:\n{}",
            said.join("\n")
        )));
    };
    // Keep reading its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, format!("ws://{addr}/v1/chat")))
}

/// Opens `n` connections, 100 at a time, each sending `start` and reading its replies.
async fn open_many(
    url: &str,
    script: &Script,
    n: usize,
    timeout: Duration,
) -> Result<Vec<Socket>, BenchError> {
    let start = &script.steps[0];
    let opened: Vec<Result<Socket, BenchError>> = futures_util::stream::iter(0..n)
        .map(|_| async move {
            let mut socket = connect(url, timeout).await?;
            super::client::turn_once(&mut socket, &start.frame, start.replies, timeout).await?;
            Ok(socket)
        })
        .buffer_unordered(100)
        .collect()
        .await;
    opened.into_iter().collect()
}

/// Resident set of process `pid`, in KiB.
pub(super) fn rss_kib(pid: u32) -> Result<u64, BenchError> {
    status_kib(pid, "VmRSS")
}

/// A memory figure of process `pid` from `/proc/<pid>/status` (`VmRSS`, `VmHWM` …), in KiB.
pub(super) fn status_kib(pid: u32, field: &str) -> Result<u64, BenchError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| BenchError::Io(format!("reading /proc/{pid}/status: {e}")))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| BenchError::Io(format!("no {field} in /proc/{pid}/status")))
}
