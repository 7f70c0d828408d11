//! A deterministic corpus of camera-like frames for the QR decoder, shared by the corpus test
//! (`tests/qr_corpus.rs`) and the bench (`benches/qr_decode.rs`).
//!
//! Each frame is 1280 × 720, grey, with background clutter (boxes, stripes, text-like rows,
//! and in blank frames fake finder patterns). A login code is rendered by the crate itself at
//! one pixel per module, then drawn through a homography (scale, rotation, perspective) with
//! 3 × 3 supersampling, as a screen seen by a camera would be; then the class's distortions
//! apply: blur, sensor noise, dim light with an illumination gradient. Same seed, same frames.

#![allow(dead_code)]

use dinhdanh_client::qr::render_luma;
use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::qr_login::{QrLoginPayload, RendezvousId};
use dinhdanh_core::signed_action::Origin;
use image::GrayImage;

pub const WIDTH: usize = 1280;
pub const HEIGHT: usize = 720;
pub const NOW: i64 = 1_750_000_000;

pub fn origin() -> Origin {
    Origin::parse("https://dinhdanh.example.vn").expect("valid origin")
}

/// What was done to a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Upright (±3°), sharp, well lit; only the size and place vary.
    Clean,
    /// Rotated by 3–20°.
    RotatedSmall,
    /// Rotated by 20–180°, either way.
    RotatedLarge,
    /// Seen at an angle: a trapezoid, up to a quarter of the side, plus ±15° rotation.
    Perspective,
    /// Out of focus: a two-pass box blur of radius 1–3 pixels (up to about half a module).
    Blurred,
    /// Sensor noise, σ 14–34 grey levels.
    Noisy,
    /// A dim, low-contrast frame (28–70 grey levels from black to white) under uneven light,
    /// with a little noise.
    Dim,
    /// A bit of everything: rotation, perspective, blur, noise and weak contrast.
    Combined,
    /// Clutter only, including square shapes like finder patterns: must never decode.
    NoCode,
    /// A QR code that is not ours (a web link), with mild distortions: must never decode.
    Foreign,
}

impl Class {
    pub const ALL: [Class; 10] = [
        Class::Clean,
        Class::RotatedSmall,
        Class::RotatedLarge,
        Class::Perspective,
        Class::Blurred,
        Class::Noisy,
        Class::Dim,
        Class::Combined,
        Class::NoCode,
        Class::Foreign,
    ];

    /// Whether frames of this class hold one of our login codes.
    pub fn has_login_code(self) -> bool {
        !matches!(self, Class::NoCode | Class::Foreign)
    }

    pub fn name(self) -> &'static str {
        match self {
            Class::Clean => "clean",
            Class::RotatedSmall => "rotated <20°",
            Class::RotatedLarge => "rotated ≥20°",
            Class::Perspective => "perspective",
            Class::Blurred => "blurred",
            Class::Noisy => "noisy",
            Class::Dim => "dim",
            Class::Combined => "combined",
            Class::NoCode => "no code",
            Class::Foreign => "foreign code",
        }
    }
}

/// One frame and what it holds.
pub struct Sample {
    pub class: Class,
    pub frame: GrayImage,
    /// The login code drawn in the frame, if any.
    pub expected: Option<QrLoginPayload>,
    /// The blur as one Gaussian σ in pixels (two box passes of the class's radius): with
    /// every code's module at least 4 pixels here, the bench's easy tier is σ ≤ 1.5.
    pub blur_sigma: f64,
}

/// `per_class` frames of every class, in a fixed order, from `seed`.
pub fn corpus(seed: u64, per_class: usize) -> Vec<Sample> {
    Class::ALL
        .iter()
        .flat_map(|&class| frames(seed, class, per_class))
        .collect()
}

/// `n` frames of one class; each class has its own stream, so a subset is cheap to make and
/// equal to the same class in [`corpus`].
pub fn frames(seed: u64, class: Class, n: usize) -> Vec<Sample> {
    let mut rng = Rng::new(seed ^ (class as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    (0..n).map(|_| sample(&mut rng, class)).collect()
}

/// A small, fast, seedable generator (SplitMix64): the corpus must be the same on every
/// machine and every run, without depending on a crate's stream staying stable.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in lo..hi.
    pub fn int(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo) as u64) as usize
    }

    pub fn sign(&mut self) -> f64 {
        if self.next_u64() & 1 == 0 { 1.0 } else { -1.0 }
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.next_u64() as u8;
        }
        out
    }
}

pub fn login_payload(rng: &mut Rng) -> QrLoginPayload {
    // Scalars drawn this way are below the curve order with overwhelming probability; the
    // fallback keeps the generator total anyway.
    let key = p256::ecdsa::SigningKey::from_bytes(&rng.bytes::<32>().into())
        .unwrap_or_else(|_| p256::ecdsa::SigningKey::from_bytes(&[1u8; 32].into()).unwrap());
    // Rendezvous ids of 16 to 32 bytes: codes of several QR versions, the longest the densest.
    let len = rng.int(16, 33);
    let id = rng.bytes::<32>();
    QrLoginPayload::new(
        RendezvousId::from_bytes(&id[..len]).unwrap(),
        PublicKey::from_verifying_key(key.verifying_key()),
        origin(),
        NOW + 120,
    )
    .unwrap()
}

/// A grey matrix of modules (quiet zone included), 0 dark and 255 light.
struct Modules {
    n: usize,
    cells: Vec<u8>,
}

fn modules_of(image: &GrayImage) -> Modules {
    Modules {
        n: image.width() as usize,
        cells: image.as_raw().clone(),
    }
}

fn foreign_modules(rng: &mut Rng) -> Modules {
    let links = [
        "https://example.com/",
        "https://shop.example.vn/san-pham/ao-dai?ref=qr&utm_source=poster",
        "WIFI:T:WPA;S:cafe-wifi;P:matkhau123;;",
        "dinhdanh://login?v=2&x=newer-format-but-not-something-we-accept",
        "https://dinhdanh.example.vn/login?v=1&r=AAAAAAAAAAAAAAAAAAAAAA",
    ];
    let text = links[rng.int(0, links.len())];
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).unwrap();
    modules_of(
        &code
            .render::<image::Luma<u8>>()
            .module_dimensions(1, 1)
            .build(),
    )
}

struct Params {
    side: f64,
    angle_deg: f64,
    perspective: f64,
    blur_radius: usize,
    noise_sigma: f64,
    /// Dark and light levels of the screen as the camera sees them.
    dark: f64,
    light: f64,
    /// Illumination falls off by up to this fraction across the frame.
    gradient: f64,
    /// The camera's exposure squeezes the frame's 0..=255 into this range (dim frames).
    exposure: Option<(f64, f64)>,
}

fn params(rng: &mut Rng, class: Class) -> Params {
    let mut p = Params {
        side: rng.range(230.0, 560.0),
        angle_deg: rng.range(-3.0, 3.0),
        perspective: 0.0,
        blur_radius: 0,
        noise_sigma: 2.0,
        dark: rng.range(10.0, 50.0),
        light: rng.range(190.0, 245.0),
        gradient: rng.range(0.0, 0.2),
        exposure: None,
    };
    match class {
        Class::Clean | Class::NoCode => {}
        Class::RotatedSmall => p.angle_deg = rng.sign() * rng.range(3.0, 20.0),
        Class::RotatedLarge => p.angle_deg = rng.sign() * rng.range(20.0, 180.0),
        Class::Perspective => {
            p.angle_deg = rng.range(-15.0, 15.0);
            p.perspective = rng.range(0.08, 0.25);
        }
        Class::Blurred => {
            p.side = rng.range(330.0, 600.0);
            p.blur_radius = rng.int(1, 4);
        }
        Class::Noisy => p.noise_sigma = rng.range(14.0, 34.0),
        Class::Dim => {
            let lo = rng.range(10.0, 35.0);
            p.exposure = Some((lo, lo + rng.range(28.0, 70.0)));
            p.gradient = rng.range(0.2, 0.5);
            p.noise_sigma = rng.range(2.0, 5.0);
        }
        Class::Combined => {
            p.side = rng.range(340.0, 600.0);
            p.angle_deg = rng.range(-40.0, 40.0);
            p.perspective = rng.range(0.0, 0.12);
            p.blur_radius = 1;
            p.noise_sigma = rng.range(6.0, 12.0);
            let lo = rng.range(20.0, 50.0);
            p.exposure = Some((lo, lo + rng.range(80.0, 140.0)));
            p.gradient = rng.range(0.1, 0.35);
        }
        Class::Foreign => {
            p.angle_deg = rng.range(-20.0, 20.0);
            p.noise_sigma = rng.range(2.0, 8.0);
        }
    }
    p
}

fn sample(rng: &mut Rng, class: Class) -> Sample {
    let p = params(rng, class);
    let mut canvas = clutter(rng, class == Class::NoCode);
    let (modules, expected) = match class {
        Class::NoCode => (None, None),
        Class::Foreign => (Some(foreign_modules(rng)), None),
        _ => {
            let payload = login_payload(rng);
            let image = render_luma(&payload, 1).unwrap();
            (Some(modules_of(&image)), Some(payload))
        }
    };
    if let Some(modules) = &modules {
        let quad = placement(rng, &p);
        draw(&mut canvas, modules, &quad, p.dark, p.light);
    }
    light(&mut canvas, rng, p.gradient);
    if let Some((lo, hi)) = p.exposure {
        // The camera's exposure: the whole frame is compressed into a narrow, dark range.
        for v in &mut canvas {
            *v = lo + (hi - lo) * (*v / 255.0);
        }
    }
    for _ in 0..2 {
        box_blur(&mut canvas, p.blur_radius);
    }
    let frame = GrayImage::from_raw(
        WIDTH as u32,
        HEIGHT as u32,
        canvas
            .iter()
            .map(|&v| {
                (v + p.noise_sigma * gaussian(rng))
                    .round()
                    .clamp(0.0, 255.0) as u8
            })
            .collect(),
    )
    .unwrap();
    // A box of 2r + 1 pixels has variance ((2r + 1)² − 1) / 12; two passes add.
    let r = p.blur_radius as f64;
    Sample {
        class,
        frame,
        expected,
        blur_sigma: (2.0 * ((2.0 * r + 1.0).powi(2) - 1.0) / 12.0).sqrt(),
    }
}

/// The four corners (top-left, top-right, bottom-right, bottom-left) of the code in the frame.
fn placement(rng: &mut Rng, p: &Params) -> [(f64, f64); 4] {
    let half = p.side / 2.0;
    let (sin, cos) = p.angle_deg.to_radians().sin_cos();
    // Seen at an angle, the far edge is shorter: shrink one edge of the square along itself.
    let shrink = 1.0 - p.perspective;
    let edge = rng.int(0, 4);
    let mut corners = [(-half, -half), (half, -half), (half, half), (-half, half)];
    for i in [edge, (edge + 1) % 4] {
        if edge & 1 == 0 {
            corners[i].0 *= shrink;
        } else {
            corners[i].1 *= shrink;
        }
    }
    let radius = half * std::f64::consts::SQRT_2;
    let cx = rng.range(
        radius.min(WIDTH as f64 / 2.0),
        (WIDTH as f64 - radius).max(WIDTH as f64 / 2.0),
    );
    let cy = rng.range(
        radius.min(HEIGHT as f64 / 2.0),
        (HEIGHT as f64 - radius).max(HEIGHT as f64 / 2.0),
    );
    corners.map(|(x, y)| (cx + x * cos - y * sin, cy + x * sin + y * cos))
}

/// Homography from the unit square to `quad` (Heckbert), as [a b c; d e f; g h 1].
pub fn square_to_quad(q: &[(f64, f64); 4]) -> [f64; 9] {
    let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = *q;
    let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
    let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
    let den = dx1 * dy2 - dx2 * dy1;
    let g = (sx * dy2 - dx2 * sy) / den;
    let h = (dx1 * sy - sx * dy1) / den;
    [
        x1 - x0 + g * x1,
        x3 - x0 + h * x3,
        x0,
        y1 - y0 + g * y1,
        y3 - y0 + h * y3,
        y0,
        g,
        h,
        1.0,
    ]
}

pub fn invert(m: &[f64; 9]) -> [f64; 9] {
    let [a, b, c, d, e, f, g, h, i] = *m;
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
    co.map(|v| v / det)
}

/// Draws the modules into the quad, 3 × 3 samples per pixel (a camera integrates light).
fn draw(canvas: &mut [f64], modules: &Modules, quad: &[(f64, f64); 4], dark: f64, light: f64) {
    let inv = invert(&square_to_quad(quad));
    let min_x = quad
        .iter()
        .map(|c| c.0)
        .fold(f64::MAX, f64::min)
        .floor()
        .max(0.0) as usize;
    let max_x = quad
        .iter()
        .map(|c| c.0)
        .fold(f64::MIN, f64::max)
        .ceil()
        .min(WIDTH as f64) as usize;
    let min_y = quad
        .iter()
        .map(|c| c.1)
        .fold(f64::MAX, f64::min)
        .floor()
        .max(0.0) as usize;
    let max_y = quad
        .iter()
        .map(|c| c.1)
        .fold(f64::MIN, f64::max)
        .ceil()
        .min(HEIGHT as f64) as usize;
    let n = modules.n as f64;
    for y in min_y..max_y {
        for x in min_x..max_x {
            let mut inside = 0u32;
            let mut sum = 0.0;
            for sy in 0..3 {
                for sx in 0..3 {
                    let (fx, fy) = (
                        x as f64 + (sx as f64 + 0.5) / 3.0,
                        y as f64 + (sy as f64 + 0.5) / 3.0,
                    );
                    let w = inv[6] * fx + inv[7] * fy + inv[8];
                    let u = (inv[0] * fx + inv[1] * fy + inv[2]) / w;
                    let v = (inv[3] * fx + inv[4] * fy + inv[5]) / w;
                    if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) {
                        inside += 1;
                        let cell = modules.cells[(v * n) as usize * modules.n + (u * n) as usize];
                        sum += if cell < 128 { dark } else { light };
                    }
                }
            }
            if inside > 0 {
                let i = y * WIDTH + x;
                canvas[i] = (sum + canvas[i] * f64::from(9 - inside)) / 9.0;
            }
        }
    }
}

/// Background: mid-grey boxes, stripes and rows of "text"; `fakes` adds nested squares that
/// look like finder patterns, to tempt the detector.
fn clutter(rng: &mut Rng, fakes: bool) -> Vec<f64> {
    let base = rng.range(60.0, 200.0);
    let mut c = vec![base; WIDTH * HEIGHT];
    let rect = |c: &mut Vec<f64>, x0: usize, y0: usize, w: usize, h: usize, v: f64| {
        for y in y0..(y0 + h).min(HEIGHT) {
            for x in x0..(x0 + w).min(WIDTH) {
                c[y * WIDTH + x] = v;
            }
        }
    };
    for _ in 0..rng.int(8, 20) {
        let (x, y) = (rng.int(0, WIDTH), rng.int(0, HEIGHT));
        let (w, h) = (rng.int(20, 400), rng.int(20, 300));
        let v = rng.range(0.0, 255.0);
        if rng.unit() < 0.3 {
            // Stripes.
            let period = rng.int(4, 30);
            for y2 in y..(y + h).min(HEIGHT) {
                for x2 in x..(x + w).min(WIDTH) {
                    if (x2 / period) & 1 == 0 {
                        c[y2 * WIDTH + x2] = v;
                    }
                }
            }
        } else {
            rect(&mut c, x, y, w, h, v);
        }
    }
    for _ in 0..rng.int(2, 6) {
        // A paragraph: rows of word-sized dark marks.
        let (x0, y0) = (rng.int(0, WIDTH - 200), rng.int(0, HEIGHT - 100));
        let size = rng.int(6, 16);
        let ink = rng.range(0.0, 60.0);
        for line in 0..rng.int(3, 8) {
            let mut x = x0;
            while x < (x0 + rng.int(150, 400)).min(WIDTH) {
                let w = rng.int(size, size * 5);
                rect(&mut c, x, y0 + line * size * 2, w, size, ink);
                x += w + size / 2 + 1;
            }
        }
    }
    if fakes {
        for _ in 0..rng.int(1, 4) {
            // 7:5:3 nested squares: a lone finder pattern.
            let m = rng.int(3, 9);
            let (x, y) = (rng.int(0, WIDTH - 9 * m), rng.int(0, HEIGHT - 9 * m));
            rect(&mut c, x, y, 9 * m, 9 * m, 235.0);
            rect(&mut c, x + m, y + m, 7 * m, 7 * m, 20.0);
            rect(&mut c, x + 2 * m, y + 2 * m, 5 * m, 5 * m, 235.0);
            rect(&mut c, x + 3 * m, y + 3 * m, 3 * m, 3 * m, 20.0);
        }
    }
    c
}

/// Multiplies by a linear illumination ramp losing up to `fraction` of the light.
fn light(canvas: &mut [f64], rng: &mut Rng, fraction: f64) {
    let angle = rng.range(0.0, std::f64::consts::TAU);
    let (dx, dy) = (angle.cos(), angle.sin());
    let span = WIDTH as f64 * dx.abs() + HEIGHT as f64 * dy.abs();
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let t = ((x as f64 - WIDTH as f64 / 2.0) * dx + (y as f64 - HEIGHT as f64 / 2.0) * dy)
                / span
                + 0.5;
            canvas[y * WIDTH + x] *= 1.0 - fraction * t;
        }
    }
}

fn box_blur(canvas: &mut [f64], r: usize) {
    if r == 0 {
        return;
    }
    let n = (2 * r + 1) as f64;
    let mut tmp = vec![0.0; canvas.len()];
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let mut s = 0.0;
            for k in 0..=2 * r {
                let xx = (x + k).saturating_sub(r).min(WIDTH - 1);
                s += canvas[y * WIDTH + xx];
            }
            tmp[y * WIDTH + x] = s / n;
        }
    }
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let mut s = 0.0;
            for k in 0..=2 * r {
                let yy = (y + k).saturating_sub(r).min(HEIGHT - 1);
                s += tmp[yy * WIDTH + x];
            }
            canvas[y * WIDTH + x] = s / n;
        }
    }
}

/// Approximately standard normal (Irwin–Hall, four uniforms).
pub fn gaussian(rng: &mut Rng) -> f64 {
    let s: f64 = (0..4).map(|_| rng.unit()).sum();
    (s - 2.0) * 3f64.sqrt()
}
