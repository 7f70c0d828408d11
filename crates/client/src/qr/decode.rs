//! Finding and reading a login QR code in a camera frame or a picture.
//!
//! `rqrr` alone thresholds each row against a running mean and reads the code from that; on
//! real camera frames (uneven light, a dim screen, sensor noise, a code far from the lens) that
//! finds well under half the codes. This module runs a short ladder of attempts, the likeliest
//! to succeed first, and stops at the first one that reads any QR code:
//!
//! 1. the frame at three quarters of its size (when it is large), locally thresholded: sensor
//!    noise partly averages out, detection costs less, and in the bench corpus about five
//!    codes in six are read here;
//! 2. the full frame lightly blurred, then thresholded: noisy, dim and distant codes (alone,
//!    this attempt reads the most codes, but costs the most);
//! 3. the frame at two thirds of its size: a few blurred or large codes the others missed.
//!
//! Reading a code costs `rqrr` about as much as finding where it is (fitting the grid's
//! perspective, then sampling and correcting it: ≈ 2 ms per code here), so the ladder is
//! ordered by the chance that an attempt reads the code, not by the image size. (The decoder
//! is a patched `rqrr`, crates/rqrr-patched: upstream fits each grid twice and scores every
//! candidate fit to the end, which made reading a code ≈ 4× dearer.)
//!
//! Frames larger than [`MAX_WORK_SIDE`] are first shrunk by an integer factor, and a
//! low-contrast frame is contrast-stretched once, before the ladder. No attempt starts once
//! the time budget ([`ScanOptions`]) is spent, so a frame without a code costs a bounded time
//! and the camera moves on to the next frame. (Tried and dropped, because they read nothing
//! the ladder above missed on the corpus: a retry at 1.5x and `rqrr`'s own thresholding;
//! half size, which loses small codes, and the full frame unblurred, which reads fewer codes
//! than the blurred one at the same cost.)
//!
//! What comes out is only ever a payload that parsed strictly and passed its `check` (a
//! [`QrLoginPayload`] where only a desktop login will do, a [`QrPayload`] where either kind
//! will): a QR code's own error correction plus the strict parser make a false reading
//! practically impossible, and anything else is a [`ScanError`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use dinhdanh_core::qr_login::{QrError, QrLoginPayload, QrPayload};
use dinhdanh_core::signed_action::Origin;

use super::ScanError;
use super::preprocess::Plane;

/// Frames are first shrunk by an integer factor until neither side exceeds this: a login
/// code is read comfortably at this size and the work stays within a camera frame's budget.
pub(crate) const MAX_WORK_SIDE: usize = 1280;

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
    /// No new attempt starts after this much time (the one under way finishes). The default,
    /// 60 ms, is two frames of a 30 fps camera: a blank frame is dropped in time for the next.
    pub time_budget: Duration,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            time_budget: Duration::from_millis(60),
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
    let large = base.w.min(base.h) >= 480;
    let three_quarters = large.then(|| base.resize(base.w * 3 / 4, base.h * 3 / 4));

    let mut attempts: Vec<Box<dyn Fn() -> Vec<Vec<u8>> + '_>> = Vec::new();
    match &three_quarters {
        Some(reduced) => attempts.push(Box::new(move || read_thresholded(reduced))),
        None => attempts.push(Box::new(|| read_thresholded(&base))),
    }
    attempts.push(Box::new(|| read_thresholded(&base.blur3())));
    if large {
        attempts.push(Box::new(|| {
            read_thresholded(&base.resize(base.w * 2 / 3, base.h * 2 / 3))
        }));
    }

    for (i, attempt) in attempts.iter().enumerate() {
        if i > 0 && started.elapsed() >= options.time_budget {
            break;
        }
        let best = attempt()
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

fn read_thresholded(plane: &Plane) -> Vec<Vec<u8>> {
    let window = (plane.w.max(plane.h) / WINDOW_DIVISOR).max(3);
    let dark = plane.threshold_local_mean(window, OFFSET_PERCENT);
    match rqrr::PreparedImage::from_bitmap_bytes(plane.w, plane.h, dark) {
        Some(prepared) => read_with!(prepared),
        None => Vec::new(),
    }
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
