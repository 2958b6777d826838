//! The widget in a real browser: runs the Playwright tests in `tests/browser/` (headless Chromium from Debian's
//! packages) against a real server on port 0. `scripts/test.sh` installs Chromium and the npm packages.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{repo, spawn_with};

const API_KEY: &str = "browser-test-key";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_tests_pass_in_headless_chromium() {
    let browser_dir = repo("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").exists(),
        "playwright-core is not installed: run `bash scripts/test.sh` (it runs `npm ci` in tests/browser)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "Chromium is not at {chromium}: run `bash scripts/test.sh` (it installs Debian's chromium)"
    );
    // With an API key, so the track.js test can read back what the page sent.
    let settings = shopkeep::server::Settings {
        api_keys: vec![shopkeep::secret::TokenHash::new(API_KEY)],
        ..Default::default()
    };
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
    let mut child = tokio::process::Command::new("node")
        .arg("--test")
        .arg("--test-concurrency=1")
        .arg(".")
        .current_dir(&browser_dir)
        .env("SHOPKEEP_URL", app.url())
        .env("SHOPKEEP_API_KEY", API_KEY)
        .env("CHROMIUM", &chromium)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let read = |mut pipe: Box<dyn tokio::io::AsyncRead + Unpin + Send>| async move {
        let mut text = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut text).await;
        text
    };
    let (out, err) = (
        tokio::spawn(read(Box::new(stdout))),
        tokio::spawn(read(Box::new(stderr))),
    );
    let status = tokio::time::timeout(Duration::from_secs(600), child.wait())
        .await
        .expect("browser tests finish in 10 min");
    let (out, err) = (out.await.unwrap_or_default(), err.await.unwrap_or_default());
    println!("{out}\n{err}");
    assert!(
        status.expect("node exits").success(),
        "browser tests failed:\n{out}\n{err}"
    );
    assert!(
        out.contains("# pass") && !out.contains("# pass 0"),
        "no browser test ran:\n{out}"
    );
}
