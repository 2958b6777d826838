//! The SVG plot of p99 latency against concurrency, shopkeep and B, written by hand (a few lines and labels do
//! not need a plotting crate).

use std::fmt::Write;

use super::{Outcome, Pair};

use crate::text::escape_markup as escape;

/// p99 latency of non-final turns against concurrency, shopkeep and B, as an SVG document.
pub fn svg(sweep: &[Pair], caption: &str) -> String {
    let (width, height, left, right, top, bottom) = (720.0, 420.0, 70.0, 20.0, 40.0, 60.0);
    let (plot_w, plot_h) = (width - left - right, height - top - bottom);
    let points = |of: fn(&Pair) -> &Outcome| -> Vec<(f64, f64)> {
        sweep
            .iter()
            .map(|p| {
                (
                    of(p).connections as f64,
                    of(p).non_final.micros(0.99) as f64 / 1000.0,
                )
            })
            .collect()
    };
    let ours = points(|p| &p.shopkeep);
    let base = points(|p| &p.echo);
    let max_y = ours
        .iter()
        .chain(&base)
        .map(|(_, y)| *y)
        .fold(0.1_f64, f64::max)
        * 1.1;
    let (min_x, max_x) = ours
        .iter()
        .map(|(x, _)| *x)
        .fold((f64::MAX, 1.0_f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let min_x = min_x.min(max_x).max(1.0);
    let span = (max_x.ln() - min_x.ln()).max(1e-9);
    let x_at = |x: f64| left + (x.max(1.0).ln() - min_x.ln()) / span * plot_w;
    let y_at = |y: f64| top + plot_h - y / max_y * plot_h;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="14">{}</text>"#,
        width / 2.0,
        escape(caption)
    );
    for n in 0..=5 {
        let y = max_y * f64::from(n) / 5.0;
        let _ = writeln!(
            out,
            r##"<line x1="{left}" x2="{}" y1="{py:.1}" y2="{py:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{y:.2}</text>"##,
            left + plot_w,
            left - 6.0,
            y_at(y) + 4.0,
            py = y_at(y)
        );
    }
    for (x, _) in &ours {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{x}</text>"#,
            x_at(*x),
            top + plot_h + 18.0
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">concurrent conversations (log scale)</text>"#,
        left + plot_w / 2.0,
        height - 16.0
    );
    let _ = writeln!(
        out,
        r#"<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">p99 turn latency (ms), non-final turns</text>"#,
        top + plot_h / 2.0,
        top + plot_h / 2.0
    );
    for (series, colour, label, row) in [
        (&ours, "#c0392b", "shopkeep", 0.0),
        (&base, "#2471a3", "B: bare WebSocket echo", 1.0),
    ] {
        let path: Vec<String> = series
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", x_at(*x), y_at(*y)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        for (x, y) in series.iter() {
            let _ = writeln!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/>"#,
                x_at(*x),
                y_at(*y)
            );
        }
        let ly = top + 10.0 + row * 18.0;
        let _ = writeln!(
            out,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{colour}"/><text x="{}" y="{}">{}</text>"#,
            left + 12.0,
            ly - 10.0,
            left + 30.0,
            ly,
            escape(label)
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_text_is_escaped() {
        assert_eq!(
            escape(r#"<a & "b">'"#),
            "&lt;a &amp; &quot;b&quot;&gt;&#39;"
        );
        let svg = svg(&[], "p99 <noisy> & shared");
        assert!(svg.contains("p99 &lt;noisy&gt; &amp; shared"), "{svg}");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }
}
