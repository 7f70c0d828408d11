//! Tauri's build step, with the app's own permission manifest: one `allow-<command>` per
//! command of the contract (`dinhdanh_core::app::COMMAND_NAMES`). Once the app has a manifest,
//! only what a capability grants may be called (capabilities/main.json grants these to the
//! main window and nothing else).

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(dinhdanh_core::app::COMMAND_NAMES));
    if let Err(e) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; the message says what to fix.
        panic!("tauri build step failed: {e:#}");
    }
}
