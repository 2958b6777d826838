//! The load generator end to end, briefly: calibrate against the in-process server, drive it and the echo
//! baseline, print the tables. Counts only, never speed (speed lives in `shopkeep bench` itself).

use std::time::Duration;

use shopkeep::loadgen::{self, Options, report};

use crate::support::repo;

/// A short in-process run over the shipped flows and catalog: two conversations, one run, a one-level sweep.
fn quick(scratch: &std::path::Path) -> Options {
    Options {
        url: None,
        flows: repo("flows"),
        catalog: repo("catalog"),
        connections: 2,
        runs: 1,
        sweep: vec![1],
        duration: Duration::from_millis(400),
        max_turns: 60,
        timeout: Duration::from_secs(10),
        durability: None,
        idle: None,
        exe: repo("target/unused"),
        scratch: scratch.to_path_buf(),
        products: None,
        reindex: false,
        events_rate: None,
        emails: repo("emails"),
        large: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walks_finders_against_shopkeep_and_the_echo_baseline() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let options = quick(scratch.path());
    let mut lines = Vec::new();
    let found = loadgen::run(&options, &mut |line| lines.push(line.to_string()))
        .await
        .expect("the bench runs");
    assert!(lines.iter().any(|l| l.contains("calibrating")), "{lines:?}");
    let pair = &found.runs[0];
    for outcome in [&pair.shopkeep, &pair.echo] {
        assert_eq!(outcome.errors(), 0, "no errors against either server");
        assert!(outcome.non_final.count() > 0);
    }
    let table = report::markdown(&found);
    assert!(table.contains("| non-final turns/s |"), "{table}");
    assert!(table.contains("#### Sweep"), "{table}");
    let svg = report::svg(&found.sweep, "test");
    assert!(svg.contains("<polyline"), "{svg}");
}

/// A synthetic catalog served in-process: the shipped finders accept its fields (or the reindex, which checks them,
/// would be refused), the final turn runs against it, and reindexing while conversations run loses no turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_a_synthetic_catalog_and_reindexes_it_under_load() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let options = Options {
        sweep: Vec::new(),
        max_turns: 200,
        products: Some(3000),
        reindex: true,
        ..quick(scratch.path())
    };
    let found = loadgen::run(&options, &mut |_| {})
        .await
        .expect("the bench runs");
    let catalog = found.catalog.as_ref().expect("the synthetic catalog run");
    assert_eq!(catalog.products, 3000);
    assert_eq!(catalog.single.shopkeep.errors(), 0);
    assert!(
        catalog.single.shopkeep.final_.count() > 0,
        "final turns ran"
    );
    let reindex = found.reindex.as_ref().expect("the reindex run");
    assert_eq!(
        reindex.products, 3000,
        "the server serves the synthetic catalog"
    );
    assert!(reindex.reloads >= 1, "at least one reindex finished");
    assert_eq!(
        reindex.shopkeep.errors(),
        0,
        "no turn failed during the swaps"
    );
    assert!(reindex.shopkeep.non_final.count() > 0);
    let table = report::markdown(&found);
    assert!(
        table.contains("#### Against 3000 synthetic products"),
        "{table}"
    );
    assert!(table.contains("reindexed back to back"), "{table}");
}

#[tokio::test]
async fn synthetic_catalogs_need_the_in_process_server() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let options = Options {
        url: Some("ws://127.0.0.1:9/v1/chat".into()),
        products: Some(10),
        ..quick(scratch.path())
    };
    let refused = loadgen::run(&options, &mut |_| {})
        .await
        .err()
        .expect("refused");
    assert!(refused.to_string().contains("leave out --url"), "{refused}");
}

#[test]
fn refuses_addresses_beyond_loopback() {
    assert!(loadgen::loopback_only("ws://192.0.2.1:8080/v1/chat").is_err());
    assert!(loadgen::loopback_only("ws://127.0.0.1:8080/v1/chat").is_ok());
}

/// This round's features on: shop events posted over HTTP beside the chat load (every batch is answered 200, stored
/// durably), every walk gives an email and consent, and a finished finder of a consenting shopper queues its picks
/// email; the turns complete without errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_shop_events_beside_the_chat_load() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let options = Options {
        sweep: Vec::new(),
        events_rate: Some(500),
        // Time for 60 turns (each connection walks the finder more than once) even in a debug build on a busy
        // machine; the turn cap ends it sooner.
        duration: Duration::from_secs(10),
        ..quick(scratch.path())
    };
    let found = loadgen::run(&options, &mut |_| {})
        .await
        .expect("the bench runs");
    let run = found.events.as_ref().expect("the events run");
    assert_eq!(run.posted.refused, 0, "every batch is accepted");
    assert!(
        run.posted.stored >= 50,
        "at least one batch of 50 events was stored"
    );
    assert_eq!(run.posted.stored % 50, 0, "whole batches");
    assert_eq!(run.pair.shopkeep.errors(), 0);
    assert!(run.pair.shopkeep.non_final.count() > 0);
    assert!(
        run.pair.shopkeep.final_.count() >= 3,
        "a connection finished the finder after giving consent"
    );
    assert!(run.emails >= 1, "a finished finder queued its picks email");
    let table = report::markdown(&found);
    assert!(table.contains("events/s over HTTP"), "{table}");
    assert!(table.contains("| emails queued |"), "{table}");
}

/// The large-catalog workload end to end on a small catalog: the real binary indexes it with `index --out`, a child
/// `serve --index` serves it, and ten conversations reach the final turn against it without an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexes_once_then_serves_the_prebuilt_index_in_a_child() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let options = Options {
        sweep: Vec::new(),
        runs: 1,
        max_turns: 60,
        large: Some(2000),
        exe: std::path::PathBuf::from(env!("CARGO_BIN_EXE_shopkeep")),
        ..quick(scratch.path())
    };
    let found = loadgen::run(&options, &mut |_| {})
        .await
        .expect("the bench runs");
    let large = found.large.as_ref().expect("the large-catalog run");
    assert_eq!(large.products, 2000);
    assert_eq!(large.outcome.connections, 10);
    assert_eq!(
        large.outcome.errors(),
        0,
        "no errors against the child server"
    );
    assert!(
        large.outcome.final_.count() > 0,
        "final turns ran against the prebuilt index"
    );
    assert!(large.rss_start_kib > 0 && large.hwm_kib >= large.rss_start_kib);
    let table = report::markdown(&found);
    assert!(
        table.contains("`serve --index` over 2000 synthetic products"),
        "{table}"
    );
}

/// `shopkeep bench-recs` end to end on a small scale: every batch stored, and hundreds of recommendation requests
/// one after another on one kept connection, each answered with products (a request sent before the connection
/// was ready used to stop the bench).
#[test]
fn bench_recs_stores_every_batch_and_answers_every_request() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .args(["bench-recs", "--products", "500", "--events", "6000"])
        .args(["--batch", "500", "--requests", "400", "--flows"])
        .arg(repo("flows"))
        .arg("--scratch")
        .arg(scratch.path())
        .output()
        .expect("shopkeep bench-recs runs");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let row = |start: &str| -> Vec<String> {
        let line = printed
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no `{start}` row in:\n{printed}"));
        line.split('|').map(|c| c.trim().to_string()).collect()
    };
    // | name | events | batch | connections | events/s | p50 | p99 | refused |
    let ingest = row("| `POST /v1/events`");
    assert_eq!(
        (ingest[2].as_str(), ingest[8].as_str()),
        ("6000", "0"),
        "{printed}"
    );
    // | name | products | stored events | requests | p50 | p99 | max | empty |
    let requests = row("| `GET");
    assert_eq!(
        (requests[4].as_str(), requests[8].as_str()),
        ("400", "0"),
        "{printed}"
    );
}

/// `shopkeep bench-store` end to end on a small scale: the growth tables, and the pause measurement with turns in
/// both windows and at least one sweep beside the load, none failed.
#[test]
fn bench_store_measures_growth_and_the_pause_of_its_sweeps() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
        .args(["bench-store", "--answers", "1000", "--rounds", "2"])
        .args(["--connections", "5", "--pause-secs", "2", "--flows"])
        .arg(repo("flows"))
        .arg("--catalog")
        .arg(repo("catalog"))
        .arg("--scratch")
        .arg(scratch.path())
        .output()
        .expect("shopkeep bench-store runs");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("| compacted |"), "{printed}");
    // | turns | count | p50 | p99 | p99.9 | max |
    for window in ["| quiet |", "| during sweeps |"] {
        let line = printed
            .lines()
            .find(|l| l.starts_with(window))
            .unwrap_or_else(|| panic!("no `{window}` row in:\n{printed}"));
        let count: u64 = line
            .split('|')
            .nth(2)
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(0);
        assert!(count > 0, "{printed}");
    }
    let sweeps: u64 = printed
        .split("sweeps back to back")
        .next()
        .and_then(|head| head.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(sweeps >= 1, "{printed}");
}
