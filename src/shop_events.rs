//! Shop events: what a shopper did on the shop's pages — `viewed`, `clicked`, `added_to_cart`, `purchased` (an
//! order with its lines), `page` (a product or category page seen). Pure: validation and the stored type.
//!
//! Events arrive from the shop's server (`POST /v1/events`) and from the widget (`track` over the chat socket) in
//! the same JSON shape. Every field is checked and bounded; a problem names its field (`order.lines[2].product`)
//! and the fix. An event names products that may not be in the catalog (yet): those are kept and flagged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Longest id, product id, session id or category.
pub const MAX_ID: usize = 128;
/// Longest page URL.
pub const MAX_URL: usize = 2048;
/// Most lines in one order.
pub const MAX_LINES: usize = 100;
/// How far in the future an event's time may lie (clocks drift), in seconds.
pub const MAX_AHEAD: u64 = 24 * 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Viewed,
    Clicked,
    AddedToCart,
    Purchased,
    Page,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Viewed,
        Kind::Clicked,
        Kind::AddedToCart,
        Kind::Purchased,
        Kind::Page,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Viewed => "viewed",
            Kind::Clicked => "clicked",
            Kind::AddedToCart => "added_to_cart",
            Kind::Purchased => "purchased",
            Kind::Page => "page",
        }
    }
}

/// Where an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Api,
    Widget,
}

/// A validated shop event, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShopEvent {
    /// The sender's id of the event; a second event with the same id is a duplicate and is not stored.
    pub id: String,
    /// Whose event: a visitor id, or `c:` + the shop's customer id.
    pub visitor: String,
    pub kind: Kind,
    /// The product viewed, clicked or added to the cart (or the product page seen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    /// The category page seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The browsing session: products viewed in one session are "viewed together".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Seconds since the epoch.
    pub at: u64,
    pub source: Source,
    /// Product ids the catalog did not know when the event arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_products: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub lines: Vec<Line>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub product: String,
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
}

impl ShopEvent {
    /// Every product the event names, in order (an order's lines; else its product).
    pub fn products(&self) -> Vec<&str> {
        match &self.order {
            Some(order) => order.lines.iter().map(|l| l.product.as_str()).collect(),
            None => self.product.as_deref().into_iter().collect(),
        }
    }
}

/// What is wrong with an event: the field (a path such as `order.lines[0].quantity`) and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
    }
}

const FIELDS: &[&str] = &[
    "id", "visitor", "customer", "kind", "product", "quantity", "order", "category", "url",
    "session", "at",
];

/// Validates one event as sent. `visitor` is the owner when the sender is already known (the widget's
/// conversation), else the event names `visitor` or `customer` itself. `now` is seconds since the epoch.
pub fn validate(
    value: &Value,
    visitor: Option<&str>,
    source: Source,
    now: u64,
) -> Result<ShopEvent, Invalid> {
    let Some(fields) = value.as_object() else {
        return Err(invalid("event", "an event is a JSON object"));
    };
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(invalid(
            unknown.as_str(),
            format!("unknown field; an event has: {}", FIELDS.join(", ")),
        ));
    }
    let id = id_field(fields, "id")?.ok_or_else(|| {
        invalid(
            "id",
            "required: a unique id of this event (e.g. a UUID), so a resent event is stored once",
        )
    })?;
    let kind_name = text(fields, "kind", MAX_ID)?.ok_or_else(|| invalid("kind", kinds_hint()))?;
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.name() == kind_name)
        .ok_or_else(|| {
            invalid(
                "kind",
                format!("unknown kind `{kind_name}`; {}", kinds_hint()),
            )
        })?;
    let visitor = match (
        visitor,
        id_field(fields, "visitor")?,
        id_field(fields, "customer")?,
    ) {
        (Some(known), None, None) => known.to_string(),
        (Some(_), _, _) => {
            return Err(invalid(
                "visitor",
                "the conversation already says who the shopper is; leave out visitor and customer",
            ));
        }
        (None, Some(v), None) if !v.starts_with("c:") && !v.contains(':') => v,
        (None, Some(_), None) => return Err(invalid("visitor", "a visitor id has no `:`")),
        (None, None, Some(c)) => format!("c:{c}"),
        (None, Some(_), Some(_)) => {
            return Err(invalid("customer", "give visitor or customer, not both"));
        }
        (None, None, None) => {
            return Err(invalid(
                "visitor",
                "required: the visitor id (the widget's `shopkeep.visitor`) or `customer`",
            ));
        }
    };
    let product = id_field(fields, "product")?;
    let quantity = match fields.get("quantity") {
        None | Some(Value::Null) => None,
        Some(q) => Some(count(q, "quantity")?),
    };
    let order = match fields.get("order") {
        None | Some(Value::Null) => None,
        Some(order) => Some(parse_order(order)?),
    };
    let category = id_field(fields, "category")?;
    let url = text(fields, "url", MAX_URL)?;
    let session = id_field(fields, "session")?;
    let at = match fields.get("at") {
        None | Some(Value::Null) => now,
        Some(at) => {
            let at = at
                .as_u64()
                .ok_or_else(|| invalid("at", "seconds since the epoch, a whole number"))?;
            if at > now + MAX_AHEAD {
                return Err(invalid(
                    "at",
                    "lies more than a day in the future; send seconds, not milliseconds",
                ));
            }
            at
        }
    };
    match kind {
        Kind::Viewed | Kind::Clicked | Kind::AddedToCart if product.is_none() => {
            return Err(invalid(
                "product",
                format!("required for `{}`: the product's id", kind.name()),
            ));
        }
        Kind::Purchased if order.is_none() => {
            return Err(invalid(
                "order",
                "required for `purchased`: {id, lines: [{product, quantity, price?}]}",
            ));
        }
        Kind::Page if product.is_none() && category.is_none() => {
            return Err(invalid(
                "product",
                "a `page` event names the product or the category of the page",
            ));
        }
        _ => {}
    }
    if kind != Kind::Purchased && order.is_some() {
        return Err(invalid("order", "only `purchased` events carry an order"));
    }
    Ok(ShopEvent {
        id,
        visitor,
        kind,
        product,
        quantity,
        order,
        category,
        url,
        session,
        at,
        source,
        unknown_products: Vec::new(),
    })
}

fn kinds_hint() -> String {
    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    format!("one of: {}", names.join(", "))
}

fn parse_order(order: &Value) -> Result<Order, Invalid> {
    let Some(fields) = order.as_object() else {
        return Err(invalid(
            "order",
            "an object: {id, lines: [{product, quantity, price?}]}",
        ));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !["id", "lines"].contains(&k.as_str()))
    {
        return Err(invalid(
            format!("order.{unknown}"),
            "unknown field; an order has id and lines",
        ));
    }
    let id = id_field(fields, "id")
        .map_err(|e| invalid("order.id", e.message))?
        .ok_or_else(|| invalid("order.id", "required: the shop's order id"))?;
    let Some(lines) = fields.get("lines").and_then(Value::as_array) else {
        return Err(invalid(
            "order.lines",
            "required: a list of {product, quantity, price?}",
        ));
    };
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(invalid("order.lines", format!("1 to {MAX_LINES} lines")));
    }
    let mut out = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        let at = format!("order.lines[{n}]");
        let Some(fields) = line.as_object() else {
            return Err(invalid(at, "an object: {product, quantity, price?}"));
        };
        if let Some(unknown) = fields
            .keys()
            .find(|k| !["product", "quantity", "price"].contains(&k.as_str()))
        {
            return Err(invalid(
                format!("{at}.{unknown}"),
                "unknown field; a line has product, quantity, price",
            ));
        }
        let product = id_field(fields, "product")
            .map_err(|e| invalid(format!("{at}.product"), e.message))?
            .ok_or_else(|| invalid(format!("{at}.product"), "required: the product's id"))?;
        let quantity = match fields.get("quantity") {
            None | Some(Value::Null) => 1,
            Some(q) => count(q, &format!("{at}.quantity"))?,
        };
        let price = match fields.get("price") {
            None | Some(Value::Null) => None,
            Some(p) => match p.as_f64() {
                Some(p) if p.is_finite() && p >= 0.0 => Some(p),
                _ => return Err(invalid(format!("{at}.price"), "a number of zero or more")),
            },
        };
        out.push(Line {
            product,
            quantity,
            price,
        });
    }
    Ok(Order { id, lines: out })
}

fn count(value: &Value, field: &str) -> Result<u32, Invalid> {
    match value.as_u64() {
        Some(n @ 1..=10_000) => Ok(n as u32),
        _ => Err(invalid(field, "a whole number from 1 to 10000")),
    }
}

/// An optional string field of at most `max` characters, not blank, without control characters.
fn text(fields: &Map<String, Value>, name: &str, max: usize) -> Result<Option<String>, Invalid> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                Err(invalid(name, "is empty"))
            } else if s.chars().count() > max {
                Err(invalid(name, format!("longer than {max} characters")))
            } else if s.chars().any(char::is_control) {
                Err(invalid(name, "contains control characters"))
            } else {
                Ok(Some(s.to_string()))
            }
        }
        Some(Value::Number(n)) if name != "kind" => Ok(Some(n.to_string())),
        Some(_) => Err(invalid(name, "a string")),
    }
}

fn id_field(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, Invalid> {
    text(fields, name, MAX_ID)
}

#[cfg(test)]
mod tests;
