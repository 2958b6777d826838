//! Test support: spawn the real server on port 0 with an isolated data directory, and a WebSocket client that
//! speaks the chat protocol with bounded waits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use shopkeep::catalog::Catalog;
use shopkeep::flow::Flows;
use shopkeep::server::{self, App, Settings, Shutdown};
use shopkeep::store::Store;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Asserts that the generated file at `path` (a JSON Schema in docs/) is the one published; with
/// `SHOPKEEP_UPDATE_SCHEMA` set, writes it first.
pub fn assert_published(path: &str, generated: &str) {
    let file = repo(path);
    if std::env::var_os("SHOPKEEP_UPDATE_SCHEMA").is_some() {
        std::fs::write(&file, generated).expect("write schema");
    }
    let published = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        published == generated,
        "{path} is stale: run `SHOPKEEP_UPDATE_SCHEMA=1 cargo test --test it schema`"
    );
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub shutdown: Shutdown,
    pub data: tempfile::TempDir,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/v1/chat", self.addr)
    }

    pub async fn client(&self) -> Client {
        Client::connect(&self.ws_url()).await
    }

    /// Stops the server and waits until it has flushed and returned.
    pub async fn stop(self) -> tempfile::TempDir {
        self.shutdown.trigger();
        let outcome = tokio::time::timeout(Duration::from_secs(25), self.server).await;
        assert!(
            matches!(outcome, Ok(Ok(Ok(())))),
            "server did not stop cleanly: {outcome:?}"
        );
        self.data
    }
}

/// The shipped flows and catalog, served on 127.0.0.1:0 with a fresh data directory.
pub async fn spawn_app() -> TestApp {
    spawn_with(tempfile::tempdir().expect("temp dir"), Settings::default()).await
}

pub async fn spawn_with(data: tempfile::TempDir, mut settings: Settings) -> TestApp {
    let (flows, _) = Flows::load_dir(&repo("flows")).expect("shipped flows load");
    let (catalog, _) = Catalog::from_dir(&repo("catalog")).expect("shipped catalog loads");
    let store = Store::open(data.path()).expect("store opens");
    settings.catalog_dir = repo("catalog");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let (state, shutdown) = App::new(flows, catalog, store, settings);
    let server = tokio::spawn(server::run(listener, state));
    TestApp {
        addr,
        shutdown,
        data,
        server,
    }
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

const WAIT: Duration = Duration::from_secs(10);

impl Client {
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = tokio::time::timeout(WAIT, connect_async(url))
            .await
            .expect("connect in time")
            .expect("connect");
        Client { ws }
    }

    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// The next message from the server (text frames only), within 10 s.
    pub async fn recv(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a reply in time");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text).expect("server sends JSON");
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The close frame the server sends (code), within 10 s.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a close in time")
            {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Receives until a message of `kind` arrives; returns it and everything before it.
    pub async fn until(&mut self, kind: &str) -> (Value, Vec<Value>) {
        let mut before = Vec::new();
        for _ in 0..20 {
            let message = self.recv().await;
            if message["type"] == kind {
                return (message, before);
            }
            before.push(message);
        }
        panic!("no `{kind}` message among {before:#?}");
    }

    pub async fn start(&mut self, flow: &str, locale: &str) -> (Value, Value) {
        self.send(json!({"type": "start", "v": 1, "flow": flow, "locale": locale}))
            .await;
        let (session, _) = self.until("session").await;
        let (question, _) = self.until("question").await;
        (session, question)
    }

    /// Sends an answer and returns the next question or products message.
    pub async fn answer(&mut self, answer: Value) -> Value {
        let mut message = answer;
        message["type"] = json!("answer");
        self.send(message).await;
        self.next_step().await
    }

    pub async fn next_step(&mut self) -> Value {
        for _ in 0..10 {
            let message = self.recv().await;
            if message["type"] == "question"
                || message["type"] == "products"
                || message["type"] == "error"
            {
                return message;
            }
        }
        panic!("no question, products or error arrived");
    }
}
