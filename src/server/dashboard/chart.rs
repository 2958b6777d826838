//! Charts as inline SVG, drawn on the server: no script, no library, no request elsewhere, so the dashboard works
//! offline under the strict page policy. Colours and sizes are SVG attributes (a policy that forbids inline
//! styles allows them). Every chart is `role="img"` with a title naming what it shows; the numbers are also in
//! the tables beside it, for screen readers and copying.

use std::fmt::Write as _;

pub use crate::text::escape_markup as escape;

/// Dark ink on white for text (contrast well above 4.5:1), and the bar colours.
pub const INK: &str = "#1d2430";
pub const BLUE: &str = "#2f5fb3";
pub const GREEN: &str = "#2e7d32";
pub const RED: &str = "#c62828";
pub const GREY: &str = "#c9ced6";

/// One bar: its label, and segments (value, colour) laid end to end; `note` is printed after the bar.
pub struct Bar {
    pub label: String,
    pub segments: Vec<(f64, &'static str)>,
    pub note: String,
}

const LABEL_WIDTH: f64 = 190.0;
const BAR_WIDTH: f64 = 360.0;
const NOTE_WIDTH: f64 = 170.0;
const ROW: f64 = 26.0;

/// Horizontal bars scaled to the longest; labels shortened to fit. `title` names the chart for assistive
/// technology.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    let max = bars
        .iter()
        .map(|b| b.segments.iter().map(|(v, _)| v).sum::<f64>())
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let width = LABEL_WIDTH + BAR_WIDTH + NOTE_WIDTH;
    let height = ROW * bars.len().max(1) as f64 + 8.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="system-ui,sans-serif" font-size="13"><title>{}</title>"#,
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let label = shorten(&bar.label, 26);
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" fill="{INK}">{}</text>"#,
            LABEL_WIDTH - 8.0,
            y + 16.0,
            escape(&label)
        );
        let mut x = LABEL_WIDTH;
        for (value, colour) in &bar.segments {
            let w = value / max * BAR_WIDTH;
            if w > 0.0 {
                let _ = write!(
                    svg,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="18" fill="{colour}"/>"#,
                    y + 3.0
                );
            }
            x += w;
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" fill="{INK}">{}</text>"#,
            x + 6.0,
            y + 16.0,
            escape(&bar.note)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Columns over time (starts in blue, completed in green beside them), with the first and last dates below.
pub fn columns(title: &str, points: &[(String, f64, f64)]) -> String {
    let (width, height, base) = (720.0, 170.0, 140.0);
    let max = points
        .iter()
        .map(|(_, a, b)| a.max(*b))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="system-ui,sans-serif" font-size="12"><title>{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r#"<line x1="40" y1="{base}" x2="{width}" y2="{base}" stroke="{GREY}"/><text x="34" y="18" text-anchor="end" fill="{INK}">{max}</text><text x="34" y="{base}" text-anchor="end" fill="{INK}">0</text>"#
    );
    let slot = (width - 48.0) / points.len().max(1) as f64;
    let w = (slot / 2.0 - 1.0).clamp(1.0, 14.0);
    for (i, (_, a, b)) in points.iter().enumerate() {
        let x = 44.0 + slot * i as f64;
        for (k, (value, colour)) in [(a, BLUE), (b, GREEN)].into_iter().enumerate() {
            let h = value / max * (base - 12.0);
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}" fill="{colour}"/>"#,
                x + k as f64 * (w + 1.0),
                base - h
            );
        }
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            svg,
            r#"<text x="44" y="{}" fill="{INK}">{}</text><text x="{width}" y="{}" text-anchor="end" fill="{INK}">{}</text>"#,
            base + 20.0,
            escape(&first.0),
            base + 20.0,
            escape(&last.0)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// At most `n` characters, with an ellipsis when cut.
fn shorten(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(n - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_longest_and_escape_labels() {
        let svg = bars(
            "drop-off",
            &[
                Bar {
                    label: "<script>".into(),
                    segments: vec![(50.0, GREEN), (50.0, RED)],
                    note: "50 %".into(),
                },
                Bar {
                    label: "budget".into(),
                    segments: vec![(25.0, GREEN)],
                    note: String::new(),
                },
            ],
        );
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        assert!(
            svg.contains(r#"width="180.0""#),
            "half of the 360 px bar: {svg}"
        );
        assert!(svg.contains(r#"width="90.0""#), "a quarter: {svg}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
