//! At night, by hand: a code on a screen or on paper in little light, the phone moving (a
//! straight streak of 0–14 pixels in any direction), a little defocus; the sensor's shot and
//! read noise, then the phone brightening the frame (gain and a gamma curve, which lift the
//! noise with the picture) and compressing it hard.

use image::GrayImage;

use super::scene::{self, Canvas, Modules, centre, tilted_square};
use crate::corpus::Rng;

pub fn corpus(seed: u64, n_code: usize) -> Vec<scene::Frame> {
    scene::corpus(seed ^ 0x0016_4771, n_code, make)
}

fn make(rng: &mut Rng, code: Option<&Modules>) -> (GrayImage, f64, f64) {
    // The light the sensor gathers: a dim room and a code that is either lit (a screen,
    // 40–110) or barely (paper, 20–60), its dark modules near black.
    let screen = rng.unit() < 0.5;
    let light = if screen {
        rng.range(40.0, 110.0)
    } else {
        rng.range(20.0, 60.0)
    };
    let dark = light * rng.range(0.05, 0.3);
    let mut canvas = Canvas::filled(rng.range(5.0, 30.0) as f32);
    canvas.clutter(rng, code.is_none());
    for p in &mut canvas.px {
        *p *= (light / 255.0 * rng.range(0.5, 1.0)) as f32;
    }

    let module_px = rng.range(2.0, 7.0);
    let n = code.map_or(29, |m| m.n);
    let margin = rng.int(1, 5);
    let total = n + 2 * margin;
    let side = module_px * total as f64;
    let (cx, cy) = centre(rng, side * 0.72);
    let quad = tilted_square(
        cx,
        cy,
        side,
        rng.range(-0.6, 0.6),
        rng.int(0, 4),
        rng.range(0.0, 0.15),
        rng.range(0.0, 0.1),
    );
    let total_f = total as f64;
    canvas.draw(&quad, 3, |u, v| {
        let (mx, my) = ((u * total_f) as usize, (v * total_f) as usize);
        let is_dark =
            code.is_some_and(|m| mx >= margin && my >= margin && m.dark(mx - margin, my - margin));
        (if is_dark { dark } else { light }) as f32
    });
    let falloff = rng.range(0.0, 0.5);
    canvas.ramp(rng, falloff);
    let streak = if rng.unit() < 0.8 {
        rng.range(0.0, 14.0)
    } else {
        0.0
    };
    canvas.motion(streak, rng.range(0.0, std::f64::consts::PI));
    let defocus = rng.range(0.0, 1.2);
    canvas.gaussian(defocus);
    let read_noise = rng.range(1.5, 4.0);
    let shot_gain = rng.range(0.5, 2.0);
    let mut px = canvas.expose(rng, read_noise, shot_gain);
    // The phone's auto-exposure maps the code's light level to near white.
    scene::tone(&mut px, light * rng.range(1.0, 1.4), rng.range(1.6, 2.4));
    let quality = rng.int(30, 76) as u8;
    let blur = (defocus * defocus + scene::streak_sigma(streak).powi(2)).sqrt();
    (scene::jpeg(px, quality), module_px, blur)
}
