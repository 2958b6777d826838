//! The load-generator client: N concurrent connections, each walking the [`Script`] in a closed loop, with
//! client-side turn latency in `hdrhistogram`s (one per connection, merged at the end, so recording takes no lock).
//!
//! The same client drives shopkeep and the echo baseline: it counts a turn complete after the number of frames
//! calibration saw, and only looks at each frame's first bytes (`{"type":"error"` ends a turn as an error).
//! Everything is bounded: a deadline, a cap on turns, and a timeout on every connect and every frame.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::net::TcpStream;
use tokio::sync::Barrier;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};

use super::BenchError;
use super::script::Script;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a client WebSocket with small buffers (as the server's), within `timeout`.
pub async fn connect(url: &str, timeout: Duration) -> Result<Socket, BenchError> {
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    match tokio::time::timeout(timeout, connect_async_with_config(url, Some(config), true)).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(e)) => Err(BenchError::Connect {
            url: url.to_string(),
            reason: e.to_string(),
        }),
        Err(_) => Err(BenchError::Connect {
            url: url.to_string(),
            reason: format!("no answer within {timeout:?}"),
        }),
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Load {
    pub url: String,
    pub connections: usize,
    pub duration: Duration,
    /// Stop after this many turns in all, even before the deadline.
    pub max_turns: u64,
    pub timeout: Duration,
}

/// Latencies in microseconds and counts of one class of turns.
#[derive(Clone)]
pub struct Turns {
    pub latency: Histogram<u64>,
    pub errors: u64,
}

impl Turns {
    fn new() -> Turns {
        Turns {
            // 1 µs .. 10 min, 3 significant digits.
            latency: Histogram::new_with_bounds(1, 600_000_000, 3)
                .expect("these bounds are valid for hdrhistogram"),
            errors: 0,
        }
    }

    fn merge(&mut self, other: &Turns) {
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        self.errors += other.errors;
    }

    pub fn count(&self) -> u64 {
        self.latency.len()
    }

    /// The latency at quantile `q` (0.5, 0.99, 0.999), in microseconds.
    pub fn micros(&self, q: f64) -> u64 {
        self.latency.value_at_quantile(q)
    }
}

/// What one load run measured.
#[derive(Clone)]
pub struct Outcome {
    pub connections: usize,
    pub non_final: Turns,
    pub final_: Turns,
    /// Connections that failed or broke (each is retried until the deadline).
    pub connection_errors: u64,
    pub elapsed: Duration,
}

impl Outcome {
    /// Completed turns of a class per second.
    pub fn rate(&self, turns: &Turns) -> f64 {
        turns.count() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn errors(&self) -> u64 {
        self.non_final.errors + self.final_.errors + self.connection_errors
    }
}

/// Runs `load` with every connection walking `script`; the clock starts once all connections are open.
pub async fn drive(load: &Load, script: Arc<Script>) -> Result<Outcome, BenchError> {
    let barrier = Arc::new(Barrier::new(load.connections + 1));
    let turns = Arc::new(AtomicU64::new(0));
    // Open every connection before starting any walk, so a failed connect leaves no task waiting at the barrier.
    let mut sockets = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        sockets.push(connect(&load.url, load.timeout).await?);
    }
    let mut tasks = Vec::with_capacity(load.connections);
    for (n, socket) in sockets.into_iter().enumerate() {
        let (barrier, turns, script, load) =
            (barrier.clone(), turns.clone(), script.clone(), load.clone());
        tasks.push(tokio::spawn(async move {
            let frames = script.frames_for(n);
            barrier.wait().await;
            walk(socket, &load, &script, &frames, &turns).await
        }));
    }
    barrier.wait().await;
    let started = Instant::now();
    let mut outcome = Outcome {
        connections: load.connections,
        non_final: Turns::new(),
        final_: Turns::new(),
        connection_errors: 0,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        match task.await {
            Ok(one) => {
                outcome.non_final.merge(&one.non_final);
                outcome.final_.merge(&one.final_);
                outcome.connection_errors += one.connection_errors;
            }
            Err(_) => outcome.connection_errors += 1,
        }
    }
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

struct Walked {
    non_final: Turns,
    final_: Turns,
    connection_errors: u64,
}

/// One connection's closed loop until the deadline or the turn cap, sending its own `frames` of the script's steps;
/// reconnects (and starts over) after a failure.
async fn walk(
    socket: Socket,
    load: &Load,
    script: &Script,
    frames: &[String],
    turns: &AtomicU64,
) -> Walked {
    let deadline = Instant::now() + load.duration;
    let mut walked = Walked {
        non_final: Turns::new(),
        final_: Turns::new(),
        connection_errors: 0,
    };
    let mut socket = Some(socket);
    let mut at = 0;
    while Instant::now() < deadline && turns.fetch_add(1, Ordering::Relaxed) < load.max_turns {
        let Some(open) = socket.as_mut() else {
            match connect(&load.url, load.timeout).await {
                Ok(fresh) => socket = Some(fresh),
                Err(_) => {
                    walked.connection_errors += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            at = 0;
            continue;
        };
        let step = &script.steps[at];
        let class = if step.is_final {
            &mut walked.final_
        } else {
            &mut walked.non_final
        };
        let sent = Instant::now();
        match turn(open, &frames[at], step.replies, load.timeout).await {
            Ok(()) => {
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                let _ = class.latency.record(micros.max(1));
                at = script.next(at);
            }
            Err(TurnError::Refused) => class.errors += 1,
            Err(TurnError::Broken) => {
                class.errors += 1;
                walked.connection_errors += 1;
                socket = None;
            }
        }
    }
    if let Some(mut open) = socket {
        let _ = tokio::time::timeout(load.timeout, open.close(None)).await;
    }
    walked
}

enum TurnError {
    /// The server answered with an error frame; the connection lives on.
    Refused,
    /// A timeout, a close or a transport error: the connection is given up.
    Broken,
}

async fn turn(
    socket: &mut Socket,
    frame: &str,
    replies: usize,
    timeout: Duration,
) -> Result<(), TurnError> {
    socket
        .send(Message::Text(frame.into()))
        .await
        .map_err(|_| TurnError::Broken)?;
    let mut got = 0;
    while got < replies {
        match tokio::time::timeout(timeout, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                if text.as_str().starts_with(r#"{"type":"error""#) {
                    return Err(TurnError::Refused);
                }
                got += 1;
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            _ => return Err(TurnError::Broken),
        }
    }
    Ok(())
}

/// One turn outside a load run (warm-up, idle connections): fails when the server refuses it or does not answer.
pub async fn turn_once(
    socket: &mut Socket,
    frame: &str,
    replies: usize,
    timeout: Duration,
) -> Result<(), BenchError> {
    turn(socket, frame, replies, timeout)
        .await
        .map_err(|error| match error {
            TurnError::Refused => BenchError::Refused(frame.to_string()),
            TurnError::Broken => BenchError::Broken(frame.to_string()),
        })
}
