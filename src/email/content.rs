//! What an email says: the shopper's picks with their reasons, images, prices and links, built from the finder's
//! matcher over their stored answers (or from built-in sample answers for a preview). Pure over its inputs.

use serde::Serialize;

use crate::catalog::{Catalog, Product};
use crate::conversation::Answer;
use crate::flow::{Flow, Flows};
use crate::store::StoredAnswer;

/// Picks an email shows at most.
pub const PICKS: usize = 3;

/// A pick and the answers it matched.
pub type Picked = (Product, Vec<String>);

/// Where the shop is: its name and the public URL links and images are made absolute against.
#[derive(Clone, Debug)]
pub struct Shop {
    pub name: String,
    pub url: String,
}

/// The context every email template gets.
#[derive(Clone, Debug, Serialize)]
pub struct Content {
    pub shop: ShopView,
    pub locale: String,
    /// The finder's title in the shopper's locale ("" when none).
    pub finder: String,
    pub picks: Vec<PickView>,
    /// The products the email is about besides the picks (a cart's items), without reasons.
    pub items: Vec<PickView>,
    /// Everything the shopper told us that the picks match, each once ("trail", "waterproof").
    pub told: Vec<String>,
    pub links: Links,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShopView {
    pub name: String,
    pub url: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PickView {
    pub id: String,
    pub title: String,
    pub brand: String,
    /// In the catalog's currency (`$129.95`, `¥12,800`).
    pub price: String,
    /// Absolute URL of the product image, if it has one.
    pub image: Option<String>,
    /// The product page, with UTM parameters.
    pub link: String,
    /// "Because you told us: trail, waterproof" (localised).
    pub reason: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Links {
    /// The shop's home page, with UTM parameters.
    pub shop: String,
    /// Reopens the finder where the shopper left it (abandoned-finder email only).
    pub resume: Option<String>,
    /// The one-click unsubscribe page.
    pub unsubscribe: String,
}

/// `url` with `utm_source=shopkeep&utm_medium=email&utm_campaign=CAMPAIGN` added before any fragment.
pub fn utm(url: &str, campaign: &str) -> String {
    let (head, fragment) = match url.split_once('#') {
        Some((head, fragment)) => (head, Some(fragment)),
        None => (url, None),
    };
    let separator = if head.contains('?') { '&' } else { '?' };
    let campaign: String = campaign
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut out =
        format!("{head}{separator}utm_source=shopkeep&utm_medium=email&utm_campaign={campaign}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// `path` made absolute against the shop's URL (a full `http(s)://` URL is kept).
pub fn absolute(base: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        path.to_string()
    } else {
        format!(
            "{}/{}",
            base.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

/// The reason a pick is shown, from the answers it matches.
pub fn reason(matched: &[String], locale: &str) -> String {
    crate::recommend::because_you_told(matched, locale)
}

impl Content {
    /// Sample content that needs no catalog: what every template is rendered with when it is loaded.
    pub fn sample(locale: &str) -> Content {
        let ja = locale.starts_with("ja");
        let shop = Shop {
            name: "Sample shop".into(),
            url: "https://shop.example".into(),
        };
        let told = if ja {
            vec!["トレイル".to_string(), "防水".to_string()]
        } else {
            vec!["trail".to_string(), "waterproof".to_string()]
        };
        let picks = (1..=3)
            .map(|n| PickView {
                id: format!("sample-{n}"),
                title: format!("Sample product {n}"),
                brand: "Sample".into(),
                price: crate::money::format(100.0 + f64::from(n), "USD"),
                image: Some(absolute(&shop.url, "/catalog/images/sample.svg")),
                link: utm(&absolute(&shop.url, &format!("/p/sample-{n}")), "sample"),
                reason: reason(&told, locale),
            })
            .collect::<Vec<PickView>>();
        let items = picks
            .iter()
            .take(1)
            .map(|p| PickView {
                reason: String::new(),
                ..p.clone()
            })
            .collect();
        Content {
            shop: ShopView {
                name: shop.name.clone(),
                url: utm(&shop.url, "sample"),
            },
            locale: locale.to_string(),
            finder: "Sample finder".into(),
            picks,
            items,
            told,
            links: Links {
                shop: utm(&shop.url, "sample"),
                resume: Some(absolute(&shop.url, "/?shopkeep-resume=sample")),
                unsubscribe: absolute(&shop.url, "/v1/unsubscribe/sample"),
            },
        }
    }

    /// The content for a shopper: the picks the finder they answered last makes from their answers (at most
    /// [`PICKS`], none of the items), and `items` (a cart's products) as the catalog has them.
    pub fn build(
        shop: &Shop,
        (flows, catalog): (&Flows, &Catalog),
        answers: &[StoredAnswer],
        items: &[String],
        locale: &str,
        (campaign, links): (&str, Links),
    ) -> Content {
        // The picks are alternatives to the items (a cart's): never an item again.
        let (finder, picks) = match picks_for(flows, catalog, answers, locale, PICKS + items.len())
        {
            Some((flow, picks)) => (
                flow.title.get(locale, "en").to_string(),
                picks
                    .into_iter()
                    .filter(|(product, _)| !items.contains(&product.id))
                    .take(PICKS)
                    .collect::<Vec<_>>(),
            ),
            None => (String::new(), Vec::new()),
        };
        let mut told: Vec<String> = Vec::new();
        for (_, matched) in &picks {
            for m in matched {
                if !told.contains(m) {
                    told.push(m.clone());
                }
            }
        }
        let view = |product: Product, reason: String| PickView {
            link: utm(
                &absolute(
                    &shop.url,
                    product
                        .link
                        .as_deref()
                        .unwrap_or(&format!("/p/{}", product.id)),
                ),
                campaign,
            ),
            image: product.image.as_deref().map(|i| absolute(&shop.url, i)),
            price: crate::money::format(product.price, &product.currency),
            reason,
            id: product.id,
            title: product.title,
            brand: product.brand,
        };
        let items = items
            .iter()
            .filter_map(|id| catalog.get(id).ok().flatten())
            .map(|product| view(product, String::new()))
            .collect();
        let picks = picks
            .into_iter()
            .map(|(product, matched)| {
                let reason = reason(&matched, locale);
                view(product, reason)
            })
            .collect();
        Content {
            shop: ShopView {
                name: shop.name.clone(),
                url: utm(&shop.url, campaign),
            },
            locale: locale.to_string(),
            finder,
            picks,
            items,
            told,
            links,
        }
    }
}

/// The first answer of each question of the first finder by id, among those written in `locale` if any: the
/// answers of a sample shopper for a preview.
pub fn sample_answers(flows: &Flows, locale: &str) -> Vec<StoredAnswer> {
    let mut all: Vec<&std::sync::Arc<Flow>> = flows.iter().collect();
    // A finder written in the preview's language first (a Japanese preview reads Japanese answers), then by id.
    let speaks = |f: &Flow| f.locales.iter().any(|l| l == locale);
    all.sort_by(|a, b| speaks(b).cmp(&speaks(a)).then_with(|| a.id.cmp(&b.id)));
    let Some(flow) = all.first() else {
        return Vec::new();
    };
    flow.questions()
        .filter_map(|q| {
            q.options.first().map(|o| StoredAnswer {
                flow: flow.id.clone(),
                flow_version: flow.version.clone(),
                question: q.id.clone(),
                answer: Answer::Choice {
                    value: o.value.clone(),
                },
                at: 0,
            })
        })
        .collect()
}

/// The finder's picks for the shopper's answers to the finder they answered last, each with the answers it
/// matched (picks that match none are left out: an email says why each pick is there).
pub fn picks_for<'f>(
    flows: &'f Flows,
    catalog: &Catalog,
    answers: &[StoredAnswer],
    locale: &str,
    limit: usize,
) -> Option<(&'f Flow, Vec<Picked>)> {
    let latest = answers.iter().max_by_key(|a| (a.at, a.flow.clone()))?;
    let flow = flows.get(&latest.flow)?;
    let mut given: Vec<&StoredAnswer> = answers.iter().filter(|a| a.flow == flow.id).collect();
    given.sort_by_key(|a| a.at);
    let given: Vec<(&str, &Answer)> = given
        .iter()
        .map(|a| (a.question.as_str(), &a.answer))
        .collect();
    let picks = crate::replay::picks(flow, catalog, &given, locale, limit)
        .into_iter()
        .map(|(product, matched)| ((*product).clone(), matched))
        .collect();
    Some((flow.as_ref(), picks))
}
