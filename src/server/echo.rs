//! The bare WebSocket baseline *B* the load generator measures shopkeep against: the same axum WebSocket, with the
//! chat's own settings ([`super::chat::tuned`]: 4 KiB buffers, the same message size limit), that does no work
//! but send frames back.
//!
//! So that frame sizes match too, the echo server is given [`Replies`]: for each client frame the load generator's
//! script sends, the sizes of the frames shopkeep answered it with. It answers a known frame with filler frames of
//! exactly those sizes and any other frame with itself. No parsing, no store, no catalog: the ceiling of what a
//! turn can cost on this machine, measured in the same run.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;

/// For each client frame (its exact text), the frames to answer it with.
#[derive(Clone, Default)]
pub struct Replies(Arc<HashMap<String, Vec<Utf8Bytes>>>);

impl Replies {
    /// Builds the table from `(client frame, sizes in bytes of the frames shopkeep replied with)`.
    pub fn new(turns: impl IntoIterator<Item = (String, Vec<usize>)>) -> Replies {
        let table = turns
            .into_iter()
            .map(|(frame, sizes)| (frame, sizes.into_iter().map(filler).collect()))
            .collect();
        Replies(Arc::new(table))
    }
}

/// A JSON text frame of exactly `size` bytes (at least the few bytes of its shell).
fn filler(size: usize) -> Utf8Bytes {
    const SHELL: &str = r#"{"type":"echo","pad":""}"#;
    let pad = size.saturating_sub(SHELL.len());
    format!(r#"{{"type":"echo","pad":"{}"}}"#, "x".repeat(pad)).into()
}

#[derive(Clone)]
struct Echo {
    replies: Replies,
    limits: super::Limits,
}

/// Serves the echo baseline at `/v1/chat` on `listener` until `stop` resolves.
pub async fn run(
    listener: TcpListener,
    replies: Replies,
    limits: super::Limits,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/v1/chat", get(upgrade))
        .with_state(Echo { replies, limits });
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
}

async fn upgrade(State(echo): State<Echo>, ws: WebSocketUpgrade) -> Response {
    super::chat::tuned(ws, &echo.limits).on_upgrade(move |socket| serve(socket, echo))
}

async fn serve(mut socket: WebSocket, echo: Echo) {
    while let Some(Ok(frame)) = socket.recv().await {
        match frame {
            // The same writing path as the chat's: a turn's frames fed together, one flush.
            Message::Text(text) => {
                let sent = match echo.replies.0.get(text.as_str()) {
                    Some(frames) => {
                        let frames = frames.iter().map(|f| Message::Text(f.clone()));
                        super::chat::send_all(&mut socket, frames, &echo.limits).await
                    }
                    None => {
                        let frame = std::iter::once(Message::Text(text));
                        super::chat::send_all(&mut socket, frame, &echo.limits).await
                    }
                };
                if !sent {
                    return;
                }
            }
            Message::Close(_) => continue,
            Message::Binary(_) | Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filler_frames_have_the_size_asked_for() {
        for size in [0, 10, 24, 25, 300, 4000] {
            assert_eq!(filler(size).len(), size.max(24), "{size}");
        }
        let frame = filler(100);
        let value: serde_json::Value =
            serde_json::from_str(frame.as_str()).expect("filler is JSON");
        assert_eq!(value["type"], "echo");
    }
}
