//! Finding a QR code's finder patterns (the three 7 × 7 squares in its corners) in a
//! thresholded frame, the way zxing's detectors do it (learnt from zxing-cpp's and zxing's
//! `FinderPatternFinder`; written anew here).
//!
//! A finder pattern crossed through its centre in any direction reads dark, light, dark,
//! light, dark in widths 1 : 1 : 3 : 1 : 1. Rows are scanned for that; each hit is checked
//! across, down its column through the middle of the centre run, then along its new row
//! again (which centres it), then along both diagonals. Only a pattern that reads 1:1:3:1:1
//! in all four directions, of about the same size, is kept: a stripe, a letter or a box of
//! clutter reads so in one direction, rarely in four. Hits on neighbouring rows are merged
//! into one pattern, counted, so that a pattern seen on many rows ranks first.

/// A thresholded frame: `px[y * w + x]` is 1 for dark.
#[derive(Clone, Copy)]
pub(crate) struct Bits<'a> {
    pub w: usize,
    pub h: usize,
    pub px: &'a [u8],
}

impl Bits<'_> {
    /// Whether (x, y) is dark; outside the frame is light (the quiet zone's colour).
    pub fn dark(&self, x: isize, y: isize) -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < self.w
            && (y as usize) < self.h
            && self.px[y as usize * self.w + x as usize] == 1
    }
}

/// `v.floor() as isize` without the libm call `floor` compiles to on x86-64 before SSE4.1
/// (the default target), where sampling a grid called it for every module: the conversion
/// truncates toward zero, so a negative fraction takes one more step down. The same answer
/// for every `v`, NaN (0) and out-of-range values (saturated) included.
pub(crate) fn floor_to_isize(v: f64) -> isize {
    let t = v as isize;
    // Saturating: below `isize::MIN` the conversion already gave the floor.
    t.saturating_sub(isize::from((t as f64) > v))
}

/// A finder pattern's centre and module size, in pixels, and on how many scan rows it was
/// confirmed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Finder {
    pub x: f64,
    pub y: f64,
    pub module: f64,
    pub hits: u32,
}

/// Whether five run widths (dark, light, dark, light, dark) read 1 : 1 : 3 : 1 : 1: each
/// one-module run within half a module of the mean module, the centre within 1.5 modules of
/// three (zxing's tolerances), times `slack_halves / 2` (diagonals cross pixels at √2
/// spacing and get 3). In integers: this runs for every five runs of every row.
pub(crate) fn is_finder_ratio(runs: [usize; 5], slack_halves: usize) -> bool {
    let total: usize = runs.iter().sum();
    if total < 7 {
        return false;
    }
    // With module = total / 7: |run − module| < module / 2 · slack_halves / 2, times 28.
    let near = |run: usize, modules: usize| {
        (7 * run).abs_diff(modules * total) * 4 < modules * total * slack_halves
    };
    let widths_fit = near(runs[0], 1)
        && near(runs[1], 1)
        && near(runs[2], 3)
        && near(runs[3], 1)
        && near(runs[4], 1);
    widths_fit || edges_fit(runs, slack_halves)
}

/// A necessary condition of `is_finder_ratio(runs, 2)` that most windows of a row fail,
/// in one branch that is rarely taken: the centre run is wide against the others. From the
/// widths, 7 · centre > 1.5 · total; from the edges, the two outer pairs are less than
/// 2 · 11/8 of 12 modules each, so the inner pairs are more than the rest.
fn may_be_finder_ratio(runs: [usize; 5]) -> bool {
    let [a, b, c, d, e] = runs;
    let widths = 11 * c > 3 * (a + b + d + e);
    let edges = 22 * c > 13 * (a + e) + 2 * (b + d);
    widths | edges
}

/// Whether the distances from each edge to the next edge of the same kind (dark-to-light
/// edges, light-to-dark edges) read 2 : 4 : 4 : 2 modules. Ink that spreads (or a threshold
/// a little off) widens every dark run and narrows every light one by the same amount, so
/// the widths fail 1 : 1 : 3 : 1 : 1 while these distances keep it (the way 1-D barcode
/// readers measure bars). Each pair within 3/8 of its length, times `slack_halves / 2`.
fn edges_fit(runs: [usize; 5], slack_halves: usize) -> bool {
    if runs.contains(&0) {
        return false;
    }
    let pairs = [
        runs[0] + runs[1],
        runs[1] + runs[2],
        runs[2] + runs[3],
        runs[3] + runs[4],
    ];
    // 12 modules in all; a pair of `modules` modules is within 3/8 of them: in integers,
    // |12 · pair − modules · sum| · 16 < 3 · modules · sum · slack_halves.
    let sum: usize = pairs.iter().sum();
    let near = |pair: usize, modules: usize| {
        (12 * pair).abs_diff(modules * sum) * 16 < 3 * modules * sum * slack_halves
    };
    near(pairs[0], 2) && near(pairs[1], 4) && near(pairs[2], 4) && near(pairs[3], 2)
}

/// The run widths through (x, y) along (dx, dy), outward both ways from the dark centre run:
/// `[outer dark, light, centre dark, light, outer dark]` and the centre run's middle as an
/// offset from (x, y) in steps; `None` when (x, y) is light, or a run is longer than `max`.
fn runs_through(
    bits: Bits,
    x: isize,
    y: isize,
    dx: isize,
    dy: isize,
    max: usize,
) -> Option<([usize; 5], f64)> {
    if !bits.dark(x, y) {
        return None;
    }
    // Walks from (x, y) in direction `s` (±1), counting the rest of the centre run, then a
    // light run, then a dark run. This runs for every row hit, so the pixels are read by
    // index within the number of steps that stay inside the frame (outside is light).
    let walk = |s: isize| -> Option<[usize; 3]> {
        let (sx, sy) = (dx * s, dy * s);
        let inside = steps_inside(x, bits.w, sx).min(steps_inside(y, bits.h, sy));
        // The pixel index moves by `stride` a step; (x, y) is inside, so `at` stays a valid
        // index for the first `inside` steps.
        let stride = sy * bits.w as isize + sx;
        let mut at = y * bits.w as isize + x;
        let mut taken = 0;
        let mut counts = [0usize; 3];
        for (k, want_dark) in [true, false, true].into_iter().enumerate() {
            loop {
                let dark = taken < inside && bits.px[(at + stride) as usize] == 1;
                if dark != want_dark {
                    break;
                }
                counts[k] += 1;
                if counts[k] > max {
                    // The outer dark run may run on into other dark modules: cap, not fail.
                    if k == 2 {
                        return Some(counts);
                    }
                    return None;
                }
                taken += 1;
                at += stride;
            }
            if counts[k] == 0 && k > 0 {
                return None;
            }
        }
        Some(counts)
    };
    let back = walk(-1)?;
    let ahead = walk(1)?;
    let centre = back[0] + 1 + ahead[0];
    let runs = [back[2], back[1], centre, ahead[1], ahead[2]];
    // Middle of the centre run, relative to (x, y).
    let middle = (ahead[0] as f64 - back[0] as f64) / 2.0;
    Some((runs, middle))
}

/// How many steps of `d` (−1, 0 or 1) from `v`, inside `0..len`, stay inside.
fn steps_inside(v: isize, len: usize, d: isize) -> usize {
    match d.signum() {
        0 => usize::MAX,
        1 => len - 1 - v as usize,
        _ => v as usize,
    }
}

/// Checks a pattern found on a row at (x, y) with row widths `row` in the other directions;
/// gives the refined centre and module size.
fn cross_check(bits: Bits, x: f64, y: f64, row: [usize; 5]) -> Option<Finder> {
    let total: usize = row.iter().sum();
    let max = total; // no single run of a real pattern is as wide as the whole pattern
    let near_total = |t: usize| (t as f64 - total as f64).abs() < 0.5 * total as f64 + 2.0;
    // Down the column through the middle of the centre run.
    let (cx, cy) = (x.round() as isize, y.round() as isize);
    let (col, mid) = runs_through(bits, cx, cy, 0, 1, max)?;
    let col_total: usize = col.iter().sum();
    if !is_finder_ratio(col, 2) || !near_total(col_total) {
        return None;
    }
    let y = cy as f64 + mid;
    // Along the row again, through the column's middle: centres x.
    let (row2, mid) = runs_through(bits, cx, y.round() as isize, 1, 0, max)?;
    let row_total: usize = row2.iter().sum();
    if !is_finder_ratio(row2, 2) || !near_total(row_total) {
        return None;
    }
    let x = cx as f64 + mid;
    // Both diagonals: a diagonal step is √2 pixels, so widths are shorter by that factor.
    let (ix, iy) = (x.round() as isize, y.round() as isize);
    for dx in [1, -1] {
        let (diag, _) = runs_through(bits, ix, iy, dx, 1, max)?;
        let diag_total = diag.iter().sum::<usize>() as f64 * std::f64::consts::SQRT_2;
        if !is_finder_ratio(diag, 3) || (diag_total - total as f64).abs() > 0.6 * total as f64 + 3.0
        {
            return None;
        }
    }
    Some(Finder {
        x: x + 0.5,
        y: y + 0.5,
        module: (row_total + col_total) as f64 / 14.0,
        hits: 1,
    })
}

/// Every finder pattern in `bits`, scanning every `step`-th row, most often seen first.
pub(crate) fn find_finders(bits: Bits, step: usize) -> Vec<Finder> {
    let mut found: Vec<Finder> = Vec::new();
    let mut runs: Vec<(usize, usize)> = Vec::new(); // (start, width) of alternating runs
    for y in (0..bits.h).step_by(step.max(1)) {
        let row = &bits.px[y * bits.w..(y + 1) * bits.w];
        row_runs(row, &mut runs);
        let first_dark = usize::from(row[0] != 1);
        for i in (first_dark..runs.len().saturating_sub(4)).step_by(2) {
            let widths = [
                runs[i].1,
                runs[i + 1].1,
                runs[i + 2].1,
                runs[i + 3].1,
                runs[i + 4].1,
            ];
            if !may_be_finder_ratio(widths) || !is_finder_ratio(widths, 2) {
                continue;
            }
            let (start, width) = runs[i + 2];
            let x = start as f64 + (width as f64 - 1.0) / 2.0;
            if let Some(f) = cross_check(bits, x, y as f64, widths) {
                merge(&mut found, f);
            }
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.hits));
    found
}

/// The runs of equal pixels along `row`, as (start, width), left to right, into `runs`.
///
/// This is most of the finder search's time: it visits every pixel of the frame. A pixel
/// starts a run where it differs from the one before it, so the row is compared with itself
/// shifted by one pixel, eight pixels at a time, and only the places that differ are visited
/// (a per-pixel comparison branches unpredictably on a noisy row).
fn row_runs(row: &[u8], runs: &mut Vec<(usize, usize)>) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    runs.clear();
    if row.is_empty() {
        return;
    }
    let mut start = 0;
    let mut x = 1;
    while x + 8 <= row.len() {
        let word = |at: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&row[at..at + 8]);
            u64::from_le_bytes(bytes)
        };
        let diff = word(x) ^ word(x - 1);
        // The high bit of each byte of `diff` that is not zero.
        let mut differs = (((diff & LOW7) + LOW7) | diff) & HIGH;
        while differs != 0 {
            let at = x + (differs.trailing_zeros() / 8) as usize;
            runs.push((start, at - start));
            start = at;
            differs &= differs - 1;
        }
        x += 8;
    }
    for at in x..row.len() {
        if row[at] != row[at - 1] {
            runs.push((start, at - start));
            start = at;
        }
    }
    runs.push((start, row.len() - start));
}

/// Adds `f` to the pattern it repeats (within a module of its centre, of a similar size),
/// averaging the centre and size, or as a new one.
fn merge(found: &mut Vec<Finder>, f: Finder) {
    for g in found.iter_mut() {
        let close =
            (g.x - f.x).abs() <= g.module.max(1.0) && (g.y - f.y).abs() <= g.module.max(1.0) * 1.5;
        let similar = (g.module - f.module).abs() <= g.module.max(f.module) * 0.5 + 0.5;
        if close && similar {
            let n = f64::from(g.hits);
            g.x = (g.x * n + f.x) / (n + 1.0);
            g.y = (g.y * n + f.y) / (n + 1.0);
            g.module = (g.module * n + f.module) / (n + 1.0);
            g.hits += 1;
            return;
        }
    }
    found.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qr::test_codes::xorshift;

    /// A light frame with a finder pattern of `m`-pixel modules whose top-left is (x0, y0).
    fn frame_with_finder(w: usize, h: usize, x0: usize, y0: usize, m: usize) -> Vec<u8> {
        let mut px = vec![0u8; w * h];
        for y in 0..7 * m {
            for x in 0..7 * m {
                let (mx, my) = ((x / m) as isize, (y / m) as isize);
                let ring = (mx - 3).abs().max((my - 3).abs());
                if ring != 2 {
                    px[(y0 + y) * w + x0 + x] = 1;
                }
            }
        }
        px
    }

    #[test]
    fn runs_through_counts_as_a_walk_that_asks_each_pixel_whether_it_is_dark() {
        // The runs of every pixel of small random frames in every direction the cross-checks
        // use, with caps from 1 up, against walks through `Bits::dark` (outside is light).
        let oracle = |bits: Bits, x: isize, y: isize, dx: isize, dy: isize, max: usize| {
            let walk = |s: isize| {
                let (mut counts, mut i) = ([0usize; 3], s);
                for (k, want) in [true, false, true].into_iter().enumerate() {
                    while bits.dark(x + i * dx, y + i * dy) == want {
                        counts[k] += 1;
                        if counts[k] > max {
                            return (k == 2).then_some(counts);
                        }
                        i += s;
                    }
                    if counts[k] == 0 && k > 0 {
                        return None;
                    }
                }
                Some(counts)
            };
            if !bits.dark(x, y) {
                return None;
            }
            let (back, ahead) = (walk(-1)?, walk(1)?);
            let runs = [back[2], back[1], back[0] + 1 + ahead[0], ahead[1], ahead[2]];
            Some((runs, (ahead[0] as f64 - back[0] as f64) / 2.0))
        };
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
        let mut found = 0;
        for (w, h) in [(1, 1), (1, 9), (9, 1), (7, 5), (13, 11)] {
            for _ in 0..40 {
                let px: Vec<u8> = (0..w * h).map(|_| u8::from(next() % 5 < 3)).collect();
                let bits = Bits { w, h, px: &px };
                for (x, y) in (0..h as isize).flat_map(|y| (0..w as isize).map(move |x| (x, y))) {
                    for (dx, dy) in [(1, 0), (0, 1), (1, 1), (-1, 1)] {
                        for max in [1, 2, 3, 5, 20] {
                            let want = oracle(bits, x, y, dx, dy, max);
                            found += usize::from(want.is_some());
                            assert_eq!(runs_through(bits, x, y, dx, dy, max), want);
                        }
                    }
                }
            }
        }
        // The frames are busy enough that many walks find all five runs.
        assert!(found > 1000, "{found}");
    }

    #[test]
    fn the_quick_ratio_check_never_refuses_what_the_full_one_takes() {
        // Every window of runs 1..=12 pixels wide (and some wide centres): whenever the
        // row's ratio check takes one, the quick check does too; and it refuses a third.
        let (mut taken, mut refused) = (0, 0);
        for i in 0..12usize.pow(5) {
            let mut runs = [0; 5];
            let mut rest = i;
            for r in &mut runs {
                *r = 1 + rest % 12;
                rest /= 12;
            }
            for centre in [runs[2], runs[2] * 3] {
                let runs = [runs[0], runs[1], centre, runs[3], runs[4]];
                if is_finder_ratio(runs, 2) {
                    assert!(may_be_finder_ratio(runs), "{runs:?}");
                    taken += 1;
                }
                refused += usize::from(!may_be_finder_ratio(runs));
            }
        }
        assert!(taken > 1000, "{taken}");
        assert!(refused * 3 > 2 * 12usize.pow(5), "{refused}");
    }

    #[test]
    fn row_runs_are_the_runs_of_equal_pixels() {
        // Every row length around the eight-pixel words, with runs of every width from 1 and
        // values other than 0 and 1, against a pixel-by-pixel count.
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        let mut runs = Vec::new();
        for len in 0..70 {
            for _ in 0..50 {
                let mut row = Vec::new();
                while row.len() < len {
                    let value = [0u8, 1, 1, 0, 255, 128][(next() % 6) as usize];
                    let width = 1 + (next() % 12) as usize;
                    row.extend(std::iter::repeat_n(value, width.min(len - row.len())));
                }
                let mut expected: Vec<(usize, usize)> = Vec::new();
                for (x, &p) in row.iter().enumerate() {
                    match expected.last_mut() {
                        Some((start, width)) if row[*start] == p => *width += 1,
                        _ => expected.push((x, 1)),
                    }
                }
                row_runs(&row, &mut runs);
                assert_eq!(runs, expected, "{row:?}");
            }
        }
    }

    #[test]
    fn floor_to_isize_is_floor() {
        for v in [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.999,
            -2.999,
            1e-300,
            -1e-300,
            1e30,
            -1e30,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(floor_to_isize(v), v.floor() as isize, "{v}");
        }
    }

    #[test]
    fn the_ratio_check_takes_one_one_three_one_one_and_refuses_others() {
        assert!(is_finder_ratio([3, 3, 9, 3, 3], 2));
        assert!(is_finder_ratio([2, 4, 8, 3, 3], 2)); // a blurred edge or two
        assert!(!is_finder_ratio([3, 3, 3, 3, 3], 2)); // even stripes
        assert!(!is_finder_ratio([2, 2, 20, 2, 2], 2)); // a thick bar
        assert!(!is_finder_ratio([1, 1, 3, 1, 0], 2));
        assert!(!is_finder_ratio([6, 3, 9, 3, 3], 2)); // one side twice as wide
    }

    #[test]
    fn spread_ink_reads_by_its_edges() {
        // Modules of 4 pixels, every dark run 2 pixels wider, every light run 2 narrower:
        // 6, 2, 14, 2, 6. The widths fail 1:1:3:1:1 (a light run is half a module), the
        // edge-to-edge distances (8, 16, 16, 8) do not.
        let spread = [6, 2, 14, 2, 6];
        assert!(!(0..5).all(|i| {
            let m = spread.iter().sum::<usize>() as f64 / 7.0;
            let want = if i == 2 { 3.0 } else { 1.0 };
            (spread[i] as f64 - want * m).abs() < want * m / 2.0
        }));
        assert!(is_finder_ratio(spread, 2));
        // Even stripes and a thick bar fail by their edges too.
        assert!(!edges_fit([3, 3, 3, 3, 3], 2));
        assert!(!edges_fit([2, 2, 20, 2, 2], 2));
        assert!(!edges_fit([3, 9, 3, 9, 3], 2));
    }

    #[test]
    fn a_finder_pattern_is_found_at_its_centre_with_its_module_size() {
        let (w, h) = (120, 90);
        let px = frame_with_finder(w, h, 30, 20, 4);
        let found = find_finders(Bits { w, h, px: &px }, 1);
        assert_eq!(found.len(), 1, "{found:?}");
        let f = found[0];
        // Centre of a 28-pixel square starting at (30, 20): (44, 34).
        assert!(
            (f.x - 44.0).abs() < 0.6 && (f.y - 34.0).abs() < 0.6,
            "{f:?}"
        );
        assert!((f.module - 4.0).abs() < 0.3, "{f:?}");
        // Seen on every row through its centre run (12 rows).
        assert!(f.hits >= 10, "{f:?}");
    }

    #[test]
    fn a_pattern_that_reads_right_along_rows_only_is_refused() {
        // Vertical bars 1:1:3:1:1 wide and tall: every row reads like a finder pattern, no
        // column does.
        let (w, h) = (100, 60);
        let mut px = vec![0u8; w * h];
        for y in 10..50 {
            for (x0, width) in [(20, 4), (28, 12), (44, 4)] {
                for x in x0..x0 + width {
                    px[y * w + x] = 1;
                }
            }
        }
        assert!(find_finders(Bits { w, h, px: &px }, 1).is_empty());
    }

    #[test]
    fn a_pattern_that_reads_right_across_but_not_diagonally_is_refused() {
        // A finder pattern cut down to a plus sign (only its middle three rows and columns
        // kept): every row and column through the centre reads 1:1:3:1:1, the diagonals
        // leave the centre into light that never ends.
        let (w, h) = (100, 100);
        let mut px = frame_with_finder(w, h, 22, 22, 4);
        let whole = find_finders(Bits { w, h, px: &px }, 1);
        assert_eq!(whole.len(), 1, "the uncut pattern is found: {whole:?}");
        for y in 0..h {
            for x in 0..w {
                if !(30..42).contains(&x) && !(30..42).contains(&y) {
                    px[y * w + x] = 0;
                }
            }
        }
        let found = find_finders(Bits { w, h, px: &px }, 1);
        assert!(found.is_empty(), "{found:?}");
    }
}
