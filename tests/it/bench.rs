//! The load generator end to end, briefly: calibrate against the in-process server, drive it and the echo
//! baseline, print the tables. Counts only, never speed (speed lives in `shopkeep bench` itself).

use std::time::Duration;

use shopkeep::loadgen::{self, Options, report};

use crate::support::repo;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walks_finders_against_shopkeep_and_the_echo_baseline() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let options = Options {
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
        scratch: scratch.path().to_path_buf(),
    };
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

#[test]
fn refuses_addresses_beyond_loopback() {
    assert!(loadgen::loopback_only("ws://192.0.2.1:8080/v1/chat").is_err());
    assert!(loadgen::loopback_only("ws://127.0.0.1:8080/v1/chat").is_ok());
}
