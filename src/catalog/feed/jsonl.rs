//! The native JSON Lines feed: one product object per line, in exactly the shape [`Product`] deserialises from.
//!
//! Blank lines and lines starting with `#` are skipped silently; a line that is not valid UTF-8 is a bad row, not
//! the end of the file.

use std::io::BufRead;

use super::{Problem, Rows};
use crate::catalog::Product;

pub(crate) fn read(reader: impl BufRead, rows: &mut Rows<'_>) -> Result<(), Problem> {
    let mut reader = reader;
    let mut buffer = Vec::new();
    let mut line_no = 0;
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer)? == 0 {
            return Ok(());
        }
        line_no += 1;
        let Ok(line) = std::str::from_utf8(&buffer) else {
            rows.take(line_no, Err("the line is not UTF-8 text".into()));
            continue;
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let outcome = serde_json::from_str::<Product>(trimmed)
            .map_err(|e| format!("not a product object: {e}"));
        rows.take(line_no, outcome);
    }
}
