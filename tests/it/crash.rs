//! The crash test: the real `shopkeep serve` as a child process under scripted load over real WebSockets (and shop
//! events over HTTP), killed with SIGKILL at a random moment and restarted on the same data directory, again and
//! again. After every restart each conversation must resume where its last acknowledged reply left it, and every
//! acknowledged answer, consent, shop event and queued email must be in the shopper's export.
//!
//! `SHOPKEEP_CRASH_CYCLES=N` runs N cycles (default 24, about a minute); `SHOPKEEP_CRASH_SEED=S` replays a run
//! (the seed is printed at the start and in every failure).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::process::{kill, serve_with};

const API_KEY: &str = "crash-test-key";
/// Conversations running at once.
const SLOTS: usize = 4;
/// Any single wait; a server that is up answers far sooner.
const WAIT: Duration = Duration::from_secs(10);

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// What the client knows for sure about one conversation: only what the server acknowledged.
#[derive(Clone, Debug, Default)]
struct Conversation {
    visitor: String,
    token: Option<String>,
    /// The step (a question id, or `products`) of the last acknowledged reply.
    at: Option<String>,
    /// Acknowledged answers: question id and the stored form of the answer.
    answered: Vec<(String, Value)>,
    /// An answer sent whose reply never came (it may or may not be stored).
    in_flight: Option<(String, Value)>,
    consented: bool,
    events: Vec<String>,
}

/// One run's seed: `SHOPKEEP_CRASH_SEED`, or the clock.
fn seed() -> u64 {
    std::env::var("SHOPKEEP_CRASH_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_work_survives_sigkill_at_random_moments() {
    let seed = seed();
    let cycles: usize = std::env::var("SHOPKEEP_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(24);
    println!("crash test: {cycles} cycles, seed {seed} (replay with SHOPKEEP_CRASH_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let data = tempfile::tempdir().expect("temp dir");
    // Follow-up email on, through an SMTP address where nothing listens: what is queued stays queued or is
    // logged as failed, and either must survive every kill.
    let args = [
        "--api-key",
        API_KEY,
        "--messages-per-second",
        "0",
        "--smtp",
        "smtp://127.0.0.1:9",
    ];
    let mut slots: Vec<Conversation> = Vec::new();
    let mut finished: Vec<Conversation> = Vec::new();
    let mut next_visitor = 0;
    let (mut acknowledged, mut resumed) = (0, 0);
    for cycle in 0..cycles {
        let (child, url) = serve_with(data.path(), &args).await;
        let addr = addr_of(&url);
        // Everything acknowledged before the kill is there, and every conversation resumes.
        for conversation in &mut slots {
            check(&url, addr, conversation)
                .await
                .unwrap_or_else(|e| panic!("cycle {cycle}, seed {seed}: {e}\n{conversation:#?}"));
            resumed += usize::from(conversation.token.is_some());
        }
        // Finished conversations are checked again only at the end; the others go on.
        let (done, going): (Vec<_>, Vec<_>) = slots
            .drain(..)
            .partition(|c| c.at.as_deref() == Some("products"));
        finished.extend(done);
        slots = going;
        while slots.len() < SLOTS {
            next_visitor += 1;
            slots.push(Conversation {
                visitor: format!("v-crash-{seed:x}-{next_visitor}"),
                ..Default::default()
            });
        }
        // Load, then SIGKILL at a random moment 0.2–1.0 s in.
        let kill_after = Duration::from_millis(rng.random_range(200..1000));
        let tasks: Vec<_> = slots
            .drain(..)
            .enumerate()
            .map(|(n, conversation)| {
                let (url, seed) = (url.clone(), rng.random::<u64>());
                let prefix = format!("{}-{cycle}-{n}", conversation.visitor);
                tokio::spawn(drive(url, addr, conversation, prefix, seed))
            })
            .collect();
        tokio::time::sleep(kill_after).await;
        kill(child).await;
        for task in tasks {
            let conversations = task
                .await
                .expect("a load task ends once the server is gone");
            acknowledged += conversations
                .iter()
                .map(|c| c.answered.len())
                .sum::<usize>();
            slots.extend(conversations);
        }
    }
    // The last cycle's work, and a sample of the conversations finished earlier (all of them in a long run is
    // minutes of checking), once more: later kills must not have damaged them either.
    let (child, url) = serve_with(data.path(), &args).await;
    let addr = addr_of(&url);
    let sample = finished.len().min(60.max(cycles * 4));
    let earlier = rand::seq::index::sample(&mut rng, finished.len(), sample);
    let mut earlier: Vec<_> = earlier.iter().map(|i| finished[i].clone()).collect();
    for conversation in slots.iter_mut().chain(&mut earlier) {
        check(&url, addr, conversation).await.unwrap_or_else(|e| {
            panic!("after the last cycle, seed {seed}: {e}\n{conversation:#?}")
        });
        resumed += usize::from(conversation.token.is_some());
    }
    kill(child).await;
    let conversations = slots.len() + finished.len();
    println!(
        "crash test: {cycles} kills, {conversations} conversations ({} finished), {acknowledged} acknowledged \
         answers seen, {resumed} resumes checked; seed {seed}",
        finished.len()
    );
    assert!(
        acknowledged > 0 && resumed > 0,
        "the load acknowledged nothing (seed {seed})"
    );
}

fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("ws://")
        .split('/')
        .next()
        .and_then(|a| a.parse().ok())
        .expect("ws://ADDR/v1/chat")
}

async fn connect(url: &str) -> Result<Socket, String> {
    match tokio::time::timeout(WAIT, connect_async(url)).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(e)) => Err(format!("connect: {e}")),
        Err(_) => Err("connect: timed out".into()),
    }
}

async fn send(socket: &mut Socket, message: &Value) -> Result<(), String> {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .map_err(|e| format!("send: {e}"))
}

/// Reads until a message that ends a reply (`question`, `products`, `error`, or `message` for consent).
async fn reply(socket: &mut Socket, ends: &[&str]) -> Result<(Value, Vec<Value>), String> {
    let mut before = Vec::new();
    for _ in 0..50 {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .map_err(|_| "no reply in time".to_string())?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                let message: Value =
                    serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
                if ends.contains(&message["type"].as_str().unwrap_or("")) {
                    return Ok((message, before));
                }
                before.push(message);
            }
            Some(Ok(Message::Close(frame))) => return Err(format!("closed: {frame:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("read: {e}")),
            None => return Err("the connection ended".into()),
        }
    }
    Err(format!("no end of reply among {before:?}"))
}

const STEP_ENDS: [&str; 3] = ["question", "products", "error"];

/// The step a `question` or `products` message stands at.
fn step_of(message: &Value) -> Option<String> {
    match message["type"].as_str() {
        Some("question") => message["id"].as_str().map(str::to_string),
        Some("products") => Some("products".into()),
        _ => None,
    }
}

/// An answer to `question` picked by `rng`: what is sent, and the form the store keeps.
fn answer_for(question: &Value, rng: &mut StdRng) -> (Value, Value) {
    let options: Vec<&str> = question["options"]
        .as_array()
        .map(|o| o.iter().filter_map(|o| o["value"].as_str()).collect())
        .unwrap_or_default();
    match question["kind"].as_str() {
        Some("multi") if !options.is_empty() => {
            let max = question["select"]["max"].as_u64().unwrap_or(1).max(1) as usize;
            let count = rng.random_range(1..=max.min(options.len()));
            let mut values: Vec<&str> = Vec::new();
            while values.len() < count {
                let value = options[rng.random_range(0..options.len())];
                if !values.contains(&value) {
                    values.push(value);
                }
            }
            (
                json!({"type": "answer", "values": values}),
                json!({"kind": "choices", "values": values}),
            )
        }
        Some("range") => {
            let range = &question["range"];
            let (min, max) = (
                range["min"].as_f64().unwrap_or(0.0),
                range["max"].as_f64().unwrap_or(100.0),
            );
            let step = range["step"].as_f64().unwrap_or(1.0).max(1.0);
            let steps = ((max - min) / step).floor().max(0.0) as u64;
            let value = min + step * rng.random_range(0..=steps) as f64;
            (
                json!({"type": "answer", "range": {"max": value}}),
                json!({"kind": "range", "max": value}),
            )
        }
        _ if !options.is_empty() => {
            let value = options[rng.random_range(0..options.len())];
            (
                json!({"type": "answer", "value": value}),
                json!({"kind": "choice", "value": value}),
            )
        }
        _ => (
            json!({"type": "answer", "text": "anything"}),
            json!({"kind": "text", "text": "anything"}),
        ),
    }
}

/// Runs `conversation`, then new ones (visitors `prefix-1`, `-2`, …), as fast as the server answers until it goes
/// away; returns every conversation with what was acknowledged of it.
async fn drive(
    url: String,
    addr: SocketAddr,
    mut conversation: Conversation,
    prefix: String,
    seed: u64,
) -> Vec<Conversation> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut done = Vec::new();
    for n in 1..=1000 {
        let going = run(&url, addr, &mut conversation, &mut rng).await;
        if going.is_err() || conversation.at.as_deref() != Some("products") {
            break;
        }
        let next = Conversation {
            visitor: format!("{prefix}-{n}"),
            ..Default::default()
        };
        done.push(std::mem::replace(&mut conversation, next));
    }
    done.push(conversation);
    done
}

async fn run(
    url: &str,
    addr: SocketAddr,
    conversation: &mut Conversation,
    rng: &mut StdRng,
) -> Result<(), String> {
    let mut socket = connect(url).await?;
    let start = match &conversation.token {
        Some(token) => json!({"type": "start", "v": 1, "flow": "running-shoes", "resume": token}),
        None => {
            json!({"type": "start", "v": 1, "flow": "running-shoes", "locale": "en", "visitor": conversation.visitor})
        }
    };
    send(&mut socket, &start).await?;
    let (mut current, before) = reply(&mut socket, &STEP_ENDS).await?;
    let session = before
        .iter()
        .find(|m| m["type"] == "session")
        .ok_or("no session message")?;
    if conversation.token.is_none() {
        conversation.token = session["token"].as_str().map(str::to_string);
        conversation.at = step_of(&current);
    }
    for _ in 0..20 {
        if current["type"] != "question" {
            break;
        }
        let question = current["id"].as_str().unwrap_or_default().to_string();
        let (message, stored) = answer_for(&current, rng);
        conversation.in_flight = Some((question.clone(), stored.clone()));
        send(&mut socket, &message).await?;
        let (next, _) = reply(&mut socket, &STEP_ENDS).await?;
        if next["type"] == "error" {
            return Err(format!("answer {message} refused: {next}"));
        }
        conversation.in_flight = None;
        conversation.answered.push((question, stored));
        conversation.at = step_of(&next);
        current = next;
        // Now and then: consent (acknowledged by a message once durable) and a shop event over the API.
        if !conversation.consented && rng.random_bool(0.3) {
            let email = format!("{}@example.com", conversation.visitor);
            send(
                &mut socket,
                &json!({"type": "consent", "email": email, "consent": true}),
            )
            .await?;
            let (thanks, _) = reply(&mut socket, &["message", "error"]).await?;
            if thanks["type"] == "error" {
                return Err(format!("consent refused: {thanks}"));
            }
            conversation.consented = true;
        }
        if rng.random_bool(0.3) {
            let id = format!("e-{}-{}", conversation.visitor, conversation.events.len());
            let event = json!({"id": id, "visitor": conversation.visitor, "kind": "viewed", "product": "rs-001"});
            if post_event(addr, &event).await? {
                conversation.events.push(id);
            }
        }
    }
    Ok(())
}

/// `POST /v1/events`; whether the server acknowledged it (2xx). Errors when the server is gone.
async fn post_event(addr: SocketAddr, event: &Value) -> Result<bool, String> {
    let body = event.to_string();
    let request = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {API_KEY}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let response = exchange(addr, &request, "events").await?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("events: no status line")?;
    Ok((200..300).contains(&status))
}

/// `GET /admin/shoppers/{visitor}` (from loopback, no admin token set): the export, or `None` when unknown.
async fn export(addr: SocketAddr, visitor: &str) -> Result<Option<Value>, String> {
    let request = format!(
        "GET /admin/shoppers/{visitor} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let text = exchange(addr, &request, "export").await?;
    let (head, body) = text.split_once("\r\n\r\n").ok_or("export: no HTTP head")?;
    match head.split_whitespace().nth(1) {
        Some("200") => serde_json::from_str(body)
            .map(Some)
            .map_err(|e| format!("export: {e}: {body}")),
        Some("404") => Ok(None),
        other => Err(format!("export: status {other:?}: {body}")),
    }
}

/// One HTTP request on a fresh connection (`Connection: close`) within [`WAIT`]; the whole response. Errors,
/// named by `what`, when the server is gone.
async fn exchange(addr: SocketAddr, request: &str, what: &str) -> Result<String, String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(WAIT, exchange)
        .await
        .map_err(|_| format!("{what}: no answer in time"))?
        .map_err(|e| format!("{what}: {e}"))?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// After a restart: the conversation resumes at its last acknowledged step (or, with an answer in flight, one
/// further), and every acknowledged answer, the consent and every shop event are in the shopper's export.
async fn check(url: &str, addr: SocketAddr, conversation: &mut Conversation) -> Result<(), String> {
    let Some(token) = conversation.token.clone() else {
        // Never acknowledged a start: nothing may be asked of it.
        return Ok(());
    };
    let mut socket = connect(url).await?;
    send(
        &mut socket,
        &json!({"type": "start", "v": 1, "flow": "running-shoes", "resume": token}),
    )
    .await?;
    let (current, before) = reply(&mut socket, &STEP_ENDS).await?;
    if current["type"] == "error" {
        return Err(format!(
            "the acknowledged conversation did not resume: {current}"
        ));
    }
    if !before
        .iter()
        .any(|m| m["type"] == "session" && m["resumed"] == true)
    {
        return Err(format!("no resumed session message: {before:?}"));
    }
    let step = step_of(&current).ok_or("resumed at no step")?;
    match conversation.in_flight.take() {
        // The answer in flight was stored after all: it counts as acknowledged from now on.
        Some((question, stored)) if Some(&step) != conversation.at.as_ref() => {
            if conversation.answered.iter().any(|(q, _)| *q == step) {
                return Err(format!(
                    "resumed at `{step}`, a question answered and acknowledged before"
                ));
            }
            conversation.answered.push((question, stored));
            conversation.at = Some(step);
        }
        _ if Some(&step) != conversation.at.as_ref() => {
            return Err(format!(
                "resumed at `{step}`, but the last acknowledged reply stood at `{:?}`",
                conversation.at
            ));
        }
        _ => {}
    }
    let _ = socket.close(None).await;
    if conversation.answered.is_empty() && conversation.events.is_empty() && !conversation.consented
    {
        return Ok(());
    }
    let shopper = export(addr, &conversation.visitor)
        .await?
        .ok_or("the shopper's records are gone")?;
    for (question, stored) in &conversation.answered {
        let found = shopper["answers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["question"] == question.as_str() && a["flow"] == "running-shoes")
            .ok_or(format!(
                "the acknowledged answer to `{question}` is missing"
            ))?;
        if !same_answer(&found["answer"], stored) {
            return Err(format!(
                "the answer to `{question}` is {} but {stored} was acknowledged",
                found["answer"]
            ));
        }
    }
    if conversation.consented
        && !shopper["consents"]
            .as_array()
            .is_some_and(|c| c.iter().any(|e| e["action"] == "given"))
    {
        return Err("the acknowledged consent is missing".into());
    }
    // A consent after an answer queues the picks or the resume email in the consent's own group commit: it is in
    // the outbox, or in the log once the worker tried it (the SMTP server of the test refuses every connection).
    let emailed = |list: &str| {
        shopper[list]
            .as_array()
            .is_some_and(|emails| emails.iter().any(|e| e["flow"] == "running-shoes"))
    };
    if conversation.consented && !emailed("emails_queued") && !emailed("emails_sent") {
        return Err(format!(
            "the email queued with the acknowledged consent is missing: {}",
            shopper["emails_queued"]
        ));
    }
    for id in &conversation.events {
        let stored = shopper["events"]
            .as_array()
            .is_some_and(|events| events.iter().any(|e| e["id"] == id.as_str()));
        if !stored {
            return Err(format!("the acknowledged shop event `{id}` is missing"));
        }
    }
    Ok(())
}

/// Whether a stored answer is the acknowledged one (choices in any order, numbers as numbers).
fn same_answer(stored: &Value, expected: &Value) -> bool {
    if stored["kind"] != expected["kind"] {
        return false;
    }
    match expected["kind"].as_str() {
        Some("choices") => {
            let set = |v: &Value| {
                let mut values: Vec<String> = v["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect();
                values.sort();
                values
            };
            set(stored) == set(expected)
        }
        Some("range") => stored["max"].as_f64() == expected["max"].as_f64(),
        _ => stored == expected,
    }
}
