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

/// A copy of the shipped flows (with their shared questions) and catalog in a temp folder (`flows/`,
/// `catalog/`), for a test to edit without touching the repository.
pub fn copy_shipped() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for part in ["flows", "flows/shared", "catalog"] {
        std::fs::create_dir_all(dir.path().join(part)).expect("mkdir");
        for entry in std::fs::read_dir(repo(part)).expect("read the shipped folder") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                let to = dir.path().join(part).join(path.file_name().expect("name"));
                std::fs::copy(&path, to).expect("copy");
            }
        }
    }
    dir
}

/// Fails unless the published file `file` (a JSON Schema under docs/) is what the code generates now; with
/// `SHOPKEEP_UPDATE_SCHEMA=1` it rewrites the file first.
pub fn assert_published(file: &str, generated: &str) {
    let path = repo(file);
    if std::env::var_os("SHOPKEEP_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, generated).expect("write schema");
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        published == generated,
        "{file} is stale: run `SHOPKEEP_UPDATE_SCHEMA=1 cargo test --test it schema`"
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

pub async fn spawn_with(data: tempfile::TempDir, settings: Settings) -> TestApp {
    spawn_dirs(&repo("flows"), &repo("catalog"), data, settings).await
}

/// The flows and catalog of the given folders, served on 127.0.0.1:0.
pub async fn spawn_dirs(
    flows_dir: &std::path::Path,
    catalog_dir: &std::path::Path,
    data: tempfile::TempDir,
    settings: Settings,
) -> TestApp {
    let (catalog, _) = Catalog::from_dir(catalog_dir).expect("the catalog loads");
    spawn_catalog(flows_dir, catalog_dir, catalog, data, settings).await
}

/// The flows of `flows_dir` and `catalog` (loaded from `catalog_dir`), served on 127.0.0.1:0.
pub async fn spawn_catalog(
    flows_dir: &std::path::Path,
    catalog_dir: &std::path::Path,
    catalog: Catalog,
    data: tempfile::TempDir,
    mut settings: Settings,
) -> TestApp {
    let (flows, _) = Flows::load_dir(flows_dir).expect("the flows load");
    let store = Store::open(data.path()).expect("store opens");
    settings.flows_dir = flows_dir.to_path_buf();
    settings.catalog_dir = catalog_dir.to_path_buf();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let rules = settings
        .rules_file
        .as_deref()
        .map(|file| shopkeep::setup::load_rules(file, &flows, &catalog).expect("the rules load"));
    let segments = settings
        .segments_file
        .as_deref()
        .map(|file| shopkeep::setup::load_segments(file, &flows).expect("the segments load"));
    let (state, shutdown) = App::new(flows, catalog, store, settings);
    if let Some(rules) = rules {
        state.0.live.set_rules(rules);
    }
    if let Some(segments) = segments {
        state.0.live.set_segments(segments);
        if let Some(mailer) = &state.0.settings.email {
            mailer.set_segments(state.0.live.segments());
        }
    }
    let server = tokio::spawn(server::run(listener, state));
    TestApp {
        addr,
        shutdown,
        data,
        server,
    }
}

/// The running-shoes answers that lead to the `colour` question, whose answer runs the match.
pub fn answers_to_colour() -> [Value; 4] {
    [
        json!({"value": "trail"}),
        json!({"value": "yes"}),
        json!({"values": ["cushioning"]}),
        json!({"range": {"max": 150}}),
    ]
}

/// One HTTP/1.1 request to the server (`Connection: close`); the status and the body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let response = http_raw(addr, method, path, headers).await;
    (
        response.status,
        String::from_utf8_lossy(&response.body).to_string(),
    )
}

pub struct HttpResponse {
    pub status: u16,
    /// Header lines, names lowercased: `content-type: text/html`.
    pub headers: Vec<String>,
    /// As sent (still chunked or compressed if the server did so).
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|line| {
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(": "))
        })
    }
}

pub async fn http_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> HttpResponse {
    http_send(addr, method, path, headers, b"").await
}

/// A JSON request with `key` as its bearer API key (none when empty); the status and the body parsed as JSON
/// (`null` when it is not JSON).
pub async fn api(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let auth = format!("Bearer {key}");
    let mut headers = vec![("Content-Type", "application/json")];
    if !key.is_empty() {
        headers.push(("Authorization", auth.as_str()));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let response = http_send(addr, method, path, &headers, body.as_bytes()).await;
    let value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, value)
}

/// One HTTP/1.1 request with a body (`Connection: close`).
pub async fn http_send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        stream.write_all(&bytes).await.expect("send the request");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .expect("read the response");
        response
    };
    let response = tokio::time::timeout(Duration::from_secs(60), exchange)
        .await
        .expect("a response in time");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete HTTP head");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("an HTTP status line");
    let headers = lines
        .map(|line| match line.split_once(": ") {
            Some((name, value)) => format!("{}: {value}", name.to_ascii_lowercase()),
            None => line.to_string(),
        })
        .collect();
    HttpResponse {
        status,
        headers,
        body: response[split + 4..].to_vec(),
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

    /// Connects as a browser page on `origin` would; the handshake's error (such as a 403) when refused.
    pub async fn try_connect(
        url: &str,
        origin: Option<&str>,
    ) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request()?;
        if let Some(origin) = origin {
            request.headers_mut().insert(
                "origin",
                origin.parse().expect("an origin is a valid header value"),
            );
        }
        let (ws, _) = tokio::time::timeout(WAIT, connect_async(request))
            .await
            .expect("connect in time")?;
        Ok(Client { ws })
    }

    /// This end's address (what the server sees as the shopper's address and port).
    pub fn local_addr(&self) -> SocketAddr {
        match self.ws.get_ref() {
            MaybeTlsStream::Plain(stream) => stream.local_addr().expect("a connected socket"),
            _ => unreachable!("the tests speak plain ws://"),
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    /// Sends without checking: `false` once the connection is gone (a flood may outlast it).
    pub async fn try_send(&mut self, message: Value) -> bool {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .is_ok()
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

    /// The next frame of any kind, within `wait`; `None` when the connection ended without a frame (or an error).
    pub async fn frame(&mut self, wait: Duration) -> Option<Message> {
        match tokio::time::timeout(wait, self.ws.next())
            .await
            .expect("a frame in time")
        {
            Some(Ok(message)) => Some(message),
            Some(Err(_)) | None => None,
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

    /// Counts the pings the server sends until it closes the connection; the close code.
    pub async fn pings_until_closed(&mut self) -> (usize, Option<u16>) {
        let mut pings = 0;
        for _ in 0..1000 {
            match tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame in time")
            {
                Some(Ok(Message::Ping(_))) => pings += 1,
                Some(Ok(Message::Close(frame))) => {
                    return (pings, frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return (pings, None),
            }
        }
        panic!("the connection was neither closed nor quiet");
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

    /// Resumes the conversation of `token`; the `session` message and the question (or products) it stands at.
    pub async fn resume(&mut self, flow: &str, token: &str) -> (Value, Value) {
        self.send(json!({"type": "start", "v": 1, "flow": flow, "resume": token}))
            .await;
        let (session, _) = self.until("session").await;
        (session, self.next_step().await)
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

/// A product's title in the shipped catalog (`catalog/products.jsonl`).
pub fn shipped_title(id: &str) -> String {
    let feed =
        std::fs::read_to_string(repo("catalog/products.jsonl")).expect("the shipped catalog");
    feed.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a product"))
        .find(|p| p["id"] == id)
        .and_then(|p| p["title"].as_str().map(str::to_string))
        .expect("the product is in the shipped catalog")
}
