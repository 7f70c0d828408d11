//! QR decoding bench: decode rate and time per frame by distortion class, for this crate's
//! decoder and for plain `rqrr` (the crates.io release with its own thresholding, no
//! preprocessing, no retries; this decoder uses a patched copy, crates/rqrr-patched) side by
//! side, on the same 300 generated 1280 × 720 frames, on one core. Then p256 signatures and
//! verifications per second.
//!
//! `cargo bench -p dinhdanh-client --bench qr_decode` (a plain binary that prints a table).

#[path = "../tests/support/corpus.rs"]
mod corpus;

use std::time::{Duration, Instant};

use corpus::{Class, NOW, Sample, origin};
use dinhdanh_client::qr::decode_login;

const PER_CLASS: usize = 30;
/// Each decode is timed this many times, keeping the fastest (see [`timed`]).
const REPEATS: usize = 3;

/// `name` from the environment as a number, else `default`: `QR_BENCH_PER_CLASS=5
/// QR_BENCH_REPEATS=1` makes a run short enough for `valgrind --tool=callgrind`.
fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
const SEED: u64 = 0xBE4C_D1D1_2024_0069;

#[derive(Default)]
struct Tally {
    frames: usize,
    ok: usize,
    false_positives: usize,
    times: Vec<Duration>,
}

impl Tally {
    fn record(&mut self, sample: &Sample, read: Option<String>, time: Duration) {
        self.frames += 1;
        self.times.push(time);
        match (&sample.expected, read) {
            (Some(expected), Some(text)) if text == expected.to_uri() => self.ok += 1,
            (None, Some(_)) => self.false_positives += 1,
            _ => {}
        }
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut t = self.times.clone();
        t.sort_unstable();
        let i = ((t.len() as f64 - 1.0) * p).round() as usize;
        t.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }

    fn rate(&self, class_has_code: bool) -> String {
        if class_has_code {
            format!(
                "{:>5.1}%",
                100.0 * self.ok as f64 / self.frames.max(1) as f64
            )
        } else {
            format!("{:>3} FP", self.false_positives)
        }
    }
}

/// Plain `rqrr`: its own row-wise threshold on the full frame, every grid decoded; a hit only
/// when the text is one of our login codes for the expected server and not expired.
fn plain_rqrr(sample: &Sample) -> Option<String> {
    let frame = &sample.frame;
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let px = frame.as_raw();
    let mut prepared =
        rqrr_upstream::PreparedImage::prepare_from_greyscale(w, h, |x, y| px[y * w + x]);
    let origin = origin();
    prepared
        .detect_grids()
        .iter()
        .filter_map(|g| g.decode().ok())
        .map(|(_, text)| text)
        .find(|text| {
            dinhdanh_core::qr_login::QrLoginPayload::parse(text)
                .is_ok_and(|p| p.check(NOW, &origin).is_ok())
        })
}

/// Runs `f` [`REPEATS`] times and keeps the fastest: on a shared machine, the minimum is the
/// cost of the work itself, without the time other processes took the core away.
fn timed<T>(repeats: usize, f: impl Fn() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    let mut best = t.elapsed();
    for _ in 1..repeats {
        let t = Instant::now();
        let _ = f();
        best = best.min(t.elapsed());
    }
    (out, best)
}

fn main() {
    let started = Instant::now();
    let per_class = knob("QR_BENCH_PER_CLASS", PER_CLASS);
    let repeats = knob("QR_BENCH_REPEATS", REPEATS).max(1);
    // QR_BENCH_PLAIN=0 leaves plain `rqrr` out (its column then reads nothing).
    let with_plain = knob("QR_BENCH_PLAIN", 1) != 0;
    let samples = corpus::corpus(SEED, per_class);
    println!(
        "QR decode bench: {} frames of {}x{} ({} per class, best of {}), generated in {:.1} s; \
         one core.\n",
        samples.len(),
        corpus::WIDTH,
        corpus::HEIGHT,
        per_class,
        repeats,
        started.elapsed().as_secs_f64()
    );
    let origin = origin();
    let mut ours: Vec<(Class, Tally)> = Class::ALL.iter().map(|&c| (c, Tally::default())).collect();
    let mut plain: Vec<(Class, Tally)> =
        Class::ALL.iter().map(|&c| (c, Tally::default())).collect();
    let (mut ours_all, mut plain_all) = (Tally::default(), Tally::default());
    let (mut ours_pos, mut plain_pos) = (Tally::default(), Tally::default());
    // QR_BENCH_SLOWEST=N lists this decoder's N slowest frames (where the tail comes from).
    let mut slowest: Vec<(Duration, &'static str, bool)> = Vec::new();
    for sample in &samples {
        let index = Class::ALL
            .iter()
            .position(|&c| c == sample.class)
            .unwrap_or(0);

        let (read, time) = timed(repeats, || {
            decode_login(&sample.frame, NOW, &origin)
                .ok()
                .map(|p| p.to_uri())
        });
        let hit = read.is_some();
        slowest.push((time, sample.class.name(), hit));
        ours[index].1.record(sample, read.clone(), time);
        ours_all.record(sample, read.clone(), time);
        if sample.class.has_login_code() {
            ours_pos.record(sample, read, time);
        }

        if !with_plain {
            continue;
        }
        let (read, time) = timed(repeats, || plain_rqrr(sample));
        plain[index].1.record(sample, read.clone(), time);
        plain_all.record(sample, read.clone(), time);
        if sample.class.has_login_code() {
            plain_pos.record(sample, read, time);
        }
    }

    println!("{:<14} | {:>21} | {:>21}", "", "this decoder", "plain rqrr");
    println!(
        "{:<14} | {:>7} {:>6} {:>6} | {:>7} {:>6} {:>6}",
        "class", "rate", "p50ms", "p95ms", "rate", "p50ms", "p95ms"
    );
    println!("{}", "-".repeat(62));
    let row = |name: &str, has_code: bool, a: &Tally, b: &Tally| {
        println!(
            "{:<14} | {:>7} {:>6.1} {:>6.1} | {:>7} {:>6.1} {:>6.1}",
            name,
            a.rate(has_code),
            a.percentile(0.5),
            a.percentile(0.95),
            b.rate(has_code),
            b.percentile(0.5),
            b.percentile(0.95)
        );
    };
    for ((class, a), (_, b)) in ours.iter().zip(&plain) {
        row(class.name(), class.has_login_code(), a, b);
    }
    println!("{}", "-".repeat(62));
    row("with a code", true, &ours_pos, &plain_pos);
    println!(
        "{:<14} | {:>7} {:>6.1} {:>6.1} | {:>7} {:>6.1} {:>6.1}",
        "all frames",
        format!("{} FP", ours_all.false_positives),
        ours_all.percentile(0.5),
        ours_all.percentile(0.95),
        format!("{} FP", plain_all.false_positives),
        plain_all.percentile(0.5),
        plain_all.percentile(0.95)
    );
    println!(
        "\nrate: frames whose login code was read and matched; FP: frames without our code that \
         yielded a payload (must be 0).\n"
    );

    let show = knob("QR_BENCH_SLOWEST", 0);
    if show > 0 {
        slowest.sort_unstable_by_key(|s| std::cmp::Reverse(s.0));
        println!("slowest frames (this decoder):");
        for (time, class, hit) in slowest.iter().take(show) {
            let what = if *hit { "read" } else { "nothing read" };
            println!(
                "  {:>6.1} ms  {class:<14} {what}",
                time.as_secs_f64() * 1000.0
            );
        }
        println!();
    }

    if knob("QR_BENCH_SIGNATURES", 1) != 0 {
        signatures();
    }
}

/// p256 (pure Rust) through the core crate's `sign_with` / `verify`, one core.
fn signatures() {
    let key = match p256::ecdsa::SigningKey::from_bytes(&[42u8; 32].into()) {
        Ok(key) => key,
        Err(_) => return println!("p256: could not make a key"),
    };
    let public = dinhdanh_core::crypto::PublicKey::from_verifying_key(key.verifying_key());
    let message = [7u8; 200]; // about the size of a signed action's canonical bytes
    let window = Duration::from_secs(1);

    let (mut signs, t) = (0u64, Instant::now());
    let mut signature = dinhdanh_core::crypto::sign_with(&key, &message);
    while t.elapsed() < window {
        signature = dinhdanh_core::crypto::sign_with(&key, &message);
        signs += 1;
    }
    let signs_per_s = signs as f64 / t.elapsed().as_secs_f64();

    let (mut verifies, mut failures, t) = (0u64, 0u64, Instant::now());
    while t.elapsed() < window {
        if dinhdanh_core::crypto::verify(&public, &message, &signature).is_err() {
            failures += 1;
        }
        verifies += 1;
    }
    let verifies_per_s = verifies as f64 / t.elapsed().as_secs_f64();
    println!(
        "p256 (RustCrypto, one core): sign {signs_per_s:>8.0}/s   verify {verifies_per_s:>8.0}/s   \
         ({failures} verification failures)"
    );
    println!(
        "A device signs a handful of times per action, so the client never feels this. The \
         ceiling that matters is the server's: every request carries a proof it verifies, and \
         sign-in and every confirmed action add one more, so one core verifies at most about \
         {verifies_per_s:.0} requests per second. `ring`/`aws-lc-rs` verify about three times \
         faster; switch the server's verification (not the device's signing) if that ever binds."
    );
}
