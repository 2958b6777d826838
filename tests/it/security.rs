//! Security headers on everything the server sends, pages with no inline code, and admin requests that need the
//! admin token from everywhere once one is set (loopback included), with the token given only as its hash.

use sha2::Digest;
use shopkeep::secret::{TokenHash, hex};
use shopkeep::server::Settings;

use crate::support::{http_raw, spawn_app, spawn_with};

/// The directives of a Content-Security-Policy, by name.
fn directives(policy: &str) -> Vec<(String, Vec<String>)> {
    policy
        .split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace().map(str::to_string);
            Some((words.next()?, words.collect()))
        })
        .collect()
}

fn directive<'a>(policy: &'a [(String, Vec<String>)], name: &str) -> Option<&'a [String]> {
    policy
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_slice())
}

/// What in `html` a strict policy would block: inline scripts, event-handler attributes, inline styles.
fn inline_code(html: &str) -> Vec<String> {
    let lower = html.to_lowercase();
    let mut found = Vec::new();
    for (at, _) in lower.match_indices("<script") {
        let tag = &lower[at..lower[at..].find('>').map_or(lower.len(), |end| at + end)];
        if !tag.contains(" src=") {
            found.push(format!("inline script at byte {at}"));
        }
    }
    if lower.contains("<style") {
        found.push("a <style> element".into());
    }
    for attribute in [
        " style=",
        " onclick=",
        " onload=",
        " onerror=",
        "javascript:",
    ] {
        if lower.contains(attribute) {
            found.push(format!("`{}`", attribute.trim()));
        }
    }
    found
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_pages_a_strict_policy() {
    let app = spawn_app().await;
    let pages = [
        "/",
        "/?flow=knives&locale=ja&open=true",
        "/p/rs-001",
        "/admin/finders",
        "/admin/finders/running-shoes",
    ];
    for path in pages {
        let page = http_raw(app.addr, "GET", path, &[]).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{path}: {:?}",
            page.headers
        );
        let policy = directives(page.header("content-security-policy").unwrap_or_else(|| {
            panic!("{path} has no Content-Security-Policy: {:?}", page.headers)
        }));
        assert_eq!(
            directive(&policy, "script-src"),
            Some(&["'self'".to_string()][..]),
            "{path}: scripts only from this server"
        );
        assert_eq!(
            directive(&policy, "default-src"),
            Some(&["'none'".to_string()][..])
        );
        assert_eq!(
            directive(&policy, "frame-ancestors"),
            Some(&["'none'".to_string()][..]),
            "{path}: no other site frames it"
        );
        assert_eq!(
            directive(&policy, "base-uri"),
            Some(&["'none'".to_string()][..])
        );
        for (name, values) in &policy {
            assert!(
                values.iter().all(|v| !v.contains("unsafe") && v != "*"),
                "{path}: {name} {values:?}"
            );
        }
        let html = String::from_utf8_lossy(&page.body);
        assert_eq!(
            inline_code(&html),
            Vec::<String>::new(),
            "{path} has code the policy blocks"
        );
    }
    // Everything else: no document, so a policy that allows nothing; and the same three headers.
    let others = [
        "/widget.js",
        "/demo.js",
        "/demo.css",
        "/product.css",
        "/admin/finders.css",
        "/track.js",
        "/healthz",
        "/v1/access",
        "/metrics",
        "/nowhere",
        "/p/no-such-product",
        "/admin/finders/no-such-finder",
        "/v1/visitors/v-1/profile",
    ];
    for path in pages.iter().chain(&others) {
        let response = http_raw(app.addr, "GET", path, &[]).await;
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            response.header("referrer-policy"),
            Some("no-referrer"),
            "{path}: a visitor id in the address never travels on"
        );
        assert_eq!(response.header("x-frame-options"), Some("DENY"), "{path}");
        if others.contains(path) {
            assert_eq!(
                response.header("content-security-policy"),
                Some("default-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
                "{path}"
            );
        }
    }
    // The demo's script and style are served as what they are.
    for (path, kind) in [
        ("/demo.js", "text/javascript"),
        ("/demo.css", "text/css"),
        ("/product.css", "text/css"),
    ] {
        let response = http_raw(app.addr, "GET", path, &[]).await;
        assert_eq!(response.status, 200, "{path}");
        assert!(
            response
                .header("content-type")
                .is_some_and(|t| t.starts_with(kind)),
            "{path}: {:?}",
            response.headers
        );
    }
}

/// Every admin route, as (method, path).
const ADMIN_ROUTES: [(&str, &str); 9] = [
    ("POST", "/admin/reload"),
    ("GET", "/admin/finders"),
    ("GET", "/admin/finders/running-shoes"),
    ("GET", "/admin/shoppers/v-nobody"),
    ("DELETE", "/admin/shoppers/v-nobody"),
    ("POST", "/admin/retention"),
    ("GET", "/admin/insights"),
    ("GET", "/admin/insights/running-shoes"),
    ("GET", "/admin/insights/running-shoes/questions.csv"),
];

#[tokio::test]
async fn with_an_admin_token_every_admin_route_refuses_without_it_even_from_this_machine() {
    let token = "correct horse battery staple";
    // The server is given only the token's hash, as a config file or environment would hold it.
    let setting = format!("sha256:{}", hex(&sha2::Sha256::digest(token.as_bytes())));
    let settings = Settings {
        admin_token: Some(TokenHash::from_setting(&setting).expect("a valid hash")),
        api_keys: vec![TokenHash::new("an-api-key")],
        ..Settings::default()
    };
    let app = spawn_with(tempfile::tempdir().expect("temp dir"), settings).await;
    let right = format!("Bearer {token}");
    let hashed = format!("Bearer {setting}");
    let near = format!("Bearer {}", &token[..token.len() - 1]);
    let refused: [&[(&str, &str)]; 6] = [
        &[],
        &[("Authorization", "Bearer ")],
        &[("Authorization", near.as_str())],
        &[("Authorization", hashed.as_str())],
        &[("Authorization", "Bearer an-api-key")],
        &[("Authorization", token)],
    ];
    for (method, path) in ADMIN_ROUTES {
        for headers in refused {
            let response = http_raw(app.addr, method, path, headers).await;
            assert_eq!(
                response.status, 401,
                "{method} {path} with {headers:?} from loopback"
            );
            let body: serde_json::Value =
                serde_json::from_slice(&response.body).expect("a JSON error");
            assert_eq!(body["error"], "unauthorized");
            assert!(
                body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("--admin-token")),
                "{body}"
            );
        }
        let response = http_raw(app.addr, method, path, &[("Authorization", right.as_str())]).await;
        assert!(
            [200, 404].contains(&response.status),
            "{method} {path} with the token: {} {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
        // The scheme's case does not matter (RFC 7235).
        let lower = format!("bearer {token}");
        let response = http_raw(app.addr, method, path, &[("Authorization", lower.as_str())]).await;
        assert_ne!(response.status, 401, "{method} {path}");
    }
}

#[tokio::test]
async fn without_an_admin_token_admin_routes_answer_this_machine() {
    let app = spawn_app().await;
    for (method, path) in ADMIN_ROUTES {
        let response = http_raw(app.addr, method, path, &[]).await;
        assert_ne!(response.status, 401, "{method} {path} from loopback");
    }
}
