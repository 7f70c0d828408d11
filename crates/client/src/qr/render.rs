//! Rendering a login QR code: SVG for the UI, PNG and a luma image for tests and the CLI.
//!
//! Always error-correction level M (15% of the code may be damaged: enough for glare and
//! moiré on a laptop screen, while the longest payload still fits version 10, see
//! [`dinhdanh_core::qr_login::MAX_URI_LEN`]) and always with the four-module quiet zone the
//! standard asks for: scanners find the finder patterns by the light band around them.

use dinhdanh_core::qr_login::{QrLoginPayload, QrPayload};
use image::GrayImage;
use qrcode::{EcLevel, QrCode};

/// Largest module size [`render_png`] and [`render_luma`] accept, in pixels: a version-10 code
/// at this scale is 65 × 32 = 2080 pixels wide, far more than any screen needs.
pub const MAX_SCALE: u32 = 32;

/// Why a login QR code could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub enum RenderError {
    /// The payload does not fit a QR code. Cannot happen for a parsed payload (the core crate
    /// bounds its length); kept as an error so that no input path can panic.
    TooLong,
    /// The requested module size is 0 or above [`MAX_SCALE`].
    BadScale,
    /// The PNG encoder failed.
    Encoding,
}

impl RenderError {
    /// Stable machine code, e.g. `qr_render.too_long`.
    pub fn code(&self) -> &'static str {
        match self {
            RenderError::TooLong => "qr_render.too_long",
            RenderError::BadScale => "qr_render.bad_scale",
            RenderError::Encoding => "qr_render.encoding",
        }
    }

    /// Full sentence in Vietnamese.
    pub fn message_vi(&self) -> &'static str {
        match self {
            RenderError::TooLong => "Nội dung quá dài, không tạo được mã QR.",
            RenderError::BadScale => "Kích thước điểm ảnh của mã QR không hợp lệ.",
            RenderError::Encoding => "Không tạo được ảnh PNG của mã QR.",
        }
    }

    /// Full sentence in English.
    pub fn message_en(&self) -> &'static str {
        match self {
            RenderError::TooLong => "The content is too long for a QR code.",
            RenderError::BadScale => "The QR code's module size is invalid.",
            RenderError::Encoding => "The QR code could not be encoded as PNG.",
        }
    }
}

fn encode(payload: &QrLoginPayload) -> Result<QrCode, RenderError> {
    encode_uri(&payload.to_uri())
}

fn encode_uri(uri: &str) -> Result<QrCode, RenderError> {
    QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M)
        .map_err(|_| RenderError::TooLong)
}

/// The login QR code as a standalone SVG document (black on white, quiet zone included,
/// at least 256 user units wide; it scales without blur, so the UI sizes it with CSS).
pub fn render_svg(payload: &QrLoginPayload) -> Result<String, RenderError> {
    let code = encode(payload)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .quiet_zone(true)
        .min_dimensions(256, 256)
        .build())
}

/// The login QR code as an 8-bit grey image, `scale` pixels per module (1..=[`MAX_SCALE`]),
/// quiet zone included: black modules are 0, light ones 255.
pub fn render_luma(payload: &QrLoginPayload, scale: u32) -> Result<GrayImage, RenderError> {
    if !(1..=MAX_SCALE).contains(&scale) {
        return Err(RenderError::BadScale);
    }
    let code = encode(payload)?;
    Ok(code
        .render::<image::Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(scale, scale)
        .build())
}

/// [`render_luma`] encoded as PNG.
pub fn render_png(payload: &QrLoginPayload, scale: u32) -> Result<Vec<u8>, RenderError> {
    png(&render_luma(payload, scale)?)
}

/// Any kind of code ([`QrPayload`]: a desktop login, or a sign-in to another service as the
/// provider's login page shows it) as a PNG, like [`render_png`]: for tests and tools that
/// play the page the phone scans.
pub fn render_payload_png(payload: &QrPayload, scale: u32) -> Result<Vec<u8>, RenderError> {
    if !(1..=MAX_SCALE).contains(&scale) {
        return Err(RenderError::BadScale);
    }
    let img = encode_uri(&payload.to_uri())?
        .render::<image::Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(scale, scale)
        .build();
    png(&img)
}

fn png(img: &GrayImage) -> Result<Vec<u8>, RenderError> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|_| RenderError::Encoding)?;
    Ok(out.into_inner())
}
