//! Image clean-up before QR detection: downscaling, blur, contrast stretch and local
//! thresholding, on a plain 8-bit grey plane.
//!
//! Everything here is integer arithmetic over one or two passes of the image, so that the
//! whole attempt ladder of [`super::decode`] stays within a live camera's frame budget.

/// An 8-bit grey image, row-major, one byte per pixel, `px.len() == w * h`.
#[derive(Clone, Debug)]
pub(crate) struct Plane {
    pub w: usize,
    pub h: usize,
    pub px: Vec<u8>,
}

impl Plane {
    /// Wraps a pixel buffer; `None` unless `px.len() == w * h` and the image is not empty.
    pub fn new(w: usize, h: usize, px: Vec<u8>) -> Option<Plane> {
        if w == 0 || h == 0 || w.checked_mul(h) != Some(px.len()) {
            return None;
        }
        Some(Plane { w, h, px })
    }

    /// Shrinks by an integer factor `k` (≥ 1), each output pixel the mean of a `k × k` block:
    /// the cheapest resampling that also averages sensor noise away.
    pub fn downscale(&self, k: usize) -> Plane {
        let k = k.max(1);
        if k == 1 {
            return self.clone();
        }
        if k == 2 && self.w >= 2 && self.h >= 2 {
            return self.halve();
        }
        let (w, h) = ((self.w / k).max(1), (self.h / k).max(1));
        let mut sums = vec![0u32; w];
        let mut px = Vec::with_capacity(w * h);
        let area = (k * k) as u32;
        for oy in 0..h {
            sums.fill(0);
            for y in oy * k..((oy + 1) * k).min(self.h) {
                let row = &self.px[y * self.w..(y + 1) * self.w];
                for (ox, sum) in sums.iter_mut().enumerate() {
                    let start = ox * k;
                    let end = (start + k).min(self.w);
                    *sum += row[start..end].iter().map(|&p| u32::from(p)).sum::<u32>();
                }
            }
            px.extend(sums.iter().map(|&s| (s / area) as u8));
        }
        Plane { w, h, px }
    }

    /// [`Plane::downscale`] by 2, the common case (the ladder's half-size frame), as a loop
    /// over pairs of rows that the compiler vectorises; the same means, rounded down.
    fn halve(&self) -> Plane {
        let (w, h) = (self.w / 2, self.h / 2);
        let mut px = vec![0u8; w * h];
        for (out, rows) in px.chunks_exact_mut(w).zip(self.px.chunks_exact(2 * self.w)) {
            let (top, bottom) = rows.split_at(self.w);
            for ((o, t), b) in out
                .iter_mut()
                .zip(top.chunks_exact(2))
                .zip(bottom.chunks_exact(2))
            {
                let sum = u16::from(t[0]) + u16::from(t[1]) + u16::from(b[0]) + u16::from(b[1]);
                *o = (sum / 4) as u8;
            }
        }
        Plane { w, h, px }
    }

    /// Resamples to `w × h` (bilinear, 8-bit fixed point): the retries at non-integer scales.
    ///
    /// Separable: each output row first blends its two source rows over the whole width (a
    /// loop the compiler vectorises), then picks and blends two columns of that per pixel.
    /// The sums are the same products as blending 2 × 2 pixels at once, so the result is too.
    pub fn resize(&self, w: usize, h: usize) -> Plane {
        let (w, h) = (w.max(1), h.max(1));
        let mut px = Vec::with_capacity(w * h);
        // Source coordinate of each output column, in 1/256 pixel.
        let xs: Vec<(usize, usize, u32)> = (0..w)
            .map(|x| {
                let sx = ((x * 2 + 1) * self.w * 256 / (w * 2)).saturating_sub(128);
                let x0 = (sx >> 8).min(self.w - 1);
                (x0, (x0 + 1).min(self.w - 1), (sx & 255) as u32)
            })
            .collect();
        // One source row pair blended vertically: ≤ 255 × 256, fits u16.
        let mut blended = vec![0u16; self.w];
        for y in 0..h {
            let sy = ((y * 2 + 1) * self.h * 256 / (h * 2)).saturating_sub(128);
            let (y0, fy) = ((sy >> 8).min(self.h - 1), (sy & 255) as u16);
            let y1 = (y0 + 1).min(self.h - 1);
            let r0 = &self.px[y0 * self.w..(y0 + 1) * self.w];
            let r1 = &self.px[y1 * self.w..(y1 + 1) * self.w];
            for ((b, &a), &c) in blended.iter_mut().zip(r0).zip(r1) {
                *b = u16::from(a) * (256 - fy) + u16::from(c) * fy;
            }
            let blend = |a: u16, b: u16, fx: u32| {
                ((u32::from(a) * (256 - fx) + u32::from(b) * fx) >> 16) as u8
            };
            if w * 4 == self.w * 3 {
                // Three quarters (the ladder's ¾ attempt): the table repeats every three
                // columns, four source columns on, with weights 42, 128 and 213 (see the
                // test), so each four give three without looking anything up.
                let start = px.len();
                px.resize(start + w, 0);
                for (out, b) in px[start..].chunks_exact_mut(3).zip(blended.chunks_exact(4)) {
                    out[0] = blend(b[0], b[1], 42);
                    out[1] = blend(b[1], b[2], 128);
                    out[2] = blend(b[2], b[3], 213);
                }
            } else {
                px.extend(
                    xs.iter()
                        .map(|&(x0, x1, fx)| blend(blended[x0], blended[x1], fx)),
                );
            }
        }
        Plane { w, h, px }
    }

    /// 3 × 3 box blur (edges clamp): removes pixel noise that would otherwise break finder
    /// patterns into specks, at the cost of a little sharpness.
    pub fn blur3(&self) -> Plane {
        let (w, h) = (self.w, self.h);
        // Each pass is written over whole rows (slices zipped with their neighbours) so that
        // it vectorises; the clamped edge pixels are done on their own.
        let mut horizontal = vec![0u16; w * h];
        for (row, sums) in self.px.chunks_exact(w).zip(horizontal.chunks_exact_mut(w)) {
            let sum3 = |l: u8, m: u8, r: u8| u16::from(l) + u16::from(m) + u16::from(r);
            if w == 1 {
                sums[0] = sum3(row[0], row[0], row[0]);
                continue;
            }
            sums[0] = sum3(row[0], row[0], row[1]);
            sums[w - 1] = sum3(row[w - 2], row[w - 1], row[w - 1]);
            for (((s, &l), &m), &r) in sums[1..w - 1]
                .iter_mut()
                .zip(&row[..w - 2])
                .zip(&row[1..w - 1])
                .zip(&row[2..])
            {
                *s = sum3(l, m, r);
            }
        }
        let mut px = vec![0u8; w * h];
        for (y, out) in px.chunks_exact_mut(w).enumerate() {
            let row = |y: usize| &horizontal[y * w..(y + 1) * w];
            let (up, mid, down) = (row(y.saturating_sub(1)), row(y), row((y + 1).min(h - 1)));
            for (((o, &u), &m), &d) in out.iter_mut().zip(up).zip(mid).zip(down) {
                *o = ((u + m + d) / 9) as u8;
            }
        }
        Plane { w, h, px }
    }

    /// The standard deviation of the frame's pixel noise, in grey levels: the median
    /// absolute response to a 3 × 3 mask that cancels any plane (Immerkær's, "Fast noise
    /// variance estimation", 1996), scaled as for normal noise. The median, not Immerkær's
    /// mean, so that the edges of a code and of the scene around it, a minority of the
    /// pixels, do not count as noise. On every `NOISE_ROW_STEP`-th row: some thousands of
    /// pixels are plenty for a frame. 0 for a frame too small to hold the mask.
    pub fn noise_sigma(&self) -> f64 {
        let (w, h) = (self.w, self.h);
        if w < 3 || h < 3 {
            return 0.0;
        }
        // |response| is at most 16 × 255.
        let mut histogram = vec![0u32; 16 * 255 + 1];
        let mut count = 0u32;
        for y in (1..h - 1).step_by(NOISE_ROW_STEP) {
            let row = |y: usize| &self.px[y * w..(y + 1) * w];
            let (up, mid, down) = (row(y - 1), row(y), row(y + 1));
            for x in 1..w - 1 {
                // [1 −2 1; −2 4 −2; 1 −2 1]: the corners and four times the centre, less
                // twice the middles of the sides.
                let corners = i32::from(up[x - 1])
                    + i32::from(up[x + 1])
                    + i32::from(down[x - 1])
                    + i32::from(down[x + 1]);
                let sides = i32::from(up[x])
                    + i32::from(down[x])
                    + i32::from(mid[x - 1])
                    + i32::from(mid[x + 1]);
                let response = corners + 4 * i32::from(mid[x]) - 2 * sides;
                histogram[response.unsigned_abs() as usize] += 1;
                count += 1;
            }
        }
        let mut seen = 0;
        let median = histogram
            .iter()
            .position(|&n| {
                seen += n;
                2 * seen > count
            })
            .unwrap_or(0);
        // For normal noise of σ the response is normal of 6σ (the mask's norm is 6), and
        // the median of its absolute value is 0.6745 times that.
        median as f64 / (6.0 * 0.6745)
    }

    /// Stretches the grey levels so the darkest 1% become black and the brightest 1% white:
    /// a dim or washed-out frame gets its full range back. `None` when the frame is flat (a
    /// lens cap, a white wall): there is nothing to find, and stretching would only amplify noise.
    pub fn stretch_contrast(&self) -> Option<Plane> {
        let mut histogram = [0usize; 256];
        for &p in &self.px {
            histogram[usize::from(p)] += 1;
        }
        let cut = self.px.len() / 100;
        let mut seen = 0;
        let mut lo = 0usize;
        for (level, &count) in histogram.iter().enumerate() {
            seen += count;
            if seen > cut {
                lo = level;
                break;
            }
        }
        seen = 0;
        let mut hi = 255usize;
        for (level, &count) in histogram.iter().enumerate().rev() {
            seen += count;
            if seen > cut {
                hi = level;
                break;
            }
        }
        if hi <= lo + 8 {
            return None;
        }
        let span = hi - lo;
        let lut: Vec<u8> = (0..256usize)
            .map(|v| (v.saturating_sub(lo) * 255 / span).min(255) as u8)
            .collect();
        Some(Plane {
            w: self.w,
            h: self.h,
            px: self.px.iter().map(|&p| lut[usize::from(p)]).collect(),
        })
    }

    /// Local mean thresholding: a pixel is dark (1; light is 0) when it is more than
    /// `offset_percent` below the mean of the square window around it, `window` pixels wide,
    /// at most [`MAX_THRESHOLD_WINDOW`] (running column sums, so the cost does not depend on
    /// the window). Unlike one global threshold, this survives uneven light: a shadow across
    /// the code, a bright screen in a dark room, a vignetting lens.
    pub fn threshold_local_mean(&self, window: usize, offset_percent: u32) -> Vec<u8> {
        let (w, h) = (self.w, self.h);
        let r = (window.min(MAX_THRESHOLD_WINDOW) / 2).max(1);
        // Percent kept of the mean; 32-bit arithmetic throughout (see MAX_THRESHOLD_WINDOW).
        let keep = 100u32.saturating_sub(offset_percent);
        // Sum of each column over the rows of the current window.
        let mut columns = vec![0u32; w];
        let mut prefix = vec![0u32; w + 1];
        for row in self.px.chunks_exact(w).take(r.min(h)) {
            for (c, &p) in columns.iter_mut().zip(row) {
                *c += u32::from(p);
            }
        }
        let mut out = vec![0u8; w * h];
        // Columns whose window lies wholly inside the row: one area for all of them.
        let inner = r.min(w)..w.saturating_sub(r).max(r.min(w));
        for y in 0..h {
            // Slide the window down: rows y - r ..= y + r.
            if y + r < h {
                let row = &self.px[(y + r) * w..(y + r + 1) * w];
                for (c, &p) in columns.iter_mut().zip(row) {
                    *c += u32::from(p);
                }
            }
            if y > r {
                let row = &self.px[(y - r - 1) * w..(y - r) * w];
                for (c, &p) in columns.iter_mut().zip(row) {
                    *c -= u32::from(p);
                }
            }
            let rows = ((y + r + 1).min(h) - y.saturating_sub(r)) as u32;
            // Zipped, not indexed: a serial chain of additions, and an index check in it
            // doubled its time.
            let mut acc = 0u32;
            for (p, &c) in prefix[1..].iter_mut().zip(&columns) {
                acc += c;
                *p = acc;
            }
            let row = &self.px[y * w..(y + 1) * w];
            let dark = &mut out[y * w..(y + 1) * w];
            let at = |x: usize| {
                let x0 = x.saturating_sub(r);
                let x1 = (x + r + 1).min(w);
                let area = rows * (x1 - x0) as u32;
                u8::from(u32::from(row[x]) * area * 100 < (prefix[x1] - prefix[x0]) * keep)
            };
            if inner.is_empty() {
                for (x, d) in dark.iter_mut().enumerate() {
                    *d = at(x);
                }
                continue;
            }
            // The first and last `r` columns' windows are cut by the frame's edge: from
            // column 0, and to column `w`. (Zipped loops: a closure per pixel took a quarter
            // of the time for an eighth of the pixels.)
            let left = inner.start;
            for (x, ((d, &p), &hi)) in dark[..left]
                .iter_mut()
                .zip(&row[..left])
                .zip(&prefix[r + 1..])
                .enumerate()
            {
                let area = rows * (x + r + 1) as u32 * 100;
                *d = u8::from(u32::from(p) * area < hi * keep);
            }
            let total = prefix[w];
            for (x, ((d, &p), &lo)) in dark[inner.end..]
                .iter_mut()
                .zip(&row[inner.end..])
                .zip(&prefix[inner.end - r..])
                .enumerate()
            {
                let area = rows * (w - (inner.end + x) + r) as u32 * 100;
                *d = u8::from(u32::from(p) * area < (total - lo) * keep);
            }
            let area = rows * (2 * r + 1) as u32 * 100;
            let sums = prefix[inner.start + r + 1..]
                .iter()
                .zip(&prefix[inner.start - r..]);
            for ((d, &p), (&hi, &lo)) in dark[inner.clone()]
                .iter_mut()
                .zip(&row[inner.clone()])
                .zip(sums)
            {
                *d = u8::from(u32::from(p) * area < (hi - lo) * keep);
            }
        }
        out
    }
}

/// [`Plane::noise_sigma`] reads every this-many-th row.
const NOISE_ROW_STEP: usize = 16;

/// The widest local-threshold window: 255 × 401² × 100 still fits in 32 bits, and a window
/// this wide is already larger than a finder pattern at any size worth reading.
pub(crate) const MAX_THRESHOLD_WINDOW: usize = 401;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qr::test_codes::xorshift;

    fn plane(w: usize, h: usize, f: impl Fn(usize, usize) -> u8) -> Plane {
        let px = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y));
        Plane::new(w, h, px.collect()).unwrap()
    }

    #[test]
    fn a_buffer_of_the_wrong_size_is_refused() {
        assert!(Plane::new(4, 4, vec![0; 15]).is_none());
        assert!(Plane::new(0, 4, vec![]).is_none());
        assert!(Plane::new(usize::MAX, 2, vec![]).is_none());
    }

    #[test]
    fn the_noise_estimate_reads_added_noise_and_not_the_picture_under_it() {
        // Noise of σ = 12 grey levels (a sum of twelve uniforms, nearly normal) added to a
        // gradient and to sharp-edged squares of 16 pixels: the estimate is near 12 on both,
        // and 0 without the noise (the edges are a minority of the pixels).
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let mut uniform = move || (next() >> 11) as f64 / (1u64 << 53) as f64;
        let mut normal = move || (0..12).map(|_| uniform()).sum::<f64>() - 6.0;
        let gradient = |x: usize, y: usize| 60.0 + (x + y) as f64 / 8.0;
        let squares = |x: usize, y: usize| {
            if (x / 16 + y / 16) % 2 == 0 {
                60.0
            } else {
                190.0
            }
        };
        let scenes: [&dyn Fn(usize, usize) -> f64; 2] = [&gradient, &squares];
        for scene in scenes {
            let clean = plane(640, 480, |x, y| scene(x, y) as u8);
            let noisy: Vec<u8> = (0..480 * 640)
                .map(|i| (scene(i % 640, i / 640) + 12.0 * normal()).round() as u8)
                .collect();
            let noisy = Plane::new(640, 480, noisy).unwrap();
            let (clean, noisy) = (clean.noise_sigma(), noisy.noise_sigma());
            assert_eq!(clean, 0.0);
            assert!((noisy - 12.0).abs() < 1.5, "{noisy}");
        }
        assert_eq!(plane(64, 64, |x, _| x as u8).noise_sigma(), 0.0);
        assert_eq!(plane(2, 64, |_, _| 9).noise_sigma(), 0.0);
    }

    #[test]
    fn downscaling_averages_blocks() {
        let p = plane(4, 2, |x, _| if x < 2 { 0 } else { 200 });
        let d = p.downscale(2);
        assert_eq!((d.w, d.h), (2, 1));
        assert_eq!(d.px, vec![0, 200]);
    }

    #[test]
    fn resizing_keeps_flat_areas_flat_and_has_the_asked_size() {
        let p = plane(10, 6, |_, _| 77);
        let r = p.resize(15, 9);
        assert_eq!((r.w, r.h), (15, 9));
        assert!(r.px.iter().all(|&v| v == 77));
    }

    #[test]
    fn local_thresholding_finds_dark_marks_under_a_strong_light_gradient() {
        // A dark square in the bright half is still brighter than the light background in the
        // dark half: no global threshold separates them, the local mean does.
        let mark = |x: usize, y: usize| (8..12).contains(&(x % 16)) && (12..20).contains(&y);
        let p = plane(64, 32, |x, y| {
            let light = 100 + x as u32; // 100 ..= 163
            (if mark(x, y) { light * 7 / 10 } else { light }) as u8
        });
        assert!(
            p.px[16 * 64 + 59] > p.px[2 * 64],
            "no global threshold would do"
        );
        let bits = p.threshold_local_mean(16, 5);
        for x in 0..64 {
            assert_eq!(bits[16 * 64 + x] == 1, mark(x, 16), "column {x}");
            assert_eq!(bits[2 * 64 + x], 0, "background at column {x}");
        }
    }

    /// The window mean computed the slow, obvious way.
    fn threshold_reference(p: &Plane, window: usize, offset_percent: u64) -> Vec<u8> {
        let r = (window / 2).max(1);
        let mut out = Vec::new();
        for y in 0..p.h {
            for x in 0..p.w {
                let (mut sum, mut area) = (0u64, 0u64);
                for yy in y.saturating_sub(r)..(y + r + 1).min(p.h) {
                    for xx in x.saturating_sub(r)..(x + r + 1).min(p.w) {
                        sum += u64::from(p.px[yy * p.w + xx]);
                        area += 1;
                    }
                }
                let v = u64::from(p.px[y * p.w + x]);
                out.push(u8::from(v * area * 100 < sum * (100 - offset_percent)));
            }
        }
        out
    }

    #[test]
    fn local_thresholding_matches_the_window_mean_at_every_pixel() {
        // Cheap deterministic noise, so the comparisons are not all one-sided.
        let noise = |x: usize, y: usize| ((x * 7919 + y * 104_729) ^ (x * y * 31)) % 60;
        for (w, h, window) in [
            (37, 23, 8),
            (37, 23, 3),
            (9, 40, 30),
            (64, 5, 12),
            (38, 7, 5),
            (39, 6, 9),
            (1, 1, 3),
        ] {
            let p = plane(w, h, |x, y| (x * 7 + y * 3 + noise(x, y)) as u8);
            assert_eq!(
                p.threshold_local_mean(window, 5),
                threshold_reference(&p, window, 5),
                "{w}x{h}, window {window}"
            );
        }
    }

    #[test]
    fn resizing_to_three_quarters_blends_as_the_general_table_does() {
        // The ¾ path's fixed weights against the table every other size uses: the same
        // source columns and weights for each output column, so the same pixels.
        for (w, h) in [(1280usize, 720usize), (16, 12), (4, 8), (960, 3)] {
            let table: Vec<(usize, u32)> = (0..w * 3 / 4)
                .map(|x| {
                    let sx = ((x * 2 + 1) * w * 256 / (w * 3 / 4 * 2)).saturating_sub(128);
                    (sx >> 8, (sx & 255) as u32)
                })
                .collect();
            for (k, column) in table.chunks_exact(3).enumerate() {
                assert_eq!(column, [(4 * k, 42), (4 * k + 1, 128), (4 * k + 2, 213)]);
            }
            let p = plane(w, h, |x, y| ((x * 7919 + y * 104_729) % 251) as u8);
            let r = p.resize(w * 3 / 4, h * 3 / 4);
            let at = |x: usize, y: usize| u32::from(p.px[y * w + x]);
            for (y, row) in r.px.chunks_exact(r.w).enumerate() {
                let sy = ((y * 2 + 1) * h * 256 / (r.h * 2)).saturating_sub(128);
                let (y0, fy) = ((sy >> 8).min(h - 1), (sy & 255) as u32);
                let y1 = (y0 + 1).min(h - 1);
                for (x, &v) in row.iter().enumerate() {
                    let (x0, fx) = table[x];
                    let x1 = (x0 + 1).min(w - 1);
                    let column = |x: usize| at(x, y0) * (256 - fy) + at(x, y1) * fy;
                    let expected = (column(x0) * (256 - fx) + column(x1) * fx) >> 16;
                    assert_eq!(u32::from(v), expected, "{w}x{h} at ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn resizing_blends_the_four_nearest_pixels() {
        let p = plane(8, 6, |x, y| (x * 30 + y * 7) as u8);
        let r = p.resize(6, 4);
        // Output (1, 1) sits at source (1.5, 1.75): between columns 1, 2 and rows 1, 2.
        let at = |x: usize, y: usize| f64::from(p.px[y * 8 + x]);
        let expected = (at(1, 1) * 0.5 * 0.25
            + at(2, 1) * 0.5 * 0.25
            + at(1, 2) * 0.5 * 0.75
            + at(2, 2) * 0.5 * 0.75) as u8;
        assert_eq!(r.px[6 + 1], expected);
    }

    #[test]
    fn contrast_stretching_spreads_a_dim_frame_and_refuses_a_flat_one() {
        let dim = plane(100, 10, |x, _| 40 + (x / 4) as u8); // 40 ..= 64
        let s = dim.stretch_contrast().unwrap();
        assert!(s.px.iter().any(|&v| v < 10));
        assert!(s.px.iter().any(|&v| v > 245));
        assert!(plane(20, 20, |_, _| 128).stretch_contrast().is_none());
    }

    #[test]
    fn blurring_is_the_mean_of_each_pixels_clamped_neighbourhood() {
        // Against the definition, pixel by pixel, on frames from one pixel wide or tall up.
        for (w, h) in [(1, 1), (1, 5), (5, 1), (2, 2), (3, 7), (17, 4), (40, 9)] {
            let p = plane(w, h, |x, y| ((x * 37 + y * 91 + x * y * 13) % 256) as u8);
            let at = |x: isize, y: isize| {
                let x = x.clamp(0, w as isize - 1) as usize;
                let y = y.clamp(0, h as isize - 1) as usize;
                u16::from(p.px[y * w + x])
            };
            let mut expected = Vec::new();
            for y in 0..h as isize {
                for x in 0..w as isize {
                    let s: u16 = (-1..=1)
                        .flat_map(|dy| (-1..=1).map(move |dx| (dx, dy)))
                        .map(|(dx, dy)| at(x + dx, y + dy))
                        .sum();
                    expected.push((s / 9) as u8);
                }
            }
            assert_eq!(p.blur3().px, expected, "{w} x {h}");
        }
    }

    #[test]
    fn blurring_keeps_the_mean_of_a_flat_image() {
        let p = plane(5, 5, |_, _| 90);
        assert!(p.blur3().px.iter().all(|&v| v == 90));
    }
}
