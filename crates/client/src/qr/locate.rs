//! From three finder patterns to a grid of modules for `rqrr` to decode (the path zxing's QR
//! `Detector` takes; learnt from its source, written anew here).
//!
//! Three patterns of about one size whose centres form a right isosceles triangle (allowing
//! for perspective) are a code's top-left, top-right and bottom-left corners. The distances
//! between them in modules give the code's size (4k + 17 modules). For version 2 and up, the
//! alignment pattern (a 5 × 5 ring near the bottom-right corner) is searched where the three
//! corners put it, and makes the fourth point of a perspective transform; without it the code
//! is taken as a parallelogram. Each module is then read at its mapped centre, and the grid
//! goes to `rqrr`'s decoder (format, error correction, data).

use super::finder::{Bits, Finder};

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

    pub fn map(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        (
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        )
    }
}

/// Three finder patterns named by their corner.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Corners {
    pub top_left: Finder,
    pub top_right: Finder,
    pub bottom_left: Finder,
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

/// Width of a finder pattern crossed through its centre along (dx, dy) (a unit vector), in
/// pixels: from the outer edge of its dark ring on one side to the other, which is 7 modules
/// in any direction (zxing's `sizeOfBlackWhiteBlackRun`). `None` when the walk does not read
/// dark, light, dark on both sides within `max` pixels.
fn width_along(bits: Bits, f: &Finder, dx: f64, dy: f64, max: f64) -> Option<f64> {
    let mut total = 0.0;
    for s in [1.0, -1.0] {
        let mut seen = 0; // 0: centre dark, 1: light ring, 2: dark ring
        let mut t = 0.0;
        loop {
            t += 0.5;
            if t > max {
                return None;
            }
            let dark = bits.dark(
                (f.x + s * t * dx).floor() as isize,
                (f.y + s * t * dy).floor() as isize,
            );
            match (seen, dark) {
                (0, false) | (1, true) => seen += 1,
                (2, false) => break,
                _ => {}
            }
        }
        total += t;
    }
    Some(total)
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
    match width_along(bits, from, dx, dy, max) {
        Some(w) if (w / 7.0 - from.module).abs() < from.module * 0.6 => w / 7.0,
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

/// Where an alignment pattern's centre is, given the corners and the size: searched in the
/// thresholded frame around where a parallelogram would put it, within `reach` modules.
fn find_alignment(bits: Bits, c: &Corners, size: usize, reach: f64) -> Option<(f64, f64)> {
    let (tl, tr, bl) = (&c.top_left, &c.top_right, &c.bottom_left);
    let span = size as f64 - 7.0; // modules between finder centres
    let along = (span - 3.0) / span; // the pattern's centre is 3 modules in from the corner
    let (bx, by) = (tr.x + bl.x - tl.x, tr.y + bl.y - tl.y);
    let (ex, ey) = (tl.x + along * (bx - tl.x), tl.y + along * (by - tl.y));
    let module = (tl.module + tr.module + bl.module) / 3.0;
    let radius = (reach * module).ceil() as isize;
    let (cx, cy) = (ex.round() as isize, ey.round() as isize);
    let mut best: Option<(f64, f64, f64)> = None;
    for y in cy - radius..=cy + radius {
        for x in cx - radius..=cx + radius {
            if let Some((px, py)) = alignment_at(bits, x, y, module) {
                let d = (px - ex).powi(2) + (py - ey).powi(2);
                if best.is_none_or(|b| d < b.2) {
                    best = Some((px, py, d));
                }
            }
        }
    }
    best.map(|(x, y, _)| (x, y))
}

/// Whether (x, y) is the dark centre of an alignment pattern of `module` pixels: across and
/// down, light, dark, light runs of one module each (within half a module), and dark beyond
/// the light ring. Gives the centre.
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
        let (light_back, _) = run(-1, false, i_back);
        let (light_ahead, _) = run(1, false, i_ahead);
        if !ok(light_back) || !ok(light_ahead) {
            return None;
        }
        centre[axis] = (ahead as f64 - back as f64) / 2.0 + 0.5;
    }
    Some((x as f64 + centre[0], y as f64 + centre[1]))
}

/// The module grid of the code with these corners and `size`, read from the thresholded
/// frame, as `rqrr` takes it; `align` allows the alignment pattern to fix perspective.
pub(crate) fn sample(
    bits: Bits,
    c: &Corners,
    size: usize,
    align: bool,
) -> Option<rqrr::SimpleGrid> {
    let n = size as f64;
    let (tl, tr, bl) = (&c.top_left, &c.top_right, &c.bottom_left);
    let alignment = if align && size > 21 {
        find_alignment(bits, c, size, 4.0).or_else(|| find_alignment(bits, c, size, 9.0))
    } else {
        None
    };
    let transform = match alignment {
        Some((ax, ay)) => Transform::quad_to_quad(
            [
                (3.5, 3.5),
                (n - 3.5, 3.5),
                (n - 6.5, n - 6.5),
                (3.5, n - 3.5),
            ],
            [(tl.x, tl.y), (tr.x, tr.y), (ax, ay), (bl.x, bl.y)],
        )?,
        None => Transform::quad_to_quad(
            [
                (3.5, 3.5),
                (n - 3.5, 3.5),
                (n - 3.5, n - 3.5),
                (3.5, n - 3.5),
            ],
            [
                (tl.x, tl.y),
                (tr.x, tr.y),
                (tr.x + bl.x - tl.x, tr.y + bl.y - tl.y),
                (bl.x, bl.y),
            ],
        )?,
    };
    let mut cells = vec![false; size * size];
    for my in 0..size {
        for mx in 0..size {
            let (x, y) = transform.map(mx as f64 + 0.5, my as f64 + 0.5);
            if !x.is_finite() || !y.is_finite() {
                return None;
            }
            cells[my * size + mx] = bits.dark(x.floor() as isize, y.floor() as isize);
        }
    }
    Some(rqrr::SimpleGrid::from_func(size, |x, y| {
        cells[y * size + x]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
