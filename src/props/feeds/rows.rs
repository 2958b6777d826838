//! The feeds the rows are taken from (the shipped catalog and the feed fixtures, per format), cut into rows and
//! put back together: what comes before the rows, each row's text, what comes after, and the line each row starts on.

/// A feed format and the real files its rows are taken from.
#[derive(Clone, Copy, Debug)]
pub(super) enum Format {
    Jsonl,
    Csv,
    Tsv,
    Shopify,
    Xml,
}

pub(super) const FORMATS: [Format; 5] = [
    Format::Jsonl,
    Format::Csv,
    Format::Tsv,
    Format::Shopify,
    Format::Xml,
];

impl Format {
    pub(super) fn ext(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv | Format::Shopify => "csv",
            Format::Tsv => "tsv",
            Format::Xml => "xml",
        }
    }

    pub(super) fn sources(self) -> [&'static str; 2] {
        match self {
            Format::Jsonl => [
                "catalog/products.jsonl",
                "tests/fixtures/feeds/dummyjson-194/products.jsonl",
            ],
            Format::Csv => [
                "tests/fixtures/feeds/generic.csv",
                "tests/fixtures/feeds/dummyjson.csv",
            ],
            Format::Tsv => [
                "tests/fixtures/feeds/google.tsv",
                "tests/fixtures/feeds/dummyjson-194/google.tsv",
            ],
            Format::Shopify => [
                "tests/fixtures/feeds/shopify.csv",
                "tests/fixtures/feeds/dummyjson-194/shopify.csv",
            ],
            Format::Xml => [
                "tests/fixtures/feeds/google.xml",
                "tests/fixtures/feeds/dummyjson-194/google.xml",
            ],
        }
    }

    pub(super) fn delimiter(self) -> u8 {
        if matches!(self, Format::Tsv) {
            b'\t'
        } else {
            b','
        }
    }
}

/// A feed cut into its rows: what comes before them, each row's text, what comes after.
pub(super) struct Rows {
    pub(super) head: String,
    pub(super) rows: Vec<Vec<Vec<String>>>,
    /// For JSON Lines and XML, each row's text; tables keep their cells in `rows`.
    pub(super) texts: Vec<String>,
    pub(super) tail: String,
}

pub(super) fn records(text: &str, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut all: Vec<Vec<String>> = csv
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .collect();
    let header = all.remove(0);
    (header, all)
}

pub(super) fn split(format: Format, text: &str) -> Rows {
    let mut rows = Rows {
        head: String::new(),
        rows: Vec::new(),
        texts: Vec::new(),
        tail: String::new(),
    };
    match format {
        Format::Jsonl => {
            rows.texts = text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .map(str::to_string)
                .collect();
        }
        Format::Csv | Format::Tsv | Format::Shopify => {
            let (header, records) = records(text, format.delimiter());
            rows.head = write_table(format, &[vec![header]]);
            for record in records {
                let handle = record.first().cloned().unwrap_or_default();
                match rows.rows.last_mut() {
                    Some(group)
                        if matches!(format, Format::Shopify)
                            && group[0].first() == Some(&handle) =>
                    {
                        group.push(record);
                    }
                    _ => rows.rows.push(vec![record]),
                }
            }
        }
        Format::Xml => {
            let first = text.find("<item>").expect("an item");
            let last = text.rfind("</item>").expect("an item") + "</item>".len();
            rows.head = text[..first].to_string();
            rows.tail = text[last..].to_string();
            rows.texts = text[first..last]
                .split_inclusive("</item>")
                .map(|item| item.trim_start().to_string())
                .filter(|item| item.starts_with("<item>"))
                .collect();
        }
    }
    rows
}

/// Table rows as CSV or TSV text, quoted where needed.
pub(super) fn write_table(format: Format, groups: &[Vec<Vec<String>>]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(format.delimiter())
        .flexible(true)
        .from_writer(Vec::new());
    for record in groups.iter().flatten() {
        writer.write_record(record).expect("write a record");
    }
    String::from_utf8(writer.into_inner().expect("flush")).expect("UTF-8")
}

/// The feed of `units` (row texts or table groups): its text and the line each unit starts on.
pub(super) fn assemble(
    format: Format,
    parts: &Rows,
    units: &[usize],
    texts: &[String],
    groups: &[Vec<Vec<String>>],
) -> (String, Vec<usize>) {
    let mut text = parts.head.clone();
    if matches!(format, Format::Xml) && !text.ends_with('\n') {
        text.push('\n');
    }
    let mut lines = Vec::new();
    for (n, _) in units.iter().enumerate() {
        lines.push(text.matches('\n').count() + 1);
        match format {
            Format::Jsonl | Format::Xml => {
                text.push_str(&texts[n]);
                text.push('\n');
            }
            _ => text.push_str(&write_table(format, &groups[n..=n])),
        }
    }
    text.push_str(&parts.tail);
    (text, lines)
}
