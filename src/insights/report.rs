//! The tables of one finder over a date range. A [`Report`] is what the admin API answers (JSON, each table also
//! as CSV), what the dashboard draws and what `shopkeep insights` prints; docs/insights.md explains every column.
//! It is built in `build.rs` (the buckets of the range summed per finder version: the funnel, the comparisons and
//! the series) and `tables.rs` (the rows of the other tables from the summed bucket).

use serde::{Deserialize, Serialize};

use super::Grain;
pub use super::compare::{ArmRow, ArmSpec, Comparison, Difference, arm_flow, difference};
pub use super::range::{Range, date_label, parse_span};

/// The report's format version.
pub const VERSION: u32 = 1;
/// Longest tables: the rows with the most results shown (or given, or clicked) come first.
pub const MAX_ROWS: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub v: u32,
    pub finder: String,
    pub range: Range,
    /// The finder version the tables below the funnel are for; `None`: every version together.
    pub version: Option<String>,
    /// One row per finder version, then `*` for all of them.
    pub funnel: Vec<FunnelRow>,
    /// Each later version against the version first seen in the range: differences in completion and
    /// click-through with 95 % confidence intervals (Newcombe's hybrid score method).
    pub comparisons: Vec<Comparison>,
    /// The finder's experiment, when it runs one: the control's and the variant's figures and their difference.
    #[serde(default)]
    pub arms: Vec<ArmRow>,
    pub step: Grain,
    pub series: Vec<SeriesRow>,
    pub questions: Vec<QuestionRow>,
    pub answers: Vec<AnswerRow>,
    pub paths: Vec<PathRow>,
    pub not_understood: Vec<TextRow>,
    pub products: Vec<ProductRow>,
    pub answer_products: Vec<PairRow>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FunnelRow {
    pub version: String,
    pub starts: u64,
    pub restarts: u64,
    pub completed: u64,
    pub completion_rate: Option<f64>,
    pub results_shown: u64,
    pub zero_results: u64,
    pub zero_rate: Option<f64>,
    pub relaxed_results: u64,
    pub relaxed_rate: Option<f64>,
    pub clicked: u64,
    pub click_through: Option<f64>,
    pub carted: u64,
    pub cart_rate: Option<f64>,
    pub purchased: u64,
    pub purchase_rate: Option<f64>,
    pub clicks: u64,
    pub cart_adds: u64,
    pub units_bought: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesRow {
    pub start: u64,
    pub starts: u64,
    pub completed: u64,
    pub results_shown: u64,
    pub clicks: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionRow {
    pub question: String,
    pub reached: u64,
    pub answered: u64,
    pub dropped: u64,
    pub drop_rate: Option<f64>,
    pub skipped: u64,
    pub went_back: u64,
    pub not_understood: u64,
    pub median_seconds: Option<f64>,
    pub timed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerRow {
    pub question: String,
    pub answer: String,
    pub given: u64,
    pub share: Option<f64>,
    pub results_shown: u64,
    pub zero_results: u64,
    pub zero_rate: Option<f64>,
    pub relaxed_results: u64,
    pub relaxed_rate: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PathRow {
    pub path: String,
    pub results_shown: u64,
    pub zero_results: u64,
    pub zero_rate: Option<f64>,
    pub relaxed_results: u64,
    pub relaxed_rate: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TextRow {
    pub question: String,
    pub text: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductRow {
    pub product: String,
    pub shown: u64,
    pub clicked: u64,
    pub click_through: Option<f64>,
    pub carted: u64,
    pub purchased: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PairRow {
    pub question: String,
    pub answer: String,
    pub product: String,
    pub shown: u64,
}

/// `part / whole`, to four places; `None` when nothing was counted.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

/// The report's tables by name, for CSV export and the terminal.
pub const TABLES: [&str; 9] = [
    "funnel",
    "arms",
    "series",
    "questions",
    "answers",
    "paths",
    "not_understood",
    "products",
    "answer_products",
];

/// One table of a report as cells: its column names and its rows, each cell its text and whether it is a number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One cell of a [`Table`].
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub text: String,
    /// A number (or an empty figure): written as it is, never taken for a formula.
    pub number: bool,
}

impl Table {
    /// The table as CSV (a header row, then the rows). Text cells go through [`crate::text::spreadsheet_cell`], so a
    /// typed answer cannot become a formula in the merchandiser's sheet; numbers are written as they are (a
    /// negative difference stays a number).
    pub fn csv(&self) -> String {
        let mut out = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        // Writing into memory cannot fail.
        let _ = out.write_record(&self.columns);
        for row in &self.rows {
            let _ = out.write_record(row.iter().map(|cell| {
                if cell.number {
                    cell.text.clone()
                } else {
                    crate::text::spreadsheet_cell(&cell.text).into_owned()
                }
            }));
        }
        String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

impl Report {
    /// One table as CSV ([`Table::csv`]); `None` for an unknown table name.
    pub fn csv(&self, table: &str) -> Option<String> {
        self.table(table).map(|t| t.csv())
    }

    /// One table as cells, for CSV and the terminal; `None` for an unknown table name.
    pub fn table(&self, table: &str) -> Option<Table> {
        fn write<T: Serialize + Default>(rows: &[T]) -> Table {
            // The columns from the row type itself, so an empty table still says what it would hold. Rows are flat
            // structs of strings and numbers: serialising them cannot fail.
            let mut header = csv::Writer::from_writer(Vec::new());
            let _ = header.serialize(T::default());
            let header =
                String::from_utf8(header.into_inner().unwrap_or_default()).unwrap_or_default();
            let columns: Vec<String> = header
                .lines()
                .next()
                .unwrap_or_default()
                .split(',')
                .map(str::to_string)
                .collect();
            let rows = rows
                .iter()
                .map(|row| {
                    let row = serde_json::to_value(row).unwrap_or_default();
                    columns
                        .iter()
                        .map(|column: &String| match &row[column.as_str()] {
                            serde_json::Value::String(text) => Cell {
                                text: text.clone(),
                                number: false,
                            },
                            serde_json::Value::Null => Cell {
                                text: String::new(),
                                number: true,
                            },
                            other => Cell {
                                text: other.to_string(),
                                number: true,
                            },
                        })
                        .collect()
                })
                .collect();
            Table { columns, rows }
        }
        Some(match table {
            "funnel" => write(&self.funnel),
            "arms" => write(&self.arms),
            "series" => write(&self.series),
            "questions" => write(&self.questions),
            "answers" => write(&self.answers),
            "paths" => write(&self.paths),
            "not_understood" => write(&self.not_understood),
            "products" => write(&self.products),
            "answer_products" => write(&self.answer_products),
            _ => return None,
        })
    }
}
