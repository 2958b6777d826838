//! Templates: the shipped ones render both parts in en and ja; errors name file and line; rendering is bounded.

use std::path::Path;

use minijinja::Value;

use super::content::{self, Content};
use super::{Templates, load};

fn shipped() -> Templates {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("emails")).expect("shipped templates load")
}

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

const LAYOUT_HTML: (&str, &str) = ("layout.html", "<html>{% block body %}{% endblock %}</html>");
const LAYOUT_TXT: (&str, &str) = ("layout.txt", "{% block body %}{% endblock %}");

#[test]
fn shipped_picks_render_both_parts_in_both_locales() {
    let templates = shipped();
    let mut content = Content::sample("en");
    content.picks[0].title = "Trail <Runner> & Co".into();
    let en = templates
        .render(
            "picks",
            "en",
            &Value::from(minijinja::value::Serde(&content)),
        )
        .expect("renders");
    assert_eq!(en.subject, "Your picks from Sample shop");
    assert!(
        en.html.contains("Trail &lt;Runner&gt; &amp; Co"),
        "HTML is escaped"
    );
    assert!(en.text.contains("Trail <Runner> & Co"), "text is not");
    assert!(en.text.contains("Because you told us: trail, waterproof"));
    assert!(en.html.contains("utm_campaign=sample"));
    let ja = templates
        .render(
            "picks",
            "ja-JP",
            &Value::from(minijinja::value::Serde(Content::sample("ja"))),
        )
        .expect("renders");
    assert_eq!(ja.subject, "Sample shopからのおすすめ");
    assert!(
        ja.text.contains("ご回答（トレイル、防水）に合わせて"),
        "{}",
        ja.text
    );
    assert!(ja.html.contains("配信停止"));
    // A locale without templates falls back to en.
    assert_eq!(templates.locale_for("picks", "fr"), "en");
}

#[test]
fn a_syntax_error_names_file_and_line() {
    let dir = folder(&[
        LAYOUT_HTML,
        LAYOUT_TXT,
        ("picks.en.html", "line one\n{% if x %}\nno end"),
        ("picks.en.txt", "{% block subject %}s{% endblock %}"),
    ]);
    let error = load(dir.path()).expect_err("refused");
    assert!(error.contains("picks.en.html:"), "{error}");
    assert!(error.contains(":3:") || error.contains(":2:"), "{error}");
}

#[test]
fn an_undefined_name_is_refused_at_load_with_its_line() {
    let dir = folder(&[
        LAYOUT_HTML,
        LAYOUT_TXT,
        ("picks.en.html", "ok\n{{ shop.nmae }}"),
        ("picks.en.txt", "{% block subject %}s{% endblock %}"),
    ]);
    let error = load(dir.path()).expect_err("refused");
    assert!(error.contains("picks.en.html:2:"), "{error}");
}

#[test]
fn missing_parts_and_fallback_are_named() {
    let dir = folder(&[
        LAYOUT_HTML,
        LAYOUT_TXT,
        ("picks.ja.html", "x"),
        ("picks.ja.txt", "{% block subject %}s{% endblock %}"),
        ("cart.en.html", "x"),
    ]);
    let error = load(dir.path()).expect_err("refused");
    assert!(
        error.contains("picks.en.html: email `picks` needs an `en` variant"),
        "{error}"
    );
    assert!(
        error.contains("cart.en.txt: email `cart` in `en` needs both"),
        "{error}"
    );
}

#[test]
fn a_runaway_template_runs_out_of_fuel_or_space() {
    let dir = folder(&[
        LAYOUT_HTML,
        LAYOUT_TXT,
        (
            "loop.en.html",
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        ),
        ("loop.en.txt", "{% block subject %}s{% endblock %}"),
    ]);
    let error = load(dir.path()).expect_err("refused");
    assert!(error.contains("loop.en.html"), "{error}");
    let dir = folder(&[
        LAYOUT_HTML,
        LAYOUT_TXT,
        ("big.en.html", "{{ 'x' * 2000000 }}"),
        ("big.en.txt", "{% block subject %}s{% endblock %}"),
    ]);
    let error = load(dir.path()).expect_err("refused");
    assert!(error.contains("big"), "{error}");
}

#[test]
fn utm_keeps_query_and_fragment() {
    assert_eq!(
        content::utm("https://s.example/p/1?x=1#top", "picks"),
        "https://s.example/p/1?x=1&utm_source=shopkeep&utm_medium=email&utm_campaign=picks#top"
    );
    assert_eq!(
        content::absolute("https://s.example/", "/p/1"),
        "https://s.example/p/1"
    );
    assert_eq!(
        content::absolute("https://s.example", "https://cdn.example/a.png"),
        "https://cdn.example/a.png"
    );
}
