//! Email benchmarks (`cargo bench --bench email`; needs python3 with aiosmtpd, as the tests do):
//!
//! 1. the outbox worker's throughput: 1 000 picks emails queued for consenting shoppers, rendered with the shipped
//!    templates and sent through lettre to a real SMTP server on loopback (`tests/smtp_sink.py`, aiosmtpd); emails
//!    per second, three runs, the median; every email is then counted in the sink's folder. Three sinks:
//!    - the tests' sink, which decodes every message with Python's email package before its 250 (milliseconds a
//!      message: this sink is the limit, not the worker);
//!    - `--raw`: aiosmtpd writing each message as received, one process;
//!    - `--raw --processes 2`: the same, two processes on one port;
//! 2. what queueing costs a chat turn: a turn's store work (an answer and the session queued, then the group
//!    commit) with and without `email::queue::after_turn` for a consenting shopper (a profile and consent read,
//!    the resume email queued or pushed back), p50 and p99 of 5 000 turns each, interleaved, and their ratio.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shopkeep::conversation::{Answer, Position, Session};
use shopkeep::email::{self, Mailer, Shop, transport};
use shopkeep::store::{
    Action, Channel, Clock, ConsentEntry, Purpose, QueuedEmail, Store, Trigger, now,
};

fn repo(path: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn consent(store: &Store, owner: &str, address: &str) {
    store.set_email(owner, address, false).expect("email");
    store
        .append_consent(
            owner,
            &ConsentEntry {
                purpose: Purpose::EmailRecommendations,
                action: Action::Given,
                text: "ok".into(),
                text_version: "1".into(),
                locale: "en".into(),
                channel: Channel::Widget,
                at: now(),
            },
        )
        .expect("consent");
}

fn session(owner: &str, id: &str) -> Session {
    Session {
        id: id.into(),
        flow: "running-shoes".into(),
        flow_version: "v1".into(),
        arm: None,
        locale: "en".into(),
        visitor: Some(owner.into()),
        at: Position::Asking("terrain".into()),
        answers: Vec::new(),
        misses: 0,
        segments: Vec::new(),
    }
}

fn mailer(port: u16, rate: u32) -> Arc<Mailer> {
    let url = transport::SmtpUrl::parse(&format!("smtp://127.0.0.1:{port}")).expect("url");
    let smtp = transport::Smtp::new(&url, Duration::from_secs(10), email::worker::IN_FLIGHT)
        .expect("smtp");
    Arc::new(Mailer::new(
        email::load_all(&repo("emails")).expect("the shipped templates load"),
        Arc::new(smtp),
        "Bench <bench@shop.example>".parse().expect("from"),
        Shop {
            name: "Bench shop".into(),
            url: "https://shop.example".into(),
        },
        rate,
    ))
}

async fn worker_throughput(port: u16, n: usize) -> f64 {
    let data = tempfile::tempdir().expect("temp dir");
    let store = Store::open(data.path()).expect("store");
    let (flows, _) = shopkeep::flow::Flows::load_dir(&repo("flows")).expect("flows");
    let (catalog, _) = shopkeep::catalog::Catalog::from_dir(&repo("catalog")).expect("catalog");
    let flows = Arc::new(flows);
    for i in 0..n {
        let owner = format!("v{i}");
        consent(&store, &owner, &format!("shopper{i}@example.com"));
        let mut s = session(&owner, &format!("s{i}"));
        store
            .save_answer(
                &s,
                "terrain",
                &Answer::Choice {
                    value: "trail".into(),
                },
            )
            .expect("answer");
        s.at = Position::Showing("picks".into());
        store
            .queue_email(&QueuedEmail {
                id: format!("picks-s{i}"),
                message_id: format!("<picks-s{i}@shop.example>"),
                owner,
                trigger: Trigger::FinderCompleted,
                template: "picks".into(),
                locale: "en".into(),
                flow: Some("running-shoes".into()),
                session: Some(s.id.clone()),
                session_token: None,
                links: None,
                products: Vec::new(),
                queued_at: now(),
                due: 0,
                attempts: Vec::new(),
            })
            .expect("queue");
    }
    store.durable().await.expect("durable");
    let mailer = mailer(port, 100_000);
    let sources: email::Sources = Arc::new(move || (flows.clone(), catalog.clone()));
    let clock = Clock::system();
    let started = Instant::now();
    let mut sent = 0;
    while sent < n as u64 {
        email::worker::round(&mailer, &store, &clock, &sources)
            .await
            .expect("round");
        let now_sent = mailer.counters.sent.get();
        assert!(
            now_sent > sent,
            "a round sent nothing: {:?}",
            mailer.counters
        );
        sent = now_sent;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)]
}

async fn turn_overhead(port: u16, turns: usize) -> ([Duration; 2], [Duration; 2]) {
    let data = tempfile::tempdir().expect("temp dir");
    let store = Store::open(data.path()).expect("store");
    consent(&store, "v-bench", "bench@example.com");
    store.durable().await.expect("durable");
    let mailer = mailer(port, 1);
    let (mut plain, mut mailing) = (Vec::new(), Vec::new());
    for i in 0..turns * 2 {
        let with_email = i % 2 == 1;
        let mut s = session("v-bench", &format!("s{}", i / 2));
        s.answers.push(shopkeep::conversation::Answered {
            question: "terrain".into(),
            answer: Answer::Choice {
                value: "trail".into(),
            },
        });
        let started = Instant::now();
        store
            .save_answer(
                &s,
                "terrain",
                &Answer::Choice {
                    value: "trail".into(),
                },
            )
            .expect("answer");
        if with_email {
            email::queue::after_turn(&mailer, &store, &s, "token", now()).expect("queue");
        }
        store.put_session(&format!("t{i}"), &s).expect("session");
        store.durable().await.expect("durable");
        let took = started.elapsed();
        if with_email {
            mailing.push(took)
        } else {
            plain.push(took)
        }
    }
    (
        [percentile(&mut plain, 0.5), percentile(&mut plain, 0.99)],
        [
            percentile(&mut mailing, 0.5),
            percentile(&mut mailing, 0.99),
        ],
    )
}

/// Starts `tests/smtp_sink.py` writing into `out` with `extra` flags; the process and its port.
fn start_sink(out: &std::path::Path, extra: &[&str]) -> (std::process::Child, u16) {
    let mut sink = Command::new("python3")
        .arg(repo("tests/smtp_sink.py"))
        .arg(out)
        .arg("600")
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 with aiosmtpd");
    let mut line = String::new();
    std::io::BufReader::new(sink.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the sink's port");
    let port: u16 = line
        .trim()
        .trim_start_matches("PORT ")
        .parse()
        .expect("PORT n");
    (sink, port)
}

/// The messages the sink wrote (`.json` decoded, `.eml` as received).
fn received(out: &std::path::Path) -> usize {
    std::fs::read_dir(out)
        .expect("the sink's folder")
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.ends_with(".json") || name.ends_with(".eml")
        })
        .count()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sinks: [(&str, &[&str]); 3] = [
        ("the tests' decoding aiosmtpd sink", &[]),
        ("aiosmtpd storing messages as received (--raw)", &["--raw"]),
        (
            "the same, two processes on one port (--raw --processes 2)",
            &["--raw", "--processes", "2"],
        ),
    ];
    let mut last_port = 0;
    for (name, extra) in sinks {
        let out = tempfile::tempdir().expect("temp dir");
        let (mut sink, port) = start_sink(out.path(), extra);
        let mut rates = runtime.block_on(async {
            let mut rates = Vec::new();
            for _ in 0..3 {
                rates.push(worker_throughput(port, 1000).await);
            }
            rates
        });
        // Every email arrived (the sink writes each before its 250).
        assert_eq!(received(out.path()), 3000, "{name}: emails missing");
        rates.sort_by(f64::total_cmp);
        println!(
            "outbox worker to {name}: {:.0} emails/s median of 3 runs (runs: {})",
            rates[1],
            rates
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = sink.kill();
        let _ = sink.wait();
        last_port = port;
    }
    runtime.block_on(async {
        // Queueing only: nothing is sent, so the sink's port need not answer.
        let ([p50, p99], [m50, m99]) = turn_overhead(last_port, 5000).await;
        println!(
            "a turn's store work: p50 {p50:?} p99 {p99:?}; with queueing: p50 {m50:?} p99 {m99:?}; p99 ratio {:.3}",
            m99.as_secs_f64() / p99.as_secs_f64()
        );
    });
}
