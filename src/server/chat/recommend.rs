//! `recommend` over the chat socket: the widget's "recommended for you" strip. The same recommendations as
//! `GET /v1/visitors/{id}/recommendations`, for this conversation's shopper, in its locale, within its finder's
//! scope.

use super::*;
use crate::server::api::recommendations::{Ask, gather};
use crate::server::protocol::RecommendationOut;

/// Most products one `recommend` returns: a strip, not a catalog page.
const MAX_LIMIT: usize = 12;

pub(super) async fn recommend(
    state: &AppState,
    conv: &Current,
    limit: Option<usize>,
    context: Option<String>,
) -> Vec<ServerMsg> {
    let limit = limit.unwrap_or(4);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return vec![error(
            "bad_message",
            format!("`limit` of recommend is from 1 to {MAX_LIMIT}"),
        )];
    }
    if context
        .as_ref()
        .is_some_and(|c| c.is_empty() || c.len() > 128)
    {
        return vec![error(
            "bad_message",
            "`context` of recommend is a product id of 1–128 characters",
        )];
    }
    let ask = Ask {
        limit,
        context,
        locale: conv.session.locale.clone(),
        flow: Some(conv.flow.id.clone()),
    };
    let owner = store::owner(&conv.session).to_string();
    let app = state.clone();
    match tokio::task::spawn_blocking(move || gather(&app.0, &owner, &ask)).await {
        Ok(Ok(gathered)) => vec![ServerMsg::Recommendations {
            returning: gathered.returning,
            products: gathered
                .items
                .into_iter()
                .map(|r| RecommendationOut {
                    id: r.rec.product,
                    title: r.rec.title,
                    brand: r.product.brand,
                    price: r.product.price,
                    currency: r.product.currency,
                    rating: r.product.rating,
                    image: r.product.image,
                    link: r.product.link,
                    kind: r.rec.kind,
                    reason: r.rec.reason,
                })
                .collect(),
        }],
        Ok(Err(e)) => {
            tracing::error!(error = %e, "gathering recommendations failed");
            vec![error("internal", SORRY)]
        }
        Err(e) => {
            tracing::error!(error = %e, "gathering recommendations stopped");
            vec![error("internal", SORRY)]
        }
    }
}
