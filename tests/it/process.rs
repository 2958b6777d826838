//! The real `shopkeep serve` process: acknowledged answers survive `kill -9`, and bad start-ups (a port in use, a
//! data directory another server holds, an unwritable one, a missing flows folder) fail with one line that names
//! the thing and the fix.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::{Client, repo};

pub(crate) fn shopkeep() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shopkeep"));
    command
        .current_dir(repo(""))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Starts `shopkeep serve` on port 0 with `data`; the child and its chat URL once it says it is serving.
async fn serve(data: &Path) -> (Child, String) {
    serve_with(data, &[]).await
}

/// [`serve`] with more arguments.
pub(crate) async fn serve_with(data: &Path, extra: &[&str]) -> (Child, String) {
    let mut command = shopkeep();
    command.stderr(Stdio::null());
    serve_by(command, data, extra).await
}

/// Starts `command` (a [`shopkeep`] with its log set up) as `serve` on port 0 with `data` and `extra`; the child and
/// its chat URL once it says it is serving.
pub(crate) async fn serve_by(mut command: Command, data: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = command
        .args(["serve", "--addr", "127.0.0.1:0", "--no-watch", "--data"])
        .arg(data)
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start shopkeep serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("the server starts in time")
        .expect("read stdout")
        .expect("a line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    let ws = url
        .replacen("http://", "ws://", 1)
        .trim_end_matches('/')
        .to_string()
        + "/v1/chat";
    (child, ws)
}

pub(crate) async fn kill(mut child: Child) {
    child.start_kill().expect("SIGKILL");
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the process dies")
        .expect("wait");
}

#[tokio::test]
async fn acknowledged_answers_survive_kill_9() {
    let data = tempfile::tempdir().expect("temp dir");
    let (child, url) = serve(data.path()).await;
    let mut client = Client::connect(&url).await;
    let (session, _) = client.start("running-shoes", "en").await;
    let token = session["token"].as_str().expect("token").to_string();
    let question = client.answer(json!({"value": "trail"})).await;
    assert_eq!(question["id"], "waterproof");
    kill(child).await;

    let steps = [
        (json!({"value": "yes"}), "priorities"),
        (json!({"values": ["cushioning", "light"]}), "budget"),
        (json!({"text": "under 150"}), "colour"),
    ];
    let mut expected = "waterproof";
    for (answer, next) in steps {
        let (child, url) = serve(data.path()).await;
        let mut client = Client::connect(&url).await;
        let (_, question) = client.resume("running-shoes", &token).await;
        assert_eq!(
            question["id"], expected,
            "resumed where the last acknowledged answer left it"
        );
        let question = client.answer(answer).await;
        assert_eq!(question["id"], next, "{question:#}");
        expected = next;
        // Killed right after the acknowledgement: no flush on the way out.
        kill(child).await;
    }
    let (_child, url) = serve(data.path()).await;
    let mut client = Client::connect(&url).await;
    let (_, question) = client.resume("running-shoes", &token).await;
    assert_eq!(question["id"], "colour");
    let products = client.answer(json!({"value": "any"})).await;
    assert_eq!(products["type"], "products");
    for pick in products["products"].as_array().expect("picks") {
        assert!(pick["price"].as_f64().expect("price") <= 150.0, "{pick:#}");
    }
}

async fn failed_start(args: &[&str]) -> String {
    let output = shopkeep()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("exits in time")
        .expect("runs");
    assert!(!output.status.success(), "{args:?} should fail");
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// `shopkeep serve --no-watch --addr ADDR --data DATA` plus `extra`, which must fail; its stderr.
async fn failed_serve(addr: &str, data: &str, extra: &[&str]) -> String {
    let mut args = vec!["serve", "--no-watch", "--addr", addr, "--data", data];
    args.extend_from_slice(extra);
    failed_start(&args).await
}

#[tokio::test]
async fn bad_start_ups_name_the_thing_and_the_fix() {
    let data = tempfile::tempdir().expect("temp dir");
    let (_running, url) = serve(data.path()).await;
    let port = url
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next())
        .expect("port");
    let other = tempfile::tempdir().expect("temp dir");
    let other_data = other.path().to_str().expect("utf-8 path");

    let addr = format!("127.0.0.1:{port}");
    let stderr = failed_serve(&addr, other_data, &[]).await;
    assert!(
        stderr.contains(&format!("port {port} is in use")) && stderr.contains("--addr"),
        "{stderr}"
    );

    let held = data.path().to_str().expect("utf-8 path");
    let stderr = failed_serve("127.0.0.1:0", held, &[]).await;
    assert!(
        stderr.contains("in use by another shopkeep") && stderr.contains("--data"),
        "{stderr}"
    );

    let file = other.path().join("a-file");
    std::fs::write(&file, "not a folder").expect("write");
    let inside_file = file.join("data");
    let stderr = failed_serve(
        "127.0.0.1:0",
        inside_file.to_str().expect("utf-8 path"),
        &[],
    )
    .await;
    assert!(
        stderr.contains("cannot create data directory") && stderr.contains("--data"),
        "{stderr}"
    );

    let stderr = failed_serve("127.0.0.1:0", other_data, &["--flows", "no-such-folder"]).await;
    assert!(
        stderr.contains("no-such-folder") && stderr.contains("--flows"),
        "{stderr}"
    );

    let stderr = failed_serve(
        "127.0.0.1:0",
        other_data,
        &[
            "--allow-origin",
            "shop.example,https://ok.example/,https://x.example/cart",
        ],
    )
    .await;
    assert!(
        stderr.contains("`shop.example`: no scheme")
            && stderr.contains("`https://x.example/cart`: an origin has no path")
            && !stderr.contains("ok.example"),
        "every malformed --allow-origin is named: {stderr}"
    );

    let stderr = failed_start(&["serve", "--addr", "not-an-address"]).await;
    assert!(
        stderr.contains("not-an-address") && stderr.contains("--addr"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

/// A large catalog is indexed once, elsewhere: `shopkeep index --out DIR`, then `serve --index DIR` serves it
/// without reading a feed (the catalog folder here holds none), and a finished finder picks from it.
#[tokio::test]
async fn serve_opens_an_index_built_elsewhere() {
    let work = tempfile::tempdir().expect("temp dir");
    let index = work.path().join("index");
    let built = shopkeep()
        .args(["index", "catalog", "--out"])
        .arg(&index)
        .output()
        .await
        .expect("shopkeep index runs");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let no_feeds = work.path().join("empty-catalog");
    std::fs::create_dir(&no_feeds).expect("an empty catalog folder");
    let data = work.path().join("data");
    let (_child, url) = serve_with(
        &data,
        &[
            "--index",
            &index.display().to_string(),
            "--catalog",
            &no_feeds.display().to_string(),
        ],
    )
    .await;
    let health = url
        .replacen("ws://", "http://", 1)
        .replace("/v1/chat", "/healthz");
    let addr: std::net::SocketAddr = health
        .trim_start_matches("http://")
        .split('/')
        .next()
        .and_then(|a| a.parse().ok())
        .expect("the server's address");
    let (status, body) = crate::support::http(addr, "GET", "/healthz", &[]).await;
    assert_eq!(status, 200);
    let health: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (
            health["products"].as_u64(),
            health["catalog_index"].as_str()
        ),
        (Some(365), Some("opened")),
        "{health}"
    );
    let mut client = Client::connect(&url).await;
    client.start("knives", "ja").await;
    client.answer(json!({"value": "santoku"})).await;
    client.answer(json!({"value": "stainless"})).await;
    client.answer(json!({"value": "yes"})).await;
    client.answer(json!({"text": "1万円以下"})).await;
    let products = client.answer(json!({"value": "no"})).await;
    assert_eq!(products["type"], "products", "{products:#}");
    assert!(!products["products"].as_array().expect("picks").is_empty());
    // A missing or foreign folder is refused at start, naming the folder and the command that builds one.
    let other = work.path().join("other-data");
    let refused = failed_serve(
        "127.0.0.1:0",
        &other.display().to_string(),
        &["--index", &no_feeds.display().to_string()],
    )
    .await;
    assert!(
        refused.contains("shopkeep index CATALOG --out"),
        "{refused}"
    );
}
