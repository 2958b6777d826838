//! Which web pages may use the chat: the `--allow-origin` list, normalised once at start, the check of a
//! request's `Origin`, and `GET /v1/access`, which tells a page whether its origin is allowed.
//!
//! Origins compare as RFC 6454 says browsers send them: scheme and host lower-case, no path, and the default port
//! (80 for http, 443 for https) left out. So `https://Shop.Example/` and `https://shop.example:443` given to
//! `--allow-origin` both allow the page origin `https://shop.example`. A value that is not an origin (a bare host,
//! a path, another scheme) stops the server at start with a message naming it, instead of never matching.
//!
//! Why `/v1/access` exists: a browser does not let a page read the HTTP status of a refused WebSocket upgrade (a
//! 403 and a server that is down both look like close code 1006). When the chat socket fails before it opened, the
//! widget asks this endpoint, with CORS, and tells "not allowed on this page" (stop, say so) from an outage
//! (back off and retry). Clients that are not browsers send no `Origin` and are allowed, as on the socket.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;

/// A value given to `--allow-origin` that is not an origin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "--allow-origin `{given}`: {problem}; write an origin: scheme, host and optional port, e.g. https://shop.example.com"
)]
pub struct OriginError {
    pub given: String,
    pub problem: &'static str,
}

/// The origins whose pages may use the chat besides the server's own and loopback pages; `*` allows any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    any: bool,
    list: Vec<String>,
}

impl AllowedOrigins {
    /// Normalises every value; empty values (a trailing comma in `SHOPKEEP_ALLOW_ORIGINS`) are skipped, and every
    /// malformed one is reported, not just the first.
    pub fn parse<S: AsRef<str>>(
        values: impl IntoIterator<Item = S>,
    ) -> Result<AllowedOrigins, Vec<OriginError>> {
        let mut allowed = AllowedOrigins::default();
        let mut errors = Vec::new();
        for value in values {
            let value = value.as_ref().trim();
            if value.is_empty() {
                continue;
            }
            if value == "*" {
                allowed.any = true;
                continue;
            }
            match normalize(value) {
                Ok(origin) if !allowed.list.contains(&origin) => allowed.list.push(origin),
                Ok(_) => {}
                Err(problem) => errors.push(OriginError {
                    given: value.to_string(),
                    problem,
                }),
            }
        }
        if errors.is_empty() {
            Ok(allowed)
        } else {
            Err(errors)
        }
    }

    /// The normalised origins, as the server compares them.
    pub fn origins(&self) -> &[String] {
        &self.list
    }

    /// May a page of `origin` (the request's `Origin` header) use the chat of the server reached as `host`?
    pub fn allows(&self, origin: &str, host: &str) -> bool {
        if self.any {
            return true;
        }
        let Ok(origin) = normalize(origin) else {
            // `null` (sandboxed frames, file pages) and anything malformed
            return false;
        };
        if self.list.contains(&origin) {
            return true;
        }
        let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
        let host = host.trim().to_ascii_lowercase();
        if !host.is_empty() && (origin_host == host || strip_default_port(&host) == origin_host) {
            return true;
        }
        let name = match origin_host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => origin_host,
        };
        matches!(name, "127.0.0.1" | "localhost" | "[::1]")
    }
}

fn strip_default_port(host: &str) -> &str {
    host.strip_suffix(":80")
        .or_else(|| host.strip_suffix(":443"))
        .unwrap_or(host)
}

/// `scheme://host[:port]`, lower-case, without a trailing slash or the scheme's default port.
fn normalize(value: &str) -> Result<String, &'static str> {
    let (scheme, rest) = value
        .split_once("://")
        .ok_or("no scheme (add https:// in front)")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err("the scheme must be https or http");
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Err("no host");
    }
    if rest.contains(['/', '?', '#']) {
        return Err("an origin has no path, query or fragment");
    }
    if rest.contains('@') {
        return Err("an origin has no user name or password");
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("spaces are not allowed");
    }
    let rest = rest.to_ascii_lowercase();
    let (host, port) = if let Some(after) = rest.strip_prefix('[') {
        let (inside, tail) = after
            .split_once(']')
            .ok_or("an IPv6 address needs a closing `]`")?;
        if inside.is_empty()
            || !inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err("not an IPv6 address");
        }
        let port = match tail {
            "" => None,
            _ => Some(
                tail.strip_prefix(':')
                    .ok_or("junk after the IPv6 address")?,
            ),
        };
        (format!("[{inside}]"), port)
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (rest.clone(), None),
        }
    };
    if host.is_empty() {
        return Err("no host");
    }
    if !host.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err("the host has characters a host name cannot have");
    }
    let port = match port {
        None => None,
        Some(port) => {
            let number: u16 = port
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or("the port must be a number from 1 to 65535")?;
            let default = if scheme == "https" { 443 } else { 80 };
            (number != default).then_some(number)
        }
    };
    Ok(match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Is the request's page allowed? Requests without `Origin` come from clients that are not browsers (browsers
/// always send it on WebSocket upgrades and cross-origin fetches, and a page cannot forge it).
pub(super) fn request_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    state.0.settings.allowed_origins.allows(origin, host)
}

/// What makes a refused page's origin allowed. A page without a web origin (`null`: a file opened from disk, a
/// sandboxed frame) cannot be allowed by `--allow-origin`, which would refuse `null` at start.
fn fix(page: &str) -> String {
    match normalize(page) {
        Ok(origin) => format!("start shopkeep with --allow-origin {origin}"),
        Err(_) => format!(
            "this page has no web origin (`{page}`: a file opened from disk or a sandboxed frame); serve it over https (or http) from an origin given to --allow-origin"
        ),
    }
}

/// `GET /v1/access`: 200 `{"allowed":true}` or 403 `{"allowed":false,"fix":…}`, readable by the asking page
/// (CORS), never cached.
pub(super) async fn access(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let allowed = request_allowed(&state, &headers);
    let origin = headers.get(header::ORIGIN).cloned();
    let page = origin
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let body = if allowed {
        serde_json::json!({ "allowed": true })
    } else {
        serde_json::json!({
            "allowed": false,
            "origin": page,
            "fix": fix(page),
        })
    };
    let status = if allowed {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    };
    let mut response = (status, body.to_string()).into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out.insert(header::VARY, HeaderValue::from_static("origin"));
    out.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        origin.unwrap_or(HeaderValue::from_static("*")),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(values: &[&str]) -> AllowedOrigins {
        AllowedOrigins::parse(values).expect("valid origins")
    }

    #[test]
    fn origins_are_normalised() {
        for (given, want) in [
            ("https://Shop.Example/", "https://shop.example"),
            ("HTTPS://shop.example:443", "https://shop.example"),
            ("http://shop.example:80/", "http://shop.example"),
            ("http://shop.example:8080", "http://shop.example:8080"),
            ("https://[::1]:8443", "https://[::1]:8443"),
            ("https://ショップ.example", "https://ショップ.example"),
        ] {
            assert_eq!(allowed(&[given]).origins(), [want], "{given}");
        }
    }

    #[test]
    fn malformed_origins_are_all_reported() {
        let errors = AllowedOrigins::parse([
            "shop.example",
            "https://shop.example/cart",
            "ftp://shop.example",
            "https://shop.example:99999",
            "https://user@shop.example",
            "https://",
            "https://good.example",
        ])
        .expect_err("malformed");
        let given: Vec<&str> = errors.iter().map(|e| e.given.as_str()).collect();
        assert_eq!(
            given,
            [
                "shop.example",
                "https://shop.example/cart",
                "ftp://shop.example",
                "https://shop.example:99999",
                "https://user@shop.example",
                "https://"
            ]
        );
        assert_eq!(
            errors[0].to_string(),
            "--allow-origin `shop.example`: no scheme (add https:// in front); write an origin: scheme, host and \
             optional port, e.g. https://shop.example.com"
        );
    }

    #[test]
    fn request_origins_match_after_normalising() {
        let list = allowed(&["https://Shop.Example/", "", "http://dev.example:8080"]);
        assert!(list.allows("https://shop.example", "api.example"));
        assert!(list.allows("https://SHOP.example:443", "api.example"));
        assert!(list.allows("http://dev.example:8080", "api.example"));
        assert!(
            !list.allows("http://shop.example", "api.example"),
            "scheme counts"
        );
        assert!(!list.allows("https://shop.example.evil", "api.example"));
        assert!(!list.allows("null", "api.example"));
        // the server's own pages and loopback pages
        assert!(list.allows("https://api.example", "api.example"));
        assert!(list.allows("https://api.example", "api.example:443"));
        assert!(list.allows("http://127.0.0.1:5173", "api.example"));
        assert!(list.allows("http://localhost", "api.example"));
        assert!(!list.allows("http://localhost.evil.example", "api.example"));
        assert!(allowed(&["*"]).allows("https://anything.example", "api.example"));
    }
}
