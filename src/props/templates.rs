//! The shipped email templates rendered with hostile data: names, brands, reasons and paths holding markup,
//! quotes, CR/LF, template syntax and NUL, now and then one of half a megabyte. Every email renders or is refused
//! as too long (never a panic, never another error); the HTML part carries no markup from the data, every link and
//! image in it is an `http(s)` URL, both parts stay within the output bound, the subject is one line, and the MIME
//! message built from it gains no header. Result titles of the finders are driven with hostile typed answers in
//! `props::answers`.

use std::sync::OnceLock;

use proptest::prelude::*;

use crate::email::content::{Content, PickView, absolute, reason, utm};
use crate::email::message::{Envelope, build};
use crate::email::templates::{MAX_OUTPUT, TemplateError, Templates};

const SHOP: &str = "https://shop.example";

fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("emails");
        crate::email::load(&dir).expect("the shipped email templates load")
    })
}

#[derive(Clone, Debug)]
struct Hostile {
    shop: String,
    finder: String,
    told: Vec<String>,
    /// Title, brand and product path of each pick.
    picks: Vec<(String, String, String)>,
    /// Which field, if any, is blown up to more than the output bound.
    huge: Option<usize>,
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let text = super::hostile_text;
    (
        text(),
        text(),
        prop::collection::vec(text(), 0..3),
        prop::collection::vec((text(), text(), text()), 0..4),
        prop_oneof![6 => Just(None), 1 => (0..4usize).prop_map(Some)],
    )
        .prop_map(|(shop, finder, told, picks, huge)| Hostile {
            shop,
            finder,
            told,
            picks,
            huge,
        })
}

/// The content a worker would hand the templates, its text fields taken from `data`, its links built the way
/// `Content::build` builds them.
fn content(data: &Hostile, locale: &str) -> Content {
    let mut content = Content::sample(locale);
    let blow = |n: usize, text: &str| {
        if data.huge == Some(n) {
            format!("{text}<b>&").repeat(MAX_OUTPUT / 4)
        } else {
            text.to_string()
        }
    };
    content.shop.name = blow(0, &data.shop);
    content.finder = blow(1, &data.finder);
    content.told = data.told.clone();
    content.picks = data
        .picks
        .iter()
        .map(|(title, brand, path)| PickView {
            id: path.clone(),
            title: blow(2, title),
            brand: blow(3, brand),
            price: "$10".into(),
            image: Some(absolute(SHOP, path)),
            link: utm(&absolute(SHOP, path), "picks"),
            reason: reason(&data.told, locale),
        })
        .collect();
    content.items = content.picks.iter().take(1).cloned().collect();
    content
}

/// Every `href="…"` and `src="…"` of `html` points at an http(s) URL.
fn links_are_web(html: &str) -> Result<(), String> {
    for attribute in ["href=\"", "src=\""] {
        for (at, _) in html.match_indices(attribute) {
            // minijinja escapes `/` in attribute values as `&#x2f;`.
            let url: String = html[at + attribute.len()..].chars().take(80).collect();
            let url = url.replacen("&#x2f;&#x2f;", "//", 1);
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!(
                    "{attribute}{}",
                    url.chars().take(60).collect::<String>()
                ));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(super::config(48))]

    #[test]
    fn emails_render_hostile_data_escaped_and_bounded(data in hostile(), ja in any::<bool>()) {
        let locale = if ja { "ja" } else { "en" };
        let value = minijinja::Value::from(minijinja::value::Serde(content(&data, locale)));
        let templates = templates();
        for name in templates.emails().keys() {
            let rendered = match templates.render(name, locale, &value) {
                Ok(rendered) => rendered,
                Err(TemplateError::TooLong { .. }) if data.huge.is_some() => continue,
                Err(other) => return Err(TestCaseError::fail(format!("`{name}`: {other}"))),
            };
            let html = rendered.html.to_ascii_lowercase();
            prop_assert!(!html.contains("<script"), "`{}`: data markup in the HTML part", name);
            prop_assert!(!html.contains("<img src=x"), "`{}`: an attribute was broken out of", name);
            prop_assert!(!html.contains("<b>&"), "`{}`: data markup in the HTML part", name);
            if let Err(link) = links_are_web(&rendered.html) {
                return Err(TestCaseError::fail(format!("`{name}`: a link that is no web URL: {link}")));
            }
            prop_assert!(rendered.html.len() <= MAX_OUTPUT && rendered.text.len() <= MAX_OUTPUT);
            prop_assert!(!rendered.subject.is_empty());
            prop_assert!(!rendered.subject.contains(['\r', '\n']), "`{}`: subject {:?}", name, rendered.subject);

            let from: lettre::message::Mailbox = format!("{} <shop@shop.example>", data.shop.replace(['<', '>', '"', '\\'], ""))
                .parse()
                .unwrap_or_else(|_| "Shop <shop@shop.example>".parse().expect("a plain mailbox"));
            let envelope = Envelope {
                from: &from,
                to: "shopper@example.com",
                message_id: "<m-1@shop.example>",
                unsubscribe: "https://shop.example/v1/unsubscribe/abc\r\nBcc: x@example.com",
            };
            let message = build(&envelope, &rendered).expect("a message from a rendered email");
            let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
            let headers = raw.split("\r\n\r\n").next().unwrap_or_default();
            prop_assert!(
                !headers.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
                "`{}`: a header was injected:\n{}", name, headers
            );
        }
    }
}
