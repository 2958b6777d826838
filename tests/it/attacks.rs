//! What an attacker (or an unlucky network) does from outside, against the real server on port 0 with real
//! clients: half-sent request heads (slowloris), message floods, a stop under load. Each test names the threat
//! of docs/security.md it covers.

use std::time::Duration;

use serde_json::json;
use shopkeep::server::{Limits, Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;

use crate::process::{kill, serve_with};
use crate::support::{Client, http_raw, spawn_with};

/// A connection that sent half a request head; reading it tells when the server closed it.
async fn half_head(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: shop\r\nX-Slow: ")
        .await
        .expect("send half a head");
    stream
}

/// Waits until the server closes `stream` (EOF or reset), at most `within`; how long it took.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Duration {
    let started = tokio::time::Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(started + within, stream.read(&mut buffer)).await {
            Err(_) => panic!("the connection was still open after {within:?}"),
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            // The server may say 408 before it closes.
            Ok(Ok(_)) => continue,
        }
    }
}

/// GET /healthz from the source address `from`; the status.
async fn health_from(addr: std::net::SocketAddr, from: [u8; 4]) -> u16 {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(std::net::SocketAddr::from((from, 0)))
        .expect("bind a loopback source address");
    let mut stream = socket.connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .expect("a response in time")
        .expect("read");
    let head = String::from_utf8_lossy(&response);
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Slowloris: half-sent heads are closed after the header timeout, and one address cannot hold more than its
/// share of unfinished handshakes while other addresses are served.
#[tokio::test]
async fn half_sent_request_heads_are_timed_out_and_capped_per_address() {
    let settings = Settings {
        limits: Limits {
            header_timeout: Duration::from_secs(2),
            pending_per_ip: 3,
            ..Limits::default()
        },
        ..Settings::default()
    };
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
    let mut slow = Vec::new();
    for _ in 0..3 {
        slow.push(half_head(app.addr).await);
    }
    // Give the server a moment to have accepted all three.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut over = half_head(app.addr).await;
    let took = closed_within(&mut over, Duration::from_secs(10)).await;
    assert!(
        took < Duration::from_secs(1),
        "a fourth unfinished handshake from one address is closed at once (took {took:?})"
    );
    assert_eq!(
        health_from(app.addr, [127, 0, 0, 2]).await,
        200,
        "another address is served while one holds its share"
    );
    for stream in &mut slow {
        let took = closed_within(stream, Duration::from_secs(8)).await;
        assert!(
            took <= Duration::from_secs(5),
            "a half-sent head is closed after the 2 s header timeout (took {took:?})"
        );
    }
    assert_eq!(
        http_raw(app.addr, "GET", "/healthz", &[]).await.status,
        200,
        "the address is served again once its slow connections are gone"
    );
    app.stop().await;
}

/// Floods: a client that sends 2 000 messages as fast as it can sees close 1008, every time.
#[tokio::test]
async fn a_flood_of_2000_messages_is_closed_with_1008_seen_by_the_client() {
    let settings = Settings {
        limits: Limits {
            messages_per_second: 10,
            message_burst: 20,
            ..Limits::default()
        },
        ..Settings::default()
    };
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
    for round in 0..3 {
        let mut client = app.client().await;
        client.start("running-shoes", "en").await;
        let mut sent = 0;
        for _ in 0..2000 {
            if !client.try_send(json!({"type": "back"})).await {
                break;
            }
            sent += 1;
        }
        assert!(sent > 20, "round {round}: the flood was sent ({sent})");
        assert_eq!(
            client.closed().await,
            Some(1008),
            "round {round}: the flooding client read close 1008"
        );
    }
    app.stop().await;
}

/// SIGTERM under load: every conversation gets the reply to each message the server read, then close 1001; none
/// is cut off; and every acknowledged answer is there after the restart.
#[tokio::test]
async fn sigterm_under_load_answers_every_turn_then_closes_with_1001() {
    let data = tempfile::tempdir().expect("temp dir");
    let (mut child, url) = serve_with(
        data.path(),
        &[
            "--messages-per-second",
            "0",
            "--connections-per-ip",
            "0",
            "--pending-per-ip",
            "0",
        ],
    )
    .await;
    let clients = 60;
    let mut tasks = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(clients);
    for _ in 0..clients {
        let url = url.clone();
        let ready = ready_tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(&url).await;
            let (session, _) = client.start("running-shoes", "en").await;
            let token = session["token"].as_str().expect("token").to_string();
            let _ = ready.send(()).await;
            // Answer and go back as fast as the server replies, until it stops.
            let mut acknowledged = None;
            let mut turns = 0u32;
            loop {
                let answer = if turns.is_multiple_of(2) {
                    json!({"type": "answer", "value": "trail"})
                } else {
                    json!({"type": "back"})
                };
                if !client.try_send(answer).await {
                    return (token, acknowledged, None);
                }
                // The reply (a question) or the close.
                loop {
                    match client.frame(Duration::from_secs(30)).await {
                        Some(Message::Text(text)) => {
                            let reply: serde_json::Value =
                                serde_json::from_str(&text).expect("JSON");
                            if reply["type"] == "question" {
                                acknowledged = reply["id"].as_str().map(str::to_string);
                                break;
                            }
                        }
                        Some(Message::Close(frame)) => {
                            return (token, acknowledged, frame.map(|f| u16::from(f.code)));
                        }
                        Some(_) => {}
                        None => return (token, acknowledged, None),
                    }
                }
                turns += 1;
            }
        }));
    }
    drop(ready_tx);
    for _ in 0..clients {
        tokio::time::timeout(Duration::from_secs(30), ready_rx.recv())
            .await
            .expect("every client starts in time")
            .expect("every client started");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = rustix::process::Pid::from_raw(child.id().expect("pid") as i32).expect("a pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
    let stopped_at = tokio::time::Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(25), child.wait())
        .await
        .expect("the server stops within the documented 20 s")
        .expect("wait");
    assert!(status.success(), "a clean exit: {status:?}");
    assert!(stopped_at.elapsed() <= Duration::from_secs(21));
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("client task"));
    }
    let cut: Vec<_> = outcomes
        .iter()
        .filter(|(_, _, code)| *code != Some(1001))
        .collect();
    assert!(
        cut.is_empty(),
        "{} of {clients} conversations ended without close 1001: {cut:?}",
        cut.len()
    );
    // Every acknowledged step is where the conversation stands after a restart.
    let (child, url) = serve_with(data.path(), &["--messages-per-second", "0"]).await;
    for (token, acknowledged, _) in &outcomes {
        let Some(expected) = acknowledged else {
            continue;
        };
        let mut client = Client::connect(&url).await;
        let (_, question) = client.resume("running-shoes", token).await;
        assert_eq!(&question["id"], expected.as_str(), "{question:#}");
    }
    kill(child).await;
}

/// One conversation on two connections (a duplicated tab): the newest resume owns it, the older connection is
/// closed with 4001, and no acknowledged answer is ever lost, also when a resume races an answer in flight.
#[tokio::test]
async fn a_second_connection_takes_the_conversation_over_without_losing_answers() {
    let app = crate::support::spawn_app().await;
    let mut first = app.client().await;
    let (session, _) = first.start("running-shoes", "en").await;
    let token = session["token"].as_str().expect("token").to_string();
    assert_eq!(
        first.answer(json!({"value": "trail"})).await["id"],
        "waterproof"
    );
    let mut second = app.client().await;
    let (_, question) = second.resume("running-shoes", &token).await;
    assert_eq!(question["id"], "waterproof", "the copy starts where it was");
    assert_eq!(
        first.closed().await,
        Some(4001),
        "the older tab is told the conversation continued elsewhere"
    );
    assert_eq!(
        second.answer(json!({"value": "yes"})).await["id"],
        "priorities"
    );
    // The first tab takes it back, with the second tab's acknowledged answer.
    let mut again = app.client().await;
    let (_, question) = again.resume("running-shoes", &token).await;
    assert_eq!(question["id"], "priorities");
    assert_eq!(second.closed().await, Some(4001));

    // Races: an answer in flight on the owner while another connection resumes. Whatever the owner had
    // acknowledged is what the newcomer sees.
    for round in 0..20 {
        let mut owner = app.client().await;
        let (session, _) = owner.start("running-shoes", "en").await;
        let token = session["token"].as_str().expect("token").to_string();
        owner
            .send(json!({"type": "answer", "value": "trail"}))
            .await;
        let mut newcomer = app.client().await;
        let (_, resumed) = newcomer.resume("running-shoes", &token).await;
        let mut acknowledged = false;
        loop {
            match owner.frame(Duration::from_secs(10)).await {
                Some(Message::Text(text)) => {
                    let reply: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                    if reply["type"] == "question" {
                        assert_eq!(reply["id"], "waterproof");
                        acknowledged = true;
                    }
                }
                Some(Message::Close(frame)) => {
                    assert_eq!(frame.map(|f| u16::from(f.code)), Some(4001));
                    break;
                }
                Some(_) => {}
                None => panic!("round {round}: the older connection ended without 4001"),
            }
        }
        if acknowledged {
            assert_eq!(
                resumed["id"], "waterproof",
                "round {round}: the acknowledged answer is in the resumed conversation"
            );
        }
        // The newcomer's answers are the only ones written from now on.
        let next = newcomer
            .answer(if resumed["id"] == "terrain" {
                json!({"value": "road"})
            } else {
                json!({"value": "yes"})
            })
            .await;
        assert!(next["type"] == "question", "round {round}: {next:#}");
    }
    app.stop().await;
}
