//! Reading the values feeds spell in many ways: prices with currencies, numbers with full-width digits, typed
//! attributes from untyped cells, HTML descriptions, links.
//!
//! Every function here is pure and returns the reason a value is unusable, so the readers can skip the row and say
//! why.

use crate::catalog::AttrValue;

/// Only http(s) links and paths on this server reach a shopper; `javascript:` and `data:` never do.
pub fn is_safe_url(url: &str) -> bool {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || (url.starts_with('/') && !url.starts_with("//"))
}

/// A link from a feed cell: `None` when empty or not safe (it is dropped, the product is kept).
pub(crate) fn link(cell: &str) -> Option<String> {
    let cell = cell.trim();
    (!cell.is_empty() && is_safe_url(cell)).then(|| cell.to_string())
}

/// Parses a price such as `12.99 USD`, `USD 12.99`, `1,299.00 JPY`, `¥1,200`, `$5`, `１２００円` or `12,99 EUR`;
/// a price naming no currency is in `default_currency`. Returns the amount and the ISO 4217 code.
pub fn parse_price(text: &str, default_currency: &str) -> Result<(f64, String), String> {
    let folded: String = unicode_normalization::UnicodeNormalization::nfkc(text.trim()).collect();
    if folded.is_empty() {
        return Err("the price is empty".into());
    }
    let mut currency: Option<String> = None;
    let mut amount = String::new();
    let mut letters = String::new();
    for c in folded.chars() {
        match c {
            '0'..='9' | '.' | ',' => amount.push(c),
            '$' => currency = Some("USD".into()),
            '¥' | '円' => currency = Some("JPY".into()),
            '€' => currency = Some("EUR".into()),
            '£' => currency = Some("GBP".into()),
            c if c.is_ascii_alphabetic() => letters.push(c),
            c if c.is_whitespace() => {}
            other => {
                return Err(format!(
                    "price `{text}` has `{other}`, which is not part of a price"
                ));
            }
        }
    }
    if !amount.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!(
            "price `{text}` is not a number; write it as `12.99 USD`"
        ));
    }
    if !letters.is_empty() {
        if letters.len() != 3 {
            return Err(format!(
                "price `{text}` names no ISO 4217 currency; write it as `12.99 USD`"
            ));
        }
        currency = Some(letters.to_ascii_uppercase());
    }
    let amount = parse_amount(&amount)
        .ok_or_else(|| format!("price `{text}` is not a number; write it as `12.99 USD`"))?;
    Ok((
        amount,
        currency.unwrap_or_else(|| default_currency.to_ascii_uppercase()),
    ))
}

/// `1,299.00` and `1.299,00` and `12,99` and `1,200`: the separator that comes last and is followed by other than
/// three digits is the decimal one.
fn parse_amount(text: &str) -> Option<f64> {
    if text.is_empty() || !text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let last_sep = text.rfind([',', '.']);
    let decimal = match last_sep {
        Some(at) => {
            let digits_after = text.len() - at - 1;
            let sep = text.as_bytes()[at];
            let both = text.contains(',') && text.contains('.');
            (both || digits_after != 3 || text.matches(sep as char).count() == 1 && sep == b'.')
                .then_some(sep)
        }
        None => None,
    };
    let plain: String = text
        .chars()
        .filter_map(|c| match c {
            ',' | '.' if Some(c as u8) == decimal => Some('.'),
            ',' | '.' => None,
            c => Some(c),
        })
        .collect();
    plain.parse().ok().filter(|n: &f64| n.is_finite())
}

/// A number in a cell, tolerating full-width digits and thousands separators (`１，２００`).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let folded: String = unicode_normalization::UnicodeNormalization::nfkc(text.trim()).collect();
    let (negative, digits) = match folded.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, folded.as_str()),
    };
    if digits.is_empty()
        || !digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    parse_amount(digits).map(|n| if negative { -n } else { n })
}

/// Units in stock from a cell: a whole number (full-width digits allowed); negative counts as none.
pub(crate) fn parse_stock(text: &str) -> Result<i64, String> {
    match parse_number(text) {
        Some(n) if n.fract() == 0.0 => Ok((n as i64).max(0)),
        _ => Err(format!("stock `{}` is not a whole number", text.trim())),
    }
}

/// The typed value of an untyped cell: a number when it reads as one (but not codes with leading zeros such as
/// GTINs, which would lose them), a bool for `true`/`false`, else a keyword. Empty cells give `None`.
pub(crate) fn infer(cell: &str) -> Option<AttrValue> {
    let cell = cell.trim();
    if cell.is_empty() {
        return None;
    }
    match cell.to_ascii_lowercase().as_str() {
        "true" => return Some(AttrValue::Bool(true)),
        "false" => return Some(AttrValue::Bool(false)),
        _ => {}
    }
    let digits = cell.trim_start_matches('-');
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    let plain = cell
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
    match cell.parse::<f64>() {
        Ok(n) if n.is_finite() && plain && !leading_zero => Some(AttrValue::Number(n)),
        _ => Some(AttrValue::Keyword(cell.to_string())),
    }
}

/// A feed's column or element name as an attribute name: lowercase snake_case (`Warranty Info` → `warranty_info`,
/// `discountPercentage` → `discount_percentage`).
pub fn attribute_name(name: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in name.trim().trim_start_matches('\u{feff}').chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            previous_lower = false;
        }
    }
    out.trim_end_matches('_').to_string()
}

/// Splits a list cell on `separator` (or on `|` when the cell has one, else `,`), trimming and dropping empties.
pub(crate) fn split_list(cell: &str, separator: Option<char>) -> Vec<String> {
    let separator = separator.unwrap_or(if cell.contains('|') { '|' } else { ',' });
    cell.split(separator)
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// HTML (a Shopify `Body (HTML)`, a Google description with markup) as plain text on one line. Text without
/// markup is returned as it is, apart from whitespace.
pub(crate) fn html_to_text(html: &str) -> String {
    let text = if html.contains('<') || html.contains('&') {
        html2text::config::plain_no_decorate()
            .link_footnotes(false)
            .string_from_read(html.as_bytes(), 100_000)
            .unwrap_or_else(|_| html.to_string())
    } else {
        html.to_string()
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_in_the_shapes_feeds_write_them() {
        let cases = [
            ("12.99 USD", Some((12.99, "USD"))),
            ("USD 12.99", Some((12.99, "USD"))),
            ("1,299.00 JPY", Some((1299.0, "JPY"))),
            ("¥1,200", Some((1200.0, "JPY"))),
            ("￥１，２００", Some((1200.0, "JPY"))),
            ("１２００円", Some((1200.0, "JPY"))),
            ("12,99 eur", Some((12.99, "EUR"))),
            ("1.299,50 EUR", Some((1299.5, "EUR"))),
            ("$5", Some((5.0, "USD"))),
            ("7.5", Some((7.5, "GBP"))),
            ("1,200", Some((1200.0, "GBP"))),
            ("", None),
            ("free", None),
            ("12.99 DOLLARS", None),
            ("-3 USD", None),
        ];
        for (text, expected) in cases {
            let got = parse_price(text, "GBP").ok();
            let got = got.as_ref().map(|(n, c)| (*n, c.as_str()));
            assert_eq!(got, expected, "{text}");
        }
    }

    #[test]
    fn cells_become_typed_attributes() {
        assert_eq!(infer("42"), Some(AttrValue::Number(42.0)));
        assert_eq!(infer("-1.5"), Some(AttrValue::Number(-1.5)));
        assert_eq!(infer("TRUE"), Some(AttrValue::Bool(true)));
        assert_eq!(infer("00123"), Some(AttrValue::Keyword("00123".into())));
        assert_eq!(infer("1e5"), Some(AttrValue::Keyword("1e5".into())));
        assert_eq!(infer("NaN"), Some(AttrValue::Keyword("NaN".into())));
        assert_eq!(infer("  "), None);
    }

    #[test]
    fn names_and_lists_and_html() {
        assert_eq!(attribute_name("Warranty Info"), "warranty_info");
        assert_eq!(attribute_name("discountPercentage"), "discount_percentage");
        assert_eq!(attribute_name("Option1 Value"), "option1_value");
        assert_eq!(split_list("a| b ||c", None), ["a", "b", "c"]);
        assert_eq!(split_list("a, b", None), ["a", "b"]);
        assert_eq!(
            html_to_text("<p>Soft <b>merino</b> &amp; wool</p>\n<ul><li>warm</li></ul>"),
            "Soft merino & wool * warm"
        );
        assert_eq!(parse_stock("１２").ok(), Some(12));
        assert!(parse_stock("lots").is_err());
    }
}
