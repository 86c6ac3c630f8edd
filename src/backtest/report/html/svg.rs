//! The drawing kit the charts share: a plot frame mapping time and value
//! to pixels, the time and value axes, paths with gaps, and escaping.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

/// Chart width in pixels (the page scales it to the window).
pub(super) const WIDTH: f64 = 1200.0;

/// A plot area: time across, one value scale up.
pub(super) struct Frame {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Height of the whole SVG.
    pub height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// Top of the value scale.
    pub y_max: f64,
}

impl Frame {
    /// A frame over `[start, end]`, values 0..`y_max` (at least 1).
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>, height: f64, y_max: f64) -> Frame {
        Frame {
            start,
            end: if end > start {
                end
            } else {
                start + chrono::TimeDelta::minutes(5)
            },
            height,
            left: 60.0,
            right: WIDTH - 150.0,
            top: 24.0,
            bottom: height - 28.0,
            y_max: if y_max.is_finite() && y_max > 0.0 {
                y_max
            } else {
                1.0
            },
        }
    }

    /// Pixel x of `t` (clamped to the frame).
    pub fn x(&self, t: DateTime<Utc>) -> f64 {
        let span = (self.end - self.start).num_seconds().max(1) as f64;
        let f = ((t - self.start).num_seconds() as f64 / span).clamp(0.0, 1.0);
        self.left + f * (self.right - self.left)
    }

    /// Pixel y of `v` on the frame's scale (clamped).
    pub fn y(&self, v: f64) -> f64 {
        self.y_on(v, self.y_max)
    }

    /// Pixel y of `v` on a scale topping at `max` (a second axis).
    pub fn y_on(&self, v: f64, max: f64) -> f64 {
        let f = if max > 0.0 {
            (v / max).clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.bottom - f * (self.bottom - self.top)
    }

    /// Top and bottom of the plot area.
    pub fn rows(&self) -> (f64, f64) {
        (self.top, self.bottom)
    }

    /// Left and right of the plot area.
    pub fn cols(&self) -> (f64, f64) {
        (self.left, self.right)
    }

    /// The opening tag; `attrs` are extra attributes, already escaped.
    pub fn open(&self, out: &mut String, label: &str, attrs: &str) {
        let _ = write!(
            out,
            r#"<svg viewBox="0 0 {WIDTH} {h}" width="100%" role="img" aria-label="{label}" {attrs}>"#,
            h = self.height,
            label = esc(label),
        );
    }

    /// Time axis with a tick per day (or per several days on long replays)
    /// and a left value axis with `unit`.
    pub fn axes(&self, out: &mut String, unit: &str) {
        let (top, bottom) = self.rows();
        let (left, right) = self.cols();
        let _ = write!(
            out,
            r##"<g class="axes"><line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#888"/><line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#888"/>"##
        );
        let days = (self.end - self.start).num_days().max(1);
        let every = (days / 12).max(1);
        let mut t = self
            .start
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc())
            .unwrap_or(self.start);
        while t <= self.end {
            if t >= self.start {
                let x = self.x(t);
                let _ = write!(
                    out,
                    r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{bottom}" stroke="#eee"/><text x="{x:.1}" y="{ty}" font-size="11" text-anchor="middle" fill="#555">{label}</text>"##,
                    ty = bottom + 16.0,
                    label = t.format("%a %m-%d"),
                );
            }
            t += chrono::TimeDelta::days(every);
        }
        for k in 0..=4 {
            let v = self.y_max * f64::from(k) / 4.0;
            let y = self.y(v);
            let _ = write!(
                out,
                r##"<text x="{x}" y="{y:.1}" font-size="11" text-anchor="end" fill="#555" dy="4">{v}</text>"##,
                x = left - 6.0,
                v = number(v),
            );
        }
        let _ = write!(
            out,
            r##"<text x="{left}" y="{y}" font-size="11" fill="#555">{unit}</text></g>"##,
            y = top - 8.0,
            unit = esc(unit),
        );
    }

    /// A horizontal reference line at `v` with a label at its right end.
    pub fn hline(&self, out: &mut String, v: f64, colour: &str, label: &str, attrs: &str) {
        let (left, right) = self.cols();
        let y = self.y(v);
        let _ = write!(
            out,
            r#"<g {attrs}><line x1="{left}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="{colour}" stroke-dasharray="6 4"/><text x="{tx}" y="{y:.1}" dy="4" font-size="11" fill="{colour}">{label}</text><title>{label}</title></g>"#,
            tx = right + 4.0,
            label = esc(label),
        );
    }

    /// A shaded band over `[from, to)` across the plot's height.
    pub fn band(
        &self,
        out: &mut String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        colour: &str,
        attrs: &str,
        title: &str,
    ) {
        let (top, bottom) = self.rows();
        let (x0, x1) = (self.x(from), self.x(to));
        let _ = write!(
            out,
            r#"<rect x="{x0:.1}" y="{top}" width="{w:.1}" height="{h}" fill="{colour}" {attrs}><title>{title}</title></rect>"#,
            w = (x1 - x0).max(1.0),
            h = bottom - top,
            title = esc(title),
        );
    }
}

/// A path through `points` (None breaks the line); `step` draws a step
/// line (the value holds until the next point). Returns the path data and
/// the number of vertices that carry a value.
pub(super) fn path(
    frame: &Frame,
    at: &[DateTime<Utc>],
    values: &[Option<f64>],
    max: f64,
    step: bool,
) -> (String, usize) {
    let mut d = String::new();
    let mut n = 0;
    let mut pen_down = false;
    let mut last_y = 0.0;
    for (t, v) in at.iter().zip(values) {
        let Some(v) = v else {
            pen_down = false;
            continue;
        };
        let (x, y) = (frame.x(*t), frame.y_on(*v, max));
        if !pen_down {
            let _ = write!(d, "M{x:.1},{y:.1}");
            pen_down = true;
        } else if step {
            let _ = write!(d, "L{x:.1},{last_y:.1}L{x:.1},{y:.1}");
        } else {
            let _ = write!(d, "L{x:.1},{y:.1}");
        }
        last_y = y;
        n += 1;
    }
    (d, n)
}

/// Writes one data series: a path whose `data-n` is its vertex count and
/// `data-series` names the JSON field it draws.
pub(super) fn series(out: &mut String, d: &str, n: usize, field: &str, colour: &str, extra: &str) {
    let _ = write!(
        out,
        r#"<path class="series" data-series="{field}" data-n="{n}" d="{d}" fill="none" stroke="{colour}" stroke-width="1.5" {extra}/>"#,
        field = esc(field),
    );
}

/// The highest value, for a scale (at least `floor`).
pub(super) fn top(values: impl Iterator<Item = f64>, floor: f64) -> f64 {
    values.filter(|v| v.is_finite()).fold(floor, f64::max) * 1.05
}

/// Text safe inside HTML and attributes.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

/// A number for an axis: whole above 10, one decimal below.
pub(super) fn number(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// `1,234.56`.
pub(super) fn usd(v: f64) -> String {
    let s = format!("{:.2}", v.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 { "−" } else { "" };
    format!("{sign}{grouped}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_and_escaping_covers_markup() {
        assert_eq!(usd(1234567.891), "1,234,567.89");
        assert_eq!(usd(-12.5), "−12.50");
        assert_eq!(usd(0.0), "0.00");
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn a_path_breaks_at_missing_values_and_counts_vertices() {
        let t0 = DateTime::from_timestamp(0, 0).unwrap_or_default();
        let at: Vec<_> = (0..4)
            .map(|i| t0 + chrono::TimeDelta::minutes(5 * i))
            .collect();
        let f = Frame::new(at[0], at[3], 200.0, 100.0);
        let (d, n) = path(
            &f,
            &at,
            &[Some(1.0), None, Some(2.0), Some(3.0)],
            100.0,
            false,
        );
        assert_eq!(n, 3);
        assert_eq!(d.matches('M').count(), 2);
    }
}
