//! `shopkeep bench-recs`: shop events and recommendations at scale, through a real in-process server.
//!
//! 1. **Ingest**: `connections` keep-alive HTTP/1.1 connections POST batches of `batch` events to `/v1/events`
//!    as fast as the server answers (closed loop), until `events` events are stored. Each answer comes after the
//!    batch's group commit, so the rate is of *durable* events.
//! 2. **Recommendations**: `requests` `GET /v1/visitors/{id}/recommendations` one after another over one
//!    connection, for shoppers with history (half of them on a product page), against the store and the model
//!    those events built; latency is measured at the client.
//!
//! The events have shape: 10 events per browsing session, two sessions per shopper, views of products near each
//! other in the catalog (so co-occurrence has something to find) and a cart at the end of each session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::BodyExt;
use hyper::Request;

use super::BenchError;
use super::events_load::{API_KEY, Sender, post};

/// What one run measured.
pub struct Figures {
    pub events: usize,
    pub ingest: Duration,
    /// POST latency per batch, microseconds.
    pub batch_latency: Histogram<u64>,
    pub refused: u64,
    /// Recommendation request latency, microseconds.
    pub latency: Histogram<u64>,
    /// Requests that returned no recommendation (should be none).
    pub empty: u64,
}

impl Figures {
    pub fn per_second(&self) -> f64 {
        self.events as f64 / self.ingest.as_secs_f64().max(1e-9)
    }
}

fn histogram() -> Result<Histogram<u64>, BenchError> {
    Histogram::new_with_bounds(1, 600_000_000, 3).map_err(|e| BenchError::Io(e.to_string()))
}

/// Events per browsing session and sessions per shopper.
const SESSION: usize = 10;
const SESSIONS_PER_SHOPPER: usize = 2;

/// The event with sequence number `n`, as JSON.
fn event(products: &[String], n: usize) -> serde_json::Value {
    let session = n / SESSION;
    let step = n % SESSION;
    // Each session browses a neighbourhood of the catalog: the co-occurrence model sees real pairs.
    let base = session.wrapping_mul(7919) % products.len();
    let product = &products[(base + step * 3) % products.len()];
    let shopper = session / SESSIONS_PER_SHOPPER;
    let kind = if step == SESSION - 1 {
        "added_to_cart"
    } else {
        "viewed"
    };
    serde_json::json!({
        "id": format!("r-{n}"),
        "visitor": format!("v-{shopper}"),
        "session": format!("s-{session}"),
        "kind": kind,
        "product": product,
    })
}

/// Runs both measurements against the server at `addr`, which serves `products`.
pub async fn run(
    addr: SocketAddr,
    products: Arc<Vec<String>>,
    events: usize,
    connections: usize,
    batch: usize,
    requests: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<Figures, BenchError> {
    if products.is_empty() {
        return Err(BenchError::Io("the catalog has no products".into()));
    }
    progress(&format!(
        "posting {events} events in batches of {batch} over {connections} connections"
    ));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut senders = Vec::new();
    for _ in 0..connections {
        let (next, products) = (Arc::clone(&next), Arc::clone(&products));
        senders.push(tokio::spawn(async move {
            let mut latency = histogram()?;
            let mut refused = 0u64;
            let mut sender: Option<Sender> = None;
            loop {
                let first = next.fetch_add(batch, std::sync::atomic::Ordering::Relaxed);
                if first >= events {
                    break;
                }
                let last = (first + batch).min(events);
                let body: Vec<serde_json::Value> =
                    (first..last).map(|n| event(&products, n)).collect();
                let body = serde_json::json!({ "events": body }).to_string();
                let sent = Instant::now();
                match post(&mut sender, addr, body).await {
                    Ok(200) => {}
                    _ => {
                        refused += 1;
                        sender = None;
                    }
                }
                let _ = latency.record((sent.elapsed().as_micros() as u64).max(1));
            }
            Ok::<_, BenchError>((latency, refused))
        }));
    }
    let mut batch_latency = histogram()?;
    let mut refused = 0;
    for sender in senders {
        let (latency, n) = sender
            .await
            .map_err(|e| BenchError::Io(format!("an event sender failed: {e}")))??;
        batch_latency
            .add(&latency)
            .map_err(|e| BenchError::Io(e.to_string()))?;
        refused += n;
    }
    let ingest = started.elapsed();

    progress(&format!("asking for recommendations {requests} times"));
    let shoppers = (events / SESSION / SESSIONS_PER_SHOPPER).max(1);
    let mut latency = histogram()?;
    let mut empty = 0;
    let mut sender: Option<Sender> = None;
    for n in 0..requests {
        let shopper = n.wrapping_mul(104_729) % shoppers;
        let path = if n % 2 == 0 {
            format!("/v1/visitors/v-{shopper}/recommendations?limit=10")
        } else {
            let product = &products[n.wrapping_mul(31) % products.len()];
            format!("/v1/visitors/v-{shopper}/recommendations?limit=10&context={product}")
        };
        let sent = Instant::now();
        let body = get(&mut sender, addr, &path)
            .await
            .map_err(BenchError::Io)?;
        let _ = latency.record((sent.elapsed().as_micros() as u64).max(1));
        if !body.contains("\"product\"") {
            empty += 1;
        }
    }
    Ok(Figures {
        events,
        ingest,
        batch_latency,
        refused,
        latency,
        empty,
    })
}

/// One GET over the kept connection; the body.
async fn get(sender: &mut Option<Sender>, addr: SocketAddr, path: &str) -> Result<String, String> {
    let open = super::events_load::kept(sender, addr).await?;
    let request = Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::AUTHORIZATION, format!("Bearer {API_KEY}"))
        .body(String::new())
        .map_err(|e| e.to_string())?;
    let answer = tokio::time::timeout(Duration::from_secs(5), async {
        let response = open
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        let body = String::from_utf8_lossy(&body.to_bytes()).to_string();
        if status != 200 {
            return Err(format!("{status}: {body}"));
        }
        Ok(body)
    })
    .await;
    answer.unwrap_or_else(|_| Err(format!("no answer to {path} within 5 s")))
}
