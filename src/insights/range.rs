//! Date ranges of a report: spans (`7d`) and dates (`2026-12-01`, UTC) read into `[from, to)`, the buckets that
//! make one up (whole days from the daily buckets, the edges from the hourly ones), and dates for display.

use serde::{Deserialize, Serialize};

use super::{DAY, Grain, HOUR};

/// A date range `[from, to)`, in seconds since the epoch; read to whole hours (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub from: u64,
    pub to: u64,
}

impl Range {
    /// The `days` up to `now` (to the end of its hour).
    pub fn last(seconds: u64, now: u64) -> Range {
        let to = Grain::Hour.start(now) + HOUR;
        Range {
            from: to.saturating_sub(seconds),
            to,
        }
    }

    /// The range a request names: `since` (`36h`, `7d`, `2w`; 7 days when nothing is given) up to now, or
    /// `from` and `to` (dates `2026-12-01`, UTC, `to` included; or seconds since the epoch).
    pub fn parse(
        since: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        now: u64,
    ) -> Result<Range, String> {
        if since.is_some() && (from.is_some() || to.is_some()) {
            return Err("give `since` or `from`/`to`, not both".into());
        }
        if from.is_none() && to.is_none() {
            return Ok(Range::last(parse_span(since.unwrap_or("7d"))?, now));
        }
        let from = match from {
            Some(from) => parse_instant(from, false)?,
            None => return Err("`to` needs a `from` (a date such as 2026-12-01)".into()),
        };
        let to = match to {
            Some(to) => parse_instant(to, true)?,
            None => Grain::Hour.start(now) + HOUR,
        };
        if to <= from {
            return Err(format!("`to` must come after `from` ({from} ≥ {to})"));
        }
        Ok(Range { from, to })
    }

    /// The buckets that make up the range: whole days from the daily buckets, the rest from the hourly ones.
    pub(super) fn pieces(&self) -> Vec<(Grain, u64, u64)> {
        let from = Grain::Hour.start(self.from);
        let to = Grain::Hour.start(self.to + HOUR - 1);
        let first_day = from.div_ceil(DAY) * DAY;
        let last_day = to / DAY * DAY;
        if first_day >= last_day {
            return vec![(Grain::Hour, from, to)];
        }
        vec![
            (Grain::Hour, from, first_day),
            (Grain::Day, first_day, last_day),
            (Grain::Hour, last_day, to),
        ]
    }

    /// The series' step: hours for up to two days, days beyond.
    pub fn step(&self) -> Grain {
        if self.to.saturating_sub(self.from) <= 2 * DAY {
            Grain::Hour
        } else {
            Grain::Day
        }
    }
}

/// `36h`, `7d`, `2w` in seconds.
pub fn parse_span(span: &str) -> Result<u64, String> {
    let span = span.trim();
    let fail =
        || format!("`{span}` is not a span; write a number and h, d or w, such as 24h, 7d or 4w");
    let (number, unit) = span.split_at(span.len().saturating_sub(1));
    let n: u64 = number.parse().map_err(|_| fail())?;
    let unit = match unit {
        "h" => HOUR,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return Err(fail()),
    };
    if n == 0 || n > 3660 {
        return Err(format!("`{span}` is out of range; ask for 1h to 10 years"));
    }
    Ok(n * unit)
}

/// A date `YYYY-MM-DD` (UTC; `end`: the end of that day) or seconds since the epoch.
fn parse_instant(text: &str, end: bool) -> Result<u64, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(seconds);
    }
    let fail =
        || format!("`{text}` is not a date; write it as 2026-12-01 (UTC) or seconds since 1970");
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(fail());
    };
    let (y, m, d): (i64, u32, u32) = (
        y.parse().map_err(|_| fail())?,
        m.parse().map_err(|_| fail())?,
        d.parse().map_err(|_| fail())?,
    );
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(fail());
    }
    let days = days_from_civil(y, m, d);
    Ok(days as u64 * DAY + if end { DAY } else { 0 })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-12-01` or `2026-12-01 13:00` (UTC) for a bucket start.
pub fn date_label(at: u64, grain: Grain) -> String {
    let days = (at / DAY) as i64;
    // The inverse of days_from_civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    match grain {
        Grain::Day => format!("{y:04}-{m:02}-{d:02}"),
        Grain::Hour => format!("{y:04}-{m:02}-{d:02} {:02}:00", at % DAY / HOUR),
    }
}
