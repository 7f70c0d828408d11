//! Biometric confirmation that unlocks a key, and the mobile secret store, for the Định Danh
//! app (Tauri 2).
//!
//! # Why not the stock biometric plugin
//!
//! `tauri-plugin-biometric` answers "the person passed the prompt" as a boolean. Anything that
//! runs in the app can produce that boolean, and the server cannot tell it from a real one.
//! Here the prompt *unlocks a key*: a P-256 key created inside the Android Keystore (StrongBox
//! when present) with `setUserAuthenticationRequired(true)` and strong biometrics only, or
//! inside the iOS Secure Enclave with `.biometryCurrentSet`. The operating system lets that key
//! sign only after its own biometric check, and destroys it when the enrolled biometrics
//! change. What reaches the server is a signature over the signed action's canonical bytes,
//! which it verifies against the public key registered at binding — no flag anywhere.
//!
//! # Platforms
//!
//! * Android, iOS: the Kotlin library in `android/` and the Swift package in `ios/` do the
//!   platform work; this crate converts their answers (DER public keys and signatures) into the
//!   core crate's canonical forms, low-S included ([`format`]).
//! * Desktop (Linux, Windows, macOS): there is no such key; [`BiometricKey::status`] says so,
//!   everything else is [`Error::Unavailable`] ("hãy dùng mã PIN/passcode"), and the app
//!   confirms with the passcode. [`BiometricKey::keystore`] returns the client's OS keystore.
//!
//! # Use from the shell
//!
//! ```no_run
//! use dinhdanh_client::biometric::{BiometricConfirmation, BiometricConfirmer};
//! use tauri_plugin_biometric_key::BiometricKeyExt;
//!
//! fn builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
//!     builder.plugin(tauri_plugin_biometric_key::init())
//! }
//!
//! // In a command, on a worker thread: the calls block until the native side answers.
//! fn confirm<R: tauri::Runtime>(
//!     app: &tauri::AppHandle<R>,
//!     profile: &str,
//! ) -> Result<(), dinhdanh_client::ClientError> {
//!     let plugin = app.biometric_key();
//!     let _keystore = plugin.keystore(profile)?; // every platform
//!     let biometrics = plugin.confirmer(profile); // the client's BiometricConfirmer
//!     if biometrics.is_available() {
//!         // Confirm::Biometric: hand this to the client's confirmed call.
//!         let _confirmation = BiometricConfirmation::new(&biometrics, "Xác nhận chuyển tài khoản")?;
//!     }
//!     Ok(())
//! }
//! ```
//!
//! The webview gets no permission on this plugin by default: signing and secrets are the
//! shell's business.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod confirmer;
mod error;
pub mod format;
mod plugin;
mod secret_store;
mod wire;

pub use confirmer::{PlatformBiometrics, PromptLanguage};
pub use error::{Error, UNAVAILABLE_EN, UNAVAILABLE_VI};
pub use format::FormatError;
pub use plugin::BiometricKey;
pub use secret_store::PlatformSecretStore;
pub use wire::{MAX_NAME_LEN, Prompt, Status};

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Manager, Runtime};

/// The plugin's name: its permissions are `biometric-key:...`, and the webview would address
/// it as `plugin:biometric-key|...`.
pub const PLUGIN_NAME: &str = "biometric-key";

/// The Kotlin package of `BiometricKeyPlugin` (`android/build.gradle.kts`'s namespace).
#[cfg(target_os = "android")]
const ANDROID_PACKAGE: &str = "vn.dinhdanh.biometrickey";

// The Swift package's `@_cdecl("init_plugin_biometric_key")` entry point.
#[cfg(target_os = "ios")]
#[allow(unsafe_code)]
mod ios {
    tauri::ios_plugin_binding!(init_plugin_biometric_key);

    /// The binding, for `register_ios_plugin` (the macro's function is private to this
    /// module, which exists only to allow its `unsafe`).
    pub(super) const INIT: unsafe fn() -> *const std::ffi::c_void = init_plugin_biometric_key;
}

/// The plugin, for `tauri::Builder::plugin`. It manages a [`BiometricKey`] as state, reached
/// through [`BiometricKeyExt::biometric_key`].
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new(PLUGIN_NAME)
        .setup(|app, _api| {
            #[cfg(target_os = "android")]
            let plugin = BiometricKey::native(
                _api.register_android_plugin(ANDROID_PACKAGE, "BiometricKeyPlugin")?,
            );
            #[cfg(target_os = "ios")]
            let plugin = BiometricKey::native(_api.register_ios_plugin(ios::INIT)?);
            #[cfg(not(mobile))]
            let plugin = BiometricKey::<R>::desktop();
            app.manage(plugin);
            Ok(())
        })
        .build()
}

/// Access to the plugin from the app, a window or a webview.
pub trait BiometricKeyExt<R: Runtime> {
    /// The plugin's handle (registered by [`init`]).
    fn biometric_key(&self) -> &BiometricKey<R>;
}

impl<R: Runtime, T: Manager<R>> BiometricKeyExt<R> for T {
    fn biometric_key(&self) -> &BiometricKey<R> {
        self.state::<BiometricKey<R>>().inner()
    }
}
