//! The held-out corpus (printed only with `QR_BENCH_HELDOUT=1`; never looked at while choosing
//! a threshold): half screenshots, half a code on a glossy phone screen.
//!
//! - A screenshot: the desktop's page grabbed and scaled to the frame by a non-integer factor
//!   (area-averaged), upright, then recompressed by a messenger (JPEG 35–85). No noise, no
//!   tilt: codes as small as 1.6 pixels a module are the difficulty.
//! - A phone screen: a turned, tilted screen under a long specular streak (a window's
//!   reflection, up to saturation), the rolling shutter's skew (rows shifted in proportion to
//!   their time), defocus, noise, JPEG.

use image::GrayImage;

use super::scene::{self, Canvas, Modules, centre, tilted_square};
use crate::corpus::Rng;

pub fn corpus(seed: u64, n_code: usize) -> Vec<scene::Frame> {
    scene::corpus(seed ^ 0x6_1A4E, n_code, make)
}

fn make(rng: &mut Rng, code: Option<&Modules>) -> (GrayImage, f64, f64) {
    if rng.unit() < 0.4 {
        screenshot(rng, code)
    } else {
        glossy(rng, code)
    }
}

fn page(code: Option<&Modules>, margin: usize, u: f64, v: f64, total: f64) -> bool {
    let (mx, my) = ((u * total) as usize, (v * total) as usize);
    code.is_some_and(|m| mx >= margin && my >= margin && m.dark(mx - margin, my - margin))
}

fn screenshot(rng: &mut Rng, code: Option<&Modules>) -> (GrayImage, f64, f64) {
    let mut canvas = Canvas::filled(rng.range(225.0, 250.0) as f32);
    canvas.clutter(rng, code.is_none());
    let module_px = rng.range(1.6, 6.0);
    let n = code.map_or(29, |m| m.n);
    let margin = 2;
    let total = n + 2 * margin;
    let side = module_px * total as f64;
    let (cx, cy) = centre(rng, side * 0.5);
    let quad = tilted_square(cx, cy, side, 0.0, 0, 0.0, 0.0);
    let total_f = total as f64;
    canvas.draw(&quad, 4, |u, v| {
        if page(code, margin, u, v, total_f) {
            0.0
        } else {
            255.0
        }
    });
    let px = canvas.expose(rng, 0.0, 0.0);
    (scene::jpeg(px, rng.int(35, 86) as u8), module_px, 0.0)
}

fn glossy(rng: &mut Rng, code: Option<&Modules>) -> (GrayImage, f64, f64) {
    let mut canvas = Canvas::filled(rng.range(40.0, 160.0) as f32);
    canvas.clutter(rng, code.is_none());
    let module_px = rng.range(2.0, 7.0);
    let n = code.map_or(29, |m| m.n);
    let margin = rng.int(1, 4);
    let total = n + 2 * margin;
    let side = module_px * total as f64;
    let (cx, cy) = centre(rng, side * 0.75);
    let mut quad = tilted_square(
        cx,
        cy,
        side,
        rng.range(-0.8, 0.8),
        rng.int(0, 4),
        rng.range(0.0, 0.3),
        rng.range(0.0, 0.2),
    );
    let skew = rng.range(-0.06, 0.06);
    for c in &mut quad {
        c.0 += skew * (c.1 - cy);
    }
    let (dark, light) = (rng.range(5.0, 35.0), rng.range(170.0, 250.0));
    let total_f = total as f64;
    canvas.draw(&quad, 3, |u, v| {
        (if page(code, margin, u, v, total_f) {
            dark
        } else {
            light
        }) as f32
    });
    let (gx, gy) = scene::map(&quad, rng.range(0.2, 0.8), rng.range(0.2, 0.8));
    canvas.glare(
        gx,
        gy,
        side * rng.range(0.5, 1.5),
        side * rng.range(0.03, 0.12),
        rng.range(0.0, 3.2),
        rng.range(80.0, 260.0),
    );
    let defocus = rng.range(0.3, 1.8);
    canvas.gaussian(defocus);
    let read_noise = rng.range(2.0, 6.0);
    let px = canvas.expose(rng, read_noise, 0.3);
    (scene::jpeg(px, rng.int(50, 91) as u8), module_px, defocus)
}
