//! Block thresholds: the grey frame to dark and light, the way zxing-cpp's `HybridBinarizer`
//! does it (read in its source, `core/src/HybridBinarizer.cpp`; written anew here).
//!
//! The frame is cut into 8 × 8 blocks. A block whose grey levels span more than
//! [`MIN_DYNAMIC_RANGE`] holds an edge, and its threshold is the middle of its darkest and
//! lightest pixel; a flatter block has no threshold of its own (its middle would cut sensor
//! noise into specks). Each block's threshold is then the mean over the 5 × 5 blocks around
//! it of those that have one (its own counted twice), and a block with none near it takes the
//! last threshold before it in reading order. A pixel is dark when it is at most its block's
//! threshold.
//!
//! Against a running mean over a window (`Plane::threshold_local_mean`), the middle of the
//! extremes does not move when a block holds more dark than light (a finder pattern's centre,
//! a dense patch of modules), and uneven light only has to be even over 40 pixels.

use super::preprocess::Plane;

/// Side of a block, in pixels.
pub(crate) const BLOCK: usize = 8;

/// A block spanning this many grey levels or fewer is treated as flat.
pub(crate) const MIN_DYNAMIC_RANGE: u8 = 24;

/// Blocks on each side of a block averaged into its threshold (2: a 5 × 5 neighbourhood).
const REACH: usize = 2;

/// The frame as bytes, 1 dark and 0 light, or `None` when no block holds an edge (a frame
/// without any contrast holds no code) or the frame is smaller than one neighbourhood.
pub(crate) fn hybrid(plane: &Plane) -> Option<Vec<u8>> {
    let thresholds = block_thresholds(plane)?;
    let (w, h) = (plane.w, plane.h);
    let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
    let mut out = vec![0u8; w * h];
    // Each pixel's threshold along a row of blocks, so a whole row is compared at once (a
    // loop the compiler vectorises).
    let mut along = vec![0u8; w];
    for by in 0..bh {
        // The last block of a row or column is shifted back to lie inside the frame, so it
        // overlaps the one before (as zxing-cpp does); the later block wins the overlap.
        let y0 = (by * BLOCK).min(h - BLOCK);
        for bx in 0..bw {
            let x0 = (bx * BLOCK).min(w - BLOCK);
            along[x0..x0 + BLOCK].fill(thresholds[by * bw + bx]);
        }
        for y in y0..y0 + BLOCK {
            let row = y * w..(y + 1) * w;
            for ((o, &p), &t) in out[row.clone()].iter_mut().zip(&plane.px[row]).zip(&along) {
                *o = u8::from(p <= t);
            }
        }
    }
    Some(out)
}

/// Each block's darkest and lightest pixel, row-major as [`block_thresholds`]; the last
/// block of a row or column shifted back inside the frame (see `hybrid`). The frame is at
/// least one block on each side.
fn block_extremes(plane: &Plane) -> (Vec<u8>, Vec<u8>) {
    let (w, h) = (plane.w, plane.h);
    let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
    let (mut lo, mut hi) = (vec![0u8; bw * bh], vec![0u8; bw * bh]);
    // Each column's extremes over a row of blocks, then each block's over its columns: the
    // first is one pass over whole rows that the compiler vectorises, so the reduction
    // within a block runs once per block, not once per block and row (a third of the time).
    let (mut column_lo, mut column_hi) = (vec![0u8; w], vec![0u8; w]);
    for by in 0..bh {
        let y0 = (by * BLOCK).min(h - BLOCK);
        column_lo.copy_from_slice(&plane.px[y0 * w..(y0 + 1) * w]);
        column_hi.copy_from_slice(&column_lo);
        for y in y0 + 1..y0 + BLOCK {
            let row = &plane.px[y * w..(y + 1) * w];
            for ((l, g), &p) in column_lo.iter_mut().zip(&mut column_hi).zip(row) {
                *l = (*l).min(p);
                *g = (*g).max(p);
            }
        }
        let (lo, hi) = (
            &mut lo[by * bw..(by + 1) * bw],
            &mut hi[by * bw..(by + 1) * bw],
        );
        // Blocks that start at a multiple of 8 and end inside the row, then the last one
        // shifted back if the row does not end at a block's end.
        let whole = column_lo
            .chunks_exact(BLOCK)
            .zip(column_hi.chunks_exact(BLOCK));
        for ((l, g), (cl, ch)) in lo.iter_mut().zip(hi.iter_mut()).zip(whole) {
            *l = cl.iter().copied().fold(255, u8::min);
            *g = ch.iter().copied().fold(0, u8::max);
        }
        if w % BLOCK != 0 {
            lo[bw - 1] = column_lo[w - BLOCK..].iter().copied().fold(255, u8::min);
            hi[bw - 1] = column_hi[w - BLOCK..].iter().copied().fold(0, u8::max);
        }
    }
    (lo, hi)
}

/// One threshold per block, smoothed over its neighbourhood (see the module documentation);
/// row-major, `ceil(w / 8) × ceil(h / 8)`.
pub(crate) fn block_thresholds(plane: &Plane) -> Option<Vec<u8>> {
    let (w, h) = (plane.w, plane.h);
    let window = BLOCK * (2 * REACH + 1);
    if w < window || h < window {
        return None;
    }
    let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
    // 0 marks a block without an edge: a real threshold of 0 would make nothing dark anyway.
    let mut own = vec![0u8; bw * bh];
    let (lo, hi) = block_extremes(plane);
    for by in 0..bh {
        let (lo, hi) = (&lo[by * bw..(by + 1) * bw], &hi[by * bw..(by + 1) * bw]);
        for (bx, (&l, &g)) in lo.iter().zip(hi).enumerate() {
            if g - l > MIN_DYNAMIC_RANGE {
                own[by * bw + bx] = ((u16::from(g) + u16::from(l)) / 2) as u8;
            }
        }
    }
    if own.iter().all(|&t| t == 0) {
        return None;
    }
    // The 5 × 5 sums (and counts of blocks with a threshold) around each block, kept inside
    // the frame: blocks near the border average the neighbourhood that fits. First along
    // rows, for each centre column, then down the columns.
    let side = 2 * REACH + 1;
    let cw = bw - 2 * REACH;
    let mut across = vec![(0u32, 0u32); cw * bh];
    for by in 0..bh {
        let row = &own[by * bw..(by + 1) * bw];
        for (cx, window) in row.windows(side).enumerate() {
            across[by * cw + cx] = window.iter().fold((0, 0), |(s, n), &t| {
                (s + u32::from(t), n + u32::from(t > 0))
            });
        }
    }
    let mut smooth = vec![0u8; bw * bh];
    for by in 0..bh {
        let cy = by.clamp(REACH, bh - REACH - 1) - REACH;
        for bx in 0..bw {
            let cx = bx.clamp(REACH, bw - REACH - 1) - REACH;
            let centre = u32::from(own[by * bw + bx]);
            let (mut sum, mut n) = (centre * 2, if centre > 0 { 2 } else { 0 });
            for y in cy..cy + side {
                let (s, c) = across[y * cw + cx];
                sum += s;
                n += c;
            }
            smooth[by * bw + bx] = sum.checked_div(n).unwrap_or(0) as u8;
        }
    }
    // A block with no edge anywhere near takes the last threshold before it; the blocks
    // before the first threshold take that one.
    let first = smooth.iter().copied().find(|&t| t > 0).unwrap_or(0);
    let mut last = first;
    for t in &mut smooth {
        if *t == 0 {
            *t = last;
        } else {
            last = *t;
        }
    }
    Some(smooth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(w: usize, h: usize, f: impl Fn(usize, usize) -> u8) -> Plane {
        let px = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y));
        Plane::new(w, h, px.collect()).unwrap()
    }

    #[test]
    fn a_checkerboard_under_light_falling_to_a_third_is_read_cell_by_cell() {
        // Cells of 4 pixels; the light falls from 1.0 to 0.33 across the frame, so the light
        // cells on the right are darker than the dark cells on the left.
        let dark = |x: usize, y: usize| (x / 4 + y / 4) % 2 == 0;
        let p = plane(160, 80, |x, y| {
            let light = 1.0 - 0.67 * x as f64 / 159.0;
            ((if dark(x, y) { 60.0 } else { 230.0 }) * light) as u8
        });
        assert!(
            p.px[79] < p.px[4],
            "no global threshold separates the cells"
        );
        let bits = hybrid(&p).unwrap();
        for y in 0..80 {
            for x in 0..160 {
                assert_eq!(bits[y * 160 + x] == 1, dark(x, y), "pixel ({x}, {y})");
            }
        }
    }

    #[test]
    fn a_flat_noisy_area_beside_a_pattern_stays_light() {
        // Left: stripes with edges in every block. Right: paper, ±10 grey levels of noise,
        // flat to the binarizer. The middle of the noise's extremes would cut it in half; the
        // thresholds carried over from the stripes keep it light.
        let noise = |x: usize, y: usize| ((x * 7919 + y * 104_729) ^ (x * y * 31)) % 21;
        let p = plane(128, 64, |x, y| {
            if x < 48 {
                if (x / 3) % 2 == 0 { 30 } else { 220 }
            } else {
                (200 + noise(x, y)) as u8
            }
        });
        let bits = hybrid(&p).unwrap();
        for y in 0..64 {
            for x in 56..128 {
                assert_eq!(bits[y * 128 + x], 0, "speck at ({x}, {y})");
            }
            for x in 0..40 {
                assert_eq!(
                    bits[y * 128 + x] == 1,
                    (x / 3) % 2 == 0,
                    "stripe at ({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn the_threshold_is_the_middle_of_the_extremes_not_the_mean() {
        // A block mostly dark (a finder pattern's centre): the mean sits near the dark level
        // and would make part of the dark light; the middle of the extremes does not.
        let p = plane(
            40,
            40,
            |x, y| if x % 8 == 7 && y % 8 == 7 { 250 } else { 20 },
        );
        let t = block_thresholds(&p).unwrap();
        assert!(t.iter().all(|&t| t == 135), "{t:?}");
        let bits = hybrid(&p).unwrap();
        assert_eq!(bits.iter().filter(|&&b| b == 0).count(), 25);
    }

    #[test]
    fn each_block_s_extremes_are_its_pixels_darkest_and_lightest() {
        // Sizes that end on a block's end and that do not (the last block shifted back),
        // against each block's pixels taken one by one.
        for (w, h) in [(40, 40), (43, 41), (47, 8), (8, 23), (1280 / 3, 17)] {
            let p = plane(w, h, |x, y| ((x * 7919 + y * 104_729) ^ (x * y * 31)) as u8);
            let (lo, hi) = block_extremes(&p);
            let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
            for by in 0..bh {
                for bx in 0..bw {
                    let (x0, y0) = ((bx * BLOCK).min(w - BLOCK), (by * BLOCK).min(h - BLOCK));
                    let px = &p.px;
                    let pixels =
                        (y0..y0 + BLOCK).flat_map(|y| (x0..x0 + BLOCK).map(move |x| px[y * w + x]));
                    let (l, g) = pixels.fold((255, 0), |(l, g), v| (v.min(l), v.max(g)));
                    let at = by * bw + bx;
                    assert_eq!((lo[at], hi[at]), (l, g), "{w}x{h} block ({bx}, {by})");
                }
            }
        }
    }

    #[test]
    fn a_frame_without_contrast_or_too_small_has_no_thresholds() {
        assert!(hybrid(&plane(64, 64, |x, _| 100 + (x % 3) as u8)).is_none());
        assert!(hybrid(&plane(39, 64, |x, _| if x % 2 == 0 { 0 } else { 255 })).is_none());
    }

    #[test]
    fn a_block_is_smoothed_over_its_five_by_five_neighbourhood() {
        // 9 × 9 blocks; block (2, 2) has a threshold of 110 (10..=210), all others 130
        // (30..=230). A block's own threshold counts three times (twice, and once more as a
        // member of its neighbourhood), each neighbour's once: 27 in all.
        let p = plane(72, 72, |x, y| {
            let special = x / 8 == 2 && y / 8 == 2;
            let (lo, hi) = if special { (10, 210) } else { (30, 230) };
            if (x + y) % 2 == 0 { lo } else { hi }
        });
        let t = block_thresholds(&p).unwrap();
        assert_eq!(t[2 * 9 + 2], ((24 * 130 + 3 * 110) / 27) as u8);
        assert_eq!(t[4 * 9 + 4], ((26 * 130 + 110) / 27) as u8);
        // Out of reach: block (5, 5) and block (8, 8), whose neighbourhood is shifted inside.
        assert_eq!(t[5 * 9 + 5], 130);
        assert_eq!(t[8 * 9 + 8], 130);
        // A corner block averages the neighbourhood shifted inside the frame, (2, 2)'s, which
        // holds the special block once, plus its own twice.
        assert_eq!(t[0], ((26 * 130 + 110) / 27) as u8);
    }
}
