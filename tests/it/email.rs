//! Follow-up email through a REAL SMTP server: aiosmtpd on loopback (`tests/smtp_sink.py`), the real server on
//! port 0 with lettre's SMTP client, a clock the test moves (no sleeping for delays), and assertions on what the
//! SMTP server received, decoded as a mail client would.

use std::time::Duration;

use serde_json::{Value, json};

use crate::mailing::{Mailing, Sink, TRIGGERS, consent, finish, started};
use crate::support::{Client, http_send};

/// The path of a link in an email, on the test server (the email's links point at the shop's public URL).
fn path_of(url: &str) -> String {
    let url = url.trim_matches(['<', '>']);
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/')
        .map_or("/".to_string(), |i| rest[i..].to_string())
}

#[tokio::test]
async fn the_picks_email_arrives_with_both_parts_reasons_and_a_working_one_click_unsubscribe() {
    let sink = Sink::start().await;
    let mailing = Mailing::spawn(&sink, TRIGGERS).await;
    let mut client = started(&mailing.app, "v-en", "en").await;
    let products = finish(&mut client).await;
    consent(&mut client, "aiko@example.com").await;
    let messages = sink.wait_for(1).await;
    let mail = &messages[0];
    assert_eq!(mail["subject"], "Your picks from Test shop", "{mail:#}");
    assert_eq!(mail["rcpt_tos"], json!(["aiko@example.com"]));
    let first = products["products"][0]["title"].as_str().expect("a pick");
    let text = mail["text"].as_str().expect("text");
    let html = mail["html"].as_str().expect("html");
    assert!(
        text.contains(first) && text.contains("Because you told us:"),
        "{text}"
    );
    assert!(
        html.contains("Because you told us:") && html.contains("utm_campaign=finder_completed"),
        "{html}"
    );
    assert!(
        mail["message_id"]
            .as_str()
            .expect("id")
            .ends_with("@shop.example>"),
        "{mail:#}"
    );
    assert_eq!(mail["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
    let unsubscribe = mail["list_unsubscribe"].as_str().expect("header");
    assert!(
        unsubscribe.starts_with("<https://shop.example/v1/unsubscribe/"),
        "{unsubscribe}"
    );
    assert!(
        text.contains(unsubscribe.trim_matches(['<', '>'])),
        "the footer links the same page"
    );
    // The page: a button, nothing else running.
    let path = path_of(unsubscribe);
    let page = http_send(mailing.app.addr, "GET", &path, &[], b"").await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let body = String::from_utf8_lossy(&page.body).to_string();
    assert!(
        body.contains("<form method=\"post\">") && !body.contains("<script"),
        "{body}"
    );
    // One click, as a mail client posts it; twice is the same.
    for _ in 0..2 {
        let posted = http_send(
            mailing.app.addr,
            "POST",
            &path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"List-Unsubscribe=One-Click",
        )
        .await;
        assert_eq!(
            posted.status,
            200,
            "{}",
            String::from_utf8_lossy(&posted.body)
        );
    }
    let (status, ledger) = crate::support::api(
        mailing.app.addr,
        "GET",
        "/v1/visitors/v-en/consents",
        crate::profiles::KEY,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let entries = ledger["entries"].as_array().expect("entries");
    let withdrawals: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "withdrawn")
        .collect();
    assert_eq!(withdrawals.len(), 1, "idempotent: {ledger:#}");
    assert_eq!(withdrawals[0]["channel"], "email_link");
    let bad = http_send(
        mailing.app.addr,
        "POST",
        "/v1/unsubscribe/not-a-token",
        &[],
        b"",
    )
    .await;
    assert_eq!(bad.status, 404);
    // Withdrawn: the next finished finder sends nothing.
    let mut again = started(&mailing.app, "v-en", "en").await;
    finish(&mut again).await;
    mailing.advance(3600);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "no email without consent");
}

#[tokio::test]
async fn japanese_arrives_intact_and_no_email_goes_without_consent() {
    let sink = Sink::start().await;
    let mailing = Mailing::spawn(&sink, TRIGGERS).await;
    let mut silent = started(&mailing.app, "v-none", "en").await;
    finish(&mut silent).await;
    let mut client = started(&mailing.app, "v-ja", "ja").await;
    finish(&mut client).await;
    consent(&mut client, "aiko@example.jp").await;
    let messages = sink.wait_for(1).await;
    mailing.settled(1).await;
    assert_eq!(
        messages.len(),
        1,
        "only the shopper who consented: {messages:#?}"
    );
    let mail = &messages[0];
    assert_eq!(mail["subject"], "Test shopからのおすすめ");
    assert!(
        mail["text"].as_str().expect("text").contains("配信停止"),
        "{mail:#}"
    );
    assert!(
        mail["html"]
            .as_str()
            .expect("html")
            .contains("ショップを見る"),
        "{mail:#}"
    );
    assert_eq!(mailing.mailer.counters.queued.get(), 1);
}

#[tokio::test]
async fn finishing_cancels_the_resume_email_and_an_abandoned_finder_gets_a_single_use_resume_link()
{
    let sink = Sink::start().await;
    let mailing = Mailing::spawn(&sink, TRIGGERS).await;
    // Gives the address half-way, then finishes: the resume email is cancelled, the picks email goes.
    let mut finisher = started(&mailing.app, "v-fin", "en").await;
    finisher.answer(json!({"value": "trail"})).await;
    consent(&mut finisher, "fin@example.com").await;
    finish(&mut finisher).await;
    sink.wait_for(1).await;
    assert_eq!(
        mailing.mailer.counters.cancelled.get(),
        1,
        "the resume email is cancelled"
    );
    // Gives the address half-way and leaves.
    let mut leaver = started(&mailing.app, "v-left", "en").await;
    let question = leaver.answer(json!({"value": "trail"})).await;
    consent(&mut leaver, "left@example.com").await;
    leaver.answer(json!({"value": "yes"})).await;
    drop(leaver);
    mailing.advance(29 * 60);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "not before 30 minutes of silence");
    mailing.advance(2 * 60);
    let messages = sink.wait_for(2).await;
    assert!(
        messages.iter().all(
            |m| m["subject"] != "Pick up where you left off at Test shop"
                || m["rcpt_tos"] == json!(["left@example.com"])
        ),
        "{messages:#?}"
    );
    let resume = messages
        .iter()
        .find(|m| m["rcpt_tos"] == json!(["left@example.com"]))
        .expect("the resume email");
    assert_eq!(resume["subject"], "Pick up where you left off at Test shop");
    let text = resume["text"].as_str().expect("text");
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/v1/resume/"))
        .expect("a resume link");
    let opened = http_send(mailing.app.addr, "GET", &path_of(link), &[], b"").await;
    assert_eq!(opened.status, 303);
    let location = opened.header("location").expect("redirect").to_string();
    let token = location
        .split("shopkeep_resume=")
        .nth(1)
        .expect("a fresh token");
    assert!(location.contains("flow=running-shoes"), "{location}");
    let mut back = mailing.app.client().await;
    let (_, step) = back.resume("running-shoes", token).await;
    assert_eq!(step["type"], "question", "{step:#}");
    assert_ne!(
        step["id"], question["id"],
        "it continues after the answers given: {step:#}"
    );
    let twice = http_send(mailing.app.addr, "GET", &path_of(link), &[], b"").await;
    assert_eq!(twice.status, 404, "single-use");
}

#[tokio::test]
async fn the_frequency_cap_holds_the_second_email_until_a_day_has_passed() {
    let sink = Sink::start().await;
    let capped = "finder_completed: { email: picks }\nfrequency: { per_day: 1, per_week: 3 }\n";
    let mailing = Mailing::spawn(&sink, capped).await;
    let mut client = started(&mailing.app, "v-cap", "en").await;
    finish(&mut client).await;
    consent(&mut client, "cap@example.com").await;
    sink.wait_for(1).await;
    let mut again = started(&mailing.app, "v-cap", "en").await;
    finish(&mut again).await;
    mailing.advance(3600);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "one a day");
    mailing.advance(24 * 3600);
    sink.wait_for(2).await;
}

#[tokio::test]
async fn a_4xx_is_retried_with_backoff_and_a_5xx_suppresses_the_address() {
    let sink = Sink::start().await;
    let mailing = Mailing::spawn(&sink, TRIGGERS).await;
    let mut client = started(&mailing.app, "v-temp", "en").await;
    finish(&mut client).await;
    consent(&mut client, "tempfail-1-x@example.com").await;
    for _ in 0..200 {
        if mailing.mailer.counters.retried.get() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mailing.mailer.counters.retried.get(), 1);
    assert!(sink.messages().is_empty());
    mailing.advance(30);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.messages().is_empty(), "the first retry waits a minute");
    mailing.advance(31);
    let messages = sink.wait_for(1).await;
    assert_eq!(messages[0]["rcpt_tos"], json!(["tempfail-1-x@example.com"]));
    let mut refused = started(&mailing.app, "v-rej", "en").await;
    finish(&mut refused).await;
    consent(&mut refused, "reject@example.com").await;
    mailing.settled(2).await;
    assert_eq!(mailing.mailer.counters.suppressed.get(), 1);
    // Suppressed for good: the next email to the address is not even tried (its answers queued a resume email,
    // which finishing cancelled: four finished in all).
    let mut again = started(&mailing.app, "v-rej", "en").await;
    finish(&mut again).await;
    mailing.settled(4).await;
    let counters = &mailing.mailer.counters;
    assert_eq!(counters.suppressed.get(), 2, "{counters:?}");
    assert_eq!(counters.cancelled.get(), 1, "{counters:?}");
    assert_eq!(sink.messages().len(), 1);
    let metrics = http_send(mailing.app.addr, "GET", "/metrics", &[], b"").await;
    let metrics = String::from_utf8_lossy(&metrics.body).to_string();
    for line in [
        "shopkeep_emails_sent_total 1",
        "shopkeep_emails_retried_total 1",
        "shopkeep_emails_suppressed_total 2",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

#[tokio::test]
async fn a_server_killed_mid_send_delivers_again_with_the_same_message_id_and_no_more() {
    use crate::process::{kill, serve_with};
    let sink = Sink::start().await;
    let data = tempfile::tempdir().expect("temp dir");
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
    let args = [
        "--smtp",
        smtp.as_str(),
        "--public-url",
        "https://shop.example",
    ];
    let (child, ws) = serve_with(data.path(), &args).await;
    let mut client = Client::connect(&ws).await;
    client
        .send(
            json!({"type": "start", "flow": "running-shoes", "locale": "en", "visitor": "v-kill"}),
        )
        .await;
    client.until("question").await;
    finish(&mut client).await;
    // The sink keeps the message, then holds its 250 for 3 s: the server dies before it hears it.
    consent(&mut client, "slow@example.com").await;
    sink.wait_for(1).await;
    kill(child).await;
    let (child, ws) = serve_with(data.path(), &args).await;
    let addr: std::net::SocketAddr = ws
        .trim_start_matches("ws://")
        .trim_end_matches("/v1/chat")
        .parse()
        .expect("address");
    let mut sent = false;
    for _ in 0..300 {
        let metrics = http_send(addr, "GET", "/metrics", &[], b"").await;
        if String::from_utf8_lossy(&metrics.body).contains("shopkeep_emails_sent_total 1") {
            sent = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(sent, "the restarted worker sends the email still queued");
    let messages = sink.messages();
    assert_eq!(
        messages.len(),
        2,
        "once before the crash, once after: {messages:#?}"
    );
    assert_eq!(
        messages[0]["message_id"], messages[1]["message_id"],
        "the duplicate carries the same Message-ID"
    );
    assert_eq!(
        messages[0]["list_unsubscribe"], messages[1]["list_unsubscribe"],
        "and the same working links"
    );
    kill(child).await;
}

/// A reload reads the emails folder again: a broken template is refused naming its file and line, and the
/// templates served until then keep sending; a fixed one is served from then on.
#[tokio::test]
async fn a_reload_refuses_a_broken_email_template_and_keeps_sending_with_the_last_good_ones() {
    let sink = Sink::start().await;
    let mailing = Mailing::spawn(&sink, TRIGGERS).await;
    let template = mailing.emails.path().join("picks.en.txt");
    let good = std::fs::read_to_string(&template).expect("read");
    let broken = good.replacen("{% for pick in picks %}", "{% for pick in %}", 1);
    assert_ne!(broken, good, "the template has the loop this test breaks");
    std::fs::write(&template, &broken).expect("write");
    let (status, body) = crate::support::http(mailing.app.addr, "POST", "/admin/reload", &[]).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("picks.en.txt") && body.contains(":6"),
        "the refusal names the template and its line: {body}"
    );

    let mut client = started(&mailing.app, "v-reload-1", "en").await;
    finish(&mut client).await;
    consent(&mut client, "first@example.com").await;
    let mail = &sink.wait_for(1).await[0];
    assert_eq!(mail["rcpt_tos"], json!(["first@example.com"]));
    assert!(
        mail["text"]
            .as_str()
            .expect("text")
            .contains("Your picks from"),
        "sent with the templates served before the refused reload: {mail:#}"
    );

    // The subject block comes first.
    let fresh = good.replacen("Your picks", "Fresh picks", 1);
    std::fs::write(&template, fresh).expect("write");
    let (status, body) = crate::support::http(mailing.app.addr, "POST", "/admin/reload", &[]).await;
    assert_eq!(status, 200, "{body}");
    let mut client = started(&mailing.app, "v-reload-2", "en").await;
    finish(&mut client).await;
    consent(&mut client, "second@example.com").await;
    let messages = sink.wait_for(2).await;
    let mail = messages
        .iter()
        .find(|m| m["rcpt_tos"] == json!(["second@example.com"]))
        .expect("the second email");
    assert!(
        mail["subject"] == "Fresh picks from Test shop",
        "the reloaded template is served: {mail:#}"
    );
}
