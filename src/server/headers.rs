//! Security headers on every response the server sends, whichever handler made it.
//!
//! Pages (any `text/html` response: the demo shop, product pages, the `/admin` pages and whatever page is added
//! later) get a strict Content-Security-Policy: scripts, styles and sockets only from this server, no inline
//! script or style, no plugins, no `<base>`, and no framing by another site (`frame-ancestors 'none'`, with
//! `X-Frame-Options: DENY` for older browsers). Everything else (JSON, scripts, images) gets a policy that
//! allows nothing, so a response opened as a document runs nothing either. A handler that sets its own policy
//! keeps it (an SVG image allows its own inline styles). Every response says `X-Content-Type-Options: nosniff`
//! and `Referrer-Policy: no-referrer`: the demo page's address may carry a visitor id, which must not travel to
//! the sites of product images and links.
//!
//! The widget itself runs on the shop's pages under the shop's policy; docs/embedding.md says what it needs.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// The policy of every page: nothing inline, nothing from elsewhere but images.
pub const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data: https:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The policy of every other response: it is no document, so it may do nothing as one.
pub const NOTHING_POLICY: &str = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Adds the security headers to `response` (a `map_response` layer over the whole router).
pub(super) async fn secure(mut response: Response) -> Response {
    add(response.headers_mut());
    response
}

fn add(headers: &mut HeaderMap) {
    let page = headers
        .get(header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.trim_start().starts_with("text/html"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if page { PAGE_POLICY } else { NOTHING_POLICY };
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(policy),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secured(content_type: Option<&str>, policy: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(t) = content_type {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(t).expect("ascii"),
            );
        }
        if let Some(p) = policy {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(p).expect("ascii"),
            );
        }
        add(&mut headers);
        headers
    }

    #[test]
    fn pages_get_the_page_policy_and_everything_else_the_empty_one() {
        let csp = |h: &HeaderMap| {
            h[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .expect("ascii")
                .to_string()
        };
        assert_eq!(
            csp(&secured(Some("text/html; charset=utf-8"), None)),
            PAGE_POLICY
        );
        assert_eq!(
            csp(&secured(Some("application/json"), None)),
            NOTHING_POLICY
        );
        assert_eq!(csp(&secured(None, None)), NOTHING_POLICY);
        assert_eq!(
            csp(&secured(Some("image/svg+xml"), Some("default-src 'none'"))),
            "default-src 'none'"
        );
        let headers = secured(Some("text/html"), None);
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        for directive in PAGE_POLICY.split(';') {
            assert!(!directive.contains("unsafe"), "{directive}");
        }
    }
}
