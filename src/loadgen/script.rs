//! The scripted conversation every load-generator connection walks, and its calibration.
//!
//! The script walks the running-shoe finder to its results: `start`, five answers (the fifth is the *final* turn,
//! which runs the catalog match), then `restart`, and round again from the first answer. Calibration walks it
//! once against the server under test and notes how many frames, of which sizes, answer each step: the client
//! then knows when a turn is complete without parsing JSON (so the same client serves shopkeep and the echo
//! baseline at the same cost), and the echo baseline answers with frames of the same sizes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::BenchError;
use super::client::{Socket, connect};

/// One client frame of the script.
#[derive(Clone, Debug)]
pub struct Step {
    pub frame: String,
    /// The turn that completes the finder and runs the match.
    pub is_final: bool,
    /// How many frames answer it (from calibration).
    pub replies: usize,
    /// Their sizes in bytes (from calibration), for the echo baseline.
    pub sizes: Vec<usize>,
}

/// Stands for the connection's number in a frame (see [`Script::frames_for`]).
pub const CONNECTION: &str = "{connection}";

/// The steps, in order; after the last, the walk goes on at [`Script::cycle_from`].
#[derive(Clone, Debug)]
pub struct Script {
    pub steps: Vec<Step>,
    pub cycle_from: usize,
}

impl Script {
    /// The running-shoe walk, not yet calibrated.
    pub fn running_shoes() -> Script {
        let frames = [
            (
                r#"{"type":"start","v":1,"flow":"running-shoes","locale":"en"}"#,
                false,
            ),
            (r#"{"type":"answer","value":"trail"}"#, false),
            (r#"{"type":"answer","text":"yes please"}"#, false),
            (r#"{"type":"answer","values":["cushioning"]}"#, false),
            (r#"{"type":"answer","range":{"max":120}}"#, false),
            (r#"{"type":"answer","value":"any"}"#, true),
            (r#"{"type":"restart"}"#, false),
        ];
        Script {
            steps: frames
                .iter()
                .map(|(frame, is_final)| Step {
                    frame: (*frame).to_string(),
                    is_final: *is_final,
                    replies: 1,
                    sizes: Vec::new(),
                })
                .collect(),
            cycle_from: 1,
        }
    }

    /// The running-shoe walk of a shopper the product remembers: after the picks, every walk gives an email (one
    /// per connection: [`CONNECTION`] in the frame becomes the connection's number) and consent, so each walk
    /// records a consent, sets the profile's email, and the next finished finder queues its picks email.
    pub fn remembered() -> Script {
        let mut script = Script::running_shoes();
        let restart = script.steps.len() - 1;
        script.steps.insert(
            restart,
            Step {
                frame: format!(
                    r#"{{"type":"consent","email":"bench-{CONNECTION}@example.com","consent":true}}"#
                ),
                is_final: false,
                replies: 1,
                sizes: Vec::new(),
            },
        );
        script
    }

    /// The frames connection `n` sends, in step order ([`CONNECTION`] replaced by `n`, zero-padded so every
    /// connection's frames have the same size).
    pub fn frames_for(&self, n: usize) -> Vec<String> {
        self.steps
            .iter()
            .map(|s| s.frame.replace(CONNECTION, &format!("{n:06}")))
            .collect()
    }

    /// The step after `at`.
    pub fn next(&self, at: usize) -> usize {
        if at + 1 < self.steps.len() {
            at + 1
        } else {
            self.cycle_from
        }
    }

    /// Walks the script once against `url`, recording each step's replies; fails when a step is answered with an
    /// error or does not end in a question or products.
    pub async fn calibrate(&mut self, url: &str, timeout: Duration) -> Result<(), BenchError> {
        let mut socket = connect(url, timeout).await?;
        // A number no load connection has.
        let frames = self.frames_for(999_999);
        for (step, frame) in self.steps.iter_mut().zip(frames) {
            let sizes = walk_step(&mut socket, &frame, timeout).await?;
            step.replies = sizes.len();
            step.sizes = sizes;
        }
        let _ = socket.close(None).await;
        Ok(())
    }

    /// `(client frame, reply sizes)` for the echo baseline.
    pub fn reply_table(&self) -> Vec<(String, Vec<usize>)> {
        self.steps
            .iter()
            .map(|s| (s.frame.clone(), s.sizes.clone()))
            .collect()
    }
}

/// Sends one frame and reads until the turn's question or products arrive (for a `consent`, the message that
/// thanks the shopper); returns every reply's size.
async fn walk_step(
    socket: &mut Socket,
    frame: &str,
    timeout: Duration,
) -> Result<Vec<usize>, BenchError> {
    socket
        .send(Message::Text(frame.into()))
        .await
        .map_err(|e| BenchError::Calibration(format!("sending `{frame}`: {e}")))?;
    let consent = frame.starts_with(r#"{"type":"consent""#);
    let mut sizes = Vec::new();
    for _ in 0..20 {
        let reply = tokio::time::timeout(timeout, socket.next())
            .await
            .map_err(|_| BenchError::Calibration(format!("no reply to `{frame}` in time")))?;
        let text = match reply {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => {
                return Err(BenchError::Calibration(format!(
                    "`{frame}` was answered with {other:?}"
                )));
            }
        };
        sizes.push(text.len());
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| BenchError::Calibration(format!("a reply is not JSON: {e}")))?;
        match value["type"].as_str() {
            Some("question" | "products") => return Ok(sizes),
            Some("message") if consent => return Ok(sizes),
            Some("error") => {
                return Err(BenchError::Calibration(format!(
                    "`{frame}` was refused: {}",
                    value["message"]
                )));
            }
            _ => {}
        }
    }
    Err(BenchError::Calibration(format!(
        "`{frame}` got 20 replies and no question"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_cycles_through_the_answers_after_start() {
        let script = Script::running_shoes();
        let mut at = 0;
        let mut seen = Vec::new();
        for _ in 0..9 {
            seen.push(at);
            at = script.next(at);
        }
        assert_eq!(seen, [0, 1, 2, 3, 4, 5, 6, 1, 2]);
        assert_eq!(script.steps.iter().filter(|s| s.is_final).count(), 1);
        for step in &script.steps {
            serde_json::from_str::<serde_json::Value>(&step.frame).expect("frames are JSON");
        }
    }

    #[test]
    fn a_remembered_shopper_gives_a_consent_of_their_own_after_every_walk() {
        let script = Script::remembered();
        let consent = script.steps.len() - 2;
        assert!(script.steps[consent].frame.contains(r#""type":"consent""#));
        assert!(script.steps[consent - 1].is_final, "after the picks");
        let (a, b) = (script.frames_for(7), script.frames_for(123_456));
        assert_ne!(a[consent], b[consent], "one email per connection");
        assert_eq!(a[consent].len(), b[consent].len(), "the same size");
        let value: serde_json::Value = serde_json::from_str(&a[consent]).expect("JSON");
        assert_eq!(value["email"], "bench-000007@example.com");
        assert_eq!(a[1], b[1], "the answers are the same");
        assert_eq!(
            script.next(script.steps.len() - 1),
            1,
            "every walk gives it again"
        );
    }
}
