//! # dinhdanh-client
//!
//! Everything the app does on the device, without UI: the API client over the core crate's
//! wire types, the OS keystore, device and confirmation keys, the passcode, and QR render and
//! decode. Tested directly and shared by the Tauri shell on desktop and mobile.
//!
//! Status: the crate exists so the workspace has its final shape; its content is the work of
//! the device-side issue. Until then it only re-exports the core crate it builds on.

pub use dinhdanh_core as core;
