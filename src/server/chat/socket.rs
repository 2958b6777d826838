//! Writing to and closing a chat socket: bounded sends (one flush per turn), close codes for what the peer did,
//! and a closing handshake that lets the client read its close frame.

use super::*;

/// The RFC 6455 close code for a read error the peer caused, if the connection can still say so.
pub(super) fn close_code_for(error: axum::Error) -> Option<(u16, &'static str)> {
    use tokio_tungstenite::tungstenite::Error as WsError;
    use tokio_tungstenite::tungstenite::error::CapacityError;
    let error = match error.into_inner().downcast::<WsError>() {
        Ok(error) => *error,
        Err(other) => {
            tracing::debug!(error = %other, "connection ended");
            return None;
        }
    };
    tracing::debug!(%error, "connection ended");
    match error {
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => {
            Some((1009, "the message is over the size limit; send less"))
        }
        WsError::Utf8(_) => Some((1007, "a text frame was not valid UTF-8")),
        WsError::Protocol(_) => Some((1002, "that frame breaks the WebSocket protocol")),
        _ => None,
    }
}

/// Sends one frame within the send timeout; `false` when the connection is gone or stuck.
pub(super) async fn send(socket: &mut WebSocket, message: Message, limits: &Limits) -> bool {
    send_all(socket, std::iter::once(message), limits).await
}

/// Sends a turn's frames within the send timeout, written out together (one flush, so usually one `write` to the
/// socket for the whole reply rather than one per frame); `false` when the connection is gone or stuck.
pub(in crate::server) async fn send_all(
    socket: &mut WebSocket,
    frames: impl Iterator<Item = Message>,
    limits: &Limits,
) -> bool {
    use futures_util::SinkExt;
    let sending = async {
        for frame in frames {
            socket.feed(frame).await?;
        }
        socket.flush().await
    };
    match tokio::time::timeout(limits.send_timeout, sending).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::debug!(%error, "sending failed");
            false
        }
        Err(_) => {
            tracing::debug!("the client stopped reading; giving up on it");
            false
        }
    }
}

pub(in crate::server) async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    // `wait_for` holds a non-Send guard in its future; compare the value in a loop instead.
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Closes the connection with `code` and finishes the closing handshake: reads (and drops) what the client still
/// sends until its close reply, for at most two seconds. Dropping the socket while the client's messages sit unread
/// would make the kernel reset the connection, and a reset can discard the close frame before the client reads it
/// (a flood closed with 1008 would look like a network failure).
pub(super) async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let sent = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
    if sent.is_err() {
        return;
    }
    let drain = async { while let Some(Ok(_)) = socket.recv().await {} };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
}
