//! # dinhdanh-client
//!
//! Everything the app does on the device, without UI: the API client over the core crate's
//! wire types, the OS keystore, device and confirmation keys, the passcode, and QR render and
//! decode. Tested directly and shared by the Tauri shell on desktop and mobile; the `dinhdanh`
//! CLI (`src/bin/dinhdanh.rs`) is a thin layer over it too.
//!
//! - [`api`]: the [`api::Client`] — request proofs and the confirmation dance, each in one place.
//! - [`keystore`]: the only home of the device's secrets (device key, passcode salt, token).
//! - [`keys`]: the device key and the confirmation key (P-256).
//! - [`passcode`]: new passcodes, the argon2id KDF, the passcode [`passcode::Confirmer`].
//! - [`biometric`]: the trait the mobile shell implements with platform biometric keys.
//! - [`profile`]: one app profile's non-secret state on disk.
//! - [`drafts`]: form drafts, sealed with a key from the keystore.
//! - [`error`]: [`ClientError`], with a code and a Vietnamese and English sentence.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub use dinhdanh_core as core;

pub mod api;
pub mod biometric;
pub mod draft_sealing;
pub mod drafts;
pub mod error;
mod json;
pub mod keys;
pub mod keystore;
pub mod passcode;
pub mod profile;

pub use api::{Client, ClientConfig};
pub use error::ClientError;

pub mod qr;
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub mod secret_service;
pub mod secret_store;
