//! The accept loop: hyper's HTTP/1 connections with a header-read timeout, a cap on connections that have not
//! finished their handshake, and a drain that waits for every connection and conversation when the server stops.
//!
//! `axum::serve` sets no timer on hyper, so a connection that sends half a request header is kept forever
//! (slowloris). Here every connection gets `Limits::header_timeout` to send a complete request head, and one
//! client address may hold at most `Limits::pending_per_ip` connections that have not sent one yet: over it, a new
//! connection is closed at once. Other addresses are not affected.
//!
//! Draining: every HTTP connection task and every chat conversation holds a token of the app's
//! [`TaskTracker`](tokio_util::task::TaskTracker); on stop the loop stops accepting, HTTP connections finish the
//! request they serve, conversations finish their turn and close with 1001, and [`accept`] returns once all tokens
//! are gone.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::AppState;
use super::limits::{Connections, Slot};

/// Accepts connections on `listener` until `stop` turns true, then waits for open connections to finish.
pub(super) async fn accept(
    listener: TcpListener,
    state: AppState,
    router: Router,
    mut stop: watch::Receiver<bool>,
) {
    let pending = Arc::new(Connections::default());
    let tracker = state.0.drain.clone();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = super::chat::stopped(&mut stop) => break,
        };
        let limits = &state.0.settings.limits;
        let Some(slot) = pending.admit(peer.ip(), limits.pending_per_ip) else {
            // Too many unfinished handshakes from this address: close this one before reading a byte.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = serve_connection(
            stream,
            peer,
            router.clone(),
            slot,
            limits.header_timeout,
            stop.clone(),
        );
        tracker.spawn(connection);
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
}

/// One HTTP/1 connection (and its upgrade to a WebSocket, if asked).
async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    slot: Slot,
    header_timeout: std::time::Duration,
    mut stop: watch::Receiver<bool>,
) {
    // The handshake is finished once the first request head has arrived: the place is given back then.
    let unfinished = Arc::new(Mutex::new(Some(slot)));
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        drop(
            unfinished
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take(),
        );
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut router = router.clone();
        async move {
            let response = tower_service::Service::call(&mut router, request).await;
            Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        outcome = connection.as_mut() => {
            if let Err(error) = outcome {
                tracing::debug!(%error, "connection ended");
            }
            return;
        }
        () = super::chat::stopped(&mut stop) => {}
    }
    // Stopping: finish the request in flight (a keep-alive connection closes after it), then end.
    connection.as_mut().graceful_shutdown();
    if let Err(error) = connection.await {
        tracing::debug!(%error, "connection ended");
    }
}
