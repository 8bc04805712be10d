//! A tiny SVG writer for the two pictures: the decision boundary (a grid of coloured cells
//! under the points) and the loss curve (a polyline). Plain strings, no plotting crate.

use std::fmt::Write;

/// An SVG document being written; [`Svg::finish`] closes it.
pub struct Svg(String);

impl Svg {
    pub fn new(width: f64, height: f64) -> Self {
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">"#
        );
        let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
        Svg(s)
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        let _ = writeln!(
            self.0,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}" shape-rendering="crispEdges"/>"#
        );
    }

    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str, stroke: &str, width: f64) {
        let _ = writeln!(
            self.0,
            r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="{r}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>"#
        );
    }

    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
        let _ = writeln!(
            self.0,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}"/>"#
        );
    }

    pub fn polyline(&mut self, points: impl IntoIterator<Item = (f64, f64)>, stroke: &str) {
        let mut p = String::new();
        for (x, y) in points {
            let _ = write!(p, "{x:.1},{y:.1} ");
        }
        let _ = writeln!(
            self.0,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="2"/>"#,
            p.trim_end()
        );
    }

    /// Separate line segments, as one path.
    pub fn segments(&mut self, segments: &[[(f64, f64); 2]], stroke: &str, width: f64) {
        let mut d = String::new();
        for [(x1, y1), (x2, y2)] in segments {
            let _ = write!(d, "M{x1:.1},{y1:.1}L{x2:.1},{y2:.1}");
        }
        let _ = writeln!(
            self.0,
            r#"<path d="{d}" fill="none" stroke="{stroke}" stroke-width="{width}" stroke-linecap="round"/>"#
        );
    }

    /// Text at `(x, y)`; `anchor` is `start`, `middle` or `end`.
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, text: &str) {
        let text = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let _ = writeln!(
            self.0,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}">{text}</text>"#
        );
    }

    pub fn finish(mut self) -> String {
        self.0.push_str("</svg>\n");
        self.0
    }
}

/// `#rrggbb` for the colour `t` of the way from `a` to `b`.
pub fn mix(a: [u8; 3], b: [u8; 3], t: f64) -> String {
    let c = |i: usize| (a[i] as f64 + (b[i] as f64 - a[i] as f64) * t.clamp(0.0, 1.0)).round();
    format!("#{:02x}{:02x}{:02x}", c(0) as u8, c(1) as u8, c(2) as u8)
}

/// The plotted region `[x0, x1] × [y0, y1]` in data units, drawn into a `w×h` pixel box at
/// `(left, top)` (y up).
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub data: [f64; 4],
    pub px: [f64; 4],
}

impl Frame {
    /// Pixel coordinates of the data point `(x, y)`.
    pub fn pixel(&self, x: f64, y: f64) -> (f64, f64) {
        let [x0, x1, y0, y1] = self.data;
        let [left, top, w, h] = self.px;
        (
            left + (x - x0) / (x1 - x0) * w,
            top + (y1 - y) / (y1 - y0) * h,
        )
    }

    /// Draws the frame's border and the `[x0, x1]`, `[y0, y1]` end labels.
    pub fn axes(&self, svg: &mut Svg, fmt: impl Fn(f64) -> String) {
        let [x0, x1, y0, y1] = self.data;
        let [left, top, w, h] = self.px;
        let (l, r, t, b) = (left, left + w, top, top + h);
        for (p, q) in [
            ((l, t), (r, t)),
            ((r, t), (r, b)),
            ((r, b), (l, b)),
            ((l, b), (l, t)),
        ] {
            svg.line(p, q, "#444");
        }
        svg.text(l, b + 16.0, "middle", &fmt(x0));
        svg.text(r, b + 16.0, "middle", &fmt(x1));
        svg.text(l - 6.0, b + 4.0, "end", &fmt(y0));
        svg.text(l - 6.0, t + 4.0, "end", &fmt(y1));
    }
}
