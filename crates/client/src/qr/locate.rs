//! From three finder patterns to a grid of modules for `rqrr` to decode (the path zxing's QR
//! `Detector` takes; learnt from its source, written anew here).
//!
//! Three patterns of about one size whose centres form a right isosceles triangle (allowing
//! for perspective) are a code's top-left, top-right and bottom-left corners. The distances
//! between them in modules give the code's size (4k + 17 modules). The fourth point of a
//! perspective transform is where the top-right and bottom-left patterns' inner sides,
//! extended, meet (lines stay lines in any perspective; zxing-cpp's estimate), else the
//! parallelogram's corner; for version 2 and up, the alignment pattern (a 5 × 5 ring near
//! the bottom-right corner) is searched around that point and, when found, replaces it.
//! Each module is then read at its mapped centre, and the grid goes to `rqrr`'s decoder
//! (format, error correction, data).

use super::finder::{Bits, Finder, floor_to_isize};

/// A projective map from module coordinates to pixels, as [a b c; d e f; g h 1].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transform([f64; 9]);

impl Transform {
    /// Maps the unit square's corners (0,0), (1,0), (1,1), (0,1) to `q` (Heckbert's
    /// closed form).
    fn square_to_quad(q: [(f64, f64); 4]) -> Option<Transform> {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
        let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        if den.abs() < 1e-12 {
            return None;
        }
        let g = (sx * dy2 - dx2 * sy) / den;
        let h = (dx1 * sy - sx * dy1) / den;
        Some(Transform([
            x1 - x0 + g * x1,
            x3 - x0 + h * x3,
            x0,
            y1 - y0 + g * y1,
            y3 - y0 + h * y3,
            y0,
            g,
            h,
            1.0,
        ]))
    }

    fn inverse(&self) -> Option<Transform> {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        let co = [
            e * i - f * h,
            c * h - b * i,
            b * f - c * e,
            f * g - d * i,
            a * i - c * g,
            c * d - a * f,
            d * h - e * g,
            b * g - a * h,
            a * e - b * d,
        ];
        let det = a * co[0] + b * co[3] + c * co[6];
        if det.abs() < 1e-12 {
            return None;
        }
        Some(Transform(co.map(|v| v / det)))
    }

    fn then(&self, next: &Transform) -> Transform {
        let (a, b) = (&self.0, &next.0);
        let mut m = [0.0; 9];
        for r in 0..3 {
            for c in 0..3 {
                m[r * 3 + c] = (0..3).map(|k| b[r * 3 + k] * a[k * 3 + c]).sum();
            }
        }
        Transform(m)
    }

    /// The transform taking each point of `from` to the same corner of `to`.
    pub fn quad_to_quad(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> Option<Transform> {
        let back = Transform::square_to_quad(from)?.inverse()?;
        Some(back.then(&Transform::square_to_quad(to)?))
    }

    /// The projective weight of module point (x, y): its sign tells on which side of the
    /// horizon (the points mapped to infinity) the point lies.
    fn weight(&self, x: f64, y: f64) -> f64 {
        let m = &self.0;
        m[6] * x + m[7] * y + m[8]
    }

    pub fn map(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        (
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        )
    }
}

/// The module points a code's perspective is fitted to, for a code of `size` modules: the
/// three finder patterns' centres and (n − 6.5, n − 6.5), the alignment pattern's centre
/// from version 2 (else where the finder patterns' sides meet, see
/// [`Corners::fourth_guess`]).
pub(crate) fn fitted_module_points(size: usize) -> [(f64, f64); 4] {
    let n = size as f64;
    [
        (3.5, 3.5),
        (n - 3.5, 3.5),
        (n - 6.5, n - 6.5),
        (3.5, n - 3.5),
    ]
}

/// Three finder patterns named by their corner.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Corners {
    pub top_left: Finder,
    pub top_right: Finder,
    pub bottom_left: Finder,
}

impl Corners {
    /// The fourth finder-centre corner if the code were a parallelogram: the guess for the
    /// bottom right before an alignment pattern or a fit says better.
    fn parallelogram_corner(&self) -> (f64, f64) {
        let (tl, tr, bl) = (&self.top_left, &self.top_right, &self.bottom_left);
        (tr.x + bl.x - tl.x, tr.y + bl.y - tl.y)
    }

    /// The module size, in pixels, from the centres' spacing for a code of `size` modules:
    /// the patterns' own estimates come from row and column widths, which a turned code or
    /// spread ink make too large.
    pub(crate) fn module_for(&self, size: usize) -> f64 {
        let (tl, tr, bl) = (&self.top_left, &self.top_right, &self.bottom_left);
        (dist(tl, tr) + dist(tl, bl)) / 2.0 / (size as f64 - 7.0)
    }

    /// Where the points of [`fitted_module_points`] lie in the frame: the finder patterns'
    /// centres, and `fourth` for (n − 6.5, n − 6.5).
    pub(crate) fn frame_points(&self, fourth: (f64, f64)) -> [(f64, f64); 4] {
        let (tl, tr, bl) = (&self.top_left, &self.top_right, &self.bottom_left);
        [(tl.x, tl.y), (tr.x, tr.y), fourth, (bl.x, bl.y)]
    }

    /// The perspective of a code of `size` modules through the finder patterns' centres and
    /// `fourth` for (n − 6.5, n − 6.5).
    fn perspective(&self, size: usize, fourth: (f64, f64)) -> Option<Transform> {
        Transform::quad_to_quad(fitted_module_points(size), self.frame_points(fourth))
    }

    /// Where the module point (n − 6.5, n − 6.5) lies for a code of `size` modules: where the
    /// finder patterns' sides meet, when that makes a plausible perspective, else 3 modules
    /// in from the parallelogram's corner.
    pub(crate) fn fourth_guess(&self, bits: Bits, size: usize) -> (f64, f64) {
        let met = self.sides_meet(bits).filter(|&p| self.plausible(size, p));
        met.unwrap_or_else(|| {
            let tl = &self.top_left;
            let span = size as f64 - 7.0; // modules between finder centres
            let along = (span - 3.0) / span;
            let (bx, by) = self.parallelogram_corner();
            (tl.x + along * (bx - tl.x), tl.y + along * (by - tl.y))
        })
    }

    /// Where the module point (n − 6.5, n − 6.5) of a code of n modules lies (the alignment
    /// pattern's centre, from version 2): the top-right pattern's side facing the top-left one
    /// and the bottom-left pattern's side facing it are straight lines in any perspective, and
    /// each pair of ring edges (inner, outer) meets at (n − 6, n − 6) and (n − 7, n − 7)
    /// (zxing-cpp's estimate). Unlike the parallelogram's corner this follows a tilt.
    fn sides_meet(&self, bits: Bits) -> Option<(f64, f64)> {
        let (tl, tr, bl) = (&self.top_left, &self.top_right, &self.bottom_left);
        let unit = |a: &Finder, b: &Finder| {
            let d = dist(a, b).max(1e-9);
            ((b.x - a.x) / d, (b.y - a.y) / d)
        };
        let [right_inner, right_outer] = ring_side(bits, tr, tl, unit(tl, bl))?;
        let [bottom_inner, bottom_outer] = ring_side(bits, bl, tl, unit(tl, tr))?;
        let (ax, ay) = right_inner.meet(&bottom_inner)?;
        let (bx, by) = right_outer.meet(&bottom_outer)?;
        let (x, y) = ((ax + bx) / 2.0, (ay + by) / 2.0);
        let inside = x >= 0.0 && y >= 0.0 && x < bits.w as f64 && y < bits.h as f64;
        inside.then_some((x, y))
    }

    /// Whether the perspective that puts (n − 6.5, n − 6.5) at `fourth` could be a flat code
    /// seen by a camera: the whole code on the top-left pattern's side of the horizon (in
    /// front of the camera), and a module at each of the code's corners between half and
    /// twice the size the centres' spacing gives (the finder patterns themselves may differ
    /// by at most 1.8×, see [`corners`]). Lines traced through a misread edge meet anywhere,
    /// and a perspective from there can be nearly degenerate.
    fn plausible(&self, size: usize, fourth: (f64, f64)) -> bool {
        let n = size as f64;
        let Some(t) = self.perspective(size, fourth) else {
            return false;
        };
        let module = self.module_for(size);
        let near = |(x0, y0): (f64, f64), (x1, y1): (f64, f64)| {
            let m = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
            m > module / 2.0 && m < module * 2.0
        };
        // The side of the horizon the top-left pattern is on: the camera's.
        let front = t.weight(3.5, 3.5).signum();
        [(0.0, 0.0), (n, 0.0), (n, n), (0.0, n)]
            .into_iter()
            .all(|(u, v)| {
                t.weight(u, v) * front > 0.0
                    && near(t.map(u, v), t.map(u + 1.0, v))
                    && near(t.map(u, v), t.map(u, v + 1.0))
            })
    }
}

/// The corner's angle may be this far from square (|cos| up to this: about 53°–127°) when
/// the code is seen at a tilt.
const COS_LIMIT: f64 = 0.6;

fn dist(a: &Finder, b: &Finder) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Orders three patterns as a code's corners, or `None` when they cannot be one code: sizes
/// too different, legs too unequal, or an angle at the corner far from square.
pub(crate) fn corners(a: Finder, b: Finder, c: Finder) -> Option<Corners> {
    let (small, big) = [a.module, b.module, c.module]
        .iter()
        .fold((f64::MAX, 0f64), |(s, l), &m| (s.min(m), l.max(m)));
    if big > small * 1.8 {
        return None;
    }
    // The corner is opposite the longest side.
    let (ab, bc, ca) = (dist(&a, &b), dist(&b, &c), dist(&c, &a));
    let (corner, p, q) = if bc >= ab && bc >= ca {
        (a, b, c)
    } else if ca >= ab && ca >= bc {
        (b, c, a)
    } else {
        (c, a, b)
    };
    let (lp, lq) = (dist(&corner, &p), dist(&corner, &q));
    if lp.min(lq) < 14.0 * small || lp.max(lq) > 1.8 * lp.min(lq) {
        return None;
    }
    let (px, py, qx, qy) = (
        p.x - corner.x,
        p.y - corner.y,
        q.x - corner.x,
        q.y - corner.y,
    );
    let cos = (px * qx + py * qy) / (lp * lq);
    if cos.abs() > COS_LIMIT {
        return None;
    }
    // In image coordinates (y down), top-right × bottom-left (from the top-left) is positive.
    let (top_right, bottom_left) = if px * qy - py * qx > 0.0 {
        (p, q)
    } else {
        (q, p)
    };
    Some(Corners {
        top_left: corner,
        top_right,
        bottom_left,
    })
}

/// Module size, in pixels, of a finder pattern crossed through its centre along (dx, dy) (a
/// unit vector): the walk out each way meets three edges (end of the centre, end of the light
/// ring, end of the dark ring). From an edge to the next edge of the same kind across the
/// centre is 6 modules (outer light-to-dark to the far ring's light-to-dark, and the same for
/// dark-to-light), a measure that ink spreading into the light ring does not change (the
/// outer width, zxing's `sizeOfBlackWhiteBlackRun`, grows with it). `None` when the walk does
/// not read dark, light, dark on both sides within `max` pixels.
fn module_along(bits: Bits, f: &Finder, dx: f64, dy: f64, max: f64) -> Option<f64> {
    // For each side: distances to the end of the light ring and to the end of the dark ring.
    let mut ends = [[0.0; 2]; 2];
    for (side, s) in [1.0, -1.0].into_iter().enumerate() {
        let mut seen = 0; // 0: centre dark, 1: light ring, 2: dark ring
        let mut t = 0.0;
        loop {
            t += 0.5;
            if t > max {
                return None;
            }
            let dark = bits.dark(
                floor_to_isize(f.x + s * t * dx),
                floor_to_isize(f.y + s * t * dy),
            );
            match (seen, dark) {
                (0, false) => seen = 1,
                (1, true) => {
                    ends[side][0] = t;
                    seen = 2;
                }
                (2, false) => {
                    ends[side][1] = t;
                    break;
                }
                _ => {}
            }
        }
    }
    // Light-to-dark edges: the near side's ring start to the far side's outer edge, both ways.
    Some((ends[0][0] + ends[1][1] + ends[1][0] + ends[0][1]) / 12.0)
}

/// Module size, in pixels, measured across a finder pattern toward another one (along the
/// code's side, so a turned or tilted code is measured in the direction that counts), or the
/// pattern's own estimate when the walk fails.
fn module_toward(bits: Bits, from: &Finder, to: &Finder) -> f64 {
    let d = dist(from, to);
    if d < 1.0 {
        return from.module;
    }
    let (dx, dy) = ((to.x - from.x) / d, (to.y - from.y) / d);
    let max = from.module * 7.0;
    match module_along(bits, from, dx, dy, max) {
        Some(m) if (m - from.module).abs() < from.module * 0.6 => m,
        _ => from.module,
    }
}

/// The code's size in modules (4k + 17, version k) estimated from the corners: the finder
/// centres' distance over the module size measured along each side; sizes 4 modules either
/// side are also worth a try when the grid does not decode.
pub(crate) fn dimension(bits: Bits, c: &Corners) -> usize {
    let (tl, tr, bl) = (&c.top_left, &c.top_right, &c.bottom_left);
    let across = (module_toward(bits, tl, tr) + module_toward(bits, tr, tl)) / 2.0;
    let down = (module_toward(bits, tl, bl) + module_toward(bits, bl, tl)) / 2.0;
    let raw = ((dist(tl, tr) / across + dist(tl, bl) / down) / 2.0).round() as usize + 7;
    // Nearest 4k + 1 (zxing's rule), at least 21.
    let fixed = match raw % 4 {
        0 => raw + 1,
        2 => raw - 1,
        3 => raw + 2,
        _ => raw,
    };
    fixed.clamp(21, 177)
}

/// A straight line through points, as a point on it and a unit direction.
#[derive(Clone, Copy, Debug)]
struct Line {
    x: f64,
    y: f64,
    dx: f64,
    dy: f64,
}

impl Line {
    /// The total-least-squares line through `points`, refitted without the point farthest
    /// off it while that one is more than a pixel off (a ray that met a stray module or a
    /// notch of noise); `None` when fewer than half the points, or than four, are left.
    fn fit(points: &[(f64, f64)]) -> Option<Line> {
        let mut kept = points.to_vec();
        loop {
            if kept.len() < 4 || kept.len() * 2 < points.len() {
                return None;
            }
            let line = Line::fit_all(&kept);
            let (worst, off) = kept
                .iter()
                .enumerate()
                .map(|(i, &p)| (i, line.distance(p)))
                .fold((0, 0.0), |b, c| if c.1 > b.1 { c } else { b });
            if off <= 1.0 {
                return Some(line);
            }
            kept.swap_remove(worst);
        }
    }

    fn fit_all(points: &[(f64, f64)]) -> Line {
        let n = points.len() as f64;
        let (sx, sy) = points
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (mx, my) = (sx / n, sy / n);
        let (mut xx, mut xy, mut yy) = (0.0, 0.0, 0.0);
        for (x, y) in points {
            let (u, v) = (x - mx, y - my);
            xx += u * u;
            xy += u * v;
            yy += v * v;
        }
        // The direction of largest spread (the covariance's principal axis).
        let angle = 0.5 * (2.0 * xy).atan2(xx - yy);
        Line {
            x: mx,
            y: my,
            dx: angle.cos(),
            dy: angle.sin(),
        }
    }

    fn distance(&self, (x, y): (f64, f64)) -> f64 {
        ((x - self.x) * self.dy - (y - self.y) * self.dx).abs()
    }

    /// Where two lines cross; `None` when they are (nearly) parallel.
    fn meet(&self, other: &Line) -> Option<(f64, f64)> {
        let den = self.dx * other.dy - self.dy * other.dx;
        if den.abs() < 1e-3 {
            return None;
        }
        let t = ((other.x - self.x) * other.dy - (other.y - self.y) * other.dx) / den;
        Some((self.x + t * self.dx, self.y + t * self.dy))
    }
}

/// The two edges of a finder pattern's dark ring on the side that faces `toward`: rays from
/// points spread along `across` (up to two modules either side of the centre, inside the
/// light ring) walk toward `toward` and meet the ring's inner edge (light to dark) and its
/// outer edge (dark to light); a line is fitted through each set of edge points.
fn ring_side(bits: Bits, f: &Finder, toward: &Finder, across: (f64, f64)) -> Option<[Line; 2]> {
    let d = dist(f, toward);
    if d < 1.0 {
        return None;
    }
    let (dx, dy) = ((toward.x - f.x) / d, (toward.y - f.y) / d);
    let max = f.module * 6.0;
    let mut inner = Vec::with_capacity(17);
    let mut outer = Vec::with_capacity(17);
    for k in -8..=8 {
        let s = k as f64 * 0.25 * f.module;
        let (x0, y0) = (f.x + s * across.0, f.y + s * across.1);
        let at = |t: f64| bits.dark(floor_to_isize(x0 + t * dx), floor_to_isize(y0 + t * dy));
        // 0: in the centre (dark) or the light ring, 1: light seen, 2: in the dark ring.
        let mut seen = 0;
        let mut t = 0.0;
        while t < max {
            t += 0.5;
            match (seen, at(t)) {
                (0, false) => seen = 1,
                (1, true) => {
                    inner.push((x0 + (t - 0.25) * dx, y0 + (t - 0.25) * dy));
                    seen = 2;
                }
                (2, false) => {
                    outer.push((x0 + (t - 0.25) * dx, y0 + (t - 0.25) * dy));
                    break;
                }
                _ => {}
            }
        }
    }
    Some([Line::fit(&inner)?, Line::fit(&outer)?])
}

/// Where an alignment pattern's centre is, given the corners and the size: searched in the
/// thresholded frame around [`Corners::fourth_guess`], within `reach` modules.
pub(crate) fn find_alignment(
    bits: Bits,
    c: &Corners,
    size: usize,
    reach: f64,
) -> Option<(f64, f64)> {
    nearest_alignment(bits, c.fourth_guess(bits, size), c.module_for(size), reach)
}

/// Whether (x, y) is the dark centre of an alignment pattern of `module` pixels: across and
/// down, a dark run of one module between light runs of one module (each within 0.6 of a
/// module and half a pixel), and dark beyond the light ring. Gives the centre.
fn alignment_at(bits: Bits, x: isize, y: isize, module: f64) -> Option<(f64, f64)> {
    if !bits.dark(x, y) {
        return None;
    }
    let max = (module * 2.0).ceil() as usize + 1;
    let ok = |n: usize| (n as f64 - module).abs() <= module * 0.6 + 0.5;
    let mut centre = [0f64; 2];
    for (axis, (dx, dy)) in [(1isize, 0isize), (0, 1)].into_iter().enumerate() {
        let run = |s: isize, dark: bool, from: isize| -> (usize, isize) {
            let mut i = from;
            let mut n = 0;
            while bits.dark(x + i * dx, y + i * dy) == dark && n <= max {
                n += 1;
                i += s;
            }
            (n, i)
        };
        let (back, i_back) = run(-1, true, 0);
        let (ahead, i_ahead) = run(1, true, 1);
        let width = back + ahead;
        if !ok(width) {
            return None;
        }
        let (light_back, j_back) = run(-1, false, i_back);
        let (light_ahead, j_ahead) = run(1, false, i_ahead);
        if !ok(light_back) || !ok(light_ahead) {
            return None;
        }
        // The outer dark ring: a lone dark data module in light ones passes the tests
        // above, an alignment pattern is also dark beyond its light ring.
        let ring = (module * 0.5).max(1.0);
        let (outer_back, _) = run(-1, true, j_back);
        let (outer_ahead, _) = run(1, true, j_ahead);
        if (outer_back as f64) < ring || (outer_ahead as f64) < ring {
            return None;
        }
        // The dark run covers pixels x − back + 1 ..= x + ahead: its middle, in the
        // continuous coordinates where pixel i spans [i, i + 1).
        centre[axis] = (ahead as f64 - back as f64) / 2.0 + 1.0;
    }
    Some((x as f64 + centre[0], y as f64 + centre[1]))
}

/// Centres of the alignment patterns' rows and columns, in modules, for versions 7 to 20
/// (ISO/IEC 18004, Annex E); smaller versions have at most the one pattern near the corner.
fn alignment_positions(size: usize) -> Option<&'static [usize]> {
    const TABLE: [&[usize]; 14] = [
        &[6, 22, 38],
        &[6, 24, 42],
        &[6, 26, 46],
        &[6, 28, 50],
        &[6, 30, 54],
        &[6, 32, 58],
        &[6, 34, 62],
        &[6, 26, 46, 66],
        &[6, 26, 48, 70],
        &[6, 26, 50, 74],
        &[6, 30, 54, 78],
        &[6, 30, 56, 82],
        &[6, 30, 58, 86],
        &[6, 34, 62, 90],
    ];
    let version = (size.checked_sub(17)?) / 4;
    TABLE.get(version.checked_sub(7)?).copied()
}

/// Centres of the alignment patterns' rows and columns, in modules, for a code of `size`
/// modules: none for version 1, one near the corner for versions 2 to 6, the table's from 7.
pub(crate) fn alignment_centres(size: usize) -> Vec<usize> {
    match alignment_positions(size) {
        Some(table) => table.to_vec(),
        None if size > 21 => vec![6, size - 7],
        None => Vec::new(),
    }
}

/// Sampling guided by every alignment pattern (as zxing-cpp does): a code on bent paper or
/// seen through a lens is not one perspective. Each alignment pattern is searched near where
/// the overall transform puts it; each cell of the lattice they form gets its own transform
/// from its four corners, so a module is mapped from the patterns nearest to it.
struct Lattice {
    positions: Vec<f64>,
    /// Each cell's transform, row-major (`None` where its corners make none), made once:
    /// every module of the code is mapped through one of them.
    cells: Vec<Option<Transform>>,
}

impl Lattice {
    /// `expected` is the module size from the finder centres' spacing: an overall transform
    /// whose top edge's modules are not within half to twice that is no code seen flat (an
    /// alignment pattern found in the wrong place), and searching around it at its scale
    /// would probe a wide area for nothing.
    fn fit(bits: Bits, overall: &Transform, size: usize, expected: f64) -> Option<Lattice> {
        let centres = alignment_positions(size)?;
        let k = centres.len();
        let positions: Vec<f64> = centres.iter().map(|&c| c as f64 + 0.5).collect();
        let (ox, oy) = overall.map(0.0, 0.0);
        let (ex, ey) = overall.map(size as f64, 0.0);
        let module = ((ex - ox).powi(2) + (ey - oy).powi(2)).sqrt() / size as f64;
        if !(module > expected / 2.0 && module < expected * 2.0) {
            return None;
        }
        let mut points = Vec::with_capacity(k * k);
        let mut found = 0;
        for (j, &py) in positions.iter().enumerate() {
            for (i, &px) in positions.iter().enumerate() {
                let guess = overall.map(px, py);
                // The three corners next to finder patterns have no alignment pattern.
                let corner = (i, j) == (0, 0) || (i, j) == (k - 1, 0) || (i, j) == (0, k - 1);
                let at = if corner {
                    None
                } else {
                    nearest_alignment(bits, guess, module, 2.0)
                };
                found += usize::from(at.is_some());
                points.push(at.unwrap_or(guess));
            }
        }
        // Without most patterns found, the lattice is the overall transform again.
        if found * 2 < k * k - 3 {
            return None;
        }
        let mut cells = Vec::with_capacity((k - 1) * (k - 1));
        for j in 0..k - 1 {
            for i in 0..k - 1 {
                let from = [
                    (positions[i], positions[j]),
                    (positions[i + 1], positions[j]),
                    (positions[i + 1], positions[j + 1]),
                    (positions[i], positions[j + 1]),
                ];
                let to = [
                    points[j * k + i],
                    points[j * k + i + 1],
                    points[(j + 1) * k + i + 1],
                    points[(j + 1) * k + i],
                ];
                cells.push(Transform::quad_to_quad(from, to));
            }
        }
        Some(Lattice { positions, cells })
    }

    fn map(&self, u: f64, v: f64) -> (f64, f64) {
        let k = self.positions.len();
        // The lattice cell holding (u, v); modules outside the lattice use the nearest cell.
        let cell = |t: f64| {
            (0..k - 1)
                .find(|&i| t < self.positions[i + 1])
                .unwrap_or(k - 2)
        };
        let (i, j) = (cell(u), cell(v));
        match &self.cells[j * (k - 1) + i] {
            Some(t) => t.map(u, v),
            None => (f64::NAN, f64::NAN),
        }
    }
}

/// The alignment pattern nearest to `guess` within `reach` modules, if any.
fn nearest_alignment(bits: Bits, guess: (f64, f64), module: f64, reach: f64) -> Option<(f64, f64)> {
    let radius = (reach * module).ceil() as isize;
    let (cx, cy) = (guess.0.round() as isize, guess.1.round() as isize);
    let mut best: Option<(f64, f64, f64)> = None;
    for y in cy - radius..=cy + radius {
        for x in cx - radius..=cx + radius {
            if let Some((px, py)) = alignment_at(bits, x, y, module) {
                let d = (px - guess.0).powi(2) + (py - guess.1).powi(2);
                if best.is_none_or(|b| d < b.2) {
                    best = Some((px, py, d));
                }
            }
        }
    }
    best.map(|(x, y, _)| (x, y))
}

/// The module grid of the code with these corners and `size`, read from the thresholded
/// frame, as `rqrr` takes it; `align` allows the alignment pattern to fix perspective, and
/// the flag says whether one was found and used.
pub(crate) fn sample(
    bits: Bits,
    c: &Corners,
    size: usize,
    align: bool,
) -> Option<(rqrr::SimpleGrid, bool)> {
    let alignment = if align && size > 21 {
        find_alignment(bits, c, size, 4.0).or_else(|| find_alignment(bits, c, size, 9.0))
    } else {
        None
    };
    let fourth = alignment.unwrap_or_else(|| c.fourth_guess(bits, size));
    let transform = c.perspective(size, fourth)?;
    let local = alignment.and_then(|_| Lattice::fit(bits, &transform, size, c.module_for(size)));
    let grid = match &local {
        Some(lattice) => read_grid(bits, size, |u, v| lattice.map(u, v)),
        None => read_grid(bits, size, |u, v| transform.map(u, v)),
    }?;
    Some((grid, alignment.is_some()))
}

/// Each module of a `size`-module code read at its centre mapped into the frame by `map`.
pub(crate) fn read_grid(
    bits: Bits,
    size: usize,
    map: impl Fn(f64, f64) -> (f64, f64),
) -> Option<rqrr::SimpleGrid> {
    let mut cells = vec![false; size * size];
    for my in 0..size {
        for mx in 0..size {
            let (x, y) = map(mx as f64 + 0.5, my as f64 + 0.5);
            if !x.is_finite() || !y.is_finite() {
                return None;
            }
            cells[my * size + mx] = bits.dark(floor_to_isize(x), floor_to_isize(y));
        }
    }
    Some(rqrr::SimpleGrid::from_func(size, |x, y| {
        cells[y * size + x]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qr::test_codes::version_3_seen_through;

    fn finder(x: f64, y: f64) -> Finder {
        Finder {
            x,
            y,
            module: 4.0,
            hits: 3,
        }
    }

    #[test]
    fn three_corners_are_named_whatever_their_order_and_turn() {
        // Upright: top-left (10, 10), top-right (110, 10), bottom-left (10, 110).
        let (tl, tr, bl) = (finder(10.0, 10.0), finder(110.0, 10.0), finder(10.0, 110.0));
        for (a, b, c) in [(tl, tr, bl), (bl, tl, tr), (tr, bl, tl), (bl, tr, tl)] {
            let k = corners(a, b, c).unwrap();
            assert_eq!(
                (k.top_left, k.top_right, k.bottom_left),
                (tl, tr, bl),
                "from {a:?} {b:?} {c:?}"
            );
        }
        // Turned by 180°: the top-left is now at the bottom right of the picture.
        let k = corners(
            finder(110.0, 110.0),
            finder(10.0, 110.0),
            finder(110.0, 10.0),
        )
        .unwrap();
        assert_eq!((k.top_right.x, k.top_right.y), (10.0, 110.0));
        // A straight line, or one leg twice the other, is no code.
        assert!(corners(finder(10.0, 10.0), finder(60.0, 10.0), finder(110.0, 10.0)).is_none());
        assert!(corners(tl, finder(230.0, 10.0), bl).is_none());
    }

    #[test]
    fn the_size_is_rounded_to_a_real_version() {
        // Finder centres 22 modules apart: 29 modules (version 3); 21 apart rounds to 29 too
        // (28 is not 4k + 1), 23 apart to 29 (30 is not either).
        for (apart, expect) in [(22.0, 29), (21.0, 29), (23.0, 29), (14.0, 21), (50.0, 57)] {
            let d = apart * 4.0;
            let c = corners(finder(0.0, 0.0), finder(d, 0.0), finder(0.0, d)).unwrap();
            let light = vec![0u8; 4];
            let bits = Bits {
                w: 2,
                h: 2,
                px: &light,
            };
            assert_eq!(dimension(bits, &c), expect, "{apart} modules apart");
        }
    }

    #[test]
    fn alignment_rows_follow_the_standards_table() {
        assert_eq!(alignment_positions(45), Some(&[6, 22, 38][..])); // version 7
        assert_eq!(alignment_positions(57), Some(&[6, 28, 50][..])); // version 10
        assert_eq!(alignment_positions(97), Some(&[6, 34, 62, 90][..])); // version 20
        assert_eq!(alignment_positions(41), None); // version 6: one pattern only
        assert_eq!(alignment_positions(101), None);
    }

    #[test]
    fn a_line_is_fitted_through_its_points_without_the_strays() {
        // y = x / 2 + 3, with two points off by 4 and 6 pixels.
        let mut points: Vec<(f64, f64)> = (0..8)
            .map(|i| {
                (
                    i as f64 * 2.0,
                    i as f64 + 3.0 + if i % 2 == 0 { 0.2 } else { -0.2 },
                )
            })
            .collect();
        points[2].1 += 4.0;
        points[6].1 -= 6.0;
        let line = Line::fit(&points).unwrap();
        for x in [0.0, 7.0, 14.0] {
            // Where the fitted line crosses the vertical through x.
            let y = line.y + (x - line.x) * line.dy / line.dx;
            assert!((y - (x / 2.0 + 3.0)).abs() < 0.3, "at {x}: {y}");
        }
        // When most points are strays there is no line.
        let scattered = [(0.0, 0.0), (5.0, 9.0), (1.0, 7.0), (8.0, 1.0), (3.0, 3.0)];
        assert!(Line::fit(&scattered).is_none());
    }

    /// A version-3 code (29 modules) drawn through `t` (module coordinates to pixels), with
    /// the finder patterns placed at their mapped centres.
    fn code_seen_through(t: &Transform, side: usize) -> (Vec<u8>, Corners, usize) {
        let back = t.inverse().unwrap();
        let (px, n) = version_3_seen_through(|x, y| back.map(x, y), side);
        let at = |u: f64, v: f64| {
            let (x, y) = t.map(u, v);
            // The local module size: one module across, mapped.
            let (x1, _) = t.map(u + 1.0, v);
            Finder {
                x,
                y,
                module: (x1 - x).abs(),
                hits: 3,
            }
        };
        let nf = n as f64;
        let corners = Corners {
            top_left: at(3.5, 3.5),
            top_right: at(nf - 3.5, 3.5),
            bottom_left: at(3.5, nf - 3.5),
        };
        (px, corners, n)
    }

    #[test]
    fn the_fourth_point_follows_a_steep_tilt_where_the_parallelogram_does_not() {
        // A code seen from its top-right side: the right edge is nearly twice as tall as
        // the left, so the parallelogram's corner lands modules away from the real one.
        let square = [(0.0, 0.0), (29.0, 0.0), (29.0, 29.0), (0.0, 29.0)];
        let seen = [(60.0, 80.0), (330.0, 30.0), (330.0, 390.0), (60.0, 300.0)];
        let t = Transform::quad_to_quad(square, seen).unwrap();
        let (px, corners, n) = code_seen_through(&t, 420);
        let bits = Bits {
            w: 420,
            h: 420,
            px: &px,
        };
        let truth = t.map(n as f64 - 6.5, n as f64 - 6.5);
        let module_there = t.map(n as f64 - 5.5, n as f64 - 6.5).0 - truth.0;
        let off = |(x, y): (f64, f64)| ((x - truth.0).powi(2) + (y - truth.1).powi(2)).sqrt();
        // The parallelogram's guess, 3 modules in from its corner.
        let (px_, py_) = corners.parallelogram_corner();
        let tl = &corners.top_left;
        let along = (n as f64 - 10.0) / (n as f64 - 7.0);
        let parallelogram = (tl.x + along * (px_ - tl.x), tl.y + along * (py_ - tl.y));
        assert!(
            off(parallelogram) > 3.0 * module_there,
            "the parallelogram is {} modules off",
            off(parallelogram) / module_there
        );
        let met = corners.sides_meet(bits).expect("both sides traced");
        assert!(
            off(met) < 0.5 * module_there,
            "the sides meet {} modules off",
            off(met) / module_there
        );
        assert_eq!(corners.fourth_guess(bits, n), met);
        // A point that would put the horizon through the code, or squash its far side to
        // a sliver, is no perspective of a flat code.
        assert!(corners.plausible(n, truth));
        assert!(!corners.plausible(n, (truth.0 + 400.0, truth.1 + 400.0)));
        assert!(!corners.plausible(n, (corners.top_left.x + 5.0, corners.top_left.y + 5.0)));
        // Nothing to trace (a blank frame): the parallelogram's guess.
        let blank = vec![0u8; 420 * 420];
        let blank = Bits {
            w: 420,
            h: 420,
            px: &blank,
        };
        assert_eq!(corners.sides_meet(blank), None);
        assert_eq!(corners.fourth_guess(blank, n), parallelogram);
    }

    #[test]
    fn a_transform_maps_each_corner_to_its_corner() {
        let from = [(3.5, 3.5), (25.5, 3.5), (22.5, 22.5), (3.5, 25.5)];
        let to = [(100.0, 50.0), (300.0, 80.0), (270.0, 260.0), (90.0, 280.0)];
        let t = Transform::quad_to_quad(from, to).unwrap();
        for (f, e) in from.iter().zip(&to) {
            let (x, y) = t.map(f.0, f.1);
            assert!(
                (x - e.0).abs() < 1e-9 && (y - e.1).abs() < 1e-9,
                "{f:?} -> ({x}, {y})"
            );
        }
    }
}
