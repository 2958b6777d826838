//! `shopkeep serve`.

use super::load;
use crate::server::{self, App, Limits, Settings};
use crate::store::Store;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SHOPKEEP_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Folder of flow files.
    #[arg(long, env = "SHOPKEEP_FLOWS", default_value = "flows")]
    pub flows: PathBuf,
    /// The merchant's recommendation rules (docs/recommendations.md); default: `recommend.yaml` beside the flows
    /// folder, when there is one.
    #[arg(long, env = "SHOPKEEP_RULES", value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Folder of catalog feeds (and images/).
    #[arg(long, env = "SHOPKEEP_CATALOG", default_value = "catalog")]
    pub catalog: PathBuf,
    /// Serve the catalog index built elsewhere with `shopkeep index --out DIR` instead of importing the feeds of
    /// --catalog (which still provides images/): a large catalog is indexed once, off the serving machine.
    #[arg(long, env = "SHOPKEEP_INDEX", value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// Data directory: the store (`store/`) and the catalog's on-disk index (`index/<fingerprint>/`).
    #[arg(long, env = "SHOPKEEP_DATA", default_value = "data")]
    pub data: PathBuf,
    /// Extra origins (e.g. https://shop.example.com) whose pages may open the chat; `*` allows any. Case, a
    /// trailing slash and the default port do not matter; anything else than an origin is refused at start.
    #[arg(
        long = "allow-origin",
        env = "SHOPKEEP_ALLOW_ORIGINS",
        value_delimiter = ','
    )]
    pub allow_origins: Vec<String>,
    /// How far an acknowledged answer is durable: `power` syncs the store to the disk in every group commit and
    /// survives a power cut; `process` survives a crash of the server only (docs/durability.md).
    #[arg(long, env = "SHOPKEEP_DURABILITY", default_value_t = crate::store::Durability::default())]
    pub durability: crate::store::Durability,
    /// Days an idle conversation can still be resumed.
    #[arg(long, env = "SHOPKEEP_SESSION_DAYS", default_value_t = 30)]
    pub session_days: u64,
    /// Largest chat message a client may send, in bytes (bigger closes with 1009).
    #[arg(long, env = "SHOPKEEP_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024)]
    pub max_message_bytes: usize,
    /// Sustained chat messages per second per connection (more closes with 1008); 0 for no limit.
    #[arg(long, env = "SHOPKEEP_MESSAGES_PER_SECOND", default_value_t = 10)]
    pub messages_per_second: u32,
    /// Open conversations one client address may hold (more get 429); 0 for no limit.
    #[arg(long, env = "SHOPKEEP_CONNECTIONS_PER_IP", default_value_t = 64)]
    pub connections_per_ip: usize,
    /// Minutes without a message before a conversation's connection is closed (it can be resumed).
    #[arg(long, env = "SHOPKEEP_IDLE_MINUTES", default_value_t = 30)]
    pub idle_minutes: u64,
    /// Seconds a connection has to send a complete HTTP request head before it is closed (slowloris).
    #[arg(long, env = "SHOPKEEP_HEADER_SECONDS", default_value_t = 10)]
    pub header_seconds: u64,
    /// Connections one client address may hold that have not sent a complete request head yet; 0 for no limit.
    #[arg(long, env = "SHOPKEEP_PENDING_PER_IP", default_value_t = 32)]
    pub pending_per_ip: usize,
    /// Do not reload when a file in the flows or catalog folder changes (POST /admin/reload still does).
    #[arg(long, env = "SHOPKEEP_NO_WATCH")]
    pub no_watch: bool,
    /// Bearer token for admin requests (/admin/…: reload, finders, shoppers' data); without it only this machine
    /// may ask, with it nobody without it (loopback included). `sha256:HEX` gives only the token's hash
    /// (`printf %s TOKEN | sha256sum`), so a config file or environment need not hold the token.
    #[arg(long, env = "SHOPKEEP_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// API keys of the shop's servers for /v1/events and /v1/visitors (repeat, or comma-separate in the env);
    /// `sha256:HEX` gives a key's hash instead of the key.
    #[arg(
        long = "api-key",
        env = "SHOPKEEP_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub api_keys: Vec<String>,
    /// The secret the shop signs customer ids with (`data-customer` + `data-customer-signature`; docs/privacy.md).
    #[arg(long, env = "SHOPKEEP_CUSTOMER_SECRET", hide_env_values = true)]
    pub customer_secret: Option<String>,
    /// Days kept of the answers and shop events of shoppers who never consented (swept in the background).
    #[arg(long, env = "SHOPKEEP_RETENTION_DAYS", default_value_t = 30)]
    pub retention_days: u64,
    /// Days kept of the conversation analytics events (the insights keep their aggregates).
    #[arg(long, env = "SHOPKEEP_EVENTS_DAYS", default_value_t = 30)]
    pub events_days: u64,
    /// Days a shopper's finder answers count in full for recommendations; older ones weigh less (their picks come
    /// after what the shopper viewed and bought since).
    #[arg(long, env = "SHOPKEEP_ANSWERS_FRESH_DAYS", default_value_t = 90)]
    pub answers_fresh_days: u64,
    /// The SMTP server follow-up emails go through: smtp://HOST:PORT (STARTTLS; plain on loopback) or
    /// smtps://HOST:PORT (implicit TLS). Without it no email is queued or sent.
    #[arg(long, env = "SHOPKEEP_SMTP")]
    pub smtp: Option<String>,
    /// The SMTP login (or USER:PASSWORD@ in --smtp).
    #[arg(long, env = "SHOPKEEP_SMTP_USER")]
    pub smtp_user: Option<String>,
    #[arg(long, env = "SHOPKEEP_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// The sender of emails, as `Name <address>`.
    #[arg(
        long,
        env = "SHOPKEEP_EMAIL_FROM",
        default_value = "shopkeep demo shop <shop@localhost>"
    )]
    pub email_from: String,
    /// Folder of email templates and `triggers.yaml`.
    #[arg(long, env = "SHOPKEEP_EMAILS", default_value = "emails")]
    pub emails: PathBuf,
    /// Emails sent per second at most.
    #[arg(long, env = "SHOPKEEP_EMAIL_RATE", default_value_t = 50)]
    pub email_rate: u32,
    /// The shop's public URL: links and images in emails, and the unsubscribe and resume links, point here
    /// (use https in production: RFC 8058 asks for it). Default: this server's own address.
    #[arg(long, env = "SHOPKEEP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The shop's name as emails show it.
    #[arg(long, env = "SHOPKEEP_SHOP_NAME", default_value = "shopkeep demo shop")]
    pub shop_name: String,
    /// Shop events per second taken over POST /v1/events (all keys together); 0 for no limit.
    #[arg(long, env = "SHOPKEEP_EVENTS_PER_SECOND", default_value_t = 200_000)]
    pub events_per_second: u32,
}

pub(super) fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let addr: SocketAddr = args.addr.parse().with_context(|| {
        format!(
            "`{}` is not an address such as 127.0.0.1:8080; fix --addr",
            args.addr
        )
    })?;
    // A malformed origin would never match: refuse it now, naming every one, rather than refuse shoppers later.
    let allowed_origins = server::AllowedOrigins::parse(&args.allow_origins).map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    // Secrets are hashed at once; a setting may hold the hash only (`sha256:HEX`), so no file holds the secret.
    let secret = |flag: &str, value: &str| {
        crate::secret::TokenHash::from_setting(value).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
    };
    let admin_token = match args.admin_token.as_deref().map(str::trim) {
        Some(token) if !token.is_empty() => Some(secret("--admin-token", token)?),
        _ => None,
    };
    let api_keys = args
        .api_keys
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .map(|k| secret("--api-key", k))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // The store first: it locks the data folder, so a second server on it stops before touching its index.
        let store = Store::open_with(&args.data, args.durability)?;
        let shelf = crate::catalog::Shelf::new(args.data.join("index"), Default::default());
        let (flows, catalog) = match &args.index {
            None => load(&args.flows, &args.catalog, Some(&shelf))?,
            Some(folder) => {
                let (flows, warnings) = crate::setup::load_flows(&args.flows)?;
                warnings.iter().for_each(|w| eprintln!("{w}"));
                let catalog = crate::catalog::Catalog::open_dir(folder).with_context(|| {
                    format!("cannot serve the index in `{}`; build it with `shopkeep index CATALOG --out {}`", folder.display(), folder.display())
                })?;
                crate::setup::check(&flows, &catalog, folder)?;
                eprintln!("catalog: serving the prebuilt index in `{}` ({} products)", folder.display(), catalog.len());
                (flows, catalog)
            }
        };
        let rules_file = args.rules.clone().or_else(|| {
            let beside = crate::setup::default_rules_file(&args.flows);
            beside.is_file().then_some(beside)
        });
        let rules = match &rules_file {
            Some(file) => {
                let rules = crate::setup::load_rules(file, &flows, &catalog)?;
                eprintln!("recommendations: {} pins, {} exclusions, {} accessory rules from `{}`", rules.pins.len(), rules.exclude.len(), rules.with.len(), file.display());
                rules
            }
            None => crate::recommend::Rules::default(),
        };
        let segments_file = crate::setup::default_segments_file(&args.flows);
        let segments = crate::setup::load_segments(&segments_file, &flows)?;
        if !segments.list.is_empty() {
            eprintln!("segments: {} from `{}` ({})", segments.list.len(), segments_file.display(), segments.names().join(", "));
        }
        match catalog.origin() {
            crate::catalog::Origin::Reused(folder) => eprintln!("catalog: feeds unchanged, reusing the index in `{}`", folder.display()),
            crate::catalog::Origin::Built(folder) => eprintln!("catalog: index built into `{}`", folder.display()),
            _ => {}
        }
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                anyhow::anyhow!("port {} is in use; stop what is using it or pass another --addr", addr.port())
            } else {
                anyhow::anyhow!("cannot listen on {addr}: {e}; pass another --addr")
            }
        })?;
        let local = listener.local_addr()?;
        let email = mailer(&args, local)?;
        if let Some(mailer) = &email {
            let problems = mailer.triggers().check_segments(&segments.names(), &segments_file.display().to_string());
            if !problems.is_empty() {
                return Err(crate::setup::SetupError::Segments { file: segments_file.clone(), problems }.into());
            }
        }
        let settings = Settings {
            allowed_origins,
            session_ttl: Duration::from_secs(args.session_days.max(1) * 24 * 3600),
            flows_dir: args.flows.clone(),
            catalog_dir: args.catalog.clone(),
            rules_file,
            segments_file: Some(segments_file),
            catalog_index: Some(shelf),
            prebuilt_index: args.index.clone(),
            watch: !args.no_watch,
            admin_token,
            api_keys,
            customer_secret: args.customer_secret.clone().filter(|s| !s.trim().is_empty()),
            retention: Duration::from_secs(args.retention_days.max(1) * 24 * 3600),
            events_retention: Duration::from_secs(args.events_days.max(1) * 24 * 3600),
            answers_fresh: Duration::from_secs(args.answers_fresh_days.max(1) * 24 * 3600),
            clock: crate::store::Clock::system(),
            email,
            limits: Limits {
                max_message_bytes: args.max_message_bytes.max(256),
                messages_per_second: args.messages_per_second,
                message_burst: args.messages_per_second.saturating_mul(2),
                connections_per_ip: args.connections_per_ip,
                idle_timeout: Duration::from_secs(args.idle_minutes.max(1) * 60),
                events_per_second: args.events_per_second,
                header_timeout: Duration::from_secs(args.header_seconds.max(1)),
                pending_per_ip: args.pending_per_ip,
                ..Limits::default()
            },
        };
        let (n_flows, n_products) = (flows.len(), catalog.len());
        let (state, shutdown) = App::new(flows, catalog, store, settings);
        state.0.live.set_rules(rules);
        state.0.live.set_segments(segments);
        if let Some(mailer) = &state.0.settings.email {
            mailer.set_segments(state.0.live.segments());
        }
        tokio::spawn(async move {
            stop_signal().await;
            eprintln!("shutting down…");
            shutdown.trigger();
        });
        println!("shopkeep is serving http://{local}/ ({n_flows} finders, {n_products} products). Press Ctrl-C to stop.");
        server::run(listener, state).await?;
        // Whoever started the server may have stopped reading its output by now: that is no failure.
        let _ = std::io::Write::write_all(&mut std::io::stdout(), b"stopped cleanly\n");
        Ok(())
    })
}

/// The mailer of `--smtp`, with the templates and triggers of `--emails` (a problem in them stops the start,
/// naming file and line); `None` without `--smtp`.
fn mailer(
    args: &ServeArgs,
    local: SocketAddr,
) -> anyhow::Result<Option<std::sync::Arc<crate::email::Mailer>>> {
    use crate::email::{self, transport};
    let Some(smtp) = args.smtp.as_deref().filter(|s| !s.trim().is_empty()) else {
        if args.emails.is_dir() {
            // Checked even when not sending, so a broken template shows before it matters.
            email::load_all(&args.emails).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        eprintln!("email: off (pass --smtp smtp://HOST:PORT to send follow-up email)");
        return Ok(None);
    };
    let mut url = transport::SmtpUrl::parse(smtp).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(user) = &args.smtp_user {
        url.user = Some(user.clone());
    }
    if let Some(password) = &args.smtp_password {
        url.password = Some(password.clone());
    }
    let loaded = email::load_all(&args.emails).map_err(|e| anyhow::anyhow!("{e}"))?;
    let from: lettre::message::Mailbox = args.email_from.parse().map_err(|e| {
        anyhow::anyhow!(
            "--email-from `{}` is not a sender ({e}); write it as `Shop <shop@example.com>`",
            args.email_from
        )
    })?;
    let public = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    if !public.starts_with("http://") && !public.starts_with("https://") {
        anyhow::bail!(
            "--public-url `{public}` is not an http(s) URL; write it as https://shop.example.com"
        );
    }
    let smtp = transport::Smtp::new(&url, email::worker::SEND_TIMEOUT, email::worker::IN_FLIGHT)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!(
        "email: sending through {}:{} ({:?}), links to {public}",
        url.host, url.port, url.security
    );
    let mut mailer = email::Mailer::new(
        loaded,
        std::sync::Arc::new(smtp),
        from,
        email::Shop {
            name: args.shop_name.clone(),
            url: public,
        },
        args.email_rate,
    );
    // Read again on a reload of the flows.
    mailer.folder = Some(args.emails.clone());
    Ok(Some(std::sync::Arc::new(mailer)))
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
