//! A laptop screen photographed by a phone: the code is light emitted by a grid of screen
//! pixels, each three vertical stripes (red, green, blue; in grey, 0.30 : 0.59 : 0.11 of the
//! light) with a dark matrix between them. A screen pixel spans 0.6–2.5 camera pixels, so the
//! camera's sampling beats against the stripes (moiré). Then a tilted, turned screen, defocus,
//! sometimes a lamp's reflection, sensor noise and the phone's JPEG.

use image::GrayImage;

use super::scene::{self, Canvas, Modules, centre, tilted_square};
use crate::corpus::Rng;

pub fn corpus(seed: u64, n_code: usize) -> Vec<scene::Frame> {
    scene::corpus(seed ^ 0x05C4_EE11, n_code, make)
}

fn make(rng: &mut Rng, code: Option<&Modules>) -> (GrayImage, f64, f64) {
    let mut canvas = Canvas::filled(rng.range(30.0, 110.0) as f32);
    canvas.clutter(rng, code.is_none());
    let falloff = rng.range(0.0, 0.4);
    canvas.ramp(rng, falloff);

    let module_px = rng.range(1.8, 7.0);
    // Screen pixels per module, so that a screen pixel is 0.6–2.5 camera pixels.
    let spm = loop {
        let spm = rng.int(1, 7) as f64;
        if (0.6..=2.5).contains(&(module_px / spm)) {
            break spm;
        }
    };
    let n = code.map_or(29, |m| m.n);
    let margin = rng.int(2, 8); // page around the code's own quiet zone, in modules
    let total = n + 2 * margin;
    let side = module_px * total as f64;
    let (cx, cy) = centre(rng, side * 0.72);
    let quad = tilted_square(
        cx,
        cy,
        side,
        rng.range(-0.35, 0.35),
        rng.int(0, 4),
        rng.range(0.0, 0.2),
        rng.range(0.0, 0.15),
    );
    let brightness = rng.range(230.0, 330.0);
    let black = rng.range(0.02, 0.08); // backlight through "black" pixels
    let gap_x = rng.range(0.7, 0.9); // lit share of a stripe's width
    let gap_y = rng.range(0.8, 0.95);
    let screen_px = total as f64 * spm;
    canvas.draw(&quad, 3, |u, v| {
        let (sx, sy) = (u * screen_px, v * screen_px);
        let (fx, fy) = (sx.fract(), sy.fract());
        let stripe = ((fx * 3.0) as usize).min(2);
        if (fx * 3.0).fract() > gap_x || fy > gap_y {
            return (brightness * 0.01) as f32;
        }
        let (mx, my) = ((sx / spm) as usize, (sy / spm) as usize);
        let dark = match code {
            Some(m) => mx >= margin && my >= margin && m.dark(mx - margin, my - margin),
            None => false,
        };
        let level = if dark { black } else { 1.0 };
        let weight = [0.30, 0.59, 0.11][stripe] * 3.0;
        (brightness * level * weight) as f32
    });
    if rng.unit() < 0.4 {
        let (gx, gy) = scene::map(&quad, rng.unit(), rng.unit());
        let r = side * rng.range(0.1, 0.5);
        canvas.glare(
            gx,
            gy,
            r,
            r * rng.range(0.3, 1.0),
            rng.range(0.0, 3.2),
            rng.range(30.0, 130.0),
        );
    }
    let defocus = rng.range(0.3, 2.0);
    canvas.gaussian(defocus);
    let read_noise = rng.range(1.5, 6.0);
    let px = canvas.expose(rng, read_noise, 0.3);
    let quality = rng.int(55, 93) as u8;
    (scene::jpeg(px, quality), module_px, defocus)
}
