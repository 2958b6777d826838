//! Storage faults under the real server process: the store turns read-only (its log made immutable with
//! `chattr +i`, which stops root too) or the disk fills up (a small tmpfs). Answers are then refused with an honest
//! error instead of being acknowledged, the server stays up, nothing already stored is damaged, and it takes
//! answers again once the fault is gone. Each test says plainly when the machine does not allow it and skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::process::{kill, serve_with};
use crate::support::{Client, http};

/// Runs a command; its error output when it fails or cannot run.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => Err(format!("{program}: {e}")),
    }
}

/// Undoes a fault when the test ends, whichever way.
struct Undo(Vec<(String, Vec<String>)>);

impl Drop for Undo {
    fn drop(&mut self) {
        for (program, args) in self.0.drain(..).rev() {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let _ = run(&program, &args);
        }
    }
}

fn addr_of(url: &str) -> std::net::SocketAddr {
    url.trim_start_matches("ws://")
        .split('/')
        .next()
        .and_then(|a| a.parse().ok())
        .expect("ws://ADDR/v1/chat")
}

/// A conversation at `waterproof`, the answer to `terrain` acknowledged; its token.
async fn at_waterproof(url: &str) -> (Client, String) {
    let mut client = Client::connect(url).await;
    let (session, _) = client.start("running-shoes", "en").await;
    let question = client.answer(json!({"value": "trail"})).await;
    assert_eq!(question["id"], "waterproof");
    let token = session["token"].as_str().expect("token").to_string();
    (client, token)
}

/// What moves the conversation from `at` (between `waterproof` and `priorities`, back and forth: every step is a
/// write) and the step it leads to.
fn move_from(at: &str) -> (serde_json::Value, &'static str) {
    if at == "waterproof" {
        (json!({"type": "answer", "value": "yes"}), "priorities")
    } else {
        (json!({"type": "back"}), "waterproof")
    }
}

/// Sends `message`; the step it reached, or the error.
async fn send(
    client: &mut Client,
    message: &serde_json::Value,
) -> Result<String, serde_json::Value> {
    client.send(message.clone()).await;
    let reply = client.next_step().await;
    match reply["id"].as_str() {
        Some(id) if reply["type"] == "question" => Ok(id.to_string()),
        _ => Err(reply),
    }
}

/// Under the fault the conversation moves until a write needs room the store does not have (at once for a
/// read-only store; within a few steps for a full disk, whose last page may still have room): that step is refused
/// with an honest error, twice, and the conversation stays where it was; the server answers health checks. Once
/// the fault is gone the same step is taken; after a kill -9 and a restart the conversation resumes there.
async fn refuse_then_recover(data: &Path, fault: impl FnOnce() -> Result<Undo, String>) {
    let (child, url) = serve_with(data, &[]).await;
    let (mut client, token) = at_waterproof(&url).await;
    let undo = match fault() {
        Ok(undo) => undo,
        Err(why) => {
            println!("skipped: {why}");
            kill(child).await;
            return;
        }
    };
    let mut at = "waterproof".to_string();
    let mut refusal = None;
    for _ in 0..200 {
        let (message, _) = move_from(&at);
        match send(&mut client, &message).await {
            Ok(step) => at = step,
            Err(reply) => {
                refusal = Some(reply);
                break;
            }
        }
    }
    let reply = refusal.expect("a write is refused while the store cannot take it");
    assert_eq!(reply["type"], "error", "not acknowledged: {reply:#}");
    assert_eq!(reply["code"], "internal", "{reply:#}");
    assert!(
        reply["message"]
            .as_str()
            .is_some_and(|m| m.contains("try again")),
        "the shopper is told plainly: {reply:#}"
    );
    let (message, next) = move_from(&at);
    assert!(
        send(&mut client, &message).await.is_err(),
        "still refused, and the conversation did not move"
    );
    let (status, body) = http(addr_of(&url), "GET", "/healthz", &[]).await;
    assert_eq!(status, 200, "the server stays up: {body}");
    drop(undo);
    // The fault gone, the very step that was refused is taken (a flush or two may pass first).
    let mut taken = send(&mut client, &message).await;
    for _ in 0..20 {
        if taken.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        taken = send(&mut client, &message).await;
    }
    assert_eq!(taken.as_deref(), Ok(next), "taken once the fault is gone");
    kill(child).await;
    let (_child, url) = serve_with(data, &[]).await;
    let mut client = Client::connect(&url).await;
    let (_, question) = client.resume("running-shoes", &token).await;
    assert_eq!(
        question["id"], next,
        "resumed at the last acknowledged step"
    );
}

#[tokio::test]
async fn a_read_only_store_refuses_answers_honestly_and_recovers() {
    let data = tempfile::tempdir().expect("temp dir");
    let log: PathBuf = data.path().join("store/db");
    refuse_then_recover(data.path(), || {
        let path = log.to_string_lossy().to_string();
        run("chattr", &["+i", &path]).map_err(|e| {
            format!("`chattr +i` is not permitted here ({e}); the read-only store is not tested")
        })?;
        Ok(Undo(vec![("chattr".into(), vec!["-i".into(), path])]))
    })
    .await;
}

#[tokio::test]
async fn a_full_disk_refuses_answers_honestly_and_recovers() {
    let mount = tempfile::tempdir().expect("temp dir");
    let point = mount.path().to_string_lossy().to_string();
    if let Err(e) = run("mount", &["-t", "tmpfs", "-o", "size=16m", "tmpfs", &point]) {
        println!(
            "skipped: cannot mount a small tmpfs here ({e}); the full disk is not tested (it needs root)"
        );
        return;
    }
    let _unmount = Undo(vec![("umount".into(), vec!["-l".into(), point.clone()])]);
    let data = mount.path().join("data");
    let filler = mount.path().join("filler");
    refuse_then_recover(&data, || {
        // Fill what is left, then the store has no room for its next log write.
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).map_err(|e| e.to_string())?;
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
        let path = filler.to_string_lossy().to_string();
        Ok(Undo(vec![("rm".into(), vec!["-f".into(), path])]))
    })
    .await;
}
