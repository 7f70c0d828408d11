//! Test support for the detector: a code drawn into a thresholded frame through a known
//! perspective, and deterministic pseudo-random numbers for frames and rows.

/// Marsaglia's xorshift64 from `seed` (not 0): the same numbers on every run.
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// A version-3 code (29 modules) drawn into a `side` × `side` frame, 1 dark and 0 light: a
/// pixel is dark when its centre, taken to module coordinates by `to_modules`, falls in a
/// dark module. With the code's size in modules.
pub(crate) fn version_3_seen_through(
    to_modules: impl Fn(f64, f64) -> (f64, f64),
    side: usize,
) -> (Vec<u8>, usize) {
    let code = qrcode::QrCode::with_version(
        "https://dinhdanh.example.vn/qr",
        qrcode::Version::Normal(3),
        qrcode::EcLevel::M,
    )
    .unwrap();
    let n = code.width();
    let colors = code.to_colors();
    let mut px = vec![0u8; side * side];
    for y in 0..side {
        for x in 0..side {
            let (u, v) = to_modules(x as f64 + 0.5, y as f64 + 0.5);
            if u >= 0.0 && v >= 0.0 && (u as usize) < n && (v as usize) < n {
                let i = v as usize * n + u as usize;
                px[y * side + x] = u8::from(colors[i] == qrcode::Color::Dark);
            }
        }
    }
    (px, n)
}
