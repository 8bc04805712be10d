//! The two pictures: the learned decision boundary under the held-out points, and the loss
//! curve, drawn with the tiny writer in `svg.rs`.

use crate::svg::{Frame, Svg, mix};
use crate::{GRID, REGION, Trained};

const CLASS_0: [u8; 3] = [0x1f, 0x4e, 0x9c];
const CLASS_1: [u8; 3] = [0xc0, 0x56, 0x1b];
const LIGHT_0: [u8; 3] = [0xc6, 0xd8, 0xf0];
const LIGHT_1: [u8; 3] = [0xf6, 0xd2, 0xb8];

/// The held-out points over the net's `P(class 1)`, in ten colour bands (so the band edge at
/// ½ is the decision boundary); misclassified points get a black ring.
pub fn boundary(t: &Trained, hidden: usize) -> String {
    let frame = Frame {
        data: REGION,
        px: [50.0, 50.0, 600.0, 375.0],
    };
    let mut svg = Svg::new(680.0, 480.0);
    let (nx, ny) = GRID;
    let [left, top, w, h] = frame.px;
    let (cw, ch) = (w / nx as f64, h / ny as f64);
    let band = |p: f64| ((p * 10.0).floor() as usize).min(9);
    for j in 0..ny {
        let row = &t.grid[j * nx..][..nx];
        let mut i = 0;
        while i < nx {
            // one rectangle per run of cells in the same band
            let b = band(row[i]);
            let run = row[i..].iter().take_while(|&&p| band(p) == b).count();
            let fill = mix(LIGHT_0, LIGHT_1, (b as f64 + 0.5) / 10.0);
            let (x, y) = (left + i as f64 * cw, top + j as f64 * ch);
            svg.rect(x, y, run as f64 * cw + 0.3, ch + 0.3, &fill);
            i += run;
        }
    }
    svg.segments(
        &contour(&t.grid, nx, ny, 0.5, |i, j| {
            (left + (i + 0.5) * cw, top + (j + 0.5) * ch)
        }),
        "#333",
        1.5,
    );
    for (p, right) in &t.test {
        let (x, y) = frame.pixel(p.x[0], p.x[1]);
        let fill = mix(CLASS_0, CLASS_1, f64::from(p.label));
        let (stroke, width) = if *right {
            ("white", 0.6)
        } else {
            ("black", 1.8)
        };
        svg.circle(x, y, 3.2, &fill, stroke, width);
    }
    frame.axes(&mut svg, |v| format!("{v}"));
    let title = format!(
        "two moons, {} held-out points over P(class 1) of a 2-{hidden}-1 net: accuracy {:.3}",
        t.test.len(),
        t.accuracy
    );
    svg.text(340.0, 30.0, "middle", &title);
    svg.text(
        340.0,
        462.0,
        "middle",
        "blue: class 0, orange: class 1, black ring: misclassified; line: P = 0.5; bands of 0.1",
    );
    svg.finish()
}

/// The level-`level` line of `grid` (`nx × ny` values, row by row) by marching squares: in
/// each square of four neighbouring cells, the points where the value crosses `level` on its
/// edges (linearly interpolated) joined in pairs. `at(i, j)` places the cell `(i, j)`
/// (fractional in between) in pixels.
fn contour(
    grid: &[f64],
    nx: usize,
    ny: usize,
    level: f64,
    at: impl Fn(f64, f64) -> (f64, f64),
) -> Vec<[(f64, f64); 2]> {
    let mut segments = Vec::new();
    for j in 0..ny - 1 {
        for i in 0..nx - 1 {
            // corners clockwise from the top left, and the edges between them
            let c = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let v = c.map(|(i, j)| grid[j * nx + i] - level);
            let mut cross = Vec::with_capacity(4);
            for k in 0..4 {
                let (a, b) = (k, (k + 1) % 4);
                if (v[a] > 0.0) != (v[b] > 0.0) {
                    let s = v[a] / (v[a] - v[b]);
                    let (ia, ja) = (c[a].0 as f64, c[a].1 as f64);
                    let (ib, jb) = (c[b].0 as f64, c[b].1 as f64);
                    cross.push(at(ia + s * (ib - ia), ja + s * (jb - ja)));
                }
            }
            // 2 crossings, or 4 at a saddle (paired around the square)
            for pair in cross.chunks_exact(2) {
                segments.push([pair[0], pair[1]]);
            }
        }
    }
    segments
}

/// The mean training loss per epoch.
pub fn loss(losses: &[f64]) -> String {
    let top = losses.iter().copied().fold(0.0, f64::max) * 1.05;
    let frame = Frame {
        data: [1.0, losses.len().max(2) as f64, 0.0, top],
        px: [60.0, 50.0, 580.0, 280.0],
    };
    let mut svg = Svg::new(680.0, 380.0);
    svg.text(
        340.0,
        30.0,
        "middle",
        "mean training loss (binary cross-entropy) per epoch",
    );
    frame.axes(&mut svg, |v| {
        if v.fract() == 0.0 {
            format!("{v}")
        } else {
            format!("{v:.3}")
        }
    });
    let points = losses
        .iter()
        .enumerate()
        .map(|(i, &l)| frame.pixel(i as f64 + 1.0, l));
    svg.polyline(points, "#1f4e9c");
    svg.text(350.0, 365.0, "middle", "epoch");
    svg.finish()
}
