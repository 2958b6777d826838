//! No personal data in shopkeep's own logs: the real `shopkeep serve` with `RUST_LOG=shopkeep=trace` (every level
//! of shopkeep's own targets, none of the libraries') while a shopper gives a visitor id, a signed customer id,
//! typed answers, a malformed message, an email with consent, and resumes with the token. The log must show the
//! conversation (so the filter was on) and none of those values, nor the shopper's address and port; and, written
//! to a file, no terminal colour codes.

use std::process::Stdio;

use serde_json::json;
use shopkeep::secret::sign_customer;

use crate::process::{kill, serve_by, shopkeep};
use crate::support::Client;

const SECRET: &str = "log-test-shop-secret";

#[tokio::test]
async fn shopkeeps_own_logs_at_trace_hold_no_personal_data() {
    let data = tempfile::tempdir().expect("temp dir");
    let log_path = data.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut command = shopkeep();
    command
        .env("RUST_LOG", "shopkeep=trace")
        .stderr(Stdio::from(log));
    let (child, url) = serve_by(
        command,
        &data.path().join("data"),
        &["--customer-secret", SECRET],
    )
    .await;

    let visitor = "visitor-canary-5e1f";
    let customer = "customer-canary-77aa";
    let signature = sign_customer(SECRET, customer);
    let typed = "trail canary-typed-9c3d";
    let unknown_option = "canary-option-33ab";
    let malformed = r#"{"type":"answer","value":"canary-malformed-0d7e""#;
    let email = "canary.mail-41b2@example.com";

    let mut first = Client::connect(&url).await;
    first
        .send(
            json!({"type": "start", "v": 1, "flow": "running-shoes", "locale": "en",
            "visitor": visitor, "customer": customer, "signature": signature}),
        )
        .await;
    let (session, _) = first.until("session").await;
    let token = session["token"].as_str().expect("a token").to_string();
    first.until("question").await;
    let question = first.answer(json!({"text": typed})).await;
    assert_eq!(
        question["id"], "waterproof",
        "the typed answer is understood"
    );
    let question = first.answer(json!({"value": unknown_option})).await;
    assert_eq!(
        question["id"], "waterproof",
        "an unknown option is asked again"
    );
    first
        .send_raw(tokio_tungstenite::tungstenite::Message::Text(
            malformed.into(),
        ))
        .await;
    assert_eq!(first.recv().await["code"], "bad_message");
    first
        .send(json!({"type": "consent", "email": email, "consent": true}))
        .await;
    let thanks = first.recv().await;
    assert!(
        thanks["text"]
            .as_str()
            .is_some_and(|t| t.contains("consent is recorded")),
        "{thanks:#}"
    );
    let first_addr = first.local_addr();
    drop(first);

    let mut second = Client::connect(&url).await;
    let (resumed, question) = second.resume("running-shoes", &token).await;
    assert_eq!(resumed["resumed"], true, "{resumed:#}");
    assert_eq!(question["id"], "waterproof");
    let second_addr = second.local_addr();
    drop(second);
    // The log is written as each event happens; give the server a moment to log the closes too.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    kill(child).await;

    let log = std::fs::read_to_string(&log_path).expect("read the log");
    assert!(
        log.contains("chat{session=\"s-")
            && log.contains("turn")
            && log.contains("consent recorded"),
        "the log shows the conversations at trace level:\n{log}"
    );
    // A log file is no terminal: plain text, without the ANSI colour codes a terminal would get.
    assert!(
        log.contains("Z DEBUG chat") && !log.contains('\x1b'),
        "the log is plain text:\n{log}"
    );
    let secrets = [
        visitor.to_string(),
        customer.to_string(),
        signature,
        "canary-typed-9c3d".to_string(),
        unknown_option.to_string(),
        "canary-malformed-0d7e".to_string(),
        email.to_string(),
        "canary.mail-41b2".to_string(),
        token.clone(),
        token[..12].to_string(),
        first_addr.to_string(),
        second_addr.to_string(),
        format!(":{}", first_addr.port()),
        format!(":{}", second_addr.port()),
    ];
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log holds `{secret}`:\n{log}"
        );
    }
}
