//! A code printed on paper, photographed on a desk: the sheet seen at a steep tilt and any
//! turn, slightly bent, ink spreading into the paper (or printed thin), the paper's grain, the
//! phone's shadow across it, sometimes a finger over an edge of the code, defocus, noise, JPEG.

use image::GrayImage;

use super::scene::{self, Canvas, Modules, centre, tilted_square};
use crate::corpus::Rng;

pub fn corpus(seed: u64, n_code: usize) -> Vec<scene::Frame> {
    scene::corpus(seed ^ 0x9A9E_2222, n_code, make)
}

fn make(rng: &mut Rng, code: Option<&Modules>) -> (GrayImage, f64, f64) {
    let mut canvas = Canvas::filled(rng.range(70.0, 170.0) as f32);
    canvas.clutter(rng, code.is_none());

    let module_px = rng.range(2.0, 8.0);
    let n = code.map_or(29, |m| m.n);
    let margin = rng.int(1, 6);
    let total = n + 2 * margin;
    let side = module_px * total as f64;
    let (cx, cy) = centre(rng, side * 0.72);
    let quad = tilted_square(
        cx,
        cy,
        side,
        rng.range(0.0, std::f64::consts::TAU),
        rng.int(0, 4),
        rng.range(0.0, 0.45),
        rng.range(0.0, 0.3),
    );
    let paper = rng.range(200.0, 245.0);
    let ink = rng.range(15.0, 60.0);
    let spread = rng.range(-0.12, 0.18); // of a module, per side
    let bend = rng.range(0.0, 0.015);
    let grain = rng.next_u64();
    let total_f = total as f64;
    canvas.draw(&quad, 3, |u, v| {
        let v = v + bend * (std::f64::consts::PI * u).sin();
        let (mx, my) = (u * total_f, v * total_f);
        let cell = |dx: isize, dy: isize| -> bool {
            let x = mx as isize + dx - margin as isize;
            let y = my as isize + dy - margin as isize;
            code.is_some_and(|m| x >= 0 && y >= 0 && m.dark(x as usize, y as usize))
        };
        let (fx, fy) = (mx.fract(), my.fract());
        let inked = if spread >= 0.0 {
            cell(0, 0)
                || (fx < spread && cell(-1, 0))
                || (fx > 1.0 - spread && cell(1, 0))
                || (fy < spread && cell(0, -1))
                || (fy > 1.0 - spread && cell(0, 1))
        } else {
            let s = -spread;
            cell(0, 0)
                && !((fx < s && !cell(-1, 0))
                    || (fx > 1.0 - s && !cell(1, 0))
                    || (fy < s && !cell(0, -1))
                    || (fy > 1.0 - s && !cell(0, 1)))
        };
        // Paper grain: a hash of the position, ±4 grey levels.
        let h = ((u * 4099.0) as u64 ^ ((v * 6151.0) as u64) << 20 ^ grain)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> 60;
        let base = if inked { ink } else { paper };
        (base + h as f64 * 0.5 - 4.0) as f32
    });
    let falloff = rng.range(0.0, 0.35);
    canvas.ramp(rng, falloff);
    if rng.unit() < 0.5 {
        shadow(&mut canvas, rng, &quad);
    }
    if code.is_some() && rng.unit() < 0.3 {
        finger(&mut canvas, rng, &quad, margin as f64 / total_f);
    }
    let defocus = rng.range(0.3, 2.5);
    canvas.gaussian(defocus);
    let read_noise = rng.range(2.0, 7.0);
    let shot_gain = rng.range(0.2, 0.6);
    let px = canvas.expose(rng, read_noise, shot_gain);
    let quality = rng.int(45, 91) as u8;
    (scene::jpeg(px, quality), module_px, defocus)
}

/// The phone's shadow: a half-plane through a point of the sheet, darker by 25–55%, with a
/// soft edge.
fn shadow(canvas: &mut Canvas, rng: &mut Rng, quad: &scene::Quad) {
    let (px, py) = scene::map(quad, rng.range(0.2, 0.8), rng.range(0.2, 0.8));
    let a = rng.range(0.0, std::f64::consts::TAU);
    let (nx, ny) = (a.cos(), a.sin());
    let soft = rng.range(8.0, 60.0);
    let keep = rng.range(0.45, 0.75);
    for y in 0..scene::H {
        for x in 0..scene::W {
            let d = (x as f64 - px) * nx + (y as f64 - py) * ny;
            let t = (d / soft).clamp(-0.5, 0.5) + 0.5; // 0 in shadow, 1 in light
            *canvas.at(x, y) *= (keep + (1.0 - keep) * t) as f32;
        }
    }
}

/// A fingertip over the edge of the code away from the finder patterns (the lower right),
/// coming in from outside the sheet: a rounded, shaded band of skin.
fn finger(canvas: &mut Canvas, rng: &mut Rng, quad: &scene::Quad, margin: f64) {
    let inner = 1.0 - margin;
    let tip = scene::map(
        quad,
        inner - rng.range(0.02, 0.14),
        inner - rng.range(0.02, 0.14),
    );
    let from = scene::map(quad, rng.range(1.2, 1.6), rng.range(1.1, 1.8));
    let side = scene::module_px(quad, 1);
    let radius = side * rng.range(0.06, 0.11);
    let skin = rng.range(120.0, 190.0);
    let (dx, dy) = (from.0 - tip.0, from.1 - tip.1);
    let len2 = dx * dx + dy * dy;
    for y in 0..scene::H {
        for x in 0..scene::W {
            let (px, py) = (x as f64 - tip.0, y as f64 - tip.1);
            let t = ((px * dx + py * dy) / len2).clamp(0.0, 1.0);
            let (qx, qy) = (px - t * dx, py - t * dy);
            let d = (qx * qx + qy * qy).sqrt() / radius;
            if d < 1.0 {
                // Rounder toward the edges: darker where the finger curves away.
                *canvas.at(x, y) = (skin * (1.0 - 0.35 * d * d)) as f32;
            }
        }
    }
}
