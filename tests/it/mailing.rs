//! What the email tests share: the real SMTP sink (aiosmtpd on loopback, `tests/smtp_sink.py`), a server that mails
//! through it with a clock the test moves, and a shopper's way through the finder to an email.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use shopkeep::email::{self, Mailer, Shop, transport};
use shopkeep::server::Settings;
use shopkeep::store::Clock;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{Client, TestApp, answers_to_colour, repo, spawn_with};

/// The SMTP sink: a python process writing each message it accepts as JSON into a folder.
pub struct Sink {
    pub port: u16,
    pub out: tempfile::TempDir,
    _child: tokio::process::Child,
}

impl Sink {
    pub async fn start() -> Sink {
        let out = tempfile::tempdir().expect("temp dir");
        let mut child = tokio::process::Command::new("python3")
            .arg(repo("tests/smtp_sink.py"))
            .arg(out.path())
            .arg("240")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs (scripts/test.sh installs aiosmtpd)");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the SMTP sink starts in time")
            .expect("read")
            .expect("the sink prints its port (is aiosmtpd installed?)");
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .expect("PORT n");
        Sink {
            port,
            out,
            _child: child,
        }
    }

    pub fn messages(&self) -> Vec<Value> {
        read_messages(self.out.path())
    }

    /// Waits (bounded) until at least `n` messages arrived; all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..200 {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("fewer than {n} messages arrived: {:#?}", self.messages());
    }
}

pub fn read_messages(dir: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("sink folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json"))
        .collect()
}

/// A server that mails through `sink`, with the shipped templates, `triggers` and a clock the test sets.
pub struct Mailing {
    pub app: TestApp,
    pub mailer: Arc<Mailer>,
    pub now: Arc<AtomicU64>,
    /// The emails folder the server reads again on a reload (a copy of the shipped one).
    pub emails: tempfile::TempDir,
}

const START: u64 = 1_800_000_000;

impl Mailing {
    pub async fn spawn(sink: &Sink, triggers: &str) -> Mailing {
        let emails = tempfile::tempdir().expect("temp dir");
        for entry in std::fs::read_dir(repo("emails")).expect("emails") {
            let path = entry.expect("entry").path();
            std::fs::copy(&path, emails.path().join(path.file_name().expect("name")))
                .expect("copy");
        }
        std::fs::write(emails.path().join("triggers.yaml"), triggers).expect("write");
        let url =
            transport::SmtpUrl::parse(&format!("smtp://127.0.0.1:{}", sink.port)).expect("url");
        let smtp = transport::Smtp::new(&url, Duration::from_secs(10), email::worker::IN_FLIGHT)
            .expect("smtp");
        let mut mailer = Mailer::new(
            email::load_all(emails.path()).expect("templates load"),
            Arc::new(smtp),
            "Test shop <shop@shop.example>".parse().expect("from"),
            Shop {
                name: "Test shop".into(),
                url: "https://shop.example".into(),
            },
            1000,
        );
        mailer.poll = Duration::from_millis(100);
        mailer.folder = Some(emails.path().to_path_buf());
        let mailer = Arc::new(mailer);
        let now = Arc::new(AtomicU64::new(START));
        let clock = {
            let now = now.clone();
            Clock::from_fn(move || now.load(Ordering::SeqCst))
        };
        let settings = Settings {
            clock,
            email: Some(mailer.clone()),
            ..crate::profiles::private_settings()
        };
        let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
        Mailing {
            app,
            mailer,
            now,
            emails,
        }
    }

    pub fn advance(&self, seconds: u64) {
        self.now.fetch_add(seconds, Ordering::SeqCst);
        self.mailer.wake.notify_one();
    }

    /// Waits (bounded) until the outbox counted `sent + suppressed + failed + cancelled` at least `n`.
    pub async fn settled(&self, n: u64) {
        let c = &self.mailer.counters;
        for _ in 0..200 {
            let done = c.sent.get() + c.suppressed.get() + c.failed.get() + c.cancelled.get();
            if done >= n {
                return;
            }
            self.mailer.wake.notify_one();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the outbox did not finish {n} emails: {c:?}");
    }
}

pub const TRIGGERS: &str = "finder_completed: { email: picks }\nfinder_abandoned: { email: resume, after: 30m }\n\
                            frequency: { per_day: 5, per_week: 20 }\n";

pub async fn started(app: &TestApp, visitor: &str, locale: &str) -> Client {
    let mut client = app.client().await;
    client
        .send(
            json!({"type": "start", "flow": "running-shoes", "locale": locale, "visitor": visitor}),
        )
        .await;
    client.until("question").await;
    client
}

pub async fn consent(client: &mut Client, address: &str) {
    client
        .send(json!({"type": "consent", "email": address, "consent": true}))
        .await;
    let reply = client.recv().await;
    assert_eq!(reply["type"], "message", "{reply:#}");
}

/// Answers every question of the shoe finder; the products message.
pub async fn finish(client: &mut Client) -> Value {
    for answer in answers_to_colour() {
        client.answer(answer).await;
    }
    let products = client.answer(json!({"value": "any"})).await;
    assert_eq!(products["type"], "products", "{products:#}");
    products
}
