//! The merchandiser's view of a finder on the running server: `GET /admin/finders` lists them and
//! `GET /admin/finders/{id}` shows one — its picture (products left on each edge, thin and empty edges in colour)
//! beside what `shopkeep check --catalog` says of it, grouped by cause — against the flows and catalog served now.
//! Admin access as for the other `/admin` requests.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;

use super::AppState;
use super::admin::allowed;
use super::api::ApiError;
use crate::audit::{self, picture};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/finders", get(list))
        .route("/admin/finders/{id}", get(finder))
}

/// An admin page's response: HTML, never cached.
pub(super) fn page(html: String) -> Response {
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Renders `template` (autoescaped: its name ends in `.html`) with `context`.
fn render(template: &'static str, context: minijinja::Value) -> Result<String, ApiError> {
    let mut env = minijinja::Environment::new();
    env.add_template("page.html", template)
        .map_err(ApiError::internal)?;
    env.get_template("page.html")
        .and_then(|t| t.render(context))
        .map_err(ApiError::internal)
}

async fn list(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    allowed(&state, peer, &headers)?;
    let flows = state.0.flows();
    let finders: Vec<_> = flows
        .iter()
        .map(|f| minijinja::context! { id => f.id.clone(), title => f.title.get(f.default_locale(), f.default_locale()) })
        .collect();
    render(LIST, minijinja::context! { finders => finders }).map(page)
}

async fn finder(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    allowed(&state, peer, &headers)?;
    let flow = state.0.flows().get(&id).cloned().ok_or_else(|| {
        ApiError::not_found("no finder has that id; GET /admin/finders lists them")
    })?;
    let catalog = state.0.catalog();
    // The walk is CPU work (every answer path): off the async runtime.
    let (audit, svg) = tokio::task::spawn_blocking(move || {
        let audit = audit::audit(&flow, &catalog, None, &mut |_| {}).map_err(ApiError::internal)?;
        let locale = flow.default_locale().to_string();
        let dot = picture::dot(&flow, &audit, &locale, true, 4);
        let svg = picture::svg(&dot).map_err(ApiError::internal)?;
        Ok::<_, ApiError>((audit, svg))
    })
    .await
    .map_err(ApiError::internal)??;
    let causes: Vec<_> = audit
        .causes()
        .iter()
        .map(|c| {
            let (fewest, most) = c.shown();
            minijinja::context! {
                error => c.error,
                answers => if c.answers.is_empty() { "the finder's scope alone".to_string() } else { c.answers.join(" + ") },
                products => c.products,
                paths => c.paths.len(),
                shown => if fewest == most { fewest.to_string() } else { format!("{fewest}–{most}") },
                relaxed => c.loosened(),
            }
        })
        .collect();
    // As an image: the SVG's own styles then apply inside it whatever the page's Content-Security-Policy says.
    let image = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    render(
        FINDER,
        minijinja::context! {
            id => id, paths => audit.paths, truncated => audit.truncated, causes => causes, image => image,
        },
    )
    .map(page)
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:1.5rem;color:#1d2430}\
main{display:flex;gap:2rem;align-items:flex-start;flex-wrap:wrap}figure{margin:0;flex:1 1 40rem;overflow:auto}\
figure img{max-width:100%;height:auto}aside{flex:0 1 28rem}li{margin:.4rem 0}.error{color:#c62828}.warning{color:#a34f00}";

const LIST: &str = concat!(
    r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Finders</title>"#,
    r#"<link rel="icon" href="data:,"><link rel="stylesheet" href="/admin/finders.css"></head><body><h1>Finders</h1><ul>"#,
    r#"{% for f in finders %}<li><a href="/admin/finders/{{ f.id }}">{{ f.title }}</a> ({{ f.id }})</li>{% endfor %}"#,
    "</ul></body></html>"
);

const FINDER: &str = concat!(
    r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Finder {{ id }}</title>"#,
    r#"<link rel="icon" href="data:,"><link rel="stylesheet" href="/admin/finders.css"></head><body>"#,
    r#"<p><a href="/admin/finders">All finders</a></p><h1>{{ id }}</h1><main>"#,
    r#"<figure><img src="{{ image }}" alt="The questions and answers of {{ id }}, with the products left on each edge">"#,
    r#"<figcaption>Each edge: an answer and the products that meet every answer so far (fewest–most over the paths through it); orange where a path has fewer than 4 (its picks are few, or loosened), red where the answer is part of a cause that leaves the shopper nothing, even after loosening.</figcaption></figure>"#,
    r#"<aside><h2>What shoppers see</h2><p>{{ paths }} answer paths{% if truncated %} (stopped early){% endif %}."#,
    r#"{% if not causes %} Every path shows products that meet every answer.{% endif %}</p><ul>"#,
    r#"{% for c in causes %}<li class="{{ 'error' if c.error else 'warning' }}"><strong>{{ 'error' if c.error else 'warning' }}</strong>: "#,
    r#"{{ c.answers }} {% if c.error %}leaves no products, even after loosening what <code>relax</code> allows{% else %}leaves {{ c.products }} products; the shopper sees {{ c.shown }} picks{% if c.relaxed %}, loosened: {{ c.relaxed }}{% endif %}{% endif %} ({{ c.paths }} paths)</li>{% endfor %}"#,
    "</ul></aside></main></body></html>"
);

/// `GET /admin/finders.css`: the pages' stylesheet, served (not inline) so a strict CSP allows it.
pub(super) async fn stylesheet() -> Response {
    let mut response = STYLE.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    response
}
