//! Fitting a code's perspective to the modules every code of its size has (the finder
//! patterns with their separators, the timing patterns, the alignment patterns), for a grid
//! that was sampled from the finder patterns' centres and did not decode: on a sheet seen at a
//! steep tilt, or turned and spread with ink, those centres and the fourth corner guessed from
//! them are off: the centres by a fraction of a module, which is enough to misread the far
//! side of the code, the fourth corner by modules under a steep tilt. The fourth corner is
//! first tried whole modules around its guess, then the four points that define the
//! perspective are moved, a fraction of a module at a time, while more of those modules read
//! as they must. (quirc's and `rqrr`'s
//! `jiggle_perspective` do the same from the finder patterns' corners; written anew here over
//! our thresholded frame.)

use super::finder::{Bits, floor_to_isize};
use super::locate::{
    Corners, Transform, alignment_centres, find_alignment, fitted_module_points, read_grid,
};

/// A point of a module whose colour every code of the size has, in module coordinates, and
/// whether it is dark.
struct Fixed {
    u: f64,
    v: f64,
    dark: bool,
}

/// Where each fixed module is read: at its centre and near its four corners. A centre
/// alone reads right anywhere within half a module, so a fit on centres has nothing to
/// choose between perspectives that misplace the modules far from the fixed ones by most of
/// a module.
const WITHIN: [(f64, f64); 5] = [(0.5, 0.5), (0.2, 0.2), (0.8, 0.2), (0.2, 0.8), (0.8, 0.8)];

/// The points `within` each fixed module of a code of `size` modules.
fn fixed_modules(size: usize, within: &[(f64, f64)]) -> Vec<Fixed> {
    let n = size as isize;
    let mut out = Vec::new();
    let mut push = |x: isize, y: isize, dark: bool| {
        if (0..n).contains(&x) && (0..n).contains(&y) {
            for &(du, dv) in within {
                out.push(Fixed {
                    u: x as f64 + du,
                    v: y as f64 + dv,
                    dark,
                });
            }
        }
    };
    // Finder patterns and their light separators: rings around the centre module. The
    // centre's 3 × 3 dark modules are left out: the fit starts from the finder patterns'
    // centres, so they read right whatever the rest of the perspective.
    for (ox, oy) in [(0, 0), (n - 7, 0), (0, n - 7)] {
        for dy in -1..8isize {
            for dx in -1..8isize {
                let ring = (dx - 3).abs().max((dy - 3).abs());
                if ring >= 2 {
                    push(ox + dx, oy + dy, ring == 3);
                }
            }
        }
    }
    // Timing patterns between the separators: dark on even modules.
    for i in 8..n - 8 {
        push(i, 6, i % 2 == 0);
        push(6, i, i % 2 == 0);
    }
    // Alignment patterns: a dark centre, a light ring, a dark ring.
    let centres = alignment_centres(size);
    let last = centres.len().saturating_sub(1);
    for (j, &cy) in centres.iter().enumerate() {
        for (i, &cx) in centres.iter().enumerate() {
            // The three places next to finder patterns have none.
            if (i, j) == (0, 0) || (i, j) == (last, 0) || (i, j) == (0, last) {
                continue;
            }
            for dy in -2..=2isize {
                for dx in -2..=2isize {
                    push(
                        cx as isize + dx,
                        cy as isize + dy,
                        dx.abs().max(dy.abs()) != 1,
                    );
                }
            }
        }
    }
    out
}

/// How many modules each way the fourth point is tried before the fine moves.
const FOURTH_REACH: usize = 5;

/// Most rounds of moves at one step size: each round tries every point in every direction.
const MAX_ROUNDS: usize = 4;

/// The transform taking module points `from` to frame points near `to`: the fourth point
/// tried up to [`FOURTH_REACH`] whole modules each way, then all four moved while fewer of
/// the code's fixed modules read wrong (steps from half a module down to an eighth). `None`
/// when the points make no transform, or when after the fourth point's search two fifths or
/// more of the fixed modules' points read wrong.
pub(crate) fn refine(
    bits: Bits,
    size: usize,
    from: [(f64, f64); 4],
    to: [(f64, f64); 4],
    module: f64,
) -> Option<Transform> {
    let centres = fixed_modules(size, &WITHIN[..1]);
    let fixed = fixed_modules(size, &WITHIN);
    // How many of `points` read wrong, or `None` once `limit` have: most moves are worse,
    // and are given up on early.
    let misses_of = |points: &[Fixed], to: &[(f64, f64); 4], limit: usize| -> Option<usize> {
        let t = Transform::quad_to_quad(from, *to)?;
        let mut misses = 0;
        for f in points {
            let (x, y) = t.map(f.u, f.v);
            if bits.dark(floor_to_isize(x), floor_to_isize(y)) != f.dark {
                misses += 1;
                if misses >= limit {
                    return None;
                }
            }
        }
        Some(misses)
    };
    let misses = |to: &[(f64, f64); 4], limit: usize| misses_of(&fixed, to, limit);
    // The fourth point is only a guess (where the finder patterns' sides meet, the
    // parallelogram's corner, or an alignment pattern found near either); it can be modules
    // off, and the moves below, a fraction of a module at a time, cannot get there. So it is
    // first tried whole modules around, judged on the modules' centres (enough at this scale,
    // and a fifth of the work).
    let mut best_to = to;
    let mut best_centres = misses_of(&centres, &to, usize::MAX)?;
    let reach = FOURTH_REACH as isize;
    for dy in -reach..=reach {
        for dx in -reach..=reach {
            let mut tried = to;
            tried[2].0 += dx as f64 * module;
            tried[2].1 += dy as f64 * module;
            if let Some(m) = misses_of(&centres, &tried, best_centres) {
                best_centres = m;
                best_to = tried;
            }
        }
    }
    let mut best = misses(&best_to, usize::MAX)?;
    // A grid that misreads this much of what every code has is not nearly in place: on the
    // bench's generated corpora, before the fourth point's search above was added, no fit
    // from there read a code (179 fits, three quarters of the fitting time), and from below
    // it half of them did.
    if best * 5 >= fixed.len() * 2 {
        return None;
    }
    let mut step = module / 2.0;
    for _ in 0..3 {
        for _ in 0..MAX_ROUNDS {
            let mut moved = false;
            for i in 0..4 {
                for (dx, dy) in [(step, 0.0), (-step, 0.0), (0.0, step), (0.0, -step)] {
                    if best == 0 {
                        break;
                    }
                    let mut tried = best_to;
                    tried[i].0 += dx;
                    tried[i].1 += dy;
                    if let Some(m) = misses(&tried, best) {
                        best = m;
                        best_to = tried;
                        moved = true;
                    }
                }
            }
            if !moved {
                break;
            }
        }
        step /= 2.0;
    }
    Transform::quad_to_quad(from, best_to)
}

/// The grid of the code with these corners and `size`, sampled along the perspective fitted
/// to the code's fixed modules ([`refine`]), starting from the finder patterns' centres and
/// the alignment pattern where one is found (else [`Corners::fourth_guess`]).
pub(crate) fn sample(bits: Bits, c: &Corners, size: usize) -> Option<rqrr::SimpleGrid> {
    let alignment = if size > 21 {
        find_alignment(bits, c, size, 4.0)
    } else {
        None
    };
    let fourth = alignment.unwrap_or_else(|| c.fourth_guess(bits, size));
    let transform = refine(
        bits,
        size,
        fitted_module_points(size),
        c.frame_points(fourth),
        c.module_for(size),
    )?;
    read_grid(bits, size, |u, v| transform.map(u, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qr::test_codes::version_3_seen_through;

    #[test]
    fn a_code_has_its_fixed_modules_where_the_standard_puts_them() {
        // Version 1: three finder patterns with separators (3 × 64 within the code, less
        // the centres' 3 × 3), timing 5 + 5, no alignment pattern.
        let v1 = fixed_modules(21, &WITHIN[..1]);
        assert_eq!(v1.len(), 3 * (64 - 9) + 2 * 5);
        assert_eq!(fixed_modules(21, &WITHIN).len(), 5 * v1.len());
        // Version 2: one alignment pattern of 25 modules at (18, 18), dark in the middle.
        let v2 = fixed_modules(25, &WITHIN[..1]);
        assert_eq!(v2.len(), 3 * (64 - 9) + 2 * 9 + 25);
        let at = |u: f64, v: f64| v2.iter().find(|f| f.u == u && f.v == v).map(|f| f.dark);
        assert_eq!(at(18.5, 18.5), Some(true));
        assert_eq!(at(17.5, 18.5), Some(false));
        assert_eq!(at(16.5, 18.5), Some(true));
        // A finder's light ring, dark ring and separator (its centre is not checked);
        // timing dark on even modules.
        assert_eq!(at(3.5, 3.5), None);
        assert_eq!(at(1.5, 3.5), Some(false));
        assert_eq!(at(0.5, 3.5), Some(true));
        assert_eq!(at(7.5, 3.5), Some(false));
        assert_eq!(at(8.5, 6.5), Some(true));
        assert_eq!(at(9.5, 6.5), Some(false));
    }

    #[test]
    fn a_perspective_off_by_modules_at_its_fourth_corner_is_fitted_back() {
        // A version-3 code (29 modules) drawn upright at 5 px a module from (20, 20); the
        // guess puts the fourth corner 2.6 and 2.2 modules off (as a parallelogram's corner
        // is under a steep tilt) and the others 0.3 off, and the fit brings every module
        // centre back within a quarter of a module.
        let (m, origin) = (5.0, 20.0);
        let side = (2.0 * origin + 29.0 * m) as usize;
        let (px, n) = version_3_seen_through(|x, y| ((x - origin) / m, (y - origin) / m), side);
        let bits = Bits {
            w: side,
            h: side,
            px: &px,
        };
        let nf = n as f64;
        let from = [
            (3.5, 3.5),
            (nf - 3.5, 3.5),
            (nf - 3.5, nf - 3.5),
            (3.5, nf - 3.5),
        ];
        let truth = |(u, v): (f64, f64)| (origin + u * m, origin + v * m);
        let off = [(0.3, -0.3), (-0.3, 0.3), (2.6, -2.2), (0.3, 0.3)];
        let mut guess = from.map(truth);
        for (g, (dx, dy)) in guess.iter_mut().zip(off) {
            g.0 += dx * m;
            g.1 += dy * m;
        }
        let worst = |t: &Transform| {
            (0..n * n)
                .map(|i| {
                    let (u, v) = ((i % n) as f64 + 0.5, (i / n) as f64 + 0.5);
                    let (x, y) = t.map(u, v);
                    let (tx, ty) = truth((u, v));
                    ((x - tx).powi(2) + (y - ty).powi(2)).sqrt() / m
                })
                .fold(0.0, f64::max)
        };
        let before = worst(&Transform::quad_to_quad(from, guess).unwrap());
        assert!(before > 2.0, "the guess misplaces modules: {before}");
        let r = refine(bits, n, from, guess, m).unwrap();
        let after = worst(&r);
        assert!(after < 0.25, "fitted: {after} modules off at worst");
    }
}
