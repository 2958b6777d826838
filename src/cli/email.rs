//! `shopkeep email preview NAME [--visitor ID] [--locale ja]`: renders an email from the templates in `emails/`
//! with a real shopper's profile (from the store in `--data`) or built-in sample answers, and writes its parts.

use std::path::PathBuf;

use anyhow::Context;

use super::load;
use crate::email::{self, Content, Links, Shop};
use crate::shop_events::Kind as EventKind;
use crate::store::{Store, Trigger};

#[derive(Debug, clap::Args)]
pub struct EmailArgs {
    #[command(subcommand)]
    pub command: EmailCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum EmailCommand {
    /// Render an email to NAME.LOCALE.html and NAME.LOCALE.txt and print their paths.
    Preview(PreviewArgs),
}

#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    /// The email: a template name in the emails folder (`picks`, `resume`).
    pub name: String,
    /// A visitor or profile id whose stored answers to render (needs the server's --data; stop the server first).
    #[arg(long)]
    pub visitor: Option<String>,
    /// The locale to render (default: the shopper's consent locale, else en).
    #[arg(long)]
    pub locale: Option<String>,
    /// Folder of email templates.
    #[arg(long, env = "SHOPKEEP_EMAILS", default_value = "emails")]
    pub emails: PathBuf,
    #[arg(long, env = "SHOPKEEP_FLOWS", default_value = "flows")]
    pub flows: PathBuf,
    #[arg(long, env = "SHOPKEEP_CATALOG", default_value = "catalog")]
    pub catalog: PathBuf,
    #[arg(long, env = "SHOPKEEP_DATA", default_value = "data")]
    pub data: PathBuf,
    /// Where to write the files.
    #[arg(long, default_value = "email-preview")]
    pub out: PathBuf,
    /// The shop's name as emails show it.
    #[arg(long, env = "SHOPKEEP_SHOP_NAME", default_value = "shopkeep demo shop")]
    pub shop_name: String,
    /// The public URL links and images in emails point at.
    #[arg(
        long,
        env = "SHOPKEEP_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
}

pub(super) fn run(args: EmailArgs) -> anyhow::Result<()> {
    match args.command {
        EmailCommand::Preview(args) => preview(args),
    }
}

fn preview(args: PreviewArgs) -> anyhow::Result<()> {
    let templates = email::load(&args.emails).map_err(|e| anyhow::anyhow!("{e}"))?;
    if !templates.emails().contains_key(&args.name) {
        let known: Vec<&str> = templates.emails().keys().map(String::as_str).collect();
        anyhow::bail!(
            "no email `{}` in `{}`; the emails are: {}",
            args.name,
            args.emails.display(),
            known.join(", ")
        );
    }
    let (flows, catalog) = load(&args.flows, &args.catalog, None)?;
    // The cart email shows the items left in the cart: the shopper's latest cart add, or a sample one.
    let cart_email = email::load_all(&args.emails)
        .ok()
        .and_then(|(_, triggers)| {
            triggers
                .rule(Trigger::CartAbandoned)
                .map(|r| r.email.clone())
        })
        .is_some_and(|name| name == args.name);
    let mut items = Vec::new();
    let (answers, locale) = match &args.visitor {
        Some(visitor) => {
            let store = Store::open(&args.data)?;
            let profile = store.known_profile(visitor)?.with_context(|| {
                format!(
                    "no shopper `{visitor}` in `{}`; pass a visitor id the server has seen, or leave out --visitor for sample data",
                    args.data.display()
                )
            })?;
            let locale = store.consents(&profile)?.last().map(|c| c.locale.clone());
            let locale = args.locale.clone().or(locale);
            if cart_email {
                let mut carted = Vec::new();
                for owner in &profile.owners {
                    carted.extend(
                        store
                            .shop_events_of(owner)?
                            .into_iter()
                            .filter(|e| e.kind == EventKind::AddedToCart),
                    );
                }
                if let Some(latest) = carted.iter().max_by_key(|e| e.at) {
                    items = latest.products().iter().map(|p| p.to_string()).collect();
                }
            }
            (
                store.profile_answers(&profile)?,
                locale.unwrap_or_else(|| "en".into()),
            )
        }
        None => {
            let locale = args.locale.clone().unwrap_or_else(|| "en".into());
            let answers = email::content::sample_answers(&flows, &locale);
            if cart_email {
                // The sample shopper left the first of their picks in the cart.
                items = email::content::picks_for(&flows, &catalog, &answers, &locale, 1)
                    .and_then(|(_, picks)| picks.into_iter().next())
                    .map(|(product, _)| vec![product.id])
                    .unwrap_or_default();
            }
            (answers, locale)
        }
    };
    let shop = Shop {
        name: args.shop_name.clone(),
        url: args.public_url.clone(),
    };
    let links = Links {
        shop: email::content::utm(&shop.url, &args.name),
        resume: (args.name == "resume")
            .then(|| email::content::absolute(&shop.url, "/?shopkeep-resume=preview")),
        unsubscribe: email::content::absolute(&shop.url, "/v1/unsubscribe/preview"),
    };
    let content = Content::build(
        &shop,
        (&flows, &catalog),
        &answers,
        &items,
        &locale,
        (&args.name, links),
    );
    let rendered = templates.render(
        &args.name,
        &locale,
        &minijinja::Value::from(minijinja::value::Serde(&content)),
    )?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create `{}`; pass another --out", args.out.display()))?;
    let locale = templates.locale_for(&args.name, &locale);
    let html = args.out.join(format!("{}.{locale}.html", args.name));
    let text = args.out.join(format!("{}.{locale}.txt", args.name));
    std::fs::write(&html, &rendered.html)
        .with_context(|| format!("cannot write `{}`", html.display()))?;
    std::fs::write(
        &text,
        format!("Subject: {}\n\n{}", rendered.subject, rendered.text),
    )
    .with_context(|| format!("cannot write `{}`", text.display()))?;
    println!("{}", html.display());
    println!("{}", text.display());
    Ok(())
}
