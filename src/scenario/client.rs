//! The runner's side of one chat conversation: a WebSocket to `/v1/chat` where every wait is bounded, and the
//! protocol message for each step's action.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use super::Action;
use super::wire::{Incoming, Screen};
use crate::conversation::{Input, Reply};

/// Messages a turn may bring before its question or products (greetings, info messages).
pub const MAX_MESSAGES: usize = 32;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One conversation over a WebSocket, each wait bounded.
pub struct Conversation {
    ws: Ws,
    timeout: Duration,
}

impl Conversation {
    pub async fn connect(url: &str, timeout: Duration) -> Result<Conversation, String> {
        match tokio::time::timeout(timeout, connect_async(url)).await {
            Ok(Ok((ws, _))) => Ok(Conversation { ws, timeout }),
            Ok(Err(e)) => Err(format!(
                "cannot connect to {url}: {e}; is the server running?"
            )),
            Err(_) => Err(format!("no connection to {url} within {:?}", timeout)),
        }
    }

    pub async fn send(&mut self, message: Value) -> Result<(), String> {
        let text = message.to_string();
        match tokio::time::timeout(self.timeout, self.ws.send(Message::Text(text.into()))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the connection broke while sending: {e}")),
            Err(_) => Err(format!("sending took longer than {:?}", self.timeout)),
        }
    }

    /// Reads until a question or products message; an `error` message is returned as `Err`.
    pub async fn screen(&mut self) -> Result<Screen, String> {
        for _ in 0..MAX_MESSAGES {
            let frame = tokio::time::timeout(self.timeout, self.ws.next())
                .await
                .map_err(|_| format!("no reply within {:?}", self.timeout))?;
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Close(frame))) => {
                    return Err(format!("the server closed the conversation: {frame:?}"));
                }
                Some(Ok(other)) => {
                    return Err(format!("the server sent a non-text frame: {other:?}"));
                }
                Some(Err(e)) => return Err(format!("the connection broke: {e}")),
                None => return Err("the server ended the connection".into()),
            };
            match serde_json::from_str::<Incoming>(&text) {
                Ok(Incoming::Question(q)) => return Ok(Screen::Question(q)),
                Ok(Incoming::Products(p)) => return Ok(Screen::Products(p)),
                Ok(Incoming::Error { code, message }) => {
                    return Err(format!(
                        "the server answered with error `{code}`: {message}"
                    ));
                }
                Ok(Incoming::Session { .. } | Incoming::Message { .. }) => {}
                Err(e) => {
                    return Err(format!(
                        "the server sent a message the runner cannot read ({e}): {text}"
                    ));
                }
            }
        }
        Err(format!(
            "no question or products among {MAX_MESSAGES} messages"
        ))
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(self.timeout, self.ws.close(None)).await;
    }
}

/// The protocol message for `action`, and the same as an engine input (for the coverage replay).
pub fn message(action: &Action) -> (Value, Input) {
    match action {
        Action::Value(v) => (
            json!({"type": "answer", "value": v}),
            Input::Answer(Reply::Value(v.clone())),
        ),
        Action::Values(vs) => (
            json!({"type": "answer", "values": vs}),
            Input::Answer(Reply::Values(vs.clone())),
        ),
        Action::Text(t) => (
            json!({"type": "answer", "text": t}),
            Input::Answer(Reply::Text(t.clone())),
        ),
        Action::Range { min, max } => {
            let mut range = serde_json::Map::new();
            if let Some(min) = min {
                range.insert("min".into(), json!(min));
            }
            if let Some(max) = max {
                range.insert("max".into(), json!(max));
            }
            (
                json!({"type": "answer", "range": range}),
                Input::Answer(Reply::Range {
                    min: *min,
                    max: *max,
                }),
            )
        }
        Action::Back => (json!({"type": "back"}), Input::Back),
        Action::Restart => (json!({"type": "restart"}), Input::Restart),
        Action::Skip => (json!({"type": "skip"}), Input::Skip),
        Action::ResultsNow => (json!({"type": "results_now"}), Input::ResultsNow),
    }
}
