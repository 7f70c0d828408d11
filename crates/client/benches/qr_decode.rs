//! QR decoding bench: this crate's decoder beside zxing-cpp, measured in the same run on the
//! same frames, on every corpus and tier, with ratios. Then p256 signatures per second.
//!
//! `taskset -c 1 cargo bench -p dinhdanh-client --bench qr_decode` (a plain binary printing a
//! table; pin it to one core: zxing-cpp runs in a child process that inherits the pinning).
//!
//! The frames (1280 × 720, grey) are generated from seeds at start-up, never stored:
//! - `tuned`: the test corpus (`tests/support/corpus.rs`) the decoder's ladder was first
//!   tuned on;
//! - `screen`, `paper`, `night` (`benches/qr/`): three generators on other models (a laptop
//!   screen's sub-pixels and moiré; printed paper at a tilt with shadow and finger; low light,
//!   motion blur, noise and hard JPEG);
//! - `glare` (held out): printed only with `QR_BENCH_HELDOUT=1`, and looked at only after a
//!   change is made, never while choosing its thresholds.
//!
//! Each corpus also holds frames without a code and frames with somebody else's code: a
//! payload read from those is a false accept, and must stay 0 for every decoder that the app
//! would trust (the strict payload parser is applied to zxing-cpp's texts too).
//!
//! zxing-cpp is the PyPI wheel read through `benches/qr/zxing_reader.py`, which times only
//! its `read_barcodes` call, in process. The bench installs the wheel (pinned, [`ZXING_CPP`])
//! into a virtual environment of its own beside the build, `<target>/qr-bench-venv`, the first
//! time it runs (`python3 -m venv`, then pip); set `QR_BENCH_PYTHON` to an interpreter that
//! has the wheel to use that instead. (The `rxing` crate, a Rust port, was not
//! used: the baseline is the reader the issue measured, and a port's rates and times are its
//! own.) Without the wheel the bench says so and prints this decoder alone.
//!
//! Knobs: `QR_BENCH_FRAMES` (frames with a code per generated corpus, default 60; a sixth
//! as many again without one and with a foreign code), `QR_BENCH_TUNED_PER_CLASS` (default
//! 20), `QR_BENCH_REPEATS` (each decode is timed this many times and the fastest kept,
//! default 3), `QR_BENCH_PLAIN=1` (adds plain rqrr from crates.io), `QR_BENCH_SIGNATURES=0`.

#[path = "../tests/support/corpus.rs"]
mod corpus;
mod qr;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use corpus::{NOW, origin};
use dinhdanh_client::qr::decode_login;
use dinhdanh_core::qr_login::QrLoginPayload;
use qr::scene::{Frame, Kind};

const SEED: u64 = 0xBE4C_D1D1_2024_0069;

/// `name` from the environment as a number, else `default`.
fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one decoder made of one frame: the texts it read and the time it took.
struct Reading {
    texts: Vec<String>,
    time: Duration,
}

/// A reader under test.
trait Reader {
    fn name(&self) -> &str;
    fn read(&mut self, frame: &image::GrayImage, repeats: usize) -> Reading;
}

/// This crate's decoder, as the app calls it: only a checked login payload comes out.
struct Ours;

impl Reader for Ours {
    fn name(&self) -> &str {
        "this decoder"
    }

    fn read(&mut self, frame: &image::GrayImage, repeats: usize) -> Reading {
        let origin = origin();
        let (text, time) = timed(repeats, || {
            decode_login(frame, NOW, &origin).ok().map(|p| p.to_uri())
        });
        Reading {
            texts: text.into_iter().collect(),
            time,
        }
    }
}

/// Plain `rqrr` from crates.io: its own row-wise threshold on the full frame, every grid
/// decoded.
struct PlainRqrr;

impl Reader for PlainRqrr {
    fn name(&self) -> &str {
        "plain rqrr"
    }

    fn read(&mut self, frame: &image::GrayImage, repeats: usize) -> Reading {
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let px = frame.as_raw();
        let (texts, time) = timed(repeats, || {
            let mut prepared =
                rqrr_upstream::PreparedImage::prepare_from_greyscale(w, h, |x, y| px[y * w + x]);
            prepared
                .detect_grids()
                .iter()
                .filter_map(|g| g.decode().ok())
                .map(|(_, text)| text)
                .collect::<Vec<_>>()
        });
        Reading { texts, time }
    }
}

/// zxing-cpp in a Python child process (see the module documentation).
struct Zxing {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    label: String,
}

impl Zxing {
    fn start() -> Result<Zxing, String> {
        let python = match std::env::var("QR_BENCH_PYTHON") {
            Ok(python) => python,
            Err(_) => bench_venv()?,
        };
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/qr/zxing_reader.py");
        let mut child = Command::new(&python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start {python}: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .map_err(|e| format!("zxing-cpp reader: {e}"))?;
        let hello: serde_json::Value =
            serde_json::from_str(&line).map_err(|_| format!("zxing-cpp reader said {line:?}"))?;
        match hello.get("ready").and_then(|v| v.as_str()) {
            Some(version) => Ok(Zxing {
                child,
                stdin,
                stdout,
                label: format!("zxing-cpp {version}"),
            }),
            None => Err(hello
                .get("error")
                .and_then(|v| v.as_str())
                .unwrap_or("zxing-cpp reader failed")
                .to_string()),
        }
    }
}

/// The version of the wheel the bench installs: pinned, so runs on different days compare.
const ZXING_CPP: &str = "zxing-cpp==3.1.1";

/// The interpreter of the bench's own virtual environment, `<target>/qr-bench-venv`, made
/// with `python3 -m venv` and the pinned wheel installed by pip the first time (a fresh
/// machine's Python has no zxing-cpp, and a system interpreter may refuse pip installs).
fn bench_venv() -> Result<String, String> {
    // The bench runs as <target>/release/deps/qr_decode-<hash>.
    let exe = std::env::current_exe().map_err(|e| format!("no path to the bench: {e}"))?;
    let target = exe
        .ancestors()
        .nth(3)
        .ok_or("the bench is not inside a target directory")?;
    let venv = target.join("qr-bench-venv");
    let python = venv.join("bin").join("python");
    let ready = venv.join(format!("{ZXING_CPP}.installed"));
    if !ready.exists() {
        println!("setting up {} with {ZXING_CPP} (once)", venv.display());
        let run = |cmd: &mut Command| -> Result<(), String> {
            match cmd.stdout(Stdio::null()).status() {
                Ok(s) if s.success() => Ok(()),
                Ok(s) => Err(format!("{cmd:?} failed ({s})")),
                Err(e) => Err(format!("{cmd:?}: {e}")),
            }
        };
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", ZXING_CPP]))?;
        std::fs::write(&ready, b"").map_err(|e| e.to_string())?;
    }
    Ok(python.to_string_lossy().into_owned())
}

impl Reader for Zxing {
    fn name(&self) -> &str {
        &self.label
    }

    fn read(&mut self, frame: &image::GrayImage, repeats: usize) -> Reading {
        let mut message = Vec::with_capacity(12 + frame.as_raw().len());
        for v in [frame.width(), frame.height(), repeats as u32] {
            message.extend_from_slice(&v.to_le_bytes());
        }
        message.extend_from_slice(frame.as_raw());
        let mut line = String::new();
        let answer = self
            .stdin
            .write_all(&message)
            .and_then(|_| self.stdin.flush())
            .and_then(|_| self.stdout.read_line(&mut line));
        let parsed: Option<serde_json::Value> =
            answer.ok().and_then(|_| serde_json::from_str(&line).ok());
        let Some(parsed) = parsed else {
            panic!("the zxing-cpp reader stopped answering: {line:?}");
        };
        let ms = parsed.get("ms").and_then(|v| v.as_f64()).unwrap_or(0.0);
        let texts = parsed
            .get("texts")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Reading {
            texts,
            time: Duration::from_secs_f64(ms / 1000.0),
        }
    }
}

impl Drop for Zxing {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `f` `repeats` times and keeps the fastest: on a shared machine, the minimum is the
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

/// What a reading means for a frame: read (the expected code), a false accept (a login
/// payload the app would act on that is not the expected one), or nothing.
fn judge(frame: &Frame, reading: &Reading) -> (bool, bool) {
    let origin = origin();
    let accepted: Vec<&String> = reading
        .texts
        .iter()
        .filter(|t| QrLoginPayload::parse(t).is_ok_and(|p| p.check(NOW, &origin).is_ok()))
        .collect();
    let read = frame
        .expected
        .as_ref()
        .is_some_and(|e| accepted.contains(&e));
    let false_accept = accepted.iter().any(|t| frame.expected.as_ref() != Some(*t));
    (read, false_accept)
}

#[derive(Default, Clone)]
struct Tally {
    frames: usize,
    read: usize,
    false_accepts: usize,
    times: Vec<Duration>,
}

impl Tally {
    fn add(&mut self, read: bool, false_accept: bool, time: Duration) {
        self.frames += 1;
        self.read += usize::from(read);
        self.false_accepts += usize::from(false_accept);
        self.times.push(time);
    }

    fn merge(&mut self, other: &Tally) {
        self.frames += other.frames;
        self.read += other.read;
        self.false_accepts += other.false_accepts;
        self.times.extend_from_slice(&other.times);
    }

    fn ms(&self, p: f64) -> f64 {
        let mut t = self.times.clone();
        t.sort_unstable();
        let i = ((t.len() as f64 - 1.0) * p).round() as usize;
        t.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }

    fn rate(&self) -> f64 {
        self.read as f64 / self.frames.max(1) as f64
    }
}

/// Per decoder: easy, hard, and frames without our code.
#[derive(Default, Clone)]
struct Tiers {
    easy: Tally,
    hard: Tally,
    none: Tally,
}

impl Tiers {
    fn with_code(&self) -> Tally {
        let mut all = self.easy.clone();
        all.merge(&self.hard);
        all
    }

    fn merge(&mut self, o: &Tiers) {
        self.easy.merge(&o.easy);
        self.hard.merge(&o.hard);
        self.none.merge(&o.none);
    }
}

fn run(frames: &[Frame], readers: &mut [Box<dyn Reader>], repeats: usize) -> Vec<Tiers> {
    let mut tiers = vec![Tiers::default(); readers.len()];
    for frame in frames {
        for (reader, tiers) in readers.iter_mut().zip(tiers.iter_mut()) {
            let reading = reader.read(&frame.frame, repeats);
            let (read, false_accept) = judge(frame, &reading);
            let tally = match frame.kind {
                Kind::Code { easy: true } => &mut tiers.easy,
                Kind::Code { easy: false } => &mut tiers.hard,
                Kind::NoCode | Kind::Foreign => &mut tiers.none,
            };
            tally.add(read, false_accept, reading.time);
        }
    }
    tiers
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "-".into()
    }
}

fn print_header(readers: &[Box<dyn Reader>]) {
    print!("{:<22}", "corpus / tier");
    for r in readers {
        print!(" | {:^26}", r.name());
    }
    if readers.len() > 1 {
        print!(" | {:^22}", "ours / zxing-cpp");
    }
    println!();
    print!("{:<22}", "");
    for _ in readers {
        print!(" | {:>11} {:>6} {:>7}", "read", "p50ms", "p95ms");
    }
    if readers.len() > 1 {
        print!(" | {:>6} {:>7} {:>7}", "read", "p50", "p95");
    }
    println!();
    println!("{}", "-".repeat(22 + readers.len() * 29 + 25));
}

fn print_corpus(name: &str, tiers: &[Tiers]) {
    let row = |label: &str, pick: &dyn Fn(&Tiers) -> Tally, none: bool| {
        print!("{:<22}", format!("{name} {label}"));
        let tallies: Vec<Tally> = tiers.iter().map(pick).collect();
        for t in &tallies {
            let read = if none {
                format!("{} FA/{}", t.false_accepts, t.frames)
            } else {
                format!("{}/{} {:>3.0}%", t.read, t.frames, 100.0 * t.rate())
            };
            print!(" | {:>11} {:>6.1} {:>7.1}", read, t.ms(0.5), t.ms(0.95));
        }
        if let [ours, zx, ..] = tallies.as_slice() {
            let read = if none {
                String::new()
            } else {
                ratio(ours.rate(), zx.rate())
            };
            print!(
                " | {:>6} {:>7} {:>7}",
                read,
                ratio(ours.ms(0.5), zx.ms(0.5)),
                ratio(ours.ms(0.95), zx.ms(0.95))
            );
        }
        println!();
    };
    row("easy", &|t| t.easy.clone(), false);
    row("hard", &|t| t.hard.clone(), false);
    row("with a code", &|t| t.with_code(), false);
    row("no/foreign code", &|t| t.none.clone(), true);
    let worst = tiers[0].none.ms(1.0);
    let worst_any = tiers[0].with_code().ms(1.0).max(worst);
    println!(
        "{:<22}   slowest frame without our code {worst:.1} ms, slowest of all {worst_any:.1} ms",
        ""
    );
}

fn tuned_corpus(per_class: usize) -> Vec<Frame> {
    corpus::corpus(SEED, per_class)
        .into_iter()
        .map(|s| Frame {
            kind: if s.class == corpus::Class::NoCode {
                Kind::NoCode
            } else if s.class == corpus::Class::Foreign {
                Kind::Foreign
            } else {
                // Every code there has modules of at least 4 pixels.
                Kind::Code {
                    easy: s.blur_sigma <= 1.5,
                }
            },
            expected: s.expected.map(|p| p.to_uri()),
            frame: s.frame,
        })
        .collect()
}

fn main() {
    let started = Instant::now();
    let n = knob("QR_BENCH_FRAMES", 60);
    let repeats = knob("QR_BENCH_REPEATS", 3).max(1);
    let heldout = knob("QR_BENCH_HELDOUT", 0) != 0;
    // QR_BENCH_CORPORA=screen,paper runs only those (a quicker loop while working).
    let only = std::env::var("QR_BENCH_CORPORA").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|o| o == name);
    let mut corpora: Vec<(&str, Vec<Frame>)> = Vec::new();
    let tuned_per_class = knob("QR_BENCH_TUNED_PER_CLASS", 20);
    let makers: [(&str, &dyn Fn() -> Vec<Frame>); 4] = [
        ("tuned", &|| tuned_corpus(tuned_per_class)),
        ("screen", &|| qr::screen::corpus(SEED, n)),
        ("paper", &|| qr::paper::corpus(SEED, n)),
        ("night", &|| qr::night::corpus(SEED, n)),
    ];
    for (name, make) in makers {
        if wanted(name) {
            corpora.push((name, make()));
        }
    }
    if heldout {
        corpora.push(("glare*", qr::glare::corpus(SEED, n)));
    }
    let count: usize = corpora.iter().map(|c| c.1.len()).sum();
    println!(
        "QR decode bench: {count} frames of {}x{} in {} corpora, generated in {:.1} s; each \
         decode the fastest of {repeats}; run it pinned to one core (taskset -c 1).",
        qr::scene::W,
        qr::scene::H,
        corpora.len(),
        started.elapsed().as_secs_f64()
    );

    #[cfg(feature = "qr-trace")]
    if knob("QR_BENCH_TRACE", 0) != 0 {
        return trace(&corpora);
    }

    let mut readers: Vec<Box<dyn Reader>> = vec![Box::new(Ours)];
    match Zxing::start() {
        Ok(z) => readers.push(Box::new(z)),
        Err(e) => println!("zxing-cpp baseline unavailable: {e}"),
    }
    if knob("QR_BENCH_PLAIN", 0) != 0 {
        readers.push(Box::new(PlainRqrr));
    }
    println!();
    print_header(&readers);
    let mut generated = vec![Tiers::default(); readers.len()];
    for (name, frames) in &corpora {
        let tiers = run(frames, &mut readers, repeats);
        print_corpus(name, &tiers);
        if *name != "tuned" && !name.ends_with('*') {
            for (g, t) in generated.iter_mut().zip(&tiers) {
                g.merge(t);
            }
        }
    }
    println!("{}", "-".repeat(22 + readers.len() * 29 + 25));
    print_corpus("3 new", &generated);
    println!(
        "\nread: frames whose login code came out exactly; FA: frames without our code that gave \
         a login payload the app would accept (must be 0). Times over frames with a code, except \
         the no/foreign row. easy: module ≥ 3 px and blur σ ≤ 1.5 px. Ratios: ours / zxing-cpp \
         (read: ≥ 1 is better; times: ≤ 1 is better). {}",
        if heldout {
            "* held out: never used to choose a threshold."
        } else {
            "The held-out corpus is printed with QR_BENCH_HELDOUT=1."
        }
    );
    println!("total {:.0} s\n", started.elapsed().as_secs_f64());

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

/// `QR_BENCH_TRACE=1` with `--features qr-trace`: each attempt of the ladder run on its own on
/// every frame with a code: how many it reads, how many no attempt before it reads, its time.
#[cfg(feature = "qr-trace")]
fn trace(corpora: &[(&str, Vec<Frame>)]) {
    for (name, frames) in corpora {
        // name -> (reads, first reads, times)
        let mut rows: Vec<(&'static str, usize, usize, Vec<Duration>)> = Vec::new();
        let mut coded = 0;
        for frame in frames {
            let Some(expected) = &frame.expected else {
                continue;
            };
            coded += 1;
            let mut first = true;
            for (i, (attempt, time, read)) in dinhdanh_client::qr::trace(&frame.frame)
                .into_iter()
                .enumerate()
            {
                if rows.len() <= i {
                    rows.push((attempt, 0, 0, Vec::new()));
                }
                let ok = read.iter().any(|b| b.as_slice() == expected.as_bytes());
                rows[i].1 += usize::from(ok);
                rows[i].2 += usize::from(ok && first);
                first &= !ok;
                rows[i].3.push(time);
            }
        }
        println!("{name}: {coded} frames with a code");
        for (attempt, reads, firsts, mut times) in rows {
            times.sort_unstable();
            let ms = |p: f64| {
                let i = ((times.len() as f64 - 1.0) * p).round() as usize;
                times.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
            };
            println!(
                "  {attempt:<20} reads {reads:>3}  first {firsts:>3}  p50 {:>6.2} ms  p95 {:>6.2} ms",
                ms(0.5),
                ms(0.95)
            );
        }
    }
}
