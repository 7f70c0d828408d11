//! The phone's own QR scanner — ML Kit over CameraX on Android, AVFoundation's metadata output
//! on iOS — through Tauri's barcode-scanner plugin, which the shell registers on phones only
//! ([`dinhdanh_core::app::AppStatus::platform_scanner`]). A scan shows the camera under the
//! page (`windowed`: the WebView turns transparent while it runs), reads one QR code and
//! answers its text. Nothing here decides whether a code is ours: the screen hands the text to
//! `qr_scan` ([`ScanAnswer::into_args`]), which reads it with the same strict parser as a code
//! the app's own decoder found in a frame.

use dinhdanh_core::app::QrScanArgs;
use serde::Deserialize;

/// The camera permission, as the plugin reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// The scanner may use the camera.
    Granted,
    /// The person refused (or a policy did); the system does not ask again.
    Denied,
    /// Not decided yet: asking shows the system's question.
    Prompt,
}

impl Permission {
    /// Reads the plugin's `{"camera": state}` (Android and iOS: `granted`, `denied`, `prompt`;
    /// Android also `prompt-with-rationale`). `None` for anything else.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // The plugin answers in wasm only.
    pub fn from_answer(answer: &serde_json::Value) -> Option<Permission> {
        match answer.get("camera")?.as_str()? {
            "granted" => Some(Permission::Granted),
            "denied" => Some(Permission::Denied),
            "prompt" | "prompt-with-rationale" => Some(Permission::Prompt),
            _ => None,
        }
    }
}

/// What a scan answered. The plugin also sends the code's format (the scan asks for QR codes
/// only) and, on Android, its bounds; neither matters here.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ScanAnswer {
    /// The code's text. iOS leaves it out for a code without text (binary content): it is
    /// then empty, which the parser refuses as not our code.
    #[serde(default)]
    pub content: String,
}

impl ScanAnswer {
    /// The shell's argument: the text as the scanner read it, for the strict parser.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub fn into_args(self) -> QrScanArgs {
        QrScanArgs::PlatformScanner { text: self.content }
    }
}

/// Why a scan ended without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanFailure {
    /// Stopped by `cancel` (the person's *Dừng quét*, or leaving the screen).
    Cancelled,
    /// The scanner cannot run: no camera, no plugin, or the plugin refused.
    Unavailable,
}

impl ScanFailure {
    /// Reads what a scan was rejected with: both platforms reject a cancelled scan with the
    /// message `cancelled` (an object `{"message": …}` from Kotlin or Swift, a string from Rust);
    /// anything else means the scanner cannot be used.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub fn from_refusal(refusal: Option<&serde_json::Value>) -> ScanFailure {
        let message = refusal.and_then(|r| match r {
            serde_json::Value::String(s) => Some(s.as_str()),
            other => other.get("message").and_then(serde_json::Value::as_str),
        });
        if message.map(str::trim) == Some("cancelled") {
            ScanFailure::Cancelled
        } else {
            ScanFailure::Unavailable
        }
    }
}

/// Why the camera screen reads codes the app's own way (the WebView's camera and its decoder)
/// instead of with the phone's scanner; the screen says so.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // Decided in wasm only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// The camera permission was refused.
    PermissionRefused,
    /// The scanner could not run (no camera, or the plugin failed).
    Unavailable,
}

impl Fallback {
    /// The sentence, Vietnamese and English.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub fn sentence(self) -> (&'static str, &'static str) {
        match self {
            Fallback::PermissionRefused => (
                "Ứng dụng chưa được phép dùng camera nên không mở được trình quét mã của điện thoại; ứng dụng thử đọc mã theo cách của mình. Bạn có thể cho phép camera trong Cài đặt, hoặc chọn ảnh có mã QR.",
                "The app may not use the camera, so the phone's code scanner cannot open; the app tries to read the code its own way. You can allow the camera in Settings, or pick a picture of the QR code.",
            ),
            Fallback::Unavailable => (
                "Không dùng được trình quét mã của điện thoại; ứng dụng đọc mã theo cách của mình.",
                "The phone's code scanner is not available; the app reads the code its own way.",
            ),
        }
    }
}

/// A scan's arguments: QR codes only (a barcode on a box is not read at all), the back camera,
/// under the page so the screen's own frame and *Dừng quét* stay on top.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub fn scan_options() -> serde_json::Value {
    serde_json::json!({ "formats": ["QR_CODE"], "windowed": true, "cameraDirection": "back" })
}

/// The camera permission, asking the person when it is not decided yet. `Err` when the plugin
/// does not answer (not registered, not allowed).
#[cfg(target_arch = "wasm32")]
pub async fn camera_permission() -> Result<Permission, ()> {
    use crate::bridge::plugin_call;
    let none = serde_json::json!({});
    let state = plugin_call("plugin:barcode-scanner|check_permissions", &none)
        .await
        .ok()
        .as_ref()
        .and_then(Permission::from_answer)
        .ok_or(())?;
    if state != Permission::Prompt {
        return Ok(state);
    }
    plugin_call("plugin:barcode-scanner|request_permissions", &none)
        .await
        .ok()
        .as_ref()
        .and_then(Permission::from_answer)
        .ok_or(())
}

/// Scans until a QR code is read or `cancel` is called.
#[cfg(target_arch = "wasm32")]
pub async fn scan() -> Result<ScanAnswer, ScanFailure> {
    match crate::bridge::plugin_call("plugin:barcode-scanner|scan", &scan_options()).await {
        Ok(answer) => serde_json::from_value(answer).map_err(|_| ScanFailure::Unavailable),
        Err(refusal) => Err(ScanFailure::from_refusal(refusal.as_ref())),
    }
}

/// Stops a running scan (it then fails with [`ScanFailure::Cancelled`]) and gives the page
/// back its background. Fire and forget, so it may be called while a screen is dropped.
#[cfg(target_arch = "wasm32")]
pub fn cancel() {
    wasm_bindgen_futures::spawn_local(async {
        let _ = crate::bridge::plugin_call("plugin:barcode-scanner|cancel", &serde_json::json!({}))
            .await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_answer_of_either_platform_becomes_the_platform_scanner_source_unchanged() {
        let text = "dinhdanh://login?v=1&r=AAAA&k=BBBB&o=https://dinhdanh.example.vn&e=1";
        // Android: content, format and bounds; iOS: content and format.
        for answer in [
            serde_json::json!({ "content": text, "format": "QR_CODE", "bounds": "10 10 200 200" }),
            serde_json::json!({ "content": text, "format": "QR_CODE" }),
        ] {
            let read: ScanAnswer = serde_json::from_value(answer).unwrap();
            match read.into_args() {
                QrScanArgs::PlatformScanner { text: t } => assert_eq!(t, text),
                other => panic!("{other:?}"),
            }
        }
        // iOS leaves the content out of a code without text: empty, for the parser to refuse.
        let binary: ScanAnswer =
            serde_json::from_value(serde_json::json!({ "format": "QR_CODE" })).unwrap();
        assert_eq!(binary.content, "");
    }

    #[test]
    fn the_camera_permission_of_both_platforms_is_read() {
        for (state, expected) in [
            ("granted", Some(Permission::Granted)),
            ("denied", Some(Permission::Denied)),
            ("prompt", Some(Permission::Prompt)),
            ("prompt-with-rationale", Some(Permission::Prompt)),
            ("limited", None),
        ] {
            let answer = serde_json::json!({ "camera": state });
            assert_eq!(Permission::from_answer(&answer), expected, "{state}");
        }
        assert_eq!(Permission::from_answer(&serde_json::json!({})), None);
        assert_eq!(Permission::from_answer(&serde_json::json!("granted")), None);
    }

    #[test]
    fn only_the_plugins_cancel_is_a_cancel_and_anything_else_falls_back() {
        let cancelled = [
            serde_json::json!({ "message": "cancelled" }),
            serde_json::json!("cancelled"),
        ];
        for refusal in &cancelled {
            assert_eq!(
                ScanFailure::from_refusal(Some(refusal)),
                ScanFailure::Cancelled
            );
        }
        let unavailable = [
            serde_json::json!({ "message": "No camera available on this device (e.g., iOS Simulator)" }),
            serde_json::json!({ "message": "No permission to use camera. Did you request it yet?" }),
            serde_json::json!("plugin barcode-scanner not found"),
            serde_json::json!({ "code": "cancelled" }),
        ];
        for refusal in &unavailable {
            assert_eq!(
                ScanFailure::from_refusal(Some(refusal)),
                ScanFailure::Unavailable,
                "{refusal}"
            );
        }
        assert_eq!(ScanFailure::from_refusal(None), ScanFailure::Unavailable);
    }

    #[test]
    fn a_scan_asks_for_qr_codes_from_the_back_camera_under_the_page() {
        let options = scan_options();
        assert_eq!(options["formats"], serde_json::json!(["QR_CODE"]));
        assert_eq!(options["windowed"], true);
        assert_eq!(options["cameraDirection"], "back");
    }

    #[test]
    fn each_fallback_is_said_in_vietnamese_then_english() {
        for fallback in [Fallback::PermissionRefused, Fallback::Unavailable] {
            let (vi, en) = fallback.sentence();
            assert!(vi.contains("trình quét mã của điện thoại"), "{vi}");
            assert!(en.contains("phone's code scanner"), "{en}");
        }
    }
}
