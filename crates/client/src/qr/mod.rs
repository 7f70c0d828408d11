//! QR login on the device: the desktop renders its login code, the phone reads it from the
//! camera (or the CLI from a picture) and gets back the core crate's [`QrLoginPayload`], checked
//! against its own server and clock, or a [`ScanError`] the UI can show as it is.
//!
//! The protocol and the URI format are in [`dinhdanh_core::qr_login`]; this module only turns
//! payloads into pictures and pictures back into payloads.

mod binarize;
mod decode;
mod finder;
mod locate;
mod preprocess;
mod refine;
mod render;
#[cfg(test)]
mod test_codes;

use std::path::Path;

use dinhdanh_core::qr_login::{QrLoginPayload, QrPayload};
use dinhdanh_core::signed_action::Origin;
use image::GrayImage;

/// The bench's view into the ladder (`--features qr-trace`); not part of the app's build.
#[cfg(feature = "qr-trace")]
pub use decode::trace;
pub use decode::{ScanOptions, Scannable};
pub use render::{MAX_SCALE, RenderError, render_luma, render_payload_png, render_png, render_svg};

use preprocess::Plane;

/// Largest picture [`decode_image_file`] opens, per side: a 48-megapixel phone photo fits,
/// a decompression bomb does not.
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// Why no usable login code came out of a frame or a picture.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub enum ScanError {
    /// No QR code could be read. On a live camera this is the normal answer for most frames:
    /// keep scanning.
    NoCodeFound,
    /// A QR code was read, but it is not a Định Danh login code (a web link, a payment code...).
    NotOurCode,
    /// A Định Danh login code of a newer format: the app needs updating.
    UnsupportedVersion,
    /// A Định Danh login code that is damaged or forged.
    Malformed {
        /// What is wrong, in Vietnamese.
        detail_vi: &'static str,
        /// What is wrong, in English.
        detail_en: &'static str,
    },
    /// Our login code, but it has expired: the desktop must show a new one.
    Expired,
    /// Our login code, but for another Định Danh server than the one this app uses.
    WrongServer,
    /// The picture could not be opened or decoded (missing file, not PNG or JPEG, too large),
    /// or a camera buffer's size does not match its dimensions.
    UnreadableImage,
}

impl ScanError {
    /// Stable machine code, e.g. `qr_scan.no_code_found`.
    pub fn code(&self) -> &'static str {
        match self {
            ScanError::NoCodeFound => "qr_scan.no_code_found",
            ScanError::NotOurCode => "qr_scan.not_our_code",
            ScanError::UnsupportedVersion => "qr_scan.unsupported_version",
            ScanError::Malformed { .. } => "qr_scan.malformed",
            ScanError::Expired => "qr_scan.expired",
            ScanError::WrongServer => "qr_scan.wrong_server",
            ScanError::UnreadableImage => "qr_scan.unreadable_image",
        }
    }

    /// Full sentence in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            ScanError::NoCodeFound => {
                "Không tìm thấy mã QR. Hãy đưa mã vào giữa khung hình.".into()
            }
            ScanError::NotOurCode => "Đây không phải mã QR đăng nhập của Định Danh.".into(),
            ScanError::UnsupportedVersion => {
                "Mã QR này cần phiên bản ứng dụng mới hơn, vui lòng cập nhật ứng dụng.".into()
            }
            ScanError::Malformed { detail_vi, .. } => {
                format!("Mã QR đăng nhập không hợp lệ: {detail_vi}.")
            }
            ScanError::Expired => "Mã QR đã hết hạn, vui lòng tạo mã mới trên máy tính.".into(),
            ScanError::WrongServer => "Mã QR này dành cho một máy chủ khác.".into(),
            ScanError::UnreadableImage => "Không đọc được ảnh (chỉ hỗ trợ PNG và JPEG).".into(),
        }
    }

    /// Full sentence in English.
    pub fn message_en(&self) -> String {
        match self {
            ScanError::NoCodeFound => {
                "No QR code found. Bring the code to the middle of the picture.".into()
            }
            ScanError::NotOurCode => "This is not a Định Danh login QR code.".into(),
            ScanError::UnsupportedVersion => {
                "This QR code needs a newer version of the app; please update.".into()
            }
            ScanError::Malformed { detail_en, .. } => {
                format!("The login QR code is invalid: {detail_en}.")
            }
            ScanError::Expired => {
                "The QR code has expired; please make a new one on the computer.".into()
            }
            ScanError::WrongServer => "This QR code is for a different server.".into(),
            ScanError::UnreadableImage => {
                "The picture could not be read (only PNG and JPEG are supported).".into()
            }
        }
    }
}

/// Reads the login code in a grey camera frame or picture, for a phone of the server at
/// `expected_origin` at Unix time `now`, with the default [`ScanOptions`].
///
/// Returns a payload only when a QR code in the frame is a well-formed Định Danh login code
/// for that server that has not expired; anything else is a [`ScanError`] saying why.
pub fn decode_login(
    frame: &GrayImage,
    now: i64,
    expected_origin: &Origin,
) -> Result<QrLoginPayload, ScanError> {
    decode_login_with(frame, now, expected_origin, &ScanOptions::default())
}

/// [`decode_login`] with explicit options.
pub fn decode_login_with(
    frame: &GrayImage,
    now: i64,
    expected_origin: &Origin,
    options: &ScanOptions,
) -> Result<QrLoginPayload, ScanError> {
    let plane = Plane::new(
        frame.width() as usize,
        frame.height() as usize,
        frame.as_raw().clone(),
    )
    .ok_or(ScanError::NoCodeFound)?;
    decode::decode_plane(plane, now, expected_origin, options)
}

/// [`decode_login`] over a raw 8-bit luma buffer (row-major, `width * height` bytes, no
/// padding): the Y plane that camera APIs deliver. A buffer of the wrong size is
/// [`ScanError::UnreadableImage`].
pub fn decode_login_luma(
    luma: &[u8],
    width: usize,
    height: usize,
    now: i64,
    expected_origin: &Origin,
    options: &ScanOptions,
) -> Result<QrLoginPayload, ScanError> {
    decode_luma_as(luma, width, height, now, expected_origin, options)
}

/// [`decode_login_luma`] for either kind of code the phone answers: a desktop login (v1) or a
/// sign-in to another service (v2), each checked against the server and the clock.
pub fn decode_any_luma(
    luma: &[u8],
    width: usize,
    height: usize,
    now: i64,
    expected_origin: &Origin,
    options: &ScanOptions,
) -> Result<QrPayload, ScanError> {
    decode_luma_as(luma, width, height, now, expected_origin, options)
}

fn decode_luma_as<P: Scannable>(
    luma: &[u8],
    width: usize,
    height: usize,
    now: i64,
    expected_origin: &Origin,
    options: &ScanOptions,
) -> Result<P, ScanError> {
    let plane = Plane::new(width, height, luma.to_vec()).ok_or(ScanError::UnreadableImage)?;
    decode::decode_plane(plane, now, expected_origin, options)
}

/// Reads the text of a QR code that another reader found — the phone's own scanner (ML Kit on
/// Android, AVFoundation on iOS) — exactly as a code found in a frame is read: the strict
/// parser, then this server and the clock. Either kind of code (see [`decode_any_luma`]).
pub fn decode_any_text(
    text: &str,
    now: i64,
    expected_origin: &Origin,
) -> Result<QrPayload, ScanError> {
    QrPayload::read(text, now, expected_origin).map_err(ScanError::from)
}

/// Reads the login code in a PNG or JPEG picture held in memory (a file the person picked in
/// the app), with the time of [`ScanOptions::picture`]: read once, not a camera frame.
/// Pictures larger than [`MAX_IMAGE_SIDE`] on a side are refused before being decoded.
pub fn decode_image_bytes(
    bytes: &[u8],
    now: i64,
    expected_origin: &Origin,
) -> Result<QrLoginPayload, ScanError> {
    decode_image_bytes_as(bytes, now, expected_origin)
}

/// [`decode_image_bytes`] for either kind of code the phone answers (see [`decode_any_luma`]).
pub fn decode_any_image_bytes(
    bytes: &[u8],
    now: i64,
    expected_origin: &Origin,
) -> Result<QrPayload, ScanError> {
    decode_image_bytes_as(bytes, now, expected_origin)
}

fn decode_image_bytes_as<P: Scannable>(
    bytes: &[u8],
    now: i64,
    expected_origin: &Origin,
) -> Result<P, ScanError> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| ScanError::UnreadableImage)?;
    decode_picture(reader, now, expected_origin)
}

/// Reads the login code in a PNG or JPEG file (the CLI's "approve from a picture"), with the
/// time of [`ScanOptions::picture`]. Pictures larger than [`MAX_IMAGE_SIDE`] on a side are
/// refused before being decoded.
pub fn decode_image_file(
    path: &Path,
    now: i64,
    expected_origin: &Origin,
) -> Result<QrLoginPayload, ScanError> {
    let reader = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|_| ScanError::UnreadableImage)?;
    decode_picture(reader, now, expected_origin)
}

/// A picture read once, from memory or a file: refused past [`MAX_IMAGE_SIDE`] before being
/// decoded, then read with the time of [`ScanOptions::picture`].
fn decode_picture<R: std::io::BufRead + std::io::Seek, P: Scannable>(
    mut reader: image::ImageReader<R>,
    now: i64,
    expected_origin: &Origin,
) -> Result<P, ScanError> {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    reader.limits(limits);
    let picture = reader
        .decode()
        .map_err(|_| ScanError::UnreadableImage)?
        .to_luma8();
    let plane = Plane::new(
        picture.width() as usize,
        picture.height() as usize,
        picture.into_raw(),
    )
    .ok_or(ScanError::NoCodeFound)?;
    decode::decode_plane(plane, now, expected_origin, &ScanOptions::picture())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dinhdanh_core::crypto::PublicKey;
    use dinhdanh_core::qr_login::RendezvousId;

    const NOW: i64 = 1_750_000_000;

    fn origin() -> Origin {
        Origin::parse("https://dinhdanh.example.vn").unwrap()
    }

    fn payload(origin: Origin, expires_at: i64) -> QrLoginPayload {
        let key = p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
        QrLoginPayload::new(
            RendezvousId::from_bytes(&[9u8; 32]).unwrap(),
            PublicKey::from_verifying_key(key.verifying_key()),
            origin,
            expires_at,
        )
        .unwrap()
    }

    /// The rendered code placed in a larger grey frame, as a camera would see a screen.
    /// Time enough for every attempt, however loaded the machine: for tests that compare the
    /// reading, not its speed (the benches measure that).
    fn unhurried() -> ScanOptions {
        ScanOptions {
            time_budget: std::time::Duration::from_secs(10),
            ..ScanOptions::default()
        }
    }

    fn in_frame(code: &GrayImage) -> GrayImage {
        let mut frame = GrayImage::from_pixel(640, 480, image::Luma([120]));
        image::imageops::overlay(&mut frame, code, 100, 60);
        frame
    }

    #[test]
    fn a_rendered_code_decodes_back_to_the_same_payload() {
        let p = payload(origin(), NOW + 60);
        let frame = in_frame(&render_luma(&p, 4).unwrap());
        assert_eq!(decode_login(&frame, NOW, &origin()), Ok(p));
    }

    #[test]
    fn an_expired_code_and_a_code_for_another_server_are_reported_as_such() {
        let p = payload(origin(), NOW + 60);
        let frame = in_frame(&render_luma(&p, 4).unwrap());
        assert_eq!(
            decode_login(&frame, NOW + 60, &origin()),
            Err(ScanError::Expired)
        );
        let other = Origin::parse("https://other.example.vn").unwrap();
        assert_eq!(
            decode_login(&frame, NOW, &other),
            Err(ScanError::WrongServer)
        );
    }

    #[test]
    fn a_web_link_is_not_our_code_and_a_blank_frame_has_no_code() {
        let link = qrcode::QrCode::new(b"https://example.com/login?next=/home").unwrap();
        let code = link
            .render::<image::Luma<u8>>()
            .module_dimensions(5, 5)
            .build();
        assert_eq!(
            decode_login(&in_frame(&code), NOW, &origin()),
            Err(ScanError::NotOurCode)
        );
        let blank = GrayImage::from_pixel(640, 480, image::Luma([200]));
        assert_eq!(
            decode_login(&blank, NOW, &origin()),
            Err(ScanError::NoCodeFound)
        );
    }

    #[test]
    fn a_spent_time_budget_still_allows_the_first_attempt() {
        let p = payload(origin(), NOW + 60);
        let frame = in_frame(&render_luma(&p, 6).unwrap());
        let none = ScanOptions {
            time_budget: std::time::Duration::ZERO,
            ..ScanOptions::default()
        };
        assert_eq!(decode_login_with(&frame, NOW, &origin(), &none), Ok(p));
    }

    #[test]
    fn a_luma_buffer_of_the_wrong_size_is_unreadable() {
        let options = ScanOptions::default();
        assert_eq!(
            decode_login_luma(&[0; 99], 10, 10, NOW, &origin(), &options),
            Err(ScanError::UnreadableImage)
        );
    }

    #[test]
    fn the_png_and_svg_renderings_carry_the_code() {
        let p = payload(origin(), NOW + 60);
        let png = render_png(&p, 3).unwrap();
        let decoded = image::load_from_memory(&png).unwrap().to_luma8();
        assert_eq!(decoded, render_luma(&p, 3).unwrap());
        // With the 60-ms budget a debug build on a busy machine stopped before the attempt
        // that reads 3-pixel modules.
        assert_eq!(
            decode_login_with(&in_frame(&decoded), NOW, &origin(), &unhurried()),
            Ok(p.clone())
        );
        let svg = render_svg(&p).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("#000000"));
        assert_eq!(render_luma(&p, 0), Err(RenderError::BadScale));
        assert_eq!(render_luma(&p, MAX_SCALE + 1), Err(RenderError::BadScale));
    }

    /// A laptop's screenshot whose 3-pixel modules the first (half-size) attempt cannot read:
    /// a picture is read once, so the attempts after it run too, however busy the machine.
    /// (With the camera's 60-ms budget, a loaded CI machine gave up after the first attempt
    /// and the laptop window's end-to-end test failed.)
    #[test]
    fn a_picked_picture_gets_every_attempt_of_the_ladder() {
        let p = payload(origin(), NOW + 60);
        let mut screen = GrayImage::from_pixel(1280, 800, image::Luma([245]));
        image::imageops::overlay(&mut screen, &render_luma(&p, 3).unwrap(), 900, 180);
        let first_attempt_only = ScanOptions {
            time_budget: std::time::Duration::ZERO,
            ..ScanOptions::default()
        };
        assert_eq!(
            decode_login_with(&screen, NOW, &origin(), &first_attempt_only),
            Err(ScanError::NoCodeFound)
        );
        let mut png = Vec::new();
        screen
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(decode_image_bytes(&png, NOW, &origin()), Ok(p));
    }

    #[test]
    fn a_png_file_decodes_and_a_missing_or_foreign_file_is_unreadable() {
        let dir = std::env::temp_dir().join(format!("dinhdanh-qr-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = payload(origin(), NOW + 60);
        let png = dir.join("code.png");
        in_frame(&render_luma(&p, 4).unwrap()).save(&png).unwrap();
        assert_eq!(decode_image_file(&png, NOW, &origin()), Ok(p));
        let text = dir.join("not-a-picture.png");
        std::fs::write(&text, b"hello").unwrap();
        assert_eq!(
            decode_image_file(&text, NOW, &origin()),
            Err(ScanError::UnreadableImage)
        );
        assert_eq!(
            decode_image_file(&dir.join("missing.png"), NOW, &origin()),
            Err(ScanError::UnreadableImage)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A service sign-in code (version 2) as the login page shows it, in a camera-like frame.
    fn service_sign_in_frame(origin: Origin, expires_at: i64) -> (QrPayload, GrayImage) {
        let p = dinhdanh_core::qr_login::ServiceSignInPayload::new(
            RendezvousId::from_bytes(&[5u8; 32]).unwrap(),
            origin,
            expires_at,
        )
        .unwrap();
        let p = QrPayload::ServiceSignIn(p);
        let png = render_payload_png(&p, 4).unwrap();
        let code = image::load_from_memory(&png).unwrap().to_luma8();
        (p, in_frame(&code))
    }

    #[test]
    fn the_phone_reads_both_kinds_of_code_but_a_desktop_only_reader_refuses_a_service_sign_in() {
        let (service, frame) = service_sign_in_frame(origin(), NOW + 60);
        let options = ScanOptions::default();
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        assert_eq!(
            decode_any_luma(frame.as_raw(), w, h, NOW, &origin(), &options),
            Ok(service)
        );
        assert_eq!(
            decode_login(&frame, NOW, &origin()),
            Err(ScanError::UnsupportedVersion)
        );
        let desktop = payload(origin(), NOW + 60);
        let png = render_png(&desktop, 4).unwrap();
        assert_eq!(
            decode_any_image_bytes(&png, NOW, &origin()),
            Ok(QrPayload::DesktopLogin(desktop))
        );
    }

    #[test]
    fn a_service_sign_in_code_is_checked_for_the_server_and_the_expiry() {
        let (_, frame) = service_sign_in_frame(origin(), NOW + 60);
        let mut png = std::io::Cursor::new(Vec::new());
        frame.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let png = png.into_inner();
        assert_eq!(
            decode_any_image_bytes(&png, NOW + 60, &origin()),
            Err(ScanError::Expired)
        );
        let other = Origin::parse("https://other.example.vn").unwrap();
        assert_eq!(
            decode_any_image_bytes(&png, NOW, &other),
            Err(ScanError::WrongServer)
        );
    }

    #[test]
    fn the_platform_scanners_text_is_read_as_strictly_as_a_decoded_frame() {
        let ours = payload(origin(), NOW + 60);
        let (service, _) = service_sign_in_frame(origin(), NOW + 60);
        let QrPayload::ServiceSignIn(service_code) = &service else {
            unreachable!()
        };
        assert_eq!(
            decode_any_text(&ours.to_uri(), NOW, &origin()),
            Ok(QrPayload::DesktopLogin(ours.clone()))
        );
        assert_eq!(
            decode_any_text(&service_code.to_uri(), NOW, &origin()),
            Ok(service.clone())
        );
        let other = payload(Origin::parse("https://other.example.vn").unwrap(), NOW + 60);
        let uri = ours.to_uri();
        let texts = [
            "https://example.com/login?next=/home".to_owned(),
            "WIFI:S:cafe;T:WPA;P:12345678;;".to_owned(),
            String::new(),
            other.to_uri(),
            payload(origin(), NOW).to_uri(),
            uri.replace("v=1", "v=9"),
            format!("{uri}&x=1"),
            uri.replacen('k', "%6B", 1),
            format!("{uri}{}", "0".repeat(300)),
        ];
        for text in &texts {
            let from_text = decode_any_text(text, NOW, &origin());
            // The same text in a picture, read by our decoder: the same answer, because both
            // end in the same parser and checks.
            let picture = qrcode::QrCode::new(text.as_bytes()).unwrap();
            let code = picture
                .render::<image::Luma<u8>>()
                .module_dimensions(4, 4)
                .build();
            let frame = in_frame(&code);
            let (w, h) = (frame.width() as usize, frame.height() as usize);
            let from_frame = decode_any_luma(frame.as_raw(), w, h, NOW, &origin(), &unhurried());
            assert_eq!(from_text, from_frame, "{text:?}");
            assert!(from_text.is_err(), "{text:?} was accepted");
        }
        assert_eq!(
            decode_any_text(&texts[0], NOW, &origin()),
            Err(ScanError::NotOurCode)
        );
        assert_eq!(
            decode_any_text(&texts[3], NOW, &origin()),
            Err(ScanError::WrongServer)
        );
        assert_eq!(
            decode_any_text(&texts[4], NOW, &origin()),
            Err(ScanError::Expired)
        );
        assert_eq!(
            decode_any_text(&texts[5], NOW, &origin()),
            Err(ScanError::UnsupportedVersion)
        );
        for malformed in &texts[6..] {
            assert!(
                matches!(
                    decode_any_text(malformed, NOW, &origin()),
                    Err(ScanError::Malformed { .. })
                ),
                "{malformed:?}"
            );
        }
    }

    #[test]
    fn scan_errors_have_stable_codes_and_both_languages() {
        let all = [
            ScanError::NoCodeFound,
            ScanError::NotOurCode,
            ScanError::UnsupportedVersion,
            ScanError::Malformed {
                detail_vi: "x",
                detail_en: "x",
            },
            ScanError::Expired,
            ScanError::WrongServer,
            ScanError::UnreadableImage,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(ScanError::code).collect();
        assert_eq!(codes.len(), all.len());
        for e in &all {
            assert!(e.code().starts_with("qr_scan."));
            assert!(!e.message_vi().is_empty() && e.message_vi() != e.message_en());
            assert_eq!(e.to_string(), e.message_en());
        }
        assert_eq!(ScanError::Expired.code(), "qr_scan.expired");
    }
}
