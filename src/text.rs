//! Text normalisation shared by the catalog index, the matcher and the answer parser; the one fingerprint
//! function; and the one escape of text written into HTML or SVG by hand.
//!
//! Shoppers type full-width digits (`５万円`), half-width katakana (`ｶﾞｲﾄﾞ`) and mixed case; catalogs carry the
//! same words in other widths. Everything that compares text goes through [`normalize`] so that both sides agree:
//! NFKC folds width variants, then lowercase folds case.

use unicode_normalization::UnicodeNormalization;

/// A short fingerprint of `source` (FNV-1a, 64 bits, as 16 hex digits): stable across builds and machines,
/// unlike std's hasher. Names flow versions and catalog index folders.
pub fn fingerprint(source: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in source.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// NFKC-normalised, lowercased, trimmed, with runs of whitespace collapsed to one space.
pub fn normalize(input: &str) -> String {
    if is_normal_ascii(input) {
        // ASCII is unchanged by NFKC, so lowercase ASCII with single inner spaces is already normal: the common
        // case (catalog keywords, chip values) skips the decomposition.
        return input.to_owned();
    }
    let folded: String = input.nfkc().flat_map(char::to_lowercase).collect();
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Whether `input` is ASCII without capitals, other whitespace than single inner spaces, or outer spaces.
fn is_normal_ascii(input: &str) -> bool {
    let bytes = input.as_bytes();
    bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
        && !bytes.windows(2).any(|w| w == b"  ")
        && bytes
            .iter()
            .all(|&b| b.is_ascii_graphic() && !b.is_ascii_uppercase() || b == b' ')
}

/// Whether `c` belongs to a script written without spaces between words (kana, kanji, hangul).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x31F0..=0x31FF    // katakana phonetic extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0x20000..=0x2FFFF) // CJK extensions B..
}

/// Splits normalised text into search terms: words for Latin text and digits, overlapping bigrams for runs of
/// kana and kanji (a lone CJK character stays a unigram). This is what Elasticsearch's `cjk` analyzer does and needs
/// no dictionary, so it works offline and on any Japanese vocabulary. Returns `(term, byte_from, byte_to)` over
/// `text`, which must already be normalised.
pub fn terms(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut cjk_run: Vec<(usize, char)> = Vec::new();
    let flush_cjk = |run: &mut Vec<(usize, char)>, out: &mut Vec<(String, usize, usize)>| {
        if run.len() == 1 {
            let (at, c) = run[0];
            out.push((c.to_string(), at, at + c.len_utf8()));
        } else {
            for pair in run.windows(2) {
                let (at, a) = pair[0];
                let (at_b, b) = pair[1];
                out.push((format!("{a}{b}"), at, at_b + b.len_utf8()));
            }
        }
        run.clear();
    };
    for (at, c) in text.char_indices() {
        if is_cjk(c) {
            if let Some(start) = word_start.take() {
                out.push((text[start..at].to_string(), start, at));
            }
            cjk_run.push((at, c));
        } else if c.is_alphanumeric() {
            if !cjk_run.is_empty() {
                flush_cjk(&mut cjk_run, &mut out);
            }
            word_start.get_or_insert(at);
        } else {
            if let Some(start) = word_start.take() {
                out.push((text[start..at].to_string(), start, at));
            }
            if !cjk_run.is_empty() {
                flush_cjk(&mut cjk_run, &mut out);
            }
        }
    }
    if let Some(start) = word_start {
        out.push((text[start..].to_string(), start, text.len()));
    }
    if !cjk_run.is_empty() {
        flush_cjk(&mut cjk_run, &mut out);
    }
    out
}

/// Text for HTML and SVG (XML) content and attributes: `& < > " '` escaped. For the markup shopkeep writes by hand
/// (the admin dashboard's charts and tables, the benchmark plot); templates escape through minijinja.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A text cell of a CSV file shopkeep writes (insights tables, a segment's members), safe to open in a spreadsheet:
/// one that begins with `=`, `+`, `-`, `@` (or their full-width forms), a tab or a carriage return gets a leading
/// `'`, so Excel, LibreOffice or Google Sheets show it as text instead of running it as a formula ("CSV
/// injection": a shopper could type `=HYPERLINK(…)` into a finder and see it reach the merchandiser's sheet).
pub fn spreadsheet_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠') => {
            std::borrow::Cow::Owned(format!("'{text}"))
        }
        _ => std::borrow::Cow::Borrowed(text),
    }
}

/// Whether `c` changes how a terminal or a page shows the text around it instead of being shown itself: control
/// characters (escape sequences, bell, backspace, line breaks) and the bidirectional formatting characters that
/// can make text read backwards (U+202E and its kin).
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` without the characters of [`is_unprintable`], each replaced by `�` (U+FFFD) so a reader sees that
/// something was there.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| if is_unprintable(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        terms(&normalize(text))
            .into_iter()
            .map(|(t, _, _)| t)
            .collect()
    }

    #[test]
    fn folds_width_and_case() {
        assert_eq!(normalize("  ＡＢＣ１２３  Trail "), "abc123 trail");
        assert_eq!(normalize("ｶﾞｲﾄﾞ"), "ガイド");
        assert_eq!(normalize("５万円"), "5万円");
    }

    #[test]
    fn the_ascii_shortcut_agrees_with_the_full_fold() {
        let full = |input: &str| -> String {
            let folded: String = input.nfkc().flat_map(char::to_lowercase).collect();
            folded.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        for input in [
            "trail",
            "road running",
            "a  b",
            " lead",
            "tail ",
            "Trail",
            "tab\there",
            "new\nline",
            "x-y_z.1/2",
            "",
            " ",
            "~!@#$%^&*()",
            "ｔｒａｉｌ",
            "café",
        ] {
            assert_eq!(normalize(input), full(input), "{input:?}");
        }
    }

    #[test]
    fn latin_words_and_cjk_bigrams() {
        assert_eq!(words("Trail-Runner 3"), ["trail", "runner", "3"]);
        assert_eq!(words("三徳包丁"), ["三徳", "徳包", "包丁"]);
        assert_eq!(words("包丁 165mm"), ["包丁", "165mm"]);
        assert_eq!(words("刀"), ["刀"]);
        assert_eq!(
            words("ダマスカスsteel"),
            ["ダマ", "マス", "スカ", "カス", "steel"]
        );
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_kept_as_text() {
        for formula in [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "＝1+1",
        ] {
            assert_eq!(spreadsheet_cell(formula), format!("'{formula}"));
        }
        for text in ["trail", "–150", "on the moon", "1+1", "a=b", ""] {
            assert_eq!(spreadsheet_cell(text), text);
        }
    }

    #[test]
    fn unprintable_characters_are_replaced() {
        assert_eq!(
            printable("zz\u{1b}[31mred\u{7}\u{202e}abc"),
            "zz\u{FFFD}[31mred\u{FFFD}\u{FFFD}abc"
        );
        assert_eq!(printable("ロード 走る"), "ロード 走る");
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
