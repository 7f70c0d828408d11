//! Reading a login code from a picture (`dinhdanh_client::qr`), over arbitrary pictures.
//!
//! Pictures are kept small (at most 160 × 160 pixels) so the target exercises the decoder
//! and the parser, not the time budget; the budget is unlimited so every attempt of the
//! ladder runs and a run is deterministic. The first byte picks how the rest is read:
//! * 0: width, height, then grey pixels (repeated to fill the frame) — a camera frame;
//! * 1: an encoded picture (PNG, JPEG), refused unread when larger than the bound;
//! * 2: a text, rendered as a QR code, then some pixels flipped as the following bytes say.
//!
//! Properties: no panic (the decoder's own panics are caught in production, and libFuzzer
//! still reports them, so the fuzzer sees them); a payload is returned only when it is our
//! well-formed, unexpired code for the expected server, and it serialises to a URI that
//! parses to it; a cleanly rendered code decodes to exactly what the strict parser says of
//! its text.
#![no_main]

use std::time::Duration;

use dinhdanh_client::qr::{self, ScanError, ScanOptions};
use dinhdanh_core::qr_login::QrLoginPayload;
use dinhdanh_core::signed_action::Origin;
use libfuzzer_sys::fuzz_target;

const MAX_SIDE: usize = 160;
/// The origin and the time the seed codes were made for (expiry 2000000000).
const ORIGIN: &str = "https://dinhdanh.example.vn";
const NOW: i64 = 1_900_000_000;

fn options() -> ScanOptions {
    ScanOptions {
        time_budget: Duration::MAX,
    }
}

fn check_result(result: &Result<QrLoginPayload, ScanError>, origin: &Origin) {
    if let Ok(payload) = result {
        assert_eq!(payload.check(NOW, origin), Ok(()));
        assert_eq!(
            QrLoginPayload::parse(&payload.to_uri()).as_ref(),
            Ok(payload)
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let origin = Origin::parse(ORIGIN).expect("a valid origin");
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        0 => {
            let [w, h, pixels @ ..] = rest else {
                return;
            };
            let (w, h) = (
                usize::from(*w) % MAX_SIDE + 1,
                usize::from(*h) % MAX_SIDE + 1,
            );
            if pixels.is_empty() {
                return;
            }
            let luma: Vec<u8> = pixels.iter().copied().cycle().take(w * h).collect();
            let result = qr::decode_login_luma(&luma, w, h, NOW, &origin, &options());
            check_result(&result, &origin);
        }
        1 => {
            let Ok(reader) =
                image::ImageReader::new(std::io::Cursor::new(rest)).with_guessed_format()
            else {
                return;
            };
            match reader.into_dimensions() {
                Ok((w, h)) if (w as usize) <= MAX_SIDE && (h as usize) <= MAX_SIDE => {}
                _ => return,
            }
            check_result(&qr::decode_image_bytes(rest, NOW, &origin), &origin);
        }
        2 => {
            // The text, up to a zero byte; then pairs of bytes (x, y) of pixels to flip.
            let (text, flips) = match rest.iter().position(|&b| b == 0) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &[][..]),
            };
            let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
            else {
                return;
            };
            let mut picture = code
                .render::<image::Luma<u8>>()
                .quiet_zone(true)
                .module_dimensions(2, 2)
                .build();
            if picture.width() as usize > MAX_SIDE || picture.height() as usize > MAX_SIDE {
                return;
            }
            let (w, h) = (picture.width(), picture.height());
            for pair in flips.chunks_exact(2) {
                let (x, y) = (u32::from(pair[0]) % w, u32::from(pair[1]) % h);
                let p = picture.get_pixel_mut(x, y);
                p.0[0] = 255 - p.0[0];
            }
            let result = qr::decode_login_with(&picture, NOW, &origin, &options());
            check_result(&result, &origin);
            if flips.len() < 2 {
                // A clean code reads back as exactly what the strict parser says of its text.
                let expected = match std::str::from_utf8(text) {
                    Ok(t) => QrLoginPayload::parse(t)
                        .and_then(|p| p.check(NOW, &origin).map(|()| p))
                        .map_err(ScanError::from),
                    Err(_) => Err(ScanError::NotOurCode),
                };
                assert_eq!(result, expected, "{:?}", String::from_utf8_lossy(text));
            }
        }
        _ => {}
    }
});
