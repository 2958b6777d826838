//! Understanding typed answers: options by value, label or synonym, and amounts in the forms shoppers type.
//!
//! Deterministic by design: the same text always reads the same way. Everything is compared after
//! [`crate::text::normalize`], so `ＴＲＡＩＬ`, `trail` and `Trail` are one answer, and `５万円` is 50000.

use crate::flow::{Choice, Question};
use crate::text::{self, normalize};

/// Words that answer a yes/no question, besides the options' own labels and synonyms.
const YES: &[&str] = &[
    "yes",
    "y",
    "yeah",
    "yep",
    "sure",
    "ok",
    "okay",
    "please",
    "はい",
    "うん",
    "ええ",
    "必要",
    "ほしい",
    "欲しい",
];
const NO: &[&str] = &[
    "no",
    "n",
    "nope",
    "not really",
    "no thanks",
    "いいえ",
    "いや",
    "いらない",
    "不要",
    "なし",
];

/// Every way an option may be named, normalised; worked out once per option and kept in the flow.
fn names(choice: &Choice) -> &[String] {
    choice.names.get_or_init(|| {
        let mut names = vec![normalize(&choice.value)];
        names.extend(choice.label.all().into_iter().map(normalize));
        names.extend(choice.synonyms.iter().map(|s| normalize(s)));
        if choice.value == "yes" {
            names.extend(YES.iter().map(|s| s.to_string()));
        } else if choice.value == "no" {
            names.extend(NO.iter().map(|s| s.to_string()));
        }
        names.retain(|n| !n.is_empty());
        names
    })
}

/// Whether `name` occurs in `input` as a whole word (Latin) or as a substring (kana/kanji, which have no spaces).
fn mentions(input: &str, name: &str) -> bool {
    if name.chars().any(text::is_cjk) {
        return input.contains(name);
    }
    let mut from = 0;
    while let Some(at) = input[from..].find(name) {
        let start = from + at;
        let end = start + name.len();
        let before = input[..start].chars().next_back();
        let after = input[end..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() || text::is_cjk(c));
        if boundary(before) && boundary(after) {
            return true;
        }
        from = start + name.len().max(1);
        while !input.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// The option `input` names: an exact name first; else the option whose name it mentions, the longest name
/// winning. `None` when nothing matches or two options tie.
pub fn match_option<'a>(question: &'a Question, input: &str) -> Option<&'a Choice> {
    let input = normalize(input);
    if input.is_empty() {
        return None;
    }
    if let Some(choice) = question.options.iter().find(|c| names(c).contains(&input)) {
        return Some(choice);
    }
    let mut best: Option<(&Choice, usize)> = None;
    let mut tie = false;
    for choice in &question.options {
        let longest = names(choice)
            .iter()
            .filter(|n| mentions(&input, n))
            .map(|n| n.chars().count())
            .max();
        if let Some(len) = longest {
            match best {
                Some((_, best_len)) if len < best_len => {}
                Some((other, best_len)) if len == best_len && other.value != choice.value => {
                    tie = true
                }
                _ => {
                    best = Some((choice, len));
                    tie = false;
                }
            }
        }
    }
    if tie { None } else { best.map(|(c, _)| c) }
}

/// Every option `input` mentions, in the question's order (for multi-choice answers typed as text).
pub fn match_options<'a>(question: &'a Question, input: &str) -> Vec<&'a Choice> {
    let input = normalize(input);
    question
        .options
        .iter()
        .filter(|c| names(c).iter().any(|n| mentions(&input, n)))
        .collect()
}

/// A number as typed, with where it ends in the text (in chars) and the place value of its last significant digit
/// (`2万` → 10000, `1500` → 100, `3.5k` → 100): what `台` counts in.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Amount {
    value: f64,
    end: usize,
    place: f64,
}

/// The place value of the last non-zero digit of `value` (1 for values with a fraction or below 10).
fn place_of(value: f64) -> f64 {
    if value.fract() != 0.0 || value < 10.0 {
        return 1.0;
    }
    let mut place = 1.0;
    while (value / (place * 10.0)).fract() == 0.0 && place * 10.0 <= value {
        place *= 10.0;
    }
    place
}

/// Reads the numbers in `input`, with `万`, `千`, `k` multipliers and thousands separators: `¥50,000` → 50000,
/// `5万円` → 50000, `3.5k` → 3500.
fn amounts(input: &str) -> Vec<Amount> {
    let chars: Vec<char> = input.chars().collect();
    let mut out: Vec<Amount> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        while i < chars.len() {
            let c = chars[i];
            let decimal_point = c == '.'
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                && !digits.contains('.');
            if c.is_ascii_digit() || decimal_point {
                digits.push(c);
            } else if c == ',' && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                // a thousands separator
            } else {
                break;
            }
            i += 1;
        }
        let Ok(mut value) = digits.parse::<f64>() else {
            continue;
        };
        // A multiplier right after the number (maybe after a space).
        let mut j = i;
        while chars.get(j) == Some(&' ') {
            j += 1;
        }
        match chars.get(j) {
            Some('万') => {
                value *= 10_000.0;
                i = j + 1;
                // 1万5千
                let mut k = i;
                while k < chars.len() && chars[k].is_ascii_digit() {
                    k += 1;
                }
                if k > i && chars.get(k) == Some(&'千') {
                    let extra: String = chars[i..k].iter().collect();
                    value += extra.parse::<f64>().unwrap_or(0.0) * 1_000.0;
                    i = k + 1;
                }
            }
            Some('千') => {
                value *= 1_000.0;
                i = j + 1;
            }
            Some('k') if !chars.get(j + 1).is_some_and(|c| c.is_alphabetic()) => {
                value *= 1_000.0;
                i = j + 1;
            }
            _ => {}
        }
        out.push(Amount {
            value,
            end: i,
            place: place_of(value),
        });
    }
    out
}

const UPPER: &[&str] = &[
    "under",
    "below",
    "less than",
    "at most",
    "up to",
    "max",
    "no more than",
    "cheaper than",
    "within",
    "以下",
    "未満",
    "まで",
    "以内",
    "より安い",
];
const LOWER: &[&str] = &[
    "over",
    "above",
    "more than",
    "at least",
    "min",
    "from",
    "starting",
    "以上",
    "から",
    "超",
    "より高い",
];

/// Words that make one amount approximate: read as ±20 % around it.
const AROUND: &[&str] = &[
    "around",
    "about",
    "approximately",
    "roughly",
    "or so",
    "くらい",
    "ぐらい",
    "程度",
    "前後",
    "ほど",
    "約",
    "だいたい",
    "大体",
];

/// `rest` (the text after an amount) without a leading currency word.
fn without_unit(rest: &str) -> &str {
    let mut rest = rest.trim_start();
    for unit in ["円", "ドル", "yen", "dollars", "usd", "$", "¥"] {
        if let Some(stripped) = rest.strip_prefix(unit) {
            rest = stripped.trim_start();
            break;
        }
    }
    rest
}

/// Reads an amount or a range typed as text. Two amounts are a range (`3万〜5万`, `80-120`, `between 80 and
/// 120`). One amount is:
/// - a band with `台` (`2万円台` → 20,000–29,999, `3000円台` → 3,000–3,999: up to the next step of its last
///   significant digit);
/// - ±20 % with `around`, `about`, `くらい` (`位`), `ほど` (`程`), `前後`, `程度`, `約`, `だいたい` (`around 100` →
///   80–120, `約2万円` → 16,000–24,000);
/// - a lower bound with `over`, `from`, `以上`, `から`, `超`, or `〜` after it (`5000円〜`);
/// - otherwise an upper bound, a budget (`5万円`, `under 500`, `〜5000円`, `1万円以下`).
///
/// `None` when there is no number.
pub fn parse_range(input: &str) -> Option<(Option<f64>, Option<f64>)> {
    let text = normalize(input);
    let found = amounts(&text);
    match found.as_slice() {
        [] => None,
        [one] => {
            let chars: Vec<char> = text.chars().collect();
            let after: String = chars[one.end..].iter().collect();
            let after = after.trim_start();
            // `台` right after the amount and its unit (`2万円台`, `3000円台`, `50ドル台`).
            let band = without_unit(after).starts_with('台');
            if band {
                return Some((Some(one.value), Some(one.value + one.place - 1.0)));
            }
            // `くらい` and `ほど` are also written `位` and `程` right after the amount (`2万円位`, `1万円程`).
            let around_kanji = without_unit(after).starts_with(['位', '程']);
            if around_kanji || AROUND.iter().any(|w| text.contains(w)) {
                return Some((Some(one.value * 0.8), Some(one.value * 1.2)));
            }
            // `5000円〜` is "from"; `〜5000円` (`～` reads `~` once normalised) is "up to".
            let tilde_after = without_unit(after).starts_with(['〜', '~']);
            let lower = LOWER.iter().any(|w| text.contains(w)) || tilde_after;
            let upper = UPPER.iter().any(|w| text.contains(w));
            if lower && !upper {
                Some((Some(one.value), None))
            } else {
                Some((None, Some(one.value)))
            }
        }
        [a, b, ..] => Some((Some(a.value.min(b.value)), Some(a.value.max(b.value)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_the_forms_shoppers_type() {
        type Bounds = Option<(Option<f64>, Option<f64>)>;
        let cases: &[(&str, Bounds)] = &[
            ("50000", Some((None, Some(50000.0)))),
            ("５万円", Some((None, Some(50000.0)))),
            ("¥50,000", Some((None, Some(50000.0)))),
            ("under 500", Some((None, Some(500.0)))),
            ("3万〜5万", Some((Some(30000.0), Some(50000.0)))),
            ("３万～５万円", Some((Some(30000.0), Some(50000.0)))),
            ("$80 - $120", Some((Some(80.0), Some(120.0)))),
            ("over 100", Some((Some(100.0), None))),
            ("1万円以上", Some((Some(10000.0), None))),
            ("1万5千円まで", Some((None, Some(15000.0)))),
            ("2.5k", Some((None, Some(2500.0)))),
            ("cheap please", None),
            // Bands, approximations and tildes (issue: `2万円台` was read as "¥20,000以下").
            ("2万円台", Some((Some(20000.0), Some(29999.0)))),
            ("２万円台で", Some((Some(20000.0), Some(29999.0)))),
            ("3000円台", Some((Some(3000.0), Some(3999.0)))),
            ("1万5千円台", Some((Some(15000.0), Some(15999.0)))),
            ("1万円くらい", Some((Some(8000.0), Some(12000.0)))),
            ("5万円前後", Some((Some(40000.0), Some(60000.0)))),
            ("around $100", Some((Some(80.0), Some(120.0)))),
            ("about 50 dollars", Some((Some(40.0), Some(60.0)))),
            ("5000円〜", Some((Some(5000.0), None))),
            ("〜5000円", Some((None, Some(5000.0)))),
            ("～５０００円", Some((None, Some(5000.0)))),
            ("between 80 and 120", Some((Some(80.0), Some(120.0)))),
            ("1万円以下", Some((None, Some(10000.0)))),
            ("3万円以上", Some((Some(30000.0), None))),
            ("up to 2.5k", Some((None, Some(2500.0)))),
            // Approximations in kanji and before the amount (`2万円位` was read as "¥20,000以下").
            ("2万円位", Some((Some(16000.0), Some(24000.0)))),
            ("1万円程", Some((Some(8000.0), Some(12000.0)))),
            ("約2万円", Some((Some(16000.0), Some(24000.0)))),
            ("だいたい5000円", Some((Some(4000.0), Some(6000.0)))),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_range(input), *expected, "{input}");
        }
    }
}
