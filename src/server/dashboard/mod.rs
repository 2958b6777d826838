//! The merchandiser's dashboard: `GET /admin/` lists the finders with their week at a glance, and
//! `GET /admin/dashboard/{finder}?since=7d&version=V&lang=ja` shows one — the funnel, versions compared, the
//! series, drop-off per question, answer distributions, the answers that lead to empty results, click-through of
//! picks and the typed answers not understood — as inline SVG charts beside their tables (`chart.rs`), in English
//! or Japanese (`words.rs`). No script at all; the stylesheet is served (`/admin/dashboard.css`), so the strict
//! page policy holds. Admin access as for every `/admin` route; a browser is asked for the token by HTTP Basic
//! authentication (any user name, the token as password).

mod chart;
mod words;

use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::admin::allowed;
use super::finders::page as html;
use super::insights::{Ask, finder_list, report_off};
use crate::insights::Report;
use crate::insights::report::date_label;
use chart::{Bar, escape};
use words::Words;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/", get(overview))
        .route("/admin/dashboard/{finder}", get(dashboard))
        .route("/admin/dashboard.css", get(stylesheet))
}

#[derive(Debug, Default, serde::Deserialize)]
struct PageAsk {
    since: Option<String>,
    version: Option<String>,
    lang: Option<String>,
}

/// Admin access: `Some` refusal (asking a browser for the token) when the request may not go ahead.
fn guard(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Option<Response> {
    allowed(state, peer, headers).err().map(|error| {
        let mut response = error.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Basic realm="shopkeep admin", charset="UTF-8""#),
        );
        response
    })
}

fn words(ask: &PageAsk, headers: &HeaderMap) -> &'static Words {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    words::pick(ask.lang.as_deref(), accept)
}

fn head(w: &Words, title: &str) -> String {
    format!(
        r#"<!doctype html><html lang="{}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/admin/dashboard.css"></head><body>"#,
        w.lang,
        escape(title)
    )
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_string(), |r| format!("{:.1} %", r * 100.0))
}

fn signed(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_string(), |r| format!("{:+.1}", r * 100.0))
}

/// A table of text cells (escaped here); numbers right-aligned by the stylesheet (`td.n`).
fn table(caption: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("<table><caption>{}</caption><thead><tr>", escape(caption));
    for h in headers {
        let _ = write!(out, r#"<th scope="col">{}</th>"#, escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let numeric = i > 0
                && cell
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || "+-–".contains(c));
            let class = if numeric { r#" class="n""# } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

async fn overview(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(ask): Query<PageAsk>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = guard(&state, peer, &headers) {
        return refused;
    }
    let w = words(&ask, &headers);
    let since = ask.since.clone().unwrap_or_else(|| "7d".into());
    let mut out = head(w, w.title);
    let _ = write!(
        out,
        r#"<header><nav><a href="/admin/finders">{}</a> · <a href="/admin/?lang=en">English</a> · <a href="/admin/?lang=ja">日本語</a></nav></header><main><h1>{}</h1>"#,
        escape(w.finder_checks),
        escape(w.title)
    );
    let mut rows = Vec::new();
    for (id, _) in finder_list(&state) {
        let ask = Ask {
            since: Some(since.clone()),
            ..Ask::default()
        };
        let Ok(report) = report_off(&state, &id, ask).await else {
            continue;
        };
        let total = report.funnel.last().cloned().unwrap_or_default();
        rows.push((id, total));
    }
    if rows.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(w.no_finders));
    } else {
        let c = &w.columns;
        let label = w
            .spans
            .iter()
            .find(|(s, _)| *s == since)
            .map_or(since.as_str(), |(_, l)| l);
        let _ = write!(
            out,
            "<table><caption>{}</caption><thead><tr>",
            escape(label)
        );
        for h in [
            c.finder,
            c.starts,
            c.completion,
            c.click_through,
            c.zero_rate,
        ] {
            let _ = write!(out, r#"<th scope="col">{}</th>"#, escape(h));
        }
        out.push_str("</tr></thead><tbody>");
        for (id, f) in rows {
            let _ = write!(
                out,
                r#"<tr><td><a href="/admin/dashboard/{}?lang={}&amp;since={}">{}</a></td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                escape(&id),
                w.lang,
                escape(&since),
                escape(&id),
                f.starts,
                percent(f.completion_rate),
                percent(f.click_through),
                percent(f.zero_rate)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</main></body></html>");
    html(out)
}

async fn dashboard(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(finder): Path<String>,
    Query(ask): Query<PageAsk>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = guard(&state, peer, &headers) {
        return refused;
    }
    let w = words(&ask, &headers);
    let since = ask.since.clone().unwrap_or_else(|| "7d".into());
    let version = ask.version.clone().filter(|v| !v.is_empty());
    let query = Ask {
        since: Some(since.clone()),
        version: version.clone(),
        ..Ask::default()
    };
    let report = match report_off(&state, &finder, query).await {
        Ok(report) => report,
        Err(error) => return error.into_response(),
    };
    // The picks' titles, so the merchandiser reads names rather than ids (a term look-up each, off the runtime).
    let (catalog, ids) = (
        state.0.catalog(),
        report
            .products
            .iter()
            .map(|p| p.product.clone())
            .collect::<Vec<_>>(),
    );
    let titles = tokio::task::spawn_blocking(move || {
        ids.into_iter()
            .filter_map(|id| Some((id.clone(), catalog.get(&id).ok()??.title)))
            .collect::<std::collections::HashMap<_, _>>()
    })
    .await
    .unwrap_or_default();
    html(page(
        w,
        &finder,
        &since,
        version.as_deref(),
        &report,
        &titles,
    ))
}

fn page(
    w: &Words,
    finder: &str,
    since: &str,
    version: Option<&str>,
    report: &Report,
    titles: &std::collections::HashMap<String, String>,
) -> String {
    let title = format!("{} — {finder}", w.title);
    let mut out = head(w, &title);
    let here = format!("/admin/dashboard/{}", escape(finder));
    let _ = write!(
        out,
        r#"<header><nav><a href="/admin/?lang={lang}">{all}</a> · <a href="/admin/finders/{id}">{checks}</a> · <a href="{here}?lang=en&amp;since={s}">English</a> · <a href="{here}?lang=ja&amp;since={s}">日本語</a></nav></header><main><h1>{title}</h1>"#,
        lang = w.lang,
        all = escape(w.all_finders),
        id = escape(finder),
        checks = escape(w.finder_checks),
        s = escape(since),
        title = escape(&title),
    );
    out.push_str(&form(w, since, version, report));
    let _ = write!(
        out,
        "<p>{} – {} UTC</p>",
        date_label(report.range.from, crate::insights::Grain::Hour),
        date_label(report.range.to, crate::insights::Grain::Hour)
    );
    let total = report.funnel.last().cloned().unwrap_or_default();
    if total.starts == 0 && total.results_shown == 0 && total.clicks == 0 {
        let _ = write!(out, "<p>{}</p></main></body></html>", escape(w.nothing));
        return out;
    }
    sections::funnel(&mut out, w, report);
    sections::arms(&mut out, w, report);
    sections::series(&mut out, w, report);
    sections::drop_off(&mut out, w, report);
    sections::zero(&mut out, w, report);
    sections::answers(&mut out, w, report);
    sections::picks(&mut out, w, report, titles);
    sections::not_understood(&mut out, w, report);
    let csv: Vec<String> = crate::insights::report::TABLES
        .iter()
        .map(|t| {
            format!(
                r#"<a href="/admin/insights/{}/{t}.csv?since={}{}">{t}</a>"#,
                escape(finder),
                escape(since),
                version
                    .map(|v| format!("&amp;version={}", escape(v)))
                    .unwrap_or_default()
            )
        })
        .collect();
    let _ = write!(
        out,
        "<footer><p>{}: {}</p></footer></main></body></html>",
        escape(w.csv),
        csv.join(" · ")
    );
    out
}

/// The date range and version chooser: a plain GET form (no script).
fn form(w: &Words, since: &str, version: Option<&str>, report: &Report) -> String {
    let mut out = format!(
        r#"<form method="get"><input type="hidden" name="lang" value="{}"><label>{} <select name="since">"#,
        w.lang,
        escape(w.range)
    );
    for (value, label) in w.spans {
        let selected = if value == since { " selected" } else { "" };
        let _ = write!(
            out,
            r#"<option value="{value}"{selected}>{}</option>"#,
            escape(label)
        );
    }
    let _ = write!(
        out,
        r#"</select></label> <label>{} <select name="version"><option value="">{}</option>"#,
        escape(w.version),
        escape(w.every_version)
    );
    for row in report.funnel.iter().filter(|f| f.version != "*") {
        let selected = if Some(row.version.as_str()) == version {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            r#"<option value="{v}"{selected}>{v}</option>"#,
            v = escape(&row.version)
        );
    }
    let _ = write!(
        out,
        r#"</select></label> <button type="submit">{}</button></form>"#,
        escape(w.show)
    );
    out
}

mod sections;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2430;background:#fff}\
header{background:#f3f5f8;padding:.6rem 1.5rem}main{padding:0 1.5rem 2rem;max-width:70rem}\
a{color:#1f4e9c}section{margin:1.8rem 0}h2{font-size:1.15rem;margin:.2rem 0 .4rem}\
svg{max-width:100%;height:auto;display:block;margin:.4rem 0}table{border-collapse:collapse;margin:.6rem 0;font-size:14px}\
caption{text-align:left;font-weight:600;padding:.2rem 0}th,td{border-bottom:1px solid #d5d9e0;padding:.25rem .6rem;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}form{margin:1rem 0}select,button{font:inherit;padding:.2rem .4rem}\
.note{color:#3d4654}.warn{color:#a01818}";

/// `GET /admin/dashboard.css`.
async fn stylesheet() -> Response {
    let mut response = STYLE.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    response
}

/// A bar of one value.
fn one(label: &str, value: f64, colour: &'static str, note: String) -> Bar {
    Bar {
        label: label.to_string(),
        segments: vec![(value, colour)],
        note,
    }
}
