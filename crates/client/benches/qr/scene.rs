//! What the bench's generators share: a float canvas, codes as module matrices, drawing a
//! flat picture through a homography with supersampling, and the camera's own damage (defocus,
//! motion blur, noise, gamma, JPEG). Each generator (`screen.rs`, `paper.rs`, `night.rs`,
//! `glare.rs`) composes these in its own way; none of them shares the test corpus's
//! (`tests/support/corpus.rs`) model.

use dinhdanh_client::qr::render_luma;
use dinhdanh_core::qr_login::QrLoginPayload;
use image::GrayImage;

use crate::corpus::{Rng, gaussian, invert, login_payload, square_to_quad};

pub const W: usize = 1280;
pub const H: usize = 720;

/// What a generated frame holds, and how hard it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Our login code. Easy when its module is at least 3 pixels and the blur (defocus and
    /// motion, as one Gaussian σ) at most 1.5 pixels: the tiers.
    Code { easy: bool },
    /// No QR code at all (clutter, and shapes like finder patterns).
    NoCode,
    /// Somebody else's QR code: it must never come out as a login.
    Foreign,
}

/// One generated frame.
pub struct Frame {
    pub kind: Kind,
    pub frame: GrayImage,
    /// The login code's URI, when the frame holds one.
    pub expected: Option<String>,
}

/// The easy tier's bounds (see [`Kind::Code`]).
pub fn easy(module_px: f64, blur_sigma: f64) -> bool {
    module_px >= 3.0 && blur_sigma <= 1.5
}

/// σ of a box (a motion streak) of `length` pixels.
pub fn streak_sigma(length: f64) -> f64 {
    length / 12f64.sqrt()
}

/// Square matrix of modules with the four-module quiet zone: `true` is dark.
pub struct Modules {
    pub n: usize,
    dark: Vec<bool>,
}

impl Modules {
    pub fn dark(&self, x: usize, y: usize) -> bool {
        x < self.n && y < self.n && self.dark[y * self.n + x]
    }

    fn from_image(image: &GrayImage) -> Modules {
        Modules {
            n: image.width() as usize,
            dark: image.as_raw().iter().map(|&v| v < 128).collect(),
        }
    }

    /// Our login code exactly as the app renders it.
    pub fn login(payload: &QrLoginPayload) -> Modules {
        Modules::from_image(&render_luma(payload, 1).expect("renders"))
    }

    /// A code that is not ours: links, Wi-Fi, a look-alike of our scheme.
    pub fn foreign(rng: &mut Rng) -> Modules {
        let texts = [
            "https://example.com/",
            "https://shop.example.vn/san-pham/non-la?ref=qr&utm_source=poster&utm_medium=print",
            "WIFI:T:WPA;S:quan-ca-phe;P:matkhau2024;;",
            "dinhdanh://login?v=9&r=AAAAAAAAAAAAAAAAAAAAAA&k=x",
            "https://dinhdanh.example.vn/login?v=1&r=AAAAAAAAAAAAAAAAAAAAAA",
            "00020101021238570010A00000072701270006970436011300123456789020208QRIBFTTA53037045802VN6304ABCD",
        ];
        let text = texts[rng.int(0, texts.len())];
        let levels = [qrcode::EcLevel::L, qrcode::EcLevel::M, qrcode::EcLevel::Q];
        let code =
            qrcode::QrCode::with_error_correction_level(text, levels[rng.int(0, 3)]).expect("fits");
        Modules::from_image(
            &code
                .render::<image::Luma<u8>>()
                .module_dimensions(1, 1)
                .build(),
        )
    }
}

/// A grey frame in floating point (0 black, 255 white, may exceed both before the end).
pub struct Canvas {
    pub px: Vec<f32>,
}

impl Canvas {
    pub fn filled(v: f32) -> Canvas {
        Canvas { px: vec![v; W * H] }
    }

    pub fn at(&mut self, x: usize, y: usize) -> &mut f32 {
        &mut self.px[y * W + x]
    }

    pub fn rect(&mut self, x0: usize, y0: usize, w: usize, h: usize, v: f32) {
        for y in y0.min(H)..(y0 + h).min(H) {
            self.px[y * W + x0.min(W)..y * W + (x0 + w).min(W)].fill(v);
        }
    }

    /// Background clutter: boxes, rows of "text" and, when `fakes`, lone finder-pattern
    /// look-alikes (nested 1:1:3:1:1 squares) to tempt a detector.
    pub fn clutter(&mut self, rng: &mut Rng, fakes: bool) {
        for _ in 0..rng.int(6, 16) {
            let (x, y) = (rng.int(0, W), rng.int(0, H));
            let v = rng.range(0.0, 255.0) as f32;
            self.rect(x, y, rng.int(10, 300), rng.int(10, 200), v);
        }
        for _ in 0..rng.int(1, 5) {
            let (x0, y0) = (rng.int(0, W - 100), rng.int(0, H - 60));
            let size = rng.int(5, 14);
            let ink = rng.range(0.0, 70.0) as f32;
            for line in 0..rng.int(2, 7) {
                let mut x = x0;
                let end = (x0 + rng.int(100, 400)).min(W);
                while x < end {
                    let w = rng.int(size, size * 5);
                    self.rect(x, y0 + line * size * 2, w, size, ink);
                    x += w + size / 2 + 1;
                }
            }
        }
        if fakes {
            for _ in 0..rng.int(1, 4) {
                let m = rng.int(2, 9);
                let (x, y) = (rng.int(0, W - 9 * m), rng.int(0, H - 9 * m));
                self.rect(x, y, 9 * m, 9 * m, 230.0);
                self.rect(x + m, y + m, 7 * m, 7 * m, 25.0);
                self.rect(x + 2 * m, y + 2 * m, 5 * m, 5 * m, 230.0);
                self.rect(x + 3 * m, y + 3 * m, 3 * m, 3 * m, 25.0);
            }
        }
    }

    /// Draws the flat picture `f(u, v)` (u, v in [0, 1)) into `quad`, averaging `ss × ss`
    /// samples per pixel; pixels partly covered keep the rest of what was under them.
    pub fn draw(&mut self, quad: &Quad, ss: usize, f: impl Fn(f64, f64) -> f32) {
        let inv = invert(&square_to_quad(quad));
        let (x0, x1, y0, y1) = bounds(quad);
        let total = (ss * ss) as f32;
        for y in y0..y1 {
            for x in x0..x1 {
                let (mut inside, mut sum) = (0u32, 0f32);
                for sy in 0..ss {
                    for sx in 0..ss {
                        let fx = x as f64 + (sx as f64 + 0.5) / ss as f64;
                        let fy = y as f64 + (sy as f64 + 0.5) / ss as f64;
                        let w = inv[6] * fx + inv[7] * fy + inv[8];
                        let u = (inv[0] * fx + inv[1] * fy + inv[2]) / w;
                        let v = (inv[3] * fx + inv[4] * fy + inv[5]) / w;
                        if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) {
                            inside += 1;
                            sum += f(u, v);
                        }
                    }
                }
                if inside > 0 {
                    let p = &mut self.px[y * W + x];
                    *p = (sum + *p * (total - inside as f32)) / total;
                }
            }
        }
    }

    /// Separable Gaussian blur (defocus), edges clamped.
    pub fn gaussian(&mut self, sigma: f64) {
        if sigma < 0.2 {
            return;
        }
        let r = (sigma * 3.0).ceil() as isize;
        let k: Vec<f32> = (-r..=r)
            .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32)
            .collect();
        let norm: f32 = k.iter().sum();
        let k: Vec<f32> = k.iter().map(|v| v / norm).collect();
        let mut tmp = vec![0f32; W * H];
        for y in 0..H {
            for x in 0..W {
                let mut s = 0.0;
                for (i, kv) in k.iter().enumerate() {
                    let xx = (x as isize + i as isize - r).clamp(0, W as isize - 1) as usize;
                    s += kv * self.px[y * W + xx];
                }
                tmp[y * W + x] = s;
            }
        }
        for y in 0..H {
            for x in 0..W {
                let mut s = 0.0;
                for (i, kv) in k.iter().enumerate() {
                    let yy = (y as isize + i as isize - r).clamp(0, H as isize - 1) as usize;
                    s += kv * tmp[yy * W + x];
                }
                self.px[y * W + x] = s;
            }
        }
    }

    /// A straight motion streak of `length` pixels at `angle` (radians): the mean of the
    /// picture along the path, sampled bilinearly.
    pub fn motion(&mut self, length: f64, angle: f64) {
        if length < 1.0 {
            return;
        }
        let steps = (length.ceil() as usize).max(2) + 1;
        let (dx, dy) = (angle.cos(), angle.sin());
        let offsets: Vec<(f64, f64)> = (0..steps)
            .map(|i| {
                let t = (i as f64 / (steps - 1) as f64 - 0.5) * length;
                (t * dx, t * dy)
            })
            .collect();
        let src = self.px.clone();
        let get = |x: f64, y: f64| -> f32 {
            let x = x.clamp(0.0, (W - 1) as f64);
            let y = y.clamp(0.0, (H - 1) as f64);
            let (x0, y0) = (x.floor() as usize, y.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(W - 1), (y0 + 1).min(H - 1));
            let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
            let top = src[y0 * W + x0] * (1.0 - fx) + src[y0 * W + x1] * fx;
            let bottom = src[y1 * W + x0] * (1.0 - fx) + src[y1 * W + x1] * fx;
            top * (1.0 - fy) + bottom * fy
        };
        for y in 0..H {
            for x in 0..W {
                let s: f32 = offsets
                    .iter()
                    .map(|&(ox, oy)| get(x as f64 + ox, y as f64 + oy))
                    .sum();
                self.px[y * W + x] = s / steps as f32;
            }
        }
    }

    /// Multiplies by a linear light ramp across the frame losing up to `fraction`.
    pub fn ramp(&mut self, rng: &mut Rng, fraction: f64) {
        let a = rng.range(0.0, std::f64::consts::TAU);
        let (dx, dy) = (a.cos(), a.sin());
        let span = W as f64 * dx.abs() + H as f64 * dy.abs();
        for y in 0..H {
            for x in 0..W {
                let t = ((x as f64 - W as f64 / 2.0) * dx + (y as f64 - H as f64 / 2.0) * dy)
                    / span
                    + 0.5;
                self.px[y * W + x] *= (1.0 - fraction * t) as f32;
            }
        }
    }

    /// Adds a soft bright spot (a lamp's reflection): `strength` at the centre, falling off
    /// as a Gaussian of radii `rx`, `ry` turned by `angle`.
    pub fn glare(&mut self, cx: f64, cy: f64, rx: f64, ry: f64, angle: f64, strength: f64) {
        let (s, c) = angle.sin_cos();
        let reach = 3.0 * rx.max(ry);
        let (x0, x1) = (
            (cx - reach).max(0.0) as usize,
            ((cx + reach).max(0.0) as usize).min(W),
        );
        let (y0, y1) = (
            (cy - reach).max(0.0) as usize,
            ((cy + reach).max(0.0) as usize).min(H),
        );
        for y in y0..y1 {
            for x in x0..x1 {
                let (dx, dy) = (x as f64 - cx, y as f64 - cy);
                let (u, v) = ((dx * c + dy * s) / rx, (-dx * s + dy * c) / ry);
                self.px[y * W + x] += (strength * (-(u * u + v * v) / 2.0).exp()) as f32;
            }
        }
    }

    /// The sensor: noise of σ `read` plus shot noise growing with the light (σ² = gain · v),
    /// then clipping and 8 bits.
    pub fn expose(self, rng: &mut Rng, read: f64, gain: f64) -> Vec<u8> {
        self.px
            .iter()
            .map(|&v| {
                let v = f64::from(v).max(0.0);
                let sigma = (read * read + gain * v).sqrt();
                (v + sigma * gaussian(rng)).round().clamp(0.0, 255.0) as u8
            })
            .collect()
    }
}

/// Raises to `1/gamma` after normalising by `white` (the camera's tone curve brightening a
/// dark frame, noise included).
pub fn tone(px: &mut [u8], white: f64, gamma: f64) {
    let table: Vec<u8> = (0..256)
        .map(|v| {
            (255.0 * (f64::from(v) / white).min(1.0).powf(1.0 / gamma))
                .round()
                .clamp(0.0, 255.0) as u8
        })
        .collect();
    for p in px.iter_mut() {
        *p = table[usize::from(*p)];
    }
}

/// Encodes as JPEG at `quality` and decodes again: a phone's or a messenger's compression.
pub fn jpeg(px: Vec<u8>, quality: u8) -> GrayImage {
    let image = GrayImage::from_raw(W as u32, H as u32, px).expect("W × H");
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    image.write_with_encoder(encoder).expect("encodes");
    image::load_from_memory(&bytes).expect("decodes").to_luma8()
}

/// Corners top-left, top-right, bottom-right, bottom-left, in frame pixels.
pub type Quad = [(f64, f64); 4];

/// A square of `side` pixels centred at (`cx`, `cy`), turned by `angle` (radians), seen at a
/// tilt: the edge `edge` (0–3) shortened by `shrink` (0 = no tilt) and its neighbours
/// foreshortened by `squash`.
pub fn tilted_square(
    cx: f64,
    cy: f64,
    side: f64,
    angle: f64,
    edge: usize,
    shrink: f64,
    squash: f64,
) -> Quad {
    let h = side / 2.0;
    let mut c = [(-h, -h), (h, -h), (h, h), (-h, h)];
    let far = [edge % 4, (edge + 1) % 4];
    for (i, p) in c.iter_mut().enumerate() {
        let is_far = far.contains(&i);
        if edge & 1 == 0 {
            // top or bottom edge is far: shrink x there, squash y overall
            if is_far {
                p.0 *= 1.0 - shrink;
            }
            p.1 *= 1.0 - squash;
        } else {
            if is_far {
                p.1 *= 1.0 - shrink;
            }
            p.0 *= 1.0 - squash;
        }
    }
    let (s, co) = angle.sin_cos();
    c.map(|(x, y)| (cx + x * co - y * s, cy + x * s + y * co))
}

/// A centre for something of `radius` that keeps it inside the frame (when it fits).
pub fn centre(rng: &mut Rng, radius: f64) -> (f64, f64) {
    let cx = rng.range(
        radius.min(W as f64 / 2.0),
        (W as f64 - radius).max(W as f64 / 2.0),
    );
    let cy = rng.range(
        radius.min(H as f64 / 2.0),
        (H as f64 - radius).max(H as f64 / 2.0),
    );
    (cx, cy)
}

/// Shortest side of the quad divided by `n`: the module size in pixels, at its smallest.
pub fn module_px(quad: &Quad, n: usize) -> f64 {
    (0..4)
        .map(|i| {
            let (a, b) = (quad[i], quad[(i + 1) % 4]);
            ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
        })
        .fold(f64::MAX, f64::min)
        / n as f64
}

/// Where the point (`u`, `v`) of the unit square lands in `q`.
pub fn map(q: &Quad, u: f64, v: f64) -> (f64, f64) {
    let m = square_to_quad(q);
    let w = m[6] * u + m[7] * v + m[8];
    (
        (m[0] * u + m[1] * v + m[2]) / w,
        (m[3] * u + m[4] * v + m[5]) / w,
    )
}

/// `n_code` frames with our code, and a sixth as many each without a code and with a foreign
/// one, drawn by `make`, which gets the code's modules (or none) and returns the frame with
/// the module size and blur it used.
pub fn corpus(
    seed: u64,
    n_code: usize,
    make: impl Fn(&mut Rng, Option<&Modules>) -> (GrayImage, f64, f64),
) -> Vec<Frame> {
    let mut rng = Rng::new(seed);
    let n_other = n_code.div_ceil(6);
    let mut out = Vec::new();
    for _ in 0..n_code {
        let payload = login_payload(&mut rng);
        let modules = Modules::login(&payload);
        let (frame, module, blur) = make(&mut rng, Some(&modules));
        out.push(Frame {
            kind: Kind::Code {
                easy: easy(module, blur),
            },
            frame,
            expected: Some(payload.to_uri()),
        });
    }
    for _ in 0..n_other {
        let (frame, _, _) = make(&mut rng, None);
        out.push(Frame {
            kind: Kind::NoCode,
            frame,
            expected: None,
        });
        let modules = Modules::foreign(&mut rng);
        let (frame, _, _) = make(&mut rng, Some(&modules));
        out.push(Frame {
            kind: Kind::Foreign,
            frame,
            expected: None,
        });
    }
    out
}

fn bounds(q: &Quad) -> (usize, usize, usize, usize) {
    let xs = q.iter().map(|c| c.0);
    let ys = q.iter().map(|c| c.1);
    let clampx = |v: f64| v.clamp(0.0, W as f64) as usize;
    let clampy = |v: f64| v.clamp(0.0, H as f64) as usize;
    (
        clampx(xs.clone().fold(f64::MAX, f64::min).floor()),
        clampx(xs.fold(f64::MIN, f64::max).ceil()),
        clampy(ys.clone().fold(f64::MAX, f64::min).floor()),
        clampy(ys.fold(f64::MIN, f64::max).ceil()),
    )
}
