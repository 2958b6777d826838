//! Follow-up email to shoppers who consented: the merchant's templates (`emails/`, [`templates`]) and what they
//! are rendered with ([`content`]: the picks the finder makes from the shopper's stored answers, each with its
//! reason, image, price in the catalog's currency and a link carrying UTM parameters).
//!
//! This module is an adapter at the edge: it reads template files, and knows nothing of axum or sled.

pub mod content;
pub mod templates;

pub use content::{Content, Links, Shop};
pub use templates::{Rendered, TemplateError, Templates};

/// Loads the templates of `dir`, checking each email renders with the built-in sample; every problem in one
/// message, one per line, each naming its file and line.
pub fn load(dir: &std::path::Path) -> Result<Templates, String> {
    let sample = minijinja::Value::from(minijinja::value::Serde(Content::sample("en")));
    Templates::load(dir, &sample).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

#[cfg(test)]
mod tests;
