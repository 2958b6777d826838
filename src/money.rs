//! Prices as shoppers read them: `$129.00`, `¥12,800`.
//!
//! Used by explanations ("¥1,200 over your budget") and templates; the widget formats with `Intl` itself.

/// Formats `amount` in `currency` (an ISO 4217 code) the way the shop's shoppers expect.
pub fn format(amount: f64, currency: &str) -> String {
    let (symbol, decimals) = match currency.to_ascii_uppercase().as_str() {
        "JPY" => ("¥", 0),
        "USD" => ("$", 2),
        "EUR" => ("€", 2),
        "GBP" => ("£", 2),
        _ => ("", 2),
    };
    let rounded = if decimals == 0 {
        amount.round()
    } else {
        (amount * 100.0).round() / 100.0
    };
    let negative = rounded < 0.0;
    let whole = rounded.abs().trunc() as u64;
    let mut digits = whole.to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(",{tail}{grouped}");
    }
    grouped = format!("{digits}{grouped}");
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if symbol.is_empty() {
        out.push_str(&grouped);
    } else {
        out.push_str(symbol);
        out.push_str(&grouped);
    }
    if decimals > 0 {
        let cents = ((rounded.abs().fract()) * 100.0).round() as u64;
        if cents > 0 || !symbol.is_empty() {
            out.push_str(&format!(".{cents:02}"));
        }
    }
    if symbol.is_empty() && !currency.is_empty() {
        out.push(' ');
        out.push_str(currency);
    }
    out
}

/// As [`format`], without the cents of a whole amount: how an answer reads ("Under $120", "¥20,000以下").
pub fn label(amount: f64, currency: &str) -> String {
    let formatted = format(amount, currency);
    if amount.fract() == 0.0 {
        formatted.replacen(".00", "", 1)
    } else {
        formatted
    }
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn formats_common_currencies() {
        assert_eq!(format(12800.0, "JPY"), "¥12,800");
        assert_eq!(format(129.0, "USD"), "$129.00");
        assert_eq!(format(1234567.5, "USD"), "$1,234,567.50");
        assert_eq!(format(1200.0, "jpy"), "¥1,200");
        assert_eq!(format(12.5, "CHF"), "12.50 CHF");
    }
}
