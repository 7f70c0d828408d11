//! Generates the plugin's permissions (one `allow-`/`deny-` pair per command) and, when the
//! target is Android or iOS, hands the Kotlin library and the Swift package to the app's
//! mobile project.

/// The commands of the native plugin, as the webview would name them. The default permission
/// set grants none of them: the app's Rust side calls the plugin directly, and the webview has
/// no business signing or reading secrets (see `permissions/default.toml`).
const COMMANDS: &[&str] = &[
    "status",
    "create_key",
    "public_key",
    "delete_key",
    "sign",
    "secret_get",
    "secret_set",
    "secret_delete",
];

/// iOS refuses Face ID to an app whose `Info.plist` does not say why it wants it (and the
/// Secure Enclave key needs Face ID on phones without Touch ID).
#[cfg(target_os = "macos")]
const FACE_ID_USAGE: &str = "Định Danh dùng Face ID để mở khoá khoá ký trên máy khi bạn xác nhận \
     một thao tác (Face ID unlocks the app's signing key when you confirm an action).";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tauri_plugin::Builder::new(COMMANDS)
        .android_path("android")
        .ios_path("ios")
        .try_build()?;
    // Only where an iOS project can exist (a macOS host running `cargo tauri ios ...`); a no-op
    // otherwise. An app that wrote its own text keeps it.
    #[cfg(target_os = "macos")]
    tauri_plugin::mobile::update_info_plist(|plist| {
        if !plist.contains_key("NSFaceIDUsageDescription") {
            plist.insert("NSFaceIDUsageDescription".into(), FACE_ID_USAGE.into());
        }
    })?;
    Ok(())
}
