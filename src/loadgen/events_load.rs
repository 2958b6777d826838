//! Shop events over HTTP beside the chat load: what a shop's server does while shoppers talk to the finder.
//!
//! Batches of `viewed` events are POSTed to `/v1/events` at a fixed rate (one batch every 100 ms, over one
//! keep-alive HTTP/1.1 connection, as a shop's event forwarder would) for as long as the chat measurement runs.
//! Each answer is awaited, so the figures also say whether ingest kept up: events stored, batches refused, and the
//! latency of a POST (which includes its group commit).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::BodyExt;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::BenchError;

/// The API key the in-process bench server accepts for its events.
pub const API_KEY: &str = "shopkeep-bench-events";

/// Batches per second: the rate is spread over this many POSTs.
const BATCHES_PER_SECOND: u32 = 10;

/// What the event sender did during one measurement.
#[derive(Clone)]
pub struct Posted {
    /// The events per second asked for.
    pub rate: u32,
    /// Events the server answered as stored (or as duplicates, which it also keeps once).
    pub stored: u64,
    /// Batches answered with anything but 200, or not answered.
    pub refused: u64,
    /// POST latency, microseconds.
    pub latency: Histogram<u64>,
    pub elapsed: Duration,
}

impl Posted {
    pub fn per_second(&self) -> f64 {
        self.stored as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `work` while posting `rate` events per second to `addr`; returns what `work` returned and what was posted.
pub async fn beside<F: Future>(
    addr: SocketAddr,
    rate: u32,
    products: Arc<Vec<String>>,
    work: F,
) -> Result<(F::Output, Posted), BenchError> {
    if products.is_empty() {
        return Err(BenchError::Io(
            "the catalog has no products to send events about".into(),
        ));
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let sender = tokio::spawn(post_until(addr, rate, products, stopped));
    let output = work.await;
    let _ = stop.send(true);
    let posted = sender
        .await
        .map_err(|e| BenchError::Io(format!("the event sender failed: {e}")))??;
    Ok((output, posted))
}

async fn post_until(
    addr: SocketAddr,
    rate: u32,
    products: Arc<Vec<String>>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> Result<Posted, BenchError> {
    let per_batch = (rate / BATCHES_PER_SECOND).max(1) as usize;
    let mut posted = Posted {
        rate,
        stored: 0,
        refused: 0,
        latency: Histogram::new_with_bounds(1, 600_000_000, 3)
            .map_err(|e| BenchError::Io(e.to_string()))?,
        elapsed: Duration::ZERO,
    };
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / BATCHES_PER_SECOND);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sender = None;
    let mut sequence = 0usize;
    let started = Instant::now();
    loop {
        // Ticks first: the first batch goes out even when the measurement is over before this task first runs.
        tokio::select! {
            biased;
            _ = ticks.tick() => {}
            _ = stopped.changed() => break,
        }
        if *stopped.borrow() && sequence > 0 {
            break;
        }
        let body = batch(&products, &mut sequence, per_batch);
        let sent = Instant::now();
        match post(&mut sender, addr, body).await {
            Ok(200) => posted.stored += per_batch as u64,
            Ok(_) | Err(_) => {
                posted.refused += 1;
                sender = None;
            }
        }
        let _ = posted
            .latency
            .record((sent.elapsed().as_micros() as u64).max(1));
    }
    posted.elapsed = started.elapsed();
    Ok(posted)
}

pub(super) type Sender = hyper::client::conn::http1::SendRequest<String>;

/// The kept keep-alive HTTP/1.1 connection to `addr`, opened (again) when there is none or it broke, and ready
/// for the next request: after an answer is read, the connection's task may not yet have taken the next one, and
/// a request sent before that is refused ("connection was not ready").
pub(super) async fn kept(
    sender: &mut Option<Sender>,
    addr: SocketAddr,
) -> Result<&mut Sender, String> {
    if let Some(open) = sender.as_mut()
        && open.ready().await.is_err()
    {
        *sender = None;
    }
    if sender.as_ref().is_none_or(|s| s.is_closed()) {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let (opened, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        *sender = Some(opened);
    }
    sender.as_mut().ok_or_else(|| "no connection".to_string())
}

/// One POST of `body` over the kept connection (opened again when it broke); the answer's status.
pub(super) async fn post(
    sender: &mut Option<Sender>,
    addr: SocketAddr,
    body: String,
) -> Result<u16, String> {
    let open = kept(sender, addr).await?;
    let request = Request::post("/v1/events")
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::AUTHORIZATION, format!("Bearer {API_KEY}"))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(body)
        .map_err(|e| e.to_string())?;
    let answer = tokio::time::timeout(Duration::from_secs(5), async {
        let response = open
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        // Read the whole answer so the connection can carry the next request.
        response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(status)
    })
    .await;
    answer.unwrap_or_else(|_| Err("no answer within 5 s".into()))
}

/// `count` `viewed` events as one `{"events": […]}` body: 500 visitors, 5 views per browsing session.
fn batch(products: &[String], sequence: &mut usize, count: usize) -> String {
    let events: Vec<serde_json::Value> = (0..count)
        .map(|_| {
            let n = *sequence;
            *sequence += 1;
            serde_json::json!({
                "id": format!("bench-{n}"),
                "visitor": format!("v-bench-{}", n % 500),
                "kind": "viewed",
                "product": products[n.wrapping_mul(7919) % products.len()],
                "session": format!("s-bench-{}", n / 5),
            })
        })
        .collect();
    serde_json::json!({ "events": events }).to_string()
}
