//! Finding and reading a login QR code in a camera frame or a picture.
//!
//! `rqrr` alone thresholds each row against a running mean and reads the code from that; on
//! real camera frames (uneven light, a dim screen, sensor noise, a code far from the lens) that
//! finds well under half the codes. This module runs a short ladder of attempts, the likeliest
//! to succeed first, and stops at the first one that reads any QR code:
//!
//! 1. the frame at half its size (when it is large), thresholded by blocks (`binarize`, as
//!    zxing-cpp's hybrid binarizer), searched for finder patterns that pass cross-checks in
//!    four directions (`finder`), sampled along a perspective fitted to three finder
//!    patterns, their sides and the alignment pattern (`locate`; when the best candidate's
//!    format information reads but its data does not, along the perspective fitted to the
//!    code's fixed modules, `refine`), each grid decoded by `rqrr`: averaging 2 × 2 pixels
//!    removes noise and a screen's sub-pixel stripes, and this attempt reads about two codes
//!    in three of those read at all;
//! 2. the same on the full frame (small modules);
//! 3. our detector on the frame at three quarters of its size thresholded against a running
//!    mean (the full frame when it is small);
//! 4. our detector on the full frame lightly blurred, thresholded against a running mean
//!    (on a camera frame whose pixel noise is high, [`NOISY_SIGMA`], attempts 2 and 3 are
//!    skipped: on such frames pixel noise breaks small modules apart, and what they read
//!    there the half-size and blurred attempts read too);
//! 5. and 6., for a picture read once only ([`ScanOptions::picture`]): `rqrr`'s own detector
//!    on the thresholded frames of attempts 3 and 4. It fits a tilted code's perspective from
//!    each finder pattern's ring, and reads a few codes ours misses (2 in 180 on the new
//!    corpora, on paper), at up to twice our detector's time on the same frame: 40–50 % of
//!    the ladder on a frame nobody reads. A camera frame has a next one 33 ms later; a
//!    picture the person picked has not.
//!
//! Each thresholded frame is made once and read by every detector that needs it. Finding a
//! code costs far more than decoding its grid, so the ladder is ordered by the chance that an
//! attempt reads the code per millisecond, measured on the bench's generated corpora (not the
//! held-out one; `QR_BENCH_TRACE`). (The decoder is a patched `rqrr`, crates/rqrr-patched.)
//!
//! Frames larger than [`MAX_WORK_SIDE`] are first shrunk by an integer factor, and a
//! low-contrast frame is contrast-stretched once, before the ladder. An attempt after the
//! first starts only if it is expected to end within the time budget ([`ScanOptions`]): its
//! work (pixels times its relative cost) at the speed the previous attempt showed on this
//! frame. The estimate can be wrong, so a frame without a code costs the whole ladder or
//! about the budget, whichever is less, not at most the budget.
//!
//! Tried and dropped: the frame at two thirds of its size, which read nothing the others
//! missed on the new corpora; `rqrr`'s detector on the half-size block thresholds, which read
//! fewer tilted codes than on the full frame; looser finder tolerances, which let noise crowd
//! out the real patterns; our detector on the full frame thresholded against a running mean,
//! which read 3 codes in 340 that no other attempt read; `rqrr`'s detector on the full
//! frame's block thresholds, last, which read 1 code in 340 that no other attempt read, at
//! 9–13 ms a frame, about a third of the ladder's time on a frame it cannot read.
//!
//! What comes out is only ever a payload that parsed strictly and passed its `check` (a
//! [`QrLoginPayload`] where only a desktop login will do, a [`QrPayload`] where either kind
//! will): a QR code's own error correction plus the strict parser make a false reading
//! practically impossible, and anything else is a [`ScanError`].

use std::cell::OnceCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use dinhdanh_core::qr_login::{QrError, QrLoginPayload, QrPayload};
use dinhdanh_core::signed_action::Origin;

use super::ScanError;
use super::finder::{self, Bits};
use super::preprocess::Plane;
use super::{binarize, locate, refine};

/// Frames are first shrunk by an integer factor until neither side exceeds this: a login
/// code is read comfortably at this size and the work stays within a camera frame's budget.
pub(crate) const MAX_WORK_SIDE: usize = 1280;

/// A large frame whose pixel noise ([`Plane::noise_sigma`]) is above this many grey levels
/// is read at half size and blurred only, on camera frames ([`ScanOptions`]). On the bench's
/// generated corpora, no code on a frame noisier than 5.4 was read by the unblurred full and
/// three-quarter-size attempts alone (a night's frames are mostly 10–30); the gate keeps a
/// margin above that.
pub(crate) const NOISY_SIGMA: f64 = 8.0;

/// Below this many pixels on a side nothing as big as a version-1 code with its quiet zone fits.
const MIN_SIDE: usize = 21;

/// The local threshold's window is this fraction of the longer side (about one finder
/// pattern at the largest plausible module size; the same ratio `rqrr` uses for its rows).
const WINDOW_DIVISOR: usize = 8;

/// A pixel is dark when it is this many percent below its neighbourhood's mean.
const OFFSET_PERCENT: u32 = 5;

/// How decoding may spend time.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// No attempt after the first starts unless it is expected to end within this much time
    /// (see the module documentation). The default, 60 ms, is two frames of a 30 fps camera:
    /// a blank frame is dropped in time for the next.
    pub time_budget: Duration,
    /// Whether the ladder ends with `rqrr`'s own detector (attempts 5 and 6 of the module
    /// documentation): a few more tilted codes read, at nearly twice the time of a frame
    /// nobody reads. Off for camera frames, on for a picture read once.
    pub with_rqrr_detector: bool,
    /// Whether a noisy large frame (pixel noise above `NOISY_SIGMA`) skips the attempts on
    /// unblurred frames at full and three-quarter size (2 and 3 of the module
    /// documentation): on such frames they read nothing the half-size and blurred attempts
    /// missed, and cost half the time of a frame nobody reads. On for camera frames, off for
    /// a picture read once.
    pub skip_sharp_when_noisy: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            time_budget: Duration::from_millis(60),
            with_rqrr_detector: false,
            skip_sharp_when_noisy: true,
        }
    }
}

impl ScanOptions {
    /// For a picture read once (a file the person picked, the CLI's picture, a screenshot):
    /// there is no next frame, so every attempt may run. 2 s bounds the wait for a picture
    /// without a code; the whole ladder takes well under that on a slow phone.
    pub fn picture() -> Self {
        ScanOptions {
            time_budget: Duration::from_secs(2),
            with_rqrr_detector: true,
            skip_sharp_when_noisy: false,
        }
    }
}

/// A kind of code the decoder looks for: read strictly, then checked against the server and
/// the clock.
pub trait Scannable: Sized {
    /// Parses `text` strictly and checks it is for `origin` and not expired at `now`.
    fn read(text: &str, now: i64, origin: &Origin) -> Result<Self, QrError>;
}

impl Scannable for QrLoginPayload {
    fn read(text: &str, now: i64, origin: &Origin) -> Result<Self, QrError> {
        let payload = QrLoginPayload::parse(text)?;
        payload.check(now, origin)?;
        Ok(payload)
    }
}

/// Either version: a desktop login (v1) or a sign-in to another service (v2).
impl Scannable for QrPayload {
    fn read(text: &str, now: i64, origin: &Origin) -> Result<Self, QrError> {
        let payload = QrPayload::parse(text)?;
        payload.check(now, origin)?;
        Ok(payload)
    }
}

/// What the attempts so far found, best first when ranked by [`Outcome::rank`].
enum Outcome<P> {
    Ours(P),
    Problem(ScanError),
}

impl<P: Scannable> Outcome<P> {
    fn from_text(text: &str, now: i64, origin: &Origin) -> Outcome<P> {
        match P::read(text, now, origin) {
            Ok(payload) => Outcome::Ours(payload),
            Err(e) => Outcome::Problem(ScanError::from(e)),
        }
    }

    /// Our usable code beats our unusable code (expired, another server), which beats someone
    /// else's code: the answer names the most useful thing in the frame.
    fn rank(&self) -> u8 {
        match self {
            Outcome::Ours(_) => 3,
            Outcome::Problem(ScanError::NotOurCode) => 1,
            Outcome::Problem(_) => 2,
        }
    }
}

/// Reads the login code in `frame` (see the module documentation for how).
pub(crate) fn decode_plane<P: Scannable>(
    frame: Plane,
    now: i64,
    expected_origin: &Origin,
    options: &ScanOptions,
) -> Result<P, ScanError> {
    let started = Instant::now();
    if frame.w < MIN_SIDE || frame.h < MIN_SIDE {
        return Err(ScanError::NoCodeFound);
    }
    let (base, half) = prepare(frame);
    let bitmaps = Bitmaps::default();
    let attempts = ladder(&base, half.as_ref(), &bitmaps, options.with_rqrr_detector);
    // Measured once, when the first sharp attempt is due: a frame the half-size attempt
    // reads never pays for it.
    let skip_sharp = OnceCell::new();

    // Time per unit of work, from the last attempt: this machine's speed right now.
    let mut per_unit: Option<Duration> = None;
    for (
        i,
        Attempt {
            work, run, sharp, ..
        },
    ) in attempts.iter().enumerate()
    {
        if *sharp && *skip_sharp.get_or_init(|| skips_sharp(&base, options)) {
            continue;
        }
        if i > 0 {
            // An attempt that would end past the budget does not start (a cheaper one after
            // it still may), so a frame without a code costs about the budget, not more.
            let expected = per_unit.map_or(Duration::ZERO, |d| d.mul_f64(*work));
            if started.elapsed() + expected >= options.time_budget {
                continue;
            }
        }
        let began = Instant::now();
        let read = run();
        per_unit = Some(began.elapsed().div_f64(work.max(1.0)));
        let best = read
            .iter()
            .map(|bytes| match std::str::from_utf8(bytes) {
                Ok(text) => Outcome::from_text(text, now, expected_origin),
                // Binary content: certainly not a login URI.
                Err(_) => Outcome::Problem(ScanError::NotOurCode),
            })
            .max_by_key(Outcome::rank);
        match best {
            Some(Outcome::Ours(payload)) => return Ok(payload),
            Some(Outcome::Problem(e)) => return Err(e),
            None => {}
        }
    }
    Err(ScanError::NoCodeFound)
}

/// The frame the ladder works on (shrunk by an integer factor to at most [`MAX_WORK_SIDE`],
/// contrast-stretched when low in contrast) and, when it is large, its half-size copy.
fn prepare(frame: Plane) -> (Plane, Option<Plane>) {
    let longer = frame.w.max(frame.h);
    let base = if longer > MAX_WORK_SIDE {
        frame.downscale(longer.div_ceil(MAX_WORK_SIDE))
    } else {
        frame
    };
    let base = if is_low_contrast(&base) {
        base.stretch_contrast().unwrap_or(base)
    } else {
        base
    };
    let half = (base.w.min(base.h) >= 480).then(|| base.downscale(2));
    (base, half)
}

/// One rung of the ladder: its name (for the bench's trace), its expected work (pixels
/// times its cost per pixel relative to our detector's on the half-size frame) and the
/// attempt itself.
struct Attempt<'a> {
    #[cfg_attr(not(feature = "qr-trace"), allow(dead_code))]
    name: &'static str,
    work: f64,
    /// Our detector on an unblurred full or ¾-size frame after the half-size attempt, which
    /// a noisy camera frame skips ([`ScanOptions`]).
    sharp: bool,
    run: Box<dyn Fn() -> Vec<Vec<u8>> + 'a>,
}

/// Whether `options` skip the sharp attempts on this (large) frame: see [`ScanOptions`].
fn skips_sharp(base: &Plane, options: &ScanOptions) -> bool {
    options.skip_sharp_when_noisy && base.noise_sigma() > NOISY_SIGMA
}

/// The attempts in the order they are tried (see the module documentation), `rqrr`'s
/// detector last when `with_rqrr` is set. The relative costs were measured on the bench's
/// generated corpora (the trace, `qr-trace`).
fn ladder<'a>(
    base: &'a Plane,
    half: Option<&'a Plane>,
    bitmaps: &'a Bitmaps,
    with_rqrr: bool,
) -> Vec<Attempt<'a>> {
    let pixels = (base.w * base.h) as f64;
    let mut attempts: Vec<Attempt<'a>> = Vec::new();
    if let Some(half) = half {
        attempts.push(Attempt {
            name: "half: blocks+ours",
            work: pixels / 4.0,
            sharp: false,
            // Every other row: a code read at this size has modules of 1.5 pixels or more,
            // so two rows at least cross each finder pattern's centre (every row: 87 codes
            // in 180 against 88, in more time).
            run: Box::new(move || read_located(half, 2)),
        });
    }
    // A large frame is searched every third row from here on (zxing-cpp's least skip): a
    // finder pattern's centre is 3 modules, so at least 3 pixels, tall wherever a code can
    // be read. Every other row read no more (86 codes in 180 on the bench's new corpora
    // against 87) in more time.
    let shrink = half.is_some();
    let step = if shrink { 3 } else { 1 };
    let scaled_work = if shrink { 9.0 / 16.0 } else { 1.0 };
    attempts.push(Attempt {
        name: "full: blocks+ours",
        work: 0.6 * pixels,
        sharp: shrink,
        run: Box::new(move || read_located(base, step)),
    });
    attempts.push(Attempt {
        name: "3/4: mean+ours",
        work: 0.8 * pixels * scaled_work,
        sharp: shrink,
        run: Box::new(move || {
            let (plane, dark) = bitmaps.scaled_mean(base, shrink);
            read_by_finders_guarded(dark, plane, step)
        }),
    });
    attempts.push(Attempt {
        name: "blur: mean+ours",
        work: 0.75 * pixels,
        sharp: false,
        run: Box::new(move || read_by_finders_guarded(bitmaps.blurred_mean(base), base, step)),
    });
    if !with_rqrr {
        return attempts;
    }
    attempts.push(Attempt {
        name: "3/4: mean+rqrr",
        work: 0.8 * pixels * scaled_work,
        sharp: false,
        run: Box::new(move || {
            let (plane, dark) = bitmaps.scaled_mean(base, shrink);
            read_bits_with_rqrr(dark.to_vec(), plane)
        }),
    });
    attempts.push(Attempt {
        name: "blur: mean+rqrr",
        work: 0.8 * pixels,
        sharp: false,
        run: Box::new(|| read_bits_with_rqrr(bitmaps.blurred_mean(base).to_vec(), base)),
    });
    attempts
}

/// The frames thresholded against a running mean, each read by our detector and then by
/// `rqrr`'s: made by the first attempt that needs it and kept for the next.
#[derive(Default)]
struct Bitmaps {
    /// The frame at three quarters of its size (the full frame when it is small),
    /// thresholded against a running mean.
    scaled_mean: OnceCell<(Plane, Vec<u8>)>,
    /// The full frame lightly blurred, thresholded against a running mean.
    blurred_mean: OnceCell<Vec<u8>>,
}

impl Bitmaps {
    fn scaled_mean(&self, base: &Plane, shrink: bool) -> (&Plane, &[u8]) {
        let (plane, dark) = self.scaled_mean.get_or_init(|| {
            let plane = if shrink {
                base.resize(base.w * 3 / 4, base.h * 3 / 4)
            } else {
                base.clone()
            };
            let dark = threshold_mean(&plane);
            (plane, dark)
        });
        (plane, dark)
    }

    fn blurred_mean(&self, base: &Plane) -> &[u8] {
        self.blurred_mean
            .get_or_init(|| threshold_mean(&base.blur3()))
    }
}

/// `plane` thresholded against the running mean of a window an eighth of its longer side.
fn threshold_mean(plane: &Plane) -> Vec<u8> {
    let window = (plane.w.max(plane.h) / WINDOW_DIVISOR).max(3);
    plane.threshold_local_mean(window, OFFSET_PERCENT)
}

/// For the bench only (`--features qr-trace`): every attempt of the ladder, `rqrr`'s detector
/// included, run on its own on `frame` (after the same shrinking and contrast stretch), each
/// with its time and what it read, regardless of the others and of any budget.
#[cfg(feature = "qr-trace")]
pub fn trace(frame: &image::GrayImage) -> Vec<(&'static str, Duration, Vec<Vec<u8>>)> {
    let Some(frame) = Plane::new(
        frame.width() as usize,
        frame.height() as usize,
        frame.as_raw().clone(),
    ) else {
        return Vec::new();
    };
    let t = Instant::now();
    let (base, half) = prepare(frame);
    let mut out = vec![("prepare", t.elapsed(), Vec::new())];
    let bitmaps = Bitmaps::default();
    for a in ladder(&base, half.as_ref(), &bitmaps, true) {
        let t = Instant::now();
        let read = (a.run)();
        out.push((a.name, t.elapsed(), read));
    }
    out
}

/// Whether the middle 98% of the grey levels span less than 96 of 256: such a frame is
/// contrast-stretched before the ladder.
fn is_low_contrast(plane: &Plane) -> bool {
    // A sparse sample is plenty to judge the spread of a whole frame.
    let step = (plane.px.len() / 4096).max(1);
    let mut sample: Vec<u8> = plane.px.iter().step_by(step).copied().collect();
    sample.sort_unstable();
    let lo = sample[sample.len() / 100];
    let hi = sample[sample.len() - 1 - sample.len() / 100];
    hi.saturating_sub(lo) < 96
}

/// Detects and decodes every grid `rqrr` finds in the prepared image, giving the raw contents
/// that decoded. A macro because `rqrr` does not export the image-buffer type it returns.
macro_rules! read_with {
    ($prepare:expr) => {
        // `rqrr` has internal assertions that unusual images have been known to trip; a frame
        // from the camera is input, and input must never take the app down. (A profile with
        // panic = "abort" would lose this net; none in the workspace sets it.)
        catch_unwind(AssertUnwindSafe(|| {
            let mut prepared = $prepare;
            prepared
                .detect_grids()
                .iter()
                .filter_map(|grid| {
                    let mut out = Vec::new();
                    grid.decode_to(&mut out).ok().map(|_| out)
                })
                .collect::<Vec<Vec<u8>>>()
        }))
        .unwrap_or_default()
    };
}

/// Most finder patterns (the most often seen) combined into candidate codes: 12 make 220
/// triples, of which the geometry check leaves a handful.
const MAX_FINDERS: usize = 12;

/// Largest code tried, in modules (version 20): a login code is at most version 10, and a
/// larger size estimate comes from three unrelated patterns far apart.
const MAX_SIZE: usize = 97;

/// Most candidate codes sampled and handed to `rqrr` per attempt: each failed grid costs a
/// decode, and a real code is almost always among the best-seen patterns.
const MAX_CANDIDATES: usize = 4;

/// Block thresholds (`binarize`), then our finder-pattern detector on every `step`-th row and
/// grid sampling (`finder`, `locate`) with `rqrr` decoding each grid.
fn read_located(plane: &Plane, step: usize) -> Vec<Vec<u8>> {
    match binarize::hybrid(plane) {
        Some(dark) => read_by_finders_guarded(&dark, plane, step),
        None => Vec::new(),
    }
}

/// Our detector on a thresholded frame, its panics caught (see `read_with`).
fn read_by_finders_guarded(dark: &[u8], plane: &Plane, step: usize) -> Vec<Vec<u8>> {
    let bits = Bits {
        w: plane.w,
        h: plane.h,
        px: dark,
    };
    catch_unwind(AssertUnwindSafe(|| read_by_finders(bits, step))).unwrap_or_default()
}

/// `rqrr`'s own detector on a thresholded frame (1 dark, 0 light).
fn read_bits_with_rqrr(dark: Vec<u8>, plane: &Plane) -> Vec<Vec<u8>> {
    match rqrr::PreparedImage::from_bitmap_bytes(plane.w, plane.h, dark) {
        Some(prepared) => read_with!(prepared),
        None => Vec::new(),
    }
}

fn read_by_finders(bits: Bits, step: usize) -> Vec<Vec<u8>> {
    let finders = finder::find_finders(bits, step);
    let finders = &finders[..finders.len().min(MAX_FINDERS)];
    let mut candidates = Vec::new();
    for i in 0..finders.len() {
        for j in i + 1..finders.len() {
            for k in j + 1..finders.len() {
                if let Some(c) = locate::corners(finders[i], finders[j], finders[k]) {
                    let hits = finders[i].hits + finders[j].hits + finders[k].hits;
                    candidates.push((hits, [i, j, k], c));
                }
            }
        }
    }
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    let mut used = [false; MAX_FINDERS];
    let mut out = Vec::new();
    for (rank, (_, members, corners)) in candidates.iter().take(MAX_CANDIDATES).enumerate() {
        if members.iter().any(|&m| used[m]) {
            continue;
        }
        let size = locate::dimension(bits, corners);
        if size > MAX_SIZE {
            continue;
        }
        // The estimated size first, with the alignment pattern; then without it (a pattern
        // found in the wrong place bends the grid); then, for the best candidate only, the
        // neighbouring versions.
        let tries = [
            (size, true),
            (size, false),
            (size + 4, true),
            (size.saturating_sub(4), true),
        ];
        let tries = if rank == 0 { &tries[..] } else { &tries[..2] };
        // A size whose aligned try found no alignment pattern sampled the grid without one:
        // its unaligned try would decode the same grid again.
        let mut sampled_unaligned = None;
        let mut read = false;
        // Whether some try's format information decoded (its data did not).
        let mut format_read = false;
        for &(size, align) in tries {
            if size < 21 || (!align && sampled_unaligned == Some(size)) {
                continue;
            }
            let Some((grid, aligned)) = locate::sample(bits, corners, size, align) else {
                continue;
            };
            if !aligned {
                sampled_unaligned = Some(size);
            }
            let mut bytes = Vec::new();
            match rqrr::Grid::new(grid).decode_to(&mut bytes) {
                Ok(_) => {
                    out.push(bytes);
                    read = true;
                    break;
                }
                Err(rqrr::DeQRError::FormatEcc) => {}
                Err(_) => format_read = true,
            }
        }
        // The best candidate's format information read but its data did not: the grid is
        // nearly in place. Its perspective is fitted to the code's fixed modules and the grid
        // read once more (on a junk candidate the format rarely reads, so this rarely runs).
        if !read && rank == 0 && format_read {
            let mut bytes = Vec::new();
            if let Some(grid) = refine::sample(bits, corners, size)
                && rqrr::Grid::new(grid).decode_to(&mut bytes).is_ok()
            {
                out.push(bytes);
                read = true;
            }
        }
        if read {
            for &m in members {
                used[m] = true;
            }
        }
    }
    out
}

impl From<QrError> for ScanError {
    fn from(e: QrError) -> Self {
        match e {
            QrError::NotOurCode => ScanError::NotOurCode,
            QrError::UnsupportedVersion => ScanError::UnsupportedVersion,
            QrError::Malformed {
                detail_vi,
                detail_en,
            } => ScanError::Malformed {
                detail_vi,
                detail_en,
            },
            QrError::Expired => ScanError::Expired,
            QrError::WrongServer => ScanError::WrongServer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dinhdanh_core::crypto::PublicKey;
    use dinhdanh_core::qr_login::RendezvousId;

    fn uri() -> String {
        let key = p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
        QrLoginPayload::new(
            RendezvousId::from_bytes(&[9u8; 32]).unwrap(),
            PublicKey::from_verifying_key(key.verifying_key()),
            Origin::parse("https://dinhdanh.example.vn").unwrap(),
            1_750_000_060,
        )
        .unwrap()
        .to_uri()
    }

    /// The code drawn at `module` pixels a module, turned by `angle` about its centre, into a
    /// light 640 × 480 frame (nearest-pixel sampling), as thresholded bits.
    fn turned_code(module: f64, angle: f64) -> (usize, usize, Vec<u8>) {
        bent_code(module, angle, 0.0)
    }

    /// [`turned_code`] on a sheet bent in a bow: each module column shifted down by `bow`
    /// modules times the sine of its place across (0 at the edges, `bow` in the middle).
    fn bent_code(module: f64, angle: f64, bow: f64) -> (usize, usize, Vec<u8>) {
        let code = qrcode::QrCode::with_error_correction_level(uri(), qrcode::EcLevel::M).unwrap();
        let n = code.width() as f64;
        let colors = code.to_colors();
        let (w, h) = (640usize, 480usize);
        let (s, c) = angle.sin_cos();
        let mut px = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f64 + 0.5 - 320.0, y as f64 + 0.5 - 240.0);
                let (u, v) = (dx * c + dy * s, -dx * s + dy * c);
                let mx = u / module + n / 2.0;
                let my = v / module + n / 2.0 - bow * (std::f64::consts::PI * mx / n).sin();
                if mx >= 0.0 && my >= 0.0 && mx < n && my < n {
                    let i = my as usize * n as usize + mx as usize;
                    px[y * w + x] = u8::from(colors[i] == qrcode::Color::Dark);
                }
            }
        }
        (w, h, px)
    }

    #[test]
    fn a_code_on_bent_paper_is_read_by_sampling_between_its_alignment_patterns() {
        // A bow of 1.2 modules: one perspective over the whole code misreads the middle
        // columns; a transform per cell of the alignment patterns' lattice does not.
        assert!(
            uri().len() > 150,
            "a code of version 7 or more, with a lattice"
        );
        let (w, h, px) = bent_code(5.0, 0.2, 1.2);
        let read = read_by_finders(Bits { w, h, px: &px }, 1);
        assert_eq!(read, vec![uri().into_bytes()]);
    }

    #[test]
    fn rqrr_s_detector_runs_for_a_picture_and_not_for_a_camera_frame() {
        let plane = Plane::new(640, 480, vec![128; 640 * 480]).unwrap();
        let bitmaps = Bitmaps::default();
        let names = |options: ScanOptions| -> Vec<&str> {
            ladder(&plane, None, &bitmaps, options.with_rqrr_detector)
                .iter()
                .map(|a| a.name)
                .collect()
        };
        let camera = names(ScanOptions::default());
        let picture = names(ScanOptions::picture());
        assert!(camera.iter().all(|n| !n.contains("rqrr")), "{camera:?}");
        assert_eq!(picture[..camera.len()], camera[..]);
        assert_eq!(
            picture[camera.len()..],
            ["3/4: mean+rqrr", "blur: mean+rqrr"]
        );
    }

    #[test]
    fn a_noisy_camera_frame_is_read_at_half_size_and_blurred_only() {
        // Pixels 100 or 150 grey levels in a scrambled pattern: noise far above the gate.
        let (w, h) = (1280, 720);
        let noisy = (0..w * h).map(|i| if (i * 7919) % 13 < 6 { 100 } else { 150 });
        let noisy = Plane::new(w, h, noisy.collect()).unwrap();
        let quiet = Plane::new(w, h, vec![128; w * h]).unwrap();
        assert!(noisy.noise_sigma() > NOISY_SIGMA && quiet.noise_sigma() == 0.0);
        let names = |plane: &Plane, options: ScanOptions| -> Vec<&str> {
            let (base, half) = prepare(plane.clone());
            let bitmaps = Bitmaps::default();
            let skip = skips_sharp(&base, &options);
            ladder(&base, half.as_ref(), &bitmaps, options.with_rqrr_detector)
                .iter()
                .filter(|a| !(a.sharp && skip))
                .map(|a| a.name)
                .collect()
        };
        assert_eq!(
            names(&noisy, ScanOptions::default()),
            ["half: blocks+ours", "blur: mean+ours"]
        );
        let camera = [
            "half: blocks+ours",
            "full: blocks+ours",
            "3/4: mean+ours",
            "blur: mean+ours",
        ];
        assert_eq!(names(&quiet, ScanOptions::default()), camera);
        // A picture is read once: every attempt, however noisy.
        let picture = names(&noisy, ScanOptions::picture());
        assert_eq!(picture[..4], camera);
        assert_eq!(picture.len(), 6);
    }

    #[test]
    fn the_finder_detector_reads_a_code_upright_and_turned() {
        for (module, angle) in [(4.0, 0.0), (3.0, 0.3), (5.0, 2.0), (2.5, -0.7)] {
            let (w, h, px) = turned_code(module, angle);
            let read = read_by_finders(Bits { w, h, px: &px }, 1);
            assert_eq!(
                read,
                vec![uri().into_bytes()],
                "module {module}, angle {angle}"
            );
        }
    }
}
