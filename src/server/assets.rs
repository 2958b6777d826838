//! Static and demo pages: the demo shop, the widget script, product images and a demo product page.
//!
//! The widget and demo page are embedded in the binary, so `shopkeep serve` needs nothing beside `flows/` and
//! `catalog/`. Pages carry no inline script or style, so the strict policy of `headers` holds for them.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;

const DEMO_PAGE: &str = include_str!("../../widget/demo.html");
const WIDGET_JS: &str = include_str!("../../widget/widget.js");
const TRACK_JS: &str = include_str!("../../widget/track.js");
const DEMO_CSS: &str = include_str!("../../widget/demo.css");
const DEMO_JS: &str = include_str!("../../widget/demo.js");

fn with_headers(
    body: impl IntoResponse,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

pub(super) async fn demo_page() -> Response {
    with_headers(DEMO_PAGE, "text/html; charset=utf-8", "no-cache")
}

/// `/demo.css` and `/demo.js`: the demo shop's style and script, apart from the page (no inline code).
pub(super) async fn demo_css() -> Response {
    with_headers(DEMO_CSS, "text/css; charset=utf-8", "no-cache")
}

pub(super) async fn demo_js() -> Response {
    with_headers(DEMO_JS, "text/javascript; charset=utf-8", "no-cache")
}

/// `/product.css`: the demo product page's style.
pub(super) async fn product_css() -> Response {
    with_headers(
        PRODUCT_CSS,
        "text/css; charset=utf-8",
        "public, max-age=300",
    )
}

pub(super) async fn widget_js() -> Response {
    with_headers(
        WIDGET_JS,
        "text/javascript; charset=utf-8",
        "public, max-age=300",
    )
}

/// `/track.js`: the snippet that sends shop events (`shopkeep.track`) from the shop's pages.
pub(super) async fn track_js() -> Response {
    with_headers(
        TRACK_JS,
        "text/javascript; charset=utf-8",
        "public, max-age=300",
    )
}

pub(super) async fn health(State(state): State<AppState>) -> Response {
    let body = serde_json::json!({
        "status": "ok",
        "flows": state.0.flows().len(),
        "products": state.0.catalog().len(),
        "catalog_index": state.0.catalog().origin().word(),
    });
    with_headers(body.to_string(), "application/json", "no-store")
}

fn not_found(what: &str) -> Response {
    with_headers(
        (StatusCode::NOT_FOUND, format!("{what} not found")),
        "text/plain; charset=utf-8",
        "no-store",
    )
}

pub(super) async fn image(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let safe = !file.is_empty()
        && !file.starts_with('.')
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let content_type = match file.rsplit('.').next() {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        _ => return not_found("image"),
    };
    if !safe {
        return not_found("image");
    }
    let path = state.0.settings.catalog_dir.join("images").join(&file);
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = with_headers(bytes, content_type, "public, max-age=86400");
            // An SVG opened directly must not run script.
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            );
            response
        }
        Err(_) => not_found("image"),
    }
}

pub(super) async fn product_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let catalog = state.0.catalog();
    let product = match tokio::task::spawn_blocking(move || catalog.get(&id)).await {
        Ok(Ok(Some(product))) => product,
        _ => return not_found("product"),
    };
    let mut env = minijinja::Environment::new();
    let page = env
        .add_template("product.html", PRODUCT_PAGE)
        .and_then(|_| env.get_template("product.html"))
        .and_then(|t| {
            t.render(minijinja::context! {
                product => minijinja::context! {
                    id => product.id, title => product.title, brand => product.brand,
                    description => product.description, image => product.image, rating => product.rating,
                    price => crate::money::format(product.price, &product.currency),
                }
            })
        });
    match page {
        Ok(html) => with_headers(html, "text/html; charset=utf-8", "no-cache"),
        Err(error) => {
            tracing::error!(%error, "product page template failed");
            with_headers(
                (StatusCode::INTERNAL_SERVER_ERROR, "page failed"),
                "text/plain; charset=utf-8",
                "no-store",
            )
        }
    }
}

/// Autoescaped (the template name ends in `.html`): catalog text is shown, never interpreted.
const PRODUCT_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ product.title }}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/product.css">
</head><body><p><a href="/">← Back to the shop</a></p>
{% if product.image %}<img src="{{ product.image }}" alt="" width="320" height="240">{% endif %}
<h1>{{ product.title }}</h1><p>{{ product.brand }}{% if product.rating is not none %} · ★ {{ product.rating }}{% endif %}</p>
<p class="price">{{ product.price }}</p><p>{{ product.description }}</p></body></html>"#;

const PRODUCT_CSS: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;\
color:#1d2430}img{max-width:100%;border-radius:12px;background:#f3f5f7}.price{font-size:1.4rem;font-weight:700}\
a{color:#0b5d43}";
